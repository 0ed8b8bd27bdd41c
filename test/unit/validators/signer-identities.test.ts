/**
 * Signer identities over a real vault (temp dir, SQLite): issue, look up by fingerprint,
 * revoke; every refusal with its code and the stored record unchanged; the record is
 * sealed (a flipped byte refuses every certificate, a sealed vault issues nothing) and
 * takes part in rewrap. The access rules of the signer listener over it.
 */
import { X509Certificate } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVaultError, type ErrorCode } from '../../../src/errors.js';
import { allowListAccess, identityAccess } from '../../../src/http/signer-access.js';
import { newP256Key } from '../../../src/tls/pkcs12.js';
import { SIGNER_CA_META, SIGNER_IDENTITIES_META } from '../../../src/validators/signer-identities.js';
import { makeVault, unseal, type TestVault } from '../http/helpers.js';

let v: TestVault;

beforeEach(async () => {
  v = await makeVault();
  await unseal(v);
  for (const name of ['a', 'b']) await v.vault.validators.create({ name, chain: 'ethereum', format: 'generate' });
});
afterEach(async () => {
  await v.cleanup();
});

const stored = (): string | undefined => {
  const raw = v.storage.meta.get(SIGNER_IDENTITIES_META);
  return raw === undefined ? undefined : Buffer.from(raw).toString('hex');
};

async function refused(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(isVaultError(e, code), String(e)).toBe(true);
}

describe('SignerIdentityService', () => {
  it('issues a CA-signed client certificate for the public key and grants its slots', async () => {
    const key = newP256Key();
    const r = await v.vault.signerIdentities.create('lh', ['a'], key.spki);
    const cert = new X509Certificate(r.certPem);
    const ca = new X509Certificate(r.caCertPem);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.publicKey.export({ type: 'spki', format: 'der' }).equals(key.spki)).toBe(true);
    expect(cert.fingerprint256.replaceAll(':', '').toLowerCase()).toBe(r.identity.fingerprint);
    expect(cert.subject).toContain('CN=lh');
    expect(Buffer.from(v.storage.meta.get(SIGNER_CA_META)!).toString()).toBe(r.caCertPem);
    expect([...(v.vault.signerIdentities.grant(r.identity.fingerprint)?.slots ?? [])]).toEqual(['a']);
    // The second identity reuses the CA.
    const r2 = await v.vault.signerIdentities.create('tk', ['a', 'b'], newP256Key().spki);
    expect(r2.caCertPem).toBe(r.caCertPem);
    expect(v.vault.signerIdentities.list().map((i) => i.name)).toEqual(['lh', 'tk']);
  });

  it('refuses bad input with its code and writes nothing', async () => {
    await v.vault.signerIdentities.create('lh', ['a'], newP256Key().spki);
    const before = stored();
    await refused(v.vault.signerIdentities.create('lh', ['b'], newP256Key().spki), 'OV_SIGNER_IDENTITY_EXISTS');
    await refused(v.vault.signerIdentities.create('x', ['nope'], newP256Key().spki), 'OV_VALIDATOR_NOT_FOUND');
    await refused(v.vault.signerIdentities.create('x', ['a'], new Uint8Array([1, 2, 3])), 'OV_INVALID_ARGUMENT');
    await refused(v.vault.signerIdentities.create('Bad Name', ['a'], newP256Key().spki), 'OV_INVALID_ARGUMENT');
    await refused(v.vault.signerIdentities.create('x', [], newP256Key().spki), 'OV_INVALID_ARGUMENT');
    await refused(v.vault.signerIdentities.revoke('ghost'), 'OV_SIGNER_IDENTITY_NOT_FOUND');
    expect(stored()).toBe(before);
  });

  it('revokes at once, keeps the name taken, and answers a second revoke unchanged', async () => {
    const r = await v.vault.signerIdentities.create('lh', ['a'], newP256Key().spki);
    expect(v.vault.signerIdentities.grant(r.identity.fingerprint)).toBeDefined();
    const revoked = await v.vault.signerIdentities.revoke('lh');
    expect(revoked.revokedAt).not.toBeNull();
    expect(v.vault.signerIdentities.grant(r.identity.fingerprint)).toBeUndefined();
    const before = stored();
    expect(await v.vault.signerIdentities.revoke('lh')).toEqual(revoked);
    expect(stored()).toBe(before);
    await refused(v.vault.signerIdentities.create('lh', ['a'], newP256Key().spki), 'OV_SIGNER_IDENTITY_EXISTS');
  });

  it('issues nothing while sealed, and refuses every certificate when the record was edited', async () => {
    const r = await v.vault.signerIdentities.create('lh', ['a'], newP256Key().spki);
    const raw = Buffer.from(v.storage.meta.get(SIGNER_IDENTITIES_META)!);
    raw[raw.length - 10] = (raw[raw.length - 10] as number) ^ 1;
    v.storage.meta.put(SIGNER_IDENTITIES_META, raw);
    expect(v.vault.signerIdentities.grant(r.identity.fingerprint)).toBeUndefined();
    expect(() => v.vault.signerIdentities.list()).toThrow(expect.objectContaining({ code: 'OV_SIGNER_IDENTITY_UNREADABLE' }));
    v.vault.seal.seal();
    await refused(v.vault.signerIdentities.create('tk', ['a'], newP256Key().spki), 'OV_SEALED');
  });

  it('is rewrapped with the other sealed rows after a KEM rotation', async () => {
    const r = await v.vault.signerIdentities.create('lh', ['a'], newP256Key().spki);
    const kem = (): number => Buffer.from(v.storage.meta.get(SIGNER_IDENTITIES_META)!).readUInt32BE(0);
    const old = kem();
    v.vault.keys.rotate('kem');
    const result = v.vault.keys.rewrap('kem');
    expect(result.remaining).toBe(0);
    expect(kem()).toBeGreaterThan(old);
    expect(v.vault.signerIdentities.grant(r.identity.fingerprint)?.name).toBe('lh');
  });
});

describe('identityAccess', () => {
  const grants = new Map([['f1', { name: 'lh', slots: new Set(['a']) }]]);
  const base = allowListAccess(['127.0.0.1/32']);
  const key = { pubkey: '0x01', slot: 'a' };
  const other = { pubkey: '0x02', slot: 'b' };
  const local = { address: '127.0.0.1' };
  const withCert = (fingerprint: string, authorized = true) => ({ address: '127.0.0.1', certificate: { fingerprint, authorized } });

  it('narrows a certificate client to its slots, refuses unknown or unverified ones, and requires one when told', () => {
    for (const clientAuth of ['request', 'require'] as const) {
      const a = identityAccess(base, { clientAuth, grant: (fp) => grants.get(fp) });
      expect([a.maySign(withCert('f1'), key), a.maySign(withCert('f1'), other)]).toEqual([true, false]);
      expect([a.maySignAny(withCert('f2')), a.maySign(withCert('f2'), key)]).toEqual([false, false]);
      expect(a.maySign(withCert('f1', false), key)).toBe(false);
      expect(a.maySign({ address: '10.0.0.1', certificate: { fingerprint: 'f1', authorized: true } }, key)).toBe(false);
      expect([a.maySignAny(local), a.maySign(local, key)]).toEqual(clientAuth === 'require' ? [false, false] : [true, true]);
    }
  });
});

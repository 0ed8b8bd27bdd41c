/**
 * The client's transit calls (TransitClient) and the age-encrypted secret read
 * (getSecretAge) against the real server (makeVault, buildServer listening on
 * 127.0.0.1:0): every call's answer is checked against its schema on the way back, single
 * and batch calls return their own shapes, batch entries keep order with per-item errors,
 * and daemon refusals come back as DaemonError with their registry code.
 */
import type { AddressInfo } from 'node:net';
import * as typage from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransitClient, VaultClient, isDaemonError, toBase64 } from '../../../src/client/index.js';
import { isVaultError } from '../../../src/errors.js';
import { login, makeVault, unseal, type TestVault } from '../http/helpers.js';

let v: TestVault;
let client: VaultClient;
let transit: TransitClient;

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  v = await makeVault();
  await unseal(v);
  const { token } = await login(v, v.adminKey ?? '');
  await v.app.listen({ port: 0, host: '127.0.0.1' });
  client = new VaultClient({ addr: `http://127.0.0.1:${(v.app.server.address() as AddressInfo).port}`, token });
  transit = new TransitClient(client);
}, 60_000);

afterAll(async () => {
  await v.cleanup();
});

describe('TransitClient against the real server', () => {
  it('creates, lists, encrypts, decrypts, rewraps after rotate, and makes data keys', async () => {
    const key = await transit.create('orders', { exportable: true });
    expect(key).toMatchObject({ name: 'orders', type: 'xwing', latest_version: 1 });
    expect(await transit.list()).toEqual(['orders']);
    const ct = await transit.encrypt('orders', { plaintext: toBase64('hello') });
    expect(ct.key_version).toBe(1);
    expect(Buffer.from((await transit.decrypt('orders', { ciphertext: ct.ciphertext })).plaintext, 'base64').toString()).toBe('hello');
    expect((await transit.rotate('orders')).latest_version).toBe(2);
    expect((await transit.rewrap('orders', { ciphertext: ct.ciphertext })).key_version).toBe(2);
    const dk = await transit.datakey('orders', { plaintext: true, bits: 512 });
    expect(Buffer.from(dk.plaintext ?? '', 'base64')).toHaveLength(64);
    expect((await transit.datakey('orders')).plaintext).toBeUndefined();
    expect(Object.keys((await transit.export('encryption-key', 'orders')).keys)).toEqual(['1', '2']);
    expect(Object.keys((await transit.export('encryption-key', 'orders', 2)).keys)).toEqual(['2']);
  });

  it('keeps batch order with per-item errors', async () => {
    const r = await transit.encryptBatch('orders', [{ plaintext: toBase64('a') }, { plaintext: '**' }, { plaintext: toBase64('c') }]);
    expect(r.map((x) => ('error' in x ? x.error.code : 'ok'))).toEqual(['ok', 'OV_INVALID_ARGUMENT', 'ok']);
    const cts = r.flatMap((x) => ('ciphertext' in x ? [{ ciphertext: x.ciphertext }] : []));
    const d = await transit.decryptBatch('orders', cts.reverse());
    expect(d.map((x) => ('plaintext' in x ? Buffer.from(x.plaintext, 'base64').toString() : x.error.code))).toEqual(['c', 'a']);
  });

  it('signs, verifies and HMACs', async () => {
    await transit.create('release', { type: 'ml-dsa-87' });
    const s = await transit.sign('release', { input: toBase64('m') });
    expect(await transit.verify('release', { input: toBase64('m'), signature: s.signature })).toEqual({ valid: true });
    const batch = await transit.verifyBatch('release', [{ input: toBase64('x'), signature: s.signature }, { input: toBase64('m'), signature: s.signature }]);
    expect(batch).toEqual([{ valid: false }, { valid: true }]);
    await transit.create('mac', { type: 'hmac-sha3-256' });
    const h = await transit.hmac('mac', { input: toBase64('m') });
    expect(await transit.verify('mac', { input: toBase64('m'), hmac: h.hmac })).toEqual({ valid: true });
  });

  it('rebuilds refusals as DaemonError with their registry code', async () => {
    const e = await rejects(transit.decrypt('orders', { ciphertext: 'ontoref:v1:AAAA' }));
    expect(isDaemonError(e) && isVaultError(e, 'OV_TRANSIT_CIPHERTEXT_INVALID')).toBe(true);
    const n = await rejects(transit.read('absent'));
    expect(isVaultError(n, 'OV_TRANSIT_KEY_NOT_FOUND')).toBe(true);
    const d = await rejects(transit.delete('orders'));
    expect(isVaultError(d, 'OV_TRANSIT_DELETION_NOT_ALLOWED')).toBe(true);
  });
});

describe('VaultClient.getSecretAge against the real server', () => {
  it('returns an armored age file typage decrypts; refuses non-age recipients before sending', async () => {
    await client.putSecret('app/age', { data: { password: 'p-1' } });
    const id = await typage.generateHybridIdentity();
    const text = await client.getSecretAge('app/age', [await typage.identityToRecipient(id)], { field: 'password' });
    const d = new typage.Decrypter();
    d.addIdentity(id);
    expect(await d.decrypt(typage.armor.decode(text), 'text')).toBe('p-1');
    const e = await rejects(client.getSecretAge('app/age', ['not a recipient']));
    expect(isVaultError(e, 'OV_INVALID_ARGUMENT') && !isDaemonError(e)).toBe(true);
  });
});

/**
 * The client's secrets methods against the real server (makeVault: a vault in a temp dir,
 * buildServer listening on 127.0.0.1:0): write, read (document, one field with its
 * version, a pinned version), CAS, list pages and the iterator over all pages, delete /
 * undelete / destroy / destroy-all, metadata read and update, a recipient-sealed read
 * opened with the envelope library, rewrap after a KEM rotation, and daemon errors
 * rebuilt as DaemonError with their registry code.
 */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonError, VaultClient, isDaemonError } from '../../../src/client/index.js';
import { selectProvider } from '../../../src/crypto/provider.js';
import { encodeKey, generateKey, open, publicKeyOf, readMaybeArmored } from '../../../src/envelope/index.js';
import { isVaultError } from '../../../src/errors.js';
import { login, makeVault, unseal, type TestVault } from '../http/helpers.js';

let v: TestVault;
let client: VaultClient;

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
  const port = (v.app.server.address() as AddressInfo).port;
  client = new VaultClient({ addr: `http://127.0.0.1:${port}`, token });
}, 60_000);

afterAll(async () => {
  await v.cleanup();
});

describe('VaultClient secrets against the real server', () => {
  it('putSecret / getSecret / getSecretField round-trip string fields exactly', async () => {
    const w = await client.putSecret('app/db', { data: { password: ' p\nw \u00e9 ', user: 'u' } });
    expect(w).toMatchObject({ path: 'app/db', version: 1 });
    expect(typeof w.created_at).toBe('string');
    const doc = await client.getSecret('app/db');
    expect(doc).toEqual({ path: 'app/db', version: 1, created_at: w.created_at, data: { password: ' p\nw \u00e9 ', user: 'u' } });
    expect(await client.getSecretField('app/db', 'password')).toEqual({ path: 'app/db', field: 'password', version: 1, value: ' p\nw \u00e9 ' });
    await client.putSecret('app/db', { data: { password: 'second' } });
    expect((await client.getSecretField('app/db', 'password')).version).toBe(2);
    expect((await client.getSecretField('app/db', 'password', { version: 1 })).value).toBe(' p\nw \u00e9 ');
    expect((await client.getSecret('app/db', { version: 1 })).version).toBe(1);
  });

  it('binary secrets travel as base64 and have no fields', async () => {
    const bytes = Uint8Array.from([0, 1, 2, 250, 255, 10, 13]);
    await client.putSecret('app/bin', { binary: bytes });
    const doc = await client.getSecret('app/bin');
    expect(Buffer.from(doc.binary ?? '', 'base64')).toEqual(Buffer.from(bytes));
    expect(doc.data).toBeUndefined();
    const e = await rejects(client.getSecretField('app/bin', 'x'));
    expect(isDaemonError(e, 'OV_FIELD_NOT_FOUND')).toBe(true);
    expect((e as DaemonError).httpStatus).toBe(404);
  });

  it('CAS: a mismatch is OV_CAS_MISMATCH (409) and writes nothing', async () => {
    await client.putSecret('app/cas', { data: { v: '1' } }, { cas: 0 });
    const e = await rejects(client.putSecret('app/cas', { data: { v: 'x' } }, { cas: 0 }));
    expect(isDaemonError(e, 'OV_CAS_MISMATCH')).toBe(true);
    expect((e as DaemonError).httpStatus).toBe(409);
    await client.putSecret('app/cas', { data: { v: '2' } }, { cas: 1 });
    expect((await client.secretMetadata('app/cas')).current_version).toBe(2);
  });

  it('listSecrets pages with next; iterateSecrets follows every page', async () => {
    for (const n of ['a', 'b', 'c', 'd', 'e']) await client.putSecret(`list/${n}`, { data: { v: n } });
    const p1 = await client.listSecrets({ prefix: 'list/', limit: 2 });
    expect(p1).toEqual({ paths: ['list/a', 'list/b'], next: 'list/b' });
    const p2 = await client.listSecrets({ prefix: 'list/', limit: 2, after: p1.next ?? '' });
    expect(p2.paths).toEqual(['list/c', 'list/d']);
    const all: string[] = [];
    for await (const p of client.iterateSecrets({ prefix: 'list/', pageSize: 2 })) all.push(p);
    expect(all).toEqual(['list/a', 'list/b', 'list/c', 'list/d', 'list/e']);
    const everything: string[] = [];
    for await (const p of client.iterateSecrets()) everything.push(p);
    expect(everything).toEqual(expect.arrayContaining(['app/db', 'app/bin', 'list/e']));
  });

  it('delete, undelete, destroy and destroy-all, with the metadata tracking each state', async () => {
    await client.putSecret('app/life', { data: { v: '1' } });
    await client.putSecret('app/life', { data: { v: '2' } });
    expect(await client.deleteSecret('app/life')).toEqual({ path: 'app/life', versions: [2] });
    expect(isDaemonError(await rejects(client.getSecret('app/life')), 'OV_SECRET_DELETED')).toBe(true);
    expect(await client.undeleteSecret('app/life', [2])).toEqual({ path: 'app/life', versions: [2] });
    expect((await client.getSecretField('app/life', 'v')).value).toBe('2');
    expect(await client.deleteSecret('app/life', { versions: [1] })).toEqual({ path: 'app/life', versions: [1] });
    expect(await client.destroySecret('app/life', [1])).toEqual({ path: 'app/life', versions: [1] });
    const m = await client.secretMetadata('app/life');
    expect(m.versions.find((x) => x.version === 1)).toMatchObject({ destroyed: true });
    expect(m.versions.find((x) => x.version === 2)).toMatchObject({ destroyed: false, deleted_at: null, key_version: 1 });
    expect(isDaemonError(await rejects(client.getSecret('app/life', { version: 1 })), 'OV_SECRET_DESTROYED')).toBe(true);
    await client.destroyAllSecretVersions('app/life');
    expect(isDaemonError(await rejects(client.getSecret('app/life')), 'OV_SECRET_NOT_FOUND')).toBe(true);
  });

  it('updateSecretMetadata sets max_versions, cas_required and custom metadata', async () => {
    const m = await client.updateSecretMetadata('app/meta', { max_versions: 3, cas_required: true, custom_metadata: { owner: 'team-a' } });
    expect(m).toMatchObject({ path: 'app/meta', max_versions: 3, cas_required: true, custom_metadata: { owner: 'team-a' } });
    expect(isDaemonError(await rejects(client.putSecret('app/meta', { data: { v: '1' } })), 'OV_CAS_MISMATCH')).toBe(true);
    await client.putSecret('app/meta', { data: { v: '1' } }, { cas: 0 });
    expect((await client.secretMetadata('app/meta')).current_version).toBe(1);
  });

  it('getSecretSealed returns an armored envelope that opens with the recipient key', async () => {
    const provider = selectProvider('noble');
    const sk = generateKey(provider, 'X-Wing');
    const recipient = Buffer.from(encodeKey(publicKeyOf(sk))).toString('base64');
    const text = await client.getSecretSealed('app/db', recipient, { field: 'password', version: 1 });
    expect(text.startsWith('-----BEGIN ONTOREF ENVELOPE-----\n')).toBe(true);
    // Nothing but armor: the value (with its non-ASCII letter) cannot hide in base64 lines.
    expect(text).toMatch(/^-----BEGIN ONTOREF ENVELOPE-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END ONTOREF ENVELOPE-----\n?$/);
    const plain = open(provider, { envelope: readMaybeArmored(new TextEncoder().encode(text), 'ENVELOPE'), key: sk });
    expect(new TextDecoder().decode(plain)).toBe(' p\nw \u00e9 ');
    const whole = open(provider, { envelope: readMaybeArmored(new TextEncoder().encode(await client.getSecretSealed('app/db', recipient)), 'ENVELOPE'), key: sk });
    expect(JSON.parse(new TextDecoder().decode(whole))).toMatchObject({ path: 'app/db', version: 2, data: { password: 'second' } });
  });

  it('rewrapKey re-seals older versions under the new KEM key version', async () => {
    await client.rotateKey('kem');
    await client.putSecret('app/new', { data: { v: 'n' } });
    const first = await client.rewrapKey('kem', { batchSize: 2, maxVersions: 2 });
    expect(first).toMatchObject({ rewrapped: 2, key_version: 2, done: false });
    let r = first;
    let total = first.rewrapped;
    while (!r.done) {
      r = await client.rewrapKey('kem', { batchSize: 5 });
      total += r.rewrapped;
    }
    expect(r).toMatchObject({ remaining: 0, key_version: 2, done: true });
    expect(total).toBe(first.rewrapped + first.remaining);
    expect((await client.secretMetadata('app/db')).versions.every((x) => x.key_version === 2)).toBe(true);
    expect((await client.getSecretField('app/db', 'password', { version: 1 })).value).toBe(' p\nw \u00e9 ');
  });

  it('a reader session is refused writes (OV_FORBIDDEN); a bad token is OV_AUTH_INVALID', async () => {
    const key = await client.createApiKey({ role: 'reader', scope: 'app', label: 'r' });
    const s = await client.withToken(undefined).createSession({ key: key.key });
    const reader = client.withToken(s.token);
    expect((await reader.getSecretField('app/db', 'password')).value).toBe('second');
    expect(isDaemonError(await rejects(reader.putSecret('app/db', { data: { v: 'x' } })), 'OV_FORBIDDEN')).toBe(true);
    expect(isDaemonError(await rejects(reader.getSecret('list/a')), 'OV_FORBIDDEN')).toBe(true);
    expect(isDaemonError(await rejects(client.withToken('bogus').listSecrets()), 'OV_AUTH_INVALID')).toBe(true);
  });

  it('bad paths and arguments fail locally before any request (not DaemonErrors)', async () => {
    for (const p of ['', '/app', 'app/', 'a//b', 'a/../b', './a', 'a%2Fb', 'a b']) {
      const e = await rejects(client.getSecret(p));
      expect(isVaultError(e, 'OV_PATH_INVALID'), p).toBe(true);
      expect(e).not.toBeInstanceOf(DaemonError);
    }
    expect(isVaultError(await rejects(client.getSecret('app/db', { version: 0 })), 'OV_INVALID_ARGUMENT')).toBe(true);
    expect(isVaultError(await rejects(client.listSecrets({ limit: 1001 })), 'OV_INVALID_ARGUMENT')).toBe(true);
    expect(isVaultError(await rejects(client.undeleteSecret('app/db', [])), 'OV_INVALID_ARGUMENT')).toBe(true);
    expect(isVaultError(await rejects(client.putSecret('app/db', { data: { v: 'x' } }, { cas: -1 })), 'OV_INVALID_ARGUMENT')).toBe(true);
    expect(isVaultError(await rejects(client.updateSecretMetadata('app/db', {})), 'OV_INVALID_ARGUMENT')).toBe(true);
    // Nothing above reached the daemon: the latest version is unchanged.
    expect((await client.secretMetadata('app/db')).current_version).toBe(2);
  });
});

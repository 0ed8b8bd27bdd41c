/**
 * Rewrap after a KEM rotation, with a crash in the middle: one batch commits, the next
 * throws inside its transaction (rolled back: nothing of it is kept), then the HTTP route
 * resumes. Every version opens afterwards, every row is under the newest KEM version,
 * and raising the KEM minimum decryption version, refused (409) before, succeeds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectProvider } from '../../src/crypto/provider.js';
import { SecretService, rewrapBatch } from '../../src/secrets/index.js';
import { bearer, expectError, login, makeVault, unseal, type TestVault } from '../unit/http/helpers.js';

describe('rewrap', () => {
  let v: TestVault;
  let token: string;
  const written = new Map<string, string>();

  const call = (method: 'GET' | 'PUT' | 'POST', url: string, payload?: Record<string, unknown>) =>
    v.app.inject({ method, url, headers: bearer(token), ...(payload === undefined ? {} : { payload }) });
  const write = async (path: string, value: string) => {
    const r = await call('PUT', `/v1/secrets/${path}`, { data: { value } });
    expect(r.statusCode, r.body).toBe(200);
    written.set(`${path}@${r.json<{ version: number }>().version}`, value);
  };
  const kemVersions = () =>
    v.storage.secrets
      .listPaths({ from: '', to: '\u007f' }, undefined, 1000)
      .flatMap((p) => v.storage.secrets.listVersions(p).map((r) => r.kemVersion));

  beforeAll(async () => {
    v = await makeVault();
    await unseal(v);
    token = (await login(v, v.adminKey as string)).token;
  });
  afterAll(async () => {
    await v.cleanup();
  });

  it('resumes after a crash and lets the old KEM version retire', async () => {
    for (let i = 0; i < 8; i++) await write(`r/s${i}`, `old-${i}`);
    await write('r/s0', 'old-0-v2');
    // Read once so the cache holds entries that the rewrap must evict.
    expect((await call('GET', '/v1/secrets/r/s1')).statusCode).toBe(200);
    const rot = await call('POST', '/v1/keys/kem/rotate');
    expect(rot.json<{ version: number }>().version).toBe(2);
    for (let i = 8; i < 11; i++) await write(`r/s${i}`, `new-${i}`);
    expect(kemVersions().filter((k) => k === 1)).toHaveLength(9);

    // Retiring KEM v1 is refused while rows are sealed under it.
    expectError(await call('POST', '/v1/keys/kem/min-decrypt-version', { version: 2 }), 409, 'OV_REWRAP_REQUIRED');

    const svc = new SecretService({ storage: v.storage, provider: selectProvider('noble'), keyring: v.vault.keyring, signature: 'ML-DSA-65', now: () => v.clock.t });
    const first = rewrapBatch(svc, { batchSize: 4 });
    expect(first).toMatchObject({ rewrapped: 4, failed: 0, skipped: 0, end: false, keyVersion: 2 });
    expect(() =>
      rewrapBatch(svc, {
        batchSize: 4,
        ...(first.cursor === undefined ? {} : { after: first.cursor }),
        beforeCommit: () => {
          throw new Error('simulated crash');
        },
      }),
    ).toThrow('simulated crash');
    // The crashed batch left nothing behind: exactly the first batch is done.
    expect(v.storage.secrets.countStale(2)).toBe(5);

    const slice = await call('POST', '/v1/keys/kem/rewrap', { batch_size: 2, max_versions: 2 });
    expect(slice.json()).toEqual({ rewrapped: 2, remaining: 3, key_version: 2, done: false });
    const rest = await call('POST', '/v1/keys/kem/rewrap');
    expect(rest.statusCode, rest.body).toBe(200);
    expect(rest.json()).toEqual({ rewrapped: 3, remaining: 0, key_version: 2, done: true });
    expect(kemVersions().every((k) => k === 2)).toBe(true);

    const retire = await call('POST', '/v1/keys/kem/min-decrypt-version', { version: 2 });
    expect(retire.statusCode, retire.body).toBe(200);
    expect(retire.json<{ min_decrypt_version: number }>().min_decrypt_version).toBe(2);

    for (const [key, value] of written) {
      const [path, version] = key.split('@') as [string, string];
      const r = await call('GET', `/v1/secrets/${path}?version=${version}`);
      expect(r.statusCode, `${key}: ${r.body}`).toBe(200);
      expect(r.json<{ data: { value: string } }>().data.value).toBe(value);
    }
    // Nothing left to do: a further rewrap is a no-op.
    expect((await call('POST', '/v1/keys/kem/rewrap', { batch_size: 10 })).json()).toEqual({ rewrapped: 0, remaining: 0, key_version: 2, done: true });
    expectError(await call('POST', '/v1/keys/sign/rewrap'), 400, 'OV_INVALID_ARGUMENT');
  });
});

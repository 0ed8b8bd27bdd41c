/**
 * `/v1/transit` through the real server (inject): every operation on every key type,
 * rotation with a raised min_decryption_version and rewrap, batches in input order with
 * per-item errors, tampered ciphertexts and signatures, roles and `transit/<name>` scopes,
 * bad input refused with its exact code and nothing changed, no-store on key material,
 * and audit entries that name the key but never carry an input.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries, bearer, expectError, login, makeVault, unseal, type TestVault } from './helpers.js';

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const unb64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

interface KeyBody {
  name: string;
  type: string;
  latest_version: number;
  min_decryption_version: number;
  keys: Record<string, { creation_time: number; public_key?: string }>;
}

describe('transit routes', () => {
  let v: TestVault;
  let admin: string;
  let operator: string;
  let reader: string;
  let scoped: string;

  const token = async (role: string, scope: string): Promise<string> => {
    const r = await v.app.inject({ method: 'POST', url: '/v1/apikeys', headers: bearer(admin), payload: { role, scope, label: `${role} ${scope}` } });
    expect(r.statusCode, r.body).toBe(201);
    return (await login(v, r.json<{ key: string }>().key)).token;
  };
  const call = (t: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    v.app.inject({ method, url, headers: bearer(t), ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  const ok = async <T>(t: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown): Promise<T> => {
    const r = await call(t, method, url, payload);
    expect(r.statusCode, r.body).toBe(200);
    return r.json<T>();
  };
  const create = (name: string, body: Record<string, unknown> = {}) => ok<KeyBody>(admin, 'POST', `/v1/transit/keys/${name}`, body);
  const snapshot = () => JSON.stringify([v.storage.transit.listKeys(), v.storage.transit.listKeys().map((n) => [v.storage.transit.getKey(n), v.storage.transit.listVersions(n).map((r) => r.version)])]);

  beforeAll(async () => {
    v = await makeVault();
    await unseal(v);
    admin = (await login(v, v.adminKey as string)).token;
    operator = await token('operator', '*');
    reader = await token('reader', '*');
    scoped = await token('operator', 'transit/team-a');
  });
  afterAll(async () => {
    await v.cleanup();
  });

  describe.each(['xwing', 'ml-kem-1024'])('encryption key %s', (type) => {
    const name = `enc-${type}`;
    it('creates, reads, encrypts, decrypts (with associated data), rewraps and makes data keys', async () => {
      const key = await create(name, { type, exportable: true });
      expect(key).toMatchObject({ name, type, latest_version: 1, supports_encryption: true, supports_signing: false });
      expect(key.keys['1']?.public_key).toMatch(/^-----BEGIN ONTOREF PUBLIC KEY-----/);
      expect(await ok(reader, 'GET', `/v1/transit/keys/${name}`)).toEqual(key);

      const enc = await ok<{ ciphertext: string; key_version: number }>(operator, 'POST', `/v1/transit/encrypt/${name}`, { plaintext: b64('hello transit'), associated_data: b64('row 7') });
      expect(enc.ciphertext).toMatch(/^ontoref:v1:/);
      const r = await call(operator, 'POST', `/v1/transit/decrypt/${name}`, { ciphertext: enc.ciphertext, associated_data: b64('row 7') });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.headers['cache-control']).toBe('no-store');
      expect(unb64(r.json<{ plaintext: string }>().plaintext)).toBe('hello transit');
      // Other associated data does not open it.
      expectError(await call(operator, 'POST', `/v1/transit/decrypt/${name}`, { ciphertext: enc.ciphertext, associated_data: b64('row 8') }), 400, 'OV_TRANSIT_CIPHERTEXT_INVALID');

      const rw = await ok<{ ciphertext: string; key_version: number }>(operator, 'POST', `/v1/transit/rewrap/${name}`, { ciphertext: enc.ciphertext, associated_data: b64('row 7') });
      expect(rw.ciphertext).not.toBe(enc.ciphertext);

      const wrapped = await call(operator, 'POST', `/v1/transit/datakey/wrapped/${name}`, { bits: 128 });
      expect(wrapped.statusCode, wrapped.body).toBe(200);
      expect(wrapped.json<Record<string, unknown>>()['plaintext']).toBeUndefined();
      // Every answer of the daemon is no-store, key material or not.
      expect(wrapped.headers['cache-control']).toBe('no-store');
      const plain = await call(operator, 'POST', `/v1/transit/datakey/plaintext/${name}`, {});
      expect(plain.headers['cache-control']).toBe('no-store');
      const dk = plain.json<{ ciphertext: string; plaintext: string }>();
      expect(Buffer.from(dk.plaintext, 'base64')).toHaveLength(32);
      const opened = await ok<{ plaintext: string }>(operator, 'POST', `/v1/transit/decrypt/${name}`, { ciphertext: dk.ciphertext });
      expect(opened.plaintext).toBe(dk.plaintext);

      const exp = await call(admin, 'GET', `/v1/transit/export/encryption-key/${name}`);
      expect(exp.statusCode, exp.body).toBe(200);
      expect(exp.headers['cache-control']).toBe('no-store');
      expect(exp.json<{ keys: Record<string, string> }>().keys['1']).toMatch(/^-----BEGIN ONTOREF SECRET KEY-----/);
      expectError(await call(operator, 'POST', `/v1/transit/sign/${name}`, { input: b64('x') }), 400, 'OV_TRANSIT_UNSUPPORTED_OPERATION');
    });
  });

  describe.each(['ml-dsa-65', 'ml-dsa-87', 'falcon-512'])('signing key %s', (type) => {
    const name = `sig-${type}`;
    it('signs and verifies; a tampered signature or input does not verify', async () => {
      await create(name, { type });
      const s = await ok<{ signature: string; key_version: number }>(operator, 'POST', `/v1/transit/sign/${name}`, { input: b64('message') });
      expect(s).toMatchObject({ key_version: 1 });
      expect(await ok(reader, 'POST', `/v1/transit/verify/${name}`, { input: b64('message'), signature: s.signature })).toEqual({ valid: true });
      expect(await ok(reader, 'POST', `/v1/transit/verify/${name}`, { input: b64('messagE'), signature: s.signature })).toEqual({ valid: false });
      const raw = Buffer.from(s.signature.slice('ontoref:v1:'.length), 'base64');
      raw[10] = (raw[10] as number) ^ 1;
      expect(await ok(reader, 'POST', `/v1/transit/verify/${name}`, { input: b64('message'), signature: `ontoref:v1:${raw.toString('base64')}` })).toEqual({ valid: false });
      expectError(await call(reader, 'POST', `/v1/transit/verify/${name}`, { input: b64('message'), signature: 'ontoref:v1:@@' }), 400, 'OV_TRANSIT_CIPHERTEXT_INVALID');
      if (type !== 'falcon-512') {
        const digest = createHash('sha512').update('big message').digest('base64');
        const p = await ok<{ signature: string }>(operator, 'POST', `/v1/transit/sign/${name}`, { input: digest, prehashed: true, hash_algorithm: 'sha2-512' });
        expect(await ok(reader, 'POST', `/v1/transit/verify/${name}`, { input: digest, signature: p.signature, prehashed: true })).toEqual({ valid: true });
      } else {
        expectError(await call(operator, 'POST', `/v1/transit/sign/${name}`, { input: b64('m'), prehashed: true }), 400, 'OV_TRANSIT_PREHASH_UNSUPPORTED');
      }
      expectError(await call(operator, 'POST', `/v1/transit/encrypt/${name}`, { plaintext: b64('x') }), 400, 'OV_TRANSIT_UNSUPPORTED_OPERATION');
    });
  });

  describe.each(['hmac-sha256', 'hmac-sha3-256'])('HMAC key %s', (type) => {
    const name = `mac-${type}`;
    it('HMACs and verifies; another input does not verify', async () => {
      await create(name, { type });
      const h = await ok<{ hmac: string }>(operator, 'POST', `/v1/transit/hmac/${name}`, { input: b64('data') });
      expect(h.hmac).toMatch(/^ontoref:v1:/);
      expect(await ok(reader, 'POST', `/v1/transit/verify/${name}`, { input: b64('data'), hmac: h.hmac })).toEqual({ valid: true });
      expect(await ok(reader, 'POST', `/v1/transit/verify/${name}`, { input: b64('datA'), hmac: h.hmac })).toEqual({ valid: false });
      expectError(await call(admin, 'GET', `/v1/transit/export/hmac-key/${name}`), 403, 'OV_TRANSIT_EXPORT_NOT_ALLOWED');
    });
  });

  it('after rotate and a raised min_decryption_version, old ciphertexts are refused and rewrap brings them forward', async () => {
    const name = 'rotating';
    await create(name);
    const old = await ok<{ ciphertext: string }>(operator, 'POST', `/v1/transit/encrypt/${name}`, { plaintext: b64('old one') });
    const rotated = await ok<KeyBody>(admin, 'POST', `/v1/transit/keys/${name}/rotate`);
    expect(rotated.latest_version).toBe(2);
    const fresh = await ok<{ ciphertext: string; key_version: number }>(operator, 'POST', `/v1/transit/rewrap/${name}`, { ciphertext: old.ciphertext });
    expect(fresh).toMatchObject({ key_version: 2 });
    expect(fresh.ciphertext).toMatch(/^ontoref:v2:/);
    const cfg = await ok<KeyBody>(admin, 'POST', `/v1/transit/keys/${name}/config`, { min_decryption_version: 2 });
    expect(cfg.min_decryption_version).toBe(2);
    expectError(await call(operator, 'POST', `/v1/transit/decrypt/${name}`, { ciphertext: old.ciphertext }), 400, 'OV_TRANSIT_VERSION_RETIRED');
    expectError(await call(operator, 'POST', `/v1/transit/rewrap/${name}`, { ciphertext: old.ciphertext }), 400, 'OV_TRANSIT_VERSION_RETIRED');
    expect(unb64((await ok<{ plaintext: string }>(operator, 'POST', `/v1/transit/decrypt/${name}`, { ciphertext: fresh.ciphertext })).plaintext)).toBe('old one');
    expect(await ok(admin, 'POST', `/v1/transit/keys/${name}/trim`, { min_available_version: 2 })).toEqual({ trimmed: 1 });
    expect(Object.keys((await ok<KeyBody>(reader, 'GET', `/v1/transit/keys/${name}`)).keys)).toEqual(['2']);
  });

  it('keeps batch order with per-item errors', async () => {
    const name = 'batch';
    await create(name);
    const enc = await ok<{ batch_results: { ciphertext?: string; error?: { code: string } }[] }>(operator, 'POST', `/v1/transit/encrypt/${name}`, {
      batch_input: [{ plaintext: b64('a') }, { plaintext: 'not base64!' }, { plaintext: b64('c') }, {}],
    });
    expect(enc.batch_results.map((r) => r.error?.code ?? 'ok')).toEqual(['ok', 'OV_INVALID_ARGUMENT', 'ok', 'OV_INVALID_ARGUMENT']);
    const cts = enc.batch_results.map((r) => r.ciphertext);
    const dec = await ok<{ batch_results: { plaintext?: string; error?: { code: string } }[] }>(operator, 'POST', `/v1/transit/decrypt/${name}`, {
      batch_input: [{ ciphertext: cts[2] }, { ciphertext: 'ontoref:v1:AAAA' }, { ciphertext: cts[0] }],
    });
    expect(dec.batch_results.map((r) => r.error?.code ?? unb64(r.plaintext as string))).toEqual(['c', 'OV_TRANSIT_CIPHERTEXT_INVALID', 'a']);
    const entry = auditEntries(v).at(-1) as { detail?: Record<string, unknown> };
    expect(entry.detail).toMatchObject({ transit_key: name, operation: 'decrypt', count: 3, errors: 1, versions: '1' });
  });

  it('refuses tampered ciphertexts', async () => {
    const name = 'tamper';
    await create(name);
    const { ciphertext } = await ok<{ ciphertext: string }>(operator, 'POST', `/v1/transit/encrypt/${name}`, { plaintext: b64('secret') });
    const body = Buffer.from(ciphertext.slice('ontoref:v1:'.length), 'base64');
    for (const at of [0, 40, body.length - 1]) {
      const t = Buffer.from(body);
      t[at] = (t[at] as number) ^ 0x80;
      expectError(await call(operator, 'POST', `/v1/transit/decrypt/${name}`, { ciphertext: `ontoref:v1:${t.toString('base64')}` }), 400, 'OV_TRANSIT_CIPHERTEXT_INVALID');
    }
    expectError(await call(operator, 'POST', `/v1/transit/decrypt/${name}`, { ciphertext: ciphertext.replace('v1', 'v9') }), 400, 'OV_TRANSIT_CIPHERTEXT_INVALID');
    expectError(await call(operator, 'POST', `/v1/transit/decrypt/other-${name}`, { ciphertext }), 404, 'OV_TRANSIT_KEY_NOT_FOUND');
  });

  it('takes create and datakey without a body', async () => {
    const r = await call(admin, 'POST', '/v1/transit/keys/bodyless');
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json<KeyBody>()).toMatchObject({ name: 'bodyless', type: 'xwing' });
    const d = await call(operator, 'POST', '/v1/transit/datakey/wrapped/bodyless');
    expect(d.statusCode, d.body).toBe(200);
    expect(d.json<{ ciphertext: string }>().ciphertext).toMatch(/^ontoref:v1:/);
  });

  it('enforces roles', async () => {
    await create('roles');
    expectError(await call(reader, 'POST', '/v1/transit/encrypt/roles', { plaintext: b64('x') }), 403, 'OV_FORBIDDEN');
    expectError(await call(reader, 'POST', '/v1/transit/sign/roles', { input: b64('x') }), 403, 'OV_FORBIDDEN');
    expectError(await call(operator, 'POST', '/v1/transit/keys/roles/rotate'), 403, 'OV_FORBIDDEN');
    expectError(await call(operator, 'POST', '/v1/transit/keys/new-one', {}), 403, 'OV_FORBIDDEN');
    expectError(await call(operator, 'GET', '/v1/transit/export/encryption-key/roles'), 403, 'OV_FORBIDDEN');
    expectError(await call(operator, 'POST', '/v1/transit/restore', { backup: 'AAAA' }), 403, 'OV_FORBIDDEN');
    expect(v.storage.transit.getKey('new-one')).toBeUndefined();
  });

  it('scopes keys as paths: out of scope is 403 whether the key exists or not, and lists show only keys in scope', async () => {
    await create('team-a');
    await create('team-b');
    const ct = await ok<{ ciphertext: string }>(scoped, 'POST', '/v1/transit/encrypt/team-a', { plaintext: b64('mine') });
    expect(ct.ciphertext).toMatch(/^ontoref:v1:/);
    expectError(await call(scoped, 'POST', '/v1/transit/encrypt/team-b', { plaintext: b64('x') }), 403, 'OV_FORBIDDEN');
    expectError(await call(scoped, 'POST', '/v1/transit/encrypt/team-c', { plaintext: b64('x') }), 403, 'OV_FORBIDDEN');
    expectError(await call(scoped, 'GET', '/v1/transit/keys/team-b'), 403, 'OV_FORBIDDEN');
    expect(await ok(scoped, 'GET', '/v1/transit/keys')).toEqual({ keys: ['team-a'] });
    expect((await ok<{ keys: string[] }>(reader, 'GET', '/v1/transit/keys')).keys).toEqual(expect.arrayContaining(['team-a', 'team-b']));
  });

  it('refuses bad input with its exact code and changes nothing', async () => {
    await create('fixed', { type: 'xwing' });
    const before = snapshot();
    const cases: [string, 'GET' | 'POST' | 'DELETE', string, unknown, number, string][] = [
      ['bad name', 'POST', '/v1/transit/keys/Bad_Name', {}, 400, 'OV_TRANSIT_NAME_INVALID'],
      ['unknown type', 'POST', '/v1/transit/keys/nt', { type: 'rsa-2048' }, 400, 'OV_ALGORITHM_UNSUPPORTED'],
      ['other type', 'POST', '/v1/transit/keys/fixed', { type: 'ml-kem-1024' }, 409, 'OV_TRANSIT_KEY_EXISTS'],
      ['unknown field', 'POST', '/v1/transit/keys/nf', { colour: 'red' }, 400, 'OV_BAD_REQUEST'],
      ['config below stored', 'POST', '/v1/transit/keys/fixed/config', { min_decryption_version: 5 }, 400, 'OV_INVALID_ARGUMENT'],
      ['exportable off', 'POST', '/v1/transit/keys/enc-xwing/config', { exportable: false }, 400, 'OV_INVALID_ARGUMENT'],
      ['delete not allowed', 'DELETE', '/v1/transit/keys/fixed', undefined, 400, 'OV_TRANSIT_DELETION_NOT_ALLOWED'],
      ['trim above min', 'POST', '/v1/transit/keys/fixed/trim', { min_available_version: 2 }, 400, 'OV_INVALID_ARGUMENT'],
      ['export not allowed', 'GET', '/v1/transit/export/encryption-key/fixed', undefined, 403, 'OV_TRANSIT_EXPORT_NOT_ALLOWED'],
      ['batch and single', 'POST', '/v1/transit/encrypt/fixed', { plaintext: b64('x'), batch_input: [{ plaintext: b64('x') }] }, 400, 'OV_INVALID_ARGUMENT'],
      ['empty batch', 'POST', '/v1/transit/encrypt/fixed', { batch_input: [] }, 400, 'OV_BAD_REQUEST'],
      ['future version', 'POST', '/v1/transit/encrypt/fixed', { plaintext: b64('x'), key_version: 3 }, 404, 'OV_TRANSIT_KEY_NOT_FOUND'],
      ['bad bits', 'POST', '/v1/transit/datakey/wrapped/fixed', { bits: 100 }, 400, 'OV_INVALID_ARGUMENT'],
      ['bad datakey kind', 'POST', '/v1/transit/datakey/both/fixed', {}, 400, 'OV_BAD_REQUEST'],
      ['bad recipient', 'POST', '/v1/transit/backup/fixed', { recipient: 'x' }, 400, 'OV_ARMOR_INVALID'],
      ['restore garbage', 'POST', '/v1/transit/restore/fixed2', { backup: 'AAAA' }, 400, 'OV_TRANSIT_BACKUP_INVALID'],
      ['missing key', 'POST', '/v1/transit/keys/absent/rotate', undefined, 404, 'OV_TRANSIT_KEY_NOT_FOUND'],
    ];
    for (const [what, method, url, payload, status, code] of cases) {
      const r = await call(admin, method, url, payload);
      expect(`${what}: ${r.statusCode} ${r.json<{ error: { code: string } }>().error?.code}`).toBe(`${what}: ${status} ${code}`);
    }
    expect(snapshot()).toBe(before);
  });

  it('backs up to this vault, restores under a new name, and deletes when allowed', async () => {
    await create('movable', { allow_plaintext_backup: true, deletion_allowed: true });
    const { ciphertext } = await ok<{ ciphertext: string }>(operator, 'POST', '/v1/transit/encrypt/movable', { plaintext: b64('kept') });
    const kem = (await ok<{ keys: { name: string; versions: { public_key?: string }[] }[] }>(admin, 'GET', '/v1/keys')).keys;
    const recipient = kem.find((k) => k.name === 'kem')?.versions.at(-1)?.public_key;
    expect(recipient, JSON.stringify(kem)).toBeDefined();
    const { backup } = await ok<{ backup: string }>(admin, 'POST', '/v1/transit/backup/movable', { recipient });
    expectError(await call(admin, 'POST', '/v1/transit/restore', { backup }), 409, 'OV_TRANSIT_KEY_EXISTS');
    const restored = await ok<KeyBody>(admin, 'POST', '/v1/transit/restore/movable-copy', { backup });
    expect(restored).toMatchObject({ name: 'movable-copy', latest_version: 1 });
    const r = await call(admin, 'DELETE', '/v1/transit/keys/movable');
    expect(r.statusCode, r.body).toBe(204);
    expect(v.storage.transit.getKey('movable')).toBeUndefined();
    // Bound to the name: the copy does not open the original's ciphertexts.
    expectError(await call(operator, 'POST', '/v1/transit/decrypt/movable-copy', { ciphertext }), 400, 'OV_TRANSIT_CIPHERTEXT_INVALID');
  });

  it('audits key, operation and versions, never an input', async () => {
    const marker = 'c2VjcmV0LW1hcmtlci12YWx1ZQ';
    await create('audited');
    await ok(operator, 'POST', '/v1/transit/encrypt/audited', { plaintext: `${marker}==`, associated_data: `${marker}==` });
    const entry = auditEntries(v).at(-1) as { detail?: Record<string, unknown> };
    expect(entry.detail).toEqual({ transit_key: 'audited', operation: 'encrypt', versions: '1', count: 1, errors: 0 });
    expect(JSON.stringify(auditEntries(v))).not.toContain(marker);
  });
});

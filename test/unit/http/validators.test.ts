/**
 * `/v1/validators` through the real server (inject): the contract's shapes and status
 * codes, roles and `validators/<name>` scopes, the rotation workflow with ten concurrent
 * promote requests (exactly one wins), history that verifies offline with the returned
 * public keys, confirmed destruction, bulk import, bad input refused without change, and
 * audit entries that name the slot but never carry key material.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYMANAGER_SCHEMAS, VALIDATOR_SCHEMAS } from '../../../src/api/index.js';
import { LOG_REDACT_PATHS } from '../../../src/http/server.js';
import { decryptKeystore, deriveEth2Key, encryptKeystore, exportSolanaKeypair, formatPublicKey, generateKey, mnemonicToSeed } from '../../../src/validators/index.js';
import { verifyValidatorHistory } from '../../../src/validators/records.js';
import { auditEntries, bearer, expectError, loggedServer, login, makeVault, unseal, type TestVault } from './helpers.js';

interface KeyBody {
  id: string;
  key_type: string;
  public_key: string;
  address: string | null;
  state: string;
  created_at: string;
  activated_at: string | null;
  retired_at: string | null;
  source: string;
}
interface SlotBody {
  name: string;
  chain: string;
  labels: Record<string, string>;
  metadata: Record<string, string>;
  signing_state: Record<string, unknown>;
  created_at: string;
  keys: KeyBody[];
}

describe('validator routes', () => {
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
  const call = (t: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    v.app.inject({ method, url, headers: bearer(t), ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  const counts = () => v.storage.validators.counts();

  beforeAll(async () => {
    v = await makeVault();
    await unseal(v);
    admin = (await login(v, v.adminKey as string)).token;
    operator = await token('operator', '*');
    reader = await token('reader', '*');
    scoped = await token('operator', 'validators/team-a');
  });
  afterAll(async () => {
    await v.cleanup();
  });

  it('creates a slot with its first key active, in the contract shape', async () => {
    const key = generateKey('solana');
    const r = await call(operator, 'POST', '/v1/validators', {
      name: 'sol-main',
      chain: 'solana',
      format: 'solana',
      key_file: exportSolanaKeypair(key),
      labels: { env: 'prod' },
      metadata: { fee_recipient: 'treasury' },
    });
    expect(r.statusCode, r.body).toBe(201);
    const slot = r.json<SlotBody>();
    expect(Object.keys(slot).sort()).toEqual(['chain', 'created_at', 'keys', 'labels', 'metadata', 'name', 'signing_state']);
    expect(slot).toMatchObject({ name: 'sol-main', chain: 'solana', labels: { env: 'prod' }, metadata: { fee_recipient: 'treasury' }, signing_state: {} });
    expect(slot.keys).toHaveLength(1);
    const k = slot.keys[0] as KeyBody;
    expect(k).toMatchObject({ key_type: 'Ed25519', public_key: formatPublicKey('solana', key.publicKey), state: 'active', source: 'imported-solana', retired_at: null });
    expect(k.address).toBe(k.public_key);
    expect(k.id).toMatch(/^[0-9a-f-]{36}$/);
    const shown = await call(reader, 'GET', '/v1/validators/sol-main');
    expect(shown.json()).toEqual(slot);
    const list = await call(reader, 'GET', '/v1/validators?chain=solana&state=active');
    expect(list.json<{ validators: SlotBody[] }>().validators.map((s) => s.name)).toEqual(['sol-main']);
    // The audit entry names the slot and key, never the key file.
    const entry = auditEntries(v).reverse().find((e) => e.method === 'POST' && e.path === '/v1/validators');
    expect(entry?.detail).toMatchObject({ validator: 'sol-main', action: 'import', key_id: k.id });
    expect(JSON.stringify(auditEntries(v))).not.toContain(exportSolanaKeypair(key).slice(1, 40));
  });

  it('enforces roles and validators/<name> scopes', async () => {
    const before = counts();
    expectError(await call(reader, 'POST', '/v1/validators', { name: 'r', chain: 'cosmos', format: 'generate' }), 403, 'OV_FORBIDDEN');
    expectError(await call(scoped, 'POST', '/v1/validators', { name: 'team-b', chain: 'cosmos', format: 'generate' }), 403, 'OV_FORBIDDEN');
    expect(counts()).toEqual(before);
    const ok = await call(scoped, 'POST', '/v1/validators', { name: 'team-a', chain: 'cosmos', format: 'generate' });
    expect(ok.statusCode, ok.body).toBe(201);
    // A scoped session sees only its slot; others are 403 whether they exist or not.
    const list = await call(scoped, 'GET', '/v1/validators');
    expect(list.json<{ validators: SlotBody[] }>().validators.map((s) => s.name)).toEqual(['team-a']);
    expectError(await call(scoped, 'GET', '/v1/validators/sol-main'), 403, 'OV_FORBIDDEN');
    expectError(await call(scoped, 'GET', '/v1/validators/nothing-here'), 403, 'OV_FORBIDDEN');
    expectError(await call(admin, 'GET', '/v1/validators/nothing-here'), 404, 'OV_VALIDATOR_NOT_FOUND');
    // Export and destroy are admin operations.
    expectError(await call(operator, 'POST', '/v1/validators/team-a/export', { format: 'cosmos' }), 403, 'OV_FORBIDDEN');
    const unauth = await v.app.inject({ method: 'GET', url: '/v1/validators' });
    expectError(unauth, 401, 'OV_AUTH_INVALID');
  });

  it('refuses bad input with the exact code and changes nothing', async () => {
    const before = counts();
    expectError(await call(operator, 'POST', '/v1/validators', { name: 'Bad Name', chain: 'cosmos', format: 'generate' }), 400, 'OV_BAD_REQUEST');
    expectError(await call(operator, 'POST', '/v1/validators', { name: 'x', chain: 'cosmos', format: 'generate', secret: 'y' }), 400, 'OV_BAD_REQUEST');
    expectError(await call(operator, 'POST', '/v1/validators', { name: 'x', chain: 'bitcoin', format: 'generate' }), 400, 'OV_BAD_REQUEST');
    expectError(await call(operator, 'POST', '/v1/validators', { name: 'x', chain: 'cosmos', format: 'cosmos', key_file: '{"nope":1}' }), 400, 'OV_VALIDATOR_KEY_INVALID');
    expectError(await call(operator, 'POST', '/v1/validators', { name: 'x', chain: 'ethereum', format: 'eip2335', keystore: '{', password: 'p' }), 400, 'OV_KEYSTORE_INVALID');
    expectError(await call(operator, 'POST', '/v1/validators', { name: 'sol-main', chain: 'solana', format: 'generate' }), 409, 'OV_VALIDATOR_EXISTS');
    expectError(await call(operator, 'POST', '/v1/validators/sol-main/promote', { force: true }), 400, 'OV_BAD_REQUEST');
    expectError(await call(operator, 'PUT', '/v1/validators/sol-main/signing-state', { height: '5', round: 0, step: 0 }), 400, 'OV_INVALID_ARGUMENT');
    expectError(await call(reader, 'GET', '/v1/validators?chain=ethereum&x=1'), 400, 'OV_BAD_REQUEST');
    expect(counts()).toEqual(before);
  });

  it('rotates and promotes with exactly one winner among ten concurrent promotes', async () => {
    const created = await call(operator, 'POST', '/v1/validators', { name: 'cos-1', chain: 'cosmos', format: 'generate' });
    const oldId = created.json<SlotBody>().keys[0]?.id;
    const raised = await call(operator, 'PUT', '/v1/validators/cos-1/signing-state', { height: '900', round: 0, step: 2 });
    expect(raised.json<SlotBody>().signing_state).toEqual({ height: '900', round: 0, step: 2 });
    expectError(await call(operator, 'PUT', '/v1/validators/cos-1/signing-state', { height: '899', round: 5, step: 3 }), 409, 'OV_SIGNING_STATE_REGRESSION');
    expectError(await call(operator, 'POST', '/v1/validators/cos-1/promote', {}), 409, 'OV_VALIDATOR_STATE');

    const rotated = await call(operator, 'POST', '/v1/validators/cos-1/rotate', { format: 'generate' });
    expect(rotated.statusCode, rotated.body).toBe(201);
    const pending = rotated.json<SlotBody>().keys.find((k) => k.state === 'pending') as KeyBody;
    expect(pending.activated_at).toBeNull();

    const answers = await Promise.all(Array.from({ length: 10 }, () => call(operator, 'POST', '/v1/validators/cos-1/promote', {})));
    const ok = answers.filter((a) => a.statusCode === 200);
    expect(ok).toHaveLength(1);
    for (const a of answers.filter((x) => x.statusCode !== 200)) expectError(a, 409, 'OV_VALIDATOR_STATE');
    const slot = (await call(reader, 'GET', '/v1/validators/cos-1')).json<SlotBody>();
    expect(slot.keys.filter((k) => k.state === 'active').map((k) => k.id)).toEqual([pending.id]);
    expect(slot.keys.find((k) => k.id === oldId)?.state).toBe('retired');
    expect(slot.signing_state).toEqual({ height: '900', round: 0, step: 2 });

    const h = (await call(reader, 'GET', '/v1/validators/cos-1/history')).json<{ records: { action: string; signing_state: unknown }[]; public_keys: string[] }>();
    expect(h.records.map((r) => r.action)).toEqual(['import', 'signing-state', 'rotate', 'promote']);
    expect(h.records[3]?.signing_state).toEqual({ height: '900', round: 0, step: 2 });
    expect(h.public_keys[0]).toContain('BEGIN ONTOREF PUBLIC KEY');
    expect(verifyValidatorHistory(h.records, h.public_keys)).toEqual({ ok: true });
  });

  it('retires, exports (admin) and destroys a retired key only with confirmation', async () => {
    await call(operator, 'POST', '/v1/validators', { name: 'eth-x', chain: 'ethereum', format: 'generate' });
    const exp = await call(admin, 'POST', '/v1/validators/eth-x/export', { format: 'eip2335', password: 'export-pass-1' });
    expect(exp.statusCode, exp.body).toBe(200);
    const files = exp.json<{ files: Record<string, string> }>().files;
    expect(Object.keys(files)).toEqual(['keystore.json']);
    const back = await decryptKeystore(files['keystore.json'] as string, 'export-pass-1');
    const slot = (await call(reader, 'GET', '/v1/validators/eth-x')).json<SlotBody>();
    const k = slot.keys[0] as KeyBody;
    expect(formatPublicKey('ethereum', back.publicKey)).toBe(k.public_key);
    expectError(await call(admin, 'POST', '/v1/validators/eth-x/export', { format: 'eip2335', password: 'short' }), 400, 'OV_INVALID_ARGUMENT');

    expectError(await call(admin, 'DELETE', `/v1/validators/eth-x/keys/${k.id}?confirm=${k.public_key}`), 409, 'OV_VALIDATOR_STATE');
    const retired = await call(operator, 'POST', '/v1/validators/eth-x/retire');
    expect(retired.statusCode, retired.body).toBe(200);
    expect(retired.json<SlotBody>().keys[0]?.state).toBe('retired');
    const before = counts();
    expectError(await call(admin, 'DELETE', `/v1/validators/eth-x/keys/${k.id}`), 400, 'OV_CONFIRMATION_REQUIRED');
    expectError(await call(admin, 'DELETE', `/v1/validators/eth-x/keys/${k.id}?confirm=0x00`), 400, 'OV_CONFIRMATION_REQUIRED');
    expectError(await call(operator, 'DELETE', `/v1/validators/eth-x/keys/${k.id}?confirm=${k.public_key}`), 403, 'OV_FORBIDDEN');
    expect(counts()).toEqual(before);
    const d = await call(admin, 'DELETE', `/v1/validators/eth-x/keys/${k.id}?confirm=${k.public_key}`);
    expect(d.statusCode, d.body).toBe(200);
    expect(d.json()).toEqual({ destroyed: k.id });
    expect((await call(reader, 'GET', '/v1/validators/eth-x')).json<SlotBody>().keys).toEqual([]);
    const h = (await call(reader, 'GET', '/v1/validators/eth-x/history')).json<{ records: { action: string }[]; public_keys: string[] }>();
    expect(h.records.map((r) => r.action)).toEqual(['import', 'retire', 'destroy']);
    expect(verifyValidatorHistory(h.records, h.public_keys)).toEqual({ ok: true });
  });

  it('takes a URL-encoded base64 public key as confirmation (cosmos)', async () => {
    const created = await call(operator, 'POST', '/v1/validators', { name: 'cos-destroy', chain: 'cosmos', format: 'generate' });
    const k = created.json<SlotBody>().keys[0] as KeyBody;
    expect((await call(operator, 'POST', '/v1/validators/cos-destroy/retire')).statusCode).toBe(200);
    const d = await call(admin, 'DELETE', `/v1/validators/cos-destroy/keys/${k.id}?${new URLSearchParams({ confirm: k.public_key }).toString()}`);
    expect(d.statusCode, d.body).toBe(200);
    expect(d.json()).toEqual({ destroyed: k.id });
  });

  /** Reads an import job until it is no longer running (bounded by count, not by time). */
  const finished = async (t: string, id: string): Promise<{ state: string; total: number; done: number; results?: unknown[] }> => {
    for (let i = 0; i < 6000; i++) {
      const r = await call(t, 'GET', `/v1/validators/import/${id}`);
      expect(r.statusCode, r.body).toBe(200);
      const job = r.json<{ state: string; total: number; done: number; results?: unknown[] }>();
      if (job.state !== 'running') return job;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error('import job did not finish');
  };

  it('bulk-imports keystores with per-item results in input order', async () => {
    const keys = [generateKey('ethereum'), generateKey('ethereum')];
    const files = await Promise.all(keys.map((k) => encryptKeystore(k, 'bulk-password', { kdf: 'pbkdf2', pbkdf2C: 1024 })));
    const r = await call(operator, 'POST', '/v1/validators/import', {
      chain: 'ethereum',
      state: 'active',
      items: [
        { keystore: files[0], password: 'bulk-password' },
        { name: 'bulk-two', keystore: files[1], password: 'bulk-password' },
        { keystore: files[0], password: 'bulk-password' },
        { keystore: files[1], password: 'nope' },
      ],
    });
    expect(r.statusCode, r.body).toBe(202);
    const started = r.json<{ id: string; state: string; total: number; done: number; finished_at: string | null }>();
    expect(started).toMatchObject({ state: 'running', total: 4, done: 0, finished_at: null });
    const job = await finished(operator, started.id);
    const pub0 = formatPublicKey('ethereum', (keys[0] as { publicKey: Uint8Array }).publicKey);
    expect(job).toMatchObject({ id: started.id, state: 'done', total: 4, done: 4 });
    expect(job.results).toEqual([
        { index: 0, status: 'imported', name: `eth-${pub0.slice(2, 10)}`, public_key: pub0 },
        { index: 1, status: 'imported', name: 'bulk-two', public_key: formatPublicKey('ethereum', (keys[1] as { publicKey: Uint8Array }).publicKey) },
        { index: 2, status: 'duplicate', name: `eth-${pub0.slice(2, 10)}`, public_key: pub0 },
        { index: 3, status: 'error', code: 'OV_KEYSTORE_PASSWORD', message: 'wrong keystore password' },
    ]);
    // Only the API key that started a job reads it; an unknown id looks the same.
    expectError(await call(admin, 'GET', `/v1/validators/import/${started.id}`), 404, 'OV_NOT_FOUND');
    expectError(await call(operator, 'GET', '/v1/validators/import/7a1c0d2e-5b3a-4c1d-9e8f-0a1b2c3d4e5f'), 404, 'OV_NOT_FOUND');
    expectError(await call(operator, 'POST', '/v1/validators/import', { chain: 'cosmos', items: [] }), 400, 'OV_BAD_REQUEST');
    // A scoped operator may not name a slot outside its scope.
    expectError(await call(scoped, 'POST', '/v1/validators/import', { chain: 'ethereum', items: [{ name: 'elsewhere', keystore: files[0], password: 'x' }] }), 403, 'OV_FORBIDDEN');
  });

  it('derives the next key from the mnemonic stored at the slot mnemonic_ref (EIP-2333/2334)', async () => {
    const mnemonic = 'abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about';
    const put = await call(operator, 'PUT', '/v1/secrets/validators/eth-derived/seed', { data: { mnemonic } });
    expect(put.statusCode, put.body).toBe(200);
    const created = await call(operator, 'POST', '/v1/validators', {
      name: 'eth-derived',
      chain: 'ethereum',
      format: 'generate',
      metadata: { mnemonic_ref: 'validators/eth-derived/seed' },
    });
    expect(created.statusCode, created.body).toBe(201);
    const r = await call(operator, 'POST', '/v1/validators/eth-derived/rotate', { format: 'generate', derive_index: 3 });
    expect(r.statusCode, r.body).toBe(201);
    const pending = r.json<SlotBody>().keys.find((k) => k.state === 'pending') as KeyBody & { derivation_path: string };
    const expected = deriveEth2Key(mnemonicToSeed(mnemonic), 3);
    expect(pending.public_key).toBe(formatPublicKey('ethereum', expected.publicKey));
    expect(pending.source).toBe('derived');
    expect(pending.derivation_path).toBe('m/12381/3600/3/0/0');
    // Without a mnemonic_ref, or on another chain, derivation is refused.
    expectError(await call(operator, 'POST', '/v1/validators/cos-1/rotate', { format: 'generate', derive_index: 0 }), 400, 'OV_INVALID_ARGUMENT');
    expectError(await call(operator, 'POST', '/v1/validators/eth-x/rotate', { format: 'generate', derive_index: 0 }), 400, 'OV_INVALID_ARGUMENT');
  });

  it('closes every object schema of the validator and keymanager routes', () => {
    const objects = (x: unknown, path: string, out: [string, Record<string, unknown>][] = []): [string, Record<string, unknown>][] => {
      if (typeof x !== 'object' || x === null) return out;
      const o = x as Record<string, unknown>;
      if (o.type === 'object' && o.properties !== undefined) out.push([path, o]);
      for (const [k, val] of Object.entries(o)) objects(val, `${path}.${k}`, out);
      return out;
    };
    const all = Object.entries({ ...VALIDATOR_SCHEMAS, ...KEYMANAGER_SCHEMAS }).flatMap(([name, schema]) => objects(schema, name));
    expect(all.length).toBeGreaterThan(20);
    // The keymanager spec's two request bodies admit unnamed fields (ignored); everything else is closed.
    for (const [path, o] of all) expect(o.additionalProperties, path).toBe(['KEYMANAGER_IMPORT_BODY', 'KEYMANAGER_DELETE_BODY'].includes(path));
  });

  it('never writes passwords or key files to the log, even at trace level', async () => {
    for (const p of ['body.password', 'body.passwords', 'body.keystore', 'body.keystores', 'body.key_file']) expect(LOG_REDACT_PATHS).toContain(p);
    const { app, lines } = await loggedServer(v, 'trace');
    try {
      const key = generateKey('ethereum');
      const password = 'LOG-CANARY-PASSWORD-31337';
      const keystore = await encryptKeystore(key, password, { kdf: 'pbkdf2', pbkdf2C: 1024 });
      const created = await app.inject({ method: 'POST', url: '/v1/validators', headers: bearer(operator), payload: { name: 'logged', chain: 'ethereum', format: 'eip2335', keystore, password } });
      expect(created.statusCode, created.body).toBe(201);
      const wrong = await app.inject({ method: 'POST', url: '/v1/validators/import', headers: bearer(operator), payload: { chain: 'ethereum', items: [{ keystore, password: `${password}-x` }] } });
      expect(wrong.statusCode).toBe(202);
      const id = wrong.json<{ id: string }>().id;
      for (let i = 0; i < 6000; i++) {
        const job = await app.inject({ method: 'GET', url: `/v1/validators/import/${id}`, headers: bearer(operator) });
        if (job.json<{ state: string }>().state !== 'running') break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const text = lines.join('\n');
      expect(lines.length).toBeGreaterThan(0);
      expect(text).not.toContain(password);
      expect(text).not.toContain((JSON.parse(keystore) as { crypto: { cipher: { message: string } } }).crypto.cipher.message);
      expect(created.body).not.toContain(password);
    } finally {
      await app.close();
    }
  });
  // Runs last: it rotates the vault's KEM key for the whole shared vault.
  it('rewrap re-seals validator keys too, and the KEM minimum decryption version waits for it', async () => {
    const created = await call(operator, 'POST', '/v1/validators', { name: 'rw-eth', chain: 'ethereum', format: 'generate' });
    expect(created.statusCode, created.body).toBe(201);
    const pub = created.json<SlotBody>().keys[0]?.public_key;
    const rot = await call(admin, 'POST', '/v1/keys/kem/rotate');
    expect(rot.statusCode, rot.body).toBe(200);
    const stale = v.storage.validators.countStale(2);
    expect(stale).toBeGreaterThan(0);
    expectError(await call(admin, 'POST', '/v1/keys/kem/min-decrypt-version', { version: 2 }), 409, 'OV_REWRAP_REQUIRED');
    const rw = await call(admin, 'POST', '/v1/keys/kem/rewrap', {});
    expect(rw.statusCode, rw.body).toBe(200);
    expect(rw.json()).toMatchObject({ remaining: 0, done: true, key_version: 2 });
    expect(rw.json<{ rewrapped: number }>().rewrapped).toBeGreaterThanOrEqual(stale);
    expect(v.storage.validators.countStale(2)).toBe(0);
    const raised = await call(admin, 'POST', '/v1/keys/kem/min-decrypt-version', { version: 2 });
    expect(raised.statusCode, raised.body).toBe(200);
    const exp = await call(admin, 'POST', '/v1/validators/rw-eth/export', { format: 'eip2335', password: 'export-pass-2' });
    expect(exp.statusCode, exp.body).toBe(200);
    const back = await decryptKeystore(exp.json<{ files: Record<string, string> }>().files['keystore.json'] as string, 'export-pass-2');
    expect(formatPublicKey('ethereum', back.publicKey)).toBe(pub);
  });
});

/**
 * The secrets routes over inject(): every route, roles and scopes, CAS, history,
 * delete / undelete / destroy, max_versions pruning, metadata, list paging, field reads,
 * recipient-sealed answers, and the bad-input suite (exact code, store unchanged).
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { armor, dearmor, generateKey, open, publicKeyOf, encodeKey } from '../../../src/envelope/index.js';
import { encodeAgeRecipient } from '../../../src/envelope/age.js';
import { selectProvider } from '../../../src/crypto/provider.js';
import { auditEntries, bearer, expectError, login, makeVault, unseal, type TestVault } from './helpers.js';

const provider = selectProvider('noble');

interface Meta {
  path: string;
  current_version: number;
  oldest_version: number;
  max_versions: number;
  cas_required: boolean;
  custom_metadata: Record<string, string>;
  versions: { version: number; deleted_at: string | null; destroyed: boolean; key_version: number }[];
}

describe('secrets routes', () => {
  let v: TestVault;
  let admin: string;
  const tokens = { reader: '', operator: '', appAdmin: '', otherOperator: '' };

  const call = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, token: string, payload?: unknown, headers: Record<string, string> = {}) =>
    v.app.inject({ method, url, headers: { ...bearer(token), ...headers }, ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  const put = (path: string, payload: unknown, token = admin) => call('PUT', `/v1/secrets/${path}`, token, payload);
  const get = (url: string, token = admin) => call('GET', url, token);
  const meta = async (path: string): Promise<Meta> => {
    const r = await get(`/v1/secrets-metadata/${path}`);
    expect(r.statusCode, r.body).toBe(200);
    return r.json<Meta>();
  };
  /** Everything the secrets tables hold, to prove a refused request changed nothing. */
  const snapshot = () => {
    const s = v.storage.secrets;
    const paths = s.listPaths({ from: '', to: '\u007f' }, undefined, 10_000);
    return paths.map((p) => ({ meta: s.getMeta(p), versions: s.listVersions(p) }));
  };

  const keyFor = async (role: string, scope: string): Promise<string> => {
    const r = await call('POST', '/v1/apikeys', admin, { role, scope, label: `${role} ${scope}` });
    expect(r.statusCode, r.body).toBe(201);
    return (await login(v, r.json<{ key: string }>().key)).token;
  };

  beforeAll(async () => {
    v = await makeVault();
    await unseal(v);
    admin = (await login(v, v.adminKey as string)).token;
    tokens.reader = await keyFor('reader', 'app');
    tokens.operator = await keyFor('operator', 'app');
    tokens.appAdmin = await keyFor('admin', 'app');
    tokens.otherOperator = await keyFor('operator', 'other');
  });
  afterAll(async () => {
    await v.cleanup();
  });

  it('writes and reads data and binary secrets, with the version header', async () => {
    const w = await put('app/db', { data: { password: 'hunter2', user: 'app' } }, tokens.operator);
    expect(w.statusCode, w.body).toBe(200);
    expect(w.json()).toEqual({ path: 'app/db', version: 1, created_at: new Date(v.clock.t).toISOString() });
    const r = await get('/v1/secrets/app/db', tokens.reader);
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['x-ontoref-version']).toBe('1');
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.json()).toEqual({ path: 'app/db', version: 1, created_at: new Date(v.clock.t).toISOString(), data: { password: 'hunter2', user: 'app' } });

    const bytes = Buffer.from([0, 1, 2, 250, 255]);
    expect((await put('app/blob', { binary: bytes.toString('base64') }, tokens.operator)).statusCode).toBe(200);
    const b = await get('/v1/secrets/app/blob', tokens.reader);
    expect(b.json<{ binary: string }>().binary).toBe(bytes.toString('base64'));
    // Reads are audited with the path and version, never the value.
    const last = auditEntries(v).at(-1) as { detail?: Record<string, unknown> };
    expect(last.detail).toEqual({ path: 'app/blob', version: 1 });
    expect(JSON.stringify(auditEntries(v))).not.toContain('hunter2');
  });

  it('reads one field as text, exactly, and 404s a missing field or a binary secret', async () => {
    await put('app/field', { data: { token: 'tök\nen ', other: 'x' } });
    const r = await get('/v1/secrets/app/field?field=token', tokens.reader);
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['x-ontoref-version']).toBe('1');
    expect(r.body).toBe('tök\nen ');
    expectError(await get('/v1/secrets/app/field?field=nope'), 404, 'OV_FIELD_NOT_FOUND');
    expectError(await get('/v1/secrets/app/blob?field=token'), 404, 'OV_FIELD_NOT_FOUND');
    expectError(await get('/v1/secrets/app/field?field=no%20pe'), 400, 'OV_INVALID_ARGUMENT');
  });

  it('reads older versions and keeps history in the metadata', async () => {
    await put('app/hist', { data: { v: '1' } });
    await put('app/hist', { data: { v: '2' } });
    await put('app/hist', { data: { v: '3' } });
    expect((await get('/v1/secrets/app/hist?version=2')).json<{ data: { v: string } }>().data.v).toBe('2');
    expect((await get('/v1/secrets/app/hist')).json<{ version: number }>().version).toBe(3);
    expectError(await get('/v1/secrets/app/hist?version=4'), 404, 'OV_SECRET_NOT_FOUND');
    expectError(await get('/v1/secrets/app/nothing'), 404, 'OV_SECRET_NOT_FOUND');
    const m = await meta('app/hist');
    expect(m).toMatchObject({ path: 'app/hist', current_version: 3, oldest_version: 1, max_versions: 0, cas_required: false, custom_metadata: {} });
    expect(m.versions.map((x) => [x.version, x.deleted_at, x.destroyed, x.key_version])).toEqual([
      [1, null, false, 1],
      [2, null, false, 1],
      [3, null, false, 1],
    ]);
  });

  it('check-and-set: 0 creates only, a mismatch is 409, cas_required demands it', async () => {
    expect((await put('app/cas', { data: { a: '1' }, cas: 0 })).statusCode).toBe(200);
    const before = snapshot();
    expectError(await put('app/cas', { data: { a: '2' }, cas: 0 }), 409, 'OV_CAS_MISMATCH');
    expectError(await put('app/cas', { data: { a: '2' }, cas: 2 }), 409, 'OV_CAS_MISMATCH');
    expect(snapshot()).toEqual(before);
    expect((await put('app/cas', { data: { a: '2' }, cas: 1 })).json<{ version: number }>().version).toBe(2);
    const m = await call('PUT', '/v1/secrets-metadata/app/cas', tokens.operator, { cas_required: true });
    expect(m.json<Meta>().cas_required).toBe(true);
    const r = await put('app/cas', { data: { a: '3' } });
    expectError(r, 409, 'OV_CAS_MISMATCH');
    expect(r.json<{ error: { field?: string } }>().error.field).toBe('body/cas');
    expect((await put('app/cas', { data: { a: '3' }, cas: 2 })).statusCode).toBe(200);
  });

  it('soft-deletes, undeletes and destroys versions', async () => {
    for (const x of ['1', '2', '3']) await put('app/life', { data: { x } });
    const d = await call('DELETE', '/v1/secrets/app/life', tokens.operator);
    expect(d.json()).toEqual({ path: 'app/life', versions: [3] });
    expectError(await get('/v1/secrets/app/life'), 404, 'OV_SECRET_DELETED');
    const d2 = await call('DELETE', '/v1/secrets/app/life?versions=1,2', tokens.operator);
    expect(d2.json()).toEqual({ path: 'app/life', versions: [1, 2] });
    expectError(await get('/v1/secrets/app/life?version=1'), 404, 'OV_SECRET_DELETED');
    const u = await call('POST', '/v1/secrets-undelete/app/life', tokens.operator, { versions: [1, 3] });
    expect(u.json()).toEqual({ path: 'app/life', versions: [1, 3] });
    expect((await get('/v1/secrets/app/life')).json<{ data: { x: string } }>().data.x).toBe('3');
    // Destroy is admin-only (a scoped admin will do).
    expectError(await call('POST', '/v1/secrets-destroy/app/life', tokens.operator, { versions: [1] }), 403, 'OV_FORBIDDEN');
    const x = await call('POST', '/v1/secrets-destroy/app/life', tokens.appAdmin, { versions: [1] });
    expect(x.json()).toEqual({ path: 'app/life', versions: [1] });
    expectError(await get('/v1/secrets/app/life?version=1'), 404, 'OV_SECRET_DESTROYED');
    expect(v.storage.secrets.getVersion('app/life', 1)?.envelope).toBeNull();
    // A destroyed version cannot be undeleted.
    expect((await call('POST', '/v1/secrets-undelete/app/life', tokens.operator, { versions: [1] })).json()).toEqual({ path: 'app/life', versions: [] });
    // Writing after a deleted latest is allowed.
    await call('DELETE', '/v1/secrets/app/life', tokens.operator);
    expect((await put('app/life', { data: { x: '4' } })).json<{ version: number }>().version).toBe(4);
    // Whole-path destroy: admin, 204, then nothing.
    expectError(await call('DELETE', '/v1/secrets-metadata/app/life', tokens.operator), 403, 'OV_FORBIDDEN');
    const all = await call('DELETE', '/v1/secrets-metadata/app/life', tokens.appAdmin);
    expect(all.statusCode).toBe(204);
    expectError(await get('/v1/secrets/app/life'), 404, 'OV_SECRET_NOT_FOUND');
    expect(v.storage.secrets.listVersions('app/life')).toEqual([]);
  });

  it('prunes beyond max_versions, on write and when lowered', async () => {
    await call('PUT', '/v1/secrets-metadata/app/prune', tokens.operator, { max_versions: 3, custom_metadata: { owner: 'team-a' } });
    for (let i = 1; i <= 5; i++) await put('app/prune', { data: { i: String(i) } });
    let m = await meta('app/prune');
    expect(m.versions.map((x) => x.version)).toEqual([3, 4, 5]);
    expect(m.oldest_version).toBe(3);
    expect(m.custom_metadata).toEqual({ owner: 'team-a' });
    expectError(await get('/v1/secrets/app/prune?version=2'), 404, 'OV_SECRET_NOT_FOUND');
    // Pruning is irreversible: an operator may not do it, an admin may.
    const before = snapshot();
    const refused = await call('PUT', '/v1/secrets-metadata/app/prune', tokens.operator, { max_versions: 1 });
    expectError(refused, 403, 'OV_FORBIDDEN');
    expect(snapshot()).toEqual(before);
    expect(auditEntries(v).at(-1)).toMatchObject({ path: '/v1/secrets-metadata/app/prune', status: 403, code: 'OV_FORBIDDEN' });
    // Lowering to exactly the versions stored removes nothing: operator is enough.
    expect((await call('PUT', '/v1/secrets-metadata/app/prune', tokens.operator, { max_versions: 3 })).statusCode).toBe(200);
    expect(snapshot()).toEqual(before.map((e) => (e.meta?.path === 'app/prune' ? { ...e, meta: { ...e.meta, updatedAt: v.clock.t } } : e)));
    m = (await call('PUT', '/v1/secrets-metadata/app/prune', tokens.appAdmin, { max_versions: 1 })).json<Meta>();
    expect(m.versions.map((x) => x.version)).toEqual([5]);
    expect(m.max_versions).toBe(1);
    // Default 10.
    for (let i = 1; i <= 12; i++) await put('app/prune10', { data: { i: String(i) } });
    expect((await meta('app/prune10')).versions.map((x) => x.version)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('lists paths by prefix, a page at a time, within the caller scope', async () => {
    for (const p of ['app/list/a', 'app/list/b', 'app/list/c', 'app/list/d', 'other/x', 'apple/y']) await put(p, { data: { a: '1' } });
    const r1 = await get('/v1/secrets?prefix=app/list/&limit=3', tokens.reader);
    expect(r1.json()).toEqual({ paths: ['app/list/a', 'app/list/b', 'app/list/c'], next: 'app/list/c' });
    const r2 = await get('/v1/secrets?prefix=app/list/&limit=3&after=app/list/c', tokens.reader);
    expect(r2.json()).toEqual({ paths: ['app/list/d'], next: null });
    // A string prefix: `app/list/` matches inside the subtree only.
    const all = (await get('/v1/secrets?limit=1000', tokens.reader)).json<{ paths: string[] }>().paths;
    expect(all.every((p) => p.startsWith('app/'))).toBe(true);
    expect(all).not.toContain('apple/y');
    const everything = (await get('/v1/secrets?limit=1000')).json<{ paths: string[] }>().paths;
    expect(everything).toEqual(expect.arrayContaining(['apple/y', 'other/x', 'app/db']));
    expect(everything).toEqual([...everything].sort());
    expectError(await get('/v1/secrets?prefix=other/', tokens.reader), 403, 'OV_FORBIDDEN');
    expectError(await get('/v1/secrets?prefix=ap', tokens.reader), 403, 'OV_FORBIDDEN');
    for (const limit of ['0', '1001', 'x', '-1', '1.5', '']) {
      const r = await get(`/v1/secrets?limit=${limit}`);
      expectError(r, 400, 'OV_INVALID_ARGUMENT');
      expect(r.json<{ error: { field?: string } }>().error.field).toBe('query/limit');
    }
    expectError(await get('/v1/secrets?after=a//b'), 400, 'OV_PATH_INVALID');
    expectError(await get('/v1/secrets?prefix=%2e%2e'), 400, 'OV_PATH_INVALID');
  });

  it('denies by role and by scope, without revealing existence', async () => {
    expectError(await put('app/db', { data: { a: 'b' } }, tokens.reader), 403, 'OV_FORBIDDEN');
    expectError(await get('/v1/secrets/app/db', tokens.otherOperator), 403, 'OV_FORBIDDEN');
    expectError(await get('/v1/secrets/app/does-not-exist', tokens.otherOperator), 403, 'OV_FORBIDDEN');
    expectError(await put('other/x', { data: { a: 'b' } }, tokens.operator), 403, 'OV_FORBIDDEN');
    expectError(await call('DELETE', '/v1/secrets/app/db', tokens.reader), 403, 'OV_FORBIDDEN');
    expectError(await call('PUT', '/v1/secrets-metadata/app/db', tokens.reader, { max_versions: 1 }), 403, 'OV_FORBIDDEN');
    expectError(await call('POST', '/v1/secrets-undelete/app/db', tokens.reader, { versions: [1] }), 403, 'OV_FORBIDDEN');
    expectError(await get('/v1/secrets-metadata/other/x', tokens.reader), 403, 'OV_FORBIDDEN');
    expectError(await v.app.inject({ method: 'GET', url: '/v1/secrets/app/db' }), 401, 'OV_AUTH_INVALID');
  });

  it('seals the answer to a recipient: age1pq or a base64 ORVK key, opened with envelope open', async () => {
    const sk = generateKey(provider, 'X-Wing');
    const age = encodeAgeRecipient(sk.publicKey);
    const r = await call('GET', '/v1/secrets/app/db', tokens.reader, undefined, { 'x-ontoref-recipient': age });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toBe('application/vnd.ontoref.envelope');
    expect(r.headers['x-ontoref-version']).toBe('1');
    expect(r.body).not.toContain('hunter2');
    const signKeys = v.vault.keyring()?.publicKeys().filter((k) => k.kind === 'sig-public') ?? [];
    // age recipients are version 1 X-Wing keys, like `vault envelope keygen`.
    const ageSk = { ...sk, keyVersion: 1 };
    const doc = JSON.parse(Buffer.from(open(provider, { envelope: dearmor(r.body, 'ENVELOPE'), key: ageSk, verify: signKeys })).toString('utf8')) as { data: Record<string, string> };
    expect(doc.data.password).toBe('hunter2');

    const pub = Buffer.from(encodeKey(publicKeyOf(sk))).toString('base64');
    const f = await call('GET', '/v1/secrets/app/db?field=password', tokens.reader, undefined, { 'x-ontoref-recipient': pub });
    expect(f.statusCode).toBe(200);
    expect(Buffer.from(open(provider, { envelope: dearmor(f.body, 'ENVELOPE'), key: sk, verify: signKeys })).toString('utf8')).toBe('hunter2');
    expect(armor('ENVELOPE', dearmor(f.body, 'ENVELOPE'))).toBe(f.body);

    const sig = generateKey(provider, 'ML-DSA-65');
    for (const bad of ['age1pq1xyz', 'not base64!', Buffer.from(encodeKey(publicKeyOf(sig))).toString('base64')]) {
      expectError(await call('GET', '/v1/secrets/app/db', tokens.reader, undefined, { 'x-ontoref-recipient': bad }), 400, 'OV_KEY_INVALID');
    }
  });

  describe('bad input changes nothing', () => {
    const badPaths = [
      'app/../app/db',
      'app/./db',
      'app//db',
      'app/db/',
      '..',
      '.',
      'app/%2e%2e/db',
      'app%2Fdb',
      'app/%64b',
      'app/d*b',
      'app/d~b',
      'app\\db',
      `app/${'a'.repeat(520)}`,
      Array.from({ length: 65 }, () => 'a').join('/'),
      'app/dé',
      '',
    ];
    /** A raw request over a real socket: inject() would resolve dot segments before the router sees them. */
    const raw = (port: number, method: string, path: string, body?: unknown): Promise<{ status: number; code: string }> =>
      new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        const req = httpRequest(
          { host: '127.0.0.1', port, method, path, headers: { ...bearer(admin), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) } },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => (text += c.toString('utf8')));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, code: (JSON.parse(text) as { error?: { code: string } }).error?.code ?? '' }));
          },
        );
        req.on('error', reject);
        req.end(payload);
      });

    it('paths: OV_PATH_INVALID on every route, over a real socket', async () => {
      await v.app.listen({ host: '127.0.0.1', port: 0 });
      const port = (v.app.server.address() as AddressInfo).port;
      const before = snapshot();
      for (const p of badPaths) {
        const path = p === 'app/dé' ? 'app/d%C3%A9' : p;
        const routes: [string, string, unknown][] = [
          ['PUT', `/v1/secrets/${path}`, { data: { a: 'b' } }],
          ['GET', `/v1/secrets/${path}`, undefined],
          ['DELETE', `/v1/secrets/${path}`, undefined],
          ['GET', `/v1/secrets-metadata/${path}`, undefined],
          ['PUT', `/v1/secrets-metadata/${path}`, { max_versions: 1 }],
          ['DELETE', `/v1/secrets-metadata/${path}`, undefined],
          ['POST', `/v1/secrets-undelete/${path}`, { versions: [1] }],
          ['POST', `/v1/secrets-destroy/${path}`, { versions: [1] }],
        ];
        for (const [method, url, body] of routes) {
          expect(await raw(port, method, url, body), `${method} ${url}`).toEqual({ status: 400, code: 'OV_PATH_INVALID' });
        }
      }
      expect(snapshot()).toEqual(before);
    });

    it('CAS values, version lists, bodies and oversized values', async () => {
      const before = snapshot();
      for (const cas of [-1, 1.5, '1', null, true]) {
        const r = await put('app/db', { data: { a: 'b' }, cas });
        expectError(r, 400, 'OV_BAD_REQUEST');
        expect(r.json<{ error: { field?: string } }>().error.field).toBe('body/cas');
      }
      expectError(await put('app/db', { data: { a: 'b' }, binary: 'AA==' }), 400, 'OV_INVALID_ARGUMENT');
      expectError(await put('app/db', {}), 400, 'OV_INVALID_ARGUMENT');
      expectError(await put('app/db', { data: { a: 'b' }, extra: 1 }), 400, 'OV_BAD_REQUEST');
      expectError(await put('app/db', { data: { a: 1 } }), 400, 'OV_BAD_REQUEST');
      expectError(await put('app/db', { data: { '1abc': 'x' } }), 400, 'OV_INVALID_ARGUMENT');
      expectError(await put('app/db', { data: { 'a b': 'x' } }), 400, 'OV_INVALID_ARGUMENT');
      expectError(await put('app/db', { data: { a: '\ud800' } }), 400, 'OV_INVALID_ARGUMENT');
      expectError(await put('app/db', { binary: 'not base64' }), 400, 'OV_INVALID_ARGUMENT');
      const many = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`f${i}`, 'x']));
      expectError(await put('app/db', { data: many }), 400, 'OV_INVALID_ARGUMENT');
      const big = await put('app/db', { data: { a: 'x'.repeat(64 * 1024) } });
      expectError(big, 413, 'OV_SECRET_TOO_LARGE');
      expectError(await put('app/db', { binary: Buffer.alloc(64 * 1024 + 1).toString('base64') }), 413, 'OV_SECRET_TOO_LARGE');
      for (const q of ['version=0', 'version=-1', 'version=x', 'version=1.5', 'version=01', 'version=99999999999999999']) {
        expectError(await get(`/v1/secrets/app/db?${q}`), 400, 'OV_INVALID_ARGUMENT');
      }
      expectError(await get('/v1/secrets/app/db?verison=1'), 400, 'OV_BAD_REQUEST');
      for (const q of ['versions=', 'versions=1,,2', 'versions=a', 'versions=0']) {
        expectError(await call('DELETE', `/v1/secrets/app/db?${q}`, admin), 400, 'OV_INVALID_ARGUMENT');
      }
      for (const body of [{ versions: [] }, { versions: [0] }, { versions: ['1'] }, { versions: Array.from({ length: 101 }, (_, i) => i + 1) }, {}]) {
        expectError(await call('POST', '/v1/secrets-undelete/app/db', admin, body), 400, 'OV_BAD_REQUEST');
      }
      for (const body of [{ max_versions: -1 }, { max_versions: 1001 }, { cas_required: 'yes' }, { custom_metadata: { a: 1 } }]) {
        expectError(await call('PUT', '/v1/secrets-metadata/app/db', admin, body), 400, 'OV_BAD_REQUEST');
      }
      expectError(await call('PUT', '/v1/secrets-metadata/app/db', admin, { custom_metadata: { 'bad key': 'x' } }), 400, 'OV_INVALID_ARGUMENT');
      expect(snapshot()).toEqual(before);
    });
  });
});

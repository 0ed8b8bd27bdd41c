/**
 * Bad inputs: each gets its exact code, the answer never echoes what was sent, and nothing
 * changes. Also: the audit trail (every request, sealed ones included, fail-closed on a
 * failed append) and log redaction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries, bearer, expectError, loggedServer, login, makeVault, unseal, type TestVault } from './helpers.js';

describe('bad inputs', () => {
  let v: TestVault;
  let admin: string;
  const snapshot = () => ({
    keys: v.storage.apiKeys.list().map((k) => `${k.id}:${k.hash}`),
    sessions: [...v.storage.sessions.loadAll()].map((s) => s.id).sort(),
  });

  beforeAll(async () => {
    v = await makeVault({ config: { limits: { body_limit: '1KiB' } } });
    await unseal(v);
    admin = (await login(v, v.adminKey as string)).token;
  });
  afterAll(async () => {
    await v.cleanup();
  });

  const post = (payload: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    v.app.inject({ method: 'POST', url: '/v1/apikeys', headers: { ...bearer(admin), ...headers }, payload });

  it('malformed JSON: 400 OV_BAD_REQUEST, nothing echoed, nothing created', async () => {
    const before = snapshot();
    for (const body of ['{"role": "reader", "label": "SECRET-ECHO-1"', 'SECRET-ECHO-1', '{"role":"reader","label":"x",}', '[]', 'null']) {
      const r = await post(body);
      expectError(r, 400, 'OV_BAD_REQUEST');
      expect(r.body).not.toContain('SECRET-ECHO');
    }
    // Prototype poisoning is refused by the JSON parser.
    expectError(await post('{"role":"reader","label":"x","__proto__":{"role":"admin"}}'), 400, 'OV_BAD_REQUEST');
    // Announced JSON with no body at all.
    expectError(await post(''), 400, 'OV_BAD_REQUEST');
    expect(snapshot()).toEqual(before);
  });

  it('oversized body: 413 OV_BODY_TOO_LARGE', async () => {
    const before = snapshot();
    const r = await post(JSON.stringify({ role: 'reader', label: 'x'.repeat(2048) }));
    expectError(r, 413, 'OV_BODY_TOO_LARGE');
    // The exchange too: an oversized key never reaches argon2id.
    expectError(await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: 'k'.repeat(4096) } }), 413, 'OV_BODY_TOO_LARGE');
    expect(snapshot()).toEqual(before);
  });

  it('unknown or missing fields, wrong types: 400 naming the field, never the unknown name', async () => {
    const before = snapshot();
    const unknown = await post(JSON.stringify({ role: 'reader', label: 'x', SECRET_FIELD_NAME: 1 }));
    expectError(unknown, 400, 'OV_BAD_REQUEST');
    expect(unknown.body).not.toContain('SECRET_FIELD_NAME');
    expect(unknown.json<{ error: { field: string } }>().error.field).toBe('body');
    expectError(await post(JSON.stringify({ label: 'x' })), 400, 'OV_BAD_REQUEST');
    const wrongType = await post(JSON.stringify({ role: 'reader', label: 5 }));
    expectError(wrongType, 400, 'OV_BAD_REQUEST');
    expect(wrongType.json<{ error: { field: string } }>().error.field).toBe('body/label');
    expectError(await post(JSON.stringify({ role: 'root', label: 'x' })), 400, 'OV_BAD_REQUEST');
    // A scope that is not a canonical path (traversal, empty segments).
    for (const scope of ['../etc', 'apps//web', 'apps/./web', ' apps']) {
      expectError(await post(JSON.stringify({ role: 'reader', label: 'x', scope })), 400, 'OV_INVALID_ARGUMENT');
    }
    // Labels with control characters (log injection).
    expectError(await post(JSON.stringify({ role: 'reader', label: 'a\nb' })), 400, 'OV_INVALID_ARGUMENT');
    expectError(await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: v.adminKey, extra: true } }), 400, 'OV_BAD_REQUEST');
    expectError(await v.app.inject({ method: 'GET', url: '/v1/sessions?foo=1', headers: bearer(admin) }), 400, 'OV_BAD_REQUEST');
    expectError(await v.app.inject({ method: 'GET', url: '/v1/sessions?limit=0', headers: bearer(admin) }), 400, 'OV_BAD_REQUEST');
    const badId = await v.app.inject({ method: 'DELETE', url: '/v1/sessions/not-a-uuid', headers: bearer(admin) });
    expectError(badId, 400, 'OV_BAD_REQUEST');
    expect(badId.json<{ error: { field: string } }>().error.field).toBe('params/id');
    expectError(await v.app.inject({ method: 'POST', url: '/v1/keys/nope/rotate', headers: bearer(admin) }), 400, 'OV_BAD_REQUEST');
    expectError(
      await v.app.inject({ method: 'POST', url: '/v1/keys/kem/min-decrypt-version', headers: bearer(admin), payload: { version: '2' } }),
      400,
      'OV_BAD_REQUEST',
    );
    expect(snapshot()).toEqual(before);
  });

  it('wrong content type: 415 OV_UNSUPPORTED_MEDIA_TYPE', async () => {
    const before = snapshot();
    const body = JSON.stringify({ role: 'reader', label: 'x' });
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      expectError(await post(body, { 'content-type': ct }), 415, 'OV_UNSUPPORTED_MEDIA_TYPE');
    }
    expect(snapshot()).toEqual(before);
    // JSON with a charset is JSON.
    expect((await post(body, { 'content-type': 'application/json; charset=utf-8' })).statusCode).toBe(201);
  });

  it('unknown routes and methods: 404 OV_NOT_FOUND', async () => {
    expectError(await v.app.inject({ method: 'GET', url: '/v1/nope' }), 404, 'OV_NOT_FOUND');
    expectError(await v.app.inject({ method: 'PUT', url: '/v1/sessions', headers: bearer(admin) }), 404, 'OV_NOT_FOUND');
    expectError(await v.app.inject({ method: 'GET', url: '/v1/sessions/', headers: bearer(admin) }), 404, 'OV_NOT_FOUND');
    expectError(await v.app.inject({ method: 'GET', url: '/V1/SYS/HEALTH' }), 404, 'OV_NOT_FOUND');
  });

  it('unknown query parameters: 400 OV_BAD_REQUEST naming the query, on routes with and without a query schema', async () => {
    const sessionsBefore = v.storage.sessions.count();
    for (const url of ['/v1/sys/health?standbyok=true', '/v1/sessions/self?x=1', '/v1/sessions?verbose=1']) {
      const r = await v.app.inject({ method: 'GET', url, headers: bearer(admin) });
      expectError(r, 400, 'OV_BAD_REQUEST');
      expect(r.json<{ error: { field?: string } }>().error.field).toMatch(/^query/);
    }
    // An anonymous request with a bad query is still 401 first: nothing about routes leaks.
    expectError(await v.app.inject({ method: 'GET', url: '/v1/sessions/self?x=1' }), 401, 'OV_AUTH_INVALID');
    expect(v.storage.sessions.count()).toBe(sessionsBefore);
  });

  it('authentication comes before the body: an anonymous malformed request is 401, not 400', async () => {
    expectError(await v.app.inject({ method: 'POST', url: '/v1/apikeys', headers: { 'content-type': 'application/json' }, payload: '{' }), 401, 'OV_AUTH_INVALID');
  });
});

describe('audit trail', () => {
  let v: TestVault;
  beforeAll(async () => {
    v = await makeVault();
  });
  afterAll(async () => {
    await v.cleanup();
  });

  it('records every request, sealed ones included, without secrets; a token while sealed is redacted', async () => {
    const start = v.storage.audit.last()?.seq ?? 0;
    await v.app.inject({ method: 'GET', url: '/v1/sys/health' });
    await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer('a.b.c') });
    await unseal(v);
    const s = await login(v, v.adminKey as string);
    await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(s.token) });
    await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer('x.y.z') });

    const entries = auditEntries(v).filter((e) => (e.seq as number) > start);
    expect(entries.map((e) => `${e.method as string} ${e.path as string} ${e.status as number}`)).toEqual([
      'GET /v1/sys/health 503',
      'GET /v1/sessions/self 503',
      'POST /v1/sys/unseal 200',
      'POST /v1/sys/unseal 200',
      'POST /v1/sys/unseal 200',
      'POST /v1/sessions 200',
      'GET /v1/sessions/self 200',
      'GET /v1/sessions/self 401',
    ]);
    expect(entries[1]).toMatchObject({ code: 'OV_SEALED', detail: { token: 'redacted' } });
    expect(entries[4]).toMatchObject({ detail: { action: 'share', sealed: false } });
    expect(entries[5]).toMatchObject({ type: 'request', session: s.id, apiKey: v.setup?.adminKeyId });
    expect(entries[6]).toMatchObject({ session: s.id, apiKey: v.setup?.adminKeyId });
    expect(entries[7]).toMatchObject({ type: 'auth', code: 'OV_AUTH_INVALID' });
    expect((entries[7]?.detail as { token: string }).token).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    const raw = [...v.storage.audit.entries()].map((e) => e.entry).join('\n');
    for (const secret of [v.adminKey as string, s.token, ...(v.setup?.shares ?? [])]) expect(raw).not.toContain(secret);
  });

  it('fails closed: when the audit append fails the answer is 500 OV_AUDIT_FAILED and an issued token is revoked', async () => {
    const before = v.storage.sessions.count();
    const seq = v.storage.audit.last()?.seq;
    v.auditFault.on = true;
    let r;
    try {
      r = await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: v.adminKey } });
    } finally {
      v.auditFault.on = false;
    }
    expectError(r, 500, 'OV_AUDIT_FAILED');
    expect(r.body).not.toContain('token');
    expect(v.storage.sessions.count()).toBe(before);
    expect(v.storage.audit.last()?.seq).toBe(seq);
    // The next request, audited again, goes through.
    await login(v, v.adminKey as string);
  });
});

describe('logging', () => {
  it('writes JSON lines without keys, tokens, shares or bodies', async () => {
    const v = await makeVault();
    try {
      const { app, lines } = await loggedServer(v, 'trace');
      try {
        for (const share of (v.setup?.shares ?? []).slice(0, 3)) {
          expect((await app.inject({ method: 'POST', url: '/v1/sys/unseal', payload: { share } })).statusCode).toBe(200);
        }
        const r = await app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: v.adminKey } });
        const token = r.json<{ token: string }>().token;
        await app.inject({ method: 'GET', url: '/v1/sessions/self', headers: { ...bearer(token), cookie: 'sid=COOKIE-SECRET' } });
        // A client that wrongly puts a secret in the query string: the log keeps the path only.
        await app.inject({ method: 'GET', url: `/v1/sys/health?token=${token}&key=QUERY-SECRET` });
        // The scheme name is case-insensitive (RFC 7235): a lowercase 'bearer' authenticates.
        const lower = await app.inject({ method: 'GET', url: '/v1/sessions/self', headers: { authorization: `bearer ${token}` } });
        expect(lower.statusCode).toBe(200);
        await app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: `${v.adminKey as string}x` } });
      } finally {
        await app.close();
      }
      expect(lines.length).toBeGreaterThan(5);
      for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow();
      const all = lines.join('\n');
      for (const secret of [v.adminKey as string, 'COOKIE-SECRET', 'QUERY-SECRET', ...(v.setup?.shares ?? [])]) expect(all).not.toContain(secret);
      expect(all).toContain('"url":"/v1/sys/health"');
      expect(all).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ/);
      expect(all).toContain('"url":"/v1/sessions"');
    } finally {
      await v.cleanup();
    }
  });
});

/**
 * The key -> token exchange and everything behind the auth hook: authenticated calls,
 * roles and scopes, two-tier session visibility, revocation by id, API key rotation,
 * invalid / expired / revoked tokens, rate limiting of failed exchanges (and its audit
 * trail), token key rotation and retirement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, auditEntries, expectError, login, makeVault, unseal, type TestVault } from './helpers.js';

interface SessionBody {
  id: string;
  api_key_id: string;
  role: string;
  scope: string;
  label: string;
  issued_at: string;
  expires_at: string;
}

interface KeyBody {
  id: string;
  key: string;
  role: string;
  scope: string;
  label: string;
  created_at: string;
  rotated_at: string | null;
}

describe('sessions and API keys', () => {
  let v: TestVault;
  let admin: string;
  let adminSessionId: string;

  const createKey = async (token: string, body: Record<string, unknown>): Promise<KeyBody> => {
    const r = await v.app.inject({ method: 'POST', url: '/v1/apikeys', headers: bearer(token), payload: body });
    expect(r.statusCode, r.body).toBe(201);
    return r.json<KeyBody>();
  };
  const sessionCount = (): number => v.storage.sessions.count();

  beforeAll(async () => {
    v = await makeVault();
    await unseal(v);
    const s = await login(v, v.adminKey as string);
    admin = s.token;
    adminSessionId = s.id;
  });
  afterAll(async () => {
    await v.cleanup();
  });

  it('exchanges the admin key for a token that authenticates calls', async () => {
    const r = await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: v.adminKey, ttl: '15m' } });
    expect(r.statusCode).toBe(200);
    const body = r.json<{ token: string; id: string; expires_at: string; role: string; scope: string }>();
    expect(Object.keys(body).sort()).toEqual(['expires_at', 'id', 'role', 'scope', 'token']);
    expect(body.role).toBe('admin');
    expect(body.scope).toBe('*');
    expect(body.expires_at).toBe(new Date(v.clock.t + 15 * 60_000).toISOString());
    // The token is an HS256 JWT naming the key (sub) and the session (jti), signed with token key v1.
    const [h, p] = body.token.split('.').slice(0, 2).map((x) => JSON.parse(Buffer.from(x, 'base64url').toString('utf8')) as Record<string, unknown>);
    expect(h).toMatchObject({ alg: 'HS256', kid: '1' });
    expect(p).toMatchObject({ sub: v.setup?.adminKeyId, jti: body.id, role: 'admin', scope: '*', iat: v.clock.t / 1000, exp: v.clock.t / 1000 + 900 });
    const self = await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(body.token) });
    expect(self.statusCode).toBe(200);
    expect(self.json<SessionBody>()).toEqual({
      id: body.id,
      api_key_id: v.setup?.adminKeyId,
      role: 'admin',
      scope: '*',
      label: 'daemon admin',
      issued_at: new Date(v.clock.t).toISOString(),
      expires_at: body.expires_at,
    });
    // Only the digest is stored: the token itself is nowhere in the session row.
    const rows = [...v.storage.sessions.loadAll()];
    expect(rows.find((x) => x.id === body.id)?.digest).toHaveLength(32);
  });

  it('refuses a TTL above sessions.max_ttl before verifying anything', async () => {
    const before = sessionCount();
    const r = await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: v.adminKey, ttl: '2d' } });
    expectError(r, 400, 'OV_BAD_REQUEST');
    expect(r.json<{ error: { field?: string } }>().error.field).toBe('body/ttl');
    expectError(await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: v.adminKey, ttl: '15' } }), 400, 'OV_BAD_REQUEST');
    expect(sessionCount()).toBe(before);
  });

  it('lets an admin create a reader key; the reader is denied admin routes', async () => {
    const k = await createKey(admin, { role: 'reader', label: 'ci reader', scope: 'apps/web' });
    expect(k).toMatchObject({ role: 'reader', scope: 'apps/web', label: 'ci reader', rotated_at: null });
    expect(k.key).toMatch(new RegExp(`^ovk_${k.id}_[A-Za-z0-9_-]{43}$`));
    const keysBefore = v.storage.apiKeys.list().length;
    const reader = (await login(v, k.key)).token;
    expect((await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(reader) })).json<SessionBody>().role).toBe('reader');
    expect((await v.app.inject({ method: 'GET', url: '/v1/keys', headers: bearer(reader) })).statusCode).toBe(200);
    expectError(await v.app.inject({ method: 'GET', url: '/v1/sessions', headers: bearer(reader) }), 403, 'OV_FORBIDDEN');
    expectError(await v.app.inject({ method: 'GET', url: '/v1/apikeys', headers: bearer(reader) }), 403, 'OV_FORBIDDEN');
    expectError(
      await v.app.inject({ method: 'POST', url: '/v1/apikeys', headers: bearer(reader), payload: { role: 'admin', label: 'escalate' } }),
      403,
      'OV_FORBIDDEN',
    );
    expectError(await v.app.inject({ method: 'POST', url: '/v1/keys/token/rotate', headers: bearer(reader) }), 403, 'OV_FORBIDDEN');
    expectError(await v.app.inject({ method: 'POST', url: '/v1/sys/seal', headers: bearer(reader) }), 403, 'OV_FORBIDDEN');
    expectError(await v.app.inject({ method: 'DELETE', url: `/v1/sessions/${adminSessionId}`, headers: bearer(reader) }), 403, 'OV_FORBIDDEN');
    expect(v.storage.apiKeys.list()).toHaveLength(keysBefore);
    expect(v.vault.keyring()).toBeDefined();
    expect((await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(admin) })).statusCode).toBe(200);
  });

  it('shows sessions in two tiers: the daemon admin sees all, a scoped admin its scope, self always works', async () => {
    const scopedAdminKey = await createKey(admin, { role: 'admin', label: 'apps admin', scope: 'apps' });
    const webKey = await createKey(admin, { role: 'reader', label: 'web', scope: 'apps/web' });
    const otherKey = await createKey(admin, { role: 'operator', label: 'other', scope: 'other' });
    const scoped = await login(v, scopedAdminKey.key);
    const web = await login(v, webKey.key);
    const other = await login(v, otherKey.key);

    const list = async (token: string): Promise<string[]> => {
      const r = await v.app.inject({ method: 'GET', url: '/v1/sessions', headers: bearer(token) });
      expect(r.statusCode).toBe(200);
      return r.json<{ sessions: SessionBody[] }>().sessions.map((s) => s.id);
    };
    const all = await list(admin);
    expect(all).toEqual(expect.arrayContaining([adminSessionId, scoped.id, web.id, other.id]));
    const inApps = await list(scoped.token);
    expect(inApps).toEqual(expect.arrayContaining([scoped.id, web.id]));
    expect(inApps).not.toContain(other.id);
    expect(inApps).not.toContain(adminSessionId);
    expectError(await v.app.inject({ method: 'GET', url: '/v1/sessions', headers: bearer(web.token) }), 403, 'OV_FORBIDDEN');
    expect((await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(web.token) })).json<SessionBody>().id).toBe(web.id);

    // A filter by key, and a limit.
    const byKey = await v.app.inject({ method: 'GET', url: `/v1/sessions?api_key_id=${webKey.id}`, headers: bearer(admin) });
    expect(byKey.json<{ sessions: SessionBody[] }>().sessions.map((s) => s.id)).toEqual([web.id]);
    const limited = await v.app.inject({ method: 'GET', url: '/v1/sessions?limit=1', headers: bearer(admin) });
    expect(limited.json<{ sessions: SessionBody[] }>().sessions).toHaveLength(1);

    // The scoped admin cannot see or revoke outside its scope (404 as if absent), nor act vault-wide.
    expectError(await v.app.inject({ method: 'DELETE', url: `/v1/sessions/${other.id}`, headers: bearer(scoped.token) }), 404, 'OV_NOT_FOUND');
    expectError(await v.app.inject({ method: 'POST', url: '/v1/keys/token/rotate', headers: bearer(scoped.token) }), 403, 'OV_FORBIDDEN');
    expectError(await v.app.inject({ method: 'POST', url: '/v1/sys/seal', headers: bearer(scoped.token) }), 403, 'OV_FORBIDDEN');
    expectError(
      await v.app.inject({ method: 'POST', url: '/v1/apikeys', headers: bearer(scoped.token), payload: { role: 'reader', label: 'x', scope: 'other' } }),
      403,
      'OV_FORBIDDEN',
    );
    expect((await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(other.token) })).statusCode).toBe(200);
    const keys = (await v.app.inject({ method: 'GET', url: '/v1/apikeys', headers: bearer(scoped.token) })).json<{ apikeys: KeyBody[] }>().apikeys;
    expect(keys.map((k) => k.scope).every((s) => s === 'apps' || s.startsWith('apps/'))).toBe(true);
    // A key created by the scoped admin defaults to its own scope.
    expect((await createKey(scoped.token, { role: 'reader', label: 'default scope' })).scope).toBe('apps');

    // Revoke by id inside the scope: the very next request with that token is refused.
    expect((await v.app.inject({ method: 'DELETE', url: `/v1/sessions/${web.id}`, headers: bearer(scoped.token) })).statusCode).toBe(204);
    expectError(await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(web.token) }), 401, 'OV_AUTH_INVALID');
    expect([...v.storage.sessions.loadAll()].some((s) => s.id === web.id)).toBe(false);
    expectError(await v.app.inject({ method: 'DELETE', url: `/v1/sessions/${web.id}`, headers: bearer(scoped.token) }), 404, 'OV_NOT_FOUND');
    // The revocation is on record with the id it touched; the refused repeat records none.
    const revocations = auditEntries(v).filter((e) => e.method === 'DELETE' && e.path === `/v1/sessions/${web.id}`);
    expect(revocations.map((e) => [e.status, (e.detail as Record<string, unknown> | undefined)?.['revoked']])).toEqual([
      [204, web.id],
      [404, undefined],
    ]);

    // DELETE /v1/sessions/self ends the caller's own session.
    expect((await v.app.inject({ method: 'DELETE', url: '/v1/sessions/self', headers: bearer(other.token) })).statusCode).toBe(204);
    expectError(await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(other.token) }), 401, 'OV_AUTH_INVALID');
  });

  it('rotating an API key revokes its sessions at once; the old key stops working, the new one works', async () => {
    const k = await createKey(admin, { role: 'operator', label: 'deploy' });
    const s1 = await login(v, k.key);
    const s2 = await login(v, k.key);
    const r = await v.app.inject({ method: 'POST', url: `/v1/apikeys/${k.id}/rotate`, headers: bearer(admin) });
    expect(r.statusCode).toBe(200);
    const rotated = r.json<KeyBody>();
    expect(rotated.id).toBe(k.id);
    expect(rotated.key).not.toBe(k.key);
    expect(rotated.rotated_at).toBe(new Date(v.clock.t).toISOString());
    for (const s of [s1, s2]) {
      expectError(await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(s.token) }), 401, 'OV_AUTH_INVALID');
    }
    expectError(await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: k.key } }), 401, 'OV_AUTH_INVALID');
    const s3 = await login(v, rotated.key);
    expect((await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(s3.token) })).statusCode).toBe(200);

    // Deleting the key revokes its sessions too, and the key is gone.
    expect((await v.app.inject({ method: 'DELETE', url: `/v1/apikeys/${k.id}`, headers: bearer(admin) })).statusCode).toBe(204);
    expectError(await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(s3.token) }), 401, 'OV_AUTH_INVALID');
    expect(v.storage.apiKeys.get(k.id)).toBeUndefined();
    expectError(await v.app.inject({ method: 'DELETE', url: `/v1/apikeys/${k.id}`, headers: bearer(admin) }), 404, 'OV_NOT_FOUND');
    expectError(await v.app.inject({ method: 'POST', url: `/v1/apikeys/${k.id}/rotate`, headers: bearer(admin) }), 404, 'OV_NOT_FOUND');
  });

  it('refuses invalid, forged, expired and revoked tokens with one code', async () => {
    const s = await login(v, v.adminKey as string);
    const [h, p, sig] = s.token.split('.') as [string, string, string];
    const forgedKey = v.app.jwt.sign(
      { sub: v.setup?.adminKeyId, jti: s.id, role: 'admin', scope: '*', iat: v.clock.t / 1000, exp: v.clock.t / 1000 + 600, iss: 'ontoref-vault' },
      { key: Buffer.alloc(32, 7), algorithm: 'HS256', kid: '1' },
    );
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT', kid: '1' })).toString('base64url')}.${p}.`;
    const otherPayload = Buffer.from(JSON.stringify({ ...(JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as object), role: 'admin', scope: '*', sub: 'x' })).toString('base64url');
    const badHeaders: Record<string, string>[] = [
      {},
      { authorization: 'Bearer' },
      { authorization: 'Bearer not-a-jwt' },
      { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
      { authorization: `Bearer  ${s.token}` },
      { authorization: `Bearer ${s.token} ` },
      // A signature changed in its second-to-last character (all six bits count there; 'A' as
      // the last is canonical): always a different signature.
      { authorization: `Bearer ${h}.${p}.${sig.slice(0, -2)}${sig.at(-2) === 'A' ? 'B' : 'A'}A` },
      { authorization: `Bearer ${h}.${otherPayload}.${sig}` },
      { authorization: `Bearer ${forgedKey}` },
      { authorization: `Bearer ${none}` },
      { authorization: `Bearer ${'a'.repeat(5000)}.b.c` },
    ];
    for (const headers of badHeaders) {
      const r = await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers });
      expectError(r, 401, 'OV_AUTH_INVALID');
      expect(r.headers['www-authenticate']).toBe('Bearer');
    }
    // A token signed with the real key for a session the store does not know (never issued).
    const unknown = v.app.jwt.sign(
      { sub: v.setup?.adminKeyId, jti: '00000000-0000-4000-8000-000000000000', role: 'admin', scope: '*', iat: v.clock.t / 1000, exp: v.clock.t / 1000 + 600, iss: 'ontoref-vault' },
      { key: Buffer.from(v.vault.keyring()?.secret('token').key ?? new Uint8Array(32)), algorithm: 'HS256', kid: '1' },
    );
    expectError(await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(unknown) }), 401, 'OV_AUTH_INVALID');
    // The genuine token still works: nothing above disturbed it.
    expect((await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(s.token) })).statusCode).toBe(200);

    // Expired: a one-minute session, one minute later.
    const short = await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: v.adminKey, ttl: '1m' } });
    const shortToken = short.json<{ token: string }>().token;
    expect((await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(shortToken) })).statusCode).toBe(200);
    v.clock.t += 60_000;
    try {
      expectError(await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(shortToken) }), 401, 'OV_AUTH_INVALID');
      expect((await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(s.token) })).statusCode).toBe(200);
    } finally {
      v.clock.t -= 60_000;
    }
    // Still dead when the clock goes back: the store dropped it at expiry.
    expectError(await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(shortToken) }), 401, 'OV_AUTH_INVALID');
  });

  it('rotates the token key: old tokens keep working until their version is retired', async () => {
    const old = await login(v, v.adminKey as string);
    const r = await v.app.inject({ method: 'POST', url: '/v1/keys/token/rotate', headers: bearer(admin) });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toMatchObject({ name: 'token', version: 2, alg: 'HMAC-SHA256' });
    const fresh = await login(v, v.adminKey as string);
    expect(JSON.parse(Buffer.from(fresh.token.split('.')[0] as string, 'base64url').toString('utf8'))).toMatchObject({ kid: '2' });
    expect((await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(old.token) })).statusCode).toBe(200);

    const retire = await v.app.inject({ method: 'POST', url: '/v1/keys/token/min-decrypt-version', headers: bearer(fresh.token), payload: { version: 2 } });
    expect(retire.statusCode).toBe(200);
    expect(retire.json()).toMatchObject({ name: 'token', latest_version: 2, min_decrypt_version: 2 });
    expectError(await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(old.token) }), 401, 'OV_AUTH_INVALID');
    expectError(await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(admin) }), 401, 'OV_AUTH_INVALID');
    admin = fresh.token;
    expect((await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(admin) })).statusCode).toBe(200);
    // Never lowered.
    expectError(
      await v.app.inject({ method: 'POST', url: '/v1/keys/token/min-decrypt-version', headers: bearer(admin), payload: { version: 1 } }),
      400,
      'OV_INVALID_ARGUMENT',
    );
    const keys = (await v.app.inject({ method: 'GET', url: '/v1/keys', headers: bearer(admin) })).json<{ keys: { name: string; min_decrypt_version: number }[] }>().keys;
    expect(keys.find((k) => k.name === 'token')?.min_decrypt_version).toBe(2);
    expect(keys.map((k) => k.name)).toEqual(['kem', 'sign', 'token', 'audit']);
  });
});

describe('rate limiting of failed exchanges', () => {
  let v: TestVault;
  beforeAll(async () => {
    v = await makeVault();
    await unseal(v);
  });
  afterAll(async () => {
    await v.cleanup();
  });

  it('answers 429 after 5 wrong secrets for one key id from one address, audits every failure, and recovers after a minute', async () => {
    const id = v.setup?.adminKeyId as string;
    const wrong = `ovk_${id}_${'A'.repeat(43)}`;
    const startSeq = v.storage.audit.last()?.seq ?? 0;
    for (let i = 0; i < 5; i++) {
      expectError(await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: wrong }, remoteAddress: '10.0.0.1' }), 401, 'OV_AUTH_INVALID');
    }
    const limited = await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: wrong }, remoteAddress: '10.0.0.1' });
    expectError(limited, 429, 'OV_RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(60);
    // The right key is held back for this id from this address while the window is full...
    expectError(await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: v.adminKey }, remoteAddress: '10.0.0.1' }), 429, 'OV_RATE_LIMITED');
    expect(v.storage.sessions.count()).toBe(0);

    const entries = auditEntries(v).filter((e) => (e.seq as number) > startSeq);
    const failures = entries.filter((e) => e.type === 'auth' && e.code === 'OV_AUTH_INVALID');
    expect(failures).toHaveLength(5);
    for (const f of failures) expect(f).toMatchObject({ apiKey: id, path: '/v1/sessions', method: 'POST', status: 401 });
    expect(entries.filter((e) => e.type === 'auth' && e.code === 'OV_RATE_LIMITED')).toHaveLength(2);
    // The key itself is never in the log.
    const raw = [...v.storage.audit.entries()].map((e) => e.entry).join('\n');
    expect(raw).not.toContain(wrong);
    expect(raw).not.toContain(v.adminKey);
    expect(raw).not.toContain('A'.repeat(43));

    // ... but not from anywhere else: the id is public, the failures were not its owner's.
    await login(v, v.adminKey as string, '10.0.1.2');
    v.clock.t += 61_000;
    await login(v, v.adminKey as string, '10.0.0.1');
  });

  it('answers 429 after 20 failures from one address, without slowing other addresses', async () => {
    for (let i = 0; i < 20; i++) {
      expectError(await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: `not-a-key-${i}` }, remoteAddress: '192.0.2.7' }), 401, 'OV_AUTH_INVALID');
    }
    expectError(await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: v.adminKey }, remoteAddress: '192.0.2.7' }), 429, 'OV_RATE_LIMITED');
    await login(v, v.adminKey as string, '192.0.2.8');
    const failures = auditEntries(v).filter((e) => e.type === 'auth' && e.remote === '192.0.2.7');
    expect(failures).toHaveLength(21);
    // Unparseable keys have no key id to record.
    expect(failures.slice(0, 20).every((e) => e.apiKey === undefined && e.code === 'OV_AUTH_INVALID')).toBe(true);
  });
});

/**
 * The hot path of every authenticated request (src/http/server.ts): a token verified once
 * is remembered by its digest, yet the session store still decides every request
 * (revocation by id, revoke-all on key rotation, expiry), a seal forgets nothing it must
 * not keep, and a token with a changed byte is never taken for the remembered one. And
 * request logging: no line per successful request at info (the audit log records them),
 * a `slow request` warning over `log.slow_request_ms`, and at debug one `request
 * completed` line per request, with method, path (no query), status and time, and no
 * fastify `incoming request` line.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, expectError, loggedServer, login, makeVault, unseal, type TestVault } from './helpers.js';

describe('authentication fast path', () => {
  let v: TestVault;
  let admin: string;

  const self = (token: string) => v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(token) });

  beforeAll(async () => {
    v = await makeVault();
    await unseal(v);
    admin = (await login(v, v.adminKey as string)).token;
  });
  afterAll(async () => {
    await v.cleanup();
  });

  it('refuses a remembered token at once after its session is revoked by id', async () => {
    const s = await login(v, v.adminKey as string);
    for (let i = 0; i < 3; i++) expect((await self(s.token)).statusCode).toBe(200);
    const del = await v.app.inject({ method: 'DELETE', url: `/v1/sessions/${s.id}`, headers: bearer(admin) });
    expect(del.statusCode).toBe(204);
    expectError(await self(s.token), 401, 'OV_AUTH_INVALID');
    expectError(await self(s.token), 401, 'OV_AUTH_INVALID');
    expect((await self(admin)).statusCode).toBe(200);
  });

  it('refuses remembered tokens of a rotated API key', async () => {
    const created = await v.app.inject({ method: 'POST', url: '/v1/apikeys', headers: bearer(admin), payload: { role: 'reader', label: 'fast path', scope: 'app' } });
    expect(created.statusCode).toBe(201);
    const { id, key } = created.json<{ id: string; key: string }>();
    const a = await login(v, key);
    const b = await login(v, key);
    expect((await self(a.token)).statusCode).toBe(200);
    expect((await self(b.token)).statusCode).toBe(200);
    const rot = await v.app.inject({ method: 'POST', url: `/v1/apikeys/${id}/rotate`, headers: bearer(admin) });
    expect(rot.statusCode, rot.body).toBe(200);
    expectError(await self(a.token), 401, 'OV_AUTH_INVALID');
    expectError(await self(b.token), 401, 'OV_AUTH_INVALID');
  });

  it('refuses a remembered token once the clock passes its expiry, and on the exact instant accepts it as the JWT check does', async () => {
    const r = await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: v.adminKey, ttl: '1m' } });
    const token = r.json<{ token: string }>().token;
    expect((await self(token)).statusCode).toBe(200);
    const t0 = v.clock.t;
    try {
      v.clock.t = t0 + 59_999;
      expect((await self(token)).statusCode).toBe(200);
      v.clock.t = t0 + 60_001;
      expectError(await self(token), 401, 'OV_AUTH_INVALID');
    } finally {
      v.clock.t = t0;
    }
  });

  it('never takes a token with one changed character for a remembered one', async () => {
    const s = await login(v, v.adminKey as string);
    expect((await self(s.token)).statusCode).toBe(200);
    const [h, p, sig] = s.token.split('.') as [string, string, string];
    const flip = (x: string, i: number): string => x.slice(0, i) + (x[i] === 'A' ? 'B' : 'A') + x.slice(i + 1);
    for (const forged of [`${flip(h, 3)}.${p}.${sig}`, `${h}.${flip(p, 10)}.${sig}`, `${h}.${p}.${flip(sig, 5)}`]) {
      expectError(await self(forged), 401, 'OV_AUTH_INVALID');
    }
    expect((await self(s.token)).statusCode).toBe(200);
  });

  it('answers 503 while sealed even for a remembered token, and verifies it afresh after the unseal', async () => {
    const s = await login(v, v.adminKey as string);
    expect((await self(s.token)).statusCode).toBe(200);
    const sealed = await v.app.inject({ method: 'POST', url: '/v1/sys/seal', headers: bearer(admin) });
    expect(sealed.statusCode, sealed.body).toBe(204);
    expectError(await self(s.token), 503, 'OV_SEALED');
    await unseal(v);
    expect((await self(s.token)).statusCode).toBe(200);
    expect((await self(admin)).statusCode).toBe(200);
  });
});

type LogLine = { msg?: string; level?: number; reqId?: unknown; req?: { method?: string; url?: string }; res?: { statusCode?: number }; responseTime?: unknown };

describe('request logging', () => {
  it('writes no line per request at info; at debug one completion line per request and no incoming-request line', async () => {
    const v = await makeVault();
    try {
      const info = await loggedServer(v, 'info');
      try {
        expect((await info.app.inject({ method: 'GET', url: '/v1/sys/health' })).statusCode).toBeLessThan(600);
        expect((await info.app.inject({ method: 'GET', url: '/v1/sessions/self' })).statusCode).toBe(503);
        const added = info.lines.map((l) => JSON.parse(l) as LogLine);
        // Only the 5xx answers' own `request failed` warnings: the audit log records the rest.
        expect(added.some((l) => l.msg === 'request failed')).toBe(true);
        expect(added.filter((l) => l.msg !== 'request failed')).toEqual([]);
      } finally {
        await info.app.close();
      }
      const { app, lines } = await loggedServer(v, 'debug');
      try {
        const before = lines.length;
        expect((await app.inject({ method: 'GET', url: '/v1/sys/health?x=QUERY-VALUE' })).statusCode).toBeGreaterThanOrEqual(400);
        expect((await app.inject({ method: 'GET', url: '/v1/sessions/self' })).statusCode).toBe(503);
        const added = lines.slice(before).map((l) => JSON.parse(l) as LogLine);
        const done = added.filter((l) => l.msg === 'request completed');
        expect(done).toHaveLength(2);
        expect(added.every((l) => l.msg === 'request completed' || l.msg === 'request failed')).toBe(true);
        expect(done[0]?.req).toMatchObject({ method: 'GET', url: '/v1/sys/health' });
        expect(done[1]?.req).toMatchObject({ method: 'GET', url: '/v1/sessions/self' });
        expect(done[1]?.res?.statusCode).toBe(503);
        expect(typeof done[0]?.responseTime).toBe('number');
        // Each line is bound to its own request (the request's logger is made when it first logs).
        expect(done.map((l) => typeof l.reqId)).toEqual(['string', 'string']);
        expect(done[0]?.reqId).not.toBe(done[1]?.reqId);
        const failed = added.find((l) => l.msg === 'request failed');
        expect(failed?.reqId).toBe(done[1]?.reqId);
        expect(lines.join('\n')).not.toContain('incoming request');
        expect(lines.join('\n')).not.toContain('QUERY-VALUE');
      } finally {
        await app.close();
      }
    } finally {
      await v.cleanup();
    }
  });

  it('logs a request slower than log.slow_request_ms at warn, without its query', async () => {
    // A key exchange runs Argon2id (tens of ms): always over a 1 ms threshold.
    const v = await makeVault({ config: { log: { slow_request_ms: 1 } } });
    try {
      await unseal(v);
      const { app, lines } = await loggedServer(v, 'info');
      try {
        const r = await app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: v.adminKey } });
        expect(r.statusCode).toBe(200);
        const slow = lines.map((l) => JSON.parse(l) as LogLine).filter((l) => l.msg === 'slow request');
        expect(slow).toHaveLength(1);
        expect(slow[0]?.level).toBe(40);
        expect(typeof slow[0]?.reqId).toBe('string');
        expect(slow[0]?.req).toMatchObject({ method: 'POST', url: '/v1/sessions' });
        expect(slow[0]?.res?.statusCode).toBe(200);
        expect(lines.join('\n')).not.toContain(v.adminKey as string);
      } finally {
        await app.close();
      }
    } finally {
      await v.cleanup();
    }
  });
});

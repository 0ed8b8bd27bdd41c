/**
 * `GET /v1/sys/audit` and `POST /v1/sys/audit/hash` over a real vault: entries come back
 * as stored, paged by seq either way and filtered by path prefix and time; only the
 * daemon admin may read them; bad query values get their exact code and change nothing;
 * the hashed input never reaches the logs or the audit log.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditEntries, bearer, expectError, loggedServer, login, makeVault, unseal, type TestVault } from './helpers.js';

interface Page {
  entries: { seq: number; time: string; hash: string; entry: Record<string, unknown> }[];
  next: number | null;
}

describe('GET /v1/sys/audit', () => {
  let v: TestVault;
  let admin = '';
  beforeEach(async () => {
    v = await makeVault();
    await unseal(v);
    admin = (await login(v, v.adminKey ?? '')).token;
  });
  afterEach(() => v.cleanup());

  const list = async (query: string, token = admin) => v.app.inject({ method: 'GET', url: `/v1/sys/audit${query}`, headers: bearer(token) });
  const page = async (query: string): Promise<Page> => {
    const r = await list(query);
    expect(r.statusCode, r.body).toBe(200);
    return r.json<Page>();
  };

  it('pages through every entry in seq order, as stored, and follows next to the end', async () => {
    const stored = [...v.storage.audit.entries()];
    const seen: number[] = [];
    let after: number | null = 0;
    let pages = 0;
    while (after !== null) {
      const p = await page(`?limit=2&after=${after}`);
      seen.push(...p.entries.map((e) => e.seq));
      after = p.next;
      pages++;
      if (pages > stored.length + 5) throw new Error('the cursor did not advance');
    }
    // Each read appends its own entry, so the walk ends after the entries stored before it.
    expect(seen.slice(0, stored.length)).toEqual(stored.map((e) => e.seq));
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    const first = (await page('?limit=1')).entries[0];
    const row = stored[0];
    expect(first).toEqual({ seq: row?.seq, time: new Date(row?.time ?? 0).toISOString(), hash: Buffer.from(row?.hash ?? []).toString('hex'), entry: JSON.parse(row?.entry ?? '') as unknown });
    expect((await page('')).entries.length).toBe(Math.min(100, v.storage.audit.count() - 1));
  });

  it('answers newest first with order=desc, and filters by path prefix and time', async () => {
    const before = v.storage.audit.last()?.seq ?? 0;
    const desc = await page('?order=desc&limit=3');
    // The newest entry is this very request's predecessor (its own is written after the answer).
    expect(desc.entries.map((e) => e.seq)).toEqual([before, before - 1, before - 2]);
    expect(desc.next).toBe(before - 2);
    expect((await page(`?order=desc&limit=1&after=${before - 2}`)).entries.map((e) => e.seq)).toEqual([before - 3]);

    const sessions = await page('?path=/v1/sessions&limit=1000');
    expect(sessions.entries.length).toBeGreaterThan(0);
    for (const e of sessions.entries) expect(String(e.entry['path'])).toMatch(/^\/v1\/sessions/);
    expect(sessions.entries.length).toBe(auditEntries(v).filter((e) => typeof e['path'] === 'string' && e['path'].startsWith('/v1/sessions')).length);
    // The reads themselves are audited under their own path.
    const reads = await page('?path=/v1/sys/audit&limit=1000');
    expect(reads.entries.length).toBe(3);
    expect(reads.entries.every((e) => e.entry['status'] === 200 && (e.entry['detail'] as Record<string, unknown>)['listed'] !== undefined)).toBe(true);

    const last = v.storage.audit.last();
    const since = new Date(last?.time ?? 0).toISOString();
    const recent = await page(`?since=${encodeURIComponent(since)}&limit=1000`);
    expect(recent.entries.length).toBeGreaterThan(0);
    for (const e of recent.entries) expect(Date.parse(e.time)).toBeGreaterThanOrEqual(last?.time ?? 0);
    expect((await page(`?since=${encodeURIComponent('2999-01-01T00:00:00Z')}`)).entries).toEqual([]);
    expect((await page('?path=/nothing/here')).next).toBeNull();
  });

  it('refuses bad query values with their exact code and writes no entry but the refusal', async () => {
    const bad: [string, 'OV_INVALID_ARGUMENT' | 'OV_BAD_REQUEST'][] = [
      ['?limit=0', 'OV_INVALID_ARGUMENT'],
      ['?limit=1001', 'OV_INVALID_ARGUMENT'],
      ['?limit=abc', 'OV_INVALID_ARGUMENT'],
      ['?limit=-1', 'OV_INVALID_ARGUMENT'],
      ['?after=1.5', 'OV_INVALID_ARGUMENT'],
      ['?after=99999999999999999999', 'OV_INVALID_ARGUMENT'],
      ['?since=yesterday', 'OV_INVALID_ARGUMENT'],
      ['?since=2026-01-01', 'OV_INVALID_ARGUMENT'],
      ['?since=2026-13-45T00:00:00Z', 'OV_INVALID_ARGUMENT'],
      ['?order=sideways', 'OV_BAD_REQUEST'],
      ['?unknown=1', 'OV_BAD_REQUEST'],
    ];
    for (const [query, code] of bad) {
      const count = v.storage.audit.count();
      const r = await list(query);
      expectError(r, 400, code);
      const added = [...v.storage.audit.entries(count + 1)].map((e) => JSON.parse(e.entry) as Record<string, unknown>);
      expect(added.map((e) => [e['path'], e['status'], e['code']]), query).toEqual([['/v1/sys/audit', 400, code]]);
    }
  });

  it('refuses a non-admin, a scoped admin and no token', async () => {
    const mk = async (role: string, scope: string): Promise<string> => {
      const r = await v.app.inject({ method: 'POST', url: '/v1/apikeys', headers: bearer(admin), payload: { role, label: `${role} ${scope}`, scope } });
      expect(r.statusCode, r.body).toBe(201);
      return (await login(v, r.json<{ key: string }>().key)).token;
    };
    for (const token of [await mk('operator', '*'), await mk('admin', 'apps')]) {
      expectError(await list('', token), 403, 'OV_FORBIDDEN');
      expectError(await v.app.inject({ method: 'POST', url: '/v1/sys/audit/hash', headers: bearer(token), payload: { input: 'x' } }), 403, 'OV_FORBIDDEN');
    }
    expectError(await v.app.inject({ method: 'GET', url: '/v1/sys/audit' }), 401, 'OV_AUTH_INVALID');
    const d = await v.app.inject({ method: 'GET', url: '/v1/sys/describe' });
    expect(d.json<{ capabilities: string[] }>().capabilities).toContain('audit.read');
  });
});

describe('POST /v1/sys/audit/hash', () => {
  let v: TestVault;
  afterEach(() => v.cleanup());

  it('answers the HMAC the log records for a token, and never logs or audits the input', async () => {
    v = await makeVault();
    const { app, lines } = await loggedServer(v, 'trace');
    await unseal(v);
    const admin = (await login(v, v.adminKey ?? '')).token;
    const wrong = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJub2JvZHkifQ.bm90LWEtc2lnbmF0dXJl';
    const failed = await app.inject({ method: 'GET', url: '/v1/secrets', headers: bearer(wrong) });
    expectError(failed, 401, 'OV_AUTH_INVALID');
    const recorded = (auditEntries(v).at(-1)?.['detail'] as Record<string, unknown> | undefined)?.['token'];
    expect(recorded).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);

    const secret = 'leak-check-input-7d1e5b';
    const before = v.storage.audit.count();
    for (const input of [wrong, secret]) {
      const r = await app.inject({ method: 'POST', url: '/v1/sys/audit/hash', headers: bearer(admin), payload: { input } });
      expect(r.statusCode, r.body).toBe(200);
      if (input === wrong) expect(r.json<{ hash: string }>().hash).toBe(recorded);
    }
    const added = [...v.storage.audit.entries(before + 1)];
    expect(added.map((e) => (JSON.parse(e.entry) as Record<string, unknown>)['path'])).toEqual(['/v1/sys/audit/hash', '/v1/sys/audit/hash']);
    const hashOfSecret = v.vault.audit.hmac(secret);
    for (const e of added) {
      expect(e.entry).not.toContain(secret);
      expect(e.entry).not.toContain(hashOfSecret.slice('hmac-sha256:'.length));
    }
    expect([...v.storage.audit.entries()].some((e) => e.entry.includes(secret))).toBe(false);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain(secret);

    expectError(await app.inject({ method: 'POST', url: '/v1/sys/audit/hash', headers: bearer(admin), payload: { input: 5 } }), 400, 'OV_BAD_REQUEST');
    expectError(await app.inject({ method: 'POST', url: '/v1/sys/audit/hash', headers: bearer(admin), payload: { input: 'a', more: 1 } }), 400, 'OV_BAD_REQUEST');
    expectError(await app.inject({ method: 'POST', url: '/v1/sys/audit/hash', headers: bearer(admin), payload: {} }), 400, 'OV_BAD_REQUEST');
  });
});

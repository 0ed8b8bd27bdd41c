/**
 * `POST /v1/sys/audit/archive` and `POST /v1/sys/audit/prune` over a real vault: the
 * archive is the next closed range and nothing is pruned until the prune names its end;
 * a repeated prune is a no-op; bad cut-offs, bodies and boundaries get their exact codes
 * and change nothing; only the daemon admin may call either.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseArchive } from '../../../src/audit/index.js';
import { bearer, expectError, login, makeVault, unseal, type TestVault } from './helpers.js';

describe('POST /v1/sys/audit/archive and /v1/sys/audit/prune', () => {
  let v: TestVault;
  let admin = '';
  beforeEach(async () => {
    v = await makeVault({ checkpointEvery: 10 });
    await unseal(v);
    admin = (await login(v, v.adminKey ?? '')).token;
    for (let i = 0; i < 25; i++) await v.app.inject({ method: 'GET', url: '/v1/sys/seal-status' });
    await v.app.inject({ method: 'GET', url: '/v1/sys/audit?limit=1', headers: bearer(admin) });
    await v.vault.audit.settled();
  });
  afterEach(() => v.cleanup());

  const later = (): string => new Date(v.clock.t + 60_000).toISOString();
  const archive = async (payload: unknown, token = admin) => v.app.inject({ method: 'POST', url: '/v1/sys/audit/archive', headers: bearer(token), payload: payload as Record<string, unknown> });
  const prune = async (payload: unknown, token = admin) => v.app.inject({ method: 'POST', url: '/v1/sys/audit/prune', headers: bearer(token), payload: payload as Record<string, unknown> });

  it('answers the next archive, prunes only on request, and a repeated prune changes nothing', async () => {
    const lastCp = v.storage.audit.lastCheckpointSeq();
    expect(lastCp).toBeGreaterThanOrEqual(20);
    const r = await archive({ before: later() });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toBe('application/octet-stream');
    const a = parseArchive(new Uint8Array(r.rawPayload));
    expect([a.header.firstSeq, a.header.lastSeq]).toEqual([1, lastCp]);
    expect(v.storage.audit.archives()).toEqual([]);
    expect([...v.storage.audit.entries()][0]?.seq).toBe(1);
    const end = a.checkpoints[a.checkpoints.length - 1]!;
    const hash = Buffer.from(end.hash).toString('hex');
    const p = await prune({ through: end.seq, hash });
    expect(p.statusCode, p.body).toBe(200);
    expect(p.json()).toEqual({ pruned: lastCp, first_seq: 1, last_seq: lastCp });
    expect([...v.storage.audit.entries()][0]?.seq).toBe(lastCp + 1);
    expect((await prune({ through: end.seq, hash })).json()).toEqual({ pruned: 0, first_seq: lastCp + 1, last_seq: lastCp });
    const d = await v.app.inject({ method: 'GET', url: '/v1/sys/describe' });
    expect(d.json<{ capabilities: string[] }>().capabilities).toContain('audit.archive');
  });

  it('answers 204 when no checkpoint is older than the cut-off, and accepts a duration', async () => {
    const r = await archive({ before: new Date(v.clock.t - 60_000).toISOString() });
    expect(r.statusCode).toBe(204);
    expect((await archive({ before: '1d' })).statusCode).toBe(204);
    expect(v.storage.audit.archives()).toEqual([]);
  });

  it('refuses bad cut-offs, bodies and boundaries with their codes, changing nothing', async () => {
    for (const before of ['yesterday', '2030-13-45T00:00:00Z', '15', '2030-01-01 00:00:00']) {
      expectError(await archive({ before }), 400, 'OV_INVALID_ARGUMENT');
    }
    expectError(await archive({}), 400, 'OV_BAD_REQUEST');
    expectError(await archive({ before: '1d', extra: 1 }), 400, 'OV_BAD_REQUEST');
    expectError(await prune({ through: 0, hash: '00'.repeat(32) }), 400, 'OV_BAD_REQUEST');
    expectError(await prune({ through: 10, hash: 'XYZ' }), 400, 'OV_BAD_REQUEST');
    const cp = v.storage.audit.checkpoints()[0]!;
    expectError(await prune({ through: cp.seq, hash: '00'.repeat(32) }), 409, 'OV_AUDIT_ARCHIVE_STALE');
    expectError(await prune({ through: cp.seq + 1, hash: Buffer.from(cp.hash).toString('hex') }), 409, 'OV_AUDIT_ARCHIVE_STALE');
    expect(v.storage.audit.archives()).toEqual([]);
    expect([...v.storage.audit.entries()][0]?.seq).toBe(1);
  });

  it('refuses a non-admin, a scoped admin and no token', async () => {
    const mk = async (role: string, scope: string): Promise<string> => {
      const r = await v.app.inject({ method: 'POST', url: '/v1/apikeys', headers: bearer(admin), payload: { role, label: `${role} ${scope}`, scope } });
      expect(r.statusCode, r.body).toBe(201);
      return (await login(v, r.json<{ key: string }>().key)).token;
    };
    const cp = v.storage.audit.checkpoints()[0]!;
    const body = { through: cp.seq, hash: Buffer.from(cp.hash).toString('hex') };
    for (const token of [await mk('operator', '*'), await mk('admin', 'apps')]) {
      expectError(await archive({ before: later() }, token), 403, 'OV_FORBIDDEN');
      expectError(await prune(body, token), 403, 'OV_FORBIDDEN');
    }
    expectError(await v.app.inject({ method: 'POST', url: '/v1/sys/audit/prune', payload: body }), 401, 'OV_AUTH_INVALID');
    expect(v.storage.audit.archives()).toEqual([]);
  });
});

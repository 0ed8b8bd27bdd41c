/**
 * Three `vault server` processes on one PostgreSQL database (each its own data dir, the
 * same unseal key file): a session, an API key and a secret made on one node hold on the
 * others, a revocation answered by one node is refused by every other at once, and a
 * node that loses the database answers 503 OV_CLUSTER_LEASE until it has renewed.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, makeSandbox, type Sandbox } from '../helpers/cli.js';
import { api, errorCode, sleep, type Daemon } from '../helpers/daemon.js';
import { startPostgres, type PgServer } from '../helpers/pg.js';
import { setupPgVault, startClusterNodes, type PgVault } from './cluster-fixture.js';

const NODES = ['a', 'b', 'c'] as const;

interface Session {
  readonly token: string;
  readonly id: string;
}

let sb: Sandbox;
let server: PgServer;
let vault: PgVault;
let nodes = new Map<string, Daemon>();
const node = (name: string): Daemon => nodes.get(name) as Daemon;

async function exchange(on: string, key: string): Promise<Session> {
  const r = await api(node(on).addr, 'POST', '/v1/sessions', { json: { key } });
  expect(r.status).toBe(200);
  return r.json as Session;
}

const self = (on: string, token: string) => api(node(on).addr, 'GET', '/v1/sessions/self', { token });

/** Polls `fn` until it returns true; the deadline is generous, nothing here measures time. */
async function until(what: string, fn: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

beforeAll(async () => {
  assertBuilt();
  sb = makeSandbox('vault-cluster-');
  server = await startPostgres();
  vault = await setupPgVault(server.url, sb.path('keys'), 'a');
  nodes = await startClusterNodes(sb, server.url, vault, NODES);
}, 120_000);

afterAll(async () => {
  await Promise.all([...nodes.values()].map((d) => d.stop()));
  await server?.destroy();
  sb?.cleanup();
});

describe('three daemons on one PostgreSQL database', () => {
  it('health names the node, its role and every member with its lease', async () => {
    const h = await api(node('b').addr, 'GET', '/v1/sys/health');
    expect(h.status).toBe(200);
    const c = (h.json as { cluster: { node: string; role: string; database_reachable: boolean; members: { node: string; lease_until: number; live: boolean }[] } }).cluster;
    expect(c).toMatchObject({ node: 'b', role: 'active', database_reachable: true });
    expect(c.members.map((m) => m.node)).toEqual(['a', 'b', 'c']);
    for (const m of c.members) expect(m.lease_until).toBeGreaterThan(Date.now() - 60_000);
  });

  it('vault status shows the node, its role and the members; metrics carry the cluster figures per node', async () => {
    const r = await sb.run(['status', '--json'], { env: { ONTOREF_ADDR: node('c').addr } });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.out) as { sealed: boolean; cluster: { node: string; role: string; database_reachable: boolean; members: { node: string; live: boolean }[] } };
    expect(doc).toMatchObject({ sealed: false, cluster: { node: 'c', role: 'active', database_reachable: true } });
    expect(doc.cluster.members.map((m) => [m.node, m.live])).toEqual([
      ['a', true],
      ['b', true],
      ['c', true],
    ]);
    const text = await sb.run(['status'], { env: { ONTOREF_ADDR: node('c').addr } });
    expect(text.out).toMatch(/^Node\s+c$/m);
    expect(text.out).toMatch(/^Member a\s+live, lease until \d{4}-/m);
    const admin = await exchange('c', vault.adminKey);
    const m = await api(node('c').addr, 'GET', '/v1/sys/metrics', { token: admin.token });
    expect(m.status).toBe(200);
    expect(m.text).toContain('ontoref_vault_cluster_serving{node="c"} 1');
    expect(m.text).toContain('ontoref_vault_cluster_members_live{node="c"} 3');
    expect(m.text).toMatch(/^ontoref_vault_cluster_lease_age_seconds\{node="c"\} \d/m);
  });

  it('a session opened on A is accepted by B and C', async () => {
    const s = await exchange('a', vault.adminKey);
    for (const name of NODES) {
      const r = await self(name, s.token);
      expect(r.status, `${name}: ${r.text}`).toBe(200);
      expect((r.json as { id: string }).id).toBe(s.id);
    }
  });

  it('a session revoked on A is refused by B and C as soon as the DELETE returned', async () => {
    const admin = await exchange('a', vault.adminKey);
    const victim = await exchange('a', vault.adminKey);
    // B and C hold the session in memory before the revocation.
    for (const name of ['b', 'c']) expect((await self(name, victim.token)).status).toBe(200);
    const del = await api(node('a').addr, 'DELETE', `/v1/sessions/${victim.id}`, { token: admin.token });
    expect(del.status, del.text).toBe(204);
    for (const name of NODES) {
      const r = await self(name, victim.token);
      expect(r.status, name).toBe(401);
      expect(errorCode(r)).toBe('OV_AUTH_INVALID');
    }
    // The revoker's own session is untouched everywhere.
    for (const name of NODES) expect((await self(name, admin.token)).status).toBe(200);
  });

  it('a session B has never seen is revoked through B, and refused by A, where it was opened', async () => {
    const admin = await exchange('b', vault.adminKey);
    const victim = await exchange('a', vault.adminKey);
    const del = await api(node('b').addr, 'DELETE', `/v1/sessions/${victim.id}`, { token: admin.token });
    expect(del.status, del.text).toBe(204);
    for (const name of NODES) expect((await self(name, victim.token)).status, name).toBe(401);
  });

  it('a secret written on B is read on C', async () => {
    const sb = await exchange('b', vault.adminKey);
    const w = await api(node('b').addr, 'PUT', '/v1/secrets/cluster/one', { token: sb.token, json: { data: { v: 'first' } } });
    expect(w.status, w.text).toBe(200);
    const r = await api(node('c').addr, 'GET', '/v1/secrets/cluster/one', { token: sb.token });
    expect(r.status, r.text).toBe(200);
    expect((r.json as { data: unknown }).data).toEqual({ v: 'first' });
    // A new version written on C is what B reads next (its read cache follows the database).
    expect((await api(node('c').addr, 'PUT', '/v1/secrets/cluster/one', { token: sb.token, json: { data: { v: 'second' } } })).status).toBe(200);
    expect((await api(node('b').addr, 'GET', '/v1/secrets/cluster/one', { token: sb.token })).json).toMatchObject({ data: { v: 'second' } });
  });

  it('an API key deleted on C can no longer log in on A, and its sessions end on every node', async () => {
    const admin = await exchange('c', vault.adminKey);
    const made = await api(node('c').addr, 'POST', '/v1/apikeys', { token: admin.token, json: { role: 'reader', scope: 'cluster', label: 'doomed' } });
    expect(made.status, made.text).toBe(201);
    const key = made.json as { id: string; key: string };
    const session = await exchange('a', key.key);
    for (const name of NODES) expect((await self(name, session.token)).status).toBe(200);
    const del = await api(node('c').addr, 'DELETE', `/v1/apikeys/${key.id}`, { token: admin.token });
    expect(del.status, del.text).toBe(204);
    const login = await api(node('a').addr, 'POST', '/v1/sessions', { json: { key: key.key } });
    expect(login.status).toBe(401);
    expect(errorCode(login)).toBe('OV_AUTH_INVALID');
    for (const name of NODES) expect((await self(name, session.token)).status, name).toBe(401);
  });

  it('a token key rotated on A verifies on B at once, and retiring the old version on A ends its tokens everywhere', async () => {
    const old = await exchange('a', vault.adminKey);
    expect((await self('b', old.token)).status).toBe(200);
    const rot = await api(node('a').addr, 'POST', '/v1/keys/token/rotate', { token: old.token });
    expect(rot.status, rot.text).toBe(200);
    const fresh = await exchange('a', vault.adminKey);
    for (const name of NODES) expect((await self(name, fresh.token)).status, name).toBe(200);
    const version = (rot.json as { version: number }).version;
    const retire = await api(node('a').addr, 'POST', '/v1/keys/token/min-decrypt-version', { token: fresh.token, json: { version } });
    expect(retire.status, retire.text).toBe(200);
    for (const name of NODES) {
      const r = await self(name, old.token);
      expect(r.status, name).toBe(401);
      expect(errorCode(r)).toBe('OV_AUTH_INVALID');
      expect((await self(name, fresh.token)).status, name).toBe(200);
    }
  });

  it('a node whose lease lapses answers 503 OV_CLUSTER_LEASE, is not waited for, and after renewing refuses what was revoked meanwhile', async () => {
    const admin = await exchange('a', vault.adminKey);
    const victim = await exchange('a', vault.adminKey);
    expect((await self('c', victim.token)).status).toBe(200);
    // Holding C's lease row locked makes its renewals fail while the database stays up.
    const blocker = new pg.Client({ connectionString: server.url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query("SELECT * FROM ov_cluster_nodes WHERE node = 'c' FOR UPDATE");
      await until('node c to lapse', async () => errorCode(await self('c', victim.token)) === 'OV_CLUSTER_LEASE');
      expect((await self('c', admin.token)).status).toBe(503);
      const h = await api(node('c').addr, 'GET', '/v1/sys/health');
      expect(h.status).toBe(503);
      expect(h.json).toMatchObject({ cluster: { node: 'c', role: 'lapsed' } });
      // A and B serve on; a revocation waits for live nodes only.
      expect((await self('b', admin.token)).status).toBe(200);
      const del = await api(node('a').addr, 'DELETE', `/v1/sessions/${victim.id}`, { token: admin.token });
      expect(del.status, del.text).toBe(204);
      expect((await self('b', victim.token)).status).toBe(401);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
    await until('node c to serve again', async () => (await self('c', admin.token)).status === 200);
    // C applied the revocation it missed before serving again.
    const r = await self('c', victim.token);
    expect(r.status).toBe(401);
    expect(errorCode(r)).toBe('OV_AUTH_INVALID');
    expect((await api(node('c').addr, 'GET', '/v1/sys/health')).json).toMatchObject({ cluster: { role: 'active', database_reachable: true } });
  });

  it('nodes that lose the database refuse every request (the audit fails closed) and serve again once it is back', async () => {
    const s = await exchange('a', vault.adminKey);
    await server.stop();
    try {
      for (const name of NODES) {
        await until(`node ${name} to refuse`, async () => (await self(name, s.token)).status >= 500);
      }
    } finally {
      await server.start();
    }
    for (const name of NODES) {
      await until(`node ${name} to serve again`, async () => (await self(name, s.token)).status === 200);
      await until(`node ${name} to renew`, async () => {
        const c = (await api(node(name).addr, 'GET', '/v1/sys/health')).json as { cluster?: { role: string; database_reachable: boolean } };
        return c.cluster?.role === 'active' && c.cluster.database_reachable;
      });
    }
  });
});

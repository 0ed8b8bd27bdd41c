/**
 * ClusterNode against a real PostgreSQL database (a fresh one per test): the lease row and
 * its acknowledgement, events from the triggers applied and acknowledged, and the bounds
 * of a revocation's wait for a node that is behind.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterNode, RESYNC, type ClusterEvent } from '../../../src/cluster/index.js';
import { isVaultError } from '../../../src/errors.js';
import { openPostgresStorage, type PostgresStorageHandle } from '../../../src/storage/postgres/index.js';
import { freshDatabase } from '../../helpers/pg.js';

const open: { close(): unknown }[] = [];
const nodes: ClusterNode[] = [];

afterEach(async () => {
  await Promise.all(nodes.splice(0).map((n) => n.stop()));
  for (const o of open.splice(0)) o.close();
});

async function cluster(): Promise<{ url: string; storage: PostgresStorageHandle; sql: (text: string, params?: unknown[]) => Promise<pg.QueryResult> }> {
  const url = await freshDatabase();
  const storage = openPostgresStorage({ url, node: 'a' });
  open.push(storage);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  open.push({ close: () => void client.end() });
  return { url, storage, sql: (text, params) => client.query(text, params) };
}

function node(url: string, name: string, apply: (e: readonly ClusterEvent[]) => void = () => undefined, prune: { eventRetentionMs?: number; pruneEveryMs?: number } = {}): ClusterNode {
  const n = new ClusterNode({ url, node: name, leaseMs: 1000, renewMs: 100, apply, ...prune });
  nodes.push(n);
  return n;
}

async function until(fn: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('ClusterNode', () => {
  it('refuses a lease shorter than two renewals, and a renewal under 10ms', () => {
    for (const [leaseMs, renewMs] of [
      [1000, 600],
      [1000, 5],
      [1000.5, 100],
    ] as const) {
      let err: unknown;
      try {
        new ClusterNode({ url: 'postgres://x/y', node: 'a', leaseMs, renewMs, apply: () => undefined });
      } catch (e) {
        err = e;
      }
      expect(isVaultError(err, 'OV_INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('renews its lease on the database clock and serves; stopping ends the lease at once', async () => {
    const { url, sql } = await cluster();
    const a = node(url, 'a');
    expect(a.serving()).toBe(false);
    await a.start();
    expect(a.serving()).toBe(true);
    const row = (await sql("SELECT lease_until - (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS left FROM ov_cluster_nodes WHERE node = 'a'")).rows[0] as { left: string };
    expect(Number(row.left)).toBeGreaterThan(0);
    expect(Number(row.left)).toBeLessThanOrEqual(1000);
    expect(a.status()).toMatchObject({ node: 'a', role: 'active', databaseReachable: true });
    await a.stop();
    const after = (await sql("SELECT lease_until <= (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS over FROM ov_cluster_nodes WHERE node = 'a'")).rows[0] as { over: boolean };
    expect(after.over).toBe(true);
  });

  it("applies other nodes' events from the triggers and acknowledges them, but not its own", async () => {
    const { url, storage, sql } = await cluster();
    const seen: ClusterEvent[] = [];
    const own: ClusterEvent[] = [];
    const b = node(url, 'b', (e) => seen.push(...e));
    const a = node(url, 'a', (e) => own.push(...e));
    await b.start();
    await a.start();
    // Written through the storage of node a: a key deleted, a keyring policy added.
    storage.apiKeys.insert({ id: 'k1', hash: 'h', role: 'reader', scope: 'x', label: 'l', createdAt: 1, rotatedAt: null });
    storage.apiKeys.delete('k1');
    await until(() => seen.length >= 1);
    expect(seen.map((e) => [e.kind, e.subject])).toEqual([['apikey', 'k1']]);
    const max = Number(((await sql('SELECT max(seq) AS m FROM ov_cluster_events')).rows[0] as { m: string }).m);
    await until(async () => Number(((await sql("SELECT caught_up_seq FROM ov_cluster_nodes WHERE node = 'b'")).rows[0] as { caught_up_seq: string }).caught_up_seq) >= max);
    expect(b.metrics().eventsApplied).toBe(1);
    // Node a wrote the change: it moves past the event without applying it.
    await until(async () => Number(((await sql("SELECT caught_up_seq FROM ov_cluster_nodes WHERE node = 'a'")).rows[0] as { caught_up_seq: string }).caught_up_seq) >= max);
    expect(own).toEqual([]);
  });

  it('settle waits for a live node that is behind until its lease lapses, and refuses after twice the lease for one that stays live', async () => {
    const { url, sql } = await cluster();
    const a = node(url, 'a');
    await a.start();
    await sql("SELECT ov_cluster_event('session', 'x')");
    // A node behind, whose lease runs out in 300ms: the wait ends with it.
    await sql(`INSERT INTO ov_cluster_nodes (node, addr, started_at, lease_until, renewed_at, caught_up_seq)
               VALUES ('late', NULL, 0, (extract(epoch FROM clock_timestamp()) * 1000)::bigint + 300, 0, 0)`);
    await a.settle();
    const live = (await sql("SELECT lease_until <= (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS over FROM ov_cluster_nodes WHERE node = 'late'")).rows[0] as { over: boolean };
    expect(live.over).toBe(true);
    // One that claims a long lease and never acknowledges: OV_CLUSTER_LEASE, not a hang.
    await sql("UPDATE ov_cluster_nodes SET lease_until = (extract(epoch FROM clock_timestamp()) * 1000)::bigint + 600000 WHERE node = 'late'");
    let err: unknown;
    try {
      await a.settle();
    } catch (e) {
      err = e;
    }
    expect(isVaultError(err, 'OV_CLUSTER_LEASE')).toBe(true);
    // Caught up: nothing to wait for.
    await sql("UPDATE ov_cluster_nodes SET caught_up_seq = 1000000 WHERE node = 'late'");
    await a.settle();
    expect(a.metrics().ackWaits).toBe(3);
  });

  it('prunes events every live node acknowledged; a node that missed pruned events is told to reload everything', async () => {
    const { url, sql } = await cluster();
    const a = node(url, 'a', () => undefined, { eventRetentionMs: 0, pruneEveryMs: 0 });
    const seen: ClusterEvent[] = [];
    const b = node(url, 'b', (e) => seen.push(...e));
    await a.start();
    await b.start();
    // B cannot renew while its row is locked: its lease lapses and A stops counting it.
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query("SELECT * FROM ov_cluster_nodes WHERE node = 'b' FOR UPDATE");
      await until(() => !b.serving());
      await sql("SELECT ov_cluster_event('session', 'gone')");
      await until(async () => Number(((await sql('SELECT count(*) AS n FROM ov_cluster_events')).rows[0] as { n: string }).n) === 0);
      const pruned = Number(((await sql("SELECT n FROM ov_changes WHERE name = 'cluster_pruned'")).rows[0] as { n: string }).n);
      expect(pruned).toBeGreaterThan(0);
    } finally {
      await blocker.query('ROLLBACK').catch(() => undefined);
      await blocker.end();
    }
    await until(() => b.serving());
    expect(seen).toEqual([RESYNC]);
  });
});

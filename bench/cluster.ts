/**
 * Daemons on one PostgreSQL database, each run as installed (the bundle): what a revocation
 * costs in a three-node cluster against the same call in a cluster of one, and how long
 * clients are without service when a node is killed, against the lease length.
 *
 * - Revoke: `DELETE /v1/sessions/{id}` on node a, one at a time; in the cluster it returns
 *   only once every other live node has applied the revocation. p50 and p99 of each setting,
 *   and their ratios.
 * - Failover: a client given all three addresses reads a secret in a loop; node a (first in
 *   the list) is killed with SIGKILL; the time from the kill to the next successful read,
 *   as a ratio of the lease (the bound the design promises; a refused connection moves on
 *   at once, so the figure is usually far below it).
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VaultClient } from '../src/client/index.js';
import { printHeader, ratio } from './harness.js';
import { bundle, call, exchange, freePort } from './live.js';
import { startPostgres, type PgServer } from './pg-server.js';
import { DAEMON_NODE_FLAGS } from '../src/daemon-flags.js';

const LEASE_MS = 2000;
const REVOKES = 60;

interface Node {
  readonly name: string;
  readonly addr: string;
  readonly child: ChildProcess;
}

interface Cluster {
  readonly nodes: Node[];
  readonly adminKey: string;
  stop(): Promise<void>;
}

function writeConfig(dataDir: string, url: string, node: string, keyFile: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const toml = [
    '[seal]',
    `unseal_key_file = ${JSON.stringify(keyFile)}`,
    '[storage]',
    'backend = "postgres"',
    `url = ${JSON.stringify(url)}`,
    `node = ${JSON.stringify(node)}`,
    '[cluster]',
    `lease = "${LEASE_MS}ms"`,
    'renew = "500ms"',
    '',
  ].join('\n');
  writeFileSync(join(dataDir, 'config.toml'), toml, { mode: 0o600 });
}

async function waitLive(addr: string, members: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await call(addr, 'GET', '/v1/sys/health', undefined).catch(() => undefined);
    const live = (r?.json as { cluster?: { members?: { live: boolean }[] } } | undefined)?.cluster?.members?.filter((m) => m.live).length;
    if (r?.status === 200 && live === members) return;
    if (Date.now() > deadline) throw new Error(`${addr}: not serving with ${members} live members after 60 s`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
}

/** A new database on `pg`, a vault set up in it, and one daemon per name. */
async function startCluster(pg: PgServer, names: readonly string[]): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'ov-bench-cluster-'));
  const db = `ov_bench_${Math.random().toString(36).slice(2, 10)}`;
  await createDatabase(pg, db);
  const url = pg.url.replace(/\/postgres$/, `/${db}`);
  const keyFile = join(dir, 'unseal.key');
  const env = (dataDir: string): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env, ONTOREF_DATA_DIR: dataDir, XDG_CONFIG_HOME: join(dir, 'config'), HOME: dir };
    for (const k of ['ONTOREF_TOKEN', 'ONTOREF_CONFIG', 'ONTOREF_ADMIN_TOKEN', 'ONTOREF_ADMIN_TOKEN_FILE', 'ONTOREF_ADDR', 'ONTOREF_PG_URL']) delete e[k];
    return e;
  };
  const first = join(dir, names[0] as string);
  writeConfig(first, url, names[0] as string, keyFile);
  const setup = spawnSync(process.execPath, [bundle, 'setup', '--gen-keys', '--unseal-key-file', keyFile, '--json'], { env: env(first), encoding: 'utf8' });
  if (setup.status !== 0) throw new Error(`vault setup failed: ${setup.stderr}`);
  const adminKey = readFileSync((JSON.parse(setup.stdout) as { admin_token_file: string }).admin_token_file, 'utf8').trim();
  const nodes: Node[] = [];
  for (const name of names) {
    const dataDir = join(dir, name);
    if (name !== names[0]) writeConfig(dataDir, url, name, keyFile);
    const addr = `http://127.0.0.1:${await freePort()}`;
    const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, bundle, 'server'], { cwd: dir, env: { ...env(dataDir), ONTOREF_ADDR: addr }, stdio: 'ignore' });
    nodes.push({ name, addr, child });
  }
  const stop = async (): Promise<void> => {
    await Promise.all(
      nodes.map(async (n) => {
        if (n.child.exitCode !== null || n.child.signalCode !== null) return;
        const exited = new Promise((r) => n.child.once('exit', r));
        n.child.kill('SIGTERM');
        await exited;
      }),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const n of nodes) await waitLive(n.addr, names.length);
  } catch (e) {
    await stop();
    throw e;
  }
  return { nodes, adminKey, stop };
}

async function createDatabase(pg: PgServer, name: string): Promise<void> {
  const { default: Pg } = await import('pg');
  const c = new Pg.Client({ connectionString: pg.url });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name} TEMPLATE template0`);
  } finally {
    await c.end();
  }
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/** REVOKES revocations on the cluster's first node; their latencies in ms, sorted. */
async function revokeTimes(c: Cluster): Promise<number[]> {
  const addr = (c.nodes[0] as Node).addr;
  const admin = await exchange(addr, c.adminKey);
  const times: number[] = [];
  for (let i = 0; i < REVOKES + 5; i++) {
    const r = await call(addr, 'POST', '/v1/sessions', undefined, { key: c.adminKey });
    const id = (r.json as { id: string }).id;
    const t0 = performance.now();
    const d = await call(addr, 'DELETE', `/v1/sessions/${id}`, admin);
    const ms = performance.now() - t0;
    if (d.status !== 204) throw new Error(`revoke answered ${d.status}`);
    if (i >= 5) times.push(ms);
  }
  return times.sort((a, b) => a - b);
}

/** Time (ms) from SIGKILL of the first node until a client holding every address reads again. */
async function failoverMs(c: Cluster): Promise<number> {
  const list = c.nodes.map((n) => n.addr).join(',');
  const token = await exchange((c.nodes[0] as Node).addr, c.adminKey);
  const client = new VaultClient({ addr: list, token, timeoutMs: 5000 });
  await client.putSecret('bench/failover', { data: { v: 'x' } });
  await client.getSecret('bench/failover');
  const victim = c.nodes[0] as Node;
  const exited = new Promise((r) => victim.child.once('exit', r));
  const t0 = performance.now();
  victim.child.kill('SIGKILL');
  for (;;) {
    try {
      await client.getSecret('bench/failover');
      const ms = performance.now() - t0;
      await exited;
      return ms;
    } catch {
      if (performance.now() - t0 > 30_000) throw new Error('no read succeeded within 30 s of the kill');
    }
  }
}

export async function benchCluster(): Promise<void> {
  printHeader('cluster: three daemons on one PostgreSQL database (bundle, as installed)');
  const pg = await startPostgres();
  try {
    const one = await startCluster(pg, ['solo']);
    let single: number[];
    try {
      single = await revokeTimes(one);
    } finally {
      await one.stop();
    }
    const three = await startCluster(pg, ['a', 'b', 'c']);
    try {
      const multi = await revokeTimes(three);
      const fmt = (t: readonly number[]): string => `p50 ${quantile(t, 0.5).toFixed(2)} ms, p99 ${quantile(t, 0.99).toFixed(2)} ms`;
      process.stdout.write(`  revoke, one node:    ${fmt(single)}\n  revoke, three nodes: ${fmt(multi)}\n`);
      ratio({ label: 'cluster revoke p50, 3 nodes / 1 node', ratio: quantile(multi, 0.5) / quantile(single, 0.5), baseline: 'the same call on a cluster of one' });
      ratio({ label: 'cluster revoke p99, 3 nodes / 1 node', ratio: quantile(multi, 0.99) / quantile(single, 0.99), baseline: 'the same call on a cluster of one' });
      const ms = await failoverMs(three);
      process.stdout.write(`  SIGKILL of node a to the next successful read: ${ms.toFixed(1)} ms (lease ${LEASE_MS} ms)\n`);
      ratio({ label: 'failover after SIGKILL / lease length', ratio: ms / LEASE_MS, max: 1, baseline: `lease ${LEASE_MS} ms` });
    } finally {
      await three.stop();
    }
  } finally {
    await pg.destroy();
  }
}

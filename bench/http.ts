/**
 * HTTP read benchmark: an authenticated secret read over HTTP against a bare fastify route
 * serving a constant, measured in the same run; the target is at least half the bare
 * route's requests per second.
 *
 * The server under test (the bare app, then the compiled daemon with its real storage,
 * its logging at the default level and one audit entry per request: a read's written
 * before the answer, its fsync batched in the background) and the load generator (autocannon,
 * 32 connections, no pipelining) are child processes pinned to different CPUs, so neither
 * takes the other's core; this process only orchestrates. Both servers stay up and the
 * cases alternate for `ROUNDS` rounds after a warm-up; each case keeps its best round (the
 * least disturbed by other load, as bench/harness.ts does), while non-2xx answers, errors
 * and timeouts are summed over every round and must all be 0.
 *
 * `GET /v1/sessions/self` (auth, audit and logging without the secrets layer) has the same
 * target. For information: a second bare server with fastify's default request logging
 * shows how much of the gap is logging alone. Every case prints req/s and p50 / p99
 * latency.
 *
 * Profiling: `OV_BENCH_HTTP_PROF=DIR` runs the daemon with `--cpu-prof` into DIR, and
 * `OV_BENCH_HTTP_PROF_CASE=read|self` loads only that daemon case, so the profile holds
 * one route. `OV_BENCH_HTTP_ROUNDS`, `_DURATION` and `_WARMUP` shorten a run.
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { printHeader, ratio } from './harness.js';
import { DAEMON_NODE_FLAGS } from '../src/daemon-flags.js';

const root = resolve(import.meta.dirname, '../..');
const cli = join(root, 'dist/cli/main.js');
const CONNECTIONS = 32;
const WARMUP_S = Number(process.env['OV_BENCH_HTTP_WARMUP'] ?? 2);
const DURATION_S = Number(process.env['OV_BENCH_HTTP_DURATION'] ?? 10);
/** Each case runs this many times, alternating with the others; the best round is kept. */
const ROUNDS = Number(process.env['OV_BENCH_HTTP_ROUNDS'] ?? 2);
export const SERVER_CPU = '1';
export const LOADGEN_CPU = '0';
const SECRET_PATH = 'bench/app/db';
/** Ratio labels name the runtime: `npm run bench` measures the read under two. */
const NODE = `Node ${process.versions.node.split('.')[0] ?? '?'}`;
/** A directory: the daemon then runs with `--cpu-prof` and writes its profile there. */
const PROFILE_DIR = process.env['OV_BENCH_HTTP_PROF'];
/** With a profile, which daemon case to load (`read` or `self`), so the profile holds one route. */
const PROFILE_CASE = process.env['OV_BENCH_HTTP_PROF_CASE'];

export interface LoadResult {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly total: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? ok(a.port) : fail(new Error('no port'))));
    });
  });
}

/** taskset when the machine has it and more than one CPU; otherwise run unpinned (and say so). */
export const canPin: boolean = spawnSync('taskset', ['-c', `${LOADGEN_CPU},${SERVER_CPU}`, 'true']).status === 0;

export function pinned(cpu: string, args: readonly string[]): [string, string[]] {
  return canPin ? ['taskset', ['-c', cpu, process.execPath, ...args]] : [process.execPath, [...args]];
}

/**
 * Pins every thread of this process to `cpu` (where the machine allows) and returns a
 * function that restores the CPUs it had: a bench whose client runs in this process keeps
 * it off the core of the server it measures.
 */
export function pinSelf(cpu: string): () => void {
  if (!canPin) return () => undefined;
  const before = /list:\s*(\S+)/.exec(spawnSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' }).stdout)?.[1];
  spawnSync('taskset', ['-a', '-c', '-p', cpu, String(process.pid)]);
  return () => {
    if (before !== undefined) spawnSync('taskset', ['-a', '-c', '-p', before, String(process.pid)]);
  };
}

// The load generator child: CommonJS `-e` resolves autocannon from the repo's node_modules (cwd).
const LOADGEN = `
const autocannon = require('autocannon');
const o = JSON.parse(process.env.OV_LOAD);
const run = (duration) => autocannon({ url: o.url, connections: o.connections, duration, headers: o.headers, pipelining: 1 });
(async () => {
  if (o.warmup > 0) await run(o.warmup);
  const r = await run(o.duration);
  process.stdout.write(JSON.stringify({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99,
    total: r.requests.total, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts }));
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`;

/** Drives `url` from a child pinned to the load generator's CPU; returns its figures. */
async function load(url: string, headers: Record<string, string>): Promise<LoadResult> {
  const [cmd, args] = pinned(LOADGEN_CPU, ['-e', LOADGEN]);
  const env = { ...process.env, OV_LOAD: JSON.stringify({ url, headers, connections: CONNECTIONS, warmup: WARMUP_S, duration: DURATION_S }) };
  const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`load generator failed (${String(code)}): ${err}`);
  return JSON.parse(out) as LoadResult;
}

export async function waitFor(url: string, child: ChildProcess, stderrFile?: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early${stderrFile ? `: ${readFileSync(stderrFile, 'utf8')}` : ''}`);
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url}: not ready after 20 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(t);
}

export async function call(addr: string, method: string, path: string, token: string | undefined, body?: unknown): Promise<{ status: number; json: unknown }> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`${addr}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await r.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: r.status, json };
}

export async function exchange(addr: string, key: string): Promise<string> {
  const r = await call(addr, 'POST', '/v1/sessions', undefined, { key });
  const token = (r.json as { token?: unknown } | undefined)?.token;
  if (r.status !== 200 || typeof token !== 'string') throw new Error(`session exchange failed: ${r.status} ${JSON.stringify(r.json)}`);
  return token;
}

export function line(name: string, r: LoadResult): void {
  const bad = r.non2xx + r.errors + r.timeouts;
  process.stdout.write(
    `  ${name.padEnd(52)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.p50.toFixed(0).padStart(3)} ms  p99 ${r.p99.toFixed(0).padStart(3)} ms` +
      `  (${r.total} requests; non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts})${bad > 0 ? ' FAILED' : ''}\n`,
  );
}

// LOG_FILE set: fastify's default request logging (two pino lines per request) to that file.
const BARE = `
const file = process.env.LOG_FILE;
const app = require('fastify')({ logger: file ? { level: 'info', file } : false });
app.get('/', async () => ({ hello: 'world' }));
app.listen({ host: '127.0.0.1', port: Number(process.env.PORT) }).catch((e) => { console.error(e); process.exit(1); });
`;

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
}

async function startBare(logFile?: string): Promise<Server> {
  const port = await freePort();
  const [cmd, args] = pinned(SERVER_CPU, ['-e', BARE]);
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
  if (logFile !== undefined) env['LOG_FILE'] = logFile;
  const child = spawn(cmd, args, { cwd: root, env, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}/`;
  try {
    await waitFor(url, child);
  } catch (e) {
    await stop(child);
    throw e;
  }
  return { child, url };
}

interface Vault extends Server {
  /** The reader session's `authorization` header. */
  readonly auth: Record<string, string>;
  /** False while the secrets routes are missing from the build. */
  readonly secrets: boolean;
}

async function startVault(dir: string): Promise<Vault> {
  const dataDir = join(dir, 'data');
  const env: NodeJS.ProcessEnv = { ...process.env, ONTOREF_DATA_DIR: dataDir, XDG_CONFIG_HOME: join(dir, 'config'), HOME: dir };
  for (const k of ['ONTOREF_TOKEN', 'ONTOREF_CONFIG', 'ONTOREF_ADMIN_TOKEN', 'ONTOREF_ADMIN_TOKEN_FILE']) delete env[k];
  const setup = spawnSync(process.execPath, [cli, 'setup', '--gen-keys', '--unseal-key-file', join(dataDir, 'unseal.key'), '--json'], { env, encoding: 'utf8' });
  if (setup.status !== 0) throw new Error(`vault setup failed: ${setup.stderr}`);
  const adminKey = readFileSync((JSON.parse(setup.stdout) as { admin_token_file: string }).admin_token_file, 'utf8').trim();

  const port = await freePort();
  const addr = `http://127.0.0.1:${port}`;
  const logFile = join(dir, 'daemon.log');
  const errFile = join(dir, 'daemon.err');
  const out = openSync(logFile, 'a');
  const err = openSync(errFile, 'a');
  const prof = PROFILE_DIR === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`];
  const [cmd, args] = pinned(SERVER_CPU, [...DAEMON_NODE_FLAGS, ...prof, cli, 'server']);
  const child = spawn(cmd, args, { cwd: dir, env: { ...env, ONTOREF_ADDR: addr }, stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  try {
    await waitFor(`${addr}/v1/sys/health`, child, errFile);
    const admin = await exchange(addr, adminKey);
    const created = await call(addr, 'POST', '/v1/apikeys', admin, { role: 'reader', label: 'bench reader', scope: 'bench/app' });
    const readerKey = (created.json as { key?: unknown } | undefined)?.key;
    if (created.status !== 201 || typeof readerKey !== 'string') throw new Error(`apikey create failed: ${created.status}`);
    const reader = await exchange(addr, readerKey);
    const put = await call(addr, 'PUT', `/v1/secrets/${SECRET_PATH}`, admin, {
      data: { username: 'bench', password: 'not-a-real-secret-0123456789abcdef', host: 'db.internal:5432' },
    });
    let secrets = false;
    if (put.status === 404) {
      process.stdout.write('  (secret read skipped: PUT /v1/secrets/... answers 404, the secrets routes are not in this build)\n');
    } else if (put.status !== 200) {
      throw new Error(`secret write failed: ${put.status} ${JSON.stringify(put.json)}`);
    } else {
      const check = await call(addr, 'GET', `/v1/secrets/${SECRET_PATH}`, reader);
      if (check.status !== 200) throw new Error(`secret read failed: ${check.status} ${JSON.stringify(check.json)}`);
      secrets = true;
    }
    return { child, url: addr, auth: { authorization: `Bearer ${reader}` }, secrets };
  } catch (e) {
    await stop(child);
    throw e;
  }
}

/** The better of two results (the round least disturbed by other load on a shared machine). */
export function best(a: LoadResult | undefined, b: LoadResult): LoadResult {
  if (a === undefined) return b;
  const pick = b.rps > a.rps ? b : a;
  // Failures are never hidden by picking a round: they add up over all rounds.
  return { ...pick, non2xx: a.non2xx + b.non2xx, errors: a.errors + b.errors, timeouts: a.timeouts + b.timeouts };
}

export async function benchHttp(): Promise<void> {
  printHeader(`HTTP (Node ${process.versions.node}): autocannon, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${WARMUP_S} s warm-up + ${DURATION_S} s measured per case`);
  process.stdout.write(
    canPin
      ? `  server under test pinned to CPU ${SERVER_CPU}, load generator (own process) to CPU ${LOADGEN_CPU}; cases alternate, best round kept\n`
      : '  (taskset unavailable: server and load generator are separate processes, unpinned)\n',
  );
  const dir = mkdtempSync(join(tmpdir(), 'ov-bench-http-'));
  let bareServer: Server | undefined;
  let loggedServer: Server | undefined;
  let vault: Vault | undefined;
  try {
    bareServer = await startBare();
    // Context for the ratio: the same constant route with fastify's default request
    // logging, since the daemon logs every request too (information only).
    if (PROFILE_CASE === undefined) loggedServer = await startBare(join(dir, 'bare.log'));
    vault = await startVault(dir);
    let bare: LoadResult | undefined;
    let logged: LoadResult | undefined;
    let read: LoadResult | undefined;
    let self: LoadResult | undefined;
    for (let r = 0; r < ROUNDS; r++) {
      bare = best(bare, await load(bareServer.url, {}));
      if (loggedServer !== undefined) logged = best(logged, await load(loggedServer.url, {}));
      if (vault.secrets && PROFILE_CASE !== 'self') read = best(read, await load(`${vault.url}/v1/secrets/${SECRET_PATH}`, vault.auth));
      if (PROFILE_CASE !== 'read') self = best(self, await load(`${vault.url}/v1/sessions/self`, vault.auth));
    }
    if (bare === undefined) return;
    line('bare fastify GET / (constant JSON, no logging)', bare);
    if (logged !== undefined) line('bare fastify GET / (default request logging, file)', logged);
    if (read !== undefined) line(`vault GET /v1/secrets/${SECRET_PATH} (reader session)`, read);
    if (self === undefined) return;
    line('vault GET /v1/sessions/self (reader session)', self);
    const failures = (r: LoadResult): number => r.non2xx + r.errors + r.timeouts;
    if (read !== undefined) {
      ratio({ label: `${NODE}: secret read req/s / bare fastify req/s`, ratio: read.rps / bare.rps, min: 0.5, baseline: 'bare fastify route, same run' });
      ratio({ label: `${NODE}: secret read p50 / bare fastify p50 (ms, floor 1)`, ratio: Math.max(read.p50, 1) / Math.max(bare.p50, 1), baseline: 'bare fastify route, same run' });
      ratio({ label: `${NODE}: secret read p99 / bare fastify p99`, ratio: read.p99 / Math.max(bare.p99, 1), baseline: 'bare fastify route, same run' });
      ratio({ label: 'secret read answers not 2xx (count)', ratio: failures(read), max: 0, baseline: 'none allowed' });
      if (logged !== undefined) {
        ratio({ label: 'secret read req/s / logged bare fastify req/s', ratio: read.rps / logged.rps, baseline: 'bare fastify route with request logging, same run' });
      }
    }
    ratio({ label: `${NODE}: sessions/self req/s / bare fastify req/s`, ratio: self.rps / bare.rps, min: 0.5, baseline: 'bare fastify route, same run' });
    ratio({ label: `${NODE}: sessions/self p50 / bare fastify p50 (ms, floor 1)`, ratio: Math.max(self.p50, 1) / Math.max(bare.p50, 1), baseline: 'bare fastify route, same run' });
    ratio({ label: `${NODE}: sessions/self p99 / bare fastify p99`, ratio: self.p99 / Math.max(bare.p99, 1), baseline: 'bare fastify route, same run' });
    ratio({
      label: 'bare + sessions/self answers not 2xx (count)',
      ratio: failures(bare) + failures(self) + (logged === undefined ? 0 : failures(logged)),
      max: 0,
      baseline: 'none allowed',
    });
  } finally {
    if (vault !== undefined) await stop(vault.child);
    if (bareServer !== undefined) await stop(bareServer.child);
    if (loggedServer !== undefined) await stop(loggedServer.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Start-up of the shipped `vault` (the bundle, dist/bundle/vault.js) against spawning
 * `node -e 0` and against the unbundled compiled tree (dist/cli/main.js, the same code as
 * separate modules), all measured in alternation in the same run on the same runtime:
 *
 * - daemon start: spawn `vault server` (key-file unseal, SQLite) to the first
 *   `GET /v1/sys/health` answering 200; the target is 500 ms, half the 1 s product budget
 *   (before bundling it took 0.7-1.0 s on this kind of machine), reported with its ratio
 *   to `node -e 0` and to the unbundled tree;
 * - CLI round trip: `vault secrets get PATH -field=NAME` against a running daemon, spawn
 *   to exit; the target is at most 2.5x `node -e 0`.
 *
 * Absolute milliseconds are printed too. Each figure is the median of `ROUNDS` runs
 * (`OV_BENCH_STARTUP_ROUNDS`, default 9). `OV_BENCH_STARTUP_OTHER=PATH` compares against
 * another build's `dist/cli/main.js` instead of this one's unbundled tree, e.g. an older
 * checkout's, for a before/after in one run.
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printHeader, printResult, ratio, type Result } from './harness.js';
import { bundle, freePort, root } from './live.js';
import { DAEMON_NODE_FLAGS } from '../src/daemon-flags.js';

const compiled = process.env['OV_BENCH_STARTUP_OTHER'] ?? join(root, 'dist/cli/main.js');
const otherName = process.env['OV_BENCH_STARTUP_OTHER'] === undefined ? 'unbundled dist/cli' : 'other build';
const ROUNDS = Number(process.env['OV_BENCH_STARTUP_ROUNDS'] ?? 9);

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

function result(name: string, xs: readonly number[]): Result {
  const ms = median(xs);
  return { name: `${name} (median of ${xs.length})`, ms, hz: 1000 / ms };
}

/** Milliseconds from spawning `node args` to its exit; throws unless it exits 0. */
function timeRun(args: readonly string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${String(r.status)}: ${r.stderr.toString()}`);
  return ms;
}

async function healthy(url: string, deadlineMs: number): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    if (performance.now() - t0 > deadlineMs) throw new Error(`${url}: not healthy after ${deadlineMs} ms`);
    const r = await fetch(url).catch(() => undefined);
    if (r?.status === 200) return;
    await new Promise((ok) => setTimeout(ok, 5));
  }
}

/** Milliseconds from spawning `node script server` to health 200; the daemon is then killed. */
async function timeDaemon(script: string, env: NodeJS.ProcessEnv): Promise<number> {
  const addr = `http://127.0.0.1:${await freePort()}`;
  const t0 = performance.now();
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, script, 'server'], { env: { ...env, ONTOREF_ADDR: addr }, stdio: 'ignore' });
  try {
    await healthy(`${addr}/v1/sys/health`, 15_000);
    return performance.now() - t0;
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
}

async function daemonStart(env: NodeJS.ProcessEnv): Promise<void> {
  printHeader(`Start-up: daemon spawn to health 200 (Node ${process.versions.node})`);
  const node: number[] = [];
  const bundled: number[] = [];
  const tree: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    node.push(timeRun(['-e', '0'], env));
    bundled.push(await timeDaemon(bundle, env));
    tree.push(await timeDaemon(compiled, env));
  }
  const n = result('node -e 0, spawn to exit', node);
  const b = result('vault server (bundle), spawn to health 200', bundled);
  const t = result(`vault server (${otherName}), spawn to health 200`, tree);
  for (const r of [n, b, t]) printResult(r);
  ratio({ label: 'daemon start (bundle) / node -e 0', ratio: b.ms / n.ms, baseline: 'spawning node itself, same run' });
  ratio({ label: `daemon start: bundle / ${otherName}`, ratio: b.ms / t.ms, baseline: `${otherName}, same run` });
  ratio({ label: 'daemon start (bundle) / 500 ms budget', ratio: b.ms / 500, max: 1, baseline: 'half the 1 s product target' });
}

async function cliRoundTrip(env: NodeJS.ProcessEnv): Promise<void> {
  printHeader(`Start-up: vault secrets get -field against a running daemon, spawn to exit (Node ${process.versions.node})`);
  const addr = `http://127.0.0.1:${await freePort()}`;
  const denv: NodeJS.ProcessEnv = { ...env, ONTOREF_ADDR: addr };
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, bundle, 'server'], { env: denv, stdio: 'ignore' });
  try {
    await healthy(`${addr}/v1/sys/health`, 15_000);
    const login = spawnSync(process.execPath, [bundle, 'login', '--admin', '--print-token'], { env: denv, encoding: 'utf8' });
    if (login.status !== 0) throw new Error(`vault login failed: ${login.stderr}`);
    const tenv: NodeJS.ProcessEnv = { ...denv, ONTOREF_TOKEN: login.stdout.trim() };
    const put = spawnSync(process.execPath, [bundle, 'secrets', 'put', 'bench/db', 'password=-'], { env: tenv, input: 'not-a-real-secret-0123456789' });
    if (put.status !== 0) throw new Error(`vault secrets put failed: ${put.stderr.toString()}`);
    const get = ['secrets', 'get', 'bench/db', '-field=password'];
    // One unmeasured run of each: the daemon compiles a route's schemas on its first request.
    timeRun([bundle, ...get], tenv);
    const node: number[] = [];
    const bundled: number[] = [];
    const tree: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      node.push(timeRun(['-e', '0'], tenv));
      bundled.push(timeRun([bundle, ...get], tenv));
      tree.push(timeRun([compiled, ...get], tenv));
    }
    const n = result('node -e 0, spawn to exit', node);
    const b = result('vault secrets get (bundle), spawn to exit', bundled);
    const t = result(`vault secrets get (${otherName}), spawn to exit`, tree);
    for (const r of [n, b, t]) printResult(r);
    ratio({ label: 'secrets get round trip (bundle) / node -e 0', ratio: b.ms / n.ms, max: 2.5, baseline: 'spawning node itself, same run' });
    ratio({ label: `secrets get round trip: bundle / ${otherName}`, ratio: b.ms / t.ms, baseline: `${otherName}, same run` });
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

export async function benchStartup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ov-bench-startup-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, ONTOREF_DATA_DIR: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config'), HOME: dir };
    for (const k of ['ONTOREF_TOKEN', 'ONTOREF_CONFIG', 'ONTOREF_ADMIN_TOKEN', 'ONTOREF_ADMIN_TOKEN_FILE', 'ONTOREF_ADDR']) delete env[k];
    const setup = spawnSync(process.execPath, [bundle, 'setup', '--gen-keys', '--unseal-key-file', join(dir, 'data', 'unseal.key'), '--json'], { env, encoding: 'utf8' });
    if (setup.status !== 0) throw new Error(`vault setup failed: ${setup.stderr}`);
    await daemonStart(env);
    await cliRoundTrip(env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

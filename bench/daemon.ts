/**
 * Daemon start-up: from spawning `vault server` (compiled, key-file auto-unseal, embedded
 * SQLite) to the first `GET /v1/sys/health` answering 200, against the same measurement
 * of a bare node:http server in the same run. The product target is under 1 s.
 *
 * CLI round trip: `vault secrets get PATH -field=NAME` from spawn to exit against a
 * running daemon (token in ONTOREF_TOKEN, as a provisioning job runs it), against
 * spawning `node -e 0` in the same run. The product target is under 300 ms.
 * @module
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { printHeader, printResult, ratio, type Result } from './harness.js';
import { freePort } from './http.js';
import { DAEMON_NODE_FLAGS } from '../src/daemon-flags.js';

const root = resolve(import.meta.dirname, '../..');
const cli = join(root, 'dist/cli/main.js');


/** Spawns `args`, polls `url` until it answers 200, kills the child; returns milliseconds. */
async function timeToHealthy(args: readonly string[], env: NodeJS.ProcessEnv, url: string): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env, stdio: 'ignore' });
  try {
    await timeToReady(url);
    return performance.now() - t0;
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
}

/** Milliseconds from spawning `node args` to its exit; throws unless it exits 0. */
function timeRun(args: readonly string[], env: NodeJS.ProcessEnv): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${String(r.status)}: ${r.stderr.toString()}`);
  return ms;
}

const ROUND_TRIPS = 9;

async function benchCliRoundTrip(env: NodeJS.ProcessEnv): Promise<void> {
  printHeader('CLI round trip: vault secrets get -field against a running daemon');
  const port = await freePort();
  const addr = `http://127.0.0.1:${port}`;
  const denv: NodeJS.ProcessEnv = { ...env, ONTOREF_ADDR: addr };
  const child = spawn(process.execPath, [...DAEMON_NODE_FLAGS, cli, 'server'], { env: denv, stdio: 'ignore' });
  try {
    await timeToReady(`${addr}/v1/sys/health`);
    const login = spawnSync(process.execPath, [cli, 'login', '--admin', '--print-token'], { env: denv, encoding: 'utf8' });
    if (login.status !== 0) throw new Error(`vault login failed: ${login.stderr}`);
    const tenv: NodeJS.ProcessEnv = { ...denv, ONTOREF_TOKEN: login.stdout.trim() };
    const put = spawnSync(process.execPath, [cli, 'secrets', 'put', 'bench/db', 'password=-'], { env: tenv, input: 'not-a-real-secret-0123456789' });
    if (put.status !== 0) throw new Error(`vault secrets put failed: ${put.stderr.toString()}`);
    const node: number[] = [];
    const get: number[] = [];
    for (let i = 0; i < ROUND_TRIPS; i++) {
      node.push(timeRun(['-e', '0'], tenv));
      get.push(timeRun([cli, 'secrets', 'get', 'bench/db', '-field=password'], tenv));
    }
    const n: Result = { name: `node -e 0, spawn to exit (median of ${ROUND_TRIPS})`, ms: median(node), hz: 1000 / median(node) };
    const g: Result = { name: `vault secrets get -field, spawn to exit (median of ${ROUND_TRIPS})`, ms: median(get), hz: 1000 / median(get) };
    printResult(n);
    printResult(g);
    ratio({ label: 'secrets get round trip / node -e 0', ratio: g.ms / n.ms, baseline: 'spawning node itself, same run' });
    ratio({ label: 'secrets get round trip / 300 ms budget', ratio: g.ms / 300, max: 1, baseline: 'the 300 ms product target' });
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

/** Polls `url` every 5 ms until it answers 200 (15 s at most). */
async function timeToReady(url: string): Promise<void> {
  const t0 = performance.now();
  for (;;) {
    if (performance.now() - t0 > 15_000) throw new Error(`${url}: not healthy after 15 s`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

export async function benchDaemon(): Promise<void> {
  printHeader('Daemon start to health 200 (compiled, key-file unseal, SQLite)');
  const dir = mkdtempSync(join(tmpdir(), 'ov-bench-daemon-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, ONTOREF_DATA_DIR: join(dir, 'data'), XDG_CONFIG_HOME: join(dir, 'config') };
    delete env['ONTOREF_TOKEN'];
    delete env['ONTOREF_CONFIG'];
    const setup = spawnSync(process.execPath, [cli, 'setup', '--gen-keys', '--unseal-key-file', join(dir, 'data', 'unseal.key'), '--json'], { env, encoding: 'utf8' });
    if (setup.status !== 0) throw new Error(`vault setup failed: ${setup.stderr}`);

    const bare: number[] = [];
    const daemon: number[] = [];
    const bareScript = "require('node:http').createServer((q,s)=>s.end('ok')).listen(Number(process.env.PORT),'127.0.0.1')";
    for (let i = 0; i < 5; i++) {
      const p1 = await freePort();
      bare.push(await timeToHealthy(['-e', bareScript], { ...env, PORT: String(p1) }, `http://127.0.0.1:${p1}/`));
      const p2 = await freePort();
      const addr = `http://127.0.0.1:${p2}`;
      daemon.push(await timeToHealthy([...DAEMON_NODE_FLAGS, cli, 'server'], { ...env, ONTOREF_ADDR: addr }, `${addr}/v1/sys/health`));
    }
    const b: Result = { name: 'bare node:http server, spawn to first 200 (median of 5)', ms: median(bare), hz: 1000 / median(bare) };
    const d: Result = { name: 'vault server, spawn to health 200 (median of 5)', ms: median(daemon), hz: 1000 / median(daemon) };
    printResult(b);
    printResult(d);
    ratio({ label: 'daemon start / bare node:http start', ratio: d.ms / b.ms, baseline: 'bare node:http server started the same way' });
    ratio({ label: 'daemon start / 1 s budget', ratio: d.ms / 1000, max: 1, baseline: 'the 1 s product target' });
    await benchCliRoundTrip(env);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

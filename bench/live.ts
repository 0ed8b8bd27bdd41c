/**
 * A real daemon for the benchmarks that drive one over HTTP (bench/writes.ts,
 * bench/soak.ts): `vault setup --gen-keys` with an unseal key file in a temporary
 * directory, then `vault server` (the bundle, as installed) on a free loopback port,
 * pinned to its own CPU when the machine allows, with an admin session, an operator API
 * key scoped to `bench/` and a plain HTTP helper. Also: where the load generator runs,
 * and the daemon's resident set size read from /proc. `OV_BENCH_PROF=DIR` runs the daemon
 * with `--cpu-prof`, its profile written to DIR when it stops.
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { call, exchange, freePort, LOADGEN_CPU, pinned, SERVER_CPU } from './http.js';
import { DAEMON_NODE_FLAGS } from '../src/daemon-flags.js';

export const root = resolve(import.meta.dirname, '../..');
export const bundle = join(root, 'dist/bundle/vault.js');
// Pinning, ports and the JSON call are the HTTP bench's own: one copy for every live bench.
export { call, canPin, exchange, freePort, LOADGEN_CPU, pinned, SERVER_CPU } from './http.js';

export interface LiveVault {
  readonly addr: string;
  readonly child: ChildProcess;
  /** An admin session token. */
  readonly admin: string;
  /** An operator API key scoped to `bench/` (to exchange for sessions). */
  readonly operatorKey: string;
  /** An operator session token from that key. */
  readonly operator: string;
  rssKiB(): number;
  stop(): Promise<void>;
}

export interface LiveVaultOptions {
  /** false: the daemon runs unpinned (one that must use every core, as its KDF queue does). */
  readonly pin?: boolean;
  /** TOML appended to the generated config.toml before the daemon starts. */
  readonly config?: string;
  /** The operator key's scope (default `bench`). */
  readonly operatorScope?: string;
}

/**
 * Sets up a vault in a temporary directory and starts the bundled daemon on it, pinned to
 * its own CPU unless `opts.pin` is false.
 */
export async function startLiveVault(label: string, opts: LiveVaultOptions = {}): Promise<LiveVault> {
  const dir = mkdtempSync(join(tmpdir(), `ov-bench-${label}-`));
  const dataDir = join(dir, 'data');
  const env: NodeJS.ProcessEnv = { ...process.env, ONTOREF_DATA_DIR: dataDir, XDG_CONFIG_HOME: join(dir, 'config'), HOME: dir };
  for (const k of ['ONTOREF_TOKEN', 'ONTOREF_CONFIG', 'ONTOREF_ADMIN_TOKEN', 'ONTOREF_ADMIN_TOKEN_FILE', 'ONTOREF_ADDR']) delete env[k];
  const setup = spawnSync(process.execPath, [bundle, 'setup', '--gen-keys', '--unseal-key-file', join(dataDir, 'unseal.key'), '--json'], { env, encoding: 'utf8' });
  if (setup.status !== 0) throw new Error(`vault setup failed: ${setup.stderr}`);
  const adminKey = readFileSync((JSON.parse(setup.stdout) as { admin_token_file: string }).admin_token_file, 'utf8').trim();
  if (opts.config !== undefined) appendFileSync(join(dataDir, 'config.toml'), opts.config);
  const port = await freePort();
  const addr = `http://127.0.0.1:${port}`;
  const errFile = join(dir, 'daemon.err');
  const out = openSync(join(dir, 'daemon.log'), 'a');
  const err = openSync(errFile, 'a');
  const prof = process.env['OV_BENCH_PROF'];
  const daemonArgs = [...DAEMON_NODE_FLAGS, ...(prof === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${prof}`]), bundle, 'server'];
  const [cmd, args] = opts.pin === false ? [process.execPath, daemonArgs] : pinned(SERVER_CPU, daemonArgs);
  const child = spawn(cmd, args, { cwd: dir, env: { ...env, ONTOREF_ADDR: addr }, stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`vault server exited early: ${readFileSync(errFile, 'utf8')}`);
      const r = await fetch(`${addr}/v1/sys/health`).catch(() => undefined);
      if (r?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`${addr}: not ready after 20 s`);
      await new Promise((ok) => setTimeout(ok, 20));
    }
    const admin = await exchange(addr, adminKey);
    const created = await call(addr, 'POST', '/v1/apikeys', admin, { role: 'operator', label: 'bench operator', scope: opts.operatorScope ?? 'bench' });
    const operatorKey = (created.json as { key?: unknown } | undefined)?.key;
    if (created.status !== 201 || typeof operatorKey !== 'string') throw new Error(`apikey create failed: ${created.status} ${JSON.stringify(created.json)}`);
    const operator = await exchange(addr, operatorKey);
    const pid = child.pid ?? 0;
    // With taskset the child is taskset itself until it execs node: same pid either way.
    const rssKiB = (): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);
    return { addr, child, admin, operatorKey, operator, rssKiB, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Runs a load generator script (CommonJS, `-e`) on its own CPU; returns its JSON answer. */
export async function runLoadgen<T>(script: string, input: unknown): Promise<T> {
  const [cmd, args] = pinned(LOADGEN_CPU, ['-e', script]);
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, OV_LOAD: JSON.stringify(input) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    err += s;
    // Progress lines go straight through.
    if (s.startsWith('  ')) process.stdout.write(s);
  });
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`load generator failed (${String(code)}): ${err}`);
  return JSON.parse(out) as T;
}

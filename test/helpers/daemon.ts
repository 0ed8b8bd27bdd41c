/**
 * Drives the real daemon for the integration suites: `node dist/bundle/vault.js server` as a
 * child process on a free loopback port (ONTOREF_ADDR), in a sandbox HOME with the same
 * cleaned environment as the CLI runs (./cli.ts), its stdout and stderr appended to files
 * (so they survive a SIGKILL and can be grepped for leaked secrets afterwards), ready
 * once `GET /v1/sys/health` answers with any status. Also: `fetch`-based and raw
 * `node:http` request helpers, `vault setup` for a fresh vault, a read-only view of the
 * audit log, and the leak check every daemon suite ends with.
 *
 * Build first (`npm run build`). The daemon opens its database with whichever SQLite driver
 * loads on this runtime (better-sqlite3, else node:sqlite), so these suites run everywhere.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { openStorage } from '../../src/storage/sqlite.js';
import { cleanEnv, cliPath, transcript, type CliResult, type Sandbox } from './cli.js';

export const daemonBuilt: boolean = existsSync(cliPath);

/** A loopback port nothing listens on right now (bound to port 0, then released). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', resolve);
  });
  const addr = s.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  if (port === 0) throw new Error('no free port');
  return port;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface DaemonExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface DaemonOptions {
  /** HOME of the child (a sandbox home: XDG dirs below it). */
  readonly home: string;
  /** Directory for the captured output; each start appends to `<name>.stdout.log` / `<name>.stderr.log`. */
  readonly logDir: string;
  /** Extra environment (ONTOREF_DATA_DIR, ONTOREF_CONFIG, ...); ONTOREF_ADDR is set from the port. */
  readonly env?: Readonly<Record<string, string>>;
  /** Default: a free port. Pass the previous port to restart on the same address. */
  readonly port?: number;
  readonly name?: string;
  /** Extra arguments after `vault server`. */
  readonly args?: readonly string[];
  readonly readyTimeoutMs?: number;
}

export interface Daemon {
  readonly addr: string;
  readonly port: number;
  readonly pid: number;
  readonly stdoutFile: string;
  readonly stderrFile: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<DaemonExit>;
  running(): boolean;
  /** Sends the signal (default SIGTERM) and waits for the exit; a no-op once exited. */
  stop(signal?: NodeJS.Signals): Promise<DaemonExit>;
}

/**
 * Starts `vault server` and waits until /v1/sys/health answers (200, 501 or 503 alike), and,
 * on a cluster, until the node holds its lease.
 */
export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const port = opts.port ?? (await freePort());
  const addr = `http://127.0.0.1:${port}`;
  const name = opts.name ?? 'daemon';
  mkdirSync(opts.logDir, { recursive: true });
  const stdoutFile = join(opts.logDir, `${name}.stdout.log`);
  const stderrFile = join(opts.logDir, `${name}.stderr.log`);
  // Files, not pipes: the output is complete even when the child is killed with SIGKILL.
  const out = openSync(stdoutFile, 'a');
  const err = openSync(stderrFile, 'a');
  const env = cleanEnv(opts.home, { ...opts.env, ONTOREF_ADDR: addr });
  const child = spawn(process.execPath, [cliPath, 'server', ...(opts.args ?? [])], { cwd: opts.home, env, stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  let exit: DaemonExit | undefined;
  const exited = new Promise<DaemonExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('vault server did not start');

  const deadline = Date.now() + (opts.readyTimeoutMs ?? 20_000);
  for (;;) {
    if (exit !== undefined) {
      throw new Error(`vault server exited (${String(exit.code ?? exit.signal)}) before it was ready:\n${readFileSync(stderrFile, 'utf8')}`);
    }
    try {
      const r = await fetch(`${addr}/v1/sys/health`, { signal: AbortSignal.timeout(2000) });
      const body = (await r.json().catch(() => undefined)) as { cluster?: { role?: string } } | undefined;
      // A node of a cluster serves once it holds its first lease (a moment after it listens).
      if (body?.cluster?.role !== 'lapsed') break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`vault server not ready on ${addr}:\n${readFileSync(stderrFile, 'utf8')}`);
    }
    await sleep(50);
  }

  return {
    addr,
    port,
    pid,
    stdoutFile,
    stderrFile,
    exited,
    running: () => exit === undefined,
    async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<DaemonExit> {
      if (exit !== undefined) return exit;
      child.kill(signal);
      return exited;
    },
  };
}

// --- HTTP ---------------------------------------------------------------------------------

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The parsed body when it is JSON, else undefined. */
  readonly json: unknown;
}

export interface ApiOptions {
  readonly token?: string;
  /** Sent as JSON with `content-type: application/json`. */
  readonly json?: unknown;
  /** A raw body; a string gets fetch's default text/plain unless `contentType` says otherwise. */
  readonly body?: string | Uint8Array;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export async function api(addr: string, method: string, path: string, opts: ApiOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
  let body: string | Uint8Array | undefined = opts.body;
  if (opts.json !== undefined) {
    body = JSON.stringify(opts.json);
    headers['content-type'] = 'application/json';
  }
  if (opts.contentType !== undefined) headers['content-type'] = opts.contentType;
  const r = await fetch(`${addr}${path}`, { method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(30_000) });
  const text = await r.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: r.status, headers: r.headers, text, json };
}

/** `error.code` of an error answer, or undefined. */
export function errorCode(r: { json: unknown }): string | undefined {
  const e = (r.json as { error?: { code?: unknown } } | undefined)?.error;
  return typeof e?.code === 'string' ? e.code : undefined;
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
  readonly json: unknown;
}

/**
 * One request through node:http, for what fetch will not send as is: a path with `..`
 * segments, a chunked body without Content-Length, any header. `chunks` are written one
 * by one; write errors after the server answered early (413) are ignored.
 */
export function rawRequest(
  addr: string,
  opts: { method: string; path: string; headers?: Readonly<Record<string, string>>; chunks?: readonly (string | Uint8Array)[] },
): Promise<RawResponse> {
  const url = new URL(addr);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: url.hostname, port: Number(url.port), method: opts.method, path: opts.path, headers: { ...opts.headers }, agent: false },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (b: Buffer) => parts.push(b));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(parts).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    let answered = false;
    req.on('response', () => (answered = true));
    req.on('error', (e) => {
      if (!answered) reject(e);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
    for (const c of opts.chunks ?? []) req.write(c);
    req.end();
  });
}

// --- a vault to run --------------------------------------------------------------------

export interface SetupResult {
  readonly dataDir: string;
  readonly shares: readonly string[];
  readonly adminKey: string;
  readonly adminKeyId: string;
  readonly result: CliResult;
}

/** `vault setup --gen-keys --json` into `dataDir` (extra args e.g. `--unseal-key-file F`). */
export async function setupVault(sb: Sandbox, dataDir: string, extra: readonly string[] = []): Promise<SetupResult> {
  const r = await sb.run(['setup', '--gen-keys', '--data-dir', dataDir, '--json', ...extra]);
  if (r.code !== 0) throw new Error(`vault setup failed (${r.code}):\n${r.stderr}`);
  const doc = JSON.parse(r.out) as { shares?: string[]; admin_key_id: string; admin_token_file: string };
  const adminKey = readFileSync(doc.admin_token_file, 'utf8').trim();
  return { dataDir, shares: doc.shares ?? [], adminKey, adminKeyId: doc.admin_key_id, result: r };
}

/**
 * Sets `log_level = "debug"` in the data dir's config.toml (created if absent), so the
 * daemon logs every request: the no-leak checks then scan a log that holds each request
 * (at `info` only errors and slow requests are logged).
 */
export function logEveryRequest(dataDir: string): void {
  const file = join(dataDir, 'config.toml');
  const rest = existsSync(file) ? readFileSync(file, 'utf8') : '';
  writeFileSync(file, `log_level = "debug"\n${rest}`, { mode: 0o600 });
}

/** Unseals a running daemon over HTTP with the first three shares; throws on any refusal. */
export async function unsealOverHttp(daemon: Daemon, shares: readonly string[]): Promise<void> {
  for (const share of shares.slice(0, 3)) {
    const r = await api(daemon.addr, 'POST', '/v1/sys/unseal', { json: { share } });
    if (r.status !== 200) throw new Error(`unseal failed (${r.status}): ${r.text}`);
  }
}

// --- the audit log, read-only ----------------------------------------------------------

export interface AuditRow {
  readonly seq: number;
  readonly type: string;
  readonly method?: string;
  readonly path?: string;
  readonly status?: number;
  readonly code?: string;
  readonly session?: string;
  readonly apiKey?: string;
  readonly detail?: Record<string, string | number | boolean>;
  /** The stored canonical JSON text. */
  readonly raw: string;
}

/** Every audit entry of `<dataDir>/vault.db`, opened read-only (safe while the daemon runs). */
export function readAudit(dataDir: string): AuditRow[] {
  const storage = openStorage(join(dataDir, 'vault.db'), { readonly: true });
  try {
    return [...storage.audit.entries()].map((r) => ({ ...(JSON.parse(r.entry) as Omit<AuditRow, 'raw'>), raw: r.entry }));
  } finally {
    storage.close();
  }
}

// --- leaks -----------------------------------------------------------------------------

/** Named secrets a suite handled; the names (never the values) go into failure messages. */
export class SecretSet {
  readonly #values = new Map<string, string>();

  add(name: string, value: string): string {
    if (value.length < 16) throw new Error(`secret ${name} is too short to grep for reliably`);
    this.#values.set(name, value);
    return value;
  }

  get size(): number {
    return this.#values.size;
  }

  /** `<secret name> in <source name>` for every secret found in a source. */
  findIn(sources: readonly { name: string; text: string }[]): string[] {
    const found: string[] = [];
    for (const src of sources) for (const [name, value] of this.#values) if (src.text.includes(value)) found.push(`${name} in ${src.name}`);
    return found;
  }
}

/** Every file under `logDir` (the daemon's captured stdout and stderr). */
export function logSources(logDir: string): { name: string; text: string }[] {
  if (!existsSync(logDir)) return [];
  return readdirSync(logDir).map((f) => ({ name: f, text: readFileSync(join(logDir, f), 'utf8') }));
}

/**
 * The CLI output of this process's runs that must hold no secret: every argv and stderr, and every
 * stdout except those of the commands whose job is to print a secret once
 * (`setup` prints the shares, `apikeys create|rotate` the new key).
 */
export function cliSources(): { name: string; text: string }[] {
  const printsSecret = (args: readonly string[]): boolean =>
    args[0] === 'setup' || (args[0] === 'apikeys' && (args[1] === 'create' || args[1] === 'rotate'));
  const out: { name: string; text: string }[] = [];
  for (const r of transcript) {
    const name = `vault ${r.args.join(' ')}`;
    // argv is what a process listing shows: secrets go through stdin or files, never here.
    out.push({ name: `${name} (argv)`, text: r.args.join(' ') });
    out.push({ name: `${name} (stderr)`, text: r.stderr });
    if (!printsSecret(r.args)) out.push({ name: `${name} (stdout)`, text: r.out });
  }
  return out;
}

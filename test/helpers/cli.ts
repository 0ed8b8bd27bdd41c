/**
 * Runs the built CLI as a child process, the way users run it: the bundle `bin` and
 * install.sh point at (`node dist/bundle/vault.js`, so the suites test what ships),
 * a temporary HOME and XDG directories, an environment cleared of every ONTOREF_* variable
 * except those a test sets, optional stdin, and captured stdout (bytes), stderr and exit
 * code. Every run is also appended to `transcript`, so a suite can assert afterwards that
 * no plaintext or secret key material leaked to a stream where it does not belong.
 *
 * Build first (`npm run build`; `npm test` does it).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { expect } from 'vitest';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const cliPath = join(repoRoot, 'dist/bundle/vault.js');

export interface CliResult {
  readonly args: readonly string[];
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
  /** stdout decoded as UTF-8 (for text output). */
  readonly out: string;
}

/** Fails the test unless the command exited 0, showing the command and its stderr. */
export function expectOk(r: CliResult): void {
  expect(r.code, `vault ${r.args.join(' ')}\n${r.stderr}`).toBe(0);
}

export interface RunOptions {
  readonly stdin?: string | Uint8Array;
  /** Extra environment, e.g. { ONTOREF_CRYPTO_PROVIDER: 'noble' }. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Run under `script -qec` so stdout (and stdin) are a terminal; needs util-linux. */
  readonly tty?: boolean;
}

export interface Sandbox {
  readonly dir: string;
  readonly home: string;
  /** A path inside the sandbox's work directory. */
  path(name: string): string;
  run(args: readonly string[], opts?: RunOptions): Promise<CliResult>;
  cleanup(): void;
}

/** Every run of every sandbox in this process, in order. */
export const transcript: CliResult[] = [];

export function assertBuilt(): void {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run 'npm run build' first`);
}

export function hasScript(): boolean {
  return ['/usr/bin/script', '/bin/script'].some((p) => existsSync(p));
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

export function cleanEnv(home: string, extra: Readonly<Record<string, string>>): Record<string, string> {
  const env: Record<string, string> = {};
  // Only what a shell user would have; nothing from the test runner, no ONTOREF_*.
  for (const k of ['PATH', 'LANG', 'LC_ALL', 'TZ', 'SYSTEMROOT']) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  env['HOME'] = home;
  env['XDG_CONFIG_HOME'] = join(home, '.config');
  env['XDG_DATA_HOME'] = join(home, '.local/share');
  env['XDG_CACHE_HOME'] = join(home, '.cache');
  env['XDG_STATE_HOME'] = join(home, '.local/state');
  env['TMPDIR'] = join(home, 'tmp');
  return { ...env, ...extra };
}

export function runIn(home: string, args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  const env = cleanEnv(home, opts.env ?? {});
  const [cmd, argv] =
    opts.tty === true
      ? ['script', ['-qec', [process.execPath, cliPath, ...args].map(shellQuote).join(' '), '/dev/null']]
      : [process.execPath, [cliPath, ...args]];
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, argv, { cwd: opts.cwd ?? home, env, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.stdin.on('error', () => undefined); // the CLI may exit without reading stdin
    child.on('close', (code, signal) => {
      const stdout = Buffer.concat(out);
      const result: CliResult = {
        args,
        code: code ?? (signal === null ? -1 : 128),
        stdout,
        stderr: Buffer.concat(err).toString('utf8'),
        out: stdout.toString('utf8'),
      };
      transcript.push(result);
      resolvePromise(result);
    });
    if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
    else child.stdin.end();
  });
}

export function makeSandbox(prefix = 'vault-cli-'): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const home = join(dir, 'home');
  for (const d of ['home', 'home/.config', 'home/.local/share', 'home/.cache', 'home/tmp', 'work']) mkdirSync(join(dir, d), { recursive: true });
  const work = join(dir, 'work');
  return {
    dir,
    home,
    path: (name) => join(work, name),
    run: (args, opts = {}) => runIn(home, args, { cwd: work, ...opts }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

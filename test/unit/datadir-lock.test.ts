/**
 * src/datadir-lock.ts against real files and real processes: one holder at a time, the
 * holder's pid in the error, release, and stale locks (a dead pid, a pid alive with another
 * start time as after pid reuse, another boot, an unreadable file) taken over.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_FILE, acquireDataDirLock, dataDirLockHolder, holderAlive, processStartTime } from '../../src/datadir-lock.js';
import { VaultError } from '../../src/errors.js';

const linux = existsSync('/proc/self/stat');
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ov-lock-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function lockFile(): string {
  return join(dir, LOCK_FILE);
}

function held(): { pid: number } {
  return JSON.parse(readFileSync(lockFile(), 'utf8')) as { pid: number };
}

function expectLocked(fn: () => unknown, pid: number): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(VaultError);
  expect((err as VaultError).code).toBe('OV_DATADIR_LOCKED');
  expect((err as VaultError).detail?.['pid']).toBe(pid);
}

/** A process that exists until killed, and its pid once spawned. */
async function sleeper(): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return child as ChildProcess & { pid: number };
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => child.once('exit', () => resolve()));
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

describe('acquireDataDirLock', () => {
  it('creates vault.lock 0600 with this pid; a second acquire names the holder; release frees it', () => {
    const lock = acquireDataDirLock(dir);
    expect(statSync(lockFile()).mode & 0o777).toBe(0o600);
    expect(held().pid).toBe(process.pid);
    expect(dataDirLockHolder(dir)?.pid).toBe(process.pid);
    expectLocked(() => acquireDataDirLock(dir), process.pid);
    expect(held().pid).toBe(process.pid); // the refusal left the lock as it was
    lock.release();
    lock.release(); // idempotent
    expect(existsSync(lockFile())).toBe(false);
    expect(dataDirLockHolder(dir)).toBeUndefined();
    acquireDataDirLock(dir).release();
  });

  it('creates a missing data dir 0700', () => {
    const sub = join(dir, 'a', 'b');
    const lock = acquireDataDirLock(sub);
    expect(statSync(sub).mode & 0o777).toBe(0o700);
    lock.release();
  });

  it('refuses while another live process holds it', async () => {
    const child = await sleeper();
    try {
      writeFileSync(lockFile(), JSON.stringify({ pid: child.pid, start: processStartTime(child.pid), boot: bootId() }), { mode: 0o600 });
      expectLocked(() => acquireDataDirLock(dir), child.pid);
      expect(dataDirLockHolder(dir)?.pid).toBe(child.pid);
    } finally {
      child.kill('SIGKILL');
      await exited(child);
    }
    // Once it is gone (killed, no release), its lock is stale and taken over.
    const lock = acquireDataDirLock(dir);
    expect(held().pid).toBe(process.pid);
    lock.release();
  });

  it.runIf(linux)('takes over a lock whose pid is alive with another start time (pid reuse after SIGKILL)', () => {
    const start = processStartTime(process.pid);
    expect(start).toMatch(/^\d+$/);
    const reused = { pid: process.pid, start: `${Number(start) + 1}`, boot: bootId() };
    expect(holderAlive(reused)).toBe(false);
    writeFileSync(lockFile(), JSON.stringify(reused), { mode: 0o600 });
    const lock = acquireDataDirLock(dir);
    expect(JSON.parse(readFileSync(lockFile(), 'utf8'))).toEqual({ pid: process.pid, start, boot: bootId() });
    lock.release();
  });

  it.runIf(linux)('takes over a lock from another boot, and an empty or foreign lock file', () => {
    for (const text of [JSON.stringify({ pid: process.pid, start: processStartTime(process.pid), boot: 'another-boot' }), '', 'not json', '{"pid":1}']) {
      writeFileSync(lockFile(), text, { mode: 0o600 });
      const lock = acquireDataDirLock(dir);
      expect(held().pid).toBe(process.pid);
      lock.release();
    }
  });

  it("release leaves a lock that is no longer this process's", () => {
    const lock = acquireDataDirLock(dir);
    const other = JSON.stringify({ pid: 1, start: null, boot: null });
    writeFileSync(lockFile(), other);
    lock.release();
    expect(readFileSync(lockFile(), 'utf8')).toBe(other);
  });
});

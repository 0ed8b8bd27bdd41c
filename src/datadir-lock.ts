/**
 * The data dir lock: `<data dir>/vault.lock` (0600), created with O_EXCL by the one
 * process that writes the data dir (the daemon while it runs, `vault setup` while it
 * works), holding that process's pid, its start time and the boot id. Without it an
 * offline writer could replace the database under a running daemon, which would keep
 * serving (and acknowledging writes to) a file that no longer has a name.
 *
 * A lock whose holder is gone is stale: the pid does not exist, or it exists with another
 * start time (the holder was killed and the pid reused) or under another boot. A stale
 * lock is taken over under a second O_EXCL file, `vault.lock.takeover`, held only for the
 * few system calls of the takeover, so two processes can never both believe they hold the
 * lock. Readers (`vault audit verify`) never take it.
 * @module
 */
import { closeSync, constants, mkdirSync, openSync, readFileSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { VaultError } from './errors.js';

export const LOCK_FILE = 'vault.lock';
const TAKEOVER_SUFFIX = '.takeover';
/** A lock file is a few dozen bytes; anything larger is not ours. */
const MAX_LOCK_BYTES = 4096;

/** Who holds a lock, as written in the file. */
export interface LockHolder {
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot); null where there is no /proc. */
  readonly start: string | null;
  readonly boot: string | null;
}

export interface DataDirLock {
  readonly path: string;
  /** Removes the lock file if it is still this process's; idempotent. */
  release(): void;
}

function errno(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses. */
export function processStartTime(pid: number): string | null {
  const stat = readText(`/proc/${pid}/stat`);
  if (stat === undefined) return null;
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return rest[19] ?? null;
}

function bootId(): string | null {
  return readText('/proc/sys/kernel/random/boot_id')?.trim() ?? null;
}

function self(): LockHolder {
  return { pid: process.pid, start: processStartTime(process.pid), boot: bootId() };
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const keys = Object.keys(v).sort().join(',');
    if (keys !== 'boot,pid,start') return undefined;
    const { pid, start, boot } = v;
    if (typeof pid !== 'number' || !Number.isSafeInteger(pid) || pid <= 0) return undefined;
    if (start !== null && typeof start !== 'string') return undefined;
    if (boot !== null && typeof boot !== 'string') return undefined;
    return { pid, start, boot };
  } catch {
    return undefined;
  }
}

/** True when the process the lock names is still the one that wrote it. */
export function holderAlive(h: LockHolder): boolean {
  if (h.boot !== null) {
    const boot = bootId();
    if (boot !== null && boot !== h.boot) return false;
  }
  try {
    process.kill(h.pid, 0);
  } catch (e) {
    // EPERM: the pid exists but belongs to another user.
    if (errno(e) !== 'EPERM') return false;
  }
  if (h.start === null) return true;
  const now = processStartTime(h.pid);
  return now === null || now === h.start;
}

type ReadLock = { state: 'absent' } | { state: 'held'; holder: LockHolder } | { state: 'stale'; holder: LockHolder | undefined };

function readLock(path: string): ReadLock {
  let text: string;
  try {
    const fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    try {
      const buf = Buffer.alloc(MAX_LOCK_BYTES);
      const n = readSyncAll(fd, buf);
      text = buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    if (errno(e) === 'ENOENT') return { state: 'absent' };
    throw new VaultError('OV_IO', { op: 'read lock', ...(errno(e) === undefined ? {} : { cause: errno(e) as string }) }, { cause: e });
  }
  const holder = parseHolder(text);
  // An empty or unreadable lock is one whose writer died between create and write.
  if (holder === undefined) return { state: 'stale', holder };
  return holderAlive(holder) ? { state: 'held', holder } : { state: 'stale', holder };
}

function readSyncAll(fd: number, buf: Buffer): number {
  let got = 0;
  for (;;) {
    const n = readSync(fd, buf, got, buf.length - got, got);
    if (n === 0 || got + n >= buf.length) return got + n;
    got += n;
  }
}

/** Creates `path` with O_EXCL holding `holder`; false when it exists. */
function createExclusive(path: string, holder: LockHolder): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
  } catch (e) {
    if (errno(e) === 'EEXIST') return false;
    throw new VaultError('OV_IO', { op: 'create lock', ...(errno(e) === undefined ? {} : { cause: errno(e) as string }) }, { cause: e });
  }
  try {
    const data = Buffer.from(JSON.stringify(holder));
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    // No fsync: other processes read the page cache, and a lock that a crash left empty or
    // from another boot reads as stale. It cost the daemon's start tens of ms on a busy disk.
  } catch (e) {
    unlinkQuiet(path);
    throw new VaultError('OV_IO', { op: 'write lock' }, { cause: e });
  } finally {
    closeSync(fd);
  }
  return true;
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function lockedError(dataDir: string, holder: LockHolder): VaultError {
  return new VaultError('OV_DATADIR_LOCKED', { dataDir, pid: holder.pid });
}

/**
 * The live holder of the data dir's lock, or undefined when it is free (no lock file, or
 * a stale one). Does not take the lock.
 */
export function dataDirLockHolder(dataDir: string): LockHolder | undefined {
  const r = readLock(join(dataDir, LOCK_FILE));
  return r.state === 'held' ? r.holder : undefined;
}

/**
 * Takes the data dir's lock (creating the data dir, 0700, when missing). Throws
 * OV_DATADIR_LOCKED (`detail.pid` names the holder) while another live process holds it,
 * OV_IO when the lock file cannot be written.
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new VaultError('OV_IO', { op: 'mkdir' }, { cause: e });
  }
  const path = join(dataDir, LOCK_FILE);
  const guard = `${path}${TAKEOVER_SUFFIX}`;
  const me = self();
  for (let attempt = 0; ; attempt++) {
    if (createExclusive(path, me)) break;
    const r = readLock(path);
    if (r.state === 'held') throw lockedError(dataDir, r.holder);
    // Other processes keep creating and removing it: give up rather than spin.
    if (attempt > 8) throw new VaultError('OV_IO', { op: 'take over stale lock' });
    if (r.state === 'absent') continue; // released between our create and read: try again
    // Stale: remove it only while holding the takeover guard, re-checked under the guard,
    // so no other process can swap a live lock in between the check and the unlink.
    if (!createExclusive(guard, me)) {
      const g = readLock(guard);
      if (g.state === 'held') continue; // another process is taking over right now
      // The guard's writer died mid-takeover: a few system calls wide, so rare enough to
      // leave to the operator rather than guess.
      throw new VaultError('OV_DATADIR_LOCKED', { dataDir, file: guard });
    }
    try {
      if (readLock(path).state === 'stale') unlinkQuiet(path);
    } finally {
      unlinkQuiet(guard);
    }
  }
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      const r = readLock(path);
      if (r.state === 'held' && r.holder.pid === me.pid && r.holder.start === me.start) unlinkQuiet(path);
    },
  };
}

/**
 * fdatasync of the WAL for `durability: 'async-sync'`, off the event loop.
 *
 * The descriptor is opened lazily, read-only (fsync needs no write access on Linux), and
 * kept: SQLite rewinds and overwrites the WAL in place after a checkpoint and truncates it
 * at most in place (wal_checkpoint(TRUNCATE), journal_size_limit); it unlinks the file only
 * when the last connection closes, and the owning connection stays open as long as this
 * object is used. A WAL that does not exist yet holds nothing to flush.
 *
 * Coalescing: at most one fdatasync runs at a time. A caller arriving while one runs cannot
 * share it (its commit may have landed after the flush started), so it waits for the next
 * one, which starts when the current ends and is shared by everyone who arrived meanwhile.
 * A failed flush is sticky: after an fsync error Linux may have dropped the dirty pages
 * and a later fsync can succeed without them, so nothing more is ever acknowledged.
 * @module
 */
import { closeSync, constants as fsConstants, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import { VaultError } from '../../errors.js';
import { fsError } from './driver.js';

export class WalSync {
  readonly #path: string;
  #fd: number | undefined;
  /** The flush in progress, if any. */
  #running: Promise<void> | undefined;
  /** The flush that starts when `#running` ends, shared by everyone waiting for it. */
  #next: Promise<void> | undefined;
  #inFlight = 0;
  #failed: VaultError | undefined;
  #closed = false;
  /** How many fdatasyncs have been issued. */
  count = 0;

  /** `path` is the WAL file (the database file's name plus `-wal`). */
  constructor(path: string) {
    this.#path = path;
  }

  syncAsync(): Promise<void> {
    // #next outlives #running by a microtask turn: joining it then is still correct (it
    // starts after the flush that just ended) and keeps a second flush from starting.
    if (this.#next !== undefined) return this.#next;
    if (this.#running === undefined) return this.#start();
    this.#next = this.#running.then(noop, noop).then(() => {
      this.#next = undefined;
      return this.#start();
    });
    return this.#next;
  }

  sync(): void {
    const fd = this.#descriptor();
    if (fd === undefined) return;
    this.count++;
    try {
      fdatasyncSync(fd);
    } catch (e) {
      throw this.#fail(e);
    }
  }

  close(): void {
    this.#closed = true;
    // A flush in flight still uses the descriptor; it is closed when that one ends.
    if (this.#inFlight === 0) this.#release();
  }

  #start(): Promise<void> {
    let fd: number | undefined;
    try {
      fd = this.#descriptor();
    } catch (e) {
      // #descriptor throws only VaultErrors (the sticky failure, closed, or OV_IO).
      return Promise.reject(e instanceof Error ? e : fsError(e));
    }
    if (fd === undefined) return Promise.resolve();
    this.count++;
    this.#inFlight++;
    const running = new Promise<void>((resolve, reject) => {
      fdatasync(fd, (err) => {
        this.#inFlight--;
        if (this.#running === running) this.#running = undefined;
        if (this.#closed && this.#inFlight === 0) this.#release();
        if (err === null) resolve();
        else reject(this.#fail(err));
      });
    });
    this.#running = running;
    return running;
  }

  /** The open descriptor, or undefined when there is no WAL yet. Throws when unusable. */
  #descriptor(): number | undefined {
    if (this.#failed !== undefined) throw this.#failed;
    if (this.#closed) throw new VaultError('OV_IO', { reason: 'closed' });
    if (this.#fd !== undefined) return this.#fd;
    try {
      this.#fd = openSync(this.#path, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw fsError(e);
    }
    return this.#fd;
  }

  #fail(e: unknown): VaultError {
    const code = (e as NodeJS.ErrnoException).code;
    this.#failed ??= new VaultError('OV_IO', { reason: 'fdatasync', ...(code === undefined ? {} : { errno: code }) }, { cause: e });
    return this.#failed;
  }

  #release(): void {
    const fd = this.#fd;
    this.#fd = undefined;
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch {
      // Nothing was written through this descriptor; closing it cannot lose data.
    }
  }
}

function noop(): void {}

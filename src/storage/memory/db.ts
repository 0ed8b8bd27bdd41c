/**
 * The state every in-memory store shares: the transaction stack and the closed flag.
 *
 * Transactions are an undo log: each store registers, next to every change it makes, how
 * to reverse it. A transaction that throws replays its log backwards; one that returns
 * hands its log to the enclosing transaction (so an outer failure also undoes a committed
 * inner one: savepoint semantics). Outside a transaction nothing is logged, because every
 * single store method checks all its constraints before its first change.
 * @module
 */
import { VaultError } from '../../errors.js';

type Undo = () => void;

export class MemoryDb {
  readonly #frames: Undo[][] = [];
  #closed = false;

  /** Throws `OV_IO` once the storage is closed; every store method calls it first. */
  check(): void {
    if (this.#closed) throw new VaultError('OV_IO', { reason: 'closed' });
  }

  get closed(): boolean {
    return this.#closed;
  }

  get inTransaction(): boolean {
    return this.#frames.length > 0;
  }

  /** Records how to reverse a change just made; nothing to do outside a transaction. */
  undo(fn: Undo): void {
    this.#frames[this.#frames.length - 1]?.push(fn);
  }

  transaction<T>(fn: () => T): T {
    this.check();
    const frame: Undo[] = [];
    this.#frames.push(frame);
    let committed = false;
    try {
      const result = fn();
      // Writes made after an await would land outside the transaction; refuse like the
      // SQLite driver does, undoing what ran synchronously.
      if (isThenable(result)) throw new TypeError('Transaction function cannot return a promise');
      committed = true;
      return result;
    } finally {
      this.#frames.pop();
      if (committed) {
        const parent = this.#frames[this.#frames.length - 1];
        if (parent !== undefined) for (const u of frame) parent.push(u);
      } else {
        for (let i = frame.length - 1; i >= 0; i--) (frame[i] as Undo)();
      }
    }
  }

  close(): void {
    this.#closed = true;
  }
}

function isThenable(v: unknown): boolean {
  return (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

/**
 * Bulk work with a per-item result: runs `work` over many items with a bounded number of
 * promises in flight and reports each item's outcome in input order, so one bad
 * keystore never aborts the other 9,999.
 *
 * Why promises and not worker threads: importing a keystore is ~99% KDF (scrypt n = 2^18
 * takes ~0.5 s; the JSON parse, AES-CTR and BLS public key take ~2 ms), and the KDF runs
 * in node:crypto's asynchronous scrypt/pbkdf2, i.e. on libuv's threadpool, never on the
 * JavaScript thread. Keeping `concurrency` KDFs in flight therefore loads that many cores
 * exactly as worker threads would, without copying key material between isolates or
 * paying a worker's start-up cost. The threadpool has UV_THREADPOOL_SIZE threads
 * (default 4, shared with fs and dns): concurrency above it only queues. Imports bound
 * the actual KDF work daemon-wide with ./kdf-queue.ts (cores less one, a memory budget);
 * the lanes here only feed it. Operators on large machines raise UV_THREADPOOL_SIZE
 * before start-up to go wider.
 * @module
 */
import { availableParallelism } from 'node:os';
import { VaultError, isVaultError } from '../errors.js';
import { checkOptions } from '../util/options.js';

export interface BulkItem<T> {
  id: string;
  input: T;
}

export type BulkResult<R> =
  | { id: string; status: 'ok'; value: R }
  | { id: string; status: 'error'; code: string; message: string };

export interface BulkOptions {
  /** Items in flight at once; default `os.availableParallelism()`. */
  concurrency?: number;
  /** Called after each item settles with the number done so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

/**
 * Runs `work` on every item, at most `concurrency` at a time, and resolves with one
 * result per item in input order. A VaultError becomes `{status: 'error', code,
 * message}` with the registry's fixed message; any other failure becomes OV_INTERNAL
 * (its message could carry anything, so it is not passed on). Never rejects because of
 * an item; a throwing `onProgress` is ignored.
 */
export async function runBulk<T, R>(
  items: readonly BulkItem<T>[],
  work: (input: T) => Promise<R>,
  opts: BulkOptions = {},
): Promise<BulkResult<R>[]> {
  checkOptions(opts, ['concurrency', 'onProgress'], 'bulk');
  const concurrency = opts.concurrency ?? availableParallelism();
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'concurrency', reason: 'must be a positive integer' });
  }
  const total = items.length;
  const results = new Array<BulkResult<R>>(total);
  let next = 0;
  let done = 0;

  const runOne = async (index: number): Promise<void> => {
    const item = items[index]!;
    try {
      results[index] = { id: item.id, status: 'ok', value: await work(item.input) };
    } catch (e) {
      results[index] = isVaultError(e)
        ? { id: item.id, status: 'error', code: e.code, message: e.message }
        : { id: item.id, status: 'error', code: 'OV_INTERNAL', message: 'internal error' };
    }
    done++;
    try {
      opts.onProgress?.(done, total);
    } catch {
      // progress display is best effort; it must not turn a finished item into a failure
    }
  };

  const lane = async (): Promise<void> => {
    while (next < total) await runOne(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, lane));
  return results;
}

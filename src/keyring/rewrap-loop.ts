/**
 * The rewrap loop: re-seals every row still under an older `kem` key version to the
 * current one, so the old version can then be retired by raising the minimum decryption
 * version. One loop for every kind of sealed row; a store takes part by implementing
 * `RewrapSource` (keyset scan, compare-and-swap update, count).
 *
 * Progress is the data itself: each row records the KEM key version it is sealed under
 * and a batch commits its rows in one transaction, so a crash leaves only whole rows done
 * and the next run finds fewer stale rows; nothing else is persisted, which is what makes
 * the loop resumable. A batch reads rows in keyset order, opens each (every check of
 * `SealedRecords.open`) and seals it again outside any transaction; the update then
 * replaces a row only if its envelope still holds the exact bytes read, so a concurrent
 * destroy or rewrite wins. A row that does not open is left as it is and counted in
 * `failed`: it keeps `remaining` above zero, which is the honest answer.
 * @module
 */
import { wipe } from '../crypto/bytes.js';
import { VaultError, isVaultError } from '../errors.js';
import { vaultVerifyKeys, type SealedBinding, type SealedRecords, type SealedRow } from './sealed-records.js';

export const DEFAULT_REWRAP_BATCH = 100;
export const MAX_REWRAP_BATCH = 1000;

/** One stale row as a source hands it out: its binding, its stored envelope (null once destroyed) and its keyset position. */
export interface RewrapRow<C> {
  readonly binding: SealedBinding;
  readonly envelope: Uint8Array | null;
  readonly kemVersion: number;
  readonly cursor: C;
}

/** What a store implements to be rewrapped. `C` is its keyset cursor. */
export interface RewrapSource<C> {
  /** Up to `limit` rows with an envelope sealed below `kemVersion`, after `after` in keyset order. */
  stale(kemVersion: number, after: C | undefined, limit: number): RewrapRow<C>[];
  /** Replaces the row's envelope only if it still holds `row.envelope`; true when replaced. Runs inside `transaction`. */
  replace(row: RewrapRow<C> & SealedRow, envelope: Uint8Array, kemVersion: number): boolean;
  /** Rows with an envelope still sealed below `kemVersion`. */
  countStale(kemVersion: number): number;
  transaction<T>(fn: () => T): T;
  /** Called after a batch commits with the rows it replaced (a read cache drops them). */
  afterCommit?(rows: readonly RewrapRow<C>[]): void;
}

export interface RewrapBatchOptions<C> {
  /** Rows read per batch (1..1000, default 100). */
  readonly batchSize?: number;
  /** Start after this row; default the beginning. */
  readonly after?: C;
  /** Test hook: called inside the batch's transaction before it commits (throw to simulate a crash). */
  readonly beforeCommit?: (rows: number) => void;
}

export interface RewrapBatchResult<C> {
  /** Rows re-sealed and committed. */
  readonly rewrapped: number;
  /** Rows that did not open (left unchanged). */
  readonly failed: number;
  /** Rows that changed between read and commit (left to the writer that changed them). */
  readonly skipped: number;
  /** Where the next batch starts; the given cursor when this batch found no rows. */
  readonly cursor: C | undefined;
  /** True when the scan reached the end (fewer rows than the batch size). */
  readonly end: boolean;
  /** The KEM key version rows are now sealed under. */
  readonly keyVersion: number;
}

export interface RewrapProgress {
  readonly rewrapped: number;
  readonly failed: number;
  readonly skipped: number;
}

export interface RewrapOptions {
  readonly batchSize?: number;
  /** Stop after this many rows were handled (so a client can drive the work in slices). */
  readonly maxRows?: number;
  readonly beforeCommit?: (rows: number) => void;
  /** Called after each committed batch with the running totals. */
  readonly onProgress?: (p: RewrapProgress) => void;
}

export interface RewrapResult {
  readonly rewrapped: number;
  readonly failed: number;
  /** Rows that changed between read and commit. */
  readonly skipped: number;
  /** Rows still sealed under an older KEM key version. */
  readonly remaining: number;
  readonly keyVersion: number;
  readonly done: boolean;
}

/** A count option: undefined gives `fallback`; otherwise an integer in 1..max (OV_INVALID_ARGUMENT naming `field`). */
export function checkCount(v: number | undefined, field: string, max: number, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isSafeInteger(v) || v < 1 || v > max) throw new VaultError('OV_INVALID_ARGUMENT', { field, max });
  return v;
}

/** One batch: read up to `batchSize` stale rows after the cursor, re-seal them, commit once. */
export function rewrapBatch<C>(sealed: SealedRecords, source: RewrapSource<C>, opts: RewrapBatchOptions<C> = {}): RewrapBatchResult<C> {
  const batchSize = checkCount(opts.batchSize, 'batch_size', MAX_REWRAP_BATCH, DEFAULT_REWRAP_BATCH);
  const keyVersion = sealed.currentKemVersion();
  const rows = source.stale(keyVersion, opts.after, batchSize);
  const verify = rows.length === 0 ? [] : vaultVerifyKeys(sealed.keyring());
  const updates: { row: RewrapRow<C> & SealedRow; envelope: Uint8Array; kemVersion: number }[] = [];
  let failed = 0;
  for (const r of rows) {
    if (r.envelope === null) continue;
    const row = { ...r, envelope: r.envelope };
    let plaintext: Uint8Array | undefined;
    try {
      try {
        plaintext = sealed.open(row.binding, row, verify);
      } catch (e) {
        if (isVaultError(e, 'OV_SEALED')) throw e;
        failed++;
        continue;
      }
      updates.push({ row, ...sealed.seal(row.binding, plaintext) });
    } finally {
      wipe(plaintext);
    }
  }
  let rewrapped = 0;
  const replaced: RewrapRow<C>[] = [];
  source.transaction(() => {
    for (const u of updates) {
      if (source.replace(u.row, u.envelope, u.kemVersion)) {
        rewrapped++;
        replaced.push(u.row);
      }
    }
    opts.beforeCommit?.(updates.length);
  });
  source.afterCommit?.(replaced);
  const last = rows[rows.length - 1];
  return {
    rewrapped,
    failed,
    skipped: updates.length - rewrapped,
    cursor: last === undefined ? opts.after : last.cursor,
    end: rows.length < batchSize,
    keyVersion,
  };
}

/** Batches from the beginning until no stale row is left after the cursor, or `maxRows` rows were handled. */
export function rewrapAll<C>(sealed: SealedRecords, source: RewrapSource<C>, opts: RewrapOptions = {}): RewrapResult {
  const batchSize = checkCount(opts.batchSize, 'batch_size', MAX_REWRAP_BATCH, DEFAULT_REWRAP_BATCH);
  const maxRows = checkCount(opts.maxRows, 'max_versions', Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  let cursor: C | undefined;
  let rewrapped = 0;
  let failed = 0;
  let skipped = 0;
  let keyVersion = sealed.currentKemVersion();
  for (;;) {
    const size = Math.min(batchSize, maxRows - (rewrapped + failed + skipped));
    if (size < 1) break;
    const r = rewrapBatch(sealed, source, {
      batchSize: size,
      ...(cursor === undefined ? {} : { after: cursor }),
      ...(opts.beforeCommit === undefined ? {} : { beforeCommit: opts.beforeCommit }),
    });
    rewrapped += r.rewrapped;
    failed += r.failed;
    skipped += r.skipped;
    keyVersion = r.keyVersion;
    cursor = r.cursor;
    opts.onProgress?.({ rewrapped, failed, skipped });
    if (r.end) break;
  }
  const remaining = source.countStale(keyVersion);
  return { rewrapped, failed, skipped, remaining, keyVersion, done: remaining === 0 };
}

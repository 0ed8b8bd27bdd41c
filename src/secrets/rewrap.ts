/**
 * Rewrap of secret versions (docs/api.md `POST /v1/keys/{name}/rewrap`): the keyring's one
 * rewrap loop (src/keyring/rewrap-loop.ts) over the secret versions store, keyset-ordered
 * by (path, version). A rewritten version's read cache entry is dropped after its batch
 * commits: it is keyed by the old envelope bytes and would never hit again.
 * @module
 */
import {
  DEFAULT_REWRAP_BATCH,
  MAX_REWRAP_BATCH,
  rewrapAll,
  rewrapBatch as loopBatch,
  type RewrapRow,
  type RewrapSource,
} from '../keyring/rewrap-loop.js';
import type { SecretCursor } from '../storage/secrets-types.js';
import { secretBinding } from './sealing.js';
import type { SecretService } from './service.js';

export { DEFAULT_REWRAP_BATCH, MAX_REWRAP_BATCH };

export interface RewrapBatchOptions {
  /** Rows read per batch (1..1000, default 100). */
  readonly batchSize?: number;
  /** Start after this row (keyset cursor); default the beginning. */
  readonly after?: SecretCursor;
  /** Test hook: called inside the batch's transaction, before it commits (throw to simulate a crash). */
  readonly beforeCommit?: (rows: number) => void;
}

export interface RewrapBatchResult {
  /** Rows re-sealed and committed. */
  readonly rewrapped: number;
  /** Rows that did not open (left unchanged). */
  readonly failed: number;
  /** Rows that changed between read and commit (left to the writer that changed them). */
  readonly skipped: number;
  /** Where the next batch starts; undefined when this batch found no rows. */
  readonly cursor: SecretCursor | undefined;
  /** True when the scan reached the end (fewer rows than the batch size). */
  readonly end: boolean;
  /** The KEM key version rows are now sealed under. */
  readonly keyVersion: number;
}

export interface RewrapOptions {
  readonly batchSize?: number;
  /** Stop after this many versions (so a client can drive the work in slices). */
  readonly maxVersions?: number;
  readonly beforeCommit?: (rows: number) => void;
}

export interface RewrapResult {
  readonly rewrapped: number;
  readonly failed: number;
  /** Live versions still sealed under an older KEM key version. */
  readonly remaining: number;
  readonly keyVersion: number;
  readonly done: boolean;
}

/** The secret versions store as a rewrap row source. */
export function secretRewrapSource(service: SecretService): RewrapSource<SecretCursor> {
  const { storage } = service;
  return {
    stale: (kemVersion, after, limit) =>
      storage.secrets.staleVersions(kemVersion, after, limit).map(
        (r): RewrapRow<SecretCursor> => ({ binding: secretBinding(r), envelope: r.envelope, kemVersion: r.kemVersion, cursor: { path: r.path, version: r.version } }),
      ),
    replace: (row, envelope, kemVersion) => storage.secrets.replaceEnvelope(row.cursor.path, row.cursor.version, row.envelope, envelope, kemVersion),
    countStale: (kemVersion) => storage.secrets.countStale(kemVersion),
    transaction: (fn) => storage.transaction(fn),
    afterCommit: (rows) => {
      for (const r of rows) service.cache.evict(r.cursor.path, r.cursor.version);
    },
  };
}

/** One batch: read up to `batchSize` stale rows after the cursor, re-seal them, commit once. */
export function rewrapBatch(service: SecretService, opts: RewrapBatchOptions = {}): RewrapBatchResult {
  return loopBatch(service.sealed, secretRewrapSource(service), opts);
}

/** Batches until no stale row is left, or `maxVersions` rows were handled. */
export function rewrap(service: SecretService, opts: RewrapOptions = {}): RewrapResult {
  const { rewrapped, failed, remaining, keyVersion, done } = rewrapAll(service.sealed, secretRewrapSource(service), {
    ...(opts.batchSize === undefined ? {} : { batchSize: opts.batchSize }),
    ...(opts.maxVersions === undefined ? {} : { maxRows: opts.maxVersions }),
    ...(opts.beforeCommit === undefined ? {} : { beforeCommit: opts.beforeCommit }),
  });
  return { rewrapped, failed, remaining, keyVersion, done };
}

/**
 * Rewrap (issue 4, docs/api.md `POST /v1/keys/{name}/rewrap`): re-seal every live secret
 * version sealed under an older `kem` key version to the current one, so the old version
 * can then be retired by raising the minimum decryption version.
 *
 * Progress is the data itself: each row records the KEM key version it is sealed under,
 * and a batch rewrites its rows in one transaction, so a crash at any point leaves only
 * whole rows done and the next run simply finds fewer stale rows; nothing else is
 * persisted. A batch reads rows in (path, version) keyset order, opens each (full
 * checks: binding, vault signature, key version) with its old key and seals it again,
 * signed, under the current key, outside any transaction; the update then replaces a
 * row only if its envelope is still the exact bytes that were read, so a concurrent
 * destroy or rewrite wins. A row that does not open is skipped (left as it is, counted in
 * `failed`): it keeps `remaining` above zero, which is the honest answer.
 * @module
 */
import { wipe } from '../crypto/bytes.js';
import { VaultError, isVaultError } from '../errors.js';
import type { SecretCursor } from '../storage/secrets-types.js';
import { openSecret, sealSecret, vaultVerifyKeys } from './sealing.js';
import type { SecretService } from './service.js';

export const DEFAULT_REWRAP_BATCH = 100;
export const MAX_REWRAP_BATCH = 1000;

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

function checkCount(v: number | undefined, field: string, max: number, fallback: number): number {
  if (v === undefined) return fallback;
  if (!Number.isSafeInteger(v) || v < 1 || v > max) throw new VaultError('OV_INVALID_ARGUMENT', { field, max });
  return v;
}

/** One batch: read up to `batchSize` stale rows after the cursor, re-seal them, commit once. */
export function rewrapBatch(service: SecretService, opts: RewrapBatchOptions = {}): RewrapBatchResult {
  const batchSize = checkCount(opts.batchSize, 'batch_size', MAX_REWRAP_BATCH, DEFAULT_REWRAP_BATCH);
  const { storage, provider, signature } = service;
  const keyring = service.keyring();
  const keyVersion = keyring.current('kem').keyVersion;
  const rows = storage.secrets.staleVersions(keyVersion, opts.after, batchSize);
  const verify = vaultVerifyKeys(keyring);
  const updates: { path: string; version: number; old: Uint8Array; envelope: Uint8Array; kemVersion: number }[] = [];
  let failed = 0;
  for (const row of rows) {
    if (row.envelope === null) continue;
    let plaintext: Uint8Array | undefined;
    try {
      plaintext = openSecret(provider, keyring, { path: row.path, version: row.version, kind: row.kind, envelope: row.envelope, kemVersion: row.kemVersion }, verify);
      const sealed = sealSecret(provider, keyring, signature, { path: row.path, version: row.version, kind: row.kind }, plaintext);
      updates.push({ path: row.path, version: row.version, old: row.envelope, ...sealed });
    } catch (e) {
      if (!isVaultError(e, 'OV_SECRET_UNREADABLE')) throw e;
      failed++;
    } finally {
      wipe(plaintext);
    }
  }
  let rewrapped = 0;
  storage.transaction(() => {
    for (const u of updates) {
      if (storage.secrets.replaceEnvelope(u.path, u.version, u.old, u.envelope, u.kemVersion)) rewrapped++;
    }
    opts.beforeCommit?.(updates.length);
  });
  // After commit: the old plaintext entries are keyed by the old bytes and would never hit again.
  for (const u of updates) service.cache.evict(u.path, u.version);
  const last = rows[rows.length - 1];
  return {
    rewrapped,
    failed,
    skipped: updates.length - rewrapped,
    cursor: last === undefined ? opts.after : { path: last.path, version: last.version },
    end: rows.length < batchSize,
    keyVersion,
  };
}

/** Batches until no stale row is left after the cursor, or `maxVersions` rows were handled. */
export function rewrap(service: SecretService, opts: RewrapOptions = {}): RewrapResult {
  const batchSize = checkCount(opts.batchSize, 'batch_size', MAX_REWRAP_BATCH, DEFAULT_REWRAP_BATCH);
  const maxVersions = checkCount(opts.maxVersions, 'max_versions', Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  let cursor: SecretCursor | undefined;
  let rewrapped = 0;
  let failed = 0;
  let handled = 0;
  let keyVersion = service.keyring().current('kem').keyVersion;
  for (;;) {
    const size = Math.min(batchSize, maxVersions - handled);
    if (size < 1) break;
    const r = rewrapBatch(service, { batchSize: size, ...(cursor === undefined ? {} : { after: cursor }), ...(opts.beforeCommit === undefined ? {} : { beforeCommit: opts.beforeCommit }) });
    rewrapped += r.rewrapped;
    failed += r.failed;
    handled += r.rewrapped + r.failed + r.skipped;
    keyVersion = r.keyVersion;
    cursor = r.cursor;
    if (r.end) break;
  }
  const remaining = service.storage.secrets.countStale(keyVersion);
  return { rewrapped, failed, remaining, keyVersion, done: remaining === 0 };
}

/**
 * The audit log's options and limits, apart from the writer (./log.ts) that enforces them.
 * @module
 */
import type { SecretKeyInfo } from '../envelope/keys.js';
import type { CryptoProvider } from '../crypto/types.js';
import type { VaultError } from '../errors.js';

export interface AuditLogOptions {
  /** The keyring's current `audit` key; undefined while sealed (then `hmac` answers 'redacted'). */
  hmacKey: () => Uint8Array | undefined;
  /** The keyring's current `sign` key; undefined while sealed (checkpoints are then deferred). */
  signer: () => SecretKeyInfo | undefined;
  provider: CryptoProvider;
  /** Clock, ms since the epoch (integer >= 0). */
  now: () => number;
  /** Sign a checkpoint once this many entries follow the last one (default 1000). */
  checkpointEvery?: number;
  /**
   * Group-committed entries only: sign at most one checkpoint per this many ms (default 0,
   * no pacing). A checkpoint that falls due sooner is signed when the interval is over,
   * over the head at that time, so the unsigned tail stays bounded by both figures.
   */
  checkpointIntervalMs?: number;
  /** Longest a committed read entry waits for its background fsync (default LAZY_SYNC_MS). */
  lazySyncMs?: number;
  /** Unsynced read entries that start the background fsync at once (default LAZY_SYNC_ENTRIES). */
  lazySyncEntries?: number;
  /** Told when a checkpoint scheduled after a group commit fails (nobody else is waiting on it). */
  onError?: (what: string, err: VaultError) => void;
}

export const DEFAULT_CHECKPOINT_EVERY = 1000;
export const MAX_CHECKPOINT_EVERY = 1_000_000;
/** Longest checkpoint pacing accepted (one minute): a longer unsigned tail is not worth it. */
export const MAX_CHECKPOINT_INTERVAL_MS = 60_000;
/**
 * Most entries one group commit writes. Bounds the memory queued behind one fsync and the
 * time one transaction holds the write lock; at the cap the queue is flushed at once.
 */
export const MAX_BATCH = 256;
/** Longest a committed, non-durable entry waits before its background fsync starts. */
export const LAZY_SYNC_MS = 10;
/** Non-durable entries committed without an fsync after which one starts at once. */
export const LAZY_SYNC_ENTRIES = 1000;

/**
 * The storage contract the rest of the daemon codes against (auth, seal, keyring, audit). It
 * deliberately names no SQLite or better-sqlite3 type, so callers can be tested against any
 * implementation and the driver stays confined to src/storage.
 *
 * Conventions (the daemon design notes): every method is synchronous, because the
 * driver is and it keeps transactions simple; times are integer milliseconds since the
 * epoch; binary columns are `Uint8Array`. Failures are `VaultError`s:
 * `OV_STORAGE_CONSTRAINT` for a write a constraint rejects, `OV_STORAGE_CORRUPT` for a
 * file or row that cannot be read or holds a value the schema forbids, `OV_IO` for disk,
 * lock or permission trouble.
 * @module
 */
import type { SecretStore } from './secrets-types.js';
import type { ValidatorStore } from './validators-types.js';

/** The roles an API key or session may carry, most powerful first. */
export const ROLES = ['admin', 'operator', 'reader'] as const;
export type Role = (typeof ROLES)[number];

/** Small named blobs: seal config, wrapped root key, check value. */
export interface MetaStore {
  get(name: string): Uint8Array | undefined;
  /** Inserts or replaces. */
  put(name: string, value: Uint8Array): void;
  /** Deleting a missing name is not an error. */
  delete(name: string): void;
}

export interface ApiKeyRecord {
  id: string;
  /** argon2id PHC string; never the key itself. */
  hash: string;
  role: Role;
  scope: string;
  label: string;
  createdAt: number;
  rotatedAt: number | null;
}

export interface ApiKeyStore {
  /** Throws `OV_STORAGE_CONSTRAINT` when the id exists or a field is out of range. */
  insert(r: ApiKeyRecord): void;
  get(id: string): ApiKeyRecord | undefined;
  /** All keys, oldest first (createdAt, then id). */
  list(): ApiKeyRecord[];
  /** Replaces the hash and sets rotatedAt; false when the id is unknown. Sessions are untouched. */
  updateHash(id: string, hash: string, rotatedAt: number): boolean;
  /** False when the id is unknown. The key's persisted sessions are deleted with it (ON DELETE CASCADE). */
  delete(id: string): boolean;
}

export interface SessionRecord {
  /** Public UUID; never reveals the token. */
  id: string;
  /** SHA-256 of the token (32 bytes); the token itself is never stored. */
  digest: Uint8Array;
  apiKeyId: string;
  role: ApiKeyRecord['role'];
  scope: string;
  label: string;
  issuedAt: number;
  expiresAt: number;
}

export interface SessionPersistence {
  /**
   * Throws `OV_STORAGE_CONSTRAINT` when the id or digest exists, the API key does not, the
   * digest is not 32 bytes, or expiresAt is before issuedAt.
   */
  insert(r: SessionRecord): void;
  /** False when the id is unknown. */
  delete(id: string): boolean;
  /** Number of sessions deleted. */
  deleteByApiKey(apiKeyId: string): number;
  /** Deletes sessions with expiresAt <= now (a token is dead at its expiry instant); returns how many. */
  deleteExpired(now: number): number;
  /**
   * Every persisted session, streamed row by row so a million sessions are never held twice.
   * The connection is busy until the iteration finishes (or is abandoned with `break`):
   * do not write through this storage while iterating.
   */
  loadAll(): Iterable<SessionRecord>;
  /**
   * Up to `limit` sessions whose row key is greater than `afterKey`, in key order (keyset
   * pagination). Pass {@link FIRST_SESSION_PAGE} for the first page, then the `lastKey` of
   * the page before. Each call is its own complete query, so the storage may be written
   * between pages: a row deleted before its page is read is not in it, no row is returned
   * twice, and a row that exists throughout the walk is returned once. A row inserted
   * during the walk may or may not be returned (SQLite reuses the key of a deleted last
   * row), so whoever inserts while paging must track those rows itself. Fewer than
   * `limit` rows means this was the last page.
   */
  loadPage(afterKey: number, limit: number): SessionPage;
  count(): number;
}

/** Row key below every session's: start a {@link SessionPersistence.loadPage} walk here. */
export const FIRST_SESSION_PAGE = 0;

/** One page of {@link SessionPersistence.loadPage}. */
export interface SessionPage {
  readonly records: SessionRecord[];
  /**
   * Key of the last row in `records` (`afterKey` when empty): the next page's `afterKey`.
   * Row keys are positive safe integers, stable while the storage is open.
   */
  readonly lastKey: number;
}

/** One version of one keyring key (src/keyring). The secret is only ever stored wrapped. */
export interface KeyringKeyRecord {
  /** Key name ('kem', 'sign', 'sign-falcon', 'token', 'audit'); validated by the keyring. */
  name: string;
  /** >= 1. */
  version: number;
  alg: string;
  /** 16 bytes. */
  keyId: Uint8Array;
  /** In clear so checkpoints and envelopes can be verified offline; null for symmetric keys. */
  publicKey: Uint8Array | null;
  /** nonce || AES-256-GCM ciphertext || tag, under a key derived from the root key. */
  wrappedSecret: Uint8Array;
  createdAt: number;
}

export interface KeyringPolicyRecord {
  name: string;
  /** >= 1. */
  latestVersion: number;
  /** 1 <= minDecryptVersion <= latestVersion. */
  minDecryptVersion: number;
}

export interface KeyringStore {
  /** Throws `OV_STORAGE_CONSTRAINT` when (name, version) exists or the name has no policy row. */
  insertKey(r: KeyringKeyRecord): void;
  getKey(name: string, version: number): KeyringKeyRecord | undefined;
  /** Every key version, ordered by name then version. */
  listKeys(): KeyringKeyRecord[];
  getPolicy(name: string): KeyringPolicyRecord | undefined;
  /** Every policy, ordered by name. */
  listPolicies(): KeyringPolicyRecord[];
  /** Inserts or replaces; `OV_STORAGE_CONSTRAINT` when the versions are out of range. */
  putPolicy(r: KeyringPolicyRecord): void;
  /** Deletes every key and policy (a forced re-setup); returns the number of key rows deleted. */
  clear(): number;
}

/** One audit log row (src/audit). `entry` is canonical JSON; hashes are 32 bytes. */
export interface AuditEntryRecord {
  /** >= 1, dense. */
  seq: number;
  time: number;
  entry: string;
  prevHash: Uint8Array;
  hash: Uint8Array;
}

/** A signature over the chain head at `seq`. */
export interface AuditCheckpointRecord {
  seq: number;
  hash: Uint8Array;
  /** Signature algorithm, e.g. 'ML-DSA-65'. */
  alg: string;
  /** Keyring version of the signing key. */
  keyVersion: number;
  signature: Uint8Array;
  time: number;
}

/**
 * The audit tables are append-only: the schema refuses UPDATE and DELETE on them (a trigger
 * raises `OV_STORAGE_CONSTRAINT`), so there are no methods to change a row.
 */
export interface AuditStore {
  /** Throws `OV_STORAGE_CONSTRAINT` when the seq exists or a hash is not 32 bytes. */
  append(r: AuditEntryRecord): void;
  /** The row with the highest seq, if any. */
  last(): AuditEntryRecord | undefined;
  /** Seq and hash of the row with the highest seq (the chain head), if any. */
  head(): { seq: number; hash: Uint8Array } | undefined;
  get(seq: number): AuditEntryRecord | undefined;
  /**
   * Rows with seq >= fromSeq (default 1) in seq order, read lazily a page at a time; the
   * connection stays usable between rows (appends during a scan are allowed, and rows
   * appended meanwhile may or may not be included).
   */
  entries(fromSeq?: number): Iterable<AuditEntryRecord>;
  count(): number;
  /** Throws `OV_STORAGE_CONSTRAINT` when a checkpoint at this seq exists. */
  insertCheckpoint(r: AuditCheckpointRecord): void;
  lastCheckpoint(): AuditCheckpointRecord | undefined;
  /** Seq of the last checkpoint, 0 if none (cheap: no signature read). */
  lastCheckpointSeq(): number;
  /** Every checkpoint in seq order (one per thousand entries by default, so small). */
  checkpoints(): AuditCheckpointRecord[];
}

export interface Storage {
  readonly meta: MetaStore;
  readonly apiKeys: ApiKeyStore;
  readonly sessions: SessionPersistence;
  readonly keyring: KeyringStore;
  readonly audit: AuditStore;
  readonly secrets: SecretStore;
  readonly validators: ValidatorStore;
  /** The schema version (migration number) the open database is at. */
  readonly schemaVersion: number;
  /**
   * Runs `fn` in one transaction: committed when it returns, rolled back when it throws.
   * Nested calls become savepoints, so an inner failure that the outer code catches undoes
   * only the inner writes. `fn` must be synchronous (a returned promise is rejected).
   */
  transaction<T>(fn: () => T): T;
  /**
   * Makes everything committed before the call durable, blocking (the rare synchronous
   * writers: setup, seal, `AuditLog.append`). A no-op under `durability: 'full'`, where
   * every commit is already fsynced. `OV_IO` when the flush fails or the storage is closed.
   */
  sync(): void;
  /**
   * Resolves once everything committed before the call is durable, without blocking the
   * event loop (the daemon's durability point, docs/adr/0005-audit-chain.md amendment):
   * under `durability: 'async-sync'` one fdatasync of the WAL on libuv's threadpool, shared
   * by every caller that arrives while the previous one runs. Resolves at once under
   * 'full', read-only or in memory. Rejects with `OV_IO` when the flush fails (and from
   * then on: a failed fsync leaves the page cache in an unknown state) or after close.
   */
  syncAsync(): Promise<void>;
  /** Idempotent. Using the stores after close throws. */
  close(): void;
}

/**
 * How commits reach the disk. 'full' (default): SQLite fsyncs the WAL on every commit
 * (synchronous=FULL), so a commit is durable when it returns. 'async-sync': commits are
 * written but not fsynced (synchronous=NORMAL; checkpoints still are), and durability comes
 * from `sync` / `syncAsync` (the daemon, which calls `syncAsync` before answering).
 */
export type Durability = 'full' | 'async-sync';

export interface OpenStorageOptions {
  /** Open an existing database without writing to it: no migrations, no pragmas that write. */
  readonly?: boolean;
  /** Default 'full'. See {@link Durability}. */
  durability?: Durability;
}

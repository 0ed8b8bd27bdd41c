/**
 * The storage contract the rest of the daemon codes against (auth, seal, keyring, audit,
 * secrets, validators). It names no driver type, so a backend is anything that honours the
 * comments here (./sqlite/ and ./memory/ do; test/conformance/storage checks them).
 *
 * Conventions, for every store:
 * - Every method is synchronous: it keeps transactions simple (see `Storage.transaction`).
 * - Times are integer milliseconds since the epoch; versions and counters are integers.
 *   Every integer field must be a safe integer: a fractional value is refused like any
 *   other value out of range.
 * - Binary fields are `Uint8Array`. Records handed out are the caller's to keep and change
 *   (plain `Uint8Array`s, never views of the backend's buffers); values handed in are
 *   copied, so the caller may reuse its buffers.
 * - "Ordered by" a text field means by Unicode code point (UTF-8 byte order, SQL's binary
 *   collation), not by UTF-16 unit; text lengths count characters (code points).
 * - Failures are `VaultError`s. `OV_STORAGE_CONSTRAINT`: a write the schema refuses (a
 *   duplicate key, a missing referenced row, a value out of range); such a write changes
 *   nothing, and inside a transaction the caller may catch it and carry on.
 *   `OV_STORAGE_CORRUPT`: a row that cannot be read or holds a value the schema forbids.
 *   `OV_IO`: disk, lock or permission trouble. `OV_INVALID_ARGUMENT`: a malformed page
 *   size or key where the comment says so.
 * - After `Storage.close`, every method of every store throws.
 * @module
 */
import type { CompactAuditRow } from './audit-codec.js';
import type { SecretStore } from './secrets-types.js';
import type { TransitStore } from './transit-types.js';
import type { ValidatorStore } from './validators-types.js';

/** The roles an API key or session may carry, most powerful first. */
export const ROLES = ['admin', 'operator', 'reader'] as const;
export type Role = (typeof ROLES)[number];

/** Small named blobs: seal config, wrapped root key, check value. */
export interface MetaStore {
  /** The value stored under `name` (possibly empty), or undefined. */
  get(name: string): Uint8Array | undefined;
  /** Inserts or replaces; stores exactly the bytes `value` views. */
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
  /** Throws `OV_STORAGE_CONSTRAINT` when the id exists, the role is not in {@link ROLES}, or a time is not an integer. */
  insert(r: ApiKeyRecord): void;
  /** `OV_STORAGE_CORRUPT` when the stored role is not in {@link ROLES}. */
  get(id: string): ApiKeyRecord | undefined;
  /** All keys, oldest first (createdAt, then id). `OV_STORAGE_CORRUPT` as for `get`. */
  list(): ApiKeyRecord[];
  /** Replaces the hash and sets rotatedAt; false when the id is unknown. Sessions are untouched. */
  updateHash(id: string, hash: string, rotatedAt: number): boolean;
  /** False when the id is unknown. The key's persisted sessions are deleted with it, in the same step. */
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
   * role is not in {@link ROLES}, the digest is not 32 bytes, a time is not an integer, or
   * expiresAt is before issuedAt (equal is allowed). A deleted session's id and digest may
   * be inserted again.
   */
  insert(r: SessionRecord): void;
  /** False when the id is unknown. */
  delete(id: string): boolean;
  /** Number of sessions deleted. */
  deleteByApiKey(apiKeyId: string): number;
  /** Deletes sessions with expiresAt <= now (a token is dead at its expiry instant); returns how many. */
  deleteExpired(now: number): number;
  /**
   * Every persisted session, in no particular order, streamed row by row so a million
   * sessions are never held twice. The storage may be busy until the iteration finishes (or
   * is abandoned with `break`, after which it is usable again): do not write through it
   * while iterating. `OV_STORAGE_CORRUPT` when a stored role is not in {@link ROLES}.
   */
  loadAll(): Iterable<SessionRecord>;
  /**
   * Up to `limit` sessions whose row key is greater than `afterKey`, in key order (keyset
   * pagination). Pass {@link FIRST_SESSION_PAGE} for the first page, then the `lastKey` of
   * the page before. Each call is its own complete query, so the storage may be written
   * between pages: a row deleted before its page is read is not in it, no row is returned
   * twice, and a row that exists throughout the walk is returned once. A row inserted
   * during the walk may or may not be returned (a backend may reuse the key of a deleted
   * last row), so whoever inserts while paging must track those rows itself. Fewer than
   * `limit` rows means this was the last page. `OV_INVALID_ARGUMENT` unless `afterKey` is
   * a safe integer and `limit` a positive one.
   */
  loadPage(afterKey: number, limit: number): SessionPage;
  /** Number of persisted sessions. */
  count(): number;
  /**
   * The session whose token digest this is, or undefined (expired rows included: the
   * caller judges expiry). Another daemon on the same database may have created it.
   * `OV_INVALID_ARGUMENT` unless `digest` is 32 bytes.
   */
  getByDigest(digest: Uint8Array): SessionRecord | undefined;
  /** The session with this id, or undefined (expired rows included). */
  getById(id: string): SessionRecord | undefined;
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
  /**
   * Throws `OV_STORAGE_CONSTRAINT` when (name, version) exists, the name has no policy row,
   * the version is below 1 or the keyId is not 16 bytes. Key rows are never changed or
   * deleted one by one (rotation only adds versions); only `clear` removes them.
   */
  insertKey(r: KeyringKeyRecord): void;
  getKey(name: string, version: number): KeyringKeyRecord | undefined;
  /** Every key version, ordered by name then version. */
  listKeys(): KeyringKeyRecord[];
  getPolicy(name: string): KeyringPolicyRecord | undefined;
  /** Every policy, ordered by name. */
  listPolicies(): KeyringPolicyRecord[];
  /** Inserts or replaces; `OV_STORAGE_CONSTRAINT` when the versions are out of range. */
  putPolicy(r: KeyringPolicyRecord): void;
  /** Deletes every key and policy in one step (a forced re-setup); returns the number of key rows deleted. */
  clear(): number;
}

/**
 * One audit log row (src/audit). `entry` is canonical JSON; the hash is 32 bytes. The
 * link is not stored: it is the previous row's hash (or, for the first live row after an
 * archive, the archive boundary's), which the chain check reads from there.
 */
export interface AuditEntryRecord {
  /** >= 1, dense. */
  seq: number;
  time: number;
  entry: string;
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
 * One range of entries moved out to an archive file and pruned from the store: the
 * entries `firstSeq`..`checkpoint.seq`, ending on that signed checkpoint. The last one is
 * where the live chain starts.
 */
export interface AuditArchiveRecord {
  firstSeq: number;
  checkpoint: AuditCheckpointRecord;
  /** When the range was pruned (ms since the epoch). */
  archivedAt: number;
}

/** One page of audit entries (AuditStore.page). */
export interface AuditPageQuery {
  /** Keyset cursor: entries past this seq in `order` (after it ascending, before it descending). */
  readonly after?: number;
  /** At most this many rows (>= 1). */
  readonly limit: number;
  readonly order: 'asc' | 'desc';
  /** Only entries whose `path` field starts with this string. */
  readonly pathPrefix?: string;
  /** Only entries with time >= this (ms since the epoch). */
  readonly since?: number;
}

/**
 * The audit tables are append-only: there are no methods to change a row, and rows leave
 * only through `prune`, which first records the archived boundary they fall under. A
 * backend must refuse any other change from anywhere else it can (the SQLite schema's
 * triggers raise on UPDATE, and on DELETE above the last recorded boundary).
 */
export interface AuditStore {
  /**
   * Throws `OV_STORAGE_CONSTRAINT` when the seq exists or is below 1, or a hash is not 32
   * bytes. The store does not check that seqs are dense or the chain links: src/audit does.
   * `row`, when given, is the entry's compact form from `compactAuditEntry` (built with
   * the text, so it decodes to it): a store that keeps rows compact takes it as is.
   */
  append(r: AuditEntryRecord, row?: CompactAuditRow): void;
  /** The row with the highest seq, if any. */
  last(): AuditEntryRecord | undefined;
  /**
   * Seq and hash of the chain head: the row with the highest seq, or, when every entry has
   * been archived, the last archive boundary; undefined for a log never written.
   */
  head(): { seq: number; hash: Uint8Array } | undefined;
  get(seq: number): AuditEntryRecord | undefined;
  /**
   * Rows with seq >= fromSeq (default 1) in seq order, read lazily (never the whole log at
   * once); the storage stays usable between rows (appends during a scan are allowed, and
   * rows appended meanwhile may or may not be included).
   */
  entries(fromSeq?: number): Iterable<AuditEntryRecord>;
  /** Number of entries. */
  count(): number;
  /** One page of rows matching the query, in its order (keyset paging by seq). */
  page(q: AuditPageQuery): AuditEntryRecord[];
  /**
   * Throws `OV_STORAGE_CONSTRAINT` when a checkpoint at this seq exists, the seq or
   * keyVersion is below 1, or the hash is not 32 bytes. Append-only like the entries.
   */
  insertCheckpoint(r: AuditCheckpointRecord): void;
  /** The checkpoint with the highest seq, if any. */
  lastCheckpoint(): AuditCheckpointRecord | undefined;
  /** Seq of the last checkpoint, or of the last archive boundary if later; 0 if none (cheap: no signature read). */
  lastCheckpointSeq(): number;
  /** Every checkpoint still in the store, in seq order (one per thousand entries by default, so small). */
  checkpoints(): AuditCheckpointRecord[];
  /** Every archived range, in seq order; the last one is where the live entries start. */
  archives(): AuditArchiveRecord[];
  /**
   * Records `r` and removes every entry and checkpoint with seq <= `r.checkpoint.seq`,
   * returning the number of entries removed. The caller checks that the checkpoint is the
   * stored one; the store refuses (`OV_STORAGE_CONSTRAINT`) a range that does not start
   * right after the last one (`firstSeq` = last boundary + 1) or ends before it starts.
   */
  prune(r: AuditArchiveRecord): number;
  /** Approximate bytes the entries with seq > `seq` take in the store (retention by size). */
  bytesAfter(seq: number): number;
}

export interface Storage {
  readonly meta: MetaStore;
  readonly apiKeys: ApiKeyStore;
  readonly sessions: SessionPersistence;
  readonly keyring: KeyringStore;
  readonly audit: AuditStore;
  readonly secrets: SecretStore;
  readonly validators: ValidatorStore;
  readonly transit: TransitStore;
  /** The schema version (migration number) the open database is at. */
  readonly schemaVersion: number;
  /**
   * Runs `fn` in one transaction and returns its value: committed when it returns, rolled
   * back when it throws (every store's writes, the same error rethrown). Nested calls
   * become savepoints, so an inner failure that the outer code catches undoes only the
   * inner writes, and an outer failure undoes a committed inner call too. `fn` must be
   * synchronous: when it returns a promise its writes are rolled back and a `TypeError` is
   * thrown. Other connections to the same data never see a partial transaction.
   */
  transaction<T>(fn: () => T): T;
  /**
   * Makes everything committed before the call durable, blocking (the rare synchronous
   * writers: setup, seal, `AuditLog.append`). A no-op when every commit is already durable
   * (`durability: 'full'`, or a backend with nothing on disk). `OV_IO` when the flush fails
   * or the storage is closed.
   */
  sync(): void;
  /**
   * Resolves once everything committed before the call is durable, without blocking the
   * event loop (the daemon's durability point, docs/adr/0005-audit-chain.md amendment):
   * under `durability: 'async-sync'` one fdatasync of the WAL on libuv's threadpool, shared
   * by every caller that arrives while the previous one runs. Resolves at once under
   * 'full', read-only or with nothing on disk. Rejects with `OV_IO` when the flush fails (and from
   * then on: a failed fsync leaves the page cache in an unknown state) or after close.
   */
  syncAsync(): Promise<void>;
  /**
   * Writes a consistent copy of the whole database to `into`, as of one read transaction
   * (SQLite's `VACUUM INTO`: writes committed before it are in the copy, later ones are not),
   * and returns what the copy itself holds: its schema version and its last audit sequence
   * number (0 for an empty log), read from the copy so they describe exactly its data.
   * `into` must not exist; it is created 0600. `OV_SNAPSHOT_UNSUPPORTED` on a backend with
   * nothing on disk, `OV_IO` when the copy cannot be written (no partial file is left).
   */
  snapshot(into: string): SnapshotInfo;
  /**
   * The other audit chains in the same database (a cluster on PostgreSQL, where each node
   * appends to its own chain); absent on a single-node backend such as SQLite.
   */
  readonly auditChains?: AuditChains;
  /** Idempotent. Using the stores, `transaction` or `sync` after close throws. */
  close(): void;
}

/**
 * Read access to every node's audit chain in one database (docs/adr/0018-audit-chains-per-node.md).
 */
export interface AuditChains {
  /** This storage's own node: `of(node)` is `Storage.audit`. */
  readonly node: string;
  /** Every node whose chain exists, sorted (this node included). */
  nodes(): string[];
  /**
   * A node's audit store, read-only for any node but this one (its writes throw). Throws
   * `OV_INVALID_ARGUMENT` for a name that is not a node name.
   */
  of(node: string): AuditStore;
}

/** What {@link Storage.snapshot} read from the copy it wrote. */
export interface SnapshotInfo {
  readonly schemaVersion: number;
  readonly auditSeq: number;
}

/**
 * How commits reach the disk (an option of the SQLite backend's `openStorage`). 'full' (default): SQLite fsyncs the WAL on every commit
 * (synchronous=FULL), so a commit is durable when it returns. 'async-sync': commits are
 * written but not fsynced (synchronous=NORMAL; checkpoints still are), and durability comes
 * from `sync` / `syncAsync` (the daemon, which calls `syncAsync` before answering).
 */
export type Durability = 'full' | 'async-sync';

/**
 * Which SQLite driver the SQLite backend opens the file with: better-sqlite3 (a native
 * addon, fastest, built for one Node ABI), `node` (the built-in `node:sqlite`, Node >= 22.13),
 * or 'auto' (default): better-sqlite3 where its addon loads, otherwise `node:sqlite`.
 */
export type SqliteDriverChoice = 'auto' | 'better-sqlite3' | 'node';

export interface OpenStorageOptions {
  /** Open an existing database without writing to it: no migrations, no pragmas that write. */
  readonly?: boolean;
  /** Default 'full'. See {@link Durability}. */
  durability?: Durability;
  /** Default 'auto'. See {@link SqliteDriverChoice}. */
  sqliteDriver?: SqliteDriverChoice;
}

/**
 * The SQLite implementation of the storage contract (./types.ts), on better-sqlite3. This is
 * the only module that opens a database; everything above it sees `Storage`.
 *
 * Durability (daemon design notes; docs/adr/0005-audit-chain.md, amendment): WAL journal.
 * By default synchronous=FULL, so a commit is fsynced to the WAL before the call returns
 * and nothing acknowledged is lost on power failure. The daemon opens with
 * `durability: 'async-sync'` instead: synchronous=NORMAL (commits are written to the WAL but
 * not fsynced; checkpoints still are), and `syncAsync` fdatasyncs the WAL on libuv's
 * threadpool, one flush shared by every caller that arrives while the previous one runs,
 * so the event loop never waits on the disk. Foreign keys enforced; a 5 s busy timeout; schema migrations via
 * PRAGMA user_version (./migrations.ts). The file is created 0600 in a 0700 directory, and
 * an existing file or directory that others can reach is refused rather than silently
 * fixed. A file that is not ours, is corrupt or carries a newer schema is refused before
 * anything is written to it.
 * @module
 */
import { closeSync, constants as fsConstants, fdatasync, fdatasyncSync, mkdirSync, openSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { VaultError } from '../errors.js';
import { SqliteSecretStore } from './secrets-sqlite.js';
import { SqliteValidatorStore } from './validators-sqlite.js';
import { APPLICATION_ID, LATEST_SCHEMA_VERSION, applyMigrations, schemaVersion } from './migrations.js';
import {
  ROLES,
  type ApiKeyRecord,
  type ApiKeyStore,
  type AuditCheckpointRecord,
  type AuditEntryRecord,
  type AuditStore,
  type Durability,
  type KeyringKeyRecord,
  type KeyringPolicyRecord,
  type KeyringStore,
  type MetaStore,
  type OpenStorageOptions,
  type Role,
  type SessionPage,
  type SessionPersistence,
  type SessionRecord,
  type Storage,
} from './types.js';
import type { SecretStore } from './secrets-types.js';
import type { ValidatorStore } from './validators-types.js';

const BUSY_TIMEOUT_MS = 5000;
const MEMORY = ':memory:';
const SYNCHRONOUS = ['off', 'normal', 'full', 'extra'] as const;

/** The live connection settings, read back from SQLite (for diagnostics and tests). */
export interface StorageSettings {
  readonly journalMode: string;
  readonly synchronous: (typeof SYNCHRONOUS)[number] | 'unknown';
  readonly foreignKeys: boolean;
  readonly busyTimeoutMs: number;
  readonly secureDelete: boolean;
  readonly readonly: boolean;
}

/** What openStorage returns: the storage contract plus SQLite-specific diagnostics. */
export interface SqliteStorageHandle extends Storage {
  settings(): StorageSettings;
  /** How many fdatasyncs `sync` / `syncAsync` have issued (diagnostics, and the coalescing test). */
  readonly datasyncs: number;
}

/**
 * Opens (creating if needed, unless read-only) the database at `path` and migrates it to the
 * latest schema. `':memory:'` gives a private in-memory database, for tests.
 *
 * Throws `OV_STORAGE_CORRUPT` (not SQLite, damaged, or another application's database),
 * `OV_STORAGE_VERSION` (schema newer than this build), `OV_STORAGE_OUTDATED` (read-only and
 * the schema needs migrating), `OV_UNSAFE_PERMISSIONS` (file or its directory reachable by
 * group or others), `OV_IO` (cannot create or open). In every refusal the file is unchanged.
 */
export function openStorage(path: string, opts: OpenStorageOptions = {}): SqliteStorageHandle {
  for (const key of Object.keys(opts)) {
    if (key !== 'readonly' && key !== 'durability') throw new VaultError('OV_INVALID_ARGUMENT', { option: key });
  }
  if (typeof path !== 'string' || path === '') throw new VaultError('OV_INVALID_ARGUMENT', { option: 'path' });
  const durability: Durability = opts.durability ?? 'full';
  if (durability !== 'full' && durability !== 'async-sync') throw new VaultError('OV_INVALID_ARGUMENT', { option: 'durability' });
  const readonly = opts.readonly === true;
  const memory = path === MEMORY;
  const file = memory ? MEMORY : resolve(path);
  if (!memory) prepareFile(file, readonly);

  let db: Database.Database;
  try {
    db = new Database(file, { readonly, fileMustExist: !memory, timeout: BUSY_TIMEOUT_MS });
  } catch (e) {
    throw toVaultError(e);
  }
  try {
    const version = checkFile(db, readonly);
    // Connection settings; none of these writes to the file.
    db.pragma('foreign_keys = ON');
    db.pragma('trusted_schema = OFF');
    let finalVersion = version;
    if (!readonly) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal' && !memory) throw new VaultError('OV_IO', { reason: 'wal_unavailable' });
      // NORMAL in WAL mode still fsyncs at every WAL checkpoint (before the database file
      // is written and after), so only commits since the last checkpoint rely on WalSync.
      db.pragma(durability === 'full' ? 'synchronous = FULL' : 'synchronous = NORMAL');
      // Deleted rows (old API key hashes, session digests, replaced wrapped keys) are
      // overwritten with zeros instead of lingering in free pages.
      db.pragma('secure_delete = ON');
      finalVersion = applyMigrations(db);
    }
    // Read-only and in-memory connections write nothing that could need flushing.
    const wal = durability === 'async-sync' && !readonly && !memory ? new WalSync(`${file}-wal`) : undefined;
    return new SqliteStorage(db, finalVersion, readonly, wal);
  } catch (e) {
    db.close();
    throw toVaultError(e);
  }
}

/** Creates the directory (0700) and the file (0600) if needed; refuses open permissions. */
function prepareFile(file: string, readonly: boolean): void {
  const dir = dirname(file);
  const dirStat = statOrUndefined(dir);
  if (dirStat === undefined) {
    if (readonly) throw new VaultError('OV_IO', { reason: 'missing' });
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw fsError(e);
    }
  } else {
    if (!dirStat.isDirectory()) throw new VaultError('OV_IO', { reason: 'not_a_directory' });
    // Anyone who can write the directory can swap vault.db or plant its -wal file.
    if ((dirStat.mode & 0o022) !== 0) throw new VaultError('OV_UNSAFE_PERMISSIONS', { path: dir });
  }

  let st = statOrUndefined(file);
  if (st === undefined) {
    if (readonly) throw new VaultError('OV_IO', { reason: 'missing' });
    try {
      // O_EXCL: never adopt a file someone else created between the check and the open.
      closeSync(openSync(file, 'wx', 0o600));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(e);
    }
    st = statOrUndefined(file);
    if (st === undefined) throw new VaultError('OV_IO', { reason: 'missing' });
  }
  if (!st.isFile()) throw new VaultError('OV_IO', { reason: 'not_a_file' });
  // SQLite gives the -wal and -shm files the database file's mode, so checking it covers them.
  if ((st.mode & 0o077) !== 0) throw new VaultError('OV_UNSAFE_PERMISSIONS', { path: file });
}

function statOrUndefined(p: string): Stats | undefined {
  try {
    return statSync(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsError(e);
  }
}

function fsError(e: unknown): VaultError {
  const code = (e as NodeJS.ErrnoException).code;
  return new VaultError('OV_IO', code === undefined ? {} : { errno: code }, { cause: e });
}

/**
 * Reads only the header: refuses garbage, another application's database and a newer
 * schema before any pragma or migration could write. Returns the schema version.
 */
function checkFile(db: Database.Database, readonly: boolean): number {
  const version = schemaVersion(db); // the first read: SQLITE_NOTADB surfaces here
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (appId !== APPLICATION_ID) {
    // Only a brand-new, empty file may lack our application id; migration 1 sets it
    // together with user_version, so anything else is not ours to migrate.
    const objects = db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get() as number;
    if (appId !== 0 || version !== 0 || objects !== 0) {
      throw new VaultError('OV_STORAGE_CORRUPT', { reason: 'foreign' });
    }
  }
  if (version > LATEST_SCHEMA_VERSION) {
    throw new VaultError('OV_STORAGE_VERSION', { found: version, supported: LATEST_SCHEMA_VERSION });
  }
  if (readonly && version < LATEST_SCHEMA_VERSION) {
    throw new VaultError('OV_STORAGE_OUTDATED', { found: version, supported: LATEST_SCHEMA_VERSION });
  }
  return version;
}

/** Maps driver errors to registry codes; anything else (our own errors, bugs) passes through. */
function toVaultError(e: unknown): unknown {
  if (!(e instanceof Database.SqliteError)) return e;
  const code = e.code;
  if (code.startsWith('SQLITE_CONSTRAINT')) return new VaultError('OV_STORAGE_CONSTRAINT', { sqlite: code }, { cause: e });
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new VaultError('OV_STORAGE_CORRUPT', { sqlite: code }, { cause: e });
  }
  return new VaultError('OV_IO', { sqlite: code }, { cause: e });
}

function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toVaultError(e);
  }
}

/** better-sqlite3 returns BLOBs as Buffers; callers get plain Uint8Array views. */
function bytes(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function role(value: string, table: string): Role {
  // The CHECK constraint should make this unreachable; a row that slipped past it (an edited
  // file, a future schema) must not become a session with an unknown privilege.
  if (!(ROLES as readonly string[]).includes(value)) throw new VaultError('OV_STORAGE_CORRUPT', { table, column: 'role' });
  return value as Role;
}

interface ApiKeyRow {
  id: string;
  hash: string;
  role: string;
  scope: string;
  label: string;
  created_at: number;
  rotated_at: number | null;
}

/** A sessions row in SESSION_COLUMNS order. */
type SessionTuple = [string, Buffer, string, string, string, string, number, number];
/** rowid, then a sessions row in SESSION_COLUMNS order. */
type SessionPageTuple = [number, ...SessionTuple];

function toApiKey(r: ApiKeyRow): ApiKeyRecord {
  return {
    id: r.id,
    hash: r.hash,
    role: role(r.role, 'api_keys'),
    scope: r.scope,
    label: r.label,
    createdAt: r.created_at,
    rotatedAt: r.rotated_at,
  };
}

const API_KEY_COLUMNS = 'id, hash, role, scope, label, created_at, rotated_at';
const SESSION_COLUMNS = 'id, digest, api_key_id, role, scope, label, issued_at, expires_at';

class SqliteMetaStore implements MetaStore {
  readonly #get: Database.Statement<[string], Buffer>;
  readonly #put: Database.Statement<[string, Uint8Array]>;
  readonly #delete: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    this.#get = db.prepare<[string], Buffer>('SELECT value FROM meta WHERE name = ?').pluck();
    this.#put = db.prepare<[string, Uint8Array]>(
      'INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    );
    this.#delete = db.prepare<[string]>('DELETE FROM meta WHERE name = ?');
  }

  get(name: string): Uint8Array | undefined {
    const v = guard(() => this.#get.get(name));
    return v === undefined ? undefined : bytes(v);
  }

  put(name: string, value: Uint8Array): void {
    guard(() => this.#put.run(name, value));
  }

  delete(name: string): void {
    guard(() => this.#delete.run(name));
  }
}

class SqliteApiKeyStore implements ApiKeyStore {
  readonly #insert: Database.Statement<[string, string, string, string, string, number, number | null]>;
  readonly #get: Database.Statement<[string], ApiKeyRow>;
  readonly #list: Database.Statement<[], ApiKeyRow>;
  readonly #updateHash: Database.Statement<[string, number, string]>;
  readonly #delete: Database.Statement<[string]>;

  constructor(db: Database.Database) {
    this.#insert = db.prepare(`INSERT INTO api_keys (${API_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.#get = db.prepare(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = ?`);
    this.#list = db.prepare(`SELECT ${API_KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`);
    this.#updateHash = db.prepare('UPDATE api_keys SET hash = ?, rotated_at = ? WHERE id = ?');
    this.#delete = db.prepare('DELETE FROM api_keys WHERE id = ?');
  }

  insert(r: ApiKeyRecord): void {
    guard(() => this.#insert.run(r.id, r.hash, r.role, r.scope, r.label, r.createdAt, r.rotatedAt));
  }

  get(id: string): ApiKeyRecord | undefined {
    const row = guard(() => this.#get.get(id));
    return row === undefined ? undefined : toApiKey(row);
  }

  list(): ApiKeyRecord[] {
    return guard(() => this.#list.all()).map(toApiKey);
  }

  updateHash(id: string, hash: string, rotatedAt: number): boolean {
    return guard(() => this.#updateHash.run(hash, rotatedAt, id)).changes > 0;
  }

  delete(id: string): boolean {
    return guard(() => this.#delete.run(id)).changes > 0;
  }
}

class SqliteSessionPersistence implements SessionPersistence {
  readonly #insert: Database.Statement<[string, Uint8Array, string, string, string, string, number, number]>;
  readonly #delete: Database.Statement<[string]>;
  readonly #deleteByApiKey: Database.Statement<[string]>;
  readonly #deleteExpired: Database.Statement<[number]>;
  readonly #loadAll: Database.Statement<[], SessionTuple>;
  readonly #loadPage: Database.Statement<[number, number], SessionPageTuple>;
  readonly #count: Database.Statement<[], number>;

  constructor(db: Database.Database) {
    this.#insert = db.prepare(`INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#delete = db.prepare('DELETE FROM sessions WHERE id = ?');
    this.#deleteByApiKey = db.prepare('DELETE FROM sessions WHERE api_key_id = ?');
    this.#deleteExpired = db.prepare('DELETE FROM sessions WHERE expires_at <= ?');
    // raw(): arrays instead of row objects, about a third faster at 100k rows (startup path).
    this.#loadAll = db.prepare<[], SessionTuple>(`SELECT ${SESSION_COLUMNS} FROM sessions`).raw();
    // Keyset pagination on the implicit rowid: a range seek on the table's own b-tree, so
    // each page costs O(log n + limit) however deep into the table it starts. The rowid is
    // stable while the database is open (nothing here runs VACUUM, the only thing that
    // renumbers rows of a table without an INTEGER PRIMARY KEY).
    this.#loadPage = db
      .prepare<[number, number], SessionPageTuple>(`SELECT rowid, ${SESSION_COLUMNS} FROM sessions WHERE rowid > ? ORDER BY rowid LIMIT ?`)
      .raw();
    this.#count = db.prepare<[], number>('SELECT count(*) FROM sessions').pluck();
  }

  insert(r: SessionRecord): void {
    guard(() =>
      this.#insert.run(r.id, r.digest, r.apiKeyId, r.role, r.scope, r.label, r.issuedAt, r.expiresAt),
    );
  }

  delete(id: string): boolean {
    return guard(() => this.#delete.run(id)).changes > 0;
  }

  deleteByApiKey(apiKeyId: string): number {
    return guard(() => this.#deleteByApiKey.run(apiKeyId)).changes;
  }

  deleteExpired(now: number): number {
    return guard(() => this.#deleteExpired.run(now)).changes;
  }

  *loadAll(): Generator<SessionRecord, void, undefined> {
    // Streamed with iterate(): at a million sessions the caller's index is the only full copy.
    try {
      for (const [id, digest, apiKeyId, r, scope, label, issuedAt, expiresAt] of this.#loadAll.iterate()) {
        yield { id, digest: bytes(digest), apiKeyId, role: role(r, 'sessions'), scope, label, issuedAt, expiresAt };
      }
    } catch (e) {
      throw toVaultError(e);
    }
  }

  loadPage(afterKey: number, limit: number): SessionPage {
    if (!Number.isSafeInteger(afterKey) || !Number.isSafeInteger(limit) || limit < 1) {
      throw new VaultError('OV_INVALID_ARGUMENT', { field: 'loadPage' });
    }
    const rows = guard(() => this.#loadPage.all(afterKey, limit));
    const records: SessionRecord[] = [];
    let lastKey = afterKey;
    for (const [key, id, digest, apiKeyId, r, scope, label, issuedAt, expiresAt] of rows) {
      records.push({ id, digest: bytes(digest), apiKeyId, role: role(r, 'sessions'), scope, label, issuedAt, expiresAt });
      lastKey = key;
    }
    return { records, lastKey };
  }

  count(): number {
    return guard(() => this.#count.get()) ?? 0;
  }
}

/** A keyring_keys row in KEYRING_KEY_COLUMNS order. */
type KeyringKeyTuple = [string, number, string, Buffer, Buffer | null, Buffer, number];
/** A keyring_policy row in KEYRING_POLICY_COLUMNS order. */
type KeyringPolicyTuple = [string, number, number];
/** An audit_log row in AUDIT_COLUMNS order. */
type AuditTuple = [number, number, string, Buffer, Buffer];
/** An audit_checkpoints row in CHECKPOINT_COLUMNS order. */
type CheckpointTuple = [number, Buffer, string, number, Buffer, number];

const KEYRING_KEY_COLUMNS = 'name, version, alg, key_id, public_key, wrapped_secret, created_at';
const KEYRING_POLICY_COLUMNS = 'name, latest_version, min_decrypt_version';
const AUDIT_COLUMNS = 'seq, time, entry, prev_hash, hash';
const CHECKPOINT_COLUMNS = 'seq, hash, alg, key_version, signature, time';
/** Rows per page of AuditStore.entries(). */
const AUDIT_PAGE = 1024;

function toKeyringKey([name, version, alg, keyId, publicKey, wrappedSecret, createdAt]: KeyringKeyTuple): KeyringKeyRecord {
  return {
    name,
    version,
    alg,
    keyId: bytes(keyId),
    publicKey: publicKey === null ? null : bytes(publicKey),
    wrappedSecret: bytes(wrappedSecret),
    createdAt,
  };
}

function toKeyringPolicy([name, latestVersion, minDecryptVersion]: KeyringPolicyTuple): KeyringPolicyRecord {
  return { name, latestVersion, minDecryptVersion };
}

function toAuditEntry([seq, time, entry, prevHash, hash]: AuditTuple): AuditEntryRecord {
  return { seq, time, entry, prevHash: bytes(prevHash), hash: bytes(hash) };
}

function toCheckpoint([seq, hash, alg, keyVersion, signature, time]: CheckpointTuple): AuditCheckpointRecord {
  return { seq, hash: bytes(hash), alg, keyVersion, signature: bytes(signature), time };
}

class SqliteKeyringStore implements KeyringStore {
  readonly #insertKey: Database.Statement<[string, number, string, Uint8Array, Uint8Array | null, Uint8Array, number]>;
  readonly #getKey: Database.Statement<[string, number], KeyringKeyTuple>;
  readonly #listKeys: Database.Statement<[], KeyringKeyTuple>;
  readonly #getPolicy: Database.Statement<[string], KeyringPolicyTuple>;
  readonly #listPolicies: Database.Statement<[], KeyringPolicyTuple>;
  readonly #putPolicy: Database.Statement<[string, number, number]>;
  readonly #clearKeys: Database.Statement<[]>;
  readonly #clearPolicies: Database.Statement<[]>;
  readonly #db: Database.Database;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#insertKey = db.prepare(`INSERT INTO keyring_keys (${KEYRING_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.#getKey = db.prepare<[string, number], KeyringKeyTuple>(`SELECT ${KEYRING_KEY_COLUMNS} FROM keyring_keys WHERE name = ? AND version = ?`).raw();
    this.#listKeys = db.prepare<[], KeyringKeyTuple>(`SELECT ${KEYRING_KEY_COLUMNS} FROM keyring_keys ORDER BY name, version`).raw();
    this.#getPolicy = db.prepare<[string], KeyringPolicyTuple>(`SELECT ${KEYRING_POLICY_COLUMNS} FROM keyring_policy WHERE name = ?`).raw();
    this.#listPolicies = db.prepare<[], KeyringPolicyTuple>(`SELECT ${KEYRING_POLICY_COLUMNS} FROM keyring_policy ORDER BY name`).raw();
    this.#putPolicy = db.prepare(
      `INSERT INTO keyring_policy (${KEYRING_POLICY_COLUMNS}) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET latest_version = excluded.latest_version, min_decrypt_version = excluded.min_decrypt_version`,
    );
    this.#clearKeys = db.prepare('DELETE FROM keyring_keys');
    this.#clearPolicies = db.prepare('DELETE FROM keyring_policy');
  }

  insertKey(r: KeyringKeyRecord): void {
    guard(() => this.#insertKey.run(r.name, r.version, r.alg, r.keyId, r.publicKey, r.wrappedSecret, r.createdAt));
  }

  getKey(name: string, version: number): KeyringKeyRecord | undefined {
    const row = guard(() => this.#getKey.get(name, version));
    return row === undefined ? undefined : toKeyringKey(row);
  }

  listKeys(): KeyringKeyRecord[] {
    return guard(() => this.#listKeys.all()).map(toKeyringKey);
  }

  getPolicy(name: string): KeyringPolicyRecord | undefined {
    const row = guard(() => this.#getPolicy.get(name));
    return row === undefined ? undefined : toKeyringPolicy(row);
  }

  listPolicies(): KeyringPolicyRecord[] {
    return guard(() => this.#listPolicies.all()).map(toKeyringPolicy);
  }

  putPolicy(r: KeyringPolicyRecord): void {
    guard(() => this.#putPolicy.run(r.name, r.latestVersion, r.minDecryptVersion));
  }

  clear(): number {
    // Keys first: they reference their policy row. One transaction, so a failure keeps both.
    return guard(() =>
      this.#db.transaction(() => {
        const n = this.#clearKeys.run().changes;
        this.#clearPolicies.run();
        return n;
      })(),
    );
  }
}

class SqliteAuditStore implements AuditStore {
  readonly #append: Database.Statement<[number, number, string, Uint8Array, Uint8Array]>;
  readonly #last: Database.Statement<[], AuditTuple>;
  readonly #head: Database.Statement<[], [number, Buffer]>;
  readonly #get: Database.Statement<[number], AuditTuple>;
  readonly #entries: Database.Statement<[number, number], AuditTuple>;
  readonly #count: Database.Statement<[], number>;
  readonly #insertCheckpoint: Database.Statement<[number, Uint8Array, string, number, Uint8Array, number]>;
  readonly #lastCheckpoint: Database.Statement<[], CheckpointTuple>;
  readonly #checkpoints: Database.Statement<[], CheckpointTuple>;
  readonly #lastCheckpointSeq: Database.Statement<[], number>;

  constructor(db: Database.Database) {
    this.#append = db.prepare(`INSERT INTO audit_log (${AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?)`);
    this.#last = db.prepare<[], AuditTuple>(`SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1`).raw();
    this.#head = db.prepare<[], [number, Buffer]>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').raw();
    this.#get = db.prepare<[number], AuditTuple>(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq = ?`).raw();
    this.#entries = db.prepare<[number, number], AuditTuple>(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?`).raw();
    this.#count = db.prepare<[], number>('SELECT count(*) FROM audit_log').pluck();
    this.#insertCheckpoint = db.prepare(`INSERT INTO audit_checkpoints (${CHECKPOINT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`);
    this.#lastCheckpoint = db.prepare<[], CheckpointTuple>(`SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`).raw();
    this.#checkpoints = db.prepare<[], CheckpointTuple>(`SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq`).raw();
    this.#lastCheckpointSeq = db.prepare<[], number>('SELECT coalesce(max(seq), 0) FROM audit_checkpoints').pluck();
  }

  append(r: AuditEntryRecord): void {
    guard(() => this.#append.run(r.seq, r.time, r.entry, r.prevHash, r.hash));
  }

  last(): AuditEntryRecord | undefined {
    const row = guard(() => this.#last.get());
    return row === undefined ? undefined : toAuditEntry(row);
  }

  head(): { seq: number; hash: Uint8Array } | undefined {
    const row = guard(() => this.#head.get());
    return row === undefined ? undefined : { seq: row[0], hash: bytes(row[1]) };
  }

  get(seq: number): AuditEntryRecord | undefined {
    const row = guard(() => this.#get.get(seq));
    return row === undefined ? undefined : toAuditEntry(row);
  }

  *entries(fromSeq = 1): Generator<AuditEntryRecord, void, undefined> {
    // Pages by seq instead of iterate(): a log of millions of entries is held a page at a
    // time, the connection is free between pages (the caller may append while scanning),
    // and all() per page is about twice as fast as stepping a cursor row by row.
    let next = fromSeq;
    for (;;) {
      const page = guard(() => this.#entries.all(next, AUDIT_PAGE));
      for (const row of page) yield toAuditEntry(row);
      const last = page[page.length - 1];
      if (last === undefined || page.length < AUDIT_PAGE) return;
      next = last[0] + 1;
    }
  }

  count(): number {
    return guard(() => this.#count.get()) ?? 0;
  }

  insertCheckpoint(r: AuditCheckpointRecord): void {
    guard(() => this.#insertCheckpoint.run(r.seq, r.hash, r.alg, r.keyVersion, r.signature, r.time));
  }

  lastCheckpoint(): AuditCheckpointRecord | undefined {
    const row = guard(() => this.#lastCheckpoint.get());
    return row === undefined ? undefined : toCheckpoint(row);
  }

  lastCheckpointSeq(): number {
    return guard(() => this.#lastCheckpointSeq.get()) ?? 0;
  }

  checkpoints(): AuditCheckpointRecord[] {
    return guard(() => this.#checkpoints.all()).map(toCheckpoint);
  }
}

/**
 * fdatasync of the WAL for `durability: 'async-sync'`. The descriptor is opened lazily,
 * read-only (fsync needs no write access on Linux), and kept: SQLite rewinds and overwrites
 * the WAL in place after a checkpoint and truncates it at most in place
 * (wal_checkpoint(TRUNCATE), journal_size_limit); it unlinks the file only when the last
 * connection closes, and this connection stays open as long as this object is used. A WAL
 * that does not exist yet holds nothing to flush.
 *
 * Coalescing: at most one fdatasync runs at a time. A caller arriving while one runs cannot
 * share it (its commit may have landed after the flush started), so it waits for the next
 * one, which starts when the current ends and is shared by everyone who arrived meanwhile.
 * A failed flush is sticky: after an fsync error Linux may have dropped the dirty pages
 * and a later fsync can succeed without them, so nothing more is ever acknowledged.
 */
class WalSync {
  readonly #path: string;
  #fd: number | undefined;
  /** The flush in progress, if any. */
  #running: Promise<void> | undefined;
  /** The flush that starts when `#running` ends, shared by everyone waiting for it. */
  #next: Promise<void> | undefined;
  #inFlight = 0;
  #failed: VaultError | undefined;
  #closed = false;
  count = 0;

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

class SqliteStorage implements SqliteStorageHandle {
  readonly meta: MetaStore;
  readonly apiKeys: ApiKeyStore;
  readonly sessions: SessionPersistence;
  readonly keyring: KeyringStore;
  readonly audit: AuditStore;
  readonly secrets: SecretStore;
  readonly validators: ValidatorStore;
  readonly schemaVersion: number;
  readonly #db: Database.Database;
  readonly #readonly: boolean;
  readonly #tx: (fn: () => unknown) => unknown;
  readonly #wal: WalSync | undefined;

  constructor(db: Database.Database, version: number, readonly: boolean, wal: WalSync | undefined) {
    this.#db = db;
    this.#wal = wal;
    this.#readonly = readonly;
    this.schemaVersion = version;
    this.meta = new SqliteMetaStore(db);
    this.apiKeys = new SqliteApiKeyStore(db);
    this.sessions = new SqliteSessionPersistence(db);
    this.keyring = new SqliteKeyringStore(db);
    this.audit = new SqliteAuditStore(db);
    this.secrets = new SqliteSecretStore(db);
    this.validators = new SqliteValidatorStore(db);
    const tx = db.transaction((fn: () => unknown) => fn());
    // IMMEDIATE takes the write lock up front: a deferred transaction that reads and then
    // writes can fail with SQLITE_BUSY regardless of the busy timeout if another connection
    // committed in between. Nested calls become savepoints either way.
    this.#tx = readonly ? (fn) => tx.deferred(fn) : (fn) => tx.immediate(fn);
  }

  transaction<T>(fn: () => T): T {
    return guard(() => this.#tx(fn) as T);
  }

  sync(): void {
    if (!this.#db.open) throw new VaultError('OV_IO', { reason: 'closed' });
    this.#wal?.sync();
  }

  syncAsync(): Promise<void> {
    if (!this.#db.open) return Promise.reject(new VaultError('OV_IO', { reason: 'closed' }));
    return this.#wal === undefined ? Promise.resolve() : this.#wal.syncAsync();
  }

  get datasyncs(): number {
    return this.#wal?.count ?? 0;
  }

  settings(): StorageSettings {
    const db = this.#db;
    const sync = db.pragma('synchronous', { simple: true }) as number;
    return {
      journalMode: db.pragma('journal_mode', { simple: true }) as string,
      synchronous: SYNCHRONOUS[sync] ?? 'unknown',
      foreignKeys: db.pragma('foreign_keys', { simple: true }) === 1,
      busyTimeoutMs: db.pragma('busy_timeout', { simple: true }) as number,
      secureDelete: db.pragma('secure_delete', { simple: true }) === 1,
      readonly: db.readonly,
    };
  }

  close(): void {
    if (!this.#db.open) return;
    if (!this.#readonly) {
      try {
        // SQLite recommends this just before closing a long-lived connection.
        this.#db.pragma('optimize');
      } catch {
        // Advisory only: a failure here must not keep the file open.
      }
    }
    this.#db.close();
    this.#wal?.close();
  }
}

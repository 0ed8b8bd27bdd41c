/**
 * The SQLite implementation of the storage contract (../types.ts), on better-sqlite3 or
 * `node:sqlite` (./driver.ts): opens the file (./open.ts) and assembles one store per table
 * group over the one connection.
 *
 * Durability (docs/adr/0005-audit-chain.md, amendment): WAL journal. By default
 * synchronous=FULL, so a commit is fsynced to the WAL before the call returns and nothing
 * acknowledged is lost on power failure. The daemon opens with `durability: 'async-sync'`
 * instead: synchronous=NORMAL (commits are written to the WAL but not fsynced; checkpoints
 * still are), and `syncAsync` fdatasyncs the WAL on libuv's threadpool (./wal-sync.ts), so
 * the event loop never waits on the disk.
 * @module
 */
import { closeSync, constants, openSync, unlinkSync } from 'node:fs';
import { VaultError } from '../../errors.js';
import type { SecretStore } from '../secrets-types.js';
import type {
  ApiKeyStore,
  AuditStore,
  KeyringStore,
  MetaStore,
  OpenStorageOptions,
  SessionPersistence,
  SnapshotInfo,
  Storage,
} from '../types.js';
import type { TransitStore } from '../transit-types.js';
import type { ValidatorStore } from '../validators-types.js';
import { SqliteApiKeyStore } from './apikeys.js';
import { SqliteAuditStore } from './audit.js';
import { connect, guard, type Db, type SqliteDriverName } from './driver.js';
import { SqliteKeyringStore } from './keyring.js';
import { SqliteMetaStore } from './meta.js';
import { openDatabase } from './open.js';
import { SqliteSecretStore } from './secrets.js';
import { SqliteSessionPersistence } from './sessions.js';
import { SqliteTransitStore } from './transit.js';
import { SqliteValidatorStore } from './validators.js';
import type { WalSync } from './wal-sync.js';

const SYNCHRONOUS = ['off', 'normal', 'full', 'extra'] as const;

/** The live connection settings, read back from SQLite (for diagnostics and tests). */
export interface StorageSettings {
  readonly journalMode: string;
  readonly synchronous: (typeof SYNCHRONOUS)[number] | 'unknown';
  readonly foreignKeys: boolean;
  readonly busyTimeoutMs: number;
  readonly secureDelete: boolean;
  readonly readonly: boolean;
  /** The driver the connection was opened with. */
  readonly driver: SqliteDriverName;
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
 * group or others), `OV_IO` (cannot create or open), `OV_INVALID_ARGUMENT` (an unknown
 * option or durability, an empty path). In every refusal the file is unchanged.
 */
export function openStorage(path: string, opts: OpenStorageOptions = {}): SqliteStorageHandle {
  const { db, schemaVersion, readonly, driver, wal } = openDatabase(path, opts);
  return new SqliteStorage(db, schemaVersion, readonly, driver, wal);
}

class SqliteStorage implements SqliteStorageHandle {
  readonly meta: MetaStore;
  readonly apiKeys: ApiKeyStore;
  readonly sessions: SessionPersistence;
  readonly keyring: KeyringStore;
  readonly audit: AuditStore;
  readonly secrets: SecretStore;
  readonly validators: ValidatorStore;
  readonly transit: TransitStore;
  readonly schemaVersion: number;
  readonly #db: Db;
  readonly #readonly: boolean;
  readonly #driver: SqliteDriverName;
  readonly #tx: (fn: () => unknown) => unknown;
  readonly #wal: WalSync | undefined;

  constructor(db: Db, version: number, readonly: boolean, driver: SqliteDriverName, wal: WalSync | undefined) {
    this.#db = db;
    this.#driver = driver;
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
    this.transit = new SqliteTransitStore(db);
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
      driver: this.#driver,
    };
  }

  snapshot(into: string): SnapshotInfo {
    if (!this.#db.open) throw new VaultError('OV_IO', { reason: 'closed' });
    // VACUUM cannot run inside a transaction; it is one read transaction of its own.
    if (this.#db.inTransaction) throw new VaultError('OV_IO', { reason: 'snapshot inside a transaction' });
    // VACUUM INTO accepts an existing empty file and keeps its mode: create it 0600 first,
    // so the copy is never readable by others, not even for a moment.
    try {
      closeSync(openSync(into, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600));
    } catch (e) {
      throw new VaultError('OV_IO', { op: 'create snapshot file' }, { cause: e });
    }
    try {
      guard(() => this.#db.prepare('VACUUM INTO ?').run(into));
      const { db: copy } = connect(into, { readonly: false, fileMustExist: true, busyTimeoutMs: 0, driver: this.#driver });
      try {
        // One self-contained file: no -wal beside it to lose in a copy.
        copy.pragma('journal_mode = DELETE');
        const schemaVersion = copy.pragma('user_version', { simple: true }) as number;
        // The chain head: the last entry, or the last archived boundary when every entry was archived.
        const auditSeq = copy.prepare('SELECT max((SELECT coalesce(max(seq), 0) FROM audit_log), (SELECT coalesce(max(seq), 0) FROM audit_archives))').pluck().get() as number;
        return { schemaVersion, auditSeq };
      } finally {
        copy.close();
      }
    } catch (e) {
      removeQuiet(into);
      throw e;
    } finally {
      removeQuiet(`${into}-wal`);
      removeQuiet(`${into}-shm`);
    }
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

function removeQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // absent
  }
}

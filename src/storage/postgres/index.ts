/**
 * The PostgreSQL implementation of the storage contract (../types.ts): the same store
 * classes as SQLite over a synchronous PostgreSQL connection (./bridge.ts, ./db.ts), on
 * the same tables (./schema.ts). Every commit is synchronous on the server
 * (`synchronous_commit = on`), so a commit is durable when it returns and `syncAsync` has
 * nothing left to wait for.
 * @module
 */
import { VaultError } from '../../errors.js';
import { LATEST_SCHEMA_VERSION } from '../migrations.js';
import type { SecretStore } from '../secrets-types.js';
import { SqliteApiKeyStore } from '../sqlite/apikeys.js';
import { SqliteAuditStore } from '../sqlite/audit.js';
import { SqliteKeyringStore } from '../sqlite/keyring.js';
import { SqliteMetaStore } from '../sqlite/meta.js';
import { SqliteSecretStore } from '../sqlite/secrets.js';
import { SqliteSessionPersistence } from '../sqlite/sessions.js';
import { SqliteTransitStore } from '../sqlite/transit.js';
import { SqliteValidatorStore } from '../sqlite/validators.js';
import type { TransitStore } from '../transit-types.js';
import type { ApiKeyStore, AuditChains, AuditStore, KeyringStore, MetaStore, SessionPersistence, SnapshotInfo, Storage } from '../types.js';
import type { ValidatorStore } from '../validators-types.js';
import { NODE_NAME, PgAuditChains } from './audit-nodes.js';
import { SyncPg, type PgConnectOptions, type PgTls } from './bridge.js';
import { snapshotToSqlite } from './copy.js';
import { PgDb } from './db.js';
import { auditSchema, MIGRATE_LOCK, nodeAuditSql, SHARED_SCHEMA_SQL } from './schema.js';

export type { PgTls } from './bridge.js';

export { NODE_NAME } from './audit-nodes.js';

export interface PostgresOptions {
  /** `postgres://user:password@host:port/database` */
  readonly url: string;
  readonly tls?: PgTls;
  /** This daemon's name in the cluster; its audit chain is `ov_audit_<node>`. Default `main`. */
  readonly node?: string;
  /** How long one statement may take before it fails with `OV_STORAGE_UNAVAILABLE` (ms). Default 5000. */
  readonly timeoutMs?: number;
  /** Open without writing: no migrations. */
  readonly readonly?: boolean;
}

/** What openPostgresStorage returns: the storage contract plus the connection it runs on. */
export interface PostgresStorageHandle extends Storage {
  readonly backend: 'postgres';
  readonly node: string;
  /** The connection, for the cluster layer's own tables (leases, acknowledgements). */
  readonly pg: SyncPg;
  /** Every node's audit chain in this database (this node's own is `audit`). */
  readonly auditChains: AuditChains;
  /** The names of every node whose audit chain is in the database, sorted. */
  auditNodes(): string[];
}

/**
 * Connects, checks the schema version and migrates it (unless read-only). Throws
 * `OV_STORAGE_UNAVAILABLE` (cannot connect), `OV_STORAGE_VERSION` (newer schema),
 * `OV_STORAGE_OUTDATED` (read-only and not current), `OV_STORAGE_CORRUPT` (another
 * application's tables), `OV_INVALID_ARGUMENT` (a bad node name or timeout).
 */
export function openPostgresStorage(opts: PostgresOptions): PostgresStorageHandle {
  const node = opts.node ?? 'main';
  if (!NODE_NAME.test(node)) throw new VaultError('OV_INVALID_ARGUMENT', { option: 'node' });
  const timeoutMs = opts.timeoutMs ?? 5000;
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 100) throw new VaultError('OV_INVALID_ARGUMENT', { option: 'timeoutMs' });
  const connect = { url: opts.url, ...(opts.tls === undefined ? {} : { tls: opts.tls }), timeoutMs };
  const pg = new SyncPg({ ...connect, searchPath: auditSchema(node), applicationName: `ontoref-vault/${node}` });
  try {
    const version = migrate(pg, node, opts.readonly === true);
    return new PgStorage(pg, node, version, opts.readonly === true, connect);
  } catch (e) {
    pg.close();
    throw e;
  }
}

/** The schema version of the database, 0 when it holds no vault. */
export function pgSchemaVersion(pg: SyncPg): number {
  const has = pg.query("SELECT to_regclass('public.ov_schema') IS NOT NULL").rows[0]?.[0] === true;
  if (!has) {
    const other = pg.query("SELECT to_regclass('public.meta') IS NOT NULL").rows[0]?.[0] === true;
    if (other) throw new VaultError('OV_STORAGE_CORRUPT', { reason: 'tables without a schema version' });
    return 0;
  }
  return Number(pg.query('SELECT version FROM public.ov_schema WHERE id = 1').rows[0]?.[0] ?? 0);
}

function migrate(pg: SyncPg, node: string, readonly: boolean): number {
  const version = pgSchemaVersion(pg);
  if (version > LATEST_SCHEMA_VERSION) throw new VaultError('OV_STORAGE_VERSION', { found: version, supported: LATEST_SCHEMA_VERSION });
  // A node's tables are current when its audit log exists without the path index that
  // version 7 dropped (each node drops its own at its first start on this version).
  const nodeReady =
    pg.query('SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NULL', [`${auditSchema(node)}.audit_log`, `${auditSchema(node)}.audit_log_path`]).rows[0]?.[0] ===
    true;
  if (readonly) {
    if (version < LATEST_SCHEMA_VERSION || !nodeReady) throw new VaultError('OV_STORAGE_OUTDATED', { found: version });
    return version;
  }
  if (version === LATEST_SCHEMA_VERSION && nodeReady) return version;
  pg.transact(`BEGIN; SELECT pg_advisory_xact_lock(${MIGRATE_LOCK}); SET LOCAL search_path TO public`, () => {
    // Re-read under the lock: another daemon may have migrated meanwhile.
    const now = pgSchemaVersion(pg);
    if (now > LATEST_SCHEMA_VERSION) throw new VaultError('OV_STORAGE_VERSION', { found: now, supported: LATEST_SCHEMA_VERSION });
    // The PostgreSQL schema starts at the SQLite file's current version: nothing older was
    // ever written here. Later migrations append to both engines' lists.
    if (now === 0) {
      pg.exec(SHARED_SCHEMA_SQL);
      pg.query('INSERT INTO ov_schema (id, version) VALUES (1, $1)', [LATEST_SCHEMA_VERSION]);
    } else if (now < LATEST_SCHEMA_VERSION) {
      // 6 to 7 changed only each node's audit schema, which nodeAuditSql brings up to date.
      pg.query('UPDATE ov_schema SET version = $1 WHERE id = 1', [LATEST_SCHEMA_VERSION]);
    }
    pg.exec(nodeAuditSql(node));
  });
  return pgSchemaVersion(pg);
}

class PgStorage implements PostgresStorageHandle {
  readonly backend = 'postgres' as const;
  readonly meta: MetaStore;
  readonly apiKeys: ApiKeyStore;
  readonly sessions: SessionPersistence;
  readonly keyring: KeyringStore;
  readonly audit: AuditStore;
  readonly secrets: SecretStore;
  readonly validators: ValidatorStore;
  readonly transit: TransitStore;
  readonly auditChains: AuditChains;
  readonly schemaVersion: number;
  readonly node: string;
  readonly pg: SyncPg;
  readonly #db: PgDb;
  readonly #readonly: boolean;
  readonly #chains: PgAuditChains;

  constructor(pg: SyncPg, node: string, version: number, readonly: boolean, connect: Omit<PgConnectOptions, 'searchPath' | 'applicationName'>) {
    const db = new PgDb(pg, readonly);
    this.pg = pg;
    this.#db = db;
    this.node = node;
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
    this.#chains = new PgAuditChains(node, pg, this.audit, connect);
    this.auditChains = this.#chains;
  }

  transaction<T>(fn: () => T): T {
    const tx = this.#db.transaction(fn);
    return this.#readonly ? tx.deferred() : tx.immediate();
  }

  sync(): void {
    if (this.pg.closed) throw new VaultError('OV_IO', { reason: 'closed' });
  }

  syncAsync(): Promise<void> {
    return this.pg.closed ? Promise.reject(new VaultError('OV_IO', { reason: 'closed' })) : Promise.resolve();
  }

  /** This node's view of the vault (its own audit chain) as a new SQLite file: ./copy.ts. */
  snapshot(into: string): SnapshotInfo {
    if (this.pg.closed) throw new VaultError('OV_IO', { reason: 'closed' });
    if (this.#db.inTransaction) throw new VaultError('OV_IO', { reason: 'snapshot inside a transaction' });
    return snapshotToSqlite(this.pg, into);
  }

  auditNodes(): string[] {
    return this.#chains.nodes();
  }

  close(): void {
    this.#chains.close();
    this.pg.close();
  }
}

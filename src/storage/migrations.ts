/**
 * Versioned schema migrations for the SQLite data file. The schema version lives in
 * `PRAGMA user_version` (SQLite file header, offset 60); migration N takes the database from
 * version N-1 to N. Each migration runs in its own IMMEDIATE transaction together with the
 * bump of user_version, so a crash leaves the file at a whole version, never between two.
 * Migrations only ever append: a released migration is never edited, a change is a new one.
 *
 * Migration 2 adds the keyring and the audit log (src/keyring, src/audit); 3 the versioned
 * secrets (./schema-secrets.ts); 4 the validator records (./schema-validators.ts); 5 the
 * transit engine's named keys (./schema-transit.ts); 6 the compact audit rows and archive
 * boundaries (./schema-audit.ts); 7 drops the audit log's path index
 * (docs/adr/0022-audit-log-without-a-path-index.md).
 * @module
 */
import type { Db } from './sqlite/driver.js';
import { AUDIT_DROP_PATH_INDEX_SQL, migrateAuditCompact } from './schema-audit.js';
import { SECRETS_SCHEMA_SQL } from './schema-secrets.js';
import { TRANSIT_SCHEMA_SQL } from './schema-transit.js';
import { VALIDATORS_SCHEMA_SQL } from './schema-validators.js';

export interface Migration {
  /** 1-based and dense: MIGRATIONS[i].version === i + 1. */
  readonly version: number;
  readonly description: string;
  /** DDL/DML executed as one script inside the migration's transaction. */
  readonly sql: string;
  /** Run after `sql` in the same transaction, for a step SQL alone cannot express. */
  readonly run?: (db: Db) => void;
}

/** Marks the file as ours in the SQLite header (offset 68), 'OVLT'. */
export const APPLICATION_ID = 0x4f564c54;

// STRICT tables: SQLite otherwise stores a string in an INTEGER column without complaint,
// and a vault must not accept a row it cannot read back with the type it expects.
export const MIGRATIONS: readonly Migration[] = Object.freeze([
  {
    version: 1,
    description: 'meta, api_keys, sessions',
    sql: `
      CREATE TABLE meta (
        name  TEXT PRIMARY KEY,
        value BLOB NOT NULL
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE api_keys (
        id         TEXT PRIMARY KEY,
        hash       TEXT NOT NULL,
        role       TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'reader')),
        scope      TEXT NOT NULL,
        label      TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        rotated_at INTEGER
      ) STRICT;

      CREATE TABLE sessions (
        id         TEXT PRIMARY KEY,
        digest     BLOB NOT NULL UNIQUE CHECK (length(digest) = 32),
        api_key_id TEXT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
        role       TEXT NOT NULL CHECK (role IN ('admin', 'operator', 'reader')),
        scope      TEXT NOT NULL,
        label      TEXT NOT NULL,
        issued_at  INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        CHECK (expires_at >= issued_at)
      ) STRICT;

      CREATE INDEX sessions_api_key_id ON sessions (api_key_id);
      CREATE INDEX sessions_expires_at ON sessions (expires_at);
    `,
  },
  {
    version: 2,
    description: 'keyring_keys, keyring_policy, audit_log, audit_checkpoints',
    // Key names and algorithms are checked by src/keyring on read, not by CHECK constraints,
    // so a new key name or algorithm does not need a table rebuild. The audit tables refuse
    // UPDATE and DELETE through triggers: the log is append-only by construction, and an
    // edit needs someone who can also drop a trigger (which the hash chain then exposes).
    sql: `
      CREATE TABLE keyring_policy (
        name                TEXT PRIMARY KEY,
        latest_version      INTEGER NOT NULL CHECK (latest_version >= 1),
        min_decrypt_version INTEGER NOT NULL CHECK (min_decrypt_version >= 1),
        CHECK (min_decrypt_version <= latest_version)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE keyring_keys (
        name           TEXT NOT NULL REFERENCES keyring_policy (name),
        version        INTEGER NOT NULL CHECK (version >= 1),
        alg            TEXT NOT NULL,
        key_id         BLOB NOT NULL CHECK (length(key_id) = 16),
        public_key     BLOB,
        wrapped_secret BLOB NOT NULL,
        created_at     INTEGER NOT NULL,
        PRIMARY KEY (name, version)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE audit_log (
        seq       INTEGER PRIMARY KEY CHECK (seq >= 1),
        time      INTEGER NOT NULL,
        entry     TEXT NOT NULL,
        prev_hash BLOB NOT NULL CHECK (length(prev_hash) = 32),
        hash      BLOB NOT NULL CHECK (length(hash) = 32)
      ) STRICT;

      CREATE TABLE audit_checkpoints (
        seq         INTEGER PRIMARY KEY CHECK (seq >= 1),
        hash        BLOB NOT NULL CHECK (length(hash) = 32),
        alg         TEXT NOT NULL,
        key_version INTEGER NOT NULL CHECK (key_version >= 1),
        signature   BLOB NOT NULL,
        time        INTEGER NOT NULL
      ) STRICT;

      CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
      CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
      CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
        BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
    `,
  },
  { version: 3, description: 'secrets', sql: SECRETS_SCHEMA_SQL },
  { version: 4, description: 'validators', sql: VALIDATORS_SCHEMA_SQL },
  { version: 5, description: 'transit keys', sql: TRANSIT_SCHEMA_SQL },
  { version: 6, description: 'compact audit rows, audit archives', sql: '', run: migrateAuditCompact },
  { version: 7, description: 'audit log without a path index', sql: AUDIT_DROP_PATH_INDEX_SQL },
]);

/** The schema version this build writes and expects. */
export const LATEST_SCHEMA_VERSION: number = MIGRATIONS.length;

/** Reads PRAGMA user_version. */
export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies every migration above the database's version, each in its own transaction.
 * The version is re-read inside each transaction (under the write lock), so two processes
 * opening a fresh file at once do not both run migration 1. Returns the final version.
 * The caller has already refused a version newer than `migrations` knows.
 */
export function applyMigrations(db: Db, migrations: readonly Migration[] = MIGRATIONS): number {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new TypeError(`migration list is not dense at index ${i}`);
  });
  // The common case (already current) must not take the write lock at every start.
  if (schemaVersion(db) >= migrations.length) return schemaVersion(db);
  for (const m of migrations) {
    db.transaction(() => {
      if (schemaVersion(db) >= m.version) return;
      if (m.sql !== '') db.exec(m.sql);
      m.run?.(db);
      if (m.version === 1) db.pragma(`application_id = ${APPLICATION_ID}`);
      // The pragma takes no bound parameter; version is an integer from this file.
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
  return schemaVersion(db);
}

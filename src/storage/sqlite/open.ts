/**
 * Opening the SQLite data file: its permissions, the header checks that refuse a file that
 * is not ours before anything is written, the connection pragmas and the migrations.
 *
 * The file is created 0600 in a 0700 directory, and an existing file or directory that
 * others can reach is refused rather than silently fixed. WAL journal; foreign keys
 * enforced; a 5 s busy timeout; `synchronous` per the chosen durability (see
 * ../types.ts `Durability`); schema migrations via PRAGMA user_version (../migrations.ts).
 * @module
 */
import { closeSync, mkdirSync, openSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { VaultError } from '../../errors.js';
import { APPLICATION_ID, LATEST_SCHEMA_VERSION, applyMigrations, schemaVersion } from '../migrations.js';
import type { Durability, OpenStorageOptions } from '../types.js';
import { connect, fsError, SQLITE_DRIVER_CHOICES, toVaultError, type Db, type SqliteDriverName } from './driver.js';
import { WalSync } from './wal-sync.js';

const BUSY_TIMEOUT_MS = 5000;
export const MEMORY = ':memory:';
const OPTIONS: readonly string[] = ['readonly', 'durability', 'sqliteDriver'] satisfies (keyof OpenStorageOptions)[];

/** An open, migrated connection and what the storage object needs to know about it. */
export interface OpenedDatabase {
  readonly db: Db;
  readonly schemaVersion: number;
  readonly readonly: boolean;
  readonly driver: SqliteDriverName;
  /** Present only under 'async-sync' on a writable file. */
  readonly wal: WalSync | undefined;
}

/** Opens, checks and migrates; see `openStorage` for the errors. */
export function openDatabase(path: string, opts: OpenStorageOptions): OpenedDatabase {
  for (const key of Object.keys(opts)) {
    if (!OPTIONS.includes(key)) throw new VaultError('OV_INVALID_ARGUMENT', { option: key });
  }
  if (typeof path !== 'string' || path === '') throw new VaultError('OV_INVALID_ARGUMENT', { option: 'path' });
  const durability: Durability = opts.durability ?? 'full';
  if (durability !== 'full' && durability !== 'async-sync') throw new VaultError('OV_INVALID_ARGUMENT', { option: 'durability' });
  const choice = opts.sqliteDriver ?? 'auto';
  if (!SQLITE_DRIVER_CHOICES.includes(choice)) throw new VaultError('OV_INVALID_ARGUMENT', { option: 'sqliteDriver' });
  const readonly = opts.readonly === true;
  const memory = path === MEMORY;
  const file = memory ? MEMORY : resolve(path);
  if (!memory) prepareFile(file, readonly);

  const { db, driver } = connect(file, { readonly, fileMustExist: !memory, busyTimeoutMs: BUSY_TIMEOUT_MS, driver: choice });
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
    return { db, schemaVersion: finalVersion, readonly, driver, wal };
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

/**
 * Reads only the header: refuses garbage, another application's database and a newer
 * schema before any pragma or migration could write. Returns the schema version.
 */
function checkFile(db: Db, readonly: boolean): number {
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

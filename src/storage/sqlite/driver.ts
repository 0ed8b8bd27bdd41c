/**
 * The SQLite driver seam and the helpers every SQLite store shares.
 *
 * Two drivers serve the one small interface below ({@link Db}): better-sqlite3 (a V8-ABI
 * addon, the fast path wherever it was built for the running Node) and the built-in
 * `node:sqlite` (Node >= 22.13), adapted in ./node-driver.ts so that the stores above see
 * the same behaviour: row arrays and plucked columns, transactions with savepoints, pragmas,
 * and driver errors mapped to the same registry codes. Both are loaded on first open, never
 * at import, so importing storage costs nothing until a database is opened.
 * @module
 */
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';
import { VaultError } from '../../errors.js';
import type { SqliteDriverChoice } from '../types.js';
import { NodeSqliteDb, sqliteCodeName, type NodeSqliteModule } from './node-driver.js';

export type { SqliteDriverChoice };
/** A driver that can be asked for by name. */
export type SqliteDriverName = Exclude<SqliteDriverChoice, 'auto'>;
export const SQLITE_DRIVER_CHOICES: readonly SqliteDriverChoice[] = ['auto', 'better-sqlite3', 'node'];

export interface RunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

/**
 * A prepared statement. `raw()` makes it return rows as arrays in column order, `pluck()`
 * only the first column; both return the statement itself.
 */
export interface Statement<P extends unknown[] = unknown[], R = unknown> {
  run(...params: P): RunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
  iterate(...params: P): IterableIterator<R>;
  raw(toggle?: boolean): this;
  pluck(toggle?: boolean): this;
}

/**
 * `fn` wrapped in BEGIN/COMMIT (ROLLBACK when it throws); called inside another
 * transaction it becomes a savepoint. The plain call is DEFERRED.
 */
export interface Transaction<A extends unknown[], T> {
  (...args: A): T;
  deferred(...args: A): T;
  immediate(...args: A): T;
  exclusive(...args: A): T;
}

/** One connection. */
export interface Db {
  readonly open: boolean;
  readonly readonly: boolean;
  readonly inTransaction: boolean;
  prepare<P extends unknown[] = unknown[], R = unknown>(source: string): Statement<P, R>;
  exec(source: string): unknown;
  /** With `simple`, the first column of the first row; otherwise every row as an object. */
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<A extends unknown[], T>(fn: (...args: A) => T): Transaction<A, T>;
  close(): unknown;
}

export interface ConnectOptions {
  readonly readonly: boolean;
  /** better-sqlite3 refuses to create a missing file when set; `node:sqlite` has no such flag. */
  readonly fileMustExist: boolean;
  readonly busyTimeoutMs: number;
  readonly driver: SqliteDriverChoice;
}

const requireCjs = createRequire(import.meta.url);
/** The loaded addon, or the error its load failed with (a load is tried once). */
let betterSqlite: typeof BetterSqlite3 | Error | undefined;

function loadBetterSqlite(): typeof BetterSqlite3 | Error {
  if (betterSqlite === undefined) {
    try {
      const Database = requireCjs('better-sqlite3') as typeof BetterSqlite3;
      // The addon itself is loaded by the first connection, not by require(): open one in
      // memory so that an addon built for another Node ABI fails here, and only once (a
      // second dlopen of it fails differently).
      new Database(':memory:').close();
      betterSqlite = Database;
    } catch (e) {
      // Typically an addon built for another Node ABI (NODE_MODULE_VERSION).
      betterSqlite = e instanceof Error ? e : new Error(String(e));
    }
  }
  return betterSqlite;
}

function loadNodeSqlite(): NodeSqliteModule | undefined {
  // Synchronous; undefined on a runtime without the module, such as Node 20 (which the
  // typings, written for the newest Node, do not say).
  const mod: NodeSqliteModule | undefined = process.getBuiltinModule('node:sqlite');
  return mod;
}

/** Which driver `choice` resolves to on this runtime, or undefined when none loads. */
export function resolveSqliteDriver(choice: SqliteDriverChoice = 'auto'): SqliteDriverName | undefined {
  if (choice !== 'node' && !(loadBetterSqlite() instanceof Error)) return 'better-sqlite3';
  if (choice !== 'better-sqlite3' && loadNodeSqlite() !== undefined) return 'node';
  return undefined;
}

/**
 * Opens a connection with the chosen driver. `OV_INVALID_ARGUMENT` for an unknown choice,
 * `OV_IO` (reason `sqlite_driver_unavailable`) when the chosen driver does not load here;
 * driver errors while opening are mapped by {@link toVaultError}.
 */
export function connect(file: string, opts: ConnectOptions): { db: Db; driver: SqliteDriverName } {
  if (!SQLITE_DRIVER_CHOICES.includes(opts.driver)) throw new VaultError('OV_INVALID_ARGUMENT', { option: 'driver' });
  const driver = resolveSqliteDriver(opts.driver);
  if (driver === undefined) {
    const cause = betterSqlite instanceof Error ? betterSqlite : undefined;
    throw new VaultError('OV_IO', { reason: 'sqlite_driver_unavailable', driver: opts.driver }, { cause });
  }
  try {
    if (driver === 'better-sqlite3') {
      const Database = loadBetterSqlite() as typeof BetterSqlite3;
      const db = new Database(file, { readonly: opts.readonly, fileMustExist: opts.fileMustExist, timeout: opts.busyTimeoutMs });
      // Db is the subset of better-sqlite3's own API the stores use; only its generic
      // prepare() signature (bind parameters as an object or a tuple) is wider than ours.
      return { db: db as unknown as Db, driver };
    }
    const db = new NodeSqliteDb(loadNodeSqlite() as NodeSqliteModule, file, opts.readonly);
    try {
      db.pragma(`busy_timeout = ${opts.busyTimeoutMs}`);
    } catch (e) {
      db.close();
      throw e;
    }
    return { db, driver };
  } catch (e) {
    throw toVaultError(e);
  }
}

/** The SQLite result-code name of a driver error (`SQLITE_CONSTRAINT_UNIQUE`), if it is one. */
function driverErrorCode(e: unknown): string | undefined {
  if (!(e instanceof Error)) return undefined;
  if (betterSqlite !== undefined && !(betterSqlite instanceof Error) && e instanceof betterSqlite.SqliteError) return e.code;
  const { code, errcode } = e as { code?: unknown; errcode?: unknown };
  if (code === 'ERR_SQLITE_ERROR' && typeof errcode === 'number') return sqliteCodeName(errcode);
  return undefined;
}

/**
 * Maps driver errors to registry codes: constraint failures are `OV_STORAGE_CONSTRAINT`,
 * damage `OV_STORAGE_CORRUPT`, anything else from the driver `OV_IO`. Anything that is
 * not a driver error (our own errors, bugs) passes through unchanged.
 */
export function toVaultError(e: unknown): unknown {
  const code = driverErrorCode(e);
  if (code === undefined) return e;
  if (code.startsWith('SQLITE_CONSTRAINT')) return new VaultError('OV_STORAGE_CONSTRAINT', { sqlite: code }, { cause: e });
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new VaultError('OV_STORAGE_CORRUPT', { sqlite: code }, { cause: e });
  }
  return new VaultError('OV_IO', { sqlite: code }, { cause: e });
}

/** Runs `fn`, rethrowing driver errors as registry errors. */
export function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw toVaultError(e);
  }
}

/** An `OV_IO` for a failed file-system call, keeping its errno. */
export function fsError(e: unknown): VaultError {
  const code = (e as NodeJS.ErrnoException).code;
  return new VaultError('OV_IO', code === undefined ? {} : { errno: code }, { cause: e });
}

/**
 * Drivers return BLOBs as Buffers (better-sqlite3) or Uint8Arrays (`node:sqlite`); callers
 * get plain Uint8Array views either way.
 */
export function bytes(buf: Uint8Array): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

/**
 * Checks a text column read back against the values its CHECK constraint allows. The
 * constraint should make a miss unreachable; a row that slipped past it (an edited file, a
 * future schema) must surface as `OV_STORAGE_CORRUPT`, never as an unknown role or state.
 */
export function oneOf<T extends string>(values: readonly T[], v: string, table: string, column: string): T {
  if (!(values as readonly string[]).includes(v)) throw new VaultError('OV_STORAGE_CORRUPT', { table, column });
  return v as T;
}

/** `OV_INVALID_ARGUMENT` unless `limit` is a positive safe integer (a page size). */
export function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'limit' });
}

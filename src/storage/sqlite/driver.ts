/**
 * The better-sqlite3 helpers every SQLite store shares: the one mapping from driver
 * errors to registry codes, and the conversions between driver values and the contract's
 * types.
 * @module
 */
import Database from 'better-sqlite3';
import { VaultError } from '../../errors.js';

export type Db = Database.Database;
export type Statement<P extends unknown[] | object = unknown[], R = unknown> = Database.Statement<P, R>;

/**
 * Maps driver errors to registry codes: constraint failures are `OV_STORAGE_CONSTRAINT`,
 * damage `OV_STORAGE_CORRUPT`, anything else from the driver `OV_IO`. Anything that is
 * not a driver error (our own errors, bugs) passes through unchanged.
 */
export function toVaultError(e: unknown): unknown {
  if (!(e instanceof Database.SqliteError)) return e;
  const code = e.code;
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

/** better-sqlite3 returns BLOBs as Buffers; callers get plain Uint8Array views. */
export function bytes(buf: Buffer): Uint8Array {
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

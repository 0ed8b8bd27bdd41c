/**
 * A raw SQLite connection on a vault file, for tests that inspect or edit the file behind
 * the storage layer's back. It is opened through the same driver seam as the vault, so it
 * uses whichever driver loads on this runtime (better-sqlite3, else node:sqlite), and it
 * skips every check and migration of openStorage. Rows come back as the driver gives them:
 * BLOBs are Buffers under better-sqlite3 and Uint8Arrays under node:sqlite.
 */
import { connect, type Db } from '../../src/storage/sqlite/driver.js';

export type RawDb = Db;

export function openRawDb(file: string, opts: { readonly?: boolean } = {}): RawDb {
  // Creates a missing file, as `new Database(file)` would; some tests build one by hand.
  return connect(file, { readonly: opts.readonly === true, fileMustExist: false, busyTimeoutMs: 5000, driver: 'auto' }).db;
}

/**
 * A raw SQLite connection on a vault file, for tests that inspect or edit the file behind
 * the storage layer's back. It is opened through the same driver seam as the vault, so it
 * uses whichever driver loads on this runtime (better-sqlite3, else node:sqlite), and it
 * skips every check and migration of openStorage. Rows come back as the driver gives them:
 * BLOBs are Buffers under better-sqlite3 and Uint8Arrays under node:sqlite.
 */
import { decodeAuditEntry, encodeAuditEntry } from '../../src/storage/audit-codec.js';
import { connect, type Db } from '../../src/storage/sqlite/driver.js';

export type RawDb = Db;

export function openRawDb(file: string, opts: { readonly?: boolean } = {}): RawDb {
  // Creates a missing file, as `new Database(file)` would; some tests build one by hand.
  return connect(file, { readonly: opts.readonly === true, fileMustExist: false, busyTimeoutMs: 5000, driver: 'auto' }).db;
}

/**
 * Rewrites the entry text of audit row `seq` through the compact row codec, as someone
 * editing the file with the codec at hand would, and returns the new text. The row's hash
 * is left as it was. Needs the row's update trigger dropped first.
 */
export function editAuditEntry(db: RawDb, seq: number, edit: (entry: string) => string): string {
  const row = db.prepare('SELECT time, path, body FROM audit_log WHERE seq = ?').get(seq) as { time: number; path: string | null; body: string } | undefined;
  if (row === undefined) throw new Error(`no audit row ${seq}`);
  const entry = edit(decodeAuditEntry(seq, row.time, row.path, row.body));
  const { path, body } = encodeAuditEntry(entry, seq, row.time);
  db.prepare('UPDATE audit_log SET path = ?, body = ? WHERE seq = ?').run(path, body, seq);
  return entry;
}

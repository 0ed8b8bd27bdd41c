/**
 * Migration 6: compact audit rows and archive boundaries (docs/adr/0012-audit-archives.md).
 * Released migrations are never edited; a change is a new migration.
 *
 * `audit_log` is rebuilt without `prev_hash` (it is the previous row's `hash`, or the
 * archive boundary's) and with the entry in its compact form (./audit-codec.ts): the
 * canonical text is rebuilt exactly on read, so every stored hash still covers the bytes
 * it was computed over. `path` and `time` get indexes for the filters of the audit read.
 *
 * `audit_archives` records, append-only, each range moved out to an archive file: its
 * first seq and the signed checkpoint it ends on. The delete triggers now let through
 * exactly the rows at or below the last recorded boundary, so pruning is one statement in
 * the transaction that records the boundary, and nothing above a boundary can be deleted.
 * @module
 */
import { encodeAuditEntry } from './audit-codec.js';
import type { Db } from './sqlite/driver.js';

export const AUDIT_COMPACT_SQL = `
  CREATE TABLE audit_log_compact (
    seq  INTEGER PRIMARY KEY CHECK (seq >= 1),
    time INTEGER NOT NULL,
    path TEXT,
    body TEXT NOT NULL,
    hash BLOB NOT NULL CHECK (length(hash) = 32)
  ) STRICT;

  CREATE TABLE audit_archives (
    seq         INTEGER PRIMARY KEY CHECK (seq >= 1),
    first_seq   INTEGER NOT NULL CHECK (first_seq >= 1 AND first_seq <= seq),
    hash        BLOB NOT NULL CHECK (length(hash) = 32),
    alg         TEXT NOT NULL,
    key_version INTEGER NOT NULL CHECK (key_version >= 1),
    signature   BLOB NOT NULL,
    time        INTEGER NOT NULL,
    archived_at INTEGER NOT NULL
  ) STRICT;
`;

export const AUDIT_COMPACT_FINISH_SQL = `
  DROP TABLE audit_log;
  ALTER TABLE audit_log_compact RENAME TO audit_log;
  CREATE INDEX audit_log_path ON audit_log (path);
  CREATE INDEX audit_log_time ON audit_log (time);

  CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    WHEN old.seq > (SELECT coalesce(max(seq), 0) FROM audit_archives)
    BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
  DROP TRIGGER audit_checkpoints_no_delete;
  CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints
    WHEN old.seq > (SELECT coalesce(max(seq), 0) FROM audit_archives)
    BEGIN SELECT RAISE(ABORT, 'audit_checkpoints is append-only'); END;
  CREATE TRIGGER audit_archives_no_update BEFORE UPDATE ON audit_archives
    BEGIN SELECT RAISE(ABORT, 'audit_archives is append-only'); END;
  CREATE TRIGGER audit_archives_no_delete BEFORE DELETE ON audit_archives
    BEGIN SELECT RAISE(ABORT, 'audit_archives is append-only'); END;
`;

/** Rows copied per statement batch while migrating. */
const COPY_PAGE = 1024;

/** Creates the new tables, copies every entry into its compact form, swaps the tables. */
export function migrateAuditCompact(db: Db): void {
  db.exec(AUDIT_COMPACT_SQL);
  const read = db.prepare<[number, number], [number, number, string, Uint8Array]>('SELECT seq, time, entry, hash FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?').raw();
  const write = db.prepare('INSERT INTO audit_log_compact (seq, time, path, body, hash) VALUES (?, ?, ?, ?, ?)');
  let after = 0;
  for (;;) {
    const rows = read.all(after, COPY_PAGE);
    for (const [seq, time, entry, hash] of rows) {
      const { path, body } = encodeAuditEntry(entry, seq, time);
      write.run(seq, time, path, body, hash);
    }
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < COPY_PAGE) break;
    after = last[0];
  }
  db.exec(AUDIT_COMPACT_FINISH_SQL);
}

/**
 * Migration 7: every appended entry inserted its path into `audit_log_path`, at a place
 * set by the path, not by time: a log of requests to many paths dirtied one more page per
 * entry, written to the WAL at each commit and again at each checkpoint. A path filter
 * now scans by seq (docs/adr/0022-audit-log-without-a-path-index.md).
 */
export const AUDIT_DROP_PATH_INDEX_SQL = 'DROP INDEX audit_log_path;';

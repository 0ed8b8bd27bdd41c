/**
 * In-memory {@link AuditStore}: the tables are arrays kept in seq order, and, as in the
 * SQL schema, nothing can change a row once appended, and rows leave only through `prune`
 * (or a rollback of the transaction that appended them).
 * @module
 */
import type { AuditArchiveRecord, AuditCheckpointRecord, AuditEntryRecord, AuditPageQuery, AuditStore } from '../types.js';
import type { MemoryDb } from './db.js';
import { Columns, copyBytes, lowerBound } from './values.js';

const log = new Columns('audit_log');
const cps = new Columns('audit_checkpoints');
const archived = new Columns('audit_archives');
/** Per-row bytes beside the entry text in the size estimate, as the SQLite backend counts. */
const ROW_OVERHEAD = 64;

const bySeq = (r: { seq: number }, seq: number): number => r.seq - seq;

/** The `path` field of a stored entry ('' when it has none), as the SQL backend reads it. */
function pathOf(entry: string): string {
  const p = (JSON.parse(entry) as { path?: unknown }).path;
  return typeof p === 'string' ? p : '';
}

function copyEntry(r: AuditEntryRecord): AuditEntryRecord {
  return { ...r, hash: copyBytes(r.hash) };
}

function copyCheckpoint(r: AuditCheckpointRecord): AuditCheckpointRecord {
  return { ...r, hash: copyBytes(r.hash), signature: copyBytes(r.signature) };
}

export class MemoryAuditStore implements AuditStore {
  readonly #db: MemoryDb;
  readonly #entries: AuditEntryRecord[] = [];
  readonly #checkpoints: AuditCheckpointRecord[] = [];
  readonly #archives: AuditArchiveRecord[] = [];

  constructor(db: MemoryDb) {
    this.#db = db;
  }

  append(r: AuditEntryRecord): void {
    this.#db.check();
    this.#insert(this.#entries, log, {
      seq: log.int(r.seq, 'seq', 1),
      time: log.int(r.time, 'time'),
      entry: log.text(r.entry, 'entry'),
      hash: copyBytes(log.blob(r.hash, 'hash', 32)),
    });
  }

  last(): AuditEntryRecord | undefined {
    this.#db.check();
    const row = this.#entries[this.#entries.length - 1];
    return row === undefined ? undefined : copyEntry(row);
  }

  head(): { seq: number; hash: Uint8Array } | undefined {
    this.#db.check();
    const row = this.#entries[this.#entries.length - 1] ?? this.#archives[this.#archives.length - 1]?.checkpoint;
    return row === undefined ? undefined : { seq: row.seq, hash: copyBytes(row.hash) };
  }

  get(seq: number): AuditEntryRecord | undefined {
    this.#db.check();
    const row = this.#entries[lowerBound(this.#entries, seq, bySeq)];
    return row?.seq === seq ? copyEntry(row) : undefined;
  }

  *entries(fromSeq = 1): Generator<AuditEntryRecord, void, undefined> {
    this.#db.check();
    // Looks the next seq up afresh for every row, so appends (and rollbacks) during the
    // scan never make it skip or repeat a row.
    let next = fromSeq;
    for (;;) {
      this.#db.check();
      const row = this.#entries[lowerBound(this.#entries, next, bySeq)];
      if (row === undefined) return;
      yield copyEntry(row);
      next = row.seq + 1;
    }
  }

  count(): number {
    this.#db.check();
    return this.#entries.length;
  }

  page(q: AuditPageQuery): AuditEntryRecord[] {
    this.#db.check();
    const prefix = q.pathPrefix ?? '';
    const since = q.since ?? 0;
    const out: AuditEntryRecord[] = [];
    const rows = this.#entries;
    const asc = q.order === 'asc';
    let i = asc ? lowerBound(rows, (q.after ?? 0) + 1, bySeq) : lowerBound(rows, q.after ?? Number.MAX_SAFE_INTEGER, bySeq) - 1;
    for (; out.length < q.limit && i >= 0 && i < rows.length; i += asc ? 1 : -1) {
      const row = rows[i];
      if (row === undefined || row.time < since) continue;
      if (prefix !== '' && !pathOf(row.entry).startsWith(prefix)) continue;
      out.push(copyEntry(row));
    }
    return out;
  }

  insertCheckpoint(r: AuditCheckpointRecord): void {
    this.#db.check();
    this.#insert(this.#checkpoints, cps, {
      seq: cps.int(r.seq, 'seq', 1),
      hash: copyBytes(cps.blob(r.hash, 'hash', 32)),
      alg: cps.text(r.alg, 'alg'),
      keyVersion: cps.int(r.keyVersion, 'key_version', 1),
      signature: copyBytes(cps.blob(r.signature, 'signature')),
      time: cps.int(r.time, 'time'),
    });
  }

  lastCheckpoint(): AuditCheckpointRecord | undefined {
    this.#db.check();
    const row = this.#checkpoints[this.#checkpoints.length - 1];
    return row === undefined ? undefined : copyCheckpoint(row);
  }

  lastCheckpointSeq(): number {
    this.#db.check();
    return Math.max(this.#checkpoints[this.#checkpoints.length - 1]?.seq ?? 0, this.#archives[this.#archives.length - 1]?.checkpoint.seq ?? 0);
  }

  checkpoints(): AuditCheckpointRecord[] {
    this.#db.check();
    return this.#checkpoints.map(copyCheckpoint);
  }

  archives(): AuditArchiveRecord[] {
    this.#db.check();
    return this.#archives.map((a) => ({ ...a, checkpoint: copyCheckpoint(a.checkpoint) }));
  }

  prune(r: AuditArchiveRecord): number {
    this.#db.check();
    const cp = r.checkpoint;
    const start = (this.#archives[this.#archives.length - 1]?.checkpoint.seq ?? 0) + 1;
    const record: AuditArchiveRecord = {
      firstSeq: archived.int(r.firstSeq, 'first_seq', 1),
      checkpoint: {
        seq: archived.int(cp.seq, 'seq', 1),
        hash: copyBytes(archived.blob(cp.hash, 'hash', 32)),
        alg: archived.text(cp.alg, 'alg'),
        keyVersion: archived.int(cp.keyVersion, 'key_version', 1),
        signature: copyBytes(archived.blob(cp.signature, 'signature')),
        time: archived.int(cp.time, 'time'),
      },
      archivedAt: archived.int(r.archivedAt, 'archived_at'),
    };
    if (record.firstSeq !== start || record.checkpoint.seq < record.firstSeq) throw archived.fail('check', 'first_seq');
    this.#archives.push(record);
    const entries = this.#entries.splice(0, lowerBound(this.#entries, cp.seq + 1, bySeq));
    const checkpoints = this.#checkpoints.splice(0, lowerBound(this.#checkpoints, cp.seq + 1, bySeq));
    this.#db.undo(() => {
      this.#archives.pop();
      this.#entries.unshift(...entries);
      this.#checkpoints.unshift(...checkpoints);
    });
    return entries.length;
  }

  bytesAfter(seq: number): number {
    this.#db.check();
    let total = 0;
    for (let i = lowerBound(this.#entries, seq + 1, bySeq); i < this.#entries.length; i++) total += (this.#entries[i] as AuditEntryRecord).entry.length + ROW_OVERHEAD;
    return total;
  }

  #insert<T extends { seq: number }>(rows: T[], table: Columns, row: T): void {
    const i = lowerBound(rows, row.seq, bySeq);
    if (rows[i]?.seq === row.seq) throw table.fail('primary_key', 'seq');
    rows.splice(i, 0, row);
    this.#db.undo(() => {
      rows.splice(lowerBound(rows, row.seq, bySeq), 1);
    });
  }
}

/**
 * SQLite {@link AuditStore}: the append-only `audit_log` and `audit_checkpoints` tables
 * (triggers refuse UPDATE and DELETE).
 * @module
 */
import type { AuditCheckpointRecord, AuditEntryRecord, AuditPageQuery, AuditStore } from '../types.js';
import { bytes, guard, type Db, type Statement } from './driver.js';

/** An audit_log row in AUDIT_COLUMNS order. */
type AuditTuple = [number, number, string, Uint8Array, Uint8Array];
/** An audit_checkpoints row in CHECKPOINT_COLUMNS order. */
type CheckpointTuple = [number, Uint8Array, string, number, Uint8Array, number];

/** Bound parameters of the paged audit queries. */
interface PageParams {
  after: number;
  since: number;
  prefix: string;
  limit: number;
}

const AUDIT_COLUMNS = 'seq, time, entry, prev_hash, hash';
const CHECKPOINT_COLUMNS = 'seq, hash, alg, key_version, signature, time';
/** Rows per page of AuditStore.entries(). */
const AUDIT_PAGE = 1024;

function toAuditEntry([seq, time, entry, prevHash, hash]: AuditTuple): AuditEntryRecord {
  return { seq, time, entry, prevHash: bytes(prevHash), hash: bytes(hash) };
}

function toCheckpoint([seq, hash, alg, keyVersion, signature, time]: CheckpointTuple): AuditCheckpointRecord {
  return { seq, hash: bytes(hash), alg, keyVersion, signature: bytes(signature), time };
}

export class SqliteAuditStore implements AuditStore {
  readonly #append: Statement<[number, number, string, Uint8Array, Uint8Array]>;
  readonly #last: Statement<[], AuditTuple>;
  readonly #head: Statement<[], [number, Uint8Array]>;
  readonly #get: Statement<[number], AuditTuple>;
  readonly #entries: Statement<[number, number], AuditTuple>;
  readonly #count: Statement<[], number>;
  readonly #pageAsc: Statement<[PageParams], AuditTuple>;
  readonly #pageDesc: Statement<[PageParams], AuditTuple>;
  readonly #insertCheckpoint: Statement<[number, Uint8Array, string, number, Uint8Array, number]>;
  readonly #lastCheckpoint: Statement<[], CheckpointTuple>;
  readonly #checkpoints: Statement<[], CheckpointTuple>;
  readonly #lastCheckpointSeq: Statement<[], number>;

  constructor(db: Db) {
    this.#append = db.prepare(`INSERT INTO audit_log (${AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?)`);
    this.#last = db.prepare<[], AuditTuple>(`SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1`).raw();
    this.#head = db.prepare<[], [number, Uint8Array]>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').raw();
    this.#get = db.prepare<[number], AuditTuple>(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq = ?`).raw();
    this.#entries = db.prepare<[number, number], AuditTuple>(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?`).raw();
    this.#count = db.prepare<[], number>('SELECT count(*) FROM audit_log').pluck();
    // The path prefix is compared with substr, not LIKE: `%` and `_` in a prefix are
    // ordinary characters. An empty prefix matches every entry, with a path or without.
    const where = "time >= @since AND (@prefix = '' OR substr(coalesce(json_extract(entry, '$.path'), ''), 1, length(@prefix)) = @prefix)";
    this.#pageAsc = db.prepare<[PageParams], AuditTuple>(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq > @after AND ${where} ORDER BY seq LIMIT @limit`).raw();
    this.#pageDesc = db.prepare<[PageParams], AuditTuple>(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq < @after AND ${where} ORDER BY seq DESC LIMIT @limit`).raw();
    this.#insertCheckpoint = db.prepare(`INSERT INTO audit_checkpoints (${CHECKPOINT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`);
    this.#lastCheckpoint = db.prepare<[], CheckpointTuple>(`SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`).raw();
    this.#checkpoints = db.prepare<[], CheckpointTuple>(`SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq`).raw();
    this.#lastCheckpointSeq = db.prepare<[], number>('SELECT coalesce(max(seq), 0) FROM audit_checkpoints').pluck();
  }

  append(r: AuditEntryRecord): void {
    guard(() => this.#append.run(r.seq, r.time, r.entry, r.prevHash, r.hash));
  }

  last(): AuditEntryRecord | undefined {
    const row = guard(() => this.#last.get());
    return row === undefined ? undefined : toAuditEntry(row);
  }

  head(): { seq: number; hash: Uint8Array } | undefined {
    const row = guard(() => this.#head.get());
    return row === undefined ? undefined : { seq: row[0], hash: bytes(row[1]) };
  }

  get(seq: number): AuditEntryRecord | undefined {
    const row = guard(() => this.#get.get(seq));
    return row === undefined ? undefined : toAuditEntry(row);
  }

  *entries(fromSeq = 1): Generator<AuditEntryRecord, void, undefined> {
    // Pages by seq instead of iterate(): a log of millions of entries is held a page at a
    // time, the connection is free between pages (the caller may append while scanning),
    // and all() per page is about twice as fast as stepping a cursor row by row.
    let next = fromSeq;
    for (;;) {
      const page = guard(() => this.#entries.all(next, AUDIT_PAGE));
      for (const row of page) yield toAuditEntry(row);
      const last = page[page.length - 1];
      if (last === undefined || page.length < AUDIT_PAGE) return;
      next = last[0] + 1;
    }
  }

  count(): number {
    return guard(() => this.#count.get()) ?? 0;
  }

  page(q: AuditPageQuery): AuditEntryRecord[] {
    const prefix = q.pathPrefix ?? '';
    const since = q.since ?? 0;
    const rows =
      q.order === 'asc'
        ? guard(() => this.#pageAsc.all({ after: q.after ?? 0, since, prefix, limit: q.limit }))
        : guard(() => this.#pageDesc.all({ after: q.after ?? Number.MAX_SAFE_INTEGER, since, prefix, limit: q.limit }));
    return rows.map(toAuditEntry);
  }

  insertCheckpoint(r: AuditCheckpointRecord): void {
    guard(() => this.#insertCheckpoint.run(r.seq, r.hash, r.alg, r.keyVersion, r.signature, r.time));
  }

  lastCheckpoint(): AuditCheckpointRecord | undefined {
    const row = guard(() => this.#lastCheckpoint.get());
    return row === undefined ? undefined : toCheckpoint(row);
  }

  lastCheckpointSeq(): number {
    return guard(() => this.#lastCheckpointSeq.get()) ?? 0;
  }

  checkpoints(): AuditCheckpointRecord[] {
    return guard(() => this.#checkpoints.all()).map(toCheckpoint);
  }
}

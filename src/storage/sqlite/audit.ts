/**
 * SQLite {@link AuditStore}: `audit_log` (compact rows, ../audit-codec.ts), the
 * `audit_checkpoints` and the `audit_archives` boundaries. Triggers refuse UPDATE, and
 * DELETE of anything above the last recorded boundary (../schema-audit.ts).
 * @module
 */
import { VaultError } from '../../errors.js';
import { decodeAuditEntry, encodeAuditEntry, type CompactAuditRow } from '../audit-codec.js';
import type { AuditArchiveRecord, AuditCheckpointRecord, AuditEntryRecord, AuditPageQuery, AuditStore } from '../types.js';
import { bytes, guard, type Db, type Statement } from './driver.js';

/** An audit_log row in AUDIT_COLUMNS order. */
type AuditTuple = [number, number, string | null, string, Uint8Array];
/** An audit_checkpoints row in CHECKPOINT_COLUMNS order. */
type CheckpointTuple = [number, Uint8Array, string, number, Uint8Array, number];
type ArchiveTuple = [number, number, Uint8Array, string, number, Uint8Array, number, number];

/** Bound parameters of the paged audit queries (unused ones are ignored by SQLite's named binding only if absent, so each variant gets its own). */
type PageParams = Record<string, number | string>;

const AUDIT_COLUMNS = 'seq, time, path, body, hash';
const CHECKPOINT_COLUMNS = 'seq, hash, alg, key_version, signature, time';
const ARCHIVE_COLUMNS = 'first_seq, seq, hash, alg, key_version, signature, time, archived_at';
/** Rows per page of AuditStore.entries(). */
const AUDIT_PAGE = 1024;
/** Per-row bytes beside the body and path in the size estimate: seq, time, hash, record and index overhead. */
const ROW_OVERHEAD = 64;

function entryText(seq: number, time: number, path: string | null, body: string): string {
  try {
    return decodeAuditEntry(seq, time, path, body);
  } catch {
    // An unreadable body is handed on as it is: the verifier reports the row as modified.
    return body;
  }
}

function toAuditEntry([seq, time, path, body, hash]: AuditTuple): AuditEntryRecord {
  return { seq, time, entry: entryText(seq, time, path, body), hash: bytes(hash) };
}

function toCheckpoint([seq, hash, alg, keyVersion, signature, time]: CheckpointTuple): AuditCheckpointRecord {
  return { seq, hash: bytes(hash), alg, keyVersion, signature: bytes(signature), time };
}

function toArchive([firstSeq, seq, hash, alg, keyVersion, signature, time, archivedAt]: ArchiveTuple): AuditArchiveRecord {
  return { firstSeq, checkpoint: { seq, hash: bytes(hash), alg, keyVersion, signature: bytes(signature), time }, archivedAt };
}

/**
 * The least string above every string that starts with `prefix`, in SQLite's BINARY order
 * (UTF-8 bytes, which is code point order): the prefix with its last code point raised by
 * one. Undefined when no such string exists (a prefix of only U+10FFFF).
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const cps = [...prefix].map((c) => c.codePointAt(0) as number);
  while (cps.length > 0) {
    const last = (cps.pop() as number) + 1;
    if (last <= 0x10ffff) {
      cps.push(last >= 0xd800 && last <= 0xdfff ? 0xe000 : last);
      return String.fromCodePoint(...cps);
    }
  }
  return undefined;
}

export class SqliteAuditStore implements AuditStore {
  readonly #db: Db;
  readonly #append: Statement<[number, number, string | null, string, Uint8Array]>;
  readonly #last: Statement<[], AuditTuple>;
  readonly #head: Statement<[], [number, Uint8Array]>;
  readonly #get: Statement<[number], AuditTuple>;
  readonly #entries: Statement<[number, number], AuditTuple>;
  readonly #count: Statement<[], number>;
  /** Keyed by order, then whether a path prefix and a since filter apply. */
  readonly #pages = new Map<string, Statement<[PageParams], AuditTuple>>();
  readonly #insertCheckpoint: Statement<[number, Uint8Array, string, number, Uint8Array, number]>;
  readonly #lastCheckpoint: Statement<[], CheckpointTuple>;
  readonly #checkpoints: Statement<[], CheckpointTuple>;
  readonly #lastCheckpointSeq: Statement<[], number>;
  readonly #archives: Statement<[], ArchiveTuple>;
  readonly #lastArchive: Statement<[], ArchiveTuple>;
  readonly #insertArchive: Statement<[number, number, Uint8Array, string, number, Uint8Array, number, number]>;
  readonly #pruneEntries: Statement<[number]>;
  readonly #pruneCheckpoints: Statement<[number]>;
  readonly #bytesAfter: Statement<[number], number>;

  constructor(db: Db) {
    this.#db = db;
    this.#append = db.prepare(`INSERT INTO audit_log (${AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?)`);
    this.#last = db.prepare<[], AuditTuple>(`SELECT ${AUDIT_COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT 1`).raw();
    this.#head = db.prepare<[], [number, Uint8Array]>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1').raw();
    this.#get = db.prepare<[number], AuditTuple>(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq = ?`).raw();
    this.#entries = db.prepare<[number, number], AuditTuple>(`SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE seq >= ? ORDER BY seq LIMIT ?`).raw();
    this.#count = db.prepare<[], number>('SELECT count(*) FROM audit_log').pluck();
    this.#insertCheckpoint = db.prepare(`INSERT INTO audit_checkpoints (${CHECKPOINT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`);
    this.#lastCheckpoint = db.prepare<[], CheckpointTuple>(`SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq DESC LIMIT 1`).raw();
    this.#checkpoints = db.prepare<[], CheckpointTuple>(`SELECT ${CHECKPOINT_COLUMNS} FROM audit_checkpoints ORDER BY seq`).raw();
    this.#lastCheckpointSeq = db
      .prepare<[], number>('SELECT max((SELECT coalesce(max(seq), 0) FROM audit_checkpoints), (SELECT coalesce(max(seq), 0) FROM audit_archives))')
      .pluck();
    this.#archives = db.prepare<[], ArchiveTuple>(`SELECT ${ARCHIVE_COLUMNS} FROM audit_archives ORDER BY seq`).raw();
    this.#lastArchive = db.prepare<[], ArchiveTuple>(`SELECT ${ARCHIVE_COLUMNS} FROM audit_archives ORDER BY seq DESC LIMIT 1`).raw();
    this.#insertArchive = db.prepare(`INSERT INTO audit_archives (${ARCHIVE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#pruneEntries = db.prepare('DELETE FROM audit_log WHERE seq <= ?');
    this.#pruneCheckpoints = db.prepare('DELETE FROM audit_checkpoints WHERE seq <= ?');
    this.#bytesAfter = db.prepare<[number], number>(`SELECT coalesce(sum(length(body) + coalesce(length(path), 0) + ${ROW_OVERHEAD}), 0) FROM audit_log WHERE seq > ?`).pluck();
    for (const order of ['asc', 'desc'] as const) {
      for (const prefix of [false, true]) {
        for (const since of [false, true]) {
          // The path prefix is a filter on the seq scan (a range, then checked exactly with
          // substr, not LIKE: `%` and `_` in a prefix are ordinary characters; no index, see
          // docs/adr/0022-audit-log-without-a-path-index.md); `since` a range on the time
          // index (below). Each combination is its own statement so the planner sees only
          // the conditions that apply.
          const where = [order === 'asc' ? 'seq > @after' : 'seq < @after'];
          // The least seq at or after `since` comes from the time index (covering, and exact
          // even if the clock ever stepped back); the scan then runs on seq from there.
          if (since) where.push('seq >= (SELECT coalesce(min(seq), 9007199254740991) FROM audit_log INDEXED BY audit_log_time WHERE time >= @since)', 'time >= @since');
          if (prefix) where.push('path >= @prefix', 'path < @upper', 'substr(path, 1, length(@prefix)) = @prefix');
          const sql = `SELECT ${AUDIT_COLUMNS} FROM audit_log WHERE ${where.join(' AND ')} ORDER BY seq ${order === 'asc' ? 'ASC' : 'DESC'} LIMIT @limit`;
          this.#pages.set(`${order}/${prefix}/${since}`, db.prepare<[PageParams], AuditTuple>(sql).raw());
        }
      }
    }
  }

  append(r: AuditEntryRecord, row?: CompactAuditRow): void {
    guard(() => {
      const { path, body } = row ?? encodeAuditEntry(r.entry, r.seq, r.time);
      this.#append.run(r.seq, r.time, path, body, r.hash);
    });
  }

  last(): AuditEntryRecord | undefined {
    const row = guard(() => this.#last.get());
    return row === undefined ? undefined : toAuditEntry(row);
  }

  head(): { seq: number; hash: Uint8Array } | undefined {
    const row = guard(() => this.#head.get());
    if (row !== undefined) return { seq: row[0], hash: bytes(row[1]) };
    const boundary = guard(() => this.#lastArchive.get());
    return boundary === undefined ? undefined : { seq: boundary[1], hash: bytes(boundary[2]) };
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
    const params: PageParams = { after: q.after ?? (q.order === 'asc' ? 0 : Number.MAX_SAFE_INTEGER), limit: q.limit };
    const since = q.since !== undefined && q.since > 0;
    if (since) params['since'] = q.since;
    if (prefix !== '') {
      params['prefix'] = prefix;
      // Only a prefix of nothing but U+10FFFF has no upper bound; the exact check still applies.
      params['upper'] = prefixUpperBound(prefix) ?? `${prefix}\u{10FFFF}`;
    }
    const stmt = this.#pages.get(`${q.order}/${prefix !== ''}/${since}`) as Statement<[PageParams], AuditTuple>;
    return guard(() => stmt.all(params)).map(toAuditEntry);
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

  archives(): AuditArchiveRecord[] {
    return guard(() => this.#archives.all()).map(toArchive);
  }

  prune(r: AuditArchiveRecord): number {
    return guard(() =>
      this.#db.transaction(() => {
        const prev = this.#lastArchive.get();
        const start = (prev?.[1] ?? 0) + 1;
        const cp = r.checkpoint;
        if (r.firstSeq !== start || cp.seq < r.firstSeq) {
          throw new VaultError('OV_STORAGE_CONSTRAINT', { table: 'audit_archives', constraint: 'check', column: 'first_seq' });
        }
        this.#insertArchive.run(r.firstSeq, cp.seq, cp.hash, cp.alg, cp.keyVersion, cp.signature, cp.time, r.archivedAt);
        this.#pruneCheckpoints.run(cp.seq);
        return this.#pruneEntries.run(cp.seq).changes;
      })(),
    );
  }

  bytesAfter(seq: number): number {
    return guard(() => this.#bytesAfter.get(seq)) ?? 0;
  }
}

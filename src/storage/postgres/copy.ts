/**
 * Row copies between the two engines, on their connections: a PostgreSQL vault into a new
 * SQLite file (a snapshot: the file the snapshot format already signs), a SQLite vault
 * into a PostgreSQL database (`vault operator migrate`), and a row-by-row comparison of
 * the two for the migration's verification. Both schemas hold the same tables and columns
 * (./schema.ts); the SQLite file names the columns. The audit tables are one node's chain:
 * on PostgreSQL they are found through the connection's search path.
 *
 * The PostgreSQL side of a snapshot is read in one `REPEATABLE READ` transaction, so the
 * copy is one consistent state even while other nodes write.
 * @module
 */
import { VaultError } from '../../errors.js';
import { LATEST_SCHEMA_VERSION } from '../migrations.js';
import type { Db } from '../sqlite/driver.js';
import { openDatabase } from '../sqlite/open.js';
import type { SnapshotInfo } from '../types.js';
import type { SyncPg } from './bridge.js';

/** Every table of the vault, parents before children (foreign keys), audit chain last. */
export const VAULT_TABLES: readonly string[] = [
  'meta',
  'api_keys',
  'sessions',
  'keyring_policy',
  'keyring_keys',
  'secret_meta',
  'secret_versions',
  'validator_slots',
  'validator_keys',
  'validator_records',
  'transit_keys',
  'transit_key_versions',
  'audit_log',
  'audit_checkpoints',
  'audit_archives',
];

/** Rows per round trip when reading PostgreSQL. */
const FETCH_ROWS = 1000;
/** PostgreSQL takes at most 65535 parameters in one statement; stay well below. */
const MAX_PARAMS = 30_000;

interface TableShape {
  readonly columns: readonly string[];
  /** The primary key (or, without one, every column): the order rows are compared in. */
  readonly order: readonly string[];
}

function shapeOf(db: Db, table: string): TableShape {
  const info = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string; pk: number }[];
  if (info.length === 0) throw new VaultError('OV_STORAGE_CORRUPT', { table });
  const pk = info.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
  const columns = info.map((c) => c.name);
  return { columns, order: pk.length > 0 ? pk : columns };
}

/** A value as SQLite binds it: bytes as a Buffer, everything else as it came. */
function forSqlite(v: unknown): unknown {
  return v instanceof Uint8Array && !Buffer.isBuffer(v) ? Buffer.from(v.buffer, v.byteOffset, v.byteLength) : v;
}

/** Reads `sql` on PostgreSQL through a cursor, `FETCH_ROWS` at a time. */
function* pgRows(pg: SyncPg, sql: string, cursor: string): Generator<unknown[]> {
  let r = pg.fetch(cursor, FETCH_ROWS, sql, []);
  try {
    for (;;) {
      yield* r.rows;
      if (r.rows.length < FETCH_ROWS) return;
      r = pg.fetch(cursor, FETCH_ROWS);
    }
  } finally {
    try {
      pg.closeCursor(cursor);
    } catch {
      // The connection is gone, and the cursor with it.
    }
  }
}

function selectSql(table: string, shape: TableShape): string {
  return `SELECT ${shape.columns.join(', ')} FROM ${table} ORDER BY ${shape.order.join(', ')}`;
}

/**
 * Writes the vault on `pg` (this node's audit chain) into a new SQLite file `into` (0600,
 * created here; removed again on failure), in one REPEATABLE READ transaction. Must not be
 * called inside a transaction of `pg`.
 */
export function snapshotToSqlite(pg: SyncPg, into: string): SnapshotInfo {
  const { db } = openDatabase(into, {});
  let ok = false;
  try {
    pg.exec('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    try {
      db.transaction(() => {
        for (const table of VAULT_TABLES) {
          const shape = shapeOf(db, table);
          const insert = db.prepare(`INSERT INTO ${table} (${shape.columns.join(', ')}) VALUES (${shape.columns.map(() => '?').join(', ')})`);
          for (const row of pgRows(pg, selectSql(table, shape), `ov_snapshot_${table}`)) insert.run(...row.map(forSqlite));
        }
      }).immediate();
    } finally {
      try {
        pg.exec('COMMIT');
      } catch {
        pg.reset();
      }
    }
    // One self-contained file: no -wal beside it to lose in a copy.
    db.pragma('journal_mode = DELETE');
    const auditSeq = db.prepare('SELECT max((SELECT coalesce(max(seq), 0) FROM audit_log), (SELECT coalesce(max(seq), 0) FROM audit_archives))').pluck().get() as number;
    ok = true;
    return { schemaVersion: LATEST_SCHEMA_VERSION, auditSeq };
  } finally {
    db.close();
    if (!ok) removeQuiet(into);
    removeQuiet(`${into}-wal`);
    removeQuiet(`${into}-shm`);
  }
}

function removeQuiet(path: string): void {
  try {
    process.getBuiltinModule('node:fs').rmSync(path, { force: true });
  } catch {
    // best effort
  }
}

/** Rows copied per table, in {@link VAULT_TABLES} order. */
export type TableCounts = { readonly table: string; readonly rows: number }[];

/**
 * Copies every row of the SQLite vault `source` into the PostgreSQL vault on `pg` (its
 * tables exist and are empty; the audit tables are the node's), in one transaction under
 * the writers' lock. `progress` is told after each batch.
 */
export function copySqliteToPg(source: Db, pg: SyncPg, writeLock: number, progress?: (table: string, rows: number) => void): TableCounts {
  const counts: { table: string; rows: number }[] = [];
  return pg.transact(`BEGIN; SELECT pg_advisory_xact_lock(${writeLock})`, () => {
    for (const table of VAULT_TABLES) {
      const shape = shapeOf(source, table);
      const per = Math.max(1, Math.floor(MAX_PARAMS / shape.columns.length));
      let batch: unknown[][] = [];
      let n = 0;
      const flush = (): void => {
        if (batch.length === 0) return;
        let p = 0;
        const values = batch.map((row) => `(${row.map(() => `$${++p}`).join(', ')})`).join(', ');
        pg.query(`INSERT INTO ${table} (${shape.columns.join(', ')}) VALUES ${values}`, batch.flat());
        n += batch.length;
        batch = [];
        progress?.(table, n);
      };
      for (const row of source.prepare(selectSql(table, shape)).raw().iterate() as IterableIterator<unknown[]>) {
        batch.push(row);
        if (batch.length >= per) flush();
      }
      flush();
      counts.push({ table, rows: n });
    }
    return counts;
  });
}

/** One value in a form both engines agree on: bytes as hex, integers as decimal text. */
function canonical(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (v instanceof Uint8Array) return `x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  if (typeof v === 'bigint' || typeof v === 'number') return `n${String(v)}`;
  if (typeof v === 'string') return `s${v}`;
  return `?${JSON.stringify(v)}`;
}

export interface TableComparison {
  readonly table: string;
  readonly source: number;
  readonly target: number;
  /** The first row (in key order) that differs or is missing on one side; undefined when equal. */
  readonly firstDifference: number | undefined;
}

/** Reads every row of every table from both and compares them in key order. */
export function compareSqliteWithPg(source: Db, pg: SyncPg): TableComparison[] {
  const out: TableComparison[] = [];
  for (const table of VAULT_TABLES) {
    const shape = shapeOf(source, table);
    const a = source.prepare(selectSql(table, shape)).raw().iterate() as IterableIterator<unknown[]>;
    const b = pgRows(pg, selectSql(table, shape), `ov_compare_${table}`);
    let i = 0;
    let s = 0;
    let t = 0;
    let diff: number | undefined;
    for (;;) {
      const x = a.next();
      const y = b.next();
      if (!x.done) s++;
      if (!y.done) t++;
      if (x.done && y.done) break;
      if (diff === undefined && (x.done === true || y.done === true || x.value.map(canonical).join('\u0000') !== y.value.map(canonical).join('\u0000'))) diff = i;
      i++;
    }
    out.push({ table, source: s, target: t, firstDifference: diff });
  }
  return out;
}

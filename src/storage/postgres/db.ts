/**
 * The SQL stores' connection interface (`Db`, ../sqlite/driver.ts) over PostgreSQL, so that
 * one set of store classes serves both engines and the conformance suite checks the same
 * code twice. The stores' SQL is portable apart from a few SQLite spellings, which
 * {@link toPgSql} rewrites; `?` and `@name` parameters become `$n`.
 *
 * Transactions: BEGIN/COMMIT, savepoints when nested, as in SQLite. An IMMEDIATE
 * transaction (every write the storage makes) first takes one transaction-scoped advisory
 * lock, so the writers of every daemon on the database run one at a time, as SQLite's
 * single writer does, and a read-then-write inside one never races another node. A write
 * inside a transaction runs under its own savepoint, so a refused write undoes only itself
 * and the caller may carry on, as SQLite allows (PostgreSQL would abort the transaction).
 * @module
 */
import { VaultError } from '../../errors.js';
import type { Db, RunResult, Statement, Transaction } from '../sqlite/driver.js';
import type { SyncPg } from './bridge.js';

/** The advisory lock every writing transaction holds (any constant; 'OVLT'). */
export const WRITE_LOCK = 0x4f564c54;

/** Rows fetched per round trip when a statement is iterated. */
const FETCH_ROWS = 512;

const OBJECTS = 0;
const ARRAYS = 1;
const FIRST_COLUMN = 2;
type Mode = typeof OBJECTS | typeof ARRAYS | typeof FIRST_COLUMN;

/**
 * SQLite spellings the stores use, and their PostgreSQL equivalents. Each is exact for the
 * statements that use it; the conformance suite runs those statements on both engines.
 */
const REWRITES: readonly (readonly [RegExp, string])[] = [
  // An index hint: PostgreSQL's planner picks the index itself.
  [/\s+INDEXED BY \w+/g, ''],
  // SQLite's two-argument scalar max().
  [/^SELECT max\(\(/, 'SELECT greatest(('],
  // length() of a bound parameter: PostgreSQL must be told it is text (not bytea).
  [/length\((@\w+|\?)\)/g, 'length(CAST($1 AS text))'],
  // The change counter of the secret tables (SQLite: another connection committed).
  [/^PRAGMA data_version$/, "SELECT n FROM ov_changes WHERE name = 'secrets'"],
];

/** `source` in PostgreSQL's dialect, and the parameter names in `$n` order when named. */
export function toPgSql(source: string): { sql: string; names: readonly string[] | undefined } {
  let text = source;
  for (const [re, to] of REWRITES) text = text.replace(re, to);
  let out = '';
  let positional = 0;
  const names: string[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new TypeError('unterminated string in SQL');
      out += text.slice(i, end + 1);
      i = end;
    } else if (c === '?') {
      out += `$${++positional}`;
    } else if (c === '@' && /[A-Za-z_]/.test(text[i + 1] ?? '')) {
      const name = /^@(\w+)/.exec(text.slice(i))?.[1] as string;
      let k = names.indexOf(name);
      if (k < 0) k = names.push(name) - 1;
      out += `$${k + 1}`;
      i += name.length;
    } else {
      out += c;
    }
  }
  if (positional > 0 && names.length > 0) throw new TypeError('SQL mixes ? and @name parameters');
  return { sql: out, names: names.length > 0 ? names : undefined };
}

let cursors = 0;

class PgStatement<P extends unknown[], R> implements Statement<P, R> {
  readonly #db: PgDb;
  readonly #sql: string;
  readonly #names: readonly string[] | undefined;
  readonly #write: boolean;
  #mode: Mode = OBJECTS;

  constructor(db: PgDb, source: string) {
    this.#db = db;
    const { sql, names } = toPgSql(source);
    this.#sql = sql;
    this.#names = names;
    this.#write = !/^\s*(SELECT|WITH)\b/i.test(sql);
  }

  raw(toggle = true): this {
    this.#mode = toggle ? ARRAYS : OBJECTS;
    return this;
  }

  pluck(toggle = true): this {
    this.#mode = toggle ? FIRST_COLUMN : OBJECTS;
    return this;
  }

  run(...params: P): RunResult {
    const r = this.#db.pg.query(this.#sql, this.#bind(params), this.#write && this.#db.inTransaction);
    return { changes: r.rowCount, lastInsertRowid: 0 };
  }

  get(...params: P): R | undefined {
    const r = this.#db.pg.query(this.#sql, this.#bind(params), this.#write && this.#db.inTransaction);
    const row = r.rows[0];
    return row === undefined ? undefined : this.#shape(r.fields, row);
  }

  all(...params: P): R[] {
    const r = this.#db.pg.query(this.#sql, this.#bind(params), this.#write && this.#db.inTransaction);
    return r.rows.map((row) => this.#shape(r.fields, row));
  }

  *iterate(...params: P): IterableIterator<R> {
    // A held cursor: the server keeps the result, the rows come FETCH_ROWS at a time, and
    // the connection stays usable between them.
    const pg = this.#db.pg;
    const cursor = `ov_cursor_${++cursors}`;
    let r = pg.fetch(cursor, FETCH_ROWS, this.#sql, this.#bind(params));
    try {
      for (;;) {
        for (const row of r.rows) yield this.#shape(r.fields, row);
        if (r.rows.length < FETCH_ROWS) return;
        r = pg.fetch(cursor, FETCH_ROWS);
      }
    } finally {
      if (!pg.closed) {
        try {
          pg.closeCursor(cursor);
        } catch {
          // The connection is gone, and the cursor with it.
        }
      }
    }
  }

  #bind(params: P): unknown[] {
    const values = this.#names === undefined ? params : this.#names.map((n) => (params[0] as Record<string, unknown>)[n]);
    return values.map((v) => (v === undefined ? null : v));
  }

  #shape(fields: readonly string[], row: unknown[]): R {
    for (let i = 0; i < row.length; i++) {
      // Buffers cross the thread as plain Uint8Arrays; a JSON column may arrive parsed.
      const v = row[i];
      if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) row[i] = JSON.stringify(v);
    }
    if (this.#mode === FIRST_COLUMN) return row[0] as R;
    if (this.#mode === ARRAYS) return row as R;
    const o: Record<string, unknown> = {};
    fields.forEach((f, i) => {
      o[f] = row[i];
    });
    return o as R;
  }
}

export class PgDb implements Db {
  readonly pg: SyncPg;
  readonly readonly: boolean;
  #depth = 0;

  constructor(pg: SyncPg, readonly: boolean) {
    this.pg = pg;
    this.readonly = readonly;
  }

  get open(): boolean {
    return !this.pg.closed;
  }

  get inTransaction(): boolean {
    return this.#depth > 0;
  }

  prepare<P extends unknown[] = unknown[], R = unknown>(source: string): Statement<P, R> {
    return new PgStatement<P, R>(this, source);
  }

  exec(source: string): this {
    this.pg.exec(source);
    return this;
  }

  pragma(): unknown {
    throw new VaultError('OV_INVALID_ARGUMENT', { reason: 'no pragmas on PostgreSQL' });
  }

  transaction<A extends unknown[], T>(fn: (...args: A) => T): Transaction<A, T> {
    const wrap =
      (lock: boolean) =>
      (...args: A): T =>
        this.#depth > 0 ? this.#savepoint(fn, args) : this.#begin(lock, fn, args);
    return Object.assign(wrap(false), { deferred: wrap(false), immediate: wrap(true), exclusive: wrap(true) });
  }

  close(): this {
    this.pg.close();
    return this;
  }

  #begin<A extends unknown[], T>(lock: boolean, fn: (...args: A) => T, args: A): T {
    if (this.pg.closed) throw new VaultError('OV_IO', { reason: 'closed' });
    this.pg.exec(lock && !this.readonly ? `BEGIN; SELECT pg_advisory_xact_lock(${WRITE_LOCK})` : this.readonly ? 'BEGIN READ ONLY' : 'BEGIN');
    this.#depth = 1;
    try {
      const result = settled(fn(...args));
      this.pg.exec('COMMIT');
      return result;
    } catch (e) {
      try {
        this.pg.exec('ROLLBACK');
      } catch {
        // The connection is gone: PostgreSQL has rolled back already.
        this.pg.reset();
      }
      throw e;
    } finally {
      this.#depth = 0;
    }
  }

  #savepoint<A extends unknown[], T>(fn: (...args: A) => T, args: A): T {
    const name = `ov_nested_${this.#depth}`;
    this.pg.exec(`SAVEPOINT ${name}`);
    this.#depth++;
    let result: T;
    try {
      result = settled(fn(...args));
    } catch (e) {
      this.pg.exec(`ROLLBACK TO SAVEPOINT ${name}; RELEASE SAVEPOINT ${name}`);
      throw e;
    } finally {
      this.#depth--;
    }
    this.pg.exec(`RELEASE SAVEPOINT ${name}`);
    return result;
  }
}

/** A transaction commits when its function returns; a promise would escape it. */
function settled<T>(result: T): T {
  if (typeof (result as { then?: unknown } | null)?.then === 'function') throw new TypeError('Transaction function cannot return a promise');
  return result;
}

/**
 * The built-in `node:sqlite` driver behind the {@link Db} interface of ./driver.ts, for
 * runtimes where the better-sqlite3 addon does not load (it is built for one Node ABI).
 *
 * What it adapts: row objects with a null prototype become plain objects; `raw()` and
 * `pluck()` (which `node:sqlite` lacks) use `setReturnArrays` where the runtime has it;
 * `transaction()` is built from BEGIN/SAVEPOINT as better-sqlite3 does it (and refuses an
 * async function as it does); `pragma()` is a
 * PRAGMA statement; `changes` is a number. Errors keep their `node:sqlite` shape
 * (`code: 'ERR_SQLITE_ERROR'`, numeric `errcode`) and are mapped by ./driver.ts with
 * {@link sqliteCodeName}. BLOBs come back as Uint8Array, which the stores accept as is.
 * The module itself is passed in, so nothing here loads it.
 * @module
 */
import type { DatabaseSync, SQLInputValue, StatementSync } from 'node:sqlite';
import type { Db, RunResult, Statement, Transaction } from './driver.js';

export interface NodeSqliteModule {
  readonly DatabaseSync: typeof DatabaseSync;
}

const OBJECTS = 0;
const ARRAYS = 1;
const FIRST_COLUMN = 2;
type Mode = typeof OBJECTS | typeof ARRAYS | typeof FIRST_COLUMN;

type Row = Record<string, unknown>;

class NodeStatement<P extends unknown[], R> implements Statement<P, R> {
  readonly #stmt: StatementSync;
  /** False before Node 22.16 / 24: rows are then objects and converted here. */
  readonly #arrays: boolean;
  #mode: Mode = OBJECTS;

  constructor(stmt: StatementSync) {
    this.#stmt = stmt;
    this.#arrays = typeof stmt.setReturnArrays === 'function';
  }

  raw(toggle = true): this {
    return this.#setMode(toggle ? ARRAYS : OBJECTS);
  }

  pluck(toggle = true): this {
    return this.#setMode(toggle ? FIRST_COLUMN : OBJECTS);
  }

  run(...params: P): RunResult {
    const r = this.#stmt.run(...(params as unknown as SQLInputValue[]));
    return { changes: Number(r.changes), lastInsertRowid: r.lastInsertRowid };
  }

  get(...params: P): R | undefined {
    const row = this.#stmt.get(...(params as unknown as SQLInputValue[])) as unknown;
    return row === undefined ? undefined : this.#convert(row);
  }

  all(...params: P): R[] {
    const rows = this.#stmt.all(...(params as unknown as SQLInputValue[])) as unknown[];
    if (this.#mode === ARRAYS && this.#arrays) return rows as R[];
    return rows.map((row) => this.#convert(row));
  }

  *iterate(...params: P): IterableIterator<R> {
    for (const row of this.#stmt.iterate(...(params as unknown as SQLInputValue[])) as Iterable<unknown>) yield this.#convert(row);
  }

  #setMode(mode: Mode): this {
    this.#mode = mode;
    if (this.#arrays) this.#stmt.setReturnArrays(mode !== OBJECTS);
    return this;
  }

  #convert(row: unknown): R {
    switch (this.#mode) {
      case OBJECTS:
        return { ...(row as Row) } as R;
      case ARRAYS:
        return (this.#arrays ? row : Object.values(row as Row)) as R;
      case FIRST_COLUMN:
        return (this.#arrays ? (row as unknown[])[0] : Object.values(row as Row)[0]) as R;
    }
  }
}

export class NodeSqliteDb implements Db {
  readonly #db: DatabaseSync;
  readonly readonly: boolean;
  #open = true;
  /** Transactions opened by `transaction()`; used where the runtime lacks `isTransaction`. */
  #depth = 0;

  constructor(mod: NodeSqliteModule, file: string, readonly: boolean) {
    this.#db = new mod.DatabaseSync(file, { readOnly: readonly });
    this.readonly = readonly;
  }

  get open(): boolean {
    return this.#open;
  }

  get inTransaction(): boolean {
    const isTransaction = (this.#db as { isTransaction?: boolean }).isTransaction;
    return isTransaction ?? this.#depth > 0;
  }

  prepare<P extends unknown[] = unknown[], R = unknown>(source: string): Statement<P, R> {
    return new NodeStatement<P, R>(this.#db.prepare(source));
  }

  exec(source: string): this {
    this.#db.exec(source);
    return this;
  }

  pragma(source: string, options: { simple?: boolean } = {}): unknown {
    const stmt = this.prepare(`PRAGMA ${source}`);
    return options.simple === true ? stmt.pluck().get() : stmt.all();
  }

  transaction<A extends unknown[], T>(fn: (...args: A) => T): Transaction<A, T> {
    const wrap =
      (mode: string) =>
      (...args: A): T =>
        this.inTransaction ? this.#savepoint(fn, args) : this.#begin(mode, fn, args);
    return Object.assign(wrap('DEFERRED'), { deferred: wrap('DEFERRED'), immediate: wrap('IMMEDIATE'), exclusive: wrap('EXCLUSIVE') });
  }

  close(): this {
    if (this.#open) {
      this.#open = false;
      this.#db.close();
    }
    return this;
  }

  #begin<A extends unknown[], T>(mode: string, fn: (...args: A) => T, args: A): T {
    this.#db.exec(`BEGIN ${mode}`);
    this.#depth++;
    try {
      const result = settled(fn(...args));
      this.#db.exec('COMMIT');
      return result;
    } catch (e) {
      // A failed COMMIT (SQLITE_BUSY) leaves the transaction open: roll it back too.
      if (this.inTransaction) this.#db.exec('ROLLBACK');
      throw e;
    } finally {
      this.#depth--;
    }
  }

  #savepoint<A extends unknown[], T>(fn: (...args: A) => T, args: A): T {
    this.#db.exec('SAVEPOINT ov_nested');
    let result: T;
    try {
      result = settled(fn(...args));
    } catch (e) {
      this.#db.exec('ROLLBACK TO ov_nested');
      this.#db.exec('RELEASE ov_nested');
      throw e;
    }
    this.#db.exec('RELEASE ov_nested');
    return result;
  }
}

/**
 * A transaction commits when its function returns; a promise would let the rest of an async
 * function run outside it. Refused as better-sqlite3 refuses it, so the writes roll back.
 */
function settled<T>(result: T): T {
  if (typeof (result as { then?: unknown } | null)?.then === 'function') throw new TypeError('Transaction function cannot return a promise');
  return result;
}

/** Primary result codes, by number (https://sqlite.org/rescode.html). */
const PRIMARY: readonly string[] = [
  'OK', 'ERROR', 'INTERNAL', 'PERM', 'ABORT', 'BUSY', 'LOCKED', 'NOMEM', 'READONLY', 'INTERRUPT', 'IOERR', 'CORRUPT',
  'NOTFOUND', 'FULL', 'CANTOPEN', 'PROTOCOL', 'EMPTY', 'SCHEMA', 'TOOBIG', 'CONSTRAINT', 'MISMATCH', 'MISUSE', 'NOLFS',
  'AUTH', 'FORMAT', 'RANGE', 'NOTADB', 'NOTICE', 'WARNING',
];

/** The extended codes the stores can meet, by number; others fall back to the primary name. */
const EXTENDED: ReadonlyMap<number, string> = new Map([
  [275, 'CONSTRAINT_CHECK'], [531, 'CONSTRAINT_COMMITHOOK'], [787, 'CONSTRAINT_FOREIGNKEY'], [1043, 'CONSTRAINT_FUNCTION'],
  [1299, 'CONSTRAINT_NOTNULL'], [1555, 'CONSTRAINT_PRIMARYKEY'], [1811, 'CONSTRAINT_TRIGGER'], [2067, 'CONSTRAINT_UNIQUE'],
  [2323, 'CONSTRAINT_VTAB'], [2579, 'CONSTRAINT_ROWID'], [2835, 'CONSTRAINT_PINNED'], [3091, 'CONSTRAINT_DATATYPE'],
  [267, 'CORRUPT_VTAB'], [523, 'CORRUPT_SEQUENCE'], [779, 'CORRUPT_INDEX'],
  [261, 'BUSY_RECOVERY'], [517, 'BUSY_SNAPSHOT'], [773, 'BUSY_TIMEOUT'],
  [264, 'READONLY_RECOVERY'], [520, 'READONLY_CANTLOCK'], [776, 'READONLY_ROLLBACK'], [1032, 'READONLY_DBMOVED'],
  [1288, 'READONLY_CANTINIT'], [1544, 'READONLY_DIRECTORY'],
]);

/** The name better-sqlite3 would give a result code: 2067 -> `SQLITE_CONSTRAINT_UNIQUE`. */
export function sqliteCodeName(errcode: number): string {
  const name = EXTENDED.get(errcode) ?? PRIMARY[errcode & 0xff];
  return name === undefined ? `SQLITE_${errcode}` : `SQLITE_${name}`;
}

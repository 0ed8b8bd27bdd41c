/**
 * What the in-memory stores need to behave like the SQL schema: the column checks a STRICT
 * table with CHECK constraints applies (each failure an `OV_STORAGE_CONSTRAINT` naming the
 * table), SQLite's text and blob ordering, and copies, so a caller holding a record can
 * never change a stored row.
 * @module
 */
import { VaultError } from '../../errors.js';

/** Which rule refused a write (the counterpart of SQLite's extended constraint codes). */
export type ConstraintKind = 'primary_key' | 'unique' | 'foreign_key' | 'check' | 'datatype' | 'not_null' | 'append_only';

export function constraint(table: string, kind: ConstraintKind, column?: string): VaultError {
  return new VaultError('OV_STORAGE_CONSTRAINT', { table, constraint: kind, ...(column === undefined ? {} : { column }) });
}

/**
 * Column checks for one table: each throws `OV_STORAGE_CONSTRAINT` unless the value is of
 * the column's type (and range), and returns it.
 */
export class Columns {
  readonly #table: string;

  constructor(table: string) {
    this.#table = table;
  }

  fail(kind: ConstraintKind, column?: string): VaultError {
    return constraint(this.#table, kind, column);
  }

  /** A value the schema checks with CHECK (...): throws when `ok` is false. */
  require(ok: boolean, column: string): void {
    if (!ok) throw this.fail('check', column);
  }

  text(v: unknown, column: string): string {
    if (typeof v !== 'string') throw this.fail(v === null || v === undefined ? 'not_null' : 'datatype', column);
    return v;
  }

  /** An INTEGER column, optionally with a lower bound. */
  int(v: unknown, column: string, min?: number): number {
    if (typeof v !== 'number') throw this.fail(v === null || v === undefined ? 'not_null' : 'datatype', column);
    if (!Number.isSafeInteger(v)) throw this.fail('datatype', column);
    if (min !== undefined && v < min) throw this.fail('check', column);
    return v;
  }

  intOrNull(v: unknown, column: string): number | null {
    return v === null ? null : this.int(v, column);
  }

  blob(v: unknown, column: string, ...lengths: number[]): Uint8Array {
    if (!(v instanceof Uint8Array)) throw this.fail(v === null || v === undefined ? 'not_null' : 'datatype', column);
    if (lengths.length > 0 && !lengths.includes(v.length)) throw this.fail('check', column);
    return v;
  }

  blobOrNull(v: unknown, column: string): Uint8Array | null {
    return v === null ? null : this.blob(v, column);
  }

  /** A TEXT column with CHECK (json_valid(column)). */
  json(v: unknown, column: string): string {
    const s = this.text(v, column);
    try {
      JSON.parse(s);
    } catch {
      throw this.fail('check', column);
    }
    return s;
  }

  oneOf<T extends string>(values: readonly T[], v: unknown, column: string): T {
    const s = this.text(v, column);
    if (!(values as readonly string[]).includes(s)) throw this.fail('check', column);
    return s as T;
  }
}

/** Length in characters (code points), as SQL `length()` counts text. */
export function textLength(s: string): number {
  let n = s.length;
  // Each surrogate pair is one character but two UTF-16 units.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/**
 * Orders strings as SQLite's BINARY collation does (UTF-8 bytes, which is code point
 * order). JavaScript's `<` compares UTF-16 units, which differs when a surrogate pair meets
 * a character in U+E000..U+FFFF; only that case is remapped.
 */
export function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A copy with its own buffer (what a driver hands back for a BLOB). */
export function copyBytes(b: Uint8Array): Uint8Array {
  return b.slice();
}

export function copyOrNull(b: Uint8Array | null): Uint8Array | null {
  return b === null ? null : b.slice();
}

/** First index in the sorted `a` whose key is not below `key` (`strict`: above `key`). */
export function lowerBound<T, K>(a: readonly T[], key: K, cmp: (item: T, key: K) => number, strict = false): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = cmp(a[mid] as T, key);
    if (c < 0 || (strict && c === 0)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `OV_INVALID_ARGUMENT` unless `limit` is a positive safe integer (a page size). */
export function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'limit' });
}

/**
 * In-memory {@link SessionPersistence}: what `vault server --dev` can use instead of SQLite,
 * what unit tests of the SessionStore run against, and the sessions of the in-memory
 * `Storage`. Same contract as the SQLite store (unique id and digest, 32-byte digest, a
 * known role, expiresAt >= issuedAt, `OV_STORAGE_CONSTRAINT` otherwise, expiry at
 * `expiresAt <= now`); the role and the API key foreign key only inside a `Storage`.
 *
 * The digest index keys on the digest's 32 bytes as a one-byte-per-char string, which V8
 * stores compactly; the rows hold only that string. Records handed in and out are copies.
 *
 * Row keys for `loadPage` are a counter that only grows (like a rowid, but never reused),
 * and the rows are also kept in an array in key order, so a page is a binary search plus
 * `limit` steps. Deleted rows are only flagged in that array and squeezed out once they
 * outnumber the live ones (amortised O(1) per delete), never inside a transaction, whose
 * rollback puts them back in place.
 * @module
 */
import { VaultError } from '../../errors.js';
import { ROLES, type SessionPage, type SessionPersistence, type SessionRecord } from '../types.js';
import { MemoryDb } from './db.js';
import { Columns, lowerBound } from './values.js';

const col = new Columns('sessions');

class Row {
  readonly id: string;
  /** The digest bytes as a latin1 string: the unique index's key. */
  readonly digest: string;
  readonly apiKeyId: string;
  readonly role: SessionRecord['role'];
  readonly scope: string;
  readonly label: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** Row key for loadPage (positive, increasing in insertion order). */
  readonly key: number;
  /** Deleted, but still in the key-ordered array until the next compaction. */
  dead = false;

  constructor(r: SessionRecord, digest: string, key: number, checkRole: boolean) {
    this.key = key;
    this.digest = digest;
    this.id = col.text(r.id, 'id');
    this.apiKeyId = col.text(r.apiKeyId, 'api_key_id');
    this.role = checkRole ? col.oneOf(ROLES, r.role, 'role') : (col.text(r.role, 'role') as SessionRecord['role']);
    this.scope = col.text(r.scope, 'scope');
    this.label = col.text(r.label, 'label');
    this.issuedAt = col.int(r.issuedAt, 'issued_at');
    this.expiresAt = col.int(r.expiresAt, 'expires_at');
    col.require(this.expiresAt >= this.issuedAt, 'expires_at');
  }
}

function digestKey(d: Uint8Array): string {
  let s = '';
  for (const b of d) s += String.fromCharCode(b);
  return s;
}

function digestBytes(s: string): Uint8Array {
  const d = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) d[i] = s.charCodeAt(i);
  return d;
}

/** Which API keys exist, for the foreign key. */
export interface ApiKeyLookup {
  has(id: string): boolean;
}

export class MemorySessionPersistence implements SessionPersistence {
  readonly #db: MemoryDb;
  readonly #apiKeys: ApiKeyLookup | undefined;
  readonly #rows = new Map<string, Row>();
  readonly #digests = new Map<string, Row>();
  readonly #byKey = new Map<string, Set<Row>>();
  /** Every row in key order, deleted ones included until compaction. */
  #ordered: Row[] = [];
  #deadInOrdered = 0;
  #nextKey = 1;

  /**
   * Standalone (no arguments): no transactions and no API key table, so any `apiKeyId` is
   * accepted, and so is any role string: the SessionStore's tests plant there the rows a
   * damaged file could hold. Inside the in-memory `Storage` (its transaction state and its
   * API keys), both are checked like the SQL schema does.
   */
  constructor(db: MemoryDb = new MemoryDb(), apiKeys?: ApiKeyLookup) {
    this.#db = db;
    this.#apiKeys = apiKeys;
  }

  insert(r: SessionRecord): void {
    this.#db.check();
    const digest = digestKey(col.blob(r.digest, 'digest', 32));
    const row = new Row(r, digest, this.#nextKey, this.#apiKeys !== undefined);
    if (this.#rows.has(row.id)) throw col.fail('primary_key', 'id');
    if (this.#digests.has(digest)) throw col.fail('unique', 'digest');
    if (this.#apiKeys !== undefined && !this.#apiKeys.has(row.apiKeyId)) throw col.fail('foreign_key', 'api_key_id');
    this.#nextKey++;
    this.#ordered.push(row);
    this.#link(row);
    this.#db.undo(() => this.#unlink(row));
  }

  delete(id: string): boolean {
    this.#db.check();
    const row = this.#rows.get(id);
    if (row === undefined) return false;
    this.#remove(row);
    return true;
  }

  deleteByApiKey(apiKeyId: string): number {
    this.#db.check();
    const rows = this.#byKey.get(apiKeyId);
    if (rows === undefined) return 0;
    const victims = [...rows];
    for (const row of victims) this.#remove(row);
    return victims.length;
  }

  deleteExpired(now: number): number {
    this.#db.check();
    let n = 0;
    for (const row of this.#rows.values()) {
      // Deleting the current entry while iterating a Map is well defined in JavaScript.
      if (row.expiresAt <= now) {
        this.#remove(row);
        n++;
      }
    }
    return n;
  }

  *loadAll(): Generator<SessionRecord, void, undefined> {
    this.#db.check();
    for (const row of this.#rows.values()) yield record(row);
  }

  loadPage(afterKey: number, limit: number): SessionPage {
    this.#db.check();
    if (!Number.isSafeInteger(afterKey) || !Number.isSafeInteger(limit) || limit < 1) {
      throw new VaultError('OV_INVALID_ARGUMENT', { field: 'loadPage' });
    }
    const a = this.#ordered;
    const records: SessionRecord[] = [];
    let lastKey = afterKey;
    for (let i = lowerBound(a, afterKey, (r, k) => r.key - k, true); i < a.length && records.length < limit; i++) {
      const row = a[i] as Row;
      if (row.dead) continue;
      records.push(record(row));
      lastKey = row.key;
    }
    return { records, lastKey };
  }

  count(): number {
    this.#db.check();
    return this.#rows.size;
  }

  getByDigest(digest: Uint8Array): SessionRecord | undefined {
    this.#db.check();
    if (!(digest instanceof Uint8Array) || digest.length !== 32) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'digest' });
    const row = this.#digests.get(digestKey(digest));
    return row === undefined ? undefined : record(row);
  }

  getById(id: string): SessionRecord | undefined {
    this.#db.check();
    const row = this.#rows.get(id);
    return row === undefined ? undefined : record(row);
  }

  #link(row: Row): void {
    this.#rows.set(row.id, row);
    this.#digests.set(row.digest, row);
    let rows = this.#byKey.get(row.apiKeyId);
    if (rows === undefined) this.#byKey.set(row.apiKeyId, (rows = new Set()));
    rows.add(row);
  }

  /** Takes a row out of the indexes; it stays in #ordered, flagged, until compaction. */
  #unlink(row: Row): void {
    this.#rows.delete(row.id);
    this.#digests.delete(row.digest);
    const rows = this.#byKey.get(row.apiKeyId);
    if (rows !== undefined) {
      rows.delete(row);
      if (rows.size === 0) this.#byKey.delete(row.apiKeyId);
    }
    row.dead = true;
    this.#deadInOrdered++;
  }

  #remove(row: Row): void {
    this.#unlink(row);
    this.#db.undo(() => {
      row.dead = false;
      this.#deadInOrdered--;
      this.#link(row);
    });
    if (!this.#db.inTransaction && this.#deadInOrdered > 1024 && this.#deadInOrdered > this.#rows.size) {
      this.#ordered = this.#ordered.filter((r) => !r.dead);
      this.#deadInOrdered = 0;
    }
  }
}

function record(row: Row): SessionRecord {
  return {
    id: row.id,
    digest: digestBytes(row.digest),
    apiKeyId: row.apiKeyId,
    role: row.role,
    scope: row.scope,
    label: row.label,
    issuedAt: row.issuedAt,
    expiresAt: row.expiresAt,
  };
}

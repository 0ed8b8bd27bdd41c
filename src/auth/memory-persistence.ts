/**
 * A complete in-memory SessionPersistence (src/storage/types.ts): what `vault server
 * --dev` can use instead of SQLite, and what unit tests of the SessionStore run
 * against. It enforces the same contract as the SQLite store (unique id and digest,
 * 32-byte digest, expiresAt >= issuedAt, `OV_STORAGE_CONSTRAINT` otherwise, expiry at
 * `expiresAt <= now`) but loses everything when the process exits.
 *
 * Digests live only in a DigestTable (the unique index), not in the rows: a million
 * typed arrays or base64 strings would cost more than the rest of a row. Records handed
 * in and out are copies, so callers cannot alter stored rows.
 *
 * Row keys for `loadPage` are a counter that only grows (like a rowid, but never reused),
 * and the rows are also kept in an array in key order, so a page is a binary search plus
 * `limit` steps. Deleted rows are only flagged in that array and squeezed out once they
 * outnumber the live ones (amortised O(1) per delete).
 * @module
 */
import { VaultError } from '../errors.js';
import type { SessionPage, SessionPersistence, SessionRecord } from '../storage/types.js';
import { DigestTable, type SlotAccess } from './digest-table.js';

class Row {
  readonly id: string;
  readonly apiKeyId: string;
  readonly role: SessionRecord['role'];
  readonly scope: string;
  readonly label: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  /** Row key for loadPage (positive, increasing in insertion order). */
  readonly key: number;
  /** Position in the digest table. */
  slot = -1;
  /** Deleted, but still in the key-ordered array until the next compaction. */
  dead = false;

  constructor(r: SessionRecord, key: number) {
    this.key = key;
    this.id = r.id;
    this.apiKeyId = r.apiKeyId;
    this.role = r.role;
    this.scope = r.scope;
    this.label = r.label;
    this.issuedAt = r.issuedAt;
    this.expiresAt = r.expiresAt;
  }
}

const slots: SlotAccess<Row> = {
  get: (r) => r.slot,
  set: (r, slot) => {
    r.slot = slot;
  },
};

function constraint(): VaultError {
  return new VaultError('OV_STORAGE_CONSTRAINT', { table: 'sessions' });
}

export class MemorySessionPersistence implements SessionPersistence {
  readonly #rows = new Map<string, Row>();
  readonly #digests = new DigestTable<Row>(slots);
  readonly #byKey = new Map<string, Set<string>>();
  /** Every row in key order, deleted ones included until compaction. */
  #ordered: Row[] = [];
  #deadInOrdered = 0;
  #nextKey = 1;

  insert(r: SessionRecord): void {
    if (
      !(r.digest instanceof Uint8Array) ||
      r.digest.length !== 32 ||
      !Number.isSafeInteger(r.issuedAt) ||
      !Number.isSafeInteger(r.expiresAt) ||
      r.expiresAt < r.issuedAt
    ) {
      throw constraint();
    }
    if (this.#rows.has(r.id) || this.#digests.has(r.digest)) throw constraint();
    const row = new Row(r, this.#nextKey++);
    this.#rows.set(row.id, row);
    this.#ordered.push(row);
    this.#digests.insert(r.digest, row);
    let ids = this.#byKey.get(row.apiKeyId);
    if (ids === undefined) this.#byKey.set(row.apiKeyId, (ids = new Set()));
    ids.add(row.id);
  }

  delete(id: string): boolean {
    const row = this.#rows.get(id);
    if (row === undefined) return false;
    this.#remove(row);
    return true;
  }

  deleteByApiKey(apiKeyId: string): number {
    const ids = this.#byKey.get(apiKeyId);
    if (ids === undefined) return 0;
    let n = 0;
    for (const id of [...ids]) if (this.delete(id)) n++;
    return n;
  }

  deleteExpired(now: number): number {
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

  *loadAll(): Iterable<SessionRecord> {
    for (const row of this.#rows.values()) yield this.#record(row);
  }

  loadPage(afterKey: number, limit: number): SessionPage {
    if (!Number.isSafeInteger(afterKey) || !Number.isSafeInteger(limit) || limit < 1) {
      throw new VaultError('OV_INVALID_ARGUMENT', { field: 'loadPage' });
    }
    const a = this.#ordered;
    // First index whose key is above afterKey.
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((a[mid] as Row).key <= afterKey) lo = mid + 1;
      else hi = mid;
    }
    const records: SessionRecord[] = [];
    let lastKey = afterKey;
    for (let i = lo; i < a.length && records.length < limit; i++) {
      const row = a[i] as Row;
      if (row.dead) continue;
      records.push(this.#record(row));
      lastKey = row.key;
    }
    return { records, lastKey };
  }

  count(): number {
    return this.#rows.size;
  }

  #record(row: Row): SessionRecord {
    return {
      id: row.id,
      digest: this.#digests.digestOf(row),
      apiKeyId: row.apiKeyId,
      role: row.role,
      scope: row.scope,
      label: row.label,
      issuedAt: row.issuedAt,
      expiresAt: row.expiresAt,
    };
  }

  #remove(row: Row): void {
    this.#rows.delete(row.id);
    row.dead = true;
    if (++this.#deadInOrdered > 1024 && this.#deadInOrdered > this.#rows.size) {
      this.#ordered = this.#ordered.filter((r) => !r.dead);
      this.#deadInOrdered = 0;
    }
    this.#digests.delete(row);
    const ids = this.#byKey.get(row.apiKeyId);
    if (ids !== undefined) {
      ids.delete(row.id);
      if (ids.size === 0) this.#byKey.delete(row.apiKeyId);
    }
  }
}

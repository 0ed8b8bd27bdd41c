/**
 * In-memory {@link ApiKeyStore}. Deleting a key deletes its sessions, as the SQL schema's
 * ON DELETE CASCADE does.
 * @module
 */
import { ROLES, type ApiKeyRecord, type ApiKeyStore } from '../types.js';
import type { MemoryDb } from './db.js';
import { Columns, compareText } from './values.js';

const col = new Columns('api_keys');

function checked(r: ApiKeyRecord): ApiKeyRecord {
  return {
    id: col.text(r.id, 'id'),
    hash: col.text(r.hash, 'hash'),
    role: col.oneOf(ROLES, r.role, 'role'),
    scope: col.text(r.scope, 'scope'),
    label: col.text(r.label, 'label'),
    createdAt: col.int(r.createdAt, 'created_at'),
    rotatedAt: col.intOrNull(r.rotatedAt, 'rotated_at'),
  };
}

export class MemoryApiKeyStore implements ApiKeyStore {
  readonly #db: MemoryDb;
  readonly #rows = new Map<string, ApiKeyRecord>();
  readonly #onDelete: (id: string) => void;

  /** `onDelete` removes whatever references the key (its sessions). */
  constructor(db: MemoryDb, onDelete: (id: string) => void) {
    this.#db = db;
    this.#onDelete = onDelete;
  }

  /** Whether the key exists (the sessions' foreign key). */
  has(id: string): boolean {
    return this.#rows.has(id);
  }

  insert(r: ApiKeyRecord): void {
    this.#db.check();
    const row = checked(r);
    if (this.#rows.has(row.id)) throw col.fail('primary_key', 'id');
    this.#set(row.id, row);
  }

  get(id: string): ApiKeyRecord | undefined {
    this.#db.check();
    const row = this.#rows.get(id);
    return row === undefined ? undefined : { ...row };
  }

  list(): ApiKeyRecord[] {
    this.#db.check();
    return [...this.#rows.values()].sort((a, b) => a.createdAt - b.createdAt || compareText(a.id, b.id)).map((r) => ({ ...r }));
  }

  updateHash(id: string, hash: string, rotatedAt: number): boolean {
    this.#db.check();
    const row = this.#rows.get(id);
    if (row === undefined) return false;
    this.#set(id, { ...row, hash: col.text(hash, 'hash'), rotatedAt: col.int(rotatedAt, 'rotated_at') });
    return true;
  }

  delete(id: string): boolean {
    this.#db.check();
    if (!this.#rows.has(id)) return false;
    this.#onDelete(id);
    this.#set(id, undefined);
    return true;
  }

  #set(id: string, row: ApiKeyRecord | undefined): void {
    const old = this.#rows.get(id);
    if (row === undefined) this.#rows.delete(id);
    else this.#rows.set(id, row);
    this.#db.undo(() => {
      if (old === undefined) this.#rows.delete(id);
      else this.#rows.set(id, old);
    });
  }
}

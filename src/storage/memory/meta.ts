/**
 * In-memory {@link MetaStore}.
 * @module
 */
import type { MetaStore } from '../types.js';
import type { MemoryDb } from './db.js';
import { Columns, copyBytes } from './values.js';

const col = new Columns('meta');

export class MemoryMetaStore implements MetaStore {
  readonly #db: MemoryDb;
  readonly #rows = new Map<string, Uint8Array>();

  constructor(db: MemoryDb) {
    this.#db = db;
  }

  get(name: string): Uint8Array | undefined {
    this.#db.check();
    const v = this.#rows.get(name);
    return v === undefined ? undefined : copyBytes(v);
  }

  put(name: string, value: Uint8Array): void {
    this.#db.check();
    col.text(name, 'name');
    const stored = copyBytes(col.blob(value, 'value'));
    this.#set(name, stored);
  }

  delete(name: string): void {
    this.#db.check();
    this.#set(name, undefined);
  }

  #set(name: string, value: Uint8Array | undefined): void {
    const old = this.#rows.get(name);
    if (value === undefined) this.#rows.delete(name);
    else this.#rows.set(name, value);
    this.#db.undo(() => {
      if (old === undefined) this.#rows.delete(name);
      else this.#rows.set(name, old);
    });
  }
}

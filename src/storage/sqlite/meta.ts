/**
 * SQLite {@link MetaStore}: the `meta` table, one BLOB per name.
 * @module
 */
import type { MetaStore } from '../types.js';
import { bytes, guard, type Db, type Statement } from './driver.js';

export class SqliteMetaStore implements MetaStore {
  readonly #get: Statement<[string], Uint8Array>;
  readonly #put: Statement<[string, Uint8Array]>;
  readonly #delete: Statement<[string]>;

  constructor(db: Db) {
    this.#get = db.prepare<[string], Uint8Array>('SELECT value FROM meta WHERE name = ?').pluck();
    this.#put = db.prepare<[string, Uint8Array]>(
      'INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value',
    );
    this.#delete = db.prepare<[string]>('DELETE FROM meta WHERE name = ?');
  }

  get(name: string): Uint8Array | undefined {
    const v = guard(() => this.#get.get(name));
    return v === undefined ? undefined : bytes(v);
  }

  put(name: string, value: Uint8Array): void {
    guard(() => this.#put.run(name, value));
  }

  delete(name: string): void {
    guard(() => this.#delete.run(name));
  }
}

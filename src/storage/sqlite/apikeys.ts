/**
 * SQLite {@link ApiKeyStore}: the `api_keys` table. Deleting a key cascades to its
 * sessions through the schema's foreign key.
 * @module
 */
import { ROLES, type ApiKeyRecord, type ApiKeyStore } from '../types.js';
import { guard, oneOf, type Db, type Statement } from './driver.js';

interface ApiKeyRow {
  id: string;
  hash: string;
  role: string;
  scope: string;
  label: string;
  created_at: number;
  rotated_at: number | null;
}

const API_KEY_COLUMNS = 'id, hash, role, scope, label, created_at, rotated_at';

function toApiKey(r: ApiKeyRow): ApiKeyRecord {
  return {
    id: r.id,
    hash: r.hash,
    role: oneOf(ROLES, r.role, 'api_keys', 'role'),
    scope: r.scope,
    label: r.label,
    createdAt: r.created_at,
    rotatedAt: r.rotated_at,
  };
}

export class SqliteApiKeyStore implements ApiKeyStore {
  readonly #insert: Statement<[string, string, string, string, string, number, number | null]>;
  readonly #get: Statement<[string], ApiKeyRow>;
  readonly #list: Statement<[], ApiKeyRow>;
  readonly #updateHash: Statement<[string, number, string]>;
  readonly #delete: Statement<[string]>;

  constructor(db: Db) {
    this.#insert = db.prepare(`INSERT INTO api_keys (${API_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.#get = db.prepare(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = ?`);
    this.#list = db.prepare(`SELECT ${API_KEY_COLUMNS} FROM api_keys ORDER BY created_at, id`);
    this.#updateHash = db.prepare('UPDATE api_keys SET hash = ?, rotated_at = ? WHERE id = ?');
    this.#delete = db.prepare('DELETE FROM api_keys WHERE id = ?');
  }

  insert(r: ApiKeyRecord): void {
    guard(() => this.#insert.run(r.id, r.hash, r.role, r.scope, r.label, r.createdAt, r.rotatedAt));
  }

  get(id: string): ApiKeyRecord | undefined {
    const row = guard(() => this.#get.get(id));
    return row === undefined ? undefined : toApiKey(row);
  }

  list(): ApiKeyRecord[] {
    return guard(() => this.#list.all()).map(toApiKey);
  }

  updateHash(id: string, hash: string, rotatedAt: number): boolean {
    return guard(() => this.#updateHash.run(hash, rotatedAt, id)).changes > 0;
  }

  delete(id: string): boolean {
    return guard(() => this.#delete.run(id)).changes > 0;
  }
}

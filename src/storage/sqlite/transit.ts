/**
 * SQLite {@link TransitStore}: the `transit_keys` and `transit_key_versions` tables.
 * @module
 */
import type { TransitCursor, TransitKeyRecord, TransitStore, TransitVersionRecord } from '../transit-types.js';
import { bytes, checkLimit, guard, type Db, type Statement } from './driver.js';

/** A transit_keys row in KEY_COLUMNS order. */
type KeyTuple = [string, string, number, number, number, number, number, number, number, number];
/** A transit_key_versions row in VERSION_COLUMNS order. */
type VersionTuple = [string, number, Buffer | null, Buffer, number, number];
type KeyParams = [string, string, number, number, number, number, number, number, number, number];
type UpdateParams = [string, number, number, number, number, number, number, number, number];

const KEY_COLUMNS =
  'name, type, latest_version, min_decryption_version, min_encryption_version, deletion_allowed, exportable, allow_plaintext_backup, created_at, updated_at';
const VERSION_COLUMNS = 'name, version, public_key, envelope, kem_version, created_at';

function toKey([name, type, latest, minDec, minEnc, del, exp, backup, createdAt, updatedAt]: KeyTuple): TransitKeyRecord {
  return {
    name,
    type,
    latestVersion: latest,
    minDecryptionVersion: minDec,
    minEncryptionVersion: minEnc,
    deletionAllowed: del === 1,
    exportable: exp === 1,
    allowPlaintextBackup: backup === 1,
    createdAt,
    updatedAt,
  };
}

function toVersion([name, version, publicKey, envelope, kemVersion, createdAt]: VersionTuple): TransitVersionRecord {
  return { name, version, publicKey: publicKey === null ? null : bytes(publicKey), envelope: bytes(envelope), kemVersion, createdAt };
}

function keyParams(r: TransitKeyRecord): KeyParams {
  return [
    r.name,
    r.type,
    r.latestVersion,
    r.minDecryptionVersion,
    r.minEncryptionVersion,
    r.deletionAllowed ? 1 : 0,
    r.exportable ? 1 : 0,
    r.allowPlaintextBackup ? 1 : 0,
    r.createdAt,
    r.updatedAt,
  ];
}

export class SqliteTransitStore implements TransitStore {
  readonly #getKey: Statement<[string], KeyTuple>;
  readonly #listKeys: Statement<[], [string]>;
  readonly #insertKey: Statement<KeyParams>;
  readonly #updateKey: Statement<[...UpdateParams, string]>;
  readonly #deleteKey: Statement<[string]>;
  readonly #insertVersion: Statement<[string, number, Uint8Array | null, Uint8Array, number, number]>;
  readonly #getVersion: Statement<[string, number], VersionTuple>;
  readonly #listVersions: Statement<[string], VersionTuple>;
  readonly #deleteBelow: Statement<[string, number]>;
  readonly #replace: Statement<[Uint8Array, number, string, number, Uint8Array]>;
  readonly #staleFirst: Statement<[number, number], VersionTuple>;
  readonly #staleAfter: Statement<[number, string, number, number], VersionTuple>;
  readonly #countStale: Statement<[number], [number]>;

  constructor(db: Db) {
    this.#getKey = db.prepare<[string], KeyTuple>(`SELECT ${KEY_COLUMNS} FROM transit_keys WHERE name = ?`).raw();
    this.#listKeys = db.prepare<[], [string]>('SELECT name FROM transit_keys ORDER BY name').raw();
    this.#insertKey = db.prepare(`INSERT INTO transit_keys (${KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    // Parameters in KEY_COLUMNS order after the first, then the name that selects the row.
    this.#updateKey = db.prepare(
      `UPDATE transit_keys SET type = ?, latest_version = ?, min_decryption_version = ?, min_encryption_version = ?,
         deletion_allowed = ?, exportable = ?, allow_plaintext_backup = ?, created_at = ?, updated_at = ?
       WHERE name = ?`,
    );
    this.#deleteKey = db.prepare('DELETE FROM transit_keys WHERE name = ?');
    this.#insertVersion = db.prepare(`INSERT INTO transit_key_versions (${VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`);
    this.#getVersion = db
      .prepare<[string, number], VersionTuple>(`SELECT ${VERSION_COLUMNS} FROM transit_key_versions WHERE name = ? AND version = ?`)
      .raw();
    this.#listVersions = db
      .prepare<[string], VersionTuple>(`SELECT ${VERSION_COLUMNS} FROM transit_key_versions WHERE name = ? ORDER BY version`)
      .raw();
    this.#deleteBelow = db.prepare('DELETE FROM transit_key_versions WHERE name = ? AND version < ?');
    this.#replace = db.prepare(
      'UPDATE transit_key_versions SET envelope = ?, kem_version = ? WHERE name = ? AND version = ? AND envelope = ?',
    );
    this.#staleFirst = db
      .prepare<[number, number], VersionTuple>(
        `SELECT ${VERSION_COLUMNS} FROM transit_key_versions WHERE kem_version < ? ORDER BY name, version LIMIT ?`,
      )
      .raw();
    this.#staleAfter = db
      .prepare<[number, string, number, number], VersionTuple>(
        `SELECT ${VERSION_COLUMNS} FROM transit_key_versions WHERE kem_version < ? AND (name, version) > (?, ?) ORDER BY name, version LIMIT ?`,
      )
      .raw();
    this.#countStale = db.prepare<[number], [number]>('SELECT count(*) FROM transit_key_versions WHERE kem_version < ?').raw();
  }

  getKey(name: string): TransitKeyRecord | undefined {
    const row = guard(() => this.#getKey.get(name));
    return row === undefined ? undefined : toKey(row);
  }

  listKeys(): string[] {
    return guard(() => this.#listKeys.all()).map(([name]) => name);
  }

  insertKey(r: TransitKeyRecord): void {
    guard(() => this.#insertKey.run(...keyParams(r)));
  }

  updateKey(r: TransitKeyRecord): boolean {
    const [name, ...rest] = keyParams(r);
    return guard(() => this.#updateKey.run(...rest, name)).changes === 1;
  }

  deleteKey(name: string): boolean {
    return guard(() => this.#deleteKey.run(name)).changes === 1;
  }

  insertVersion(r: TransitVersionRecord): void {
    guard(() => this.#insertVersion.run(r.name, r.version, r.publicKey, r.envelope, r.kemVersion, r.createdAt));
  }

  getVersion(name: string, version: number): TransitVersionRecord | undefined {
    const row = guard(() => this.#getVersion.get(name, version));
    return row === undefined ? undefined : toVersion(row);
  }

  listVersions(name: string): TransitVersionRecord[] {
    return guard(() => this.#listVersions.all(name)).map(toVersion);
  }

  deleteVersionsBelow(name: string, version: number): number {
    return guard(() => this.#deleteBelow.run(name, version)).changes;
  }

  replaceEnvelope(name: string, version: number, expected: Uint8Array, envelope: Uint8Array, kemVersion: number): boolean {
    return guard(() => this.#replace.run(envelope, kemVersion, name, version, expected)).changes === 1;
  }

  staleVersions(kemVersion: number, after: TransitCursor | undefined, limit: number): TransitVersionRecord[] {
    checkLimit(limit);
    const rows = guard(() =>
      after === undefined ? this.#staleFirst.all(kemVersion, limit) : this.#staleAfter.all(kemVersion, after.name, after.version, limit),
    );
    return rows.map(toVersion);
  }

  countStale(kemVersion: number): number {
    const row = guard(() => this.#countStale.get(kemVersion));
    return row?.[0] ?? 0;
  }
}

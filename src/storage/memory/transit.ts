/**
 * In-memory {@link TransitStore}, with the checks of the SQL schema (./schema-transit.ts).
 * @module
 */
import type { TransitCursor, TransitKeyRecord, TransitStore, TransitVersionRecord } from '../transit-types.js';
import type { MemoryDb } from './db.js';
import { Columns, checkLimit, compareText, copyBytes, copyOrNull, equalBytes, textLength } from './values.js';

const keys = new Columns('transit_keys');
const versions = new Columns('transit_key_versions');

function bool(cols: Columns, v: unknown, column: string): boolean {
  if (typeof v !== 'boolean') throw cols.fail(v === null || v === undefined ? 'not_null' : 'datatype', column);
  return v;
}

function checkKey(r: TransitKeyRecord): TransitKeyRecord {
  const name = keys.text(r.name, 'name');
  keys.require(textLength(name) >= 1 && textLength(name) <= 128, 'name');
  const row: TransitKeyRecord = {
    name,
    type: keys.text(r.type, 'type'),
    latestVersion: keys.int(r.latestVersion, 'latest_version', 1),
    minDecryptionVersion: keys.int(r.minDecryptionVersion, 'min_decryption_version', 1),
    minEncryptionVersion: keys.int(r.minEncryptionVersion, 'min_encryption_version', 0),
    deletionAllowed: bool(keys, r.deletionAllowed, 'deletion_allowed'),
    exportable: bool(keys, r.exportable, 'exportable'),
    allowPlaintextBackup: bool(keys, r.allowPlaintextBackup, 'allow_plaintext_backup'),
    createdAt: keys.int(r.createdAt, 'created_at'),
    updatedAt: keys.int(r.updatedAt, 'updated_at'),
  };
  keys.require(row.minDecryptionVersion <= row.latestVersion, 'min_decryption_version');
  keys.require(row.minEncryptionVersion <= row.latestVersion, 'min_encryption_version');
  return row;
}

function copyVersion(r: TransitVersionRecord): TransitVersionRecord {
  return { ...r, publicKey: copyOrNull(r.publicKey), envelope: copyBytes(r.envelope) };
}

export class MemoryTransitStore implements TransitStore {
  readonly #db: MemoryDb;
  readonly #keys = new Map<string, TransitKeyRecord>();
  /** name -> version -> row. */
  readonly #versions = new Map<string, Map<number, TransitVersionRecord>>();

  constructor(db: MemoryDb) {
    this.#db = db;
  }

  getKey(name: string): TransitKeyRecord | undefined {
    this.#db.check();
    const row = this.#keys.get(name);
    return row === undefined ? undefined : { ...row };
  }

  listKeys(): string[] {
    this.#db.check();
    return [...this.#keys.keys()].sort(compareText);
  }

  insertKey(r: TransitKeyRecord): void {
    this.#db.check();
    const row = checkKey(r);
    if (this.#keys.has(row.name)) throw keys.fail('primary_key');
    this.#keys.set(row.name, row);
    this.#db.undo(() => this.#keys.delete(row.name));
  }

  updateKey(r: TransitKeyRecord): boolean {
    this.#db.check();
    const row = checkKey(r);
    const old = this.#keys.get(row.name);
    if (old === undefined) return false;
    this.#keys.set(row.name, row);
    this.#db.undo(() => this.#keys.set(row.name, old));
    return true;
  }

  deleteKey(name: string): boolean {
    this.#db.check();
    const old = this.#keys.get(name);
    if (old === undefined) return false;
    const oldVersions = this.#versions.get(name);
    this.#keys.delete(name);
    this.#versions.delete(name);
    this.#db.undo(() => {
      this.#keys.set(name, old);
      if (oldVersions !== undefined) this.#versions.set(name, oldVersions);
    });
    return true;
  }

  insertVersion(r: TransitVersionRecord): void {
    this.#db.check();
    const row: TransitVersionRecord = {
      name: versions.text(r.name, 'name'),
      version: versions.int(r.version, 'version', 1),
      publicKey: copyOrNull(versions.blobOrNull(r.publicKey, 'public_key')),
      envelope: copyBytes(versions.blob(r.envelope, 'envelope')),
      kemVersion: versions.int(r.kemVersion, 'kem_version', 1),
      createdAt: versions.int(r.createdAt, 'created_at'),
    };
    if (!this.#keys.has(row.name)) throw versions.fail('foreign_key', 'name');
    const found = this.#versions.get(row.name);
    if (found?.has(row.version) === true) throw versions.fail('primary_key');
    const map = found ?? new Map<number, TransitVersionRecord>();
    this.#versions.set(row.name, map);
    map.set(row.version, row);
    this.#db.undo(() => map.delete(row.version));
  }

  getVersion(name: string, version: number): TransitVersionRecord | undefined {
    this.#db.check();
    const row = this.#versions.get(name)?.get(version);
    return row === undefined ? undefined : copyVersion(row);
  }

  listVersions(name: string): TransitVersionRecord[] {
    this.#db.check();
    const map = this.#versions.get(name);
    if (map === undefined) return [];
    return [...map.keys()].sort((a, b) => a - b).map((v) => copyVersion(map.get(v) as TransitVersionRecord));
  }

  deleteVersionsBelow(name: string, version: number): number {
    this.#db.check();
    const map = this.#versions.get(name);
    if (map === undefined) return 0;
    const gone = [...map.values()].filter((r) => r.version < version);
    for (const r of gone) map.delete(r.version);
    this.#db.undo(() => {
      for (const r of gone) map.set(r.version, r);
    });
    return gone.length;
  }

  replaceEnvelope(name: string, version: number, expected: Uint8Array, envelope: Uint8Array, kemVersion: number): boolean {
    this.#db.check();
    const old = this.#versions.get(name)?.get(version);
    if (old === undefined || !equalBytes(old.envelope, expected)) return false;
    const row: TransitVersionRecord = {
      ...old,
      envelope: copyBytes(versions.blob(envelope, 'envelope')),
      kemVersion: versions.int(kemVersion, 'kem_version', 1),
    };
    const map = this.#versions.get(name) as Map<number, TransitVersionRecord>;
    map.set(version, row);
    this.#db.undo(() => map.set(version, old));
    return true;
  }

  staleVersions(kemVersion: number, after: TransitCursor | undefined, limit: number): TransitVersionRecord[] {
    this.#db.check();
    checkLimit(limit);
    const out: TransitVersionRecord[] = [];
    for (const name of [...this.#versions.keys()].sort(compareText)) {
      if (after !== undefined && compareText(name, after.name) < 0) continue;
      const map = this.#versions.get(name) as Map<number, TransitVersionRecord>;
      for (const v of [...map.keys()].sort((a, b) => a - b)) {
        if (after !== undefined && name === after.name && v <= after.version) continue;
        const r = map.get(v) as TransitVersionRecord;
        if (r.kemVersion >= kemVersion) continue;
        out.push(copyVersion(r));
        if (out.length === limit) return out;
      }
    }
    return out;
  }

  countStale(kemVersion: number): number {
    this.#db.check();
    let n = 0;
    for (const map of this.#versions.values()) for (const r of map.values()) if (r.kemVersion < kemVersion) n++;
    return n;
  }
}

/**
 * In-memory {@link KeyringStore}.
 * @module
 */
import type { KeyringKeyRecord, KeyringPolicyRecord, KeyringStore } from '../types.js';
import type { MemoryDb } from './db.js';
import { Columns, compareText, copyBytes, copyOrNull } from './values.js';

const keys = new Columns('keyring_keys');
const policies = new Columns('keyring_policy');

function copyKey(r: KeyringKeyRecord): KeyringKeyRecord {
  return { ...r, keyId: copyBytes(r.keyId), publicKey: copyOrNull(r.publicKey), wrappedSecret: copyBytes(r.wrappedSecret) };
}

export class MemoryKeyringStore implements KeyringStore {
  readonly #db: MemoryDb;
  /** name -> version -> key. */
  #keys = new Map<string, Map<number, KeyringKeyRecord>>();
  #policies = new Map<string, KeyringPolicyRecord>();

  constructor(db: MemoryDb) {
    this.#db = db;
  }

  insertKey(r: KeyringKeyRecord): void {
    this.#db.check();
    const row: KeyringKeyRecord = {
      name: keys.text(r.name, 'name'),
      version: keys.int(r.version, 'version', 1),
      alg: keys.text(r.alg, 'alg'),
      keyId: copyBytes(keys.blob(r.keyId, 'key_id', 16)),
      publicKey: copyOrNull(keys.blobOrNull(r.publicKey, 'public_key')),
      wrappedSecret: copyBytes(keys.blob(r.wrappedSecret, 'wrapped_secret')),
      createdAt: keys.int(r.createdAt, 'created_at'),
    };
    const found = this.#keys.get(row.name);
    if (found?.has(row.version) === true) throw keys.fail('primary_key');
    if (!this.#policies.has(row.name)) throw keys.fail('foreign_key', 'name');
    const versions = found ?? new Map<number, KeyringKeyRecord>();
    this.#keys.set(row.name, versions);
    versions.set(row.version, row);
    this.#db.undo(() => versions.delete(row.version));
  }

  getKey(name: string, version: number): KeyringKeyRecord | undefined {
    this.#db.check();
    const row = this.#keys.get(name)?.get(version);
    return row === undefined ? undefined : copyKey(row);
  }

  listKeys(): KeyringKeyRecord[] {
    this.#db.check();
    const out: KeyringKeyRecord[] = [];
    for (const name of [...this.#keys.keys()].sort(compareText)) {
      const versions = this.#keys.get(name) as Map<number, KeyringKeyRecord>;
      for (const v of [...versions.keys()].sort((a, b) => a - b)) out.push(copyKey(versions.get(v) as KeyringKeyRecord));
    }
    return out;
  }

  getPolicy(name: string): KeyringPolicyRecord | undefined {
    this.#db.check();
    const row = this.#policies.get(name);
    return row === undefined ? undefined : { ...row };
  }

  listPolicies(): KeyringPolicyRecord[] {
    this.#db.check();
    return [...this.#policies.values()].sort((a, b) => compareText(a.name, b.name)).map((r) => ({ ...r }));
  }

  putPolicy(r: KeyringPolicyRecord): void {
    this.#db.check();
    const row: KeyringPolicyRecord = {
      name: policies.text(r.name, 'name'),
      latestVersion: policies.int(r.latestVersion, 'latest_version', 1),
      minDecryptVersion: policies.int(r.minDecryptVersion, 'min_decrypt_version', 1),
    };
    policies.require(row.minDecryptVersion <= row.latestVersion, 'min_decrypt_version');
    const old = this.#policies.get(row.name);
    this.#policies.set(row.name, row);
    this.#db.undo(() => {
      if (old === undefined) this.#policies.delete(row.name);
      else this.#policies.set(row.name, old);
    });
  }

  clear(): number {
    this.#db.check();
    let n = 0;
    for (const versions of this.#keys.values()) n += versions.size;
    const [oldKeys, oldPolicies] = [this.#keys, this.#policies];
    this.#keys = new Map();
    this.#policies = new Map();
    this.#db.undo(() => {
      this.#keys = oldKeys;
      this.#policies = oldPolicies;
    });
    return n;
  }
}

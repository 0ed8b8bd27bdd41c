/**
 * SQLite {@link KeyringStore}: the `keyring_keys` and `keyring_policy` tables.
 * @module
 */
import type { KeyringKeyRecord, KeyringPolicyRecord, KeyringStore } from '../types.js';
import { bytes, guard, type Db, type Statement } from './driver.js';

/** A keyring_keys row in KEYRING_KEY_COLUMNS order. */
type KeyringKeyTuple = [string, number, string, Uint8Array, Uint8Array | null, Uint8Array, number];
/** A keyring_policy row in KEYRING_POLICY_COLUMNS order. */
type KeyringPolicyTuple = [string, number, number];

const KEYRING_KEY_COLUMNS = 'name, version, alg, key_id, public_key, wrapped_secret, created_at';
const KEYRING_POLICY_COLUMNS = 'name, latest_version, min_decrypt_version';

function toKeyringKey([name, version, alg, keyId, publicKey, wrappedSecret, createdAt]: KeyringKeyTuple): KeyringKeyRecord {
  return {
    name,
    version,
    alg,
    keyId: bytes(keyId),
    publicKey: publicKey === null ? null : bytes(publicKey),
    wrappedSecret: bytes(wrappedSecret),
    createdAt,
  };
}

function toKeyringPolicy([name, latestVersion, minDecryptVersion]: KeyringPolicyTuple): KeyringPolicyRecord {
  return { name, latestVersion, minDecryptVersion };
}

export class SqliteKeyringStore implements KeyringStore {
  readonly #insertKey: Statement<[string, number, string, Uint8Array, Uint8Array | null, Uint8Array, number]>;
  readonly #getKey: Statement<[string, number], KeyringKeyTuple>;
  readonly #listKeys: Statement<[], KeyringKeyTuple>;
  readonly #getPolicy: Statement<[string], KeyringPolicyTuple>;
  readonly #listPolicies: Statement<[], KeyringPolicyTuple>;
  readonly #putPolicy: Statement<[string, number, number]>;
  readonly #clearKeys: Statement<[]>;
  readonly #clearPolicies: Statement<[]>;
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
    this.#insertKey = db.prepare(`INSERT INTO keyring_keys (${KEYRING_KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.#getKey = db.prepare<[string, number], KeyringKeyTuple>(`SELECT ${KEYRING_KEY_COLUMNS} FROM keyring_keys WHERE name = ? AND version = ?`).raw();
    this.#listKeys = db.prepare<[], KeyringKeyTuple>(`SELECT ${KEYRING_KEY_COLUMNS} FROM keyring_keys ORDER BY name, version`).raw();
    this.#getPolicy = db.prepare<[string], KeyringPolicyTuple>(`SELECT ${KEYRING_POLICY_COLUMNS} FROM keyring_policy WHERE name = ?`).raw();
    this.#listPolicies = db.prepare<[], KeyringPolicyTuple>(`SELECT ${KEYRING_POLICY_COLUMNS} FROM keyring_policy ORDER BY name`).raw();
    this.#putPolicy = db.prepare(
      `INSERT INTO keyring_policy (${KEYRING_POLICY_COLUMNS}) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET latest_version = excluded.latest_version, min_decrypt_version = excluded.min_decrypt_version`,
    );
    this.#clearKeys = db.prepare('DELETE FROM keyring_keys');
    this.#clearPolicies = db.prepare('DELETE FROM keyring_policy');
  }

  insertKey(r: KeyringKeyRecord): void {
    guard(() => this.#insertKey.run(r.name, r.version, r.alg, r.keyId, r.publicKey, r.wrappedSecret, r.createdAt));
  }

  getKey(name: string, version: number): KeyringKeyRecord | undefined {
    const row = guard(() => this.#getKey.get(name, version));
    return row === undefined ? undefined : toKeyringKey(row);
  }

  listKeys(): KeyringKeyRecord[] {
    return guard(() => this.#listKeys.all()).map(toKeyringKey);
  }

  getPolicy(name: string): KeyringPolicyRecord | undefined {
    const row = guard(() => this.#getPolicy.get(name));
    return row === undefined ? undefined : toKeyringPolicy(row);
  }

  listPolicies(): KeyringPolicyRecord[] {
    return guard(() => this.#listPolicies.all()).map(toKeyringPolicy);
  }

  putPolicy(r: KeyringPolicyRecord): void {
    guard(() => this.#putPolicy.run(r.name, r.latestVersion, r.minDecryptVersion));
  }

  clear(): number {
    // Keys first: they reference their policy row. One transaction, so a failure keeps both.
    return guard(() =>
      this.#db.transaction(() => {
        const n = this.#clearKeys.run().changes;
        this.#clearPolicies.run();
        return n;
      })(),
    );
  }
}

/**
 * The vault keyring: versioned key pairs and symmetric keys, wrapped under the root key
 * (daemon wave 2 design; rotation model after openbao's `keysutil.Policy`).
 *
 * Keys, by name:
 * - `kem`: X-Wing (the envelope recipient key);
 * - `sign`: ML-DSA-65 (envelope signatures, audit checkpoints);
 * - `sign-falcon`: Falcon-512 round 3, only when set up with Falcon;
 * - `token`: 32-byte HMAC key for session JWTs (HS256);
 * - `audit`: 32-byte HMAC key for sensitive values in audit entries.
 *
 * Rotation only adds versions. Retiring a version means raising the name's minimum
 * decryption version, which can never go down; versions below it stay in storage (their
 * public keys keep verifying old signatures) but are never unwrapped again.
 *
 * At rest, every secret is sealed with AES-256-GCM under a wrapping key derived from the
 * root key with HKDF-SHA256 (RFC 5869, info "ontoref-vault/keyring/v1"); the 12-byte
 * nonce is random and stored in front of the ciphertext; the AAD binds the key name,
 * version, algorithm and key id, so a wrapped secret moved to another row does not open.
 * Public keys and key ids are stored in clear so `vault audit verify` and envelope
 * verification work offline. In memory, unwrapped keys live only in this object; `wipe()`
 * zeroes them (and the wrapping key) when the vault seals.
 * @module
 */
import { aead } from '../crypto/aead.js';
import { concatBytes, constantTimeEqual, randomBytes, utf8, wipe } from '../crypto/bytes.js';
import { hkdfExpand, hkdfExtract, hmac } from '../crypto/kdf.js';
import type { CryptoProvider } from '../crypto/types.js';
import { armor } from '../envelope/armor.js';
import { algByName, checkOptions, type KeyAlg } from '../envelope/format.js';
import { decodeKey, deriveKeyId, encodeKey, generateKey, type PublicKeyInfo, type SecretKeyInfo } from '../envelope/keys.js';
import { VaultError } from '../errors.js';
import type { KeyringKeyRecord, KeyringPolicyRecord, Storage } from '../storage/types.js';
import { toHex as hex } from '../util/bytes.js';

/** Every key name, in listing order. */
export const KEY_NAMES = ['kem', 'sign', 'sign-falcon', 'token', 'audit'] as const;
export type KeyName = (typeof KEY_NAMES)[number];
export type AsymmetricKeyName = 'kem' | 'sign' | 'sign-falcon';
export type SymmetricKeyName = 'token' | 'audit';

/** Public description of one key version; never carries secret material. */
export interface KeyVersionInfo {
  name: KeyName;
  version: number;
  alg: string;
  /** 16 bytes, hex. */
  keyId: string;
  /** Armored `ONTOREF PUBLIC KEY`; absent for the symmetric keys. */
  publicKey?: string;
  createdAt: number;
}

export interface KeyPolicy {
  name: KeyName;
  /** Algorithm of the latest version (what a rotation generates). */
  alg: string;
  latestVersion: number;
  minDecryptVersion: number;
  /** Every version, oldest first, including retired ones. */
  versions: KeyVersionInfo[];
}

export interface CreateKeyringOptions {
  /** Also create `sign-falcon` (Falcon-512 round 3). */
  falcon?: boolean;
  /** Creation time, ms since the epoch. */
  now: number;
}

/** Algorithm for the symmetric keys: 32 random bytes used as an HMAC-SHA256 key. */
export const SYMMETRIC_ALG = 'HMAC-SHA256';
export const SYMMETRIC_KEY_BYTES = 32;
/** HKDF info of the wrapping key; also the first part of every AAD. */
export const KEYRING_LABEL = 'ontoref-vault/keyring/v1';
const SYMMETRIC_KEY_ID_LABEL = utf8('ontoref-vault/keyring/key-id/v1');
const KEY_ID_BYTES = 16;

const REQUIRED: readonly KeyName[] = ['kem', 'sign', 'token', 'audit'];
const ASYMMETRIC: readonly KeyName[] = ['kem', 'sign', 'sign-falcon'];
const SYMMETRIC: readonly KeyName[] = ['token', 'audit'];

/** What `create` and `rotate` generate for each name. */
const GENERATED_ALG: Readonly<Record<KeyName, string>> = {
  kem: 'X-Wing',
  sign: 'ML-DSA-65',
  'sign-falcon': 'Falcon-512-r3',
  token: SYMMETRIC_ALG,
  audit: SYMMETRIC_ALG,
};

/**
 * What a stored row may carry for each name: the envelope suites' KEMs and the signature
 * families that belong to the name. Anything else in storage is OV_KEYRING_CORRUPT, so an
 * edited row cannot turn the vault's signing key into a weaker or different algorithm.
 */
const ALLOWED_ALGS: Readonly<Record<KeyName, readonly string[]>> = {
  kem: ['X-Wing', 'ML-KEM-1024'],
  sign: ['ML-DSA-65', 'ML-DSA-87'],
  'sign-falcon': ['Falcon-512-r3', 'Falcon-1024-r3'],
  token: [SYMMETRIC_ALG],
  audit: [SYMMETRIC_ALG],
};

const GCM = aead('AES-256-GCM');

function isKeyName(name: unknown): name is KeyName {
  return typeof name === 'string' && (KEY_NAMES as readonly string[]).includes(name);
}

function isSymmetric(name: KeyName): name is SymmetricKeyName {
  return SYMMETRIC.includes(name);
}

function corrupt(detail: Record<string, string | number | boolean>, cause?: unknown): VaultError {
  return new VaultError('OV_KEYRING_CORRUPT', detail, cause === undefined ? undefined : { cause });
}

function checkVersionArg(version: unknown): number {
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'version' });
  }
  return version;
}

function checkTime(now: unknown): number {
  if (typeof now !== 'number' || !Number.isSafeInteger(now) || now < 0) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'now' });
  return now;
}

/** The wrapping key: HKDF-SHA256(salt = empty, ikm = root key, info = KEYRING_LABEL). */
function deriveWrappingKey(rootKey: Uint8Array): Uint8Array {
  if (!(rootKey instanceof Uint8Array) || rootKey.length !== 32) throw new VaultError('OV_KEY_INVALID', { field: 'rootKey', expected: 32 });
  const prk = hkdfExtract('SHA-256', new Uint8Array(0), rootKey);
  try {
    return hkdfExpand('SHA-256', prk, [utf8(KEYRING_LABEL)], 32);
  } finally {
    wipe(prk);
  }
}

/** AAD = label || 0 || name || 0 || u32 version || alg || 0 || key id; names and algs are NUL-free. */
function wrapAad(name: string, version: number, alg: string, keyId: Uint8Array): Uint8Array {
  const v = new Uint8Array(4);
  new DataView(v.buffer).setUint32(0, version);
  return concatBytes(utf8(`${KEYRING_LABEL}\u0000${name}\u0000`), v, utf8(`${alg}\u0000`), keyId);
}

/** A symmetric key's id: the first 16 bytes of HMAC-SHA256(key, label). Reveals nothing about the key. */
function symmetricKeyId(key: Uint8Array): Uint8Array {
  return hmac('SHA-256', key, SYMMETRIC_KEY_ID_LABEL).slice(0, KEY_ID_BYTES);
}

function seal(wrapKey: Uint8Array, name: string, version: number, alg: string, keyId: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const nonce = randomBytes(GCM.nonceLength);
  return concatBytes(nonce, GCM.seal(wrapKey, nonce, wrapAad(name, version, alg, keyId), plaintext));
}

/** One in-memory key version: its public description and, unless retired, its secret. */
interface Slot {
  readonly info: KeyVersionInfo;
  readonly publicKey: PublicKeyInfo | undefined;
  asymmetric: SecretKeyInfo | undefined;
  symmetric: Uint8Array | undefined;
}

interface PolicyState {
  alg: string;
  latestVersion: number;
  minDecryptVersion: number;
  readonly slots: Map<number, Slot>;
}

/** Public description of a stored row, with its consistency checks (no secret involved). */
function describeRow(row: KeyringKeyRecord): { info: KeyVersionInfo; publicKey: PublicKeyInfo | undefined } {
  const { name, version } = row;
  if (!isKeyName(name)) throw corrupt({ reason: 'unknown key name' });
  if (!ALLOWED_ALGS[name].includes(row.alg)) throw corrupt({ name, version, reason: 'algorithm' });
  if (row.keyId.length !== KEY_ID_BYTES) throw corrupt({ name, version, reason: 'key id' });
  const base = { name, version, alg: row.alg, keyId: hex(row.keyId), createdAt: row.createdAt };
  if (isSymmetric(name)) {
    if (row.publicKey !== null) throw corrupt({ name, version, reason: 'public key' });
    return { info: Object.freeze(base), publicKey: undefined };
  }
  const spec = algByName(row.alg);
  if (spec === undefined || row.publicKey === null || row.publicKey.length !== spec.publicKeyLength) {
    throw corrupt({ name, version, reason: 'public key' });
  }
  if (!constantTimeEqual(deriveKeyId(spec.name, row.publicKey), row.keyId)) throw corrupt({ name, version, reason: 'key id' });
  const publicKey: PublicKeyInfo = Object.freeze({
    kind: spec.family === 'kem' ? 'kem-public' : 'sig-public',
    alg: spec.name,
    keyVersion: version,
    keyId: row.keyId,
    publicKey: row.publicKey,
  });
  return { info: Object.freeze({ ...base, publicKey: armor('PUBLIC KEY', encodeKey(publicKey)) }), publicKey };
}

interface StoredKeyring {
  readonly policies: Map<KeyName, KeyringPolicyRecord>;
  readonly rows: Map<KeyName, KeyringKeyRecord[]>;
}

/**
 * Reads and structurally checks the keyring tables: known names and algorithms, the
 * required names present, every version 1..latest present exactly once. Undefined when
 * the keyring was never created.
 */
function readStored(storage: Storage): StoredKeyring | undefined {
  const { policyRows, keyRows } = storage.transaction(() => ({
    policyRows: storage.keyring.listPolicies(),
    keyRows: storage.keyring.listKeys(),
  }));
  if (policyRows.length === 0 && keyRows.length === 0) return undefined;
  const policies = new Map<KeyName, KeyringPolicyRecord>();
  for (const p of policyRows) {
    if (!isKeyName(p.name)) throw corrupt({ reason: 'unknown key name' });
    if (p.minDecryptVersion < 1 || p.minDecryptVersion > p.latestVersion) throw corrupt({ name: p.name, reason: 'policy' });
    policies.set(p.name, p);
  }
  for (const name of REQUIRED) if (!policies.has(name)) throw corrupt({ name, reason: 'missing key' });
  const rows = new Map<KeyName, KeyringKeyRecord[]>();
  for (const r of keyRows) {
    if (!isKeyName(r.name) || !policies.has(r.name)) throw corrupt({ reason: 'unknown key name' });
    const list = rows.get(r.name) ?? [];
    list.push(r);
    rows.set(r.name, list);
  }
  for (const [name, p] of policies) {
    const list = rows.get(name) ?? [];
    // listKeys orders by (name, version) and the primary key makes versions unique.
    if (list.length !== p.latestVersion || list.some((r, i) => r.version !== i + 1)) {
      throw corrupt({ name, reason: 'missing version' });
    }
  }
  return { policies, rows };
}

/** Public description of a stored keyring, without the root key (sealed daemon, offline tools). */
export function describeKeyring(storage: Storage): KeyPolicy[] {
  const stored = readStored(storage);
  if (stored === undefined) return [];
  return KEY_NAMES.flatMap((name) => {
    const p = stored.policies.get(name);
    if (p === undefined) return [];
    const versions = (stored.rows.get(name) ?? []).map((r) => describeRow(r).info);
    return [{ name, alg: versions[versions.length - 1]?.alg ?? GENERATED_ALG[name], latestVersion: p.latestVersion, minDecryptVersion: p.minDecryptVersion, versions }];
  });
}

/**
 * Every stored public key (KEM and signature, all versions, retired ones included: old
 * checkpoints and envelopes were signed with them), read without the root key. This is
 * what `vault audit verify` passes to `verifyAudit` offline. The keys come from the same
 * database as the log; pin them out of band for a verifier that must not trust it.
 */
export function keyringPublicKeys(storage: Storage): PublicKeyInfo[] {
  const stored = readStored(storage);
  if (stored === undefined) return [];
  const out: PublicKeyInfo[] = [];
  for (const name of KEY_NAMES) {
    for (const r of stored.rows.get(name) ?? []) {
      const pk = describeRow(r).publicKey;
      if (pk !== undefined) out.push(pk);
    }
  }
  return out;
}

export class Keyring {
  readonly #storage: Storage;
  readonly #provider: CryptoProvider;
  readonly #policies: Map<KeyName, PolicyState>;
  #wrapKey: Uint8Array | undefined;

  private constructor(storage: Storage, provider: CryptoProvider, wrapKey: Uint8Array, policies: Map<KeyName, PolicyState>) {
    this.#storage = storage;
    this.#provider = provider;
    this.#wrapKey = wrapKey;
    this.#policies = policies;
  }

  /**
   * Setup: generates version 1 of every key (`sign-falcon` only with `falcon`), wraps them
   * under `rootKey` and stores them in one transaction. `rootKey` is read, never kept or
   * wiped (the seal manager owns it). OV_ALREADY_INITIALIZED when a keyring exists
   * (`storage.keyring.clear()` first for a forced re-setup).
   */
  static create(storage: Storage, provider: CryptoProvider, rootKey: Uint8Array, opts: CreateKeyringOptions): Keyring {
    checkOptions(opts, ['falcon', 'now'], 'Keyring.create');
    const now = checkTime(opts.now);
    if (opts.falcon !== undefined && typeof opts.falcon !== 'boolean') throw new VaultError('OV_INVALID_ARGUMENT', { field: 'falcon' });
    const names = KEY_NAMES.filter((n) => n !== 'sign-falcon' || opts.falcon === true);
    const wrapKey = deriveWrappingKey(rootKey);
    const policies = new Map<KeyName, PolicyState>();
    const ring = new Keyring(storage, provider, wrapKey, policies);
    try {
      // Checked again inside the transaction; this early check only saves the key generation.
      if (storage.keyring.listPolicies().length > 0) throw new VaultError('OV_ALREADY_INITIALIZED', { reason: 'keyring exists' });
      const generated = names.map((name) => ring.#generate(name, 1, now));
      for (const { slot } of generated) {
        policies.set(slot.info.name, { alg: slot.info.alg, latestVersion: 1, minDecryptVersion: 1, slots: new Map([[1, slot]]) });
      }
      storage.transaction(() => {
        if (storage.keyring.listPolicies().length > 0) throw new VaultError('OV_ALREADY_INITIALIZED', { reason: 'keyring exists' });
        for (const { row } of generated) {
          storage.keyring.putPolicy({ name: row.name, latestVersion: 1, minDecryptVersion: 1 });
          storage.keyring.insertKey(row);
        }
      });
      return ring;
    } catch (e) {
      ring.wipe();
      throw e;
    }
  }

  /**
   * After unseal: unwraps every version at or above each name's minimum decryption
   * version. Any failure (a wrong root key, a tampered, swapped or truncated row, a
   * missing version) is OV_KEYRING_CORRUPT and nothing is kept in memory; nothing is
   * written either way. OV_NOT_INITIALIZED when no keyring was ever created.
   */
  static open(storage: Storage, provider: CryptoProvider, rootKey: Uint8Array): Keyring {
    const wrapKey = deriveWrappingKey(rootKey);
    const policies = new Map<KeyName, PolicyState>();
    const ring = new Keyring(storage, provider, wrapKey, policies);
    try {
      const stored = readStored(storage);
      if (stored === undefined) throw new VaultError('OV_NOT_INITIALIZED', { reason: 'no keyring' });
      for (const name of KEY_NAMES) {
        const p = stored.policies.get(name);
        if (p === undefined) continue;
        const state: PolicyState = { alg: GENERATED_ALG[name], latestVersion: p.latestVersion, minDecryptVersion: p.minDecryptVersion, slots: new Map() };
        policies.set(name, state);
        for (const row of stored.rows.get(name) ?? []) {
          const slot = ring.#unwrapRow(row, row.version >= p.minDecryptVersion);
          state.slots.set(row.version, slot);
          state.alg = slot.info.alg;
        }
      }
      return ring;
    } catch (e) {
      ring.wipe();
      throw e;
    }
  }

  /** The latest version of an asymmetric key. */
  current(name: AsymmetricKeyName): SecretKeyInfo {
    const p = this.#policy(name, 'asymmetric');
    return this.get(name, p.latestVersion);
  }

  /**
   * A given version of an asymmetric key. OV_KEY_NOT_FOUND for an unknown name or a version
   * above the latest; OV_KEY_VERSION_RETIRED below the minimum decryption version. The
   * returned key's bytes are zeroed by `wipe()`: do not keep it across a seal.
   */
  get(name: AsymmetricKeyName, version: number): SecretKeyInfo {
    const slot = this.#slot(this.#policy(name, 'asymmetric'), name, version);
    if (slot.asymmetric === undefined) throw corrupt({ name, version, reason: 'not unwrapped' });
    return slot.asymmetric;
  }

  /**
   * A symmetric key (`token`, `audit`): the latest version, or `version`. Same errors as
   * `get`. The key array is the keyring's own (zeroed by `wipe()`): never modify it.
   */
  secret(name: SymmetricKeyName, version?: number): { version: number; key: Uint8Array } {
    const p = this.#policy(name, 'symmetric');
    const v = version ?? p.latestVersion;
    const slot = this.#slot(p, name, v);
    if (slot.symmetric === undefined) throw corrupt({ name, version: v, reason: 'not unwrapped' });
    return { version: v, key: slot.symmetric };
  }

  /** The public key of every stored asymmetric version (retired ones included). */
  publicKeys(): PublicKeyInfo[] {
    this.#alive();
    const out: PublicKeyInfo[] = [];
    for (const p of this.#policies.values()) for (const s of p.slots.values()) if (s.publicKey !== undefined) out.push(s.publicKey);
    return out;
  }

  /**
   * Adds version latest+1 of `name` (same algorithm family, the generated default) and
   * makes it current. Stored first, in one transaction; memory changes only after commit.
   */
  rotate(name: KeyName, now: number): KeyVersionInfo {
    const p = this.#policy(name, 'any');
    checkTime(now);
    const version = p.latestVersion + 1;
    const { slot, row } = this.#generate(name, version, now);
    try {
      this.#storage.transaction(() => {
        const onDisk = this.#storage.keyring.getPolicy(name);
        // One daemon owns the data dir; a policy that moved underneath us means it does not.
        if (onDisk?.latestVersion !== p.latestVersion) throw corrupt({ name, reason: 'policy changed on disk' });
        this.#storage.keyring.insertKey(row);
        this.#storage.keyring.putPolicy({ name, latestVersion: version, minDecryptVersion: onDisk.minDecryptVersion });
      });
    } catch (e) {
      wipe(slot.asymmetric?.secretKey, slot.symmetric);
      throw e;
    }
    p.slots.set(version, slot);
    p.latestVersion = version;
    p.alg = slot.info.alg;
    return slot.info;
  }

  /**
   * Retires every version below `version`. It cannot go down and cannot pass the latest
   * version (OV_INVALID_ARGUMENT with the allowed range); the same value is a no-op. The
   * retired secrets are zeroed in memory once the change is stored.
   */
  setMinDecryptVersion(name: KeyName, version: number): void {
    const p = this.#policy(name, 'any');
    const v = checkVersionArg(version);
    if (v < p.minDecryptVersion || v > p.latestVersion) {
      throw new VaultError('OV_INVALID_ARGUMENT', { field: 'version', min: p.minDecryptVersion, max: p.latestVersion });
    }
    if (v === p.minDecryptVersion) return;
    this.#storage.transaction(() => {
      const onDisk = this.#storage.keyring.getPolicy(name);
      if (onDisk?.latestVersion !== p.latestVersion || onDisk.minDecryptVersion !== p.minDecryptVersion) {
        throw corrupt({ name, reason: 'policy changed on disk' });
      }
      this.#storage.keyring.putPolicy({ name, latestVersion: p.latestVersion, minDecryptVersion: v });
    });
    p.minDecryptVersion = v;
    for (const [ver, slot] of p.slots) {
      if (ver >= v) continue;
      wipe(slot.asymmetric?.secretKey, slot.symmetric);
      slot.asymmetric = undefined;
      slot.symmetric = undefined;
    }
  }

  /** Public information about every key; no secret material. */
  list(): KeyPolicy[] {
    this.#alive();
    return KEY_NAMES.flatMap((name) => {
      const p = this.#policies.get(name);
      if (p === undefined) return [];
      const versions = [...p.slots.keys()].sort((a, b) => a - b).map((v) => (p.slots.get(v) as Slot).info);
      return [{ name, alg: p.alg, latestVersion: p.latestVersion, minDecryptVersion: p.minDecryptVersion, versions }];
    });
  }

  /** True until `wipe()`. */
  get open(): boolean {
    return this.#wrapKey !== undefined;
  }

  /** Zeroes every unwrapped key and the wrapping key; afterwards every method throws OV_SEALED. Idempotent. */
  wipe(): void {
    for (const p of this.#policies.values()) {
      for (const slot of p.slots.values()) {
        wipe(slot.asymmetric?.secretKey, slot.symmetric);
        slot.asymmetric = undefined;
        slot.symmetric = undefined;
      }
    }
    wipe(this.#wrapKey);
    this.#wrapKey = undefined;
  }

  #alive(): Uint8Array {
    if (this.#wrapKey === undefined) throw new VaultError('OV_SEALED');
    return this.#wrapKey;
  }

  #policy(name: KeyName, kind: 'asymmetric' | 'symmetric' | 'any'): PolicyState {
    this.#alive();
    if (!isKeyName(name)) throw new VaultError('OV_KEY_NOT_FOUND', { reason: 'unknown key name' });
    if ((kind === 'asymmetric' && !ASYMMETRIC.includes(name)) || (kind === 'symmetric' && !SYMMETRIC.includes(name))) {
      throw new VaultError('OV_INVALID_ARGUMENT', { field: 'name', reason: `not a ${kind} key` });
    }
    const p = this.#policies.get(name);
    if (p === undefined) throw new VaultError('OV_KEY_NOT_FOUND', { name });
    return p;
  }

  #slot(p: PolicyState, name: KeyName, version: number): Slot {
    const v = checkVersionArg(version);
    if (v > p.latestVersion) throw new VaultError('OV_KEY_NOT_FOUND', { name, version: v });
    if (v < p.minDecryptVersion) throw new VaultError('OV_KEY_VERSION_RETIRED', { name, version: v, minDecryptVersion: p.minDecryptVersion });
    const slot = p.slots.get(v);
    if (slot === undefined) throw new VaultError('OV_KEY_NOT_FOUND', { name, version: v });
    return slot;
  }

  /** A fresh key version and its storage row (wrapped). Nothing is stored here. */
  #generate(name: KeyName, version: number, now: number): { slot: Slot; row: KeyringKeyRecord } {
    const wrapKey = this.#alive();
    const alg = GENERATED_ALG[name];
    if (isSymmetric(name)) {
      const key = randomBytes(SYMMETRIC_KEY_BYTES);
      const keyId = symmetricKeyId(key);
      const row: KeyringKeyRecord = { name, version, alg, keyId, publicKey: null, wrappedSecret: seal(wrapKey, name, version, alg, keyId, key), createdAt: now };
      return { slot: { ...describeRow(row), asymmetric: undefined, symmetric: key }, row };
    }
    const sk = generateKey(this.#provider, alg as KeyAlg, { keyVersion: version });
    const encoded = encodeKey(sk);
    try {
      const row: KeyringKeyRecord = {
        name,
        version,
        alg,
        keyId: sk.keyId,
        publicKey: sk.publicKey,
        wrappedSecret: seal(wrapKey, name, version, alg, sk.keyId, encoded),
        createdAt: now,
      };
      return { slot: { ...describeRow(row), asymmetric: sk, symmetric: undefined }, row };
    } finally {
      wipe(encoded);
    }
  }

  /** Checks a stored row and, when `unwrap`, decrypts and cross-checks its secret. */
  #unwrapRow(row: KeyringKeyRecord, unwrap: boolean): Slot {
    const described = describeRow(row);
    const slot: Slot = { ...described, asymmetric: undefined, symmetric: undefined };
    if (!unwrap) return slot;
    const { name, version, alg } = row;
    const w = row.wrappedSecret;
    if (w.length < GCM.nonceLength + GCM.tagLength) throw corrupt({ name, version, reason: 'unwrap' });
    let plaintext: Uint8Array;
    try {
      plaintext = GCM.open(this.#alive(), w.subarray(0, GCM.nonceLength), wrapAad(name, version, alg, row.keyId), w.subarray(GCM.nonceLength));
    } catch (e) {
      throw corrupt({ name, version, reason: 'unwrap' }, e);
    }
    try {
      if (isKeyName(name) && isSymmetric(name)) {
        if (plaintext.length !== SYMMETRIC_KEY_BYTES || !constantTimeEqual(symmetricKeyId(plaintext), row.keyId)) {
          throw corrupt({ name, version, reason: 'key id' });
        }
        slot.symmetric = plaintext.slice();
        return slot;
      }
      let sk: SecretKeyInfo;
      try {
        // decodeKey recomputes the key id from the public key; re-deriving the public key
        // from the secret is skipped: these bytes were just authenticated by AES-GCM under
        // the root key (AAD binds name, version, alg and key id), and the derivation costs
        // ~60 ms of daemon start-up on the noble provider.
        const decoded = decodeKey(plaintext, this.#provider, { checkPair: false });
        if (decoded.kind !== 'kem-secret' && decoded.kind !== 'sig-secret') throw corrupt({ name, version, reason: 'kind' });
        sk = decoded;
      } catch (e) {
        throw e instanceof VaultError && e.code === 'OV_KEYRING_CORRUPT' ? e : corrupt({ name, version, reason: 'secret key' }, e);
      }
      const pk = described.publicKey;
      if (pk === undefined || sk.alg !== alg || sk.keyVersion !== version || !constantTimeEqual(sk.keyId, row.keyId) || !constantTimeEqual(sk.publicKey, pk.publicKey)) {
        wipe(sk.secretKey);
        throw corrupt({ name, version, reason: 'key mismatch' });
      }
      slot.asymmetric = sk;
      return slot;
    } finally {
      wipe(plaintext);
    }
  }
}

/** Type guard helpers for callers that take key names from requests (HTTP `:name`). */
export function isKeyringName(name: unknown): name is KeyName {
  return isKeyName(name);
}

/**
 * The transit engine: named keys that encrypt, decrypt, sign and HMAC data the caller
 * keeps, without the key ever leaving the vault (docs/transit.md). Requests and responses
 * use Vault's transit field names (base64 plaintexts and inputs, `batch_input`,
 * `key_version`, ...), so the HTTP layer only maps routes onto these methods.
 *
 * Each key version's material is sealed at rest through the keyring's sealed records,
 * bound to its name and version; the clear public key in a row is for listings only, and
 * every operation takes its key from the opened record. Every method returns, beside its
 * response, the facts its audit entry needs (`audit`: name, versions, counts), never a
 * plaintext or key; the caller's layer HMACs the inputs it logs.
 * @module
 */
import { constantTimeEqual, randomBytes, utf8, wipe } from '../crypto/bytes.js';
import { hashMlDsaSign, hashMlDsaVerify, hmacSha3_256 } from '../crypto/hash-ml-dsa.js';
import { hmac as hmacSha2 } from '../crypto/kdf.js';
import { armor, dearmor } from '../envelope/armor.js';
import type { CryptoProvider, SignatureName } from '../crypto/types.js';
import { open, openWith, seal } from '../envelope/envelope.js';
import { checkOptions } from '../envelope/format.js';
import { decodeKey, deriveKeyId, encodeKey, publicKeyOf, type PublicKeyInfo, type SecretKeyInfo } from '../envelope/keys.js';
import { VaultError, type ErrorCode } from '../errors.js';
import type { Keyring } from '../keyring/keyring.js';
import { SealedRecords, vaultVerifyKeys, type SealedBinding, type SignatureChoice } from '../keyring/sealed-records.js';
import type { TransitKeyRecord, TransitVersionRecord } from '../storage/transit-types.js';
import type { Storage } from '../storage/types.js';
import {
  TRANSIT_BACKUP_LABEL,
  checkName,
  ciphertextContext,
  decodeBase64,
  encodeBase64,
  encodeValue,
  parseValue,
  transitKeyContext,
} from './format.js';
import {
  algOf,
  decodeMaterial,
  encodeMaterial,
  generateMaterial,
  isTransitKeyType,
  purposeOf,
  type TransitKeyType,
  type TransitMaterial,
  type TransitPurpose,
} from './keys.js';

export interface TransitServiceOptions {
  readonly storage: Storage;
  readonly provider: CryptoProvider;
  /** The open keyring; undefined while sealed. */
  readonly keyring: () => Keyring | undefined;
  readonly signature: SignatureChoice;
  readonly now: () => number;
  /** The vault's sealed records; default one built from `provider`, `keyring` and `signature`. */
  readonly sealed?: SealedRecords;
}

/** What an audit entry records about an operation; never a plaintext, input or key. */
export interface TransitAudit {
  readonly operation: string;
  readonly name: string;
  /** Key versions used, ascending, without repeats. */
  readonly versions: readonly number[];
  /** Items processed (1 for a single request). */
  readonly count: number;
  /** Items of a batch that failed. */
  readonly errors: number;
}

export interface TransitResult<D> {
  readonly data: D;
  readonly audit: TransitAudit;
}

/** Public view of a key (Vault's read response); never any secret material. */
export interface TransitKeyInfo {
  name: string;
  type: TransitKeyType;
  latest_version: number;
  min_decryption_version: number;
  min_encryption_version: number;
  min_available_version: number;
  deletion_allowed: boolean;
  exportable: boolean;
  allow_plaintext_backup: boolean;
  supports_encryption: boolean;
  supports_decryption: boolean;
  supports_signing: boolean;
  supports_derivation: false;
  /** Version (decimal) -> creation time (ms) and, for asymmetric types, the armored public key. */
  keys: Record<string, { creation_time: number; public_key?: string }>;
}

export interface CreateRequest {
  type?: string;
  exportable?: boolean;
  allow_plaintext_backup?: boolean;
  deletion_allowed?: boolean;
}

export interface ConfigRequest {
  min_decryption_version?: number;
  min_encryption_version?: number;
  deletion_allowed?: boolean;
  exportable?: boolean;
  allow_plaintext_backup?: boolean;
}

export interface EncryptItem {
  plaintext: string;
  associated_data?: string;
  key_version?: number;
}
export interface DecryptItem {
  ciphertext: string;
  associated_data?: string;
}
export interface RewrapItem {
  ciphertext: string;
  associated_data?: string;
  key_version?: number;
}
export interface SignItem {
  input: string;
  key_version?: number;
  prehashed?: boolean;
  hash_algorithm?: string;
}
export interface VerifyItem {
  input: string;
  signature?: string;
  hmac?: string;
  prehashed?: boolean;
  hash_algorithm?: string;
}
export interface HmacItem {
  input: string;
  key_version?: number;
}

/** A single request, or `batch_input` alone. */
export type Batchable<T> = T | { batch_input: T[] };

/** One failed item of a batch. */
export interface BatchError {
  error: { code: ErrorCode; message: string };
}
export type BatchResult<T> = { batch_results: (T | BatchError)[] };

export interface CiphertextResponse {
  ciphertext: string;
  key_version: number;
}
export interface PlaintextResponse {
  plaintext: string;
}
export interface SignatureResponse {
  signature: string;
  key_version: number;
}
export interface HmacResponse {
  hmac: string;
  key_version: number;
}
export interface VerifyResponse {
  valid: boolean;
}
export interface DatakeyRequest {
  /** Also return the plaintext key (Vault's `datakey/plaintext`); default false (`datakey/wrapped`). */
  plaintext?: boolean;
  bits?: number;
  associated_data?: string;
  key_version?: number;
}
export interface DatakeyResponse {
  ciphertext: string;
  key_version: number;
  plaintext?: string;
}

export type ExportType = 'encryption-key' | 'signing-key' | 'hmac-key';
export interface ExportResponse {
  name: string;
  type: TransitKeyType;
  /** Version (decimal) -> armored `ONTOREF SECRET KEY` (asymmetric) or base64 (HMAC). */
  keys: Record<string, string>;
}

export interface BackupRequest {
  /** The KEM public key of the vault that will restore the backup (kind `kem-public`), or its armored key file. */
  recipient: PublicKeyInfo | string;
}
export interface RestoreRequest {
  /** Restore under this name instead of the one in the backup. */
  name?: string;
  /** Replace an existing key of that name. */
  force?: boolean;
  /** Signature public keys (or armored key files) of the vault that made the backup; default this vault's own. */
  trusted?: readonly (PublicKeyInfo | string)[];
}

const MAX_BATCH = 1000;
const DATAKEY_BITS = [128, 256, 512];

const ITEM_KEYS = {
  encrypt: ['plaintext', 'associated_data', 'key_version'],
  decrypt: ['ciphertext', 'associated_data'],
  rewrap: ['ciphertext', 'associated_data', 'key_version'],
  sign: ['input', 'key_version', 'prehashed', 'hash_algorithm'],
  verify: ['input', 'signature', 'hmac', 'prehashed', 'hash_algorithm'],
  hmac: ['input', 'key_version'],
} as const;

/** Binding of version `version` of key `name` at rest. */
export function transitKeyBinding(name: string, version: number): SealedBinding {
  return {
    context: transitKeyContext(name, version),
    unreadable: (cause?: string) => new VaultError('OV_TRANSIT_KEY_UNREADABLE', { name, version, ...(cause === undefined ? {} : { cause }) }),
  };
}

function invalidCiphertext(): VaultError {
  return new VaultError('OV_TRANSIT_CIPHERTEXT_INVALID');
}

function arg(field: string, reason?: string): VaultError {
  return new VaultError('OV_INVALID_ARGUMENT', reason === undefined ? { field } : { field, reason });
}

function b64(field: string, value: unknown): Uint8Array {
  const out = decodeBase64(value);
  if (out === undefined) throw arg(field, 'not base64');
  return out;
}

function optB64(field: string, value: unknown): Uint8Array | undefined {
  return value === undefined ? undefined : b64(field, value);
}

function optBool(field: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw arg(field);
  return value;
}

function optVersion(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw arg(field);
  return value;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Splits a request into its items: `batch_input` alone, or one item. */
function itemsOf(req: unknown, keys: readonly string[], what: string): { items: Record<string, unknown>[]; batch: boolean } {
  if (!isRecord(req)) throw arg(what);
  if ('batch_input' in req) {
    checkOptions(req, ['batch_input'], what);
    const list = req['batch_input'];
    if (!Array.isArray(list) || list.length === 0 || list.length > MAX_BATCH) throw arg('batch_input');
    return { items: list as Record<string, unknown>[], batch: true };
  }
  checkOptions(req, keys, what);
  return { items: [req], batch: false };
}

function toBatchError(e: unknown): BatchError {
  if (!(e instanceof VaultError) || e.code === 'OV_SEALED' || e.code === 'OV_TRANSIT_KEY_UNREADABLE') throw e;
  return { error: { code: e.code, message: e.message } };
}

/** The public key of a row, for listings (the authoritative copy is in the sealed record). */
function publicInfo(type: TransitKeyType, row: TransitVersionRecord): PublicKeyInfo | undefined {
  const alg = algOf(type);
  if (alg === undefined || row.publicKey === null) return undefined;
  const kind = purposeOf(type) === 'encrypt' ? 'kem-public' : 'sig-public';
  return { kind, alg, keyVersion: row.version, keyId: deriveKeyId(alg, row.publicKey), publicKey: row.publicKey };
}

/** Per-call cache of opened key versions (a batch opens each version once); wipe when done. */
class Opened {
  readonly #map = new Map<number, TransitMaterial>();
  readonly #svc: TransitService;
  readonly #key: Key;

  constructor(svc: TransitService, key: Key) {
    this.#svc = svc;
    this.#key = key;
  }

  get(version: number): TransitMaterial {
    let m = this.#map.get(version);
    if (m === undefined) {
      m = this.#svc.openVersion(this.#key, version);
      this.#map.set(version, m);
    }
    return m;
  }

  wipe(): void {
    for (const m of this.#map.values()) wipe(m.kind === 'hmac' ? m.key : m.key.secretKey);
    this.#map.clear();
  }
}

type Key = TransitKeyRecord & { type: TransitKeyType };

export class TransitService {
  readonly storage: Storage;
  readonly provider: CryptoProvider;
  readonly sealed: SealedRecords;
  readonly #now: () => number;

  constructor(opts: TransitServiceOptions) {
    checkOptions(opts, ['storage', 'provider', 'keyring', 'signature', 'now', 'sealed'], 'TransitService');
    this.storage = opts.storage;
    this.provider = opts.provider;
    this.#now = opts.now;
    this.sealed = opts.sealed ?? new SealedRecords({ provider: opts.provider, keyring: opts.keyring, signature: opts.signature });
  }

  // ---- key management -------------------------------------------------------------------

  /**
   * Creates key `name` (default type `xwing`) with version 1. Creating an existing key of
   * the same type changes nothing and returns it (Vault's behaviour); another type is
   * OV_TRANSIT_KEY_EXISTS.
   */
  create(name: string, req: CreateRequest = {}): TransitResult<TransitKeyInfo> {
    checkName(name);
    checkOptions(req, ['type', 'exportable', 'allow_plaintext_backup', 'deletion_allowed'], 'create');
    const type = req.type ?? 'xwing';
    if (!isTransitKeyType(type)) throw new VaultError('OV_ALGORITHM_UNSUPPORTED', { field: 'type' });
    const exportable = optBool('exportable', req.exportable) ?? false;
    const allowPlaintextBackup = optBool('allow_plaintext_backup', req.allow_plaintext_backup) ?? false;
    const deletionAllowed = optBool('deletion_allowed', req.deletion_allowed) ?? false;
    this.sealed.keyring();
    const material = generateMaterial(this.provider, type, 1);
    const bytes = encodeMaterial(material);
    try {
      const now = this.#now();
      this.storage.transaction(() => {
        const existing = this.storage.transit.getKey(name);
        if (existing !== undefined) {
          if (existing.type !== type) throw new VaultError('OV_TRANSIT_KEY_EXISTS');
          return;
        }
        this.storage.transit.insertKey({
          name,
          type,
          latestVersion: 1,
          minDecryptionVersion: 1,
          minEncryptionVersion: 0,
          deletionAllowed,
          exportable,
          allowPlaintextBackup,
          createdAt: now,
          updatedAt: now,
        });
        this.#insertVersion(name, 1, material, bytes, now);
      });
    } finally {
      wipe(bytes);
      wipeMaterial(material);
    }
    return { data: this.read(name).data, audit: audit('create', name, [1]) };
  }

  /** The key's public description. */
  read(name: string): TransitResult<TransitKeyInfo> {
    const key = this.#key(name);
    const rows = this.storage.transit.listVersions(name);
    const keys: TransitKeyInfo['keys'] = {};
    for (const r of rows) {
      const pub = publicInfo(key.type, r);
      keys[String(r.version)] = pub === undefined ? { creation_time: r.createdAt } : { creation_time: r.createdAt, public_key: armor('PUBLIC KEY', encodeKey(pub)) };
    }
    const purpose = purposeOf(key.type);
    return {
      data: {
        name,
        type: key.type,
        latest_version: key.latestVersion,
        min_decryption_version: key.minDecryptionVersion,
        min_encryption_version: key.minEncryptionVersion,
        min_available_version: rows[0]?.version ?? key.latestVersion,
        deletion_allowed: key.deletionAllowed,
        exportable: key.exportable,
        allow_plaintext_backup: key.allowPlaintextBackup,
        supports_encryption: purpose === 'encrypt',
        supports_decryption: purpose === 'encrypt',
        supports_signing: purpose === 'sign',
        supports_derivation: false,
        keys,
      },
      audit: audit('read', name, []),
    };
  }

  /** Every key name, in byte order. */
  list(): string[] {
    return this.storage.transit.listKeys();
  }

  /** Adds a version; new encryptions, signatures and HMACs use it. */
  rotate(name: string): TransitResult<TransitKeyInfo> {
    checkName(name);
    this.sealed.keyring();
    const version = this.storage.transaction(() => {
      const key = this.#key(name);
      const v = key.latestVersion + 1;
      const material = generateMaterial(this.provider, key.type, v);
      const bytes = encodeMaterial(material);
      try {
        const now = this.#now();
        this.storage.transit.updateKey({ ...key, latestVersion: v, updatedAt: now });
        this.#insertVersion(name, v, material, bytes, now);
      } finally {
        wipe(bytes);
        wipeMaterial(material);
      }
      return v;
    });
    return { data: this.read(name).data, audit: audit('rotate', name, [version]) };
  }

  /**
   * Changes settings, as Vault's config: the minimum versions (within the stored ones;
   * `min_encryption_version` 0 means the latest), `deletion_allowed` either way,
   * `exportable` and `allow_plaintext_backup` only from false to true.
   */
  config(name: string, req: ConfigRequest): TransitResult<TransitKeyInfo> {
    checkName(name);
    checkOptions(req, ['min_decryption_version', 'min_encryption_version', 'deletion_allowed', 'exportable', 'allow_plaintext_backup'], 'config');
    this.storage.transaction(() => {
      const key = this.#key(name);
      const minAvailable = this.storage.transit.listVersions(name)[0]?.version ?? key.latestVersion;
      const next: TransitKeyRecord = { ...key, updatedAt: this.#now() };
      const minDec = optVersion('min_decryption_version', req.min_decryption_version);
      if (minDec !== undefined) {
        if (minDec > key.latestVersion || minDec < minAvailable) throw arg('min_decryption_version', 'outside the stored versions');
        next.minDecryptionVersion = minDec;
      }
      if (req.min_encryption_version !== undefined) {
        const minEnc = req.min_encryption_version;
        if (typeof minEnc !== 'number' || !Number.isSafeInteger(minEnc) || minEnc < 0 || minEnc > key.latestVersion) {
          throw arg('min_encryption_version');
        }
        next.minEncryptionVersion = minEnc;
      }
      if (next.minEncryptionVersion !== 0 && next.minEncryptionVersion < next.minDecryptionVersion) {
        throw arg('min_encryption_version', 'below min_decryption_version');
      }
      const del = optBool('deletion_allowed', req.deletion_allowed);
      if (del !== undefined) next.deletionAllowed = del;
      const exp = optBool('exportable', req.exportable);
      if (exp !== undefined) {
        if (key.exportable && !exp) throw arg('exportable', 'cannot be disabled');
        next.exportable = exp;
      }
      const backup = optBool('allow_plaintext_backup', req.allow_plaintext_backup);
      if (backup !== undefined) {
        if (key.allowPlaintextBackup && !backup) throw arg('allow_plaintext_backup', 'cannot be disabled');
        next.allowPlaintextBackup = backup;
      }
      this.storage.transit.updateKey(next);
    });
    return { data: this.read(name).data, audit: audit('config', name, []) };
  }

  /** Deletes the key and every version; only when `deletion_allowed`. */
  delete(name: string): TransitResult<{ deleted: true }> {
    checkName(name);
    this.storage.transaction(() => {
      const key = this.#key(name);
      if (!key.deletionAllowed) throw new VaultError('OV_TRANSIT_DELETION_NOT_ALLOWED');
      this.storage.transit.deleteKey(name);
    });
    return { data: { deleted: true }, audit: audit('delete', name, []) };
  }

  /**
   * Vault's trim: deletes the versions below `min_available_version`, which may not exceed
   * `min_decryption_version` nor a non-zero `min_encryption_version`. Irreversible.
   */
  trim(name: string, req: { min_available_version: number }): TransitResult<{ trimmed: number }> {
    checkName(name);
    checkOptions(req, ['min_available_version'], 'trim');
    const min = optVersion('min_available_version', req.min_available_version);
    if (min === undefined) throw arg('min_available_version');
    const trimmed = this.storage.transaction(() => {
      const key = this.#key(name);
      if (min > key.minDecryptionVersion) throw arg('min_available_version', 'above min_decryption_version');
      if (key.minEncryptionVersion !== 0 && min > key.minEncryptionVersion) throw arg('min_available_version', 'above min_encryption_version');
      return this.storage.transit.deleteVersionsBelow(name, min);
    });
    return { data: { trimmed }, audit: { ...audit('trim', name, []), count: trimmed } };
  }

  // ---- encryption -----------------------------------------------------------------------

  encrypt(name: string, req: EncryptItem): TransitResult<CiphertextResponse>;
  encrypt(name: string, req: { batch_input: EncryptItem[] }): TransitResult<BatchResult<CiphertextResponse>>;
  encrypt(name: string, req: Batchable<EncryptItem>): TransitResult<CiphertextResponse | BatchResult<CiphertextResponse>> {
    return this.#run('encrypt', name, req, 'encrypt', ITEM_KEYS.encrypt, (key, opened, item) => {
      const plaintext = b64('plaintext', item['plaintext']);
      const ad = optB64('associated_data', item['associated_data']);
      const version = this.#encryptionVersion(key, optVersion('key_version', item['key_version']));
      return this.#encryptWith(key, opened, version, plaintext, ad);
    });
  }

  decrypt(name: string, req: DecryptItem): TransitResult<PlaintextResponse>;
  decrypt(name: string, req: { batch_input: DecryptItem[] }): TransitResult<BatchResult<PlaintextResponse>>;
  decrypt(name: string, req: Batchable<DecryptItem>): TransitResult<PlaintextResponse | BatchResult<PlaintextResponse>> {
    return this.#run('decrypt', name, req, 'encrypt', ITEM_KEYS.decrypt, (key, opened, item) => {
      const ad = optB64('associated_data', item['associated_data']);
      const { version, plaintext } = this.#decryptWith(key, opened, item['ciphertext'], ad);
      try {
        return { data: { plaintext: encodeBase64(plaintext) }, version };
      } finally {
        wipe(plaintext);
      }
    });
  }

  /** Decrypts and re-encrypts under the latest version (or `key_version`); the plaintext never leaves. */
  rewrap(name: string, req: RewrapItem): TransitResult<CiphertextResponse>;
  rewrap(name: string, req: { batch_input: RewrapItem[] }): TransitResult<BatchResult<CiphertextResponse>>;
  rewrap(name: string, req: Batchable<RewrapItem>): TransitResult<CiphertextResponse | BatchResult<CiphertextResponse>> {
    return this.#run('rewrap', name, req, 'encrypt', ITEM_KEYS.rewrap, (key, opened, item) => {
      const ad = optB64('associated_data', item['associated_data']);
      const target = this.#encryptionVersion(key, optVersion('key_version', item['key_version']));
      const { plaintext, version: from } = this.#decryptWith(key, opened, item['ciphertext'], ad);
      try {
        return { ...this.#encryptWith(key, opened, target, plaintext, ad), from };
      } finally {
        wipe(plaintext);
      }
    });
  }

  /** A fresh random key (`bits`, default 256) encrypted under the key; its plaintext only when asked. */
  datakey(name: string, req: DatakeyRequest = {}): TransitResult<DatakeyResponse> {
    checkName(name);
    checkOptions(req, ['plaintext', 'bits', 'associated_data', 'key_version'], 'datakey');
    const withPlaintext = optBool('plaintext', req.plaintext) ?? false;
    const bits = req.bits ?? 256;
    if (!DATAKEY_BITS.includes(bits)) throw arg('bits');
    const ad = optB64('associated_data', req.associated_data);
    const key = this.#key(name, 'encrypt');
    const opened = new Opened(this, key);
    const dk = randomBytes(bits / 8);
    try {
      const version = this.#encryptionVersion(key, optVersion('key_version', req.key_version));
      const { data } = this.#encryptWith(key, opened, version, dk, ad);
      const out: DatakeyResponse = withPlaintext ? { ...data, plaintext: encodeBase64(dk) } : data;
      return { data: out, audit: audit('datakey', name, [version]) };
    } finally {
      wipe(dk);
      opened.wipe();
    }
  }

  // ---- signatures and HMACs -------------------------------------------------------------

  /**
   * Signs `input` (base64): pure ML-DSA / Falcon over the message, or with `prehashed`,
   * HashML-DSA-SHA512 over `input` taken as the SHA-512 digest of the message.
   */
  sign(name: string, req: SignItem): TransitResult<SignatureResponse>;
  sign(name: string, req: { batch_input: SignItem[] }): TransitResult<BatchResult<SignatureResponse>>;
  sign(name: string, req: Batchable<SignItem>): TransitResult<SignatureResponse | BatchResult<SignatureResponse>> {
    return this.#run('sign', name, req, 'sign', ITEM_KEYS.sign, (key, opened, item) => {
      const input = b64('input', item['input']);
      const prehashed = checkPrehash(key, item);
      const version = this.#encryptionVersion(key, optVersion('key_version', item['key_version']));
      const sk = asymmetric(opened.get(version));
      const alg = sk.alg as SignatureName;
      const signature = prehashed
        ? hashMlDsaSign(alg as 'ML-DSA-65' | 'ML-DSA-87', input, sk.secretKey)
        : this.provider.signature(alg).sign(input, sk.secretKey);
      return { data: { signature: encodeValue(version, signature), key_version: version }, version };
    });
  }

  /** Checks a `signature` (signing keys) or an `hmac` (HMAC keys) over `input`; a mismatch is `valid: false`. */
  verify(name: string, req: VerifyItem): TransitResult<VerifyResponse>;
  verify(name: string, req: { batch_input: VerifyItem[] }): TransitResult<BatchResult<VerifyResponse>>;
  verify(name: string, req: Batchable<VerifyItem>): TransitResult<VerifyResponse | BatchResult<VerifyResponse>> {
    return this.#run('verify', name, req, ['sign', 'hmac'], ITEM_KEYS.verify, (key, opened, item) => {
      const purpose = purposeOf(key.type);
      const input = b64('input', item['input']);
      const field = purpose === 'sign' ? 'signature' : 'hmac';
      if (item[purpose === 'sign' ? 'hmac' : 'signature'] !== undefined) throw arg(purpose === 'sign' ? 'hmac' : 'signature', 'wrong field for the key type');
      const prehashed = purpose === 'sign' ? checkPrehash(key, item) : checkNoPrehash(item);
      const parsed = parseValue(item[field]);
      if (parsed === undefined) throw invalidCiphertext();
      const version = this.#decryptionVersion(key, parsed.version);
      const m = opened.get(version);
      let valid: boolean;
      if (m.kind === 'hmac') {
        const mac = this.#mac(key.type, m.key, input);
        valid = constantTimeEqual(mac, parsed.body);
      } else {
        const alg = m.key.alg as SignatureName;
        valid = prehashed
          ? hashMlDsaVerify(alg as 'ML-DSA-65' | 'ML-DSA-87', parsed.body, input, m.key.publicKey)
          : this.provider.signature(alg).verify(parsed.body, input, m.key.publicKey);
      }
      return { data: { valid }, version };
    });
  }

  /** HMAC of `input` (base64) under the key (`hmac-sha256` or `hmac-sha3-256`). */
  hmac(name: string, req: HmacItem): TransitResult<HmacResponse>;
  hmac(name: string, req: { batch_input: HmacItem[] }): TransitResult<BatchResult<HmacResponse>>;
  hmac(name: string, req: Batchable<HmacItem>): TransitResult<HmacResponse | BatchResult<HmacResponse>> {
    return this.#run('hmac', name, req, 'hmac', ITEM_KEYS.hmac, (key, opened, item) => {
      const input = b64('input', item['input']);
      const version = this.#encryptionVersion(key, optVersion('key_version', item['key_version']));
      const m = opened.get(version);
      if (m.kind !== 'hmac') throw new VaultError('OV_TRANSIT_UNSUPPORTED_OPERATION');
      return { data: { hmac: encodeValue(version, this.#mac(key.type, m.key, input)), key_version: version }, version };
    });
  }

  // ---- export, backup, restore ----------------------------------------------------------

  /**
   * The key's secret material, for exportable keys only: every stored version, or `version`.
   * Asymmetric keys come as `ONTOREF SECRET KEY` files (so `vault envelope open` opens a
   * transit ciphertext offline, with the transit context); HMAC keys as base64.
   */
  export(type: ExportType, name: string, version?: number): TransitResult<ExportResponse> {
    checkName(name);
    const key = this.#key(name);
    const wanted: Record<ExportType, TransitPurpose> = { 'encryption-key': 'encrypt', 'signing-key': 'sign', 'hmac-key': 'hmac' };
    if (!Object.hasOwn(wanted, type)) throw arg('type');
    if (wanted[type] !== purposeOf(key.type)) throw new VaultError('OV_TRANSIT_UNSUPPORTED_OPERATION');
    if (!key.exportable) throw new VaultError('OV_TRANSIT_EXPORT_NOT_ALLOWED');
    const v = optVersion('version', version);
    const rows = this.storage.transit.listVersions(name).filter((r) => v === undefined || r.version === v);
    if (rows.length === 0) throw new VaultError('OV_TRANSIT_KEY_NOT_FOUND', { name, version: v ?? 0 });
    const keys: Record<string, string> = {};
    for (const r of rows) {
      const m = this.openVersion(key, r.version);
      try {
        keys[String(r.version)] = m.kind === 'hmac' ? encodeBase64(m.key) : armorSecret(m.key);
      } finally {
        wipeMaterial(m);
      }
    }
    return { data: { name, type: key.type, keys }, audit: audit('export', name, rows.map((r) => r.version)) };
  }

  /**
   * A backup of every stored version and the key's settings, sealed to another vault's KEM
   * public key (`recipient`) and signed by this vault: the key material is readable only
   * by that vault, and only a vault that trusts this one's signature keys restores it.
   * Allowed only for keys with `allow_plaintext_backup` (the material leaves this vault).
   */
  backup(name: string, req: BackupRequest): TransitResult<{ backup: string }> {
    checkName(name);
    checkOptions(req, ['recipient'], 'backup');
    const recipient = this.#publicKey('recipient', req.recipient, 'kem-public');
    const key = this.#key(name);
    if (!key.allowPlaintextBackup) throw new VaultError('OV_TRANSIT_EXPORT_NOT_ALLOWED');
    const rows = this.storage.transit.listVersions(name);
    const versions: BackupVersion[] = [];
    for (const r of rows) {
      const m = this.openVersion(key, r.version);
      const bytes = encodeMaterial(m);
      versions.push({ version: r.version, created_at: r.createdAt, key: encodeBase64(bytes) });
      wipe(bytes);
      wipeMaterial(m);
    }
    const body: BackupBody = {
      format: 1,
      name,
      type: key.type,
      latest_version: key.latestVersion,
      min_decryption_version: key.minDecryptionVersion,
      min_encryption_version: key.minEncryptionVersion,
      deletion_allowed: key.deletionAllowed,
      exportable: key.exportable,
      allow_plaintext_backup: key.allowPlaintextBackup,
      created_at: key.createdAt,
      versions,
    };
    const plaintext = utf8(JSON.stringify(body));
    try {
      const envelope = seal(this.provider, { to: recipient, plaintext, context: TRANSIT_BACKUP_LABEL, sign: this.sealed.signer() });
      return { data: { backup: encodeBase64(envelope) }, audit: audit('backup', name, rows.map((r) => r.version)) };
    } finally {
      wipe(plaintext);
    }
  }

  /**
   * Opens a backup sealed to this vault's KEM key and signed by one of `trusted` (default
   * this vault's own signature keys), and stores the key under its name or `name`, each
   * version re-sealed at rest here. An existing key is replaced only with `force`.
   */
  restore(backup: string, req: RestoreRequest = {}): TransitResult<TransitKeyInfo> {
    checkOptions(req, ['name', 'force', 'trusted'], 'restore');
    const force = optBool('force', req.force) ?? false;
    if (req.name !== undefined) checkName(req.name);
    const keyring = this.sealed.keyring();
    const envelope = decodeBase64(backup);
    if (envelope === undefined) throw new VaultError('OV_TRANSIT_BACKUP_INVALID');
    if (req.trusted !== undefined && !Array.isArray(req.trusted)) throw arg('trusted');
    const trusted = req.trusted?.map((k, i) => this.#publicKey(`trusted.${i}`, k, 'sig-public')) ?? vaultVerifyKeys(keyring);
    let plaintext: Uint8Array;
    try {
      plaintext = openWith(this.provider, {
        envelope,
        context: TRANSIT_BACKUP_LABEL,
        verify: trusted,
        key: (header) => {
          if (!header.signed) throw new VaultError('OV_TRANSIT_BACKUP_INVALID');
          return keyring.get('kem', header.keyVersion);
        },
      });
    } catch (e) {
      if (e instanceof VaultError && (e.code === 'OV_SEALED' || e.code === 'OV_KEY_INVALID')) throw e;
      throw new VaultError('OV_TRANSIT_BACKUP_INVALID');
    }
    const materials: { version: number; createdAt: number; material: TransitMaterial }[] = [];
    let body: BackupBody;
    try {
      body = parseBackup(plaintext);
      for (const v of body.versions) {
        const raw = decodeBase64(v.key);
        const m = raw === undefined ? undefined : decodeMaterial(this.provider, body.type, v.version, raw);
        wipe(raw);
        if (m === undefined) throw new VaultError('OV_TRANSIT_BACKUP_INVALID');
        materials.push({ version: v.version, createdAt: v.created_at, material: m });
      }
    } finally {
      wipe(plaintext);
    }
    const name = req.name ?? body.name;
    try {
      this.storage.transaction(() => {
        if (this.storage.transit.getKey(name) !== undefined) {
          if (!force) throw new VaultError('OV_TRANSIT_KEY_EXISTS');
          this.storage.transit.deleteKey(name);
        }
        this.storage.transit.insertKey({
          name,
          type: body.type,
          latestVersion: body.latest_version,
          minDecryptionVersion: body.min_decryption_version,
          minEncryptionVersion: body.min_encryption_version,
          deletionAllowed: body.deletion_allowed,
          exportable: body.exportable,
          allowPlaintextBackup: body.allow_plaintext_backup,
          createdAt: body.created_at,
          updatedAt: this.#now(),
        });
        for (const m of materials) {
          const bytes = encodeMaterial(m.material);
          try {
            this.#insertVersion(name, m.version, m.material, bytes, m.createdAt);
          } finally {
            wipe(bytes);
          }
        }
      });
    } finally {
      for (const m of materials) wipeMaterial(m.material);
    }
    return { data: this.read(name).data, audit: audit('restore', name, materials.map((m) => m.version)) };
  }

  // ---- internals ------------------------------------------------------------------------

  /** Opens version `version` of `key` from its sealed record; the caller wipes the result. */
  openVersion(key: Key, version: number): TransitMaterial {
    const row = this.storage.transit.getVersion(key.name, version);
    if (row === undefined) throw new VaultError('OV_TRANSIT_KEY_NOT_FOUND', { name: key.name, version });
    const binding = transitKeyBinding(key.name, version);
    const bytes = this.sealed.open(binding, row);
    try {
      const m = decodeMaterial(this.provider, key.type, version, bytes);
      if (m === undefined) throw binding.unreadable('material');
      // The clear public key of the row must be the sealed one's, or listings would lie.
      if (m.kind === 'asymmetric' && (row.publicKey === null || !constantTimeEqual(row.publicKey, m.key.publicKey))) {
        wipeMaterial(m);
        throw binding.unreadable('public key');
      }
      return m;
    } finally {
      wipe(bytes);
    }
  }

  #insertVersion(name: string, version: number, material: TransitMaterial, bytes: Uint8Array, now: number): void {
    const { envelope, kemVersion } = this.sealed.seal(transitKeyBinding(name, version), bytes);
    this.storage.transit.insertVersion({
      name,
      version,
      publicKey: material.kind === 'asymmetric' ? material.key.publicKey : null,
      envelope,
      kemVersion,
      createdAt: now,
    });
  }

  /** A public key given as such or as an armored key file; OV_KEY_INVALID unless of `kind`. */
  #publicKey(field: string, k: unknown, kind: PublicKeyInfo['kind']): PublicKeyInfo {
    const key = typeof k === 'string' ? decodeKey(dearmor(k, 'PUBLIC KEY'), this.provider) : k;
    if (!isRecord(key) || key['kind'] !== kind) throw new VaultError('OV_KEY_INVALID', { field });
    return key as unknown as PublicKeyInfo;
  }

  /** The key row, checked; with `purpose`, OV_TRANSIT_UNSUPPORTED_OPERATION for another type. */
  #key(name: string, purpose?: TransitPurpose | readonly TransitPurpose[]): Key {
    checkName(name);
    const row = this.storage.transit.getKey(name);
    if (row === undefined) throw new VaultError('OV_TRANSIT_KEY_NOT_FOUND', { name });
    if (!isTransitKeyType(row.type)) throw new VaultError('OV_STORAGE_CORRUPT', { table: 'transit_keys', column: 'type' });
    const allowed = purpose === undefined ? undefined : typeof purpose === 'string' ? [purpose] : purpose;
    if (allowed !== undefined && !allowed.includes(purposeOf(row.type))) throw new VaultError('OV_TRANSIT_UNSUPPORTED_OPERATION');
    return row as Key;
  }

  /** The version new output is made with: `requested` or the latest, at or above min_encryption_version. */
  #encryptionVersion(key: Key, requested: number | undefined): number {
    const v = requested ?? key.latestVersion;
    if (v > key.latestVersion) throw new VaultError('OV_TRANSIT_KEY_NOT_FOUND', { name: key.name, version: v });
    if (v < key.minEncryptionVersion || v < key.minDecryptionVersion) throw new VaultError('OV_TRANSIT_VERSION_RETIRED', { version: v });
    return v;
  }

  /** The version a ciphertext, signature or HMAC claims, checked against the key. */
  #decryptionVersion(key: Key, version: number): number {
    if (version < key.minDecryptionVersion) throw new VaultError('OV_TRANSIT_VERSION_RETIRED', { version });
    if (version > key.latestVersion) throw invalidCiphertext();
    return version;
  }

  #encryptWith(key: Key, opened: Opened, version: number, plaintext: Uint8Array, ad: Uint8Array | undefined): { data: CiphertextResponse; version: number } {
    const sk = asymmetric(opened.get(version));
    const envelope = seal(this.provider, { to: publicKeyOf(sk), plaintext, context: ciphertextContext(key.name, version, ad) });
    return { data: { ciphertext: encodeValue(version, envelope), key_version: version }, version };
  }

  #decryptWith(key: Key, opened: Opened, ciphertext: unknown, ad: Uint8Array | undefined): { version: number; plaintext: Uint8Array } {
    const parsed = parseValue(ciphertext);
    if (parsed === undefined) throw invalidCiphertext();
    const version = this.#decryptionVersion(key, parsed.version);
    let m: TransitMaterial;
    try {
      m = opened.get(version);
    } catch (e) {
      // A version trimmed away reads as a ciphertext that does not open.
      if (e instanceof VaultError && e.code === 'OV_TRANSIT_KEY_NOT_FOUND') throw invalidCiphertext();
      throw e;
    }
    try {
      return { version, plaintext: open(this.provider, { envelope: parsed.body, key: asymmetric(m), context: ciphertextContext(key.name, version, ad) }) };
    } catch (e) {
      if (e instanceof VaultError && e.code === 'OV_ENVELOPE_TOO_LARGE') throw e;
      throw invalidCiphertext();
    }
  }

  #mac(type: TransitKeyType, key: Uint8Array, input: Uint8Array): Uint8Array {
    return type === 'hmac-sha3-256' ? hmacSha3_256(key, input) : hmacSha2('SHA-256', key, input);
  }

  /** The shared shape of the item operations: one key lookup, per-item errors in a batch. */
  #run<R>(
    operation: string,
    name: string,
    req: unknown,
    purpose: TransitPurpose | readonly TransitPurpose[],
    keys: readonly string[],
    /** `from`: a second version the item used (rewrap's source). */
    one: (key: Key, opened: Opened, item: Record<string, unknown>) => { data: R; version: number; from?: number },
  ): TransitResult<R | BatchResult<R>> {
    const key = this.#key(name, purpose);
    const { items, batch } = itemsOf(req, keys, operation);
    this.sealed.keyring();
    const opened = new Opened(this, key);
    const versions = new Set<number>();
    try {
      if (!batch) {
        const { data, version, from } = one(key, opened, items[0] as Record<string, unknown>);
        versions.add(version);
        if (from !== undefined) versions.add(from);
        return { data, audit: audit(operation, name, [...versions]) };
      }
      let errors = 0;
      const results = items.map((item, i): R | BatchError => {
        try {
          if (!isRecord(item)) throw arg(`batch_input.${i}`);
          checkOptions(item, keys, `batch_input.${i}`);
          const { data, version, from } = one(key, opened, item);
          versions.add(version);
          if (from !== undefined) versions.add(from);
          return data;
        } catch (e) {
          errors++;
          return toBatchError(e);
        }
      });
      return { data: { batch_results: results }, audit: { ...audit(operation, name, [...versions]), count: items.length, errors } };
    } finally {
      opened.wipe();
    }
  }
}

interface BackupVersion {
  version: number;
  created_at: number;
  key: string;
}

interface BackupBody {
  format: 1;
  name: string;
  type: TransitKeyType;
  latest_version: number;
  min_decryption_version: number;
  min_encryption_version: number;
  deletion_allowed: boolean;
  exportable: boolean;
  allow_plaintext_backup: boolean;
  created_at: number;
  versions: BackupVersion[];
}

const BACKUP_KEYS = [
  'format',
  'name',
  'type',
  'latest_version',
  'min_decryption_version',
  'min_encryption_version',
  'deletion_allowed',
  'exportable',
  'allow_plaintext_backup',
  'created_at',
  'versions',
];

/** Strict parse of a backup's plaintext; anything off is OV_TRANSIT_BACKUP_INVALID. */
function parseBackup(plaintext: Uint8Array): BackupBody {
  const bad = (): VaultError => new VaultError('OV_TRANSIT_BACKUP_INVALID');
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch {
    throw bad();
  }
  if (!isRecord(v) || Object.keys(v).some((k) => !BACKUP_KEYS.includes(k)) || v['format'] !== 1) throw bad();
  const int = (x: unknown, min: number): number => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min) throw bad();
    return x;
  };
  const bool = (x: unknown): boolean => {
    if (typeof x !== 'boolean') throw bad();
    return x;
  };
  if (typeof v['name'] !== 'string') throw bad();
  try {
    checkName(v['name']);
  } catch {
    throw bad();
  }
  if (!isTransitKeyType(v['type'])) throw bad();
  const latest = int(v['latest_version'], 1);
  const minDec = int(v['min_decryption_version'], 1);
  const minEnc = int(v['min_encryption_version'], 0);
  if (minDec > latest || minEnc > latest) throw bad();
  const list = v['versions'];
  if (!Array.isArray(list) || list.length === 0) throw bad();
  const versions: BackupVersion[] = [];
  let prev = 0;
  for (const item of list) {
    if (!isRecord(item) || Object.keys(item).some((k) => !['version', 'created_at', 'key'].includes(k))) throw bad();
    const version = int(item['version'], 1);
    if (version <= prev || version > latest || typeof item['key'] !== 'string') throw bad();
    prev = version;
    versions.push({ version, created_at: int(item['created_at'], 0), key: item['key'] });
  }
  if (prev !== latest || (versions[0] as BackupVersion).version > minDec) throw bad();
  return {
    format: 1,
    name: v['name'],
    type: v['type'],
    latest_version: latest,
    min_decryption_version: minDec,
    min_encryption_version: minEnc,
    deletion_allowed: bool(v['deletion_allowed']),
    exportable: bool(v['exportable']),
    allow_plaintext_backup: bool(v['allow_plaintext_backup']),
    created_at: int(v['created_at'], 0),
    versions,
  };
}

function audit(operation: string, name: string, versions: number[]): TransitAudit {
  return { operation, name, versions: [...new Set(versions)].sort((a, b) => a - b), count: 1, errors: 0 };
}

function asymmetric(m: TransitMaterial): SecretKeyInfo {
  if (m.kind !== 'asymmetric') throw new VaultError('OV_TRANSIT_UNSUPPORTED_OPERATION');
  return m.key;
}

function wipeMaterial(m: TransitMaterial): void {
  wipe(m.kind === 'hmac' ? m.key : m.key.secretKey);
}

function armorSecret(sk: SecretKeyInfo): string {
  const bytes = encodeKey(sk);
  try {
    return armor('SECRET KEY', bytes);
  } finally {
    wipe(bytes);
  }
}

/** `prehashed` of a sign or verify item: only ML-DSA, only SHA-512 (`hash_algorithm` `sha2-512`). */
function checkPrehash(key: Key, item: Record<string, unknown>): boolean {
  const prehashed = optBool('prehashed', item['prehashed']) ?? false;
  const hash = item['hash_algorithm'];
  if (hash !== undefined && (typeof hash !== 'string' || hash !== 'sha2-512')) throw new VaultError('OV_TRANSIT_PREHASH_UNSUPPORTED', { field: 'hash_algorithm' });
  if (prehashed && key.type === 'falcon-512') throw new VaultError('OV_TRANSIT_PREHASH_UNSUPPORTED');
  return prehashed;
}

function checkNoPrehash(item: Record<string, unknown>): false {
  if (item['prehashed'] !== undefined || item['hash_algorithm'] !== undefined) throw new VaultError('OV_TRANSIT_PREHASH_UNSUPPORTED');
  return false;
}

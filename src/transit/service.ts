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
 *
 * The work is split by job: ./lifecycle.ts, ./crypto-ops.ts, ./sign-ops.ts and
 * ./portability.ts, over ./material.ts (key versions at rest) and ./batch.ts.
 * @module
 */
import type { CryptoProvider } from '../crypto/types.js';
import { checkOptions } from '../util/options.js';
import { SealedRecords } from '../keyring/sealed-records.js';
import type { Storage } from '../storage/types.js';
import { TransitKeyCache } from './cache.js';
import * as cryptoOps from './crypto-ops.js';
import type { TransitMaterial } from './keys.js';
import * as lifecycle from './lifecycle.js';
import { openVersion, type Key, type TransitContext } from './material.js';
import * as portability from './portability.js';
import * as signOps from './sign-ops.js';
import type {
  BackupRequest,
  BatchResult,
  Batchable,
  CiphertextResponse,
  ConfigRequest,
  CreateRequest,
  DatakeyRequest,
  DatakeyResponse,
  DecryptItem,
  EncryptItem,
  ExportResponse,
  ExportType,
  HmacItem,
  HmacResponse,
  PlaintextResponse,
  RestoreRequest,
  RewrapItem,
  SignItem,
  SignatureResponse,
  TransitKeyInfo,
  TransitResult,
  TransitServiceOptions,
  VerifyItem,
  VerifyResponse,
} from './types.js';

export { transitKeyBinding } from './material.js';
export type {
  BackupRequest,
  BatchError,
  BatchResult,
  Batchable,
  CiphertextResponse,
  ConfigRequest,
  CreateRequest,
  DatakeyRequest,
  DatakeyResponse,
  DecryptItem,
  EncryptItem,
  ExportResponse,
  ExportType,
  HmacItem,
  HmacResponse,
  PlaintextResponse,
  RestoreRequest,
  RewrapItem,
  SignItem,
  SignatureResponse,
  TransitAudit,
  TransitKeyInfo,
  TransitResult,
  TransitServiceOptions,
  VerifyItem,
  VerifyResponse,
} from './types.js';

export class TransitService {
  readonly storage: Storage;
  readonly provider: CryptoProvider;
  readonly sealed: SealedRecords;
  /** Opened key versions, checked against the row's envelope bytes on every use; wipe on seal. */
  readonly cache: TransitKeyCache;
  readonly #ctx: TransitContext;

  constructor(opts: TransitServiceOptions) {
    checkOptions(opts, ['storage', 'provider', 'keyring', 'signature', 'now', 'sealed', 'cacheBytes'], 'TransitService');
    this.storage = opts.storage;
    this.provider = opts.provider;
    this.sealed = opts.sealed ?? new SealedRecords({ provider: opts.provider, keyring: opts.keyring, signature: opts.signature });
    this.cache = new TransitKeyCache(opts.cacheBytes);
    this.#ctx = { storage: this.storage, provider: this.provider, sealed: this.sealed, now: opts.now, cache: this.cache };
  }

  // ---- key management -------------------------------------------------------------------

  /**
   * Creates key `name` (default type `xwing`) with version 1. Creating an existing key of
   * the same type changes nothing and returns it (Vault's behaviour); another type is
   * OV_TRANSIT_KEY_EXISTS.
   */
  create(name: string, req: CreateRequest = {}): TransitResult<TransitKeyInfo> {
    return lifecycle.create(this.#ctx, name, req);
  }

  /** The key's public description. */
  read(name: string): TransitResult<TransitKeyInfo> {
    return lifecycle.read(this.#ctx, name);
  }

  /** Every key name, in byte order. */
  list(): string[] {
    return lifecycle.list(this.#ctx);
  }

  /** Adds a version; new encryptions, signatures and HMACs use it. */
  rotate(name: string): TransitResult<TransitKeyInfo> {
    return lifecycle.rotate(this.#ctx, name);
  }

  /**
   * Changes settings, as Vault's config: the minimum versions (within the stored ones;
   * `min_encryption_version` 0 means the latest), `deletion_allowed` either way,
   * `exportable` and `allow_plaintext_backup` only from false to true.
   */
  config(name: string, req: ConfigRequest): TransitResult<TransitKeyInfo> {
    return lifecycle.config(this.#ctx, name, req);
  }

  /** Deletes the key and every version; only when `deletion_allowed`. */
  delete(name: string): TransitResult<{ deleted: true }> {
    return lifecycle.deleteKey(this.#ctx, name);
  }

  /**
   * Vault's trim: deletes the versions below `min_available_version`, which may not exceed
   * `min_decryption_version` nor a non-zero `min_encryption_version`. Irreversible.
   */
  trim(name: string, req: { min_available_version: number }): TransitResult<{ trimmed: number }> {
    return lifecycle.trim(this.#ctx, name, req);
  }

  // ---- encryption -----------------------------------------------------------------------

  encrypt(name: string, req: EncryptItem): TransitResult<CiphertextResponse>;
  encrypt(name: string, req: { batch_input: EncryptItem[] }): TransitResult<BatchResult<CiphertextResponse>>;
  encrypt(name: string, req: Batchable<EncryptItem>): TransitResult<CiphertextResponse | BatchResult<CiphertextResponse>> {
    return cryptoOps.encrypt(this.#ctx, name, req);
  }

  decrypt(name: string, req: DecryptItem): TransitResult<PlaintextResponse>;
  decrypt(name: string, req: { batch_input: DecryptItem[] }): TransitResult<BatchResult<PlaintextResponse>>;
  decrypt(name: string, req: Batchable<DecryptItem>): TransitResult<PlaintextResponse | BatchResult<PlaintextResponse>> {
    return cryptoOps.decrypt(this.#ctx, name, req);
  }

  /** Decrypts and re-encrypts under the latest version (or `key_version`); the plaintext never leaves. */
  rewrap(name: string, req: RewrapItem): TransitResult<CiphertextResponse>;
  rewrap(name: string, req: { batch_input: RewrapItem[] }): TransitResult<BatchResult<CiphertextResponse>>;
  rewrap(name: string, req: Batchable<RewrapItem>): TransitResult<CiphertextResponse | BatchResult<CiphertextResponse>> {
    return cryptoOps.rewrap(this.#ctx, name, req);
  }

  /** A fresh random key (`bits`, default 256) encrypted under the key; its plaintext only when asked. */
  datakey(name: string, req: DatakeyRequest = {}): TransitResult<DatakeyResponse> {
    return cryptoOps.datakey(this.#ctx, name, req);
  }

  // ---- signatures and HMACs -------------------------------------------------------------

  /**
   * Signs `input` (base64): pure ML-DSA / Falcon over the message, or with `prehashed`,
   * HashML-DSA-SHA512 over `input` taken as the SHA-512 digest of the message.
   */
  sign(name: string, req: SignItem): TransitResult<SignatureResponse>;
  sign(name: string, req: { batch_input: SignItem[] }): TransitResult<BatchResult<SignatureResponse>>;
  sign(name: string, req: Batchable<SignItem>): TransitResult<SignatureResponse | BatchResult<SignatureResponse>> {
    return signOps.sign(this.#ctx, name, req);
  }

  /** Checks a `signature` (signing keys) or an `hmac` (HMAC keys) over `input`; a mismatch is `valid: false`. */
  verify(name: string, req: VerifyItem): TransitResult<VerifyResponse>;
  verify(name: string, req: { batch_input: VerifyItem[] }): TransitResult<BatchResult<VerifyResponse>>;
  verify(name: string, req: Batchable<VerifyItem>): TransitResult<VerifyResponse | BatchResult<VerifyResponse>> {
    return signOps.verify(this.#ctx, name, req);
  }

  /** HMAC of `input` (base64) under the key (`hmac-sha256` or `hmac-sha3-256`). */
  hmac(name: string, req: HmacItem): TransitResult<HmacResponse>;
  hmac(name: string, req: { batch_input: HmacItem[] }): TransitResult<BatchResult<HmacResponse>>;
  hmac(name: string, req: Batchable<HmacItem>): TransitResult<HmacResponse | BatchResult<HmacResponse>> {
    return signOps.hmac(this.#ctx, name, req);
  }

  // ---- export, backup, restore ----------------------------------------------------------

  /**
   * The key's secret material, for exportable keys only: every stored version, or `version`.
   * Asymmetric keys come as `ONTOREF SECRET KEY` files (so `vault envelope open` opens a
   * transit ciphertext offline, with the transit context); HMAC keys as base64.
   */
  export(type: ExportType, name: string, version?: number): TransitResult<ExportResponse> {
    return portability.exportKey(this.#ctx, type, name, version);
  }

  /**
   * A backup of every stored version and the key's settings, sealed to another vault's KEM
   * public key (`recipient`) and signed by this vault: the key material is readable only
   * by that vault, and only a vault that trusts this one's signature keys restores it.
   * Allowed only for keys with `allow_plaintext_backup` (the material leaves this vault).
   */
  backup(name: string, req: BackupRequest): TransitResult<{ backup: string }> {
    return portability.backup(this.#ctx, name, req);
  }

  /**
   * Opens a backup sealed to this vault's KEM key and signed by one of `trusted` (default
   * this vault's own signature keys), and stores the key under its name or `name`, each
   * version re-sealed at rest here. An existing key is replaced only with `force`.
   */
  restore(backup: string, req: RestoreRequest = {}): TransitResult<TransitKeyInfo> {
    return portability.restore(this.#ctx, backup, req);
  }

  /** Opens version `version` of `key` from its sealed record; the caller wipes the result. */
  openVersion(key: Key, version: number): TransitMaterial {
    return openVersion(this.#ctx, key, version);
  }
}

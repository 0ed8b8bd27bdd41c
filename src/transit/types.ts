/**
 * The transit service's request, response and option types, in Vault's transit field
 * names (base64 plaintexts and inputs, `batch_input`, `key_version`, ...).
 * @module
 */
import type { CryptoProvider } from '../crypto/types.js';
import type { PublicKeyInfo } from '../envelope/keys.js';
import type { ErrorCode } from '../errors.js';
import type { Keyring } from '../keyring/keyring.js';
import type { SealedRecords, SignatureChoice } from '../keyring/sealed-records.js';
import type { Storage } from '../storage/types.js';
import type { TransitKeyType } from './keys.js';

export interface TransitServiceOptions {
  readonly storage: Storage;
  readonly provider: CryptoProvider;
  /** The open keyring; undefined while sealed. */
  readonly keyring: () => Keyring | undefined;
  readonly signature: SignatureChoice;
  readonly now: () => number;
  /** The vault's sealed records; default one built from `provider`, `keyring` and `signature`. */
  readonly sealed?: SealedRecords;
  /** Bound of the opened-version cache in bytes (default 8 MiB); 0 opens every version on every call. */
  readonly cacheBytes?: number;
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

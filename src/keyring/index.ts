/**
 * The keyring's public surface: versioned vault keys wrapped under the root key
 * (./keyring.ts), the read-only views that need no root key (a sealed daemon's key
 * listing, `vault audit verify` offline), the sealed records every store of the vault's
 * own data seals rows with (./sealed-records.ts), the one rewrap loop
 * (./rewrap-loop.ts) and key rotation (./rotation.ts).
 * @module
 */
export {
  KEY_NAMES,
  KEYRING_LABEL,
  Keyring,
  SYMMETRIC_ALG,
  SYMMETRIC_KEY_BYTES,
  describeKeyring,
  isKeyringName,
  keyringPublicKeys,
  type AsymmetricKeyName,
  type CreateKeyringOptions,
  type KeyName,
  type KeyPolicy,
  type KeyVersionInfo,
  type SymmetricKeyName,
} from './keyring.js';
export type { PublicKeyInfo, SecretKeyInfo } from '../envelope/keys.js';
export {
  SealedRecords,
  vaultSigner,
  vaultVerifyKeys,
  type SealedBinding,
  type SealedRecordsOptions,
  type SealedRow,
  type SignatureChoice,
} from './sealed-records.js';
export {
  DEFAULT_REWRAP_BATCH,
  MAX_REWRAP_BATCH,
  rewrapAll,
  rewrapBatch,
  type RewrapBatchOptions,
  type RewrapBatchResult,
  type RewrapOptions,
  type RewrapProgress,
  type RewrapResult,
  type RewrapRow,
  type RewrapSource,
} from './rewrap-loop.js';
export { KeyRotation, type KeyRewrapOptions, type KeyRewrapResult, type KeyRotationDeps } from './rotation.js';

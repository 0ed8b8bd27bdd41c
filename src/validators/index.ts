/**
 * Validator keys: formats (EIP-2335 keystores, CometBFT key and state files, Solana
 * keypairs, EIP-3076 interchange), key generation and derivation (EIP-2333/2334,
 * BIP-39), and bulk work with per-item results. Everything exported above the marker
 * below is pure (no storage, no clock, no SQLite), so it loads under any Node version.
 * @module
 */
export type { Chain, KeyType, ParsedKdf, ParsedKeystore, ValidatorKey } from './types.js';
export { CHAINS, KEY_TYPE } from './types.js';
export {
  KDF_LIMITS,
  KEYSTORE_DEFAULTS,
  MAX_KEYSTORE_CHARS,
  checkBlsKey,
  decryptKeystore,
  encryptKeystore,
  keystorePassword,
  parseKeystore,
  type EncryptKeystoreOptions,
} from './formats/eip2335.js';
export {
  cosmosAddress,
  exportCosmosKey,
  exportCosmosState,
  parseCosmosKey,
  parseCosmosState,
  type CosmosSigningState,
} from './formats/cosmos.js';
export { exportSolanaKeypair, parseSolanaKeypair, solanaAddress } from './formats/solana.js';
export { formatPublicKey, parsePublicKey } from './formats/pubkey.js';
export { deriveEth2Key, eth2SigningPath, generateKey, mnemonicToSeed } from './keygen.js';
export { runBulk, type BulkItem, type BulkOptions, type BulkResult } from './bulk.js';
export {
  MAX_INTERCHANGE_CHARS,
  interchangeFor,
  parseInterchange,
  watermarksFrom,
  type EthWatermark,
  type Interchange,
  type InterchangeAttestation,
  type InterchangeBlock,
} from './interchange.js';
export { carryOver, compareHrs, ethState, ethWatermark, initialSigningState, mergeWatermarks, raiseSigningState, sameState } from './signing-state.js';

// ---- service, records, keystore envelopes ---------------------------------------------
// These reach storage and the keyring only through type contracts, so nothing
// re-exported here loads better-sqlite3.
export {
  GENESIS_HASH,
  RECORD_ACTIONS,
  RECORD_LABEL,
  parseRecord,
  recordHash,
  recordMessage,
  recordText,
  signRecord,
  verifyValidatorHistory,
  type HistoryResult,
  type RecordAction,
  type RecordFields,
  type SigningStateJson,
  type ValidatorRecord,
} from './records.js';
export {
  openValidatorSecret,
  sealValidatorSecret,
  validatorKeyBinding,
  validatorKeyContext,
  validatorRewrapSource,
  type SealedValidatorSecret,
} from './keystore-envelope.js';
export {
  MAX_BULK_ITEMS,
  MAX_MAP_ENTRIES,
  MIN_EXPORT_PASSWORD,
  SLOT_NAME_RE,
  ValidatorService,
  NETWORK_NAMES,
  NETWORK_ROOTS,
  networkRoot,
  type NetworkName,
  type InterchangeImportItem,
  type InterchangeImportResult,
  decodeMaterial,
  type BulkImportItem,
  type BulkImportResult,
  type CreateSlotInput,
  type ExportFormat,
  type ImportFormat,
  type KeyMaterialInput,
  type KeyView,
  type KeymanagerDeleteResult,
  type KeymanagerImportResult,
  type PublicKeyState,
  type SlotView,
  type ValidatorServiceDeps,
} from './service.js';

/**
 * The transit engine's public surface: the service (./service.ts), key types (./keys.ts),
 * the wire and binding formats (./format.ts) and the rewrap source (./rewrap.ts). See docs/transit.md.
 * @module
 */
export {
  TRANSIT_BACKUP_LABEL,
  TRANSIT_CIPHERTEXT_LABEL,
  TRANSIT_KEY_LABEL,
  TRANSIT_NAME_PATTERN,
  checkName,
  ciphertextContext,
  encodeValue,
  parseValue,
  transitKeyContext,
} from './format.js';
export { transitRewrapSource } from './rewrap.js';
export { DEFAULT_TRANSIT_CACHE_BYTES, TransitKeyCache, type TransitCacheStats } from './cache.js';
export { TRANSIT_KEY_TYPES, isTransitKeyType, type TransitKeyType, type TransitPurpose } from './keys.js';
export {
  TransitService,
  transitKeyBinding,
  type BackupRequest,
  type BatchError,
  type BatchResult,
  type Batchable,
  type CiphertextResponse,
  type ConfigRequest,
  type CreateRequest,
  type DatakeyRequest,
  type DatakeyResponse,
  type DecryptItem,
  type EncryptItem,
  type ExportResponse,
  type ExportType,
  type HmacItem,
  type HmacResponse,
  type PlaintextResponse,
  type RestoreRequest,
  type RewrapItem,
  type SignItem,
  type SignatureResponse,
  type TransitAudit,
  type TransitKeyInfo,
  type TransitResult,
  type TransitServiceOptions,
  type VerifyItem,
  type VerifyResponse,
} from './service.js';

/**
 * The versioned secrets: the service (./service.ts), the at-rest binding of a version
 * (./sealing.ts, over the keyring's sealed records), the read cache (./cache.ts), path
 * rules (./path.ts) and rewrap (./rewrap.ts). The HTTP routes are in src/http/routes/secrets.ts.
 * @module
 */
export { ReadCache } from './cache.js';
export { FIELD_NAME, MAX_FIELDS, listRange, parseSecretPath, rawPathAfter } from './path.js';
export {
  DEFAULT_REWRAP_BATCH,
  MAX_REWRAP_BATCH,
  rewrap,
  rewrapBatch,
  secretRewrapSource,
  type RewrapBatchOptions,
  type RewrapBatchResult,
  type RewrapOptions,
  type RewrapResult,
} from './rewrap.js';
export {
  SECRET_CONTEXT_LABEL,
  openSecret,
  sealSecret,
  secretBinding,
  secretContext,
  secretSigner,
  vaultVerifyKeys,
  type SecretBinding,
  type SecretSignature,
} from './sealing.js';
export {
  DEFAULT_CACHE_BYTES,
  DEFAULT_LIST_LIMIT,
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_MAX_VERSIONS,
  MAX_LIST_LIMIT,
  MAX_MAX_VERSIONS,
  SecretService,
  type ListOptions,
  type ListResult,
  type MetadataPatch,
  type ReadResult,
  type SecretMetadata,
  type SecretServiceOptions,
  type SecretValue,
  type WriteResult,
} from './service.js';

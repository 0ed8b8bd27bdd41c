/**
 * The seal: the root key, its protection at rest and the sealed/unsealed state machine
 * (ADR 0003). The daemon builds one SealManager over its MetaStore.
 * @module
 */
export {
  DEFAULT_SHARES,
  DEFAULT_THRESHOLD,
  PASSPHRASE_MAX_BYTES,
  PASSPHRASE_MIN_CHARS,
  SealManager,
  type InitOptions,
  type InitResult,
  type SealListener,
  type SealStatus,
} from './seal-manager.js';
export { DEFAULT_PASSPHRASE_KDF, ROOT_KEY_BYTES, SEAL_META_NAME, SEAL_MODES, parseSealConfig, type SealMode } from './rootkey.js';
export { KEY_FILE_BYTES, readUnsealKeyFile } from './keyfile.js';
export { SHARE_PREFIX, decodeShare } from './shares.js';

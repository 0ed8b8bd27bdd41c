/**
 * The keyring's public surface: versioned vault keys wrapped under the root key
 * (./keyring.ts), plus the read-only views that need no root key (a sealed daemon's key
 * listing, `vault audit verify` offline).
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

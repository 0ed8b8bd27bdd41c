/**
 * age v1 files (c2sp.org/age) both ways, and age's key strings: the public surface of
 * ./age/. Two recipient types: the post-quantum `mlkem768x25519` (X-Wing, the KEM of the
 * vault's own envelopes, so an X-Wing vault key is an age identity) and classic `X25519`.
 * Pure bytes in, bytes out; docs/age.md covers interoperability.
 * @module
 */
export {
  AGE_IDENTITY_HRP,
  AGE_IDENTITY_LENGTH,
  AGE_RECIPIENT_HRP,
  AGE_RECIPIENT_LENGTH,
  AGE_X25519_IDENTITY_HRP,
  AGE_X25519_LENGTH,
  AGE_X25519_RECIPIENT_HRP,
  ageIdentitySecret,
  decodeAgeIdentity,
  decodeAgeRecipient,
  encodeAgeIdentity,
  encodeAgeRecipient,
  encodeAgeX25519Identity,
  encodeAgeX25519Recipient,
  looksLikeAgeIdentityFile,
  looksLikeAgeRecipient,
  parseAgeIdentity,
  parseAgeIdentityFile,
  parseAgeRecipient,
  type AgeIdentity,
  type AgeRecipient,
} from './age/keys.js';
export { armorAgeFile, dearmorAgeFile } from './age/armor.js';
export type { AgeFailure } from './age/fail.js';
export { isAgeFile, openAgeFile, sealAgeFile, type AgeOpenOptions, type AgeSealOptions } from './age/file.js';

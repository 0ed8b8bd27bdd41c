/**
 * The envelope library's public surface (docs/format.md): key files, armor, sealing and
 * opening envelopes, detached signatures, age v1 files (docs/age.md). Pure bytes in,
 * bytes out: no I/O, no clock, no environment. Deterministic sealing for vectors lives in
 * internal.ts and is deliberately not exported here.
 * @module
 */
export type { KeyAlg, SuiteName } from './format.js';
export { DEFAULT_MAX_ENVELOPE, MAX_CONTEXT, MAX_PLAINTEXT, SUITES } from './format.js';
export type { PublicKeyInfo, SecretKeyInfo } from './keys.js';
export { decodeKey, encodeKey, generateKey, keyIdHex, publicKeyOf } from './keys.js';
export type { ArmorLabel } from './armor.js';
export { armor, dearmor, isArmored, readMaybeArmored } from './armor.js';
export type { EnvelopeHeader, EnvelopeInfo, OpenOptions, OpenWithOptions, SealOptions } from './envelope.js';
export { inspect, open, openWith, seal } from './envelope.js';
export { signDetached, verifyDetached } from './signature.js';
export type { AgeIdentity, AgeOpenOptions, AgeRecipient, AgeSealOptions } from './age.js';
export { isAgeFile, openAgeFile, parseAgeIdentity, parseAgeIdentityFile, parseAgeRecipient, sealAgeFile } from './age.js';

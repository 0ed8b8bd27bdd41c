/**
 * The crypto layer's public surface: provider selection, the HPKE AEADs, X25519 and
 * byte helpers. Everything above src/crypto reaches primitives only through these exports
 * and the interfaces in types.ts; no other directory imports @noble/* or node:crypto
 * primitives.
 * @module
 */
export type * from './types.js';
export { aead, aeadById } from './aead.js';
export { concatBytes, constantTimeEqual, randomBytes, utf8, wipe } from './bytes.js';
export { getProvider, nativeAvailable, selectProvider, type ProviderRequest } from './provider.js';
export { x25519, x25519Keygen, x25519PublicKey, X25519_LENGTH } from './x25519.js';

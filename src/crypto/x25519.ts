/**
 * X25519 (RFC 7748) Diffie-Hellman through node:crypto, for age's classic `X25519`
 * recipient type: key pairs from 32-byte secrets and shared secrets. X-Wing uses X25519
 * inside the providers; this is the bare function for protocols that need it alone.
 *
 * A shared secret that comes out all zero (the peer sent a low-order point) is refused
 * with OV_KEY_INVALID, as RFC 7748 section 6.1 allows and age requires: it would make the
 * derived key independent of our secret.
 * @module
 */
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { VaultError } from '../errors.js';
import { concatBytes, expectBytes, ownBytes, randomBytes } from './bytes.js';
import type { KeyPair } from './types.js';

export const X25519_LENGTH = 32;

// RFC 8410: PKCS#8 wrapping of a raw 32-byte X25519 private key.
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);

function privateKey(secret: Uint8Array): KeyObject {
  expectBytes(secret, X25519_LENGTH, 'OV_KEY_INVALID', 'secretKey');
  const der = concatBytes(PKCS8_PREFIX, secret);
  try {
    return createPrivateKey({ key: Buffer.from(der.buffer, der.byteOffset, der.byteLength), format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

function publicKey(u: Uint8Array): KeyObject {
  expectBytes(u, X25519_LENGTH, 'OV_KEY_INVALID', 'publicKey');
  const x = Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64url');
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
}

function rawPublic(key: KeyObject): Uint8Array {
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string') throw new VaultError('OV_KEY_INVALID', { field: 'publicKey' });
  return ownBytes(Buffer.from(jwk.x, 'base64url'));
}

/** X25519(secret, basepoint). */
export function x25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return rawPublic(createPublicKey(privateKey(secretKey)));
}

/** A key pair from `secretKey` (32 bytes) or from fresh CSPRNG output. */
export function x25519Keygen(secretKey?: Uint8Array): KeyPair {
  const sk = secretKey === undefined ? randomBytes(X25519_LENGTH) : new Uint8Array(secretKey);
  return { publicKey: x25519PublicKey(sk), secretKey: sk };
}

/** X25519(secret, peer); OV_KEY_INVALID for a malformed peer key or an all-zero result. */
export function x25519(secretKey: Uint8Array, peerPublicKey: Uint8Array): Uint8Array {
  const sk = privateKey(secretKey);
  let shared: Uint8Array;
  try {
    shared = ownBytes(diffieHellman({ privateKey: sk, publicKey: publicKey(peerPublicKey) }));
  } catch (cause) {
    // OpenSSL refuses the all-zero output of a low-order point itself.
    throw new VaultError('OV_KEY_INVALID', { field: 'publicKey' }, { cause });
  }
  let acc = 0;
  for (const b of shared) acc |= b;
  if (acc === 0) throw new VaultError('OV_KEY_INVALID', { field: 'publicKey' });
  return shared;
}

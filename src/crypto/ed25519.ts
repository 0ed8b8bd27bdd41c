/**
 * Ed25519 (RFC 8032) for Cosmos and Solana validator keys, through node:crypto, from a
 * 32-byte seed (the RFC's private key; both chains store the seed followed by the
 * public key). Also base58 (Bitcoin alphabet, @scure/base), which Solana uses for
 * addresses, kept here so that only src/crypto imports @scure/base.
 * @module
 */
import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { base58 } from '@scure/base';
import { ownBytes, randomBytes } from './bytes.js';

// DER prefixes of an Ed25519 PKCS#8 private key and SPKI public key (RFC 8410): the raw
// 32 bytes follow directly, so no ASN.1 parsing is needed in either direction.
const PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);
const SPKI_PREFIX = Uint8Array.from([0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00]);

function privateKeyObject(seed: Uint8Array): KeyObject {
  if (seed.length !== 32) throw new RangeError('ed25519: seed must be 32 bytes');
  const der = Buffer.alloc(PKCS8_PREFIX.length + 32);
  der.set(PKCS8_PREFIX, 0);
  der.set(seed, PKCS8_PREFIX.length);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== 32) throw new RangeError('ed25519: public key must be 32 bytes');
  const der = Buffer.alloc(SPKI_PREFIX.length + 32);
  der.set(SPKI_PREFIX, 0);
  der.set(publicKey, SPKI_PREFIX.length);
  return createPublicKey({ key: der, format: 'der', type: 'spki' });
}

/** A fresh random 32-byte seed. */
export function ed25519RandomSeed(): Uint8Array {
  return randomBytes(32);
}

/** The 32-byte public key of a 32-byte seed. */
export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  const spki = createPublicKey(privateKeyObject(seed)).export({ format: 'der', type: 'spki' });
  return ownBytes(spki.subarray(SPKI_PREFIX.length));
}

/** A 64-byte Ed25519 signature (deterministic, RFC 8032). */
export function ed25519Sign(message: Uint8Array, seed: Uint8Array): Uint8Array {
  return ownBytes(nodeSign(null, message, privateKeyObject(seed)));
}

/** Verifies an Ed25519 signature; malformed keys or signatures give false. */
export function ed25519Verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return nodeVerify(null, message, publicKeyObject(publicKey), signature);
  } catch {
    return false;
  }
}

/** base58 (Bitcoin alphabet), as Solana writes public keys. */
export function base58Encode(bytes: Uint8Array): string {
  return base58.encode(bytes);
}

/** Decodes base58; throws on characters outside the alphabet. */
export function base58Decode(text: string): Uint8Array {
  return base58.decode(text);
}

/**
 * age's text encodings of post-quantum keys, so an X-Wing vault key is byte for byte an
 * age `mlkem768x25519` identity (c2sp.org/age, age v1.3 hybrid recipient):
 *
 * - identity: Bech32 (BIP 173 checksum), HRP `AGE-SECRET-KEY-PQ-`, data = the 32-byte
 *   X-Wing seed, written in uppercase: `AGE-SECRET-KEY-PQ-1...`;
 * - recipient: Bech32, HRP `age1pq`, data = the 1216-byte X-Wing public key, lowercase:
 *   `age1pq1...`.
 *
 * Like age we use Bech32 without BIP 173's 90-character limit (a recipient is ~1960
 * characters). Decoding is strict and canonical: only the case age writes is accepted,
 * the HRP must match, the checksum must verify, padding bits must be zero and the length
 * must be exact; anything else is OV_KEY_INVALID. Re-encoding a decoded string gives the
 * same string.
 *
 * This module imports @scure/base for Bech32, an encoding rather than a primitive (an
 * agreed exception to "only src/crypto imports @scure/base"). Errors never carry the
 * decoder's message or cause: they quote the input, and an identity is a secret.
 * @module
 */
import { bech32 } from '@scure/base';
import { VaultError } from '../errors.js';

export const AGE_IDENTITY_HRP = 'AGE-SECRET-KEY-PQ-';
export const AGE_RECIPIENT_HRP = 'age1pq';
/** X-Wing seed (draft-connolly-cfrg-xwing-kem). */
export const AGE_IDENTITY_LENGTH = 32;
/** X-Wing public key: ML-KEM-768 encapsulation key (1184) || X25519 public key (32). */
export const AGE_RECIPIENT_LENGTH = 1216;

function encode(hrp: string, data: Uint8Array, expected: number): string {
  if (!(data instanceof Uint8Array) || data.length !== expected) {
    throw new VaultError('OV_KEY_INVALID', { expectedLength: expected });
  }
  return bech32.encode(hrp, bech32.toWords(data), false);
}

function decode(s: string, hrp: string, expected: number, upper: boolean): Uint8Array {
  // Canonical case only: bech32 itself accepts all-lower or all-upper, age writes one.
  if (typeof s !== 'string' || s !== (upper ? s.toUpperCase() : s.toLowerCase())) {
    throw new VaultError('OV_KEY_INVALID', { format: 'age' });
  }
  let prefix: string;
  let bytes: Uint8Array;
  try {
    const d = bech32.decode(s.toLowerCase() as `${string}1${string}`, false);
    prefix = d.prefix;
    bytes = bech32.fromWords(d.words); // rejects non-zero padding bits
  } catch {
    throw new VaultError('OV_KEY_INVALID', { format: 'age' });
  }
  if (prefix !== hrp.toLowerCase() || bytes.length !== expected) {
    throw new VaultError('OV_KEY_INVALID', { format: 'age' });
  }
  return bytes;
}

/** `AGE-SECRET-KEY-PQ-1...` for a 32-byte X-Wing seed. The result is a secret. */
export function encodeAgeIdentity(seed: Uint8Array): string {
  return encode(AGE_IDENTITY_HRP, seed, AGE_IDENTITY_LENGTH).toUpperCase();
}

/** The 32-byte X-Wing seed of an `AGE-SECRET-KEY-PQ-1...` string; OV_KEY_INVALID otherwise. */
export function decodeAgeIdentity(identity: string): Uint8Array {
  return decode(identity, AGE_IDENTITY_HRP, AGE_IDENTITY_LENGTH, true);
}

/** `age1pq1...` for a 1216-byte X-Wing public key. */
export function encodeAgeRecipient(publicKey: Uint8Array): string {
  return encode(AGE_RECIPIENT_HRP, publicKey, AGE_RECIPIENT_LENGTH);
}

/** The 1216-byte X-Wing public key of an `age1pq1...` string; OV_KEY_INVALID otherwise. */
export function decodeAgeRecipient(recipient: string): Uint8Array {
  return decode(recipient, AGE_RECIPIENT_HRP, AGE_RECIPIENT_LENGTH, false);
}

/** Cheap shape test used to tell a recipient string from a file name; not a validation. */
export function looksLikeAgeRecipient(s: string): boolean {
  return s.startsWith(`${AGE_RECIPIENT_HRP}1`);
}

/**
 * age's text encodings of keys (c2sp.org/age, "Native recipient types"):
 *
 * - post-quantum `mlkem768x25519`: identity `AGE-SECRET-KEY-PQ-1...` = Bech32 of the 32-byte
 *   X-Wing seed (uppercase); recipient `age1pq1...` = Bech32 of the 1216-byte X-Wing public
 *   key (lowercase). An X-Wing vault key is byte for byte such an identity.
 * - classic `X25519`: identity `AGE-SECRET-KEY-1...` = Bech32 of the 32-byte X25519 secret
 *   (uppercase); recipient `age1...` = Bech32 of the 32-byte public key (lowercase).
 *
 * Like age we use Bech32 without BIP 173's 90-character limit (a PQ recipient is ~1960
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
import { VaultError } from '../../errors.js';

export const AGE_IDENTITY_HRP = 'AGE-SECRET-KEY-PQ-';
export const AGE_RECIPIENT_HRP = 'age1pq';
export const AGE_X25519_IDENTITY_HRP = 'AGE-SECRET-KEY-';
export const AGE_X25519_RECIPIENT_HRP = 'age';
/** X-Wing seed (draft-connolly-cfrg-xwing-kem). */
export const AGE_IDENTITY_LENGTH = 32;
/** X-Wing public key: ML-KEM-768 encapsulation key (1184) || X25519 public key (32). */
export const AGE_RECIPIENT_LENGTH = 1216;
/** X25519 secret and public keys. */
export const AGE_X25519_LENGTH = 32;

function encode(hrp: string, data: Uint8Array, expected: number): string {
  if (!(data instanceof Uint8Array) || data.length !== expected) {
    throw new VaultError('OV_KEY_INVALID', { expectedLength: expected });
  }
  return bech32.encode(hrp, bech32.toWords(data), false);
}

/** Prefix and bytes of a canonical-case Bech32 string; OV_KEY_INVALID otherwise. */
function decodeAny(s: string, upper: boolean): { prefix: string; bytes: Uint8Array } {
  // Canonical case only: bech32 itself accepts all-lower or all-upper, age writes one.
  if (typeof s !== 'string' || s !== (upper ? s.toUpperCase() : s.toLowerCase())) {
    throw new VaultError('OV_KEY_INVALID', { format: 'age' });
  }
  try {
    const d = bech32.decode(s.toLowerCase() as `${string}1${string}`, false);
    return { prefix: d.prefix, bytes: bech32.fromWords(d.words) }; // fromWords rejects non-zero padding bits
  } catch {
    throw new VaultError('OV_KEY_INVALID', { format: 'age' });
  }
}

function decode(s: string, hrp: string, expected: number, upper: boolean): Uint8Array {
  const { prefix, bytes } = decodeAny(s, upper);
  if (prefix !== hrp.toLowerCase() || bytes.length !== expected) {
    bytes.fill(0);
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

/** `AGE-SECRET-KEY-1...` for a 32-byte X25519 secret. The result is a secret. */
export function encodeAgeX25519Identity(secretKey: Uint8Array): string {
  return encode(AGE_X25519_IDENTITY_HRP, secretKey, AGE_X25519_LENGTH).toUpperCase();
}

/** `age1...` for a 32-byte X25519 public key. */
export function encodeAgeX25519Recipient(publicKey: Uint8Array): string {
  return encode(AGE_X25519_RECIPIENT_HRP, publicKey, AGE_X25519_LENGTH);
}

/** A recipient of one of the two supported types. */
export type AgeRecipient =
  | { readonly type: 'mlkem768x25519'; readonly publicKey: Uint8Array }
  | { readonly type: 'X25519'; readonly publicKey: Uint8Array };

/** An identity of one of the two supported types: an X-Wing seed or an X25519 secret. */
export type AgeIdentity =
  | { readonly type: 'mlkem768x25519'; readonly seed: Uint8Array }
  | { readonly type: 'X25519'; readonly secretKey: Uint8Array };

/** `age1pq1...` or `age1...`; OV_KEY_INVALID for anything else (other types, bad checksum, wrong case). */
export function parseAgeRecipient(s: string): AgeRecipient {
  const { prefix, bytes } = decodeAny(s, false);
  if (prefix === AGE_RECIPIENT_HRP && bytes.length === AGE_RECIPIENT_LENGTH) return { type: 'mlkem768x25519', publicKey: bytes };
  if (prefix === AGE_X25519_RECIPIENT_HRP && bytes.length === AGE_X25519_LENGTH) return { type: 'X25519', publicKey: bytes };
  throw new VaultError('OV_KEY_INVALID', { format: 'age' });
}

/** `AGE-SECRET-KEY-PQ-1...` or `AGE-SECRET-KEY-1...`; OV_KEY_INVALID for anything else. */
export function parseAgeIdentity(s: string): AgeIdentity {
  const { prefix, bytes } = decodeAny(s, true);
  if (prefix === AGE_IDENTITY_HRP.toLowerCase() && bytes.length === AGE_IDENTITY_LENGTH) return { type: 'mlkem768x25519', seed: bytes };
  if (prefix === AGE_X25519_IDENTITY_HRP.toLowerCase() && bytes.length === AGE_X25519_LENGTH) return { type: 'X25519', secretKey: bytes };
  bytes.fill(0);
  throw new VaultError('OV_KEY_INVALID', { format: 'age' });
}

/** The identity's secret bytes, for wiping. */
export function ageIdentitySecret(identity: AgeIdentity): Uint8Array {
  return identity.type === 'X25519' ? identity.secretKey : identity.seed;
}

/**
 * An identity file as `age-keygen` writes it: one identity per line, `#` comment lines and
 * blank lines ignored, LF or CRLF line ends. At least one identity; any other line is
 * OV_KEY_INVALID (its content is never quoted: it may be a secret).
 */
export function parseAgeIdentityFile(text: string): AgeIdentity[] {
  const out: AgeIdentity[] = [];
  try {
    for (const raw of text.split('\n')) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line.trim() === '' || line.startsWith('#')) continue;
      out.push(parseAgeIdentity(line));
    }
  } catch (e) {
    for (const id of out) ageIdentitySecret(id).fill(0);
    throw e;
  }
  if (out.length === 0) throw new VaultError('OV_KEY_INVALID', { format: 'age', reason: 'no identity' });
  return out;
}

/** Cheap shape test for an identity file (first non-comment line); not a validation. */
export function looksLikeAgeIdentityFile(text: string): boolean {
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    return line.startsWith(AGE_X25519_IDENTITY_HRP);
  }
  return false;
}

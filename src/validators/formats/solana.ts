/**
 * Solana keypair files (as written by `solana-keygen`): a JSON array of 64 integers in
 * 0..255, the Ed25519 seed followed by the public key. The public key half is checked
 * against the one derived from the seed, so a spliced or corrupted file is refused
 * rather than stored under the wrong identity. Addresses are the base58 public key.
 * @module
 */
import { VaultError } from '../../errors.js';
import { wipe } from '../../crypto/bytes.js';
import { base58Encode, ed25519PublicKey } from '../../crypto/ed25519.js';
import type { ValidatorKey } from '../types.js';
import { bytesEqual, fail, parseJson } from './encoding.js';

const INVALID = 'OV_VALIDATOR_KEY_INVALID';
const MAX_FILE_CHARS = 4096;

/** Solana address: the base58 encoding of the 32-byte Ed25519 public key. */
export function solanaAddress(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new VaultError(INVALID, { reason: 'ed25519 public key must be 32 bytes' });
  return base58Encode(publicKey);
}

/** Parses a keypair file; the caller wipes `secret`. */
export function parseSolanaKeypair(json: string): ValidatorKey {
  const doc = parseJson(json, MAX_FILE_CHARS, INVALID);
  if (!Array.isArray(doc) || doc.length !== 64) return fail(INVALID, '$', 'not an array of 64 numbers');
  const full = new Uint8Array(64);
  try {
    for (let i = 0; i < 64; i++) {
      const v: unknown = doc[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) fail(INVALID, `$[${i}]`, 'not a byte');
      full[i] = v;
    }
    const secret = full.slice(0, 32);
    const publicKey = full.slice(32);
    if (!bytesEqual(ed25519PublicKey(secret), publicKey)) {
      wipe(secret);
      fail(INVALID, '$', 'seed does not give the public key');
    }
    return { chain: 'solana', keyType: 'Ed25519', secret, publicKey };
  } finally {
    wipe(full);
  }
}

/** Writes a keypair file: the 64-number array on one line, as solana-keygen does. */
export function exportSolanaKeypair(key: ValidatorKey): string {
  if (key.chain !== 'solana' || key.keyType !== 'Ed25519') throw new VaultError(INVALID, { reason: 'not a solana Ed25519 key' });
  if (key.secret.length !== 32 || !bytesEqual(ed25519PublicKey(key.secret), key.publicKey)) {
    throw new VaultError(INVALID, { reason: 'public key does not match the secret' });
  }
  return `[${[...key.secret, ...key.publicKey].join(',')}]`;
}

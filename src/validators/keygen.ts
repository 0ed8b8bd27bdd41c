/**
 * Validator key generation: random keys per chain, EIP-2333 / EIP-2334 derivation of
 * Ethereum validator signing keys (`m/12381/3600/i/0/0`), and BIP-39 mnemonic -> seed.
 *
 * BLS secrets come from @noble/curves, Ed25519 seeds from the OS CSPRNG (node:crypto),
 * both behind src/crypto. Mnemonics are checked against the BIP-39 English wordlist and
 * checksum (@scure/bip39) before the seed is computed, so a mistyped word is an error
 * rather than a silently different set of keys.
 * @module
 */
import { VaultError } from '../errors.js';
import { wipe } from '../crypto/bytes.js';
import { blsRandomSecret, eip2333Child, eip2333Master } from '../crypto/bls.js';
import { blsSigner } from '../crypto/bls-sign.js';
import { ed25519PublicKey, ed25519RandomSeed } from '../crypto/ed25519.js';
import { bip39Seed, bip39Valid } from '../crypto/validator-kdf.js';
import { KEY_TYPE, type Chain, type ValidatorKey } from './types.js';

/** A new random key for `chain`; the caller wipes `secret`. */
export function generateKey(chain: Chain): ValidatorKey {
  switch (chain) {
    case 'ethereum': {
      const secret = blsRandomSecret();
      return { chain, keyType: KEY_TYPE[chain], secret, publicKey: blsSigner().publicKey(secret) };
    }
    case 'cosmos':
    case 'solana': {
      const secret = ed25519RandomSeed();
      return { chain, keyType: KEY_TYPE[chain], secret, publicKey: ed25519PublicKey(secret) };
    }
    default:
      throw new VaultError('OV_INVALID_ARGUMENT', { field: 'chain', reason: 'unknown chain' });
  }
}

/** EIP-2334 signing-key path of validator `index`. */
export function eth2SigningPath(index: number): string {
  return `m/12381/3600/${index}/0/0`;
}

/**
 * Derives validator `index`'s signing key from a seed (EIP-2333 master key, then the
 * EIP-2334 path m/12381/3600/index/0/0). `seed` must be at least 32 bytes (a BIP-39
 * seed is 64). The caller wipes `secret`.
 */
export function deriveEth2Key(seed: Uint8Array, index: number): ValidatorKey {
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'index', reason: 'not in [0, 2^32)' });
  }
  if (!(seed instanceof Uint8Array) || seed.length < 32) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'seed', reason: 'must be at least 32 bytes' });
  }
  let sk = eip2333Master(seed);
  for (const i of [12381, 3600, index, 0, 0]) {
    const child = eip2333Child(sk, i);
    wipe(sk);
    sk = child;
  }
  return { chain: 'ethereum', keyType: 'BLS12-381', secret: sk, publicKey: blsSigner().publicKey(sk), path: eth2SigningPath(index) };
}

/**
 * BIP-39 mnemonic -> 64-byte seed. Words are NFKD-normalised and split on any
 * whitespace, then validated (English wordlist, 12..24 words, checksum):
 * OV_VALIDATOR_KEY_INVALID otherwise. The caller wipes the result.
 */
export function mnemonicToSeed(mnemonic: string, passphrase = ''): Uint8Array {
  if (typeof mnemonic !== 'string' || typeof passphrase !== 'string' || mnemonic.length > 1024 || passphrase.length > 1024) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'mnemonic', reason: 'not a string of at most 1024 characters' });
  }
  const words = mnemonic.normalize('NFKD').trim().split(/\s+/u).join(' ');
  if (!bip39Valid(words)) throw new VaultError('OV_VALIDATOR_KEY_INVALID', { reason: 'mnemonic has an unknown word or a bad checksum' });
  return bip39Seed(words, passphrase.normalize('NFKD'));
}

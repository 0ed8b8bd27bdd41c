/**
 * Public key text per chain, as each ecosystem's own tools print it: Ethereum 0x-hex of
 * the 48-byte compressed G1 point (keymanager API, deposit data), Cosmos base64 (the
 * `pub_key.value` of priv_validator_key.json), Solana base58 (the account address).
 * @module
 */
import { VaultError } from '../../errors.js';
import { base58Decode, base58Encode } from '../../crypto/ed25519.js';
import type { Chain } from '../types.js';
import { base64ToBytes, bytesToBase64, bytesToHex, hexToBytes } from './encoding.js';

const LENGTH: Readonly<Record<Chain, number>> = { ethereum: 48, cosmos: 32, solana: 32 };

/** Formats `publicKey` for `chain`; throws OV_VALIDATOR_KEY_INVALID on a wrong length. */
export function formatPublicKey(chain: Chain, publicKey: Uint8Array): string {
  if (!Object.hasOwn(LENGTH, chain)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'chain', reason: 'unknown chain' });
  if (publicKey.length !== LENGTH[chain]) throw new VaultError('OV_VALIDATOR_KEY_INVALID', { reason: 'public key has the wrong length' });
  switch (chain) {
    case 'ethereum':
      return `0x${bytesToHex(publicKey)}`;
    case 'cosmos':
      return bytesToBase64(publicKey);
    case 'solana':
      return base58Encode(publicKey);
  }
}

/**
 * The inverse of formatPublicKey: Ethereum accepts hex with or without `0x` in either
 * case; Cosmos canonical base64; Solana base58. Throws OV_VALIDATOR_KEY_INVALID.
 */
export function parsePublicKey(chain: Chain, text: string): Uint8Array {
  if (!Object.hasOwn(LENGTH, chain)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'chain', reason: 'unknown chain' });
  let out: Uint8Array | undefined;
  if (typeof text === 'string' && text.length <= 200) {
    if (chain === 'ethereum') out = hexToBytes(text.startsWith('0x') || text.startsWith('0X') ? text.slice(2) : text, 48);
    else if (chain === 'cosmos') out = base64ToBytes(text, 32);
    else {
      try {
        out = base58Decode(text);
      } catch {
        out = undefined;
      }
    }
  }
  if (out === undefined || out.length !== LENGTH[chain]) throw new VaultError('OV_VALIDATOR_KEY_INVALID', { reason: 'public key text is malformed' });
  return out;
}

/**
 * Shared types of the validator key layer: chains, key types and the decrypted key
 * material that every format parser returns and every exporter accepts.
 * @module
 */

export type Chain = 'ethereum' | 'cosmos' | 'solana';
export type KeyType = 'BLS12-381' | 'Ed25519';

export const CHAINS: readonly Chain[] = ['ethereum', 'cosmos', 'solana'];

/** The key type each chain's validators use. */
export const KEY_TYPE: Readonly<Record<Chain, KeyType>> = {
  ethereum: 'BLS12-381',
  cosmos: 'Ed25519',
  solana: 'Ed25519',
};

/**
 * Decrypted validator key material. The caller owns `secret` and must wipe it (the
 * `wipe` helper of src/crypto) once the key is sealed or exported.
 */
export interface ValidatorKey {
  chain: Chain;
  keyType: KeyType;
  /** BLS: 32-byte big-endian scalar in [1, r-1]; Ed25519: 32-byte seed. */
  secret: Uint8Array;
  /** BLS: 48-byte compressed G1 point; Ed25519: 32 bytes. */
  publicKey: Uint8Array;
  /** EIP-2334 derivation path when known (keystore `path`, or from deriveEth2Key). */
  path?: string;
}

/** EIP-2335 KDF section after validation (structure only; nothing derived yet). */
export type ParsedKdf =
  | { function: 'scrypt'; dklen: 32; n: number; r: number; p: number; salt: Uint8Array }
  | { function: 'pbkdf2'; dklen: 32; c: number; prf: 'hmac-sha256'; salt: Uint8Array };

/** A structurally valid EIP-2335 (version 4) keystore. */
export interface ParsedKeystore {
  version: 4;
  kdf: ParsedKdf;
  /** `crypto.checksum.message`: SHA-256(decryption_key[16..32] || cipher message). */
  checksum: Uint8Array;
  cipher: { function: 'aes-128-ctr'; iv: Uint8Array; message: Uint8Array };
  /** The claimed 48-byte public key, when the file has a `pubkey` field. */
  pubkey?: Uint8Array;
  /** EIP-2334 path; the empty string when the file has none. */
  path: string;
  uuid?: string;
  description?: string;
}

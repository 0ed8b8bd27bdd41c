/**
 * Key material decoding: what an import or rotation brings (an EIP-2335 keystore, a
 * CometBFT key and state file, a Solana keypair, or nothing for a generated key) read by
 * the format layer (./formats) and checked; nothing is stored here. The decoded secret is
 * the caller's to wipe.
 * @module
 */
import { blsSigner } from '../crypto/bls-sign.js';
import { ed25519PublicKey } from '../crypto/ed25519.js';
import type { ValidatorKeyRecord, ValidatorKeySourceName } from '../storage/validators-types.js';
import { parseCosmosKey, parseCosmosState } from './formats/cosmos.js';
import { decryptKeystore } from './formats/eip2335.js';
import { parseSolanaKeypair } from './formats/solana.js';
import { bad } from './inputs.js';
import { generateKey } from './keygen.js';
import type { SigningStateJson } from './records.js';
import type { Chain, ValidatorKey } from './types.js';

export type ImportFormat = 'eip2335' | 'cosmos' | 'solana' | 'generate';

/** Key material of an import or rotation; which fields apply depends on `format`. */
export interface KeyMaterialInput {
  format: ImportFormat;
  keystore?: string;
  password?: string;
  key_file?: string;
  state_file?: string;
  derive_index?: number;
}

/** Decoded, verified key material waiting to be sealed; `key.secret` is wiped by the caller. */
export interface Material {
  key: ValidatorKey;
  source: ValidatorKeySourceName;
  /** Cosmos state file, when one came with the key. */
  state?: SigningStateJson;
}

/** True when `secret` is the secret of the row's public key (a row whose envelope was swapped fails). */
export function publicKeyMatches(key: ValidatorKeyRecord, secret: Uint8Array): boolean {
  const derived = key.keyType === 'BLS12-381' ? blsSigner().publicKey(secret) : ed25519PublicKey(secret);
  return derived.length === key.publicKey.length && derived.every((b, i) => b === key.publicKey[i]);
}

/** Reads the material of an import: decrypts, parses and checks it; nothing is stored. */
export async function decodeMaterial(chain: Chain, m: KeyMaterialInput): Promise<Material> {
  const allowed: Record<ImportFormat, readonly string[]> = {
    generate: ['format'],
    eip2335: ['format', 'keystore', 'password'],
    cosmos: ['format', 'key_file', 'state_file'],
    solana: ['format', 'key_file'],
  };
  const format = m.format;
  if (!(format in allowed)) bad('format', 'unknown format');
  if (m.derive_index !== undefined) bad('derive_index', 'derivation needs a slot with a mnemonic_ref (rotate only)');
  for (const [k, v] of Object.entries(m)) {
    if (v !== undefined && !allowed[format].includes(k)) bad(k, `not used by format ${format}`);
  }
  if (format === 'generate') return { key: generateKey(chain), source: 'generated' };
  const expected: Record<Exclude<ImportFormat, 'generate'>, Chain> = { eip2335: 'ethereum', cosmos: 'cosmos', solana: 'solana' };
  if (expected[format] !== chain) bad('format', `format ${format} is not a ${chain} format`);
  if (format === 'eip2335') {
    if (typeof m.keystore !== 'string') bad('keystore', 'required');
    if (typeof m.password !== 'string') bad('password', 'required');
    return { key: await decryptKeystore(m.keystore, m.password), source: 'imported-eip2335' };
  }
  if (typeof m.key_file !== 'string') bad('key_file', 'required');
  if (format === 'solana') return { key: parseSolanaKeypair(m.key_file), source: 'imported-solana' };
  const state = m.state_file === undefined ? undefined : parseCosmosState(m.state_file);
  const { address: _address, ...key } = parseCosmosKey(m.key_file);
  void _address;
  return { key, source: 'imported-cosmos', ...(state === undefined ? {} : { state: { height: state.height, round: state.round, step: state.step } }) };
}

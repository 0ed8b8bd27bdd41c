/**
 * EIP-2333/2334 derivation of a slot's next key (`m/12381/3600/i/0/0`) from the BIP-39
 * mnemonic stored at the slot's `mnemonic_ref` (`path` or `path#field`, field default
 * `mnemonic`; no BIP-39 passphrase). Ethereum slots only; the caller's scope must cover
 * the secret's path. The seed is wiped before returning.
 * @module
 */
import { wipe } from '../crypto/bytes.js';
import { VaultError } from '../errors.js';
import type { ValidatorSlotRecord } from '../storage/validators-types.js';
import { bad, parseJsonMap } from './inputs.js';
import { deriveEth2Key, mnemonicToSeed } from './keygen.js';
import type { KeyMaterialInput, Material } from './material.js';

/** Reads one string field of the latest version of a stored secret. */
export type ReadSecretField = (path: string, field: string) => string;

export function deriveMaterial(
  slot: ValidatorSlotRecord,
  material: KeyMaterialInput,
  readSecretField: ReadSecretField | undefined,
  secretAllowed: ((path: string) => boolean) | undefined,
): Material {
  const { format, derive_index: index, ...rest } = material;
  if (format !== 'generate' || Object.values(rest).some((v) => v !== undefined)) bad('derive_index', 'goes with format generate and nothing else');
  if (slot.chain !== 'ethereum') bad('derive_index', 'ethereum slots only');
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index > 0xffffffff) bad('derive_index', 'integer in [0, 2^32)');
  const ref = parseJsonMap(slot.metadata).mnemonic_ref;
  if (ref === undefined) bad('derive_index', 'the slot has no mnemonic_ref');
  const hash = ref.indexOf('#');
  const path = hash === -1 ? ref : ref.slice(0, hash);
  const field = hash === -1 ? 'mnemonic' : ref.slice(hash + 1);
  if (readSecretField === undefined) bad('derive_index', 'no secret store');
  if (secretAllowed !== undefined && !secretAllowed(path)) throw new VaultError('OV_FORBIDDEN');
  const seed = mnemonicToSeed(readSecretField(path, field));
  try {
    return { key: deriveEth2Key(seed, index), source: 'derived' };
  } finally {
    wipe(seed);
  }
}

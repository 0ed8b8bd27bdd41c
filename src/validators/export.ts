/**
 * Export of a validator key in its chain's file format: an EIP-2335 keystore under a
 * password the caller chooses (at least 8 characters), a CometBFT key with the slot's
 * signing state as its state file (so the importer starts at the slot's watermark), or a
 * Solana keypair. The opened secret is wiped before returning.
 * @module
 */
import { wipe } from '../crypto/bytes.js';
import type { ValidatorCore } from './core.js';
import { exportCosmosKey, exportCosmosState } from './formats/cosmos.js';
import { encryptKeystore } from './formats/eip2335.js';
import { exportSolanaKeypair } from './formats/solana.js';
import { MIN_EXPORT_PASSWORD, bad, checkName } from './inputs.js';
import type { SigningStateJson } from './records.js';
import type { Chain } from './types.js';

export type ExportFormat = 'eip2335' | 'cosmos' | 'solana';

const FORMAT_OF: Readonly<Record<Chain, ExportFormat>> = { ethereum: 'eip2335', cosmos: 'cosmos', solana: 'solana' };

/** The key (default: the active one) in a chain's file format. */
export async function exportKey(
  core: ValidatorCore,
  name: string,
  opts: { key_id?: string; format: ExportFormat; password?: string },
): Promise<{ files: Record<string, string>; key_id: string }> {
  core.keyring();
  const slot = core.slot(checkName(name));
  if (FORMAT_OF[slot.chain] !== opts.format) bad('format', `a ${slot.chain} key exports as ${FORMAT_OF[slot.chain]}`);
  if (opts.format === 'eip2335') {
    if (typeof opts.password !== 'string' || [...opts.password].length < MIN_EXPORT_PASSWORD) bad('password', `required, at least ${MIN_EXPORT_PASSWORD} characters`);
  } else if (opts.password !== undefined) bad('password', `not used by format ${opts.format}`);
  const key = core.keyOf(slot.name, opts.key_id);
  const material = core.openKey(key);
  try {
    switch (opts.format) {
      case 'eip2335': {
        const text = await encryptKeystore(material, opts.password as string, {
          ...core.deps.exportKdf,
          ...(material.path === undefined ? {} : { path: material.path }),
        });
        return { files: { 'keystore.json': text }, key_id: key.id };
      }
      case 'cosmos': {
        const s = JSON.parse(slot.signingState) as SigningStateJson;
        return {
          files: {
            'priv_validator_key.json': exportCosmosKey(material),
            'priv_validator_state.json': exportCosmosState({ height: s.height as string, round: s.round as number, step: s.step as number }),
          },
          key_id: key.id,
        };
      }
      case 'solana':
        return { files: { 'keypair.json': exportSolanaKeypair(material) }, key_id: key.id };
    }
  } finally {
    wipe(material.secret);
  }
}

/**
 * The Ethereum keymanager API (ethereum/keymanager-APIs, local keystores) as an adapter
 * over the slot lifecycle: list the active Ethereum keys, import keystores (each becomes a
 * slot `eth-<8 hex>` with an active key) with an optional EIP-3076 interchange, and
 * delete (retire, never erase) keys, answering with the interchange of their watermarks.
 * @module
 */
import { availableParallelism } from 'node:os';
import { wipe } from '../crypto/bytes.js';
import { isVaultError } from '../errors.js';
import { runBulk } from './bulk.js';
import type { ValidatorCore } from './core.js';
import { formatPublicKey, parsePublicKey } from './formats/pubkey.js';
import { MAX_BULK_ITEMS, bad, parseJsonMap } from './inputs.js';
import { interchangeFor, parseInterchange, watermarksFrom, type EthWatermark, type Interchange } from './interchange.js';
import { decodeMaterial } from './material.js';
import type { SigningStateJson } from './records.js';
import { ethState, ethWatermark, initialSigningState, mergeWatermarks, sameState } from './signing-state.js';

/** EIP-3076 root used when no slot carries one (see docs/validators.md). */
export const ZERO_ROOT = `0x${'00'.repeat(32)}`;

export interface KeymanagerImportResult {
  status: 'imported' | 'duplicate' | 'error';
  message?: string;
}

export interface KeymanagerDeleteResult {
  status: 'deleted' | 'not_active' | 'not_found' | 'error';
  message?: string;
}

/** Active Ethereum keys. */
export function keymanagerList(core: ValidatorCore, visible?: (name: string) => boolean): { validating_pubkey: string; derivation_path?: string; readonly: boolean }[] {
  return core.store
    .listKeys()
    .filter((k) => k.chain === 'ethereum' && k.state === 'active' && (visible === undefined || visible(k.slot)))
    .map((k) => ({ validating_pubkey: formatPublicKey('ethereum', k.publicKey), ...(k.path === null ? {} : { derivation_path: k.path }), readonly: false }));
}

/** Raises a slot's watermarks to the interchange's for `pubkey` (never lowers one). */
function raiseFromInterchange(core: ValidatorCore, slotName: string, interchange: Interchange, pubkey: string): void {
  core.deps.storage.transaction(() => {
    const slot = core.slot(slotName);
    const current = JSON.parse(slot.signingState) as SigningStateJson;
    const next = ethState(mergeWatermarks(ethWatermark(current), watermarksFrom(interchange, pubkey)));
    if (!sameState(current, next)) core.storeSigningState(slotName, next);
  });
}

/**
 * `POST /eth/v1/keystores`: each keystore becomes a slot `eth-<8 hex>` with an active
 * key. The interchange (when given) is parsed before anything else (a bad one fails
 * the whole request) and raises the watermarks of every listed key that is imported or
 * already present; it never lowers one.
 */
export async function keymanagerImport(
  core: ValidatorCore,
  keystores: readonly string[],
  passwords: readonly string[],
  slashingProtection: string | undefined,
): Promise<KeymanagerImportResult[]> {
  if (keystores.length !== passwords.length) bad('passwords', 'one password per keystore');
  if (keystores.length > MAX_BULK_ITEMS) bad('keystores', `at most ${MAX_BULK_ITEMS}`);
  const interchange = slashingProtection === undefined ? undefined : parseInterchange(slashingProtection);
  core.keyring();
  const work = async (i: number): Promise<KeymanagerImportResult> => {
    const m = await decodeMaterial('ethereum', { format: 'eip2335', keystore: keystores[i] as string, password: passwords[i] as string });
    try {
      const pubkey = formatPublicKey('ethereum', m.key.publicKey);
      const existing = core.store.findByPublicKey('ethereum', m.key.publicKey);
      if (existing !== undefined) {
        if (interchange !== undefined) raiseFromInterchange(core, existing.slot, interchange, pubkey);
        return { status: 'duplicate' };
      }
      const watermark = interchange === undefined ? initialSigningState('ethereum') : ethState(watermarksFrom(interchange, pubkey));
      const metadata = interchange === undefined ? {} : { genesis_validators_root: interchange.metadata.genesis_validators_root };
      try {
        core.insertNewSlot({ name: `eth-${pubkey.slice(2, 10)}`, chain: 'ethereum', labels: {}, metadata, signingState: watermark }, m);
      } catch (e) {
        if (isVaultError(e, 'OV_VALIDATOR_DUPLICATE')) return { status: 'duplicate' };
        throw e;
      }
      return { status: 'imported' };
    } finally {
      wipe(m.key.secret);
    }
  };
  const results = await runBulk(
    keystores.map((_, i) => ({ id: String(i), input: i })),
    work,
    { concurrency: core.deps.concurrency ?? availableParallelism() },
  );
  return results.map((r) => (r.status === 'ok' ? r.value : { status: 'error', message: `${r.code}: ${r.message}` }));
}

/**
 * `DELETE /eth/v1/keystores`: in one transaction, every listed active key is retired
 * (it can sign nothing more) with its record; then the EIP-3076 interchange of every
 * key found (deleted or not_active) is built from the slots' watermarks. Keys are
 * kept (retired), never erased: destruction is the explicit, confirmed operation.
 */
export function keymanagerDelete(
  core: ValidatorCore,
  pubkeys: readonly string[],
  visible?: (name: string) => boolean,
): { data: KeymanagerDeleteResult[]; slashing_protection: string } {
  core.keyring();
  const entries: { pubkey: string; watermark: EthWatermark }[] = [];
  let root: string | undefined;
  const data = core.deps.storage.transaction(() =>
    pubkeys.map((text): KeymanagerDeleteResult => {
      let raw: Uint8Array;
      try {
        raw = parsePublicKey('ethereum', text);
      } catch {
        return { status: 'error', message: 'malformed public key' };
      }
      const key = core.store.findByPublicKey('ethereum', raw);
      if (key === undefined || (visible !== undefined && !visible(key.slot))) return { status: 'not_found' };
      const slot = core.slot(key.slot);
      const state = JSON.parse(slot.signingState) as SigningStateJson;
      const pubkey = formatPublicKey('ethereum', key.publicKey);
      let status: KeymanagerDeleteResult['status'] = 'not_active';
      if (key.state === 'active') {
        const now = core.deps.now();
        if (!core.store.setKeyState(key.id, 'active', 'retired', now)) return { status: 'error', message: 'key changed state' };
        core.record({ slot: key.slot, action: 'retire', key, prevKeyId: null, signingState: state, now });
        status = 'deleted';
      }
      if (!entries.some((e) => e.pubkey === pubkey)) entries.push({ pubkey, watermark: ethWatermark(state) });
      const slotRoot = parseJsonMap(slot.metadata).genesis_validators_root;
      if (root === undefined && slotRoot !== undefined && /^0x[0-9a-fA-F]{64}$/.test(slotRoot)) root = slotRoot;
      return { status };
    }),
  );
  const interchange = interchangeFor(root ?? ZERO_ROOT, entries);
  return { data, slashing_protection: JSON.stringify(interchange) };
}

/**
 * The Ethereum keymanager API (ethereum/keymanager-APIs, local keystores) as an adapter
 * over the slot lifecycle: list the active Ethereum keys, import keystores (each becomes a
 * slot `eth-<8 hex>` with an active key) with an optional EIP-3076 interchange, and
 * delete (retire, never erase) keys, answering with the interchange of their watermarks.
 * @module
 */
import { wipe } from '../crypto/bytes.js';
import { VaultError, isVaultError } from '../errors.js';
import type { ValidatorKeyRecord } from '../storage/validators-types.js';
import { runBulk } from './bulk.js';
import type { ValidatorCore } from './core.js';
import { formatPublicKey, parsePublicKey } from './formats/pubkey.js';
import { MAX_BULK_ITEMS, bad, parseJsonMap } from './inputs.js';
import { interchangeFor, parseInterchange, watermarksFrom, type EthWatermark, type Interchange } from './interchange.js';
import { decodeMaterial } from './material.js';
import type { SigningStateJson } from './records.js';
import { checkRoot, ROOT_METADATA } from './networks.js';
import { ethState, ethWatermark, initialSigningState } from './signing-state.js';
import { commonRoot, confirmSlot, raiseFrom, slotRoot } from './slashing-protection.js';

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

/**
 * A key the vault already holds: its slot must be on the interchange's chain (when one
 * came), its watermarks rise to the interchange's, and a key deleted earlier (retired,
 * the only way DELETE leaves a key) becomes active again when its slot has no active
 * key: `imported`, since it signs again. An active key, or a retired one whose slot has
 * moved on to another key, is `duplicate`.
 */
function reimport(core: ValidatorCore, existing: ValidatorKeyRecord, interchange: Interchange | undefined, root: string | undefined, pubkey: string): KeymanagerImportResult {
  return core.deps.storage.transaction((): KeymanagerImportResult => {
    const slot = core.slot(existing.slot);
    const bound = slotRoot(slot);
    if (root !== undefined && bound !== undefined && bound !== root) throw new VaultError('OV_INTERCHANGE_CHAIN_MISMATCH');
    if (root !== undefined && bound === undefined) core.store.updateSlotMetadata(slot.name, slot.labels, JSON.stringify({ ...parseJsonMap(slot.metadata), [ROOT_METADATA]: root }), core.deps.now());
    if (interchange !== undefined) {
      raiseFrom(core, slot.name, interchange, pubkey);
      // Slashing protection that lists the key confirms its watermarks after a restore, as an interchange import does.
      if (interchange.data.some((e) => e.pubkey === pubkey)) confirmSlot(core, slot.name);
    }
    const key = core.store.getKey(existing.id) as ValidatorKeyRecord;
    const keys = core.store.keysOf(slot.name);
    if (key.state !== 'retired' || keys.some((k) => k.state === 'active')) return { status: 'duplicate' };
    const now = core.deps.now();
    if (!core.store.setKeyState(key.id, 'retired', 'active', now)) return { status: 'duplicate' };
    const state = JSON.parse(core.slot(slot.name).signingState) as SigningStateJson;
    core.record({ slot: slot.name, action: 'reactivate', key, prevKeyId: null, signingState: state, now });
    return { status: 'imported' };
  });
}

/**
 * `POST /eth/v1/keystores`: each keystore becomes a slot `eth-<8 hex>` with an active
 * key, bound to the interchange's chain when one came (else unbound, see
 * docs/validators.md). The interchange is parsed before anything else (a bad one fails
 * the whole request) and raises the watermarks of every listed key imported or already
 * present; it never lowers one. Every KDF goes through the vault's bounded queue, and a
 * keystore beyond its memory budget refuses the request before any work.
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
  let root: string | undefined;
  if (interchange !== undefined) {
    try {
      root = checkRoot(interchange.metadata.genesis_validators_root);
    } catch {
      throw new VaultError('OV_INTERCHANGE_INVALID', { field: 'metadata.genesis_validators_root', reason: 'the zero root names no chain' });
    }
  }
  core.keyring();
  const costs = core.kdf.admit(keystores, (i) => `keystores/${i}`);
  const work = async (i: number): Promise<KeymanagerImportResult> => {
    const m = await core.kdf.run(costs[i] as number, () => decodeMaterial('ethereum', { format: 'eip2335', keystore: keystores[i] as string, password: passwords[i] as string }));
    try {
      const pubkey = formatPublicKey('ethereum', m.key.publicKey);
      const existing = core.store.findByPublicKey('ethereum', m.key.publicKey);
      if (existing !== undefined) return reimport(core, existing, interchange, root, pubkey);
      const watermark = interchange === undefined ? initialSigningState('ethereum') : ethState(watermarksFrom(interchange, pubkey));
      const metadata = root === undefined ? {} : { [ROOT_METADATA]: root };
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
    { concurrency: core.kdf.concurrency },
  );
  return results.map((r) => (r.status === 'ok' ? r.value : { status: 'error', message: `${r.code}: ${r.message}` }));
}

/**
 * `DELETE /eth/v1/keystores`: in one transaction, every listed active key is retired
 * (it can sign nothing more) with its record; then the EIP-3076 interchange of every
 * key found (deleted or not_active) is built from the slots' watermarks. Keys are
 * kept (retired), never erased: destruction is the explicit, confirmed operation, and a
 * later POST of the same keystore makes the key active again with the watermarks kept.
 *
 * The interchange carries one root: when the keys found are unbound
 * (OV_VALIDATOR_UNBOUND) or span several chains (OV_INTERCHANGE_MIXED_CHAINS) the whole
 * request is refused before any key is retired.
 */
export function keymanagerDelete(
  core: ValidatorCore,
  pubkeys: readonly string[],
  visible?: (name: string) => boolean,
): { data: KeymanagerDeleteResult[]; slashing_protection: string } {
  core.keyring();
  return core.deps.storage.transaction(() => {
    const found = pubkeys.map((text): ValidatorKeyRecord | 'malformed' | undefined => {
      let raw: Uint8Array;
      try {
        raw = parsePublicKey('ethereum', text);
      } catch {
        return 'malformed';
      }
      const key = core.store.findByPublicKey('ethereum', raw);
      return key === undefined || (visible !== undefined && !visible(key.slot)) ? undefined : key;
    });
    const keys = found.filter((k): k is ValidatorKeyRecord => typeof k === 'object');
    const slots = [...new Set(keys.map((k) => k.slot))].map((n) => core.slot(n));
    const root = commonRoot(slots);
    const entries: { pubkey: string; watermark: EthWatermark }[] = [];
    const data = found.map((key): KeymanagerDeleteResult => {
      if (key === 'malformed') return { status: 'error', message: 'malformed public key' };
      if (key === undefined) return { status: 'not_found' };
      const slot = core.slot(key.slot);
      const state = JSON.parse(slot.signingState) as SigningStateJson;
      const pubkey = formatPublicKey('ethereum', key.publicKey);
      let status: KeymanagerDeleteResult['status'] = 'not_active';
      const current = core.store.getKey(key.id) as ValidatorKeyRecord;
      if (current.state === 'active') {
        const now = core.deps.now();
        if (!core.store.setKeyState(key.id, 'active', 'retired', now)) return { status: 'error', message: 'key changed state' };
        core.record({ slot: key.slot, action: 'retire', key: current, prevKeyId: null, signingState: state, now });
        status = 'deleted';
      }
      if (!entries.some((e) => e.pubkey === pubkey)) entries.push({ pubkey, watermark: ethWatermark(state) });
      return { status };
    });
    // No key found: an empty interchange still needs a root; the request named no chain.
    const interchange = root === undefined ? { metadata: { interchange_format_version: '5', genesis_validators_root: EMPTY_ROOT }, data: [] } : interchangeFor(root, entries);
    return { data, slashing_protection: JSON.stringify(interchange) };
  });
}

/** The root of an interchange listing no key: it protects nothing, so no chain is claimed. */
const EMPTY_ROOT = `0x${'00'.repeat(32)}`;

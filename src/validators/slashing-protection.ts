/**
 * EIP-3076 slashing protection bound to chains: import an interchange (raising the
 * watermarks of the keys it lists), export one, bind a slot to its chain, and confirm a
 * slot's watermarks after a snapshot restore.
 *
 * One interchange carries one `genesis_validators_root`, and a key signs for one chain:
 * a file whose root differs from a listed key's is refused whole (its watermarks are
 * another chain's), and an export never mixes roots or writes a key whose chain is
 * unknown. Every change runs in one transaction with its signed record, so a refused
 * file changes nothing.
 * @module
 */
import { VaultError } from '../errors.js';
import { WATERMARKS_UNCONFIRMED_META } from '../storage/validators-types.js';
import type { ValidatorKeyRecord, ValidatorSlotRecord } from '../storage/validators-types.js';
import type { ValidatorCore } from './core.js';
import { formatPublicKey, parsePublicKey } from './formats/pubkey.js';
import { checkName, parseJsonMap } from './inputs.js';
import { interchangeFor, parseInterchange, watermarksFrom, type EthWatermark, type Interchange } from './interchange.js';
import { checkRoot, ROOT_METADATA } from './networks.js';
import type { SigningStateJson } from './records.js';
import { compareHrs, ethState, ethWatermark, initialSigningState, mergeWatermarks, raiseSigningState, sameState } from './signing-state.js';

export interface InterchangeImportItem {
  pubkey: string;
  status: 'raised' | 'unchanged' | 'not_found';
  name?: string;
}

export interface InterchangeImportResult {
  genesis_validators_root: string;
  results: InterchangeImportItem[];
}

/** The restore mark: `{restored_at, audit_seq}` as the restore writes it, plus the slots confirmed since. */
interface RestoreMark {
  restored_at: string;
  audit_seq?: number;
  confirmed?: string[];
}

function readMark(core: ValidatorCore): RestoreMark | undefined {
  const raw = core.deps.storage.meta.get(WATERMARKS_UNCONFIRMED_META);
  if (raw === undefined) return undefined;
  try {
    const m = JSON.parse(new TextDecoder().decode(raw)) as RestoreMark;
    return typeof m === 'object' && m !== null && typeof m.restored_at === 'string' ? m : { restored_at: new Date(8.64e15).toISOString() };
  } catch {
    // An unreadable mark still marks every slot: the safe reading.
    return { restored_at: new Date(8.64e15).toISOString() };
  }
}

/** True when the slot existed at the restore and has not been confirmed since. */
export function slotUnconfirmed(core: ValidatorCore, slot: Pick<ValidatorSlotRecord, 'name' | 'createdAt'>): boolean {
  const mark = readMark(core);
  return mark !== undefined && isUnconfirmed(mark, slot);
}

function isUnconfirmed(mark: RestoreMark, slot: Pick<ValidatorSlotRecord, 'name' | 'createdAt'>): boolean {
  const at = Date.parse(mark.restored_at);
  // Slots created after the restore never had restored (possibly stale) watermarks.
  if (Number.isFinite(at) && slot.createdAt > at) return false;
  return !(mark.confirmed ?? []).includes(slot.name);
}

/** Names of the slots still unconfirmed (all slots' marks at once). */
export function unconfirmedSlots(core: ValidatorCore): Set<string> {
  const mark = readMark(core);
  if (mark === undefined) return new Set();
  return new Set(core.store.listSlots().filter((s) => isUnconfirmed(mark, s)).map((s) => s.name));
}

/** Records `name` as confirmed; the mark goes once no slot is left unconfirmed. Inside a transaction. */
export function confirmSlot(core: ValidatorCore, name: string): void {
  const mark = readMark(core);
  if (mark === undefined) return;
  const confirmed = new Set(mark.confirmed ?? []);
  confirmed.add(name);
  const next: RestoreMark = { ...mark, confirmed: [...confirmed].sort() };
  const left = core.store.listSlots().some((s) => isUnconfirmed(next, s));
  if (left) core.deps.storage.meta.put(WATERMARKS_UNCONFIRMED_META, new TextEncoder().encode(JSON.stringify(next)));
  else core.deps.storage.meta.delete(WATERMARKS_UNCONFIRMED_META);
}

/** The slot's root, or undefined for an unbound slot. */
export function slotRoot(slot: ValidatorSlotRecord): string | undefined {
  const r = parseJsonMap(slot.metadata)[ROOT_METADATA];
  return r === undefined ? undefined : r.toLowerCase();
}

function bindSlot(core: ValidatorCore, slot: ValidatorSlotRecord, root: string): void {
  const metadata = { ...parseJsonMap(slot.metadata), [ROOT_METADATA]: root };
  core.store.updateSlotMetadata(slot.name, slot.labels, JSON.stringify(metadata), core.deps.now());
}

/**
 * Imports an interchange: for every listed key the vault holds (and `visible` admits),
 * the slot's watermarks rise to the file's maxima (never lower), an unbound slot is bound
 * to the file's root, and a slot marked unconfirmed by a restore is confirmed. A root
 * other than a listed key's refuses the whole file (OV_INTERCHANGE_CHAIN_MISMATCH).
 */
export function importInterchange(core: ValidatorCore, json: string, visible?: (name: string) => boolean): InterchangeImportResult {
  const interchange = parseInterchange(json);
  let root: string;
  try {
    root = checkRoot(interchange.metadata.genesis_validators_root);
  } catch {
    throw new VaultError('OV_INTERCHANGE_INVALID', { field: 'metadata.genesis_validators_root', reason: 'the zero root names no chain' });
  }
  core.keyring();
  return core.deps.storage.transaction(() => {
    const seen = new Set<string>();
    const results: InterchangeImportItem[] = [];
    interchange.data.forEach((entry, i) => {
      if (seen.has(entry.pubkey)) return;
      seen.add(entry.pubkey);
      const key = core.store.findByPublicKey('ethereum', parsePublicKey('ethereum', entry.pubkey));
      if (key === undefined || (visible !== undefined && !visible(key.slot))) {
        results.push({ pubkey: entry.pubkey, status: 'not_found' });
        return;
      }
      const slot = core.slot(key.slot);
      const bound = slotRoot(slot);
      if (bound !== undefined && bound !== root) throw new VaultError('OV_INTERCHANGE_CHAIN_MISMATCH', { field: `data[${i}].pubkey` });
      if (bound === undefined) bindSlot(core, slot, root);
      const changed = raiseFrom(core, slot.name, interchange, entry.pubkey);
      confirmSlot(core, slot.name);
      results.push({ pubkey: entry.pubkey, status: changed ? 'raised' : 'unchanged', name: slot.name });
    });
    return { genesis_validators_root: root, results };
  });
}

/** Raises a slot's watermarks to the interchange's for `pubkey`; true when they rose. Inside a transaction. */
export function raiseFrom(core: ValidatorCore, slotName: string, interchange: Interchange, pubkey: string): boolean {
  const slot = core.slot(slotName);
  const current = JSON.parse(slot.signingState) as SigningStateJson;
  const next = ethState(mergeWatermarks(ethWatermark(current), watermarksFrom(interchange, pubkey)));
  if (sameState(current, next)) return false;
  core.storeSigningState(slotName, next);
  return true;
}

/**
 * The checks a key's slot passes before its slashing protection leaves the vault: bound
 * to a chain, and to the same chain as the others. Returns the common root.
 */
export function commonRoot(slots: readonly ValidatorSlotRecord[], want?: string): string | undefined {
  let root = want;
  for (const s of slots) {
    const r = slotRoot(s);
    if (r === undefined) throw new VaultError('OV_VALIDATOR_UNBOUND', { field: s.name });
    if (root === undefined) root = r;
    else if (r !== root) throw new VaultError(want === undefined ? 'OV_INTERCHANGE_MIXED_CHAINS' : 'OV_INTERCHANGE_CHAIN_MISMATCH', { field: s.name });
  }
  return root;
}

/**
 * An interchange of the selected Ethereum keys (all of them, or `pubkeys`, or those bound
 * to `root`), each with its slot's watermarks. Every key of a slot carries the slot's
 * watermarks (the slot owns them across rotations). Refused when a selected key is
 * unbound (OV_VALIDATOR_UNBOUND) or the keys span several roots (OV_INTERCHANGE_MIXED_CHAINS).
 */
export function exportInterchange(
  core: ValidatorCore,
  opts: { pubkeys?: readonly string[]; root?: string; visible?: (name: string) => boolean } = {},
): Interchange {
  const want = opts.root === undefined ? undefined : checkRoot(opts.root, 'genesis_validators_root');
  core.keyring();
  const visible = opts.visible ?? (() => true);
  let keys: ValidatorKeyRecord[];
  if (opts.pubkeys !== undefined && opts.pubkeys.length > 0) {
    keys = opts.pubkeys.map((p, i) => {
      let raw: Uint8Array;
      try {
        raw = parsePublicKey('ethereum', p);
      } catch {
        throw new VaultError('OV_INVALID_ARGUMENT', { field: `pubkeys/${i}`, reason: 'not a 48-byte 0x-hex public key' });
      }
      const k = core.store.findByPublicKey('ethereum', raw);
      if (k === undefined || !visible(k.slot)) throw new VaultError('OV_VALIDATOR_NOT_FOUND', { field: `pubkeys/${i}` });
      return k;
    });
  } else {
    const slots = new Map(core.store.listSlots().map((s) => [s.name, s]));
    keys = core.store.listKeys().filter((k) => {
      if (k.chain !== 'ethereum' || !visible(k.slot)) return false;
      return want === undefined || slotRoot(slots.get(k.slot) as ValidatorSlotRecord) === want;
    });
  }
  const slots = [...new Set(keys.map((k) => k.slot))].map((n) => core.slot(n));
  const root = commonRoot(slots, want);
  if (root === undefined) throw new VaultError('OV_VALIDATOR_NOT_FOUND', { reason: 'no Ethereum key to export' });
  const bySlot = new Map(slots.map((s) => [s.name, ethWatermark(JSON.parse(s.signingState) as SigningStateJson)]));
  const entries: { pubkey: string; watermark: EthWatermark }[] = [];
  const seen = new Set<string>();
  for (const k of keys) {
    const pubkey = formatPublicKey('ethereum', k.publicKey);
    if (seen.has(pubkey)) continue;
    seen.add(pubkey);
    entries.push({ pubkey, watermark: bySlot.get(k.slot) as EthWatermark });
  }
  return interchangeFor(root, entries);
}

/** Binds an Ethereum slot to its chain; binding again to the same root changes nothing. */
export function bindChain(core: ValidatorCore, name: string, root: string): ValidatorSlotRecord {
  const r = checkRoot(root, 'genesis_validators_root');
  core.keyring();
  checkName(name);
  return core.deps.storage.transaction(() => {
    const slot = core.slot(name);
    if (slot.chain !== 'ethereum') throw new VaultError('OV_VALIDATOR_STATE', { reason: 'only ethereum slots have a chain root' });
    const bound = slotRoot(slot);
    if (bound !== undefined && bound !== r) throw new VaultError('OV_INTERCHANGE_CHAIN_MISMATCH', { field: 'genesis_validators_root' });
    if (bound === undefined) bindSlot(core, slot, r);
    return core.slot(name);
  });
}

/**
 * Confirms a slot's watermarks without an interchange: they rise to at least `minimum`
 * (the operator's reading of what the key signed on chain; a lower value than stored
 * changes nothing, it never lowers), then the restore mark of the slot is cleared.
 * Ethereum: any of max_block_slot, max_source_epoch, max_target_epoch; Cosmos:
 * height, round, step; Solana: nothing.
 */
export function confirmWatermarks(core: ValidatorCore, name: string, minimum: Record<string, unknown>): void {
  core.keyring();
  checkName(name);
  core.deps.storage.transaction(() => {
    const slot = core.slot(name);
    const current = JSON.parse(slot.signingState) as SigningStateJson;
    // Validated as a raise over a fresh slot's state: same fields and bounds as signing-state.
    const asked = raiseSigningState(slot.chain, initialSigningState(slot.chain), minimum);
    let next: SigningStateJson = current;
    if (slot.chain === 'ethereum') {
      const given = Object.fromEntries(Object.keys(minimum).map((k) => [k, asked[k]])) as SigningStateJson;
      next = ethState(mergeWatermarks(ethWatermark(current), ethWatermark(given)));
    } else if (slot.chain === 'cosmos') {
      next = compareHrs(asked, current) > 0 ? asked : current;
    }
    if (!sameState(current, next)) core.storeSigningState(name, next);
    confirmSlot(core, name);
  });
}

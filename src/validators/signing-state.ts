/**
 * Signing-state rules, pure (no storage, no clock): a slot's anti-slashing watermarks
 * only ever rise. Ethereum keeps three EIP-3076 watermarks, each compared on its own;
 * Cosmos keeps CometBFT's (height, round, step), compared as a tuple; Solana keeps none.
 * The slot owns the state, so a promoted key carries it over by construction; these
 * functions decide what a new state may be.
 * @module
 */
import { VaultError } from '../errors.js';
import { bad } from './inputs.js';
import type { EthWatermark } from './interchange.js';
import type { SigningStateJson } from './records.js';
import type { Chain } from './types.js';

const UINT64_MAX = (1n << 64n) - 1n;

/** The state of a fresh slot: nothing signed yet. */
export function initialSigningState(chain: Chain): SigningStateJson {
  switch (chain) {
    case 'ethereum':
      return { max_block_slot: null, max_source_epoch: null, max_target_epoch: null };
    case 'cosmos':
      return { height: '0', round: 0, step: 0 };
    case 'solana':
      return {};
  }
}

function isUint64(s: unknown): s is string {
  return typeof s === 'string' && /^(0|[1-9][0-9]{0,19})$/.test(s) && BigInt(s) <= UINT64_MAX;
}

/** The larger of two optional uint64 decimal strings. */
function maxU64(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return BigInt(a) >= BigInt(b) ? a : b;
}

/** Cosmos (height, round, step) compared as a tuple; negative when a < b. */
export function compareHrs(a: SigningStateJson, b: SigningStateJson): number {
  const ha = BigInt(a.height as string);
  const hb = BigInt(b.height as string);
  if (ha !== hb) return ha < hb ? -1 : 1;
  if (a.round !== b.round) return (a.round as number) < (b.round as number) ? -1 : 1;
  if (a.step !== b.step) return (a.step as number) < (b.step as number) ? -1 : 1;
  return 0;
}

export function ethWatermark(s: SigningStateJson): EthWatermark {
  return {
    maxBlockSlot: (s.max_block_slot as string | null | undefined) ?? null,
    maxSourceEpoch: (s.max_source_epoch as string | null | undefined) ?? null,
    maxTargetEpoch: (s.max_target_epoch as string | null | undefined) ?? null,
  };
}

export function ethState(w: EthWatermark): SigningStateJson {
  return { max_block_slot: w.maxBlockSlot, max_source_epoch: w.maxSourceEpoch, max_target_epoch: w.maxTargetEpoch };
}

/** Element-wise max of two Ethereum watermarks (never lowers either). */
export function mergeWatermarks(a: EthWatermark, b: EthWatermark): EthWatermark {
  return {
    maxBlockSlot: maxU64(a.maxBlockSlot, b.maxBlockSlot),
    maxSourceEpoch: maxU64(a.maxSourceEpoch, b.maxSourceEpoch),
    maxTargetEpoch: maxU64(a.maxTargetEpoch, b.maxTargetEpoch),
  };
}

export function sameState(a: SigningStateJson, b: SigningStateJson): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * What a slot's state becomes when a new key arrives with its own Cosmos state file: the
 * file may only raise the slot's state, never lower it. Undefined when nothing changes.
 */
export function carryOver(current: SigningStateJson, incoming: SigningStateJson | undefined): SigningStateJson | undefined {
  return incoming !== undefined && compareHrs(incoming, current) > 0 ? incoming : undefined;
}

/**
 * Validates a signing-state update for `chain` against `current` and returns the new
 * state. Cosmos needs the whole (height, round, step) and compares it as a tuple;
 * Ethereum fields may be given one at a time and each compares on its own (null only
 * where the current value is null). Lower: OV_SIGNING_STATE_REGRESSION.
 */
export function raiseSigningState(chain: Chain, current: SigningStateJson, update: Record<string, unknown>): SigningStateJson {
  if (typeof update !== 'object' || update === null || Array.isArray(update)) bad('signing_state', 'not an object');
  const keys = Object.keys(update);
  if (chain === 'cosmos') {
    for (const k of keys) if (k !== 'height' && k !== 'round' && k !== 'step') bad(`signing_state.${k}`, 'unknown field');
    const { height, round, step } = update;
    if (!isUint64(height) || BigInt(height) >= 1n << 63n) bad('signing_state.height', 'int64 decimal string');
    if (typeof round !== 'number' || !Number.isSafeInteger(round) || round < 0 || round > 2 ** 31 - 1) bad('signing_state.round', 'non-negative int32');
    if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0 || step > 3) bad('signing_state.step', '0..3');
    const next = { height, round, step };
    if (compareHrs(next, current) < 0) throw new VaultError('OV_SIGNING_STATE_REGRESSION', { field: 'signing_state' });
    return next;
  }
  if (chain === 'ethereum') {
    const cur = ethWatermark(current);
    const next: EthWatermark = { ...cur };
    const fields = { max_block_slot: 'maxBlockSlot', max_source_epoch: 'maxSourceEpoch', max_target_epoch: 'maxTargetEpoch' } as const;
    for (const k of keys) {
      if (!(k in fields)) bad(`signing_state.${k}`, 'unknown field');
      const prop = fields[k as keyof typeof fields];
      const v = update[k];
      if (v !== null && !isUint64(v)) bad(`signing_state.${k}`, 'uint64 decimal string or null');
      const was = cur[prop];
      if (was !== null && (v === null || BigInt(v) < BigInt(was))) throw new VaultError('OV_SIGNING_STATE_REGRESSION', { field: `signing_state.${k}` });
      next[prop] = v;
    }
    return ethState(next);
  }
  if (keys.length > 0) bad('signing_state', 'solana slots carry no signing state');
  return {};
}

// ---------------------------------------------------------------------------------------
// The remote signer's slashing-protection decision (EIP-3076 minimal rules plus the roots
// that allow a same-root re-sign). The watermarks are the slot's; `SignerProtection` keeps
// what they cannot say: the genesis validators root the key is bound to and the signing
// roots at the watermarks.

/** Per slot, next to the watermarks: hex strings, uint64 decimal strings, or null. */
export interface SignerProtection {
  readonly gvr: string | null;
  readonly block_slot: string | null;
  readonly block_root: string | null;
  readonly source_epoch: string | null;
  readonly target_epoch: string | null;
  readonly attestation_root: string | null;
}

export const NO_PROTECTION: SignerProtection = Object.freeze({
  gvr: null,
  block_slot: null,
  block_root: null,
  source_epoch: null,
  target_epoch: null,
  attestation_root: null,
});

export type ProtectedMessage =
  | { readonly kind: 'block'; readonly slot: bigint }
  | { readonly kind: 'attestation'; readonly source: bigint; readonly target: bigint }
  | { readonly kind: 'none' };

export interface SigningDecision {
  /** The slot's new signing state, or undefined when it does not change. */
  readonly state: SigningStateJson | undefined;
  /** The new protection row, or undefined when it does not change. */
  readonly protection: SignerProtection | undefined;
}

function refuse(reason: string): never {
  throw new VaultError('OV_SLASHING_REFUSED', { reason });
}

/**
 * Whether a message may be signed and what is stored first. Blocks: a slot above the
 * block watermark, or the very root already signed at the watermark. Attestations: source
 * at or above the source watermark and target above the target watermark (which rules out
 * double votes and surrounds in both directions), or the very attestation already signed
 * at the watermark. A key is bound to the first genesis validators root it signs a block
 * or attestation under; any request under another is refused. OV_SLASHING_REFUSED with a
 * reason otherwise.
 */
export function decideSigning(current: SigningStateJson, prot: SignerProtection, gvr: string | undefined, msg: ProtectedMessage, root: string): SigningDecision {
  if (gvr !== undefined && prot.gvr !== null && prot.gvr !== gvr) refuse(`genesis validators root differs from the one this key signs under (${prot.gvr})`);
  if (msg.kind === 'none') return { state: undefined, protection: undefined };
  const w = ethWatermark(current);
  const bound = prot.gvr ?? gvr ?? null;
  if (msg.kind === 'block') {
    const max = w.maxBlockSlot === null ? null : BigInt(w.maxBlockSlot);
    if (max !== null && msg.slot <= max) {
      if (msg.slot === max && prot.block_slot === String(max) && prot.block_root === root) return { state: undefined, protection: undefined };
      if (msg.slot === max) refuse(`double proposal: another block was signed at slot ${max}`);
      refuse(`block slot ${msg.slot} is at or below the highest signed slot ${max}`);
    }
    const slot = String(msg.slot);
    return { state: ethState({ ...w, maxBlockSlot: slot }), protection: { ...prot, gvr: bound, block_slot: slot, block_root: root } };
  }
  const maxS = w.maxSourceEpoch === null ? null : BigInt(w.maxSourceEpoch);
  const maxT = w.maxTargetEpoch === null ? null : BigInt(w.maxTargetEpoch);
  const { source, target } = msg;
  if (maxT !== null && target === maxT && prot.target_epoch === String(target) && prot.source_epoch === String(source) && prot.attestation_root === root) {
    return { state: undefined, protection: undefined };
  }
  if (maxS !== null && source < maxS && maxT !== null && target > maxT) refuse(`surround vote: source epoch ${source} is below the highest signed source ${maxS}`);
  if (maxS !== null && source > maxS && maxT !== null && target < maxT) refuse(`surrounded vote: target epoch ${target} is below the highest signed target ${maxT}`);
  if (maxT !== null && target === maxT) refuse(`double vote: another attestation was signed for target epoch ${maxT}`);
  if (maxT !== null && target < maxT) refuse(`target epoch ${target} is below the highest signed target ${maxT}`);
  if (maxS !== null && source < maxS) refuse(`source epoch ${source} is below the highest signed source ${maxS}`);
  const next = { ...w, maxSourceEpoch: String(source), maxTargetEpoch: String(target) };
  return {
    state: ethState(next),
    protection: { ...prot, gvr: bound, source_epoch: String(source), target_epoch: String(target), attestation_root: root },
  };
}

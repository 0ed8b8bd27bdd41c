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

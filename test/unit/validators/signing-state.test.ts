/**
 * The signing-state rules alone (no storage, no keyring): fresh states per chain, Cosmos
 * (height, round, step) compared as a tuple, Ethereum watermarks each compared on their
 * own, Solana carrying none, interchange merges that never lower, and the carry-over of a
 * state file that comes with a rotated key.
 */
import { describe, expect, it } from 'vitest';
import { VaultError, type ErrorCode } from '../../../src/errors.js';
import {
  carryOver,
  compareHrs,
  initialSigningState,
  mergeWatermarks,
  raiseSigningState,
  sameState,
} from '../../../src/validators/signing-state.js';

function expectCode(fn: () => unknown, code: ErrorCode): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(VaultError);
  expect((caught as VaultError).code).toBe(code);
}

describe('signing-state rules', () => {
  it('starts every chain with nothing signed', () => {
    expect(initialSigningState('ethereum')).toEqual({ max_block_slot: null, max_source_epoch: null, max_target_epoch: null });
    expect(initialSigningState('cosmos')).toEqual({ height: '0', round: 0, step: 0 });
    expect(initialSigningState('solana')).toEqual({});
  });

  it('compares Cosmos states as a (height, round, step) tuple, heights beyond 2^53 included', () => {
    const s = (height: string, round: number, step: number) => ({ height, round, step });
    expect(compareHrs(s('10', 0, 0), s('9', 9, 3))).toBe(1);
    expect(compareHrs(s('10', 1, 3), s('10', 2, 0))).toBe(-1);
    expect(compareHrs(s('10', 2, 1), s('10', 2, 0))).toBe(1);
    expect(compareHrs(s('10', 2, 1), s('10', 2, 1))).toBe(0);
    expect(compareHrs(s('9007199254740993', 0, 0), s('9007199254740992', 0, 0))).toBe(1);
  });

  it('raises a Cosmos state only as a whole tuple, never lower', () => {
    const cur = { height: '10', round: 2, step: 1 };
    expect(raiseSigningState('cosmos', cur, { height: '10', round: 2, step: 1 })).toEqual(cur);
    expect(raiseSigningState('cosmos', cur, { height: '11', round: 0, step: 0 })).toEqual({ height: '11', round: 0, step: 0 });
    for (const lower of [{ height: '9', round: 9, step: 3 }, { height: '10', round: 1, step: 3 }, { height: '10', round: 2, step: 0 }]) {
      expectCode(() => raiseSigningState('cosmos', cur, lower), 'OV_SIGNING_STATE_REGRESSION');
    }
    expectCode(() => raiseSigningState('cosmos', cur, { height: '11' }), 'OV_INVALID_ARGUMENT');
    expectCode(() => raiseSigningState('cosmos', cur, { height: '11', round: 0, step: 4 }), 'OV_INVALID_ARGUMENT');
    expectCode(() => raiseSigningState('cosmos', cur, { height: '9223372036854775808', round: 0, step: 0 }), 'OV_INVALID_ARGUMENT');
    expectCode(() => raiseSigningState('cosmos', cur, { height: '11', round: 0, step: 0, extra: 1 }), 'OV_INVALID_ARGUMENT');
  });

  it('raises Ethereum watermarks one at a time; null only where nothing was signed', () => {
    let cur = initialSigningState('ethereum');
    cur = raiseSigningState('ethereum', cur, { max_source_epoch: '5', max_target_epoch: '6' });
    cur = raiseSigningState('ethereum', cur, { max_block_slot: '100' });
    expect(cur).toEqual({ max_block_slot: '100', max_source_epoch: '5', max_target_epoch: '6' });
    expect(raiseSigningState('ethereum', cur, { max_target_epoch: '18446744073709551615' }).max_target_epoch).toBe('18446744073709551615');
    expectCode(() => raiseSigningState('ethereum', cur, { max_target_epoch: '5' }), 'OV_SIGNING_STATE_REGRESSION');
    expectCode(() => raiseSigningState('ethereum', cur, { max_block_slot: null }), 'OV_SIGNING_STATE_REGRESSION');
    expectCode(() => raiseSigningState('ethereum', cur, { max_block_slot: '18446744073709551616' }), 'OV_INVALID_ARGUMENT');
    expectCode(() => raiseSigningState('ethereum', cur, { max_block_slot: '007' }), 'OV_INVALID_ARGUMENT');
    expectCode(() => raiseSigningState('ethereum', cur, { height: '1', round: 0, step: 0 }), 'OV_INVALID_ARGUMENT');
    expect(raiseSigningState('ethereum', initialSigningState('ethereum'), { max_block_slot: null })).toEqual(initialSigningState('ethereum'));
  });

  it('gives Solana slots no signing state', () => {
    expect(raiseSigningState('solana', {}, {})).toEqual({});
    expectCode(() => raiseSigningState('solana', {}, { height: '1' }), 'OV_INVALID_ARGUMENT');
  });

  it('merges interchange watermarks element-wise, never lowering either side', () => {
    const a = { maxBlockSlot: '100', maxSourceEpoch: null, maxTargetEpoch: '7' };
    const b = { maxBlockSlot: '90', maxSourceEpoch: '3', maxTargetEpoch: '8' };
    expect(mergeWatermarks(a, b)).toEqual({ maxBlockSlot: '100', maxSourceEpoch: '3', maxTargetEpoch: '8' });
    expect(mergeWatermarks(b, a)).toEqual(mergeWatermarks(a, b));
  });

  it('carries over a rotated key state file only when it is higher', () => {
    const cur = { height: '10', round: 2, step: 1 };
    expect(carryOver(cur, undefined)).toBeUndefined();
    expect(carryOver(cur, { height: '10', round: 2, step: 1 })).toBeUndefined();
    expect(carryOver(cur, { height: '9', round: 9, step: 3 })).toBeUndefined();
    expect(carryOver(cur, { height: '12', round: 0, step: 0 })).toEqual({ height: '12', round: 0, step: 0 });
  });

  it('compares states field by field', () => {
    expect(sameState({ height: '1', round: 0, step: 0 }, { step: 0, round: 0, height: '1' })).toBe(true);
    expect(sameState({ max_block_slot: null }, { max_block_slot: '0' })).toBe(false);
    expect(sameState({}, { height: '0' })).toBe(false);
  });
});

/**
 * Shared assertions for the crypto unit tests.
 */
import { expect } from 'vitest';
import { isVaultError, type ErrorCode } from '../../../src/errors.js';

/** Asserts that `fn` throws a VaultError with exactly this code. */
export function expectCode(fn: () => unknown, code: ErrorCode): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, `expected ${code}, nothing was thrown`).toBeDefined();
  expect(isVaultError(thrown, code), `expected ${code}, got ${String(thrown)}`).toBe(true);
}

/** A copy of `b` with bit `bit` (0 = most significant bit of byte 0) flipped. */
export function flipBit(b: Uint8Array, bit: number): Uint8Array {
  const out = new Uint8Array(b);
  const i = bit >> 3;
  out[i] = (out[i] ?? 0) ^ (0x80 >> (bit & 7));
  return out;
}

export function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/** Values that are not byte arrays, for "never throws / right error code" checks. */
export const NOT_BYTES: readonly unknown[] = [undefined, null, 0, 'abc', [1, 2, 3], {}, new Uint16Array(4)];

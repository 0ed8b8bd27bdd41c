/**
 * Answer times: `iso` keeps its last two results, and whatever order times are asked in
 * (one repeated, two alternating, a third replacing one of them), each answer is that
 * time's RFC 3339 text.
 */
import { describe, expect, it } from 'vitest';
import { iso } from '../../../src/http/context.js';

describe('iso', () => {
  it('formats every time right, in any order of asking', () => {
    const times = [0, 1_700_000_000_000, 1_700_000_000_001, 253_402_300_799_999];
    let seed = 7;
    for (let i = 0; i < 2_000; i++) {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      const ms = times[seed % times.length] as number;
      expect(iso(ms)).toBe(new Date(ms).toISOString());
    }
    // Alternating pairs, then a third time between them.
    for (const ms of [10, 20, 10, 20, 30, 10, 30, 20, 20]) expect(iso(ms)).toBe(new Date(ms).toISOString());
  });

  it('refuses a time with no RFC 3339 form, as Date does', () => {
    expect(() => iso(Number.NaN)).toThrow(RangeError);
    expect(iso(5)).toBe('1970-01-01T00:00:00.005Z');
  });
});

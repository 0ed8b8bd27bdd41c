/**
 * Byte helpers (src/crypto/bytes.ts) and the identity-keyed prepared-key cache
 * (src/crypto/keycache.ts).
 */
import { describe, expect, it } from 'vitest';
import { concatBytes, constantTimeEqual, expectBytes, ownBytes, randomBytes, utf8, wipe } from '../../../src/crypto/bytes.js';
import * as api from '../../../src/crypto/index.js';
import { KeyCache } from '../../../src/crypto/keycache.js';
import { NOT_BYTES, expectCode, hexOf } from './helpers.js';

describe('constantTimeEqual', () => {
  it('is true exactly for equal bytes; different lengths are false', () => {
    expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 3))).toBe(true);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
    expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2, 4))).toBe(false);
    expect(constantTimeEqual(Uint8Array.of(0, 2, 3), Uint8Array.of(1, 2, 3))).toBe(false);
    expect(constantTimeEqual(Uint8Array.of(1, 2, 3), Uint8Array.of(1, 2))).toBe(false);
    expect(constantTimeEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 3))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), Uint8Array.of(0))).toBe(false);
  });

  it('compares views by their own bytes', () => {
    const big = Uint8Array.of(9, 1, 2, 3, 9);
    expect(constantTimeEqual(big.subarray(1, 4), Uint8Array.of(1, 2, 3))).toBe(true);
  });
});

describe('wipe', () => {
  it('zeroes every array given and skips undefined', () => {
    const a = Uint8Array.of(1, 2, 3);
    const b = randomBytes(64);
    wipe(a, undefined, b);
    expect(a.every((x) => x === 0)).toBe(true);
    expect(b.every((x) => x === 0)).toBe(true);
  });

  it('zeroes only the view it is given', () => {
    const big = Uint8Array.of(1, 2, 3, 4);
    wipe(big.subarray(1, 3));
    expect([...big]).toEqual([1, 0, 0, 4]);
  });
});

describe('concatBytes', () => {
  it('concatenates into a new array', () => {
    const a = Uint8Array.of(1);
    const out = concatBytes(a, new Uint8Array(0), Uint8Array.of(2, 3));
    expect([...out]).toEqual([1, 2, 3]);
    out[0] = 9;
    expect(a[0]).toBe(1);
    expect(concatBytes().length).toBe(0);
  });
});

describe('randomBytes', () => {
  it('returns fresh plain arrays of the requested length', () => {
    const a = randomBytes(32);
    const b = randomBytes(32);
    expect(a.length).toBe(32);
    expect(hexOf(a)).not.toBe(hexOf(b));
    expect(a.some((x) => x !== 0)).toBe(true);
    expect(Object.getPrototypeOf(a)).toBe(Uint8Array.prototype);
    expect(a.buffer.byteLength).toBe(32);
    expect(randomBytes(0).length).toBe(0);
  });

  it('rejects negative or fractional lengths', () => {
    for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => randomBytes(n)).toThrow(RangeError);
  });
});

describe('utf8', () => {
  it('encodes UTF-8', () => {
    expect([...utf8('aé€')]).toEqual([0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac]);
    expect(utf8('').length).toBe(0);
  });
});

describe('expectBytes', () => {
  it('throws the given code for a wrong length or a non-byte value', () => {
    expect(() => expectBytes(new Uint8Array(4), 4, 'OV_KEY_INVALID', 'k')).not.toThrow();
    expect(() => expectBytes(new Uint8Array(4), undefined, 'OV_KEY_INVALID', 'k')).not.toThrow();
    expectCode(() => expectBytes(new Uint8Array(3), 4, 'OV_KEY_INVALID', 'k'), 'OV_KEY_INVALID');
    for (const v of NOT_BYTES) expectCode(() => expectBytes(v, undefined, 'OV_ENVELOPE_OPEN', 'c'), 'OV_ENVELOPE_OPEN');
  });
});

describe('ownBytes', () => {
  it('copies out of a shared (pooled) buffer and zeroes the source', () => {
    const pool = new Uint8Array(16).fill(5);
    const view = pool.subarray(4, 8);
    const out = ownBytes(view);
    expect([...out]).toEqual([5, 5, 5, 5]);
    expect(out.buffer.byteLength).toBe(4);
    expect([...pool.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
    expect(pool[3]).toBe(5);
  });

  it('wraps an array that owns its whole buffer without copying', () => {
    const whole = Buffer.alloc(8, 1);
    const out = ownBytes(whole);
    expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype);
    expect(out.buffer).toBe(whole.buffer);
  });
});

describe('KeyCache', () => {
  it('prepares once per key array while its bytes are unchanged', () => {
    let made = 0;
    const cache = new KeyCache<string>((k) => {
      made++;
      return hexOf(k);
    });
    const key = Uint8Array.of(1, 2, 3);
    expect(cache.get(key)).toBe('010203');
    expect(cache.get(key)).toBe('010203');
    expect(made).toBe(1);
    // Another array with the same bytes is another identity: prepared separately.
    expect(cache.get(Uint8Array.of(1, 2, 3))).toBe('010203');
    expect(made).toBe(2);
  });

  it('rebuilds and disposes when the key array is changed in place', () => {
    const disposed: string[] = [];
    const cache = new KeyCache<string>(
      (k) => hexOf(k),
      (v) => disposed.push(v),
    );
    const key = Uint8Array.of(1, 2, 3);
    expect(cache.get(key)).toBe('010203');
    key[2] = 4;
    expect(cache.get(key)).toBe('010204');
    expect(disposed).toEqual(['010203']);
    wipe(key);
    expect(cache.get(key)).toBe('000000');
    expect(disposed).toEqual(['010203', '010204']);
  });

  it('keeps its own copy: the make function gets the live array but the comparison uses a snapshot', () => {
    const cache = new KeyCache<number>((k) => k[0] ?? -1);
    const key = Uint8Array.of(7);
    expect(cache.get(key)).toBe(7);
    key[0] = 8;
    expect(cache.get(key)).toBe(8);
    key[0] = 7;
    expect(cache.get(key)).toBe(7);
  });

  it('does not cache a failed preparation', () => {
    let calls = 0;
    const cache = new KeyCache<number>(() => {
      calls++;
      throw new Error('bad key');
    });
    const key = Uint8Array.of(1);
    expect(() => cache.get(key)).toThrow('bad key');
    expect(() => cache.get(key)).toThrow('bad key');
    expect(calls).toBe(2);
  });
});

describe('src/crypto/index.ts', () => {
  it('exports the agreed API', () => {
    for (const name of ['aead', 'aeadById', 'concatBytes', 'constantTimeEqual', 'randomBytes', 'utf8', 'wipe', 'getProvider', 'nativeAvailable', 'selectProvider']) {
      expect(typeof (api as Record<string, unknown>)[name], name).toBe('function');
    }
  });
});

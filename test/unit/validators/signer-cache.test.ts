/** The signer's key cache: a hit needs the very row (id and KEM version); secrets are zeroed when they leave. */
import { describe, expect, it } from 'vitest';
import { SignerKeyCache } from '../../../src/validators/signer-cache.js';

describe('SignerKeyCache', () => {
  const row = (id = 'k', kemVersion = 1): { id: string; kemVersion: number } => ({ id, kemVersion });

  it('hits only for the row it was opened from, and drops the entry on any other', () => {
    const c = new SignerKeyCache(4);
    const secret = new Uint8Array(32).fill(7);
    c.put('0xaa', row(), secret);
    secret.fill(0);
    expect(c.get('0xaa', row())).toEqual(new Uint8Array(32).fill(7));
    expect(c.get('0xbb', row())).toBeUndefined();
    for (const other of [row('k', 2), row('other')]) {
      c.put('0xaa', row(), new Uint8Array(32).fill(7));
      const kept = c.get('0xaa', row())!;
      expect(c.get('0xaa', other)).toBeUndefined();
      // Dropped, and zeroed: the next lookup of the right row misses too.
      expect(kept.every((x) => x === 0)).toBe(true);
      expect(c.get('0xaa', row())).toBeUndefined();
    }
  });

  it('evicts the least recently used past its bound and zeroes what it drops', () => {
    const c = new SignerKeyCache(2);
    c.put('a', row('ka'), new Uint8Array(32).fill(1));
    c.put('b', row('kb'), new Uint8Array(32).fill(2));
    const a = c.get('a', row('ka'))!;
    c.put('c', row('kc'), new Uint8Array(32).fill(3));
    expect(c.get('b', row('kb'))).toBeUndefined();
    expect(c.size).toBe(2);
    const kept = c.get('c', row('kc'))!;
    c.wipe();
    expect(c.size).toBe(0);
    expect(a.every((x) => x === 0)).toBe(true);
    expect(kept.every((x) => x === 0)).toBe(true);
  });

  it('keeps nothing when disabled', () => {
    const c = new SignerKeyCache(0);
    c.put('a', row(), new Uint8Array(32).fill(1));
    expect(c.get('a', row())).toBeUndefined();
  });
});

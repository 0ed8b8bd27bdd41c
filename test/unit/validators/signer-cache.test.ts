/** The signer's key cache: a hit needs the very envelope and KEM version; secrets are zeroed when they leave. */
import { describe, expect, it } from 'vitest';
import { SignerKeyCache } from '../../../src/validators/signer-cache.js';

describe('SignerKeyCache', () => {
  const env = Uint8Array.of(1, 2, 3);
  it('hits only for the same envelope bytes and KEM version', () => {
    const c = new SignerKeyCache(4);
    const secret = new Uint8Array(32).fill(7);
    c.put('k', env, 1, secret);
    secret.fill(0);
    expect(c.get('k', Uint8Array.of(1, 2, 3), 1)).toEqual(new Uint8Array(32).fill(7));
    expect(c.get('k', env, 2)).toBeUndefined();
    // A miss on other bytes drops the entry.
    c.put('k', env, 1, new Uint8Array(32).fill(7));
    expect(c.get('k', Uint8Array.of(1, 2, 4), 1)).toBeUndefined();
    expect(c.get('k', env, 1)).toBeUndefined();
  });

  it('evicts the least recently used past its bound and zeroes what it drops', () => {
    const c = new SignerKeyCache(2);
    c.put('a', env, 1, new Uint8Array(32).fill(1));
    c.put('b', env, 1, new Uint8Array(32).fill(2));
    const a = c.get('a', env, 1)!;
    c.put('c', env, 1, new Uint8Array(32).fill(3));
    expect(c.get('b', env, 1)).toBeUndefined();
    expect(c.size).toBe(2);
    const kept = c.get('c', env, 1)!;
    c.wipe();
    expect(c.size).toBe(0);
    expect(a.every((x) => x === 0)).toBe(true);
    expect(kept.every((x) => x === 0)).toBe(true);
  });

  it('keeps nothing when disabled', () => {
    const c = new SignerKeyCache(0);
    c.put('a', env, 1, new Uint8Array(32).fill(1));
    expect(c.get('a', env, 1)).toBeUndefined();
  });
});

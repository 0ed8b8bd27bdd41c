/**
 * Pure parts of src/secrets (no SQLite, so this suite also runs under Node 24): path and
 * prefix rules, listing ranges within a scope, the read cache (keys bound to the exact
 * bytes and binding, LRU by bytes, zeroing on evict and wipe) and the secret context.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isVaultError } from '../../../src/errors.js';
import { ReadCache, listRange, parseSecretPath, secretContext } from '../../../src/secrets/index.js';
import { isValidPrefix } from '../../../src/secrets/path.js';
import { isSecretPath } from '../../../src/util/secret-path.js';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isVaultError(e)) return e.code;
    throw e;
  }
  return 'ok';
}

describe('secret paths', () => {
  it('accepts canonical paths and refuses every other spelling', () => {
    for (const p of ['a', 'app/db', 'A-z_0.9/x', `${'a/'.repeat(63)}a`]) expect(parseSecretPath(p)).toBe(p);
    for (const p of ['', '/', 'a/', '/a', 'a//b', '.', '..', 'a/./b', 'a/../b', 'a%2Fb', '%2e%2e', 'a b', 'dé', 'a\\b', `${'a/'.repeat(64)}a`, 'x'.repeat(513)]) {
      expect(code(() => parseSecretPath(p)), p).toBe('OV_PATH_INVALID');
    }
  });

  it('the one-pass check agrees with the rule written as split and match, on any text', () => {
    const rule = (p: string): boolean => {
      if (p.length === 0 || p.length > 512) return false;
      const segs = p.split('/');
      return segs.length <= 64 && segs.every((x) => /^[A-Za-z0-9._-]+$/.test(x) && x !== '.' && x !== '..');
    };
    const char = fc.constantFrom('a', 'Z', '0', '.', '_', '-', '/', '%', ' ', '\\', 'é', '\u0000');
    fc.assert(fc.property(fc.array(char, { maxLength: 24 }).map((a) => a.join('')), (p) => isSecretPath(p) === rule(p)), { numRuns: 5000 });
    const many = (n: number) => Array.from({ length: n }, () => 'a').join('/');
    expect([many(64), many(65)].map(isSecretPath)).toEqual([true, false]);
    expect([`${'a'.repeat(512)}`, `${'a'.repeat(513)}`].map(isSecretPath)).toEqual([true, false]);
  });

  it('accepts string prefixes made of whole or partial segments only', () => {
    for (const p of ['', 'app', 'app/', 'app/we', 'a.b/c-']) expect(isValidPrefix(p), p).toBe(true);
    for (const p of ['/', '/app', 'app//', '..', 'app/..', 'app/./x', 'app/.', 'a%2F', 'a b']) expect(isValidPrefix(p), p).toBe(false);
  });

  it('turns scope and prefix into a key range, refusing prefixes outside the scope', () => {
    expect(listRange('*', undefined)).toEqual({ from: '', to: '\u007f' });
    expect(listRange('*', 'app/')).toEqual({ from: 'app/', to: 'app0' });
    expect(listRange('app', undefined)).toEqual({ from: 'app/', to: 'app0', exact: 'app' });
    expect(listRange('app', 'app')).toEqual({ from: 'app/', to: 'app0', exact: 'app' });
    expect(listRange('app', 'app/')).toEqual({ from: 'app/', to: 'app0' });
    expect(listRange('app', 'app/we')).toEqual({ from: 'app/we', to: 'app/wf' });
    for (const p of ['ap', 'apple', 'other/', '']) if (p !== '') expect(code(() => listRange('app', p)), p).toBe('OV_FORBIDDEN');
    expect(code(() => listRange('app', 'app/..'))).toBe('OV_PATH_INVALID');
  });

  it('binds path, version and kind into the context', () => {
    expect(Buffer.from(secretContext({ path: 'app/db', version: 12, kind: 'data' })).toString('latin1')).toBe('ontoref-vault/secret/v1\0app/db\x0012\0data');
  });
});

describe('ReadCache', () => {
  const b = (path: string, version = 1) => ({ path, version, kind: 'data' as const });
  const env = Uint8Array.of(1, 2, 3);
  /** What one entry is charged: plaintext + envelope copy + overhead (400). */
  const charge = (plain: number, envelope = env.length) => plain + envelope + 400;

  it('keys by the binding: path, version and kind', () => {
    const k = ReadCache.key(b('a'));
    expect(ReadCache.key(b('b'))).not.toBe(k);
    expect(ReadCache.key(b('a', 2))).not.toBe(k);
    expect(ReadCache.key({ path: 'a', version: 1, kind: 'binary' })).not.toBe(k);
    expect(ReadCache.key(b('a'))).toBe(k);
  });

  it('hits only for the exact envelope bytes it was opened from (any changed byte, shorter or longer, misses and drops the entry)', () => {
    const c = new ReadCache(10_000);
    const envelope = Uint8Array.from({ length: 64 }, (_, i) => i);
    c.set(b('a'), envelope, Uint8Array.of(42));
    // The cache keeps its own copy: changing the caller's array afterwards is a different row.
    const original = envelope.slice();
    envelope[0] = 99;
    expect(c.get(b('a'), envelope)).toBeUndefined();
    expect(c.size).toBe(0);
    for (const variant of [original.subarray(0, 63), Uint8Array.from([...original, 0]), (() => { const x = original.slice(); x[63] = (x[63] ?? 0) ^ 1; return x; })()]) {
      c.set(b('a'), original, Uint8Array.of(42));
      const held = c.get(b('a'), original) as Uint8Array;
      expect([...held]).toEqual([42]);
      expect(c.get(b('a'), variant)).toBeUndefined();
      expect(held[0]).toBe(0); // dropped entries are zeroed
      expect(c.size).toBe(0);
      expect(c.bytes).toBe(0);
    }
    // Same bytes under another binding (a moved row) is another entry: a miss.
    c.set(b('a'), original, Uint8Array.of(42));
    expect(c.get(b('b'), original)).toBeUndefined();
    expect(c.get({ path: 'a', version: 1, kind: 'binary' }, original)).toBeUndefined();
    expect(c.get(b('a', 2), original)).toBeUndefined();
    expect(c.get(b('a'), original)?.[0]).toBe(42);
  });

  it('returns a copy it owns, evicts least recently used by bytes (envelopes included), zeroes what it drops', () => {
    const c = new ReadCache(3 * charge(100));
    const values = [0, 1, 2, 3].map((i) => new Uint8Array(100).fill(i + 1));
    c.set(b('p0'), env, values[0] as Uint8Array);
    expect(c.bytes).toBe(charge(100));
    values[0]?.fill(9);
    const held = c.get(b('p0'), env) as Uint8Array;
    expect(held[0]).toBe(1);
    c.set(b('p1'), env, values[1] as Uint8Array);
    c.set(b('p2'), env, values[2] as Uint8Array);
    c.get(b('p0'), env); // p0 is now most recent; p1 is the oldest
    const p1 = c.get(b('p1'), env) as Uint8Array;
    c.get(b('p0'), env);
    c.get(b('p2'), env);
    c.set(b('p3'), env, values[3] as Uint8Array);
    expect(c.get(b('p1'), env)).toBeUndefined();
    expect(p1.every((x) => x === 0)).toBe(true);
    expect(c.size).toBe(3);
    expect(c.bytes).toBe(3 * charge(100));
    c.evict('p0', 1);
    expect(c.get(b('p0'), env)).toBeUndefined();
    expect(held.every((x) => x === 0)).toBe(true);
    // A new envelope for the same version replaces (and zeroes) the old entry, whatever its kind.
    const again = c.get(b('p2'), env) as Uint8Array;
    c.set({ path: 'p2', version: 1, kind: 'binary' }, Uint8Array.of(7), Uint8Array.of(5));
    expect(again.every((x) => x === 0)).toBe(true);
    expect(c.get(b('p2'), env)).toBeUndefined();
    expect(c.get({ path: 'p2', version: 1, kind: 'binary' }, Uint8Array.of(7))?.[0]).toBe(5);
    expect(c.bytes).toBe(charge(100) + charge(1, 1));
    c.wipe();
    expect(c.size).toBe(0);
    expect(c.bytes).toBe(0);
  });

  it('charges the envelope copy: an entry whose envelope alone exceeds the budget is not stored', () => {
    const c = new ReadCache(charge(10, 100) - 1);
    c.set(b('a'), new Uint8Array(100), new Uint8Array(10));
    expect(c.size).toBe(0);
    c.set(b('a'), new Uint8Array(99), new Uint8Array(10));
    expect(c.size).toBe(1);
    expect(c.bytes).toBe(charge(10, 99));
  });

  it('stores nothing when disabled or when a value exceeds the whole budget', () => {
    const off = new ReadCache(0);
    off.set(b('a'), env, env);
    expect(off.get(b('a'), env)).toBeUndefined();
    expect(off.enabled).toBe(false);
    const small = new ReadCache(200);
    small.set(b('a'), env, new Uint8Array(100));
    expect(small.get(b('a'), env)).toBeUndefined();
  });
});

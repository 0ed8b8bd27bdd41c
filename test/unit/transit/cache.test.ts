/**
 * The cache of opened transit key versions, on a real keyring over a real SQLite file:
 * repeated calls open a version once (counted through a wrapper around the sealed
 * records), a tampered or moved row misses and fails though its untampered entry is held,
 * a raised minimum refuses a cached version, delete, trim, config and rewrap drop entries
 * and zero them, eviction and clear zero, and the vault's seal wipes the cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from '../../../src/crypto/bytes.js';
import { selectProvider } from '../../../src/crypto/provider.js';
import { VaultError, type ErrorCode } from '../../../src/errors.js';
import { Keyring, SealedRecords, type SealedBinding, type SealedRow } from '../../../src/keyring/index.js';
import { setupVault } from '../../../src/setup.js';
import { openStorage } from '../../../src/storage/index.js';
import type { Storage } from '../../../src/storage/types.js';
import { TransitKeyCache, TransitService, transitRewrapSource } from '../../../src/transit/index.js';
import type { TransitMaterial } from '../../../src/transit/keys.js';
import { createVault } from '../../../src/vault.js';
import { testConfig } from '../http/helpers.js';
import { tempDir } from '../storage/helpers.js';

const provider = selectProvider();
const T0 = 1_700_000_000_000;
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const text = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

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

/** The real sealed records, counting the full opens (decapsulation and signature check). */
class CountingSealed extends SealedRecords {
  opens = 0;
  override open(binding: SealedBinding, row: SealedRow, verify?: Parameters<SealedRecords['open']>[2]): Uint8Array {
    this.opens++;
    return super.open(binding, row, verify);
  }
}

function secretOf(m: TransitMaterial | undefined): Uint8Array {
  if (m === undefined) throw new Error('not cached');
  return m.kind === 'hmac' ? m.key : m.key.secretKey;
}

const zeroed = (b: Uint8Array): boolean => b.length > 0 && b.every((x) => x === 0);

function hmacMaterial(fill: number): TransitMaterial {
  return { kind: 'hmac', key: new Uint8Array(32).fill(fill) };
}

describe('TransitKeyCache', () => {
  it('zeroes what it evicts to stay within its bound, and everything on clear', () => {
    const envelope = new Uint8Array(100).fill(7);
    // Room for two entries of this size, not three.
    const cache = new TransitKeyCache(2 * (32 + 100 + 256) + 10);
    const [a, b, c] = [hmacMaterial(1), hmacMaterial(2), hmacMaterial(3)];
    cache.set('k', 'hmac-sha256', 1, envelope, a);
    cache.set('k', 'hmac-sha256', 2, envelope, b);
    expect(cache.get('k', 'hmac-sha256', 1, envelope)).toBeDefined(); // 1 is now the most recent
    cache.set('k', 'hmac-sha256', 3, envelope, c);
    expect(zeroed(secretOf(b))).toBe(true);
    expect(cache.peek('k', 2)).toBeUndefined();
    expect(zeroed(secretOf(a))).toBe(false);
    expect(cache.stats()).toMatchObject({ entries: 2, hits: 1 });
    cache.clear();
    expect(zeroed(secretOf(a))).toBe(true);
    expect(zeroed(secretOf(c))).toBe(true);
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });

  it('hands out copies, misses (and zeroes) on other envelope bytes or another type', () => {
    const envelope = new Uint8Array(64).fill(9);
    const cache = new TransitKeyCache(4096);
    const m = hmacMaterial(5);
    cache.set('k', 'hmac-sha256', 1, envelope, m);
    const copy = cache.get('k', 'hmac-sha256', 1, envelope);
    expect(copy).toEqual(m);
    secretOf(copy).fill(0);
    expect(zeroed(secretOf(m))).toBe(false);
    expect(cache.get('k', 'hmac-sha3-256', 1, envelope)).toBeUndefined();
    expect(zeroed(secretOf(m))).toBe(true);
    const n = hmacMaterial(6);
    cache.set('k', 'hmac-sha256', 1, envelope, n);
    const other = envelope.slice();
    other[10] = 0;
    expect(cache.get('k', 'hmac-sha256', 1, other)).toBeUndefined();
    expect(zeroed(secretOf(n))).toBe(true);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2, entries: 0 });
  });

  it('stores nothing when disabled, and zeroes what it does not keep', () => {
    const cache = new TransitKeyCache(0);
    const m = hmacMaterial(4);
    cache.set('k', 'hmac-sha256', 1, new Uint8Array(8), m);
    expect(cache.peek('k', 1)).toBeUndefined();
    expect(zeroed(secretOf(m))).toBe(true);
    expect(() => new TransitKeyCache(-1)).toThrow(RangeError);
  });
});

describe('transit with its key cache (sqlite)', () => {
  let dir: string;
  let cleanup: () => void;
  let storage: Storage;
  let keyring: Keyring;
  let sealed: CountingSealed;
  let transit: TransitService;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    storage = openStorage(join(dir, 'vault.db'));
    keyring = Keyring.create(storage, provider, randomBytes(32), { now: T0 });
    const k = (): Keyring | undefined => (keyring.open ? keyring : undefined);
    sealed = new CountingSealed({ provider, keyring: k, signature: 'ML-DSA-65' });
    transit = new TransitService({ storage, provider, keyring: k, signature: 'ML-DSA-65', now: () => T0, sealed });
  });
  afterEach(() => {
    keyring.wipe();
    storage.close();
    cleanup();
  });

  it('opens a version once across calls, and gives the same answers', () => {
    transit.create('k');
    transit.create('h', { type: 'hmac-sha256' });
    const cts = [1, 2, 3].map((i) => transit.encrypt('k', { plaintext: b64(`p${i}`) }).data.ciphertext);
    expect(cts.map((ct) => text(transit.decrypt('k', { ciphertext: ct }).data.plaintext))).toEqual(['p1', 'p2', 'p3']);
    const mac = transit.hmac('h', { input: b64('x') }).data.hmac;
    expect(transit.hmac('h', { input: b64('x') }).data.hmac).toBe(mac);
    expect(transit.verify('h', { input: b64('x'), hmac: mac }).data.valid).toBe(true);
    expect(sealed.opens).toBe(2);
    expect(transit.cache.stats()).toMatchObject({ hits: 7, misses: 2, entries: 2 });
  });

  it('a tampered or moved row misses and fails though its untampered entry is cached', () => {
    transit.create('a');
    transit.create('b');
    transit.encrypt('a', { plaintext: b64('x') });
    transit.encrypt('b', { plaintext: b64('x') });
    const held = transit.cache.peek('b', 1);
    const rowA = storage.transit.getVersion('a', 1);
    const rowB = storage.transit.getVersion('b', 1);
    if (rowA === undefined || rowB === undefined || held === undefined) throw new Error('missing');
    const flipped = rowB.envelope.slice();
    flipped[flipped.length - 5] = (flipped[flipped.length - 5] as number) ^ 0x01;
    expect(storage.transit.replaceEnvelope('b', 1, rowB.envelope, flipped, rowB.kemVersion)).toBe(true);
    const before = sealed.opens;
    expectCode(() => transit.encrypt('b', { plaintext: b64('x') }), 'OV_TRANSIT_KEY_UNREADABLE');
    expect(sealed.opens).toBe(before + 1);
    expect(zeroed(secretOf(held))).toBe(true);
    // Moved: a's (cached, valid) envelope under b's name.
    expect(storage.transit.replaceEnvelope('b', 1, flipped, rowA.envelope, rowA.kemVersion)).toBe(true);
    expectCode(() => transit.encrypt('b', { plaintext: b64('x') }), 'OV_TRANSIT_KEY_UNREADABLE');
    expect(sealed.opens).toBe(before + 2);
    // Restored bytes open again, through the full open.
    expect(storage.transit.replaceEnvelope('b', 1, rowA.envelope, rowB.envelope, rowB.kemVersion)).toBe(true);
    transit.encrypt('b', { plaintext: b64('x') });
    expect(sealed.opens).toBe(before + 3);
  });

  it('a raised min_decryption_version refuses a version still cached', () => {
    transit.create('k');
    const old = transit.encrypt('k', { plaintext: b64('old') }).data.ciphertext;
    transit.rotate('k');
    expect(text(transit.decrypt('k', { ciphertext: old }).data.plaintext)).toBe('old');
    expect(transit.cache.peek('k', 1)).toBeDefined();
    // Raised underneath the service, so the entry stays: only the per-call check can refuse.
    const key = storage.transit.getKey('k');
    if (key === undefined) throw new Error('missing');
    storage.transit.updateKey({ ...key, minDecryptionVersion: 2 });
    expect(transit.cache.peek('k', 1)).toBeDefined();
    expectCode(() => transit.decrypt('k', { ciphertext: old }), 'OV_TRANSIT_VERSION_RETIRED');
    expectCode(() => transit.encrypt('k', { plaintext: b64('x'), key_version: 1 }), 'OV_TRANSIT_VERSION_RETIRED');
    // Through config, the entry goes too.
    storage.transit.updateKey(key);
    transit.decrypt('k', { ciphertext: old });
    const held = transit.cache.peek('k', 1);
    transit.config('k', { min_decryption_version: 2 });
    expect(transit.cache.peek('k', 1)).toBeUndefined();
    expect(zeroed(secretOf(held))).toBe(true);
    expectCode(() => transit.decrypt('k', { ciphertext: old }), 'OV_TRANSIT_VERSION_RETIRED');
  });

  it('trim, delete and rewrap drop their entries and zero them', () => {
    transit.create('k');
    const v1 = transit.encrypt('k', { plaintext: b64('one') }).data.ciphertext;
    transit.rotate('k');
    transit.decrypt('k', { ciphertext: v1 });
    transit.encrypt('k', { plaintext: b64('two') });
    const [m1, m2] = [transit.cache.peek('k', 1), transit.cache.peek('k', 2)];
    transit.config('k', { min_decryption_version: 2, deletion_allowed: true });
    expect(zeroed(secretOf(m1))).toBe(true);
    expect(transit.trim('k', { min_available_version: 2 }).data.trimmed).toBe(1);
    expect(transit.cache.peek('k', 2)).toBe(m2);
    transit.delete('k');
    expect(transit.cache.peek('k', 2)).toBeUndefined();
    expect(zeroed(secretOf(m2))).toBe(true);
    expect(transit.cache.stats().entries).toBe(0);

    transit.create('r');
    transit.encrypt('r', { plaintext: b64('x') });
    const held = transit.cache.peek('r', 1);
    const source = transitRewrapSource(transit);
    const [row] = source.stale(Number.MAX_SAFE_INTEGER, undefined, 10);
    if (row?.envelope === null || row === undefined) throw new Error('no stale row');
    const stored = { ...row, envelope: row.envelope };
    const { envelope, kemVersion } = sealed.seal(row.binding, sealed.open(row.binding, stored));
    expect(source.replace(stored, envelope, kemVersion)).toBe(true);
    expect(transit.cache.peek('r', 1)).toBeUndefined();
    expect(zeroed(secretOf(held))).toBe(true);
    const opens = sealed.opens;
    transit.encrypt('r', { plaintext: b64('x') });
    expect(sealed.opens).toBe(opens + 1);
  });

  it('a trimmed version is gone from the cache, so its ciphertexts stay invalid', () => {
    transit.create('k');
    const v1 = transit.encrypt('k', { plaintext: b64('one') }).data.ciphertext;
    transit.rotate('k');
    transit.config('k', { min_decryption_version: 2 });
    transit.trim('k', { min_available_version: 2 });
    // Lowering the minimum back is refused (the version is gone), so the ciphertext cannot open again.
    expectCode(() => transit.config('k', { min_decryption_version: 1 }), 'OV_INVALID_ARGUMENT');
    expectCode(() => transit.decrypt('k', { ciphertext: v1 }), 'OV_TRANSIT_VERSION_RETIRED');
  });
});

describe('the vault seal wipes the transit cache', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('zeroes the cached material and empties the cache', async () => {
    const p = selectProvider('noble');
    dir = mkdtempSync(join(tmpdir(), 'ov-transit-cache-'));
    const setup = await setupVault({ dataDir: dir, provider: p, mode: { shamir: { n: 3, t: 2 } }, now: T0 });
    const storage = openStorage(join(dir, 'vault.db'));
    const vault = createVault({ config: testConfig(dir), storage, provider: p, now: () => T0 });
    try {
      for (const share of (setup.shares ?? []).slice(0, 2)) await vault.seal.submitShare(share);
      vault.transit.create('k');
      vault.transit.encrypt('k', { plaintext: b64('x') });
      const held = vault.transit.cache.peek('k', 1);
      expect(zeroed(secretOf(held))).toBe(false);
      vault.seal.seal();
      expect(zeroed(secretOf(held))).toBe(true);
      expect(vault.transit.cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
      expectCode(() => vault.transit.encrypt('k', { plaintext: b64('x') }), 'OV_SEALED');
    } finally {
      vault.close();
      storage.close();
    }
  });
});

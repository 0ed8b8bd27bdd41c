/**
 * src/crypto/shamir.ts, the wrapper around the audited shamir-secret-sharing library:
 * any t of n shares give the secret back, fewer give unrelated bytes, and shapes the
 * library cannot combine are refused with a VaultError.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../../../src/crypto/bytes.js';
import { shamirCombine, shamirSplit } from '../../../src/crypto/shamir.js';
import { subsets, vaultError } from './helpers.js';

describe('shamirSplit / shamirCombine', () => {
  it('recovers the secret from every subset of size t, for several (t, n)', async () => {
    for (const [t, n] of [[2, 2], [2, 3], [3, 5], [4, 6]] as const) {
      const secret = randomBytes(32);
      const shares = await shamirSplit(secret, n, t);
      expect(shares).toHaveLength(n);
      expect(new Set(shares.map((s) => s.x)).size).toBe(n);
      for (const s of shares) {
        expect(s.x).toBeGreaterThanOrEqual(1);
        expect(s.x).toBeLessThanOrEqual(255);
        expect(s.y).toHaveLength(32);
      }
      for (const k of [t, n]) {
        for (const subset of subsets(shares, k)) expect(await shamirCombine(subset)).toEqual(secret);
      }
    }
  });

  it('gives unrelated bytes, not the secret, from t - 1 shares', async () => {
    const secret = randomBytes(32);
    const shares = await shamirSplit(secret, 5, 3);
    for (const subset of subsets(shares, 2)) expect(await shamirCombine(subset)).not.toEqual(secret);
  });

  it('accepts a Buffer secret and leaves the caller secret untouched', async () => {
    const secret = Buffer.from(randomBytes(32));
    const before = Buffer.from(secret);
    const shares = await shamirSplit(secret, 3, 2);
    expect(secret.equals(before)).toBe(true);
    expect(Buffer.from(await shamirCombine(shares.slice(1))).equals(before)).toBe(true);
  });

  it('refuses t = 1, t > n, n > 255 and empty or oversized secrets', async () => {
    const s = randomBytes(32);
    expect((await vaultError(shamirSplit(s, 5, 1), 'OV_INVALID_ARGUMENT')).detail).toMatchObject({ field: 'threshold' });
    expect((await vaultError(shamirSplit(s, 3, 4), 'OV_INVALID_ARGUMENT')).detail).toMatchObject({ field: 'threshold' });
    expect((await vaultError(shamirSplit(s, 256, 3), 'OV_INVALID_ARGUMENT')).detail).toMatchObject({ field: 'shares' });
    expect((await vaultError(shamirSplit(s, 1, 1), 'OV_INVALID_ARGUMENT')).detail).toMatchObject({ field: 'shares' });
    expect((await vaultError(shamirSplit(new Uint8Array(0), 3, 2), 'OV_INVALID_ARGUMENT')).detail).toMatchObject({ field: 'secret' });
    expect((await vaultError(shamirSplit(new Uint8Array(65), 3, 2), 'OV_INVALID_ARGUMENT')).detail).toMatchObject({ field: 'secret' });
  });

  it('refuses one share, a repeated x, x = 0 and unequal lengths', async () => {
    const shares = await shamirSplit(randomBytes(32), 3, 2);
    const [a, b] = shares as [(typeof shares)[0], (typeof shares)[0]];
    await vaultError(shamirCombine([a]), 'OV_INVALID_ARGUMENT');
    expect((await vaultError(shamirCombine([a, { x: a.x, y: b.y }]), 'OV_INVALID_ARGUMENT')).detail).toMatchObject({ field: 'x' });
    expect((await vaultError(shamirCombine([a, { x: 0, y: b.y }]), 'OV_INVALID_ARGUMENT')).detail).toMatchObject({ field: 'x' });
    expect((await vaultError(shamirCombine([a, { x: b.x, y: b.y.slice(1) }]), 'OV_INVALID_ARGUMENT')).detail).toMatchObject({ field: 'y' });
  });
});

/**
 * runBulk: results in input order whatever the completion order, per-item errors (a
 * VaultError keeps its code; anything else becomes OV_INTERNAL without its message),
 * progress callbacks, the concurrency bound, and a real bulk decrypt of keystores.
 */
import { describe, expect, it } from 'vitest';
import { VaultError, isVaultError } from '../../../src/errors.js';
import { runBulk, type BulkItem } from '../../../src/validators/bulk.js';
import { decryptKeystore, encryptKeystore } from '../../../src/validators/formats/eip2335.js';
import { generateKey } from '../../../src/validators/keygen.js';
import { toHex } from '../../helpers/vectors.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('runBulk', () => {
  it('returns results in input order although items finish in reverse', async () => {
    const items: BulkItem<number>[] = Array.from({ length: 8 }, (_, i) => ({ id: `k${i}`, input: i }));
    const finished: number[] = [];
    const results = await runBulk(items, async (i) => {
      await sleep((8 - i) * 5);
      finished.push(i);
      return i * 10;
    }, { concurrency: 8 });
    expect(finished).not.toEqual([...finished].sort((a, b) => a - b)); // they really finished out of order
    expect(results.map((r) => r.id)).toEqual(items.map((i) => i.id));
    expect(results).toEqual(items.map((i) => ({ id: i.id, status: 'ok', value: i.input * 10 })));
  });

  it('reports errors per item and keeps going', async () => {
    const items: BulkItem<number>[] = Array.from({ length: 6 }, (_, i) => ({ id: String(i), input: i }));
    const results = await runBulk(items, async (i) => {
      await sleep(1);
      if (i === 1) throw new VaultError('OV_KEYSTORE_PASSWORD');
      if (i === 4) throw new Error('secret-looking detail 0xdeadbeef');
      return i;
    }, { concurrency: 2 });
    expect(results[0]).toEqual({ id: '0', status: 'ok', value: 0 });
    expect(results[1]).toEqual({ id: '1', status: 'error', code: 'OV_KEYSTORE_PASSWORD', message: 'wrong keystore password' });
    expect(results[4]).toEqual({ id: '4', status: 'error', code: 'OV_INTERNAL', message: 'internal error' });
    expect(JSON.stringify(results)).not.toContain('deadbeef');
    expect(results.filter((r) => r.status === 'ok')).toHaveLength(4);
  });

  it('never has more than `concurrency` items in flight, and does use that many', async () => {
    for (const concurrency of [1, 3]) {
      let inFlight = 0;
      let peak = 0;
      const items = Array.from({ length: 12 }, (_, i) => ({ id: String(i), input: i }));
      await runBulk(items, async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await sleep(3);
        inFlight--;
      }, { concurrency });
      expect(peak).toBe(concurrency);
    }
  });

  it('calls onProgress once per item with a growing count, and survives a throwing callback', async () => {
    const calls: Array<[number, number]> = [];
    const items = Array.from({ length: 5 }, (_, i) => ({ id: String(i), input: i }));
    const results = await runBulk(items, async (i) => {
      await sleep(1);
      if (i === 2) throw new VaultError('OV_KEYSTORE_INVALID');
      return i;
    }, {
      concurrency: 2,
      onProgress: (done, total) => {
        calls.push([done, total]);
        if (done === 3) throw new Error('display broke');
      },
    });
    expect(calls).toEqual([[1, 5], [2, 5], [3, 5], [4, 5], [5, 5]]);
    expect(results.filter((r) => r.status === 'ok')).toHaveLength(4);
  });

  it('handles an empty list and refuses bad options', async () => {
    expect(await runBulk([], () => Promise.resolve(1))).toEqual([]);
    for (const opts of [{ concurrency: 0 }, { concurrency: 1.5 }, { concurency: 2 } as never]) {
      const err = await runBulk([{ id: 'a', input: 1 }], () => Promise.resolve(1), opts).catch((e: unknown) => e);
      expect(isVaultError(err, 'OV_INVALID_ARGUMENT')).toBe(true);
    }
  });

  it('decrypts a batch of keystores in parallel with per-item status', async () => {
    const keys = Array.from({ length: 4 }, () => generateKey('ethereum'));
    const stores = await Promise.all(keys.map((k) => encryptKeystore(k, 'pw', { scryptN: 2 ** 10 })));
    const items = stores.map((keystore, i) => ({ id: `ks${i}`, input: { keystore, password: i === 2 ? 'wrong' : 'pw' } }));
    items.push({ id: 'truncated', input: { keystore: stores[0]!.slice(0, 100), password: 'pw' } });
    const results = await runBulk(items, async ({ keystore, password }) => toHex((await decryptKeystore(keystore, password)).publicKey), { concurrency: 2 });
    expect(results.map((r) => (r.status === 'ok' ? r.value : r.code))).toEqual([
      toHex(keys[0]!.publicKey),
      toHex(keys[1]!.publicKey),
      'OV_KEYSTORE_PASSWORD',
      toHex(keys[3]!.publicKey),
      'OV_KEYSTORE_INVALID',
    ]);
  });
});

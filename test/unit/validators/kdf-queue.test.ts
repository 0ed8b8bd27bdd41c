/**
 * The one bounded queue of keystore KDFs: never more than `concurrency` derivations or
 * `memoryBudget` bytes in flight, first come first served, and a keystore declaring more
 * memory than the whole budget refused before anything runs. Driven with promises the
 * test resolves itself, so nothing depends on timing.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_KDF_MEMORY_BUDGET, KdfQueue, defaultKdfConcurrency, keystoreKdfMemory } from '../../../src/validators/kdf-queue.js';
import { encryptKeystore, generateKey } from '../../../src/validators/index.js';
import { expectThrows } from './service-fixtures.js';

const MiB = 1024 * 1024;

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

const tick = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

describe('KDF queue', () => {
  it('defaults to the cores less one (at least one) and 512 MiB', () => {
    const q = new KdfQueue();
    expect(q.concurrency).toBe(defaultKdfConcurrency());
    expect(q.concurrency).toBeGreaterThanOrEqual(1);
    expect(q.memoryBudget).toBe(DEFAULT_KDF_MEMORY_BUDGET);
    expectThrows(() => new KdfQueue({ concurrency: 0 }), 'OV_INVALID_ARGUMENT');
    expectThrows(() => new KdfQueue({ memoryBudget: 10 }), 'OV_INVALID_ARGUMENT');
  });

  it('runs at most `concurrency` at once, in arrival order', async () => {
    const q = new KdfQueue({ concurrency: 2, memoryBudget: 1024 * MiB });
    const gates = Array.from({ length: 5 }, gate);
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      q.run(MiB, async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect(q.load).toEqual({ active: 2, waiting: 3, memory: 2 * MiB });
    gates[1]?.open();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3, 4]);
    expect(q.load).toEqual({ active: 0, waiting: 0, memory: 0 });
  });

  it('keeps the scrypt memory in flight within the budget', async () => {
    const q = new KdfQueue({ concurrency: 8, memoryBudget: 512 * MiB });
    const gates = Array.from({ length: 3 }, gate);
    const started: number[] = [];
    const runs = gates.map((g, i) =>
      q.run(256 * MiB, async () => {
        started.push(i);
        await g.promise;
      }),
    );
    await tick();
    // Two standard keystores (n = 2^18, r = 8: 256 MiB each) fill the budget.
    expect(started).toEqual([0, 1]);
    expect(q.load.memory).toBe(512 * MiB);
    gates[0]?.open();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    await Promise.all(runs);
  });

  it('measures a keystore from its declared parameters and refuses one beyond the budget up front', async () => {
    const small = await encryptKeystore(generateKey('ethereum'), 'pw', { kdf: 'scrypt', scryptN: 2 ** 10 });
    expect(keystoreKdfMemory(small)).toBe(128 * 8 * 2 ** 10);
    const big = JSON.parse(small) as { crypto: { kdf: { params: { n: number } } } };
    big.crypto.kdf.params.n = 2 ** 20;
    expect(keystoreKdfMemory(JSON.stringify(big))).toBe(1024 * MiB);
    const pbkdf2 = await encryptKeystore(generateKey('ethereum'), 'pw', { kdf: 'pbkdf2', pbkdf2C: 1024 });
    expect(keystoreKdfMemory(pbkdf2)).toBeLessThan(MiB);
    expect(keystoreKdfMemory('not json')).toBeLessThan(MiB);
    const q = new KdfQueue({ concurrency: 1 });
    const e = expectThrows(() => q.admit([small, JSON.stringify(big)], (i) => `items/${i}/keystore`), 'OV_KDF_MEMORY_BUDGET');
    expect(e.detail?.field).toBe('items/1/keystore');
    expect(q.load).toEqual({ active: 0, waiting: 0, memory: 0 });
  });
});

/**
 * Rewrap throughput: versions re-sealed per second by `rewrap` (what
 * `POST /v1/keys/kem/rewrap` runs) in a store of 10k and in one of 100k stale secret
 * versions. The ratio of the two shows what store size costs; the per-version crypto does
 * not depend on it.
 *
 * Sealing and signing are too slow to make 100k genuine envelopes within the benchmark's
 * budget, so SAMPLE genuine versions are written through the service and each store is
 * then filled with rows recorded as sealed under the old KEM key (so they are stale and
 * count in `remaining`) whose bytes are a genuine envelope of another path: they sort
 * after the sample, so the measured run never reaches them (and would refuse them, since
 * the context binds the path). After the KEM key is rotated, each timed call rewraps
 * exactly SLICE genuine versions and ends with the count of stale rows left. Both stores
 * are open at once and measured alternately, slice by slice; each keeps its best slice.
 * @module
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, type Config } from '../src/config.js';
import { selectProvider } from '../src/crypto/provider.js';
import { readUnsealKeyFile } from '../src/seal/index.js';
import { rewrap, SecretService } from '../src/secrets/index.js';
import { DB_FILE, setupVault } from '../src/setup.js';
import { openStorage } from '../src/storage/index.js';
import { createVault } from '../src/vault.js';
import { printHeader, printResult, ratio, type Result } from './harness.js';

const SAMPLE = 200;
const SIZES = [10_000, 100_000] as const;
const BATCH = 100;
/** Versions per measured slice (one `rewrap` call with maxVersions = SLICE). */
const SLICE = 100;
const KEY_FILE = 'unseal.key';

interface Opened {
  readonly service: SecretService;
  readonly rotateKem: () => void;
  close(): void;
}

async function openVault(dir: string): Promise<Opened> {
  const provider = selectProvider();
  const storage = openStorage(join(dir, DB_FILE));
  const config = resolveConfig({}, {}, { baseDir: dir }).config as Config;
  const vault = createVault({ config, storage, provider });
  const key = readUnsealKeyFile(join(dir, KEY_FILE));
  await vault.seal.unsealWithKeyFile(key);
  const keyring = vault.keyring;
  const service = new SecretService({ storage, provider, keyring, signature: 'ML-DSA-65', now: Date.now });
  return {
    service,
    rotateKem: () => {
      const k = keyring();
      if (k === undefined) throw new Error('sealed');
      k.rotate('kem', Date.now());
    },
    close: () => {
      vault.close();
      storage.close();
    },
  };
}

/** Adds `count` stale filler versions (KEM version 1) holding a copy of `bytes`. */
function fill(service: SecretService, count: number, bytes: Uint8Array): void {
  const { storage } = service;
  const t = Date.now();
  const CHUNK = 5000;
  for (let start = 0; start < count; start += CHUNK) {
    storage.transaction(() => {
      for (let i = start; i < Math.min(count, start + CHUNK); i++) {
        const path = `z/fill/${String(i).padStart(6, '0')}`;
        storage.secrets.putMeta({ path, maxVersions: 0, casRequired: false, customMetadata: '{}', currentVersion: 1, createdAt: t, updatedAt: t });
        storage.secrets.insertVersion({ path, version: 1, kind: 'data', envelope: bytes, kemVersion: 1, createdAt: t, deletedAt: null, destroyed: false });
      }
    });
  }
}

export async function benchRewrap(): Promise<void> {
  printHeader(`Rewrap: ${SAMPLE} genuine versions re-sealed (batches of ${BATCH}) in stores of ${SIZES.map((n) => `${n / 1000}k`).join(' and ')} stale versions`);
  const root = mkdtempSync(join(tmpdir(), 'ov-bench-rewrap-'));
  try {
    const base = join(root, 'base');
    await setupVault({ dataDir: base, provider: selectProvider(), mode: { keyFile: join(base, KEY_FILE) }, now: Date.now() });
    const v = await openVault(base);
    let filler: Uint8Array;
    try {
      const t0 = performance.now();
      for (let i = 0; i < SAMPLE; i++) {
        v.service.put(`a/sample/${String(i).padStart(4, '0')}`, { kind: 'data', data: { user: `svc-${i}`, password: `bench-value-${i}-0123456789abcdef` } });
      }
      process.stdout.write(`  (sample written through the service: ${SAMPLE} versions in ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
      const row = v.service.storage.secrets.getVersion('a/sample/0000', 1);
      if (row === undefined || row.envelope === null) throw new Error('sample row missing');
      filler = Uint8Array.from(row.envelope);
    } finally {
      v.close();
    }

    // Both stores stay open and are measured alternately, a slice of SLICE versions at a
    // time; each size keeps its best slice (the least disturbed on a shared machine).
    const stores: { n: number; o: Opened; best: number; done: number }[] = [];
    try {
      for (const n of SIZES) {
        const dir = join(root, `n${n}`);
        cpSync(base, dir, { recursive: true });
        const o = await openVault(dir);
        stores.push({ n, o, best: Infinity, done: 0 });
        fill(o.service, n - SAMPLE, filler);
        o.rotateKem();
      }
      for (let slice = 0; slice < SAMPLE / SLICE; slice++) {
        for (const st of stores) {
          const t0 = performance.now();
          const r = rewrap(st.o.service, { batchSize: BATCH, maxVersions: SLICE });
          const ms = performance.now() - t0;
          st.done += r.rewrapped;
          if (r.rewrapped !== SLICE || r.failed !== 0 || r.remaining !== st.n - st.done) {
            throw new Error(`rewrap at ${st.n}: rewrapped ${r.rewrapped}, failed ${r.failed}, remaining ${r.remaining} (expected ${SLICE}, 0, ${st.n - st.done})`);
          }
          st.best = Math.min(st.best, ms / SLICE);
        }
      }
    } finally {
      for (const st of stores) st.o.close();
    }
    const results: Result[] = stores.map((st) => ({ name: `rewrap in a store of ${st.n / 1000}k stale versions`, hz: 1000 / st.best, ms: st.best }));
    for (const [i, r] of results.entries()) printResult(r, `(versions/s; best of ${SAMPLE / SLICE} slices of ${SLICE}; remaining ${(stores[i]?.n ?? 0) - SAMPLE})`);
    const [small, large] = results;
    if (small !== undefined && large !== undefined) {
      ratio({ label: 'rewrap versions/s at 100k / at 10k', ratio: large.hz / small.hz, baseline: 'the same rewrap at 10k, same run' });
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

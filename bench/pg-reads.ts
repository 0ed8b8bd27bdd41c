/**
 * Secret reads on PostgreSQL against the same reads on SQLite, in one run, in-process
 * through the service layer (`createVault` over `openPostgresStorage` and over
 * `openStorage`), so the difference is the storage alone: the worker-thread round trip
 * per statement against an in-process SQLite query.
 *
 * Each vault holds PATHS small secrets. A read-cache miss is a read after the cache was
 * emptied (the row query, then the envelope opened: ML-KEM decapsulation and the
 * signature check); a hit is a repeat read the cache answers (still one query per
 * event-loop turn: the change mark, which tells whether another connection wrote; on
 * PostgreSQL a round trip to the server). Each read runs in a turn of its own, as a
 * daemon's requests do. Rounds alternate
 * the two backends so that load from elsewhere falls on both; every read is timed on its
 * own for p50/p99, and the ratios are of the medians.
 * @module
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig, type Config } from '../src/config.js';
import { wipe } from '../src/crypto/bytes.js';
import { selectProvider } from '../src/crypto/provider.js';
import type { CryptoProvider } from '../src/crypto/types.js';
import { Keyring } from '../src/keyring/index.js';
import { readUnsealKeyFile, SealManager } from '../src/seal/index.js';
import { openPostgresStorage, openStorage } from '../src/storage/index.js';
import type { Storage } from '../src/storage/types.js';
import { createVault, type Vault } from '../src/vault.js';
import { printHeader, ratio } from './harness.js';
import { startPostgres } from './pg-server.js';

const PATHS = 200;
const ROUNDS = 5;
/** Repeat reads of every path per round for the hit case (hits are cheap, so more of them). */
const HIT_PASSES = 5;

interface Backend {
  readonly name: string;
  readonly vault: Vault;
  readonly storage: Storage;
  readonly misses: number[];
  readonly hits: number[];
}

const path = (i: number): string => `bench/reads/${String(i).padStart(4, '0')}`;

/** A new vault in `storage`: sealed with a key file in `dir`, keyring created, then opened. */
async function initVault(storage: Storage, dir: string, provider: CryptoProvider): Promise<Vault> {
  const keyFile = join(dir, `unseal-${Math.random().toString(36).slice(2)}.key`);
  const seal = new SealManager(storage.meta);
  await seal.initialise({ mode: 'keyfile', keyFilePath: keyFile });
  const root = seal.rootKey();
  try {
    Keyring.create(storage, provider, root, { falcon: false, now: Date.now() }).wipe();
  } finally {
    wipe(root);
    seal.seal();
  }
  const config = resolveConfig({}, { HOME: dir }, { baseDir: dir }).config as Config;
  const vault = createVault({ config, storage, provider });
  await vault.seal.unsealWithKeyFile(readUnsealKeyFile(keyFile));
  return vault;
}

function fill(b: Backend): void {
  for (let i = 0; i < PATHS; i++) b.vault.secrets.put(path(i), { kind: 'data', data: { user: `svc-${i}`, password: `bench-read-${i}-0123456789abcdef` } });
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * One read in an event-loop turn of its own, as each request of a daemon is: the store
 * asks for the change mark once per turn, so reads within one turn would share it.
 */
async function timedRead(b: Backend, i: number, into: number[]): Promise<void> {
  await nextTurn();
  const t0 = process.hrtime.bigint();
  const r = b.vault.secrets.get(path(i));
  into.push(Number(process.hrtime.bigint() - t0) / 1e6);
  if (r.version !== 1) throw new Error(`${b.name}: ${path(i)} read back version ${r.version}`);
}

async function round(b: Backend): Promise<void> {
  b.vault.secrets.cache.wipe();
  for (let i = 0; i < PATHS; i++) await timedRead(b, i, b.misses);
  for (let p = 0; p < HIT_PASSES; p++) for (let i = 0; i < PATHS; i++) await timedRead(b, i, b.hits);
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

interface Stats {
  readonly p50: number;
  readonly p99: number;
  readonly hz: number;
}

function stats(samples: readonly number[]): Stats {
  const s = [...samples].sort((x, y) => x - y);
  const mean = s.reduce((a, v) => a + v, 0) / s.length;
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99), hz: 1000 / mean };
}

function fmt(ms: number): string {
  return ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(1)} µs`;
}

function line(label: string, st: Stats): void {
  process.stdout.write(`  ${label.padEnd(40)} ${st.hz.toFixed(0).padStart(8)} reads/s  p50 ${fmt(st.p50).padStart(9)}  p99 ${fmt(st.p99).padStart(9)}\n`);
}

export async function benchPgReads(): Promise<void> {
  printHeader(`Secret reads on PostgreSQL vs SQLite: ${PATHS} paths, read cache misses and hits, ${ROUNDS} alternating rounds, in-process`);
  const dir = mkdtempSync(join(tmpdir(), 'ov-bench-pg-reads-'));
  const server = await startPostgres();
  const backends: Backend[] = [];
  try {
    const provider = selectProvider();
    const sqlite = openStorage(join(dir, 'vault.db'));
    backends.push({ name: 'SQLite', storage: sqlite, vault: await initVault(sqlite, dir, provider), misses: [], hits: [] });
    const pg = openPostgresStorage({ url: server.url, node: 'bench' });
    backends.push({ name: 'PostgreSQL', storage: pg, vault: await initVault(pg, dir, provider), misses: [], hits: [] });
    for (const b of backends) fill(b);
    // One unmeasured round each: the first touch of every row and code path.
    for (const b of backends) await round({ ...b, misses: [], hits: [] });
    for (let r = 0; r < ROUNDS; r++) {
      for (const b of r % 2 === 0 ? backends : [...backends].reverse()) await round(b);
    }
    const [lite, post] = backends as [Backend, Backend];
    const res = { liteMiss: stats(lite.misses), liteHit: stats(lite.hits), pgMiss: stats(post.misses), pgHit: stats(post.hits) };
    line('SQLite, cache miss (query + open)', res.liteMiss);
    line('PostgreSQL, cache miss (query + open)', res.pgMiss);
    line('SQLite, cache hit', res.liteHit);
    line('PostgreSQL, cache hit (change-mark query)', res.pgHit);
    ratio({ label: 'PostgreSQL / SQLite read, cache miss (p50)', ratio: res.pgMiss.p50 / res.liteMiss.p50, baseline: 'the same read on SQLite' });
    ratio({ label: 'PostgreSQL / SQLite read, cache hit (p50)', ratio: res.pgHit.p50 / res.liteHit.p50, baseline: 'the same read on SQLite' });
    ratio({ label: 'PostgreSQL / SQLite read, cache miss (p99)', ratio: res.pgMiss.p99 / res.liteMiss.p99, baseline: 'the same read on SQLite' });
    ratio({ label: 'PostgreSQL / SQLite read, cache hit (p99)', ratio: res.pgHit.p99 / res.liteHit.p99, baseline: 'the same read on SQLite' });
  } finally {
    for (const b of backends) {
      b.vault.close();
      b.storage.close();
    }
    await server.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

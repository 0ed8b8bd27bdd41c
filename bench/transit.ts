/**
 * Transit over HTTP: a 1 KiB encrypt and decrypt (`POST /v1/transit/{encrypt,decrypt}/...`)
 * as ratios of the authenticated secret read (`GET /v1/secrets/...`) in the same run, all
 * against the bundled daemon with its real storage, logging and one durable audit entry
 * per request, driven by autocannon (32 connections) from its own process, pinned as in
 * ./http.ts. Then one batch encryption of 1,000 items as a ratio of 1,000 single
 * encryptions sent one after another over one keep-alive connection (best of `ROUNDS`).
 * Last, in process over a real SQLite file, single encrypt + decrypt calls with the key
 * cache as a ratio of the same calls with it disabled (every call opens the key version).
 * `OV_BENCH_TRANSIT_ROUNDS`, `_DURATION` and `_WARMUP` shorten a run.
 * @module
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from '../src/crypto/bytes.js';
import { selectProvider } from '../src/crypto/provider.js';
import { Keyring } from '../src/keyring/index.js';
import { openStorage } from '../src/storage/index.js';
import { TransitService } from '../src/transit/index.js';
import { printHeader, ratio } from './harness.js';
import { best, call, canPin, line, LOADGEN_CPU, pinned, type LoadResult } from './http.js';
import { startLiveVault } from './live.js';

const root = resolve(import.meta.dirname, '../..');
const CONNECTIONS = 32;
const WARMUP_S = Number(process.env['OV_BENCH_TRANSIT_WARMUP'] ?? 1);
const DURATION_S = Number(process.env['OV_BENCH_TRANSIT_DURATION'] ?? 5);
const ROUNDS = Number(process.env['OV_BENCH_TRANSIT_ROUNDS'] ?? 2);
const BATCH = 1000;
const IN_PROCESS_CALLS = 100;

const LOADGEN = `
const autocannon = require('autocannon');
const o = JSON.parse(process.env.OV_LOAD);
const run = (duration) => autocannon({ url: o.url, method: o.method, body: o.body, connections: o.connections, duration, headers: o.headers, pipelining: 1 });
(async () => {
  if (o.warmup > 0) await run(o.warmup);
  const r = await run(o.duration);
  process.stdout.write(JSON.stringify({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99,
    total: r.requests.total, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts }));
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`;

async function load(url: string, headers: Record<string, string>, body?: unknown): Promise<LoadResult> {
  const [cmd, args] = pinned(LOADGEN_CPU, ['-e', LOADGEN]);
  const o = { url, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' }, method: body === undefined ? 'GET' : 'POST', body: body === undefined ? undefined : JSON.stringify(body) };
  const env = { ...process.env, OV_LOAD: JSON.stringify({ ...o, connections: CONNECTIONS, warmup: WARMUP_S, duration: DURATION_S }) };
  const child = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const code = await new Promise<number | null>((r) => child.once('exit', r));
  if (code !== 0) throw new Error(`load generator failed (${String(code)}): ${err}`);
  return JSON.parse(out) as LoadResult;
}

/** The answer of a call that must succeed; a failure names the status and error code only (answers may hold keys). */
function ok(r: { status: number; json: unknown }, what: string, status = 200): unknown {
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${String((r.json as { error?: { code?: string } } | undefined)?.error?.code)}`);
  return r.json;
}

export async function benchTransit(): Promise<void> {
  printHeader(`transit over HTTP: autocannon, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${WARMUP_S} s warm-up + ${DURATION_S} s per case; batch of ${BATCH}`);
  if (!canPin) process.stdout.write('  (taskset unavailable: server and load generator are separate processes, unpinned)\n');
  const vault = await startLiveVault('transit', { operatorScope: '*' });
  try {
    const { addr, admin, operator } = vault;
    const auth = { authorization: `Bearer ${operator}` };
    ok(await call(addr, 'PUT', '/v1/secrets/bench/app/db', admin, { data: { username: 'bench', password: 'not-a-real-secret-0123456789abcdef' } }), 'secret write');
    ok(await call(addr, 'POST', '/v1/transit/keys/bench', admin, {}), 'transit create');
    const plaintext = Buffer.alloc(1024, 0x61).toString('base64');
    const { ciphertext } = ok(await call(addr, 'POST', '/v1/transit/encrypt/bench', operator, { plaintext }), 'encrypt') as { ciphertext: string };

    let read: LoadResult | undefined;
    let enc: LoadResult | undefined;
    let dec: LoadResult | undefined;
    for (let r = 0; r < ROUNDS; r++) {
      read = best(read, await load(`${addr}/v1/secrets/bench/app/db`, auth));
      enc = best(enc, await load(`${addr}/v1/transit/encrypt/bench`, auth, { plaintext }));
      dec = best(dec, await load(`${addr}/v1/transit/decrypt/bench`, auth, { ciphertext }));
    }
    if (read === undefined || enc === undefined || dec === undefined) return;
    line('vault GET /v1/secrets/bench/app/db (operator session)', read);
    line('vault POST /v1/transit/encrypt/bench (1 KiB, xwing)', enc);
    line('vault POST /v1/transit/decrypt/bench (1 KiB, xwing)', dec);
    ratio({ label: 'transit encrypt 1 KiB req/s / secret read req/s', ratio: enc.rps / read.rps, baseline: 'authenticated secret read, same run' });
    ratio({ label: 'transit decrypt 1 KiB req/s / secret read req/s', ratio: dec.rps / read.rps, baseline: 'authenticated secret read, same run' });
    ratio({ label: 'transit answers not 2xx (count)', ratio: [read, enc, dec].reduce((n, x) => n + x.non2xx + x.errors + x.timeouts, 0), max: 0, baseline: 'none allowed' });

    const items = Array.from({ length: BATCH }, () => ({ plaintext }));
    let batchMs = Infinity;
    let singleMs = Infinity;
    for (let r = 0; r < ROUNDS; r++) {
      let t = performance.now();
      const b = ok(await call(addr, 'POST', '/v1/transit/encrypt/bench', operator, { batch_input: items }), 'batch') as { batch_results: { ciphertext?: string }[] };
      if (b.batch_results.length !== BATCH || b.batch_results.some((x) => x.ciphertext === undefined)) throw new Error('batch answer incomplete');
      batchMs = Math.min(batchMs, performance.now() - t);
      t = performance.now();
      for (const item of items) ok(await call(addr, 'POST', '/v1/transit/encrypt/bench', operator, item), 'single');
      singleMs = Math.min(singleMs, performance.now() - t);
    }
    process.stdout.write(`  batch of ${BATCH} encryptions: ${batchMs.toFixed(0)} ms; ${BATCH} single calls in sequence: ${singleMs.toFixed(0)} ms\n`);
    ratio({ label: `batch encrypt x${BATCH} time / ${BATCH} single calls time`, ratio: batchMs / singleMs, max: 1, baseline: `${BATCH} sequential single encryptions, same run` });
  } finally {
    await vault.stop();
  }
  benchKeyCache();
}

/** `IN_PROCESS_CALLS` single encrypt + decrypt pairs, with the key cache and without it (best of `ROUNDS`). */
function benchKeyCache(): void {
  const dir = mkdtempSync(join(tmpdir(), 'ov-bench-transit-cache-'));
  const provider = selectProvider();
  const storage = openStorage(join(dir, 'vault.db'));
  const keyring = Keyring.create(storage, provider, randomBytes(32), { now: Date.now() });
  try {
    const make = (cacheBytes?: number): TransitService =>
      new TransitService({ storage, provider, keyring: () => keyring, signature: 'ML-DSA-65', now: Date.now, ...(cacheBytes === undefined ? {} : { cacheBytes }) });
    const cached = make();
    const uncached = make(0);
    cached.create('bench');
    const plaintext = Buffer.alloc(1024, 0x61).toString('base64');
    const time = (t: TransitService): number => {
      const start = performance.now();
      for (let i = 0; i < IN_PROCESS_CALLS; i++) {
        const { ciphertext } = t.encrypt('bench', { plaintext }).data;
        t.decrypt('bench', { ciphertext });
      }
      return performance.now() - start;
    };
    let on = Infinity;
    let off = Infinity;
    for (let r = 0; r < ROUNDS; r++) {
      off = Math.min(off, time(uncached));
      on = Math.min(on, time(cached));
    }
    const { hits, misses } = cached.cache.stats();
    process.stdout.write(`  in process, ${IN_PROCESS_CALLS} encrypt + decrypt pairs: ${on.toFixed(0)} ms with the key cache (${hits} hits, ${misses} misses), ${off.toFixed(0)} ms without\n`);
    ratio({ label: 'transit encrypt+decrypt time, key cache / no cache', ratio: on / off, max: 1, baseline: 'the same calls with cacheBytes 0, same run' });
  } finally {
    keyring.wipe();
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

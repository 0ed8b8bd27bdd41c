/**
 * Secret reads while a validator import runs at the highest KDF cost the daemon accepts:
 * keystores with scrypt n = 2^19 (512 MiB each, the whole default memory budget), imported
 * as one job. Their key derivations run on the daemon's bounded KDF queue (cores - 1
 * threads, at least one), off the event loop, so a concurrent secret read's p99 should stay
 * within 2x of its p99 with no import running, measured in the same run against the same
 * daemon. The daemon runs unpinned (the queue sizes itself to the machine's cores); the
 * load generator is pinned to one CPU where the machine allows.
 *
 * `OV_BENCH_IMPORT_KEYSTORES` sets how many keystores (default 4).
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptKeystore, generateKey } from '../src/validators/index.js';
import { printHeader, ratio } from './harness.js';
import { call, runLoadgen, startLiveVault } from './live.js';

const KEYSTORES = Number(process.env['OV_BENCH_IMPORT_KEYSTORES'] ?? 4);
const READERS = 8;
const SCRYPT_N = 2 ** 19;

interface ReadLoad {
  readonly reads: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
}

// Readers in a closed loop until `seconds` pass or the file at `stopFile` exists.
const LOADGEN = `
const http = require('node:http');
const fs = require('node:fs');
const o = JSON.parse(process.env.OV_LOAD);
const agent = new http.Agent({ keepAlive: true, maxSockets: o.readers });
function get() {
  return new Promise((resolve) => {
    const req = http.request(o.addr + '/v1/secrets/bench/app/db', { agent, headers: { authorization: 'Bearer ' + o.token } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}
(async () => {
  const end = performance.now() + o.seconds * 1000;
  const lat = []; let errors = 0;
  const done = () => performance.now() >= end || (o.stopFile && fs.existsSync(o.stopFile));
  await Promise.all(Array.from({ length: o.readers }, async () => {
    while (!done()) {
      const t0 = performance.now();
      const s = await get();
      if (s !== 200) errors++; else lat.push(performance.now() - t0);
    }
  }));
  lat.sort((a, b) => a - b);
  const q = (p) => lat.length === 0 ? NaN : lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  process.stdout.write(JSON.stringify({ reads: lat.length, errors, p50: q(0.5), p99: q(0.99) }));
})();
`;

export async function benchImportLoad(): Promise<void> {
  printHeader(`Secret reads during a maximal-cost validator import (Node ${process.versions.node}): ${KEYSTORES} keystores at scrypt n = 2^19, ${READERS} readers`);
  const password = 'bench-import-password-0123456789';
  const items = [];
  for (let i = 0; i < KEYSTORES; i++) items.push({ name: `bench-import-${i}`, keystore: await encryptKeystore(generateKey('ethereum'), password, { scryptN: SCRYPT_N }), password });
  const vault = await startLiveVault('import', { pin: false });
  try {
    const put = await call(vault.addr, 'PUT', '/v1/secrets/bench/app/db', vault.operator, { data: { password: 'bench-read-value' } });
    if (put.status !== 200) throw new Error(`secret write failed: ${put.status}`);
    const reader = { addr: vault.addr, token: vault.operator, readers: READERS };
    await runLoadgen<ReadLoad>(LOADGEN, { ...reader, seconds: 2 });
    const idle = await runLoadgen<ReadLoad>(LOADGEN, { ...reader, seconds: 5 });

    const started = performance.now();
    const job = await call(vault.addr, 'POST', '/v1/validators/import', vault.admin, { chain: 'ethereum', items });
    const id = (job.json as { id?: unknown } | undefined)?.id;
    if (job.status !== 202 || typeof id !== 'string') throw new Error(`import job refused: ${job.status} ${JSON.stringify(job.json)}`);
    const flagDir = mkdtempSync(join(tmpdir(), 'ov-bench-import-flag-'));
    const stopFile = join(flagDir, 'done');
    let imported = 0;
    const watch = (async () => {
      for (;;) {
        const r = await call(vault.addr, 'GET', `/v1/validators/import/${id}`, vault.admin);
        const j = r.json as { state?: string; results?: { status: string }[] } | undefined;
        if (r.status !== 200 || j?.state !== 'running') {
          imported = (j?.results ?? []).filter((x) => x.status === 'imported').length;
          writeFileSync(stopFile, '');
          return performance.now() - started;
        }
        await new Promise((ok) => setTimeout(ok, 100));
      }
    })();
    const loaded = await runLoadgen<ReadLoad>(LOADGEN, { ...reader, seconds: 300, stopFile });
    const importMs = await watch;
    rmSync(flagDir, { recursive: true, force: true });
    const line = (label: string, r: ReadLoad): string => `  ${label.padEnd(34)} ${String(r.reads).padStart(7)} reads  p50 ${r.p50.toFixed(2)} ms  p99 ${r.p99.toFixed(2)} ms  errors ${r.errors}\n`;
    process.stdout.write(line('reads, no import', idle) + line('reads during the import', loaded));
    process.stdout.write(`  import: ${imported}/${KEYSTORES} keystores imported in ${(importMs / 1000).toFixed(1)} s\n`);
    ratio({ label: 'read p99 during import / idle read p99', ratio: loaded.p99 / Math.max(idle.p99, 1), max: 2, baseline: 'same daemon, no import running, same run (idle p99 floored at 1 ms)' });
    ratio({ label: 'keystores not imported', ratio: KEYSTORES - imported, max: 0, baseline: 'every keystore of the job imports' });
    ratio({ label: 'read errors during the import', ratio: loaded.errors + idle.errors, max: 0, baseline: 'every answer must be 200' });
  } finally {
    await vault.stop();
  }
}

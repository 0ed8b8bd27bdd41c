/**
 * Secret write throughput: 32 concurrent writers (`PUT /v1/secrets/bench/w/<n>`, each
 * answer awaited before the writer's next request) against the bundled daemon on its own
 * CPU, against the crypto floor of one write measured in the same run on the same runtime:
 * one X-Wing envelope seal of the same payload plus one ML-DSA-65 signature, which is what
 * sealing a secret version costs (src/keyring/sealed-records.ts). The daemon does its
 * crypto on one thread, so the floor's rate is the most one core can write; the target is
 * at least 0.7 of it. The floor is measured in a child process pinned to the daemon's CPU,
 * just before and just after the load (their mean is used), so both sides share that
 * CPU's conditions on a busy machine. Every answer must be 200: errors are counted and
 * must be 0.
 *
 * `OV_BENCH_WRITES_SECONDS` sets the measured duration (default 10, after 2 s of warm-up).
 * @module
 */
import { spawnSync } from 'node:child_process';
import { getProvider, nativeAvailable, randomBytes } from '../src/crypto/index.js';
import { generateKey, publicKeyOf, seal } from '../src/envelope/index.js';
import { measure, printHeader, printResult, ratio } from './harness.js';
import { canPin, pinned, runLoadgen, startLiveVault, LOADGEN_CPU, SERVER_CPU } from './live.js';

const WRITERS = 32;
const SECONDS = Number(process.env['OV_BENCH_WRITES_SECONDS'] ?? 10);
const WARMUP_S = 2;
/** The JSON body each write sends (about 100 bytes of secret data). */
const DATA = { username: 'bench', password: 'not-a-real-secret-0123456789abcdef', host: 'db.internal:5432' };

export interface WriteLoad {
  readonly writes: number;
  readonly seconds: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
}

// The load generator child: node:http with one keep-alive connection per writer.
const LOADGEN = `
const http = require('node:http');
const o = JSON.parse(process.env.OV_LOAD);
const agent = new http.Agent({ keepAlive: true, maxSockets: o.writers });
const body = JSON.stringify({ data: o.data });
function put(path) {
  return new Promise((resolve) => {
    const req = http.request(o.addr + path, { method: 'PUT', agent, headers: { authorization: 'Bearer ' + o.token, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}
async function phase(seconds, record) {
  const end = performance.now() + seconds * 1000;
  const lat = []; let writes = 0, errors = 0;
  await Promise.all(Array.from({ length: o.writers }, async (_, w) => {
    for (let i = 0; performance.now() < end; i++) {
      const t0 = performance.now();
      const status = await put('/v1/secrets/bench/w/' + w + '-' + (i % 16));
      if (status !== 200) errors++; else { writes++; lat.push(performance.now() - t0); }
    }
  }));
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] || 0;
  return { writes, seconds, errors, p50: q(0.5), p99: q(0.99) };
}
(async () => {
  const warm = await phase(o.warmup);
  const r = await phase(o.seconds);
  process.stdout.write(JSON.stringify({ ...r, errors: r.errors + warm.errors }));
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`;

interface Floor {
  readonly ms: number;
  readonly provider: string;
}

/** The crypto floor of one write on this runtime's default provider: ms per write. */
function cryptoFloor(): Floor {
  const p = getProvider(nativeAvailable() ? 'native' : 'noble');
  const to = publicKeyOf(generateKey(p, 'X-Wing'));
  const signer = generateKey(p, 'ML-DSA-65');
  const mldsa = p.signature('ML-DSA-65');
  const plaintext = new TextEncoder().encode(JSON.stringify(DATA));
  const message = randomBytes(64);
  const s = measure('floor', () => {
    seal(p, { to, plaintext, context: 'secret/bench/w/0#1' });
    mldsa.sign(message, signer.secretKey);
  }, { minMs: 1000 });
  return { ms: s.ms, provider: p.name };
}

/** {@link cryptoFloor} in a child process on the daemon's CPU. */
function pinnedFloor(when: string): Floor {
  const [cmd, args] = pinned(SERVER_CPU, [import.meta.filename, '--floor']);
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`crypto floor failed: ${r.stderr}`);
  const f = JSON.parse(r.stdout) as Floor;
  printResult({ name: `crypto floor (${f.provider}), ${when}: X-Wing seal + ML-DSA-65 sign`, ms: f.ms, hz: 1000 / f.ms });
  return f;
}

export async function benchWrites(): Promise<void> {
  printHeader(`Secret writes: ${WRITERS} concurrent writers, ${SECONDS} s after ${WARMUP_S} s warm-up (Node ${process.versions.node})`);
  if (canPin) process.stdout.write(`  daemon pinned to CPU ${SERVER_CPU}, load generator to CPU ${LOADGEN_CPU}\n`);
  const before = pinnedFloor('before');
  const vault = await startLiveVault('writes');
  try {
    const r = await runLoadgen<WriteLoad>(LOADGEN, { addr: vault.addr, token: vault.operator, writers: WRITERS, data: DATA, warmup: WARMUP_S, seconds: SECONDS });
    const after = pinnedFloor('after');
    const floor = { ms: (before.ms + after.ms) / 2, provider: before.provider };
    const hz = r.writes / r.seconds;
    printResult({ name: `PUT /v1/secrets, ${WRITERS} writers (p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms)`, hz, ms: 1000 / hz });
    process.stdout.write(`  errors (non-200 or failed requests): ${r.errors}${r.errors > 0 ? ' FAILED' : ''}\n`);
    ratio({
      label: `writes/s / crypto floor (${floor.provider})`,
      ratio: hz / (1000 / floor.ms),
      min: 0.7,
      baseline: 'one X-Wing seal + one ML-DSA-65 signature per write, same run',
    });
    ratio({ label: 'write errors', ratio: r.errors, max: 0, baseline: 'every answer must be 200' });
  } finally {
    await vault.stop();
  }
}

if (process.argv[1] === import.meta.filename && process.argv[2] === '--floor') process.stdout.write(JSON.stringify(cryptoFloor()));

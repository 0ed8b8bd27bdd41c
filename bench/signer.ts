/**
 * The remote signer over HTTP: attestations signed through `POST /api/v1/eth2/sign` of the
 * bundled daemon's signer listener (real SQLite file, durable slashing decision and audit
 * entry before each answer), 64 requests in flight for 64 keys, rising target epochs, as a
 * ratio of raw BLS signing throughput with the same library (blst where it loads) in this
 * process, same run (target >= 0.7). This process (the client, and the raw baseline before
 * it) runs on the load generator's CPU, so it never takes the daemon's core. Then 1,000 attestations for 1,000 keys sent at once:
 * the time until the last signature arrives, against 1,000 raw signatures.
 * `OV_BENCH_SIGNER_ROUNDS` shortens a run.
 * @module
 */
import { Agent, request } from 'node:http';
import { blsSigner } from '../src/crypto/bls-sign.js';
import { randomBytes } from '../src/crypto/bytes.js';
import { measure, printHeader, printResult, ratio } from './harness.js';
import { call, canPin, freePort, LOADGEN_CPU, pinSelf, waitFor } from './http.js';
import { startLiveVault } from './live.js';

const KEYS = 64;
const BURST = 1000;
const ROUNDS = Number(process.env['OV_BENCH_SIGNER_ROUNDS'] ?? 5);
/** Attestation rounds per measurement (each: one attestation per key, all in flight). */
const EPOCHS = 40;
const GVR = `0x${'04'.repeat(32)}`;
const FORK_INFO = { fork: { previous_version: '0x00000000', current_version: '0x00000000', epoch: '0' }, genesis_validators_root: GVR };

function attestation(target: number): string {
  const root32 = `0x${'11'.repeat(32)}`;
  return JSON.stringify({
    type: 'ATTESTATION',
    fork_info: FORK_INFO,
    attestation: { slot: String(target * 32), index: '0', beacon_block_root: root32, source: { epoch: String(target - 1), root: root32 }, target: { epoch: String(target), root: root32 } },
  });
}

function post(agent: Agent, port: number, path: string, body: string): Promise<number> {
  return new Promise((resolvePost, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', agent, headers: { 'content-type': 'application/json', accept: 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolvePost(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function createKeys(addr: string, token: string, n: number, prefix: string): Promise<string[]> {
  const out: string[] = new Array<string>(n);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < n) {
      const i = next++;
      const r = await call(addr, 'POST', '/v1/validators', token, { name: `${prefix}-${i}`, chain: 'ethereum', format: 'generate' });
      if (r.status !== 201) throw new Error(`validator create: ${r.status}`);
      out[i] = (r.json as { keys: { public_key: string }[] }).keys[0]!.public_key;
    }
  };
  await Promise.all(Array.from({ length: 8 }, () => worker()));
  return out;
}

export async function benchSigner(): Promise<void> {
  const unpin = pinSelf(LOADGEN_CPU);
  try {
    await signerCases();
  } finally {
    unpin();
  }
}

async function signerCases(): Promise<void> {
  printHeader(`remote signer: attestations over HTTP, ${KEYS} keys in flight, durable slashing protection; burst of ${BURST}; best of ${ROUNDS}`);
  if (!canPin) process.stdout.write('  (taskset unavailable: server and client unpinned)\n');
  const bls = blsSigner();
  const secrets = Array.from({ length: KEYS }, () => {
    for (;;) {
      const s = randomBytes(32);
      s[0] = (s[0] as number) & 0x3f;
      if (s.some((b) => b !== 0)) return s;
    }
  });
  const msg = randomBytes(32);
  let k = 0;
  const raw = measure(`raw BLS sign (${bls.name}, 32-byte root)`, () => bls.sign(msg, secrets[k++ % KEYS]!), { minMs: 500, rounds: 5 });
  printResult(raw);

  const signerPort = await freePort();
  const vault = await startLiveVault('signer', { config: `\n[signer]\nlisten = "127.0.0.1:${signerPort}"\n` });
  try {
    const { addr, admin, child } = vault;
    await waitFor(`http://127.0.0.1:${signerPort}/upcheck`, child);
    const keys = await createKeys(addr, admin, KEYS, 'bench');
    const burstKeys = await createKeys(addr, admin, BURST, 'burst');

    // One stream per key, as validator clients send: each key's next attestation (the
    // next target epoch) goes out when its previous answer arrives, so 64 are always in
    // flight and one request's fsync wait overlaps the others' work.
    const agent = new Agent({ keepAlive: true, maxSockets: KEYS });
    const epochOf = new Map<string, number>(keys.map((pk) => [pk, 1]));
    let best = 0;
    let refused = 0;
    for (let r = 0; r < ROUNDS; r++) {
      const t = performance.now();
      await Promise.all(
        keys.map(async (pk) => {
          for (let e = 0; e < EPOCHS; e++) {
            const target = epochOf.get(pk)!;
            epochOf.set(pk, target + 1);
            if ((await post(agent, signerPort, `/api/v1/eth2/sign/${pk}`, attestation(target))) !== 200) refused++;
          }
        }),
      );
      best = Math.max(best, (KEYS * EPOCHS * 1000) / (performance.now() - t));
    }
    agent.destroy();
    printResult({ name: `signer: attestation over HTTP, ${KEYS} in flight`, hz: best, ms: 1000 / best });
    ratio({ label: 'signer attestations/s / raw BLS signs/s', ratio: best / raw.hz, min: 0.7, baseline: `raw ${bls.name} sign in this process, same run` });
    ratio({ label: 'signer answers not 200 (count)', ratio: refused, max: 0, baseline: 'none allowed' });

    // First burst: every key opened from its envelope (cold); second: keys already open.
    const rawBurstMs = (BURST * 1000) / raw.hz;
    for (const [target, label] of [
      [1, 'cold keys'],
      [2, 'warm keys'],
    ] as const) {
      const burstAgent = new Agent({ keepAlive: false, maxSockets: BURST });
      const t = performance.now();
      const body = attestation(target);
      const codes = await Promise.all(burstKeys.map((pk) => post(burstAgent, signerPort, `/api/v1/eth2/sign/${pk}`, body)));
      const burstMs = performance.now() - t;
      burstAgent.destroy();
      const signed = codes.filter((c) => c === 200).length;
      process.stdout.write(`  ${BURST} attestations at once (${label}): last answer after ${burstMs.toFixed(0)} ms (${signed} signed); ${BURST} raw signatures: ${rawBurstMs.toFixed(0)} ms\n`);
      ratio({ label: `burst of ${BURST}, ${label}: raw time / HTTP time`, ratio: rawBurstMs / burstMs, baseline: `${BURST} raw ${bls.name} signatures, same run` });
    }
  } finally {
    await vault.stop();
  }
}

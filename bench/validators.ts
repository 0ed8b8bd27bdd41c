/**
 * Validator keystore bulk import: decrypting 100 scrypt keystores in parallel against one
 * at a time, in the same run; the target is at least 1.7x on two cores.
 *
 * The keystores are written once per run with our own encryptKeystore at scrypt
 * n = 2^16, r = 8, p = 1: the algorithm and memory-hard shape of the n = 2^18 most tools
 * write, at a quarter of the cost. 64 MiB per KDF is on purpose: like 2^18 it is larger
 * than a common L3 cache even alone, so the one-at-a-time baseline is not flattered by a
 * cache that two parallel KDFs would have to share. Decryption is timed one at a time
 * (await each) and through runBulk with `availableParallelism()` in flight, whose KDFs run
 * on libuv's threadpool. Each mode runs `ROUNDS` times, alternating, and the best round of
 * each is kept, the least disturbed by other load.
 * @module
 */
import { availableParallelism, loadavg } from 'node:os';
import { runBulk } from '../src/validators/bulk.js';
import { decryptKeystore, encryptKeystore } from '../src/validators/formats/eip2335.js';
import { generateKey } from '../src/validators/keygen.js';
import { printHeader, printResult, ratio, type Result } from './harness.js';

const COUNT = 100;
const SCRYPT_N = 2 ** 16;
const ROUNDS = 2;
const PASSWORD = 'bench password';

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

function result(name: string, totalMs: number): Result {
  return { name, hz: (COUNT * 1000) / totalMs, ms: totalMs / COUNT };
}

export async function benchValidators(): Promise<void> {
  const concurrency = availableParallelism();
  printHeader(
    `validators: bulk import of ${COUNT} EIP-2335 keystores (scrypt n=2^16 r=8 p=1), concurrency ${concurrency}, ` +
      `UV_THREADPOOL_SIZE ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
  );
  // The speed-up needs idle cores: with other processes runnable (and Linux autogroup
  // giving each session an equal share), a second KDF thread buys little. Say so.
  process.stdout.write(`  (1-minute load average at start: ${loadavg()[0]!.toFixed(2)} on ${concurrency} cores)\n`);
  const keys = Array.from({ length: COUNT }, () => generateKey('ethereum'));
  const t0 = now();
  const written = await runBulk(
    keys.map((k, i) => ({ id: String(i), input: k })),
    (k) => encryptKeystore(k, PASSWORD, { kdf: 'scrypt', scryptN: SCRYPT_N }),
    { concurrency },
  );
  const stores = written.map((r) => {
    if (r.status !== 'ok') throw new Error(`bench setup: keystore ${r.id} failed: ${r.code}`);
    return r.value;
  });
  printResult(result('write keystores (runBulk, setup)', now() - t0));
  for (const k of keys) k.secret.fill(0);

  const decrypt = async (ks: string): Promise<number> => {
    const key = await decryptKeystore(ks, PASSWORD);
    key.secret.fill(0);
    return key.publicKey.length;
  };
  await decrypt(stores[0]!); // warm-up: module init, first threadpool use

  let seqBest = Infinity;
  let parBest = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    let t = now();
    for (const ks of stores) await decrypt(ks);
    seqBest = Math.min(seqBest, now() - t);

    t = now();
    const results = await runBulk(stores.map((ks, i) => ({ id: String(i), input: ks })), decrypt, { concurrency });
    parBest = Math.min(parBest, now() - t);
    const failed = results.filter((r) => r.status !== 'ok').length;
    if (failed > 0) throw new Error(`bench: ${failed} keystores failed to decrypt`);
  }
  printResult(result('import one at a time (await each)', seqBest), `${(seqBest / 1000).toFixed(2)} s total`);
  printResult(result(`import in parallel (runBulk, ${concurrency} in flight)`, parBest), `${(parBest / 1000).toFixed(2)} s total`);
  ratio({
    label: `bulk import ${COUNT} scrypt keystores: parallel speed-up`,
    ratio: seqBest / parBest,
    min: 1.7,
    baseline: 'the same keystores one at a time, same run',
  });
}

/**
 * Password-based primitives for validator key files: the EIP-2335 keystore KDFs
 * (scrypt, PBKDF2-HMAC-SHA256), its cipher (AES-128-CTR) and checksum hash (SHA-256),
 * plus BIP-39 mnemonic handling for EIP-2333 derivation.
 *
 * scrypt and PBKDF2 run off the JavaScript thread on purpose, so several keystores
 * decrypt at once on several cores while the event loop keeps serving requests (see
 * src/validators/kdf-queue.ts). A costly scrypt (16 MiB and more) runs in a worker thread
 * that lowers its own CPU priority to the lowest (nice 19, where the system allows it):
 * on a machine whose cores are all busy, requests go first and the import waits, instead
 * of a 256 MiB derivation taking half of the event loop's core. Cheaper derivations use
 * libuv's threadpool, where a worker's start-up would cost more than the derivation.
 * The cost parameters come from untrusted files, so callers
 * bound them first (src/validators/formats/eip2335.ts); the `maxmem` given to scrypt
 * here is computed from the already-bounded parameters, never a blanket large value.
 * @module
 */
import {
  createCipheriv,
  createHash,
  pbkdf2 as nodePbkdf2,
  pbkdf2Sync,
  randomUUID,
  scrypt as nodeScrypt,
} from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { validateMnemonic } from '@scure/bip39';
import { wordlist as english } from '@scure/bip39/wordlists/english.js';
import { ownBytes } from './bytes.js';

export interface ScryptParams {
  readonly n: number;
  readonly r: number;
  readonly p: number;
  readonly dklen: number;
}

/** scrypt memory (128·r·n) from which a derivation runs in a low-priority worker thread. */
export const LOW_PRIORITY_SCRYPT_BYTES = 16 * 1024 * 1024;

/**
 * The worker's code, CommonJS evaluated as is (no file to find next to a bundle). It
 * lowers its own thread's priority first (Linux: a thread's nice value is its own, set
 * through its id from /proc/thread-self), then derives, wipes the password it was handed,
 * and hands back the key's bytes by transfer, so no copy stays behind in either thread.
 */
const WORKER = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
const { getPriority, setPriority } = require('node:os');
const { readlinkSync } = require('node:fs');
let nice = null;
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isSafeInteger(tid) && tid > 0) { setPriority(tid, 19); nice = getPriority(tid); }
} catch {}
parentPort.once('message', (m) => {
  const pw = new Uint8Array(m.password);
  try {
    const key = scryptSync(pw, new Uint8Array(m.salt), m.dklen, { N: m.n, r: m.r, p: m.p, maxmem: m.maxmem });
    const out = new Uint8Array(key.length);
    out.set(key);
    key.fill(0);
    parentPort.postMessage({ key: out.buffer, nice }, [out.buffer]);
  } catch (e) {
    parentPort.postMessage({ error: String(e && e.message) });
  } finally {
    pw.fill(0);
  }
});
`;

function maxmemOf(params: ScryptParams): number {
  // What OpenSSL needs for exactly these parameters (128·r·(n+2) for V plus 128·r·p for
  // B), with 1 MiB to spare: never a blanket large value.
  return 128 * params.r * (params.n + 2) + 128 * params.r * params.p + (1 << 20);
}

/**
 * scrypt in a worker thread of its own at the lowest CPU priority the system grants.
 * `nice` is the thread's priority as the worker read it back (undefined where it could
 * not be set: not Linux, or no /proc).
 */
export function scryptLowPriority(password: Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<{ key: Uint8Array; nice: number | undefined }> {
  const { n, r, p, dklen } = params;
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { eval: true });
    // The password travels by transfer: the copy made here is detached once posted.
    const pw = new Uint8Array(password);
    let settled = false;
    const settle = (f: () => void): void => {
      if (settled) return;
      settled = true;
      f();
      void worker.terminate();
    };
    worker.once('message', (m: { key?: ArrayBuffer; nice?: number | null; error?: string }) => {
      settle(() => (m.key === undefined ? reject(new Error(m.error ?? 'scrypt failed')) : resolve({ key: new Uint8Array(m.key), nice: m.nice ?? undefined })));
    });
    worker.on('error', (e: unknown) => settle(() => reject(e instanceof Error ? e : new Error(String(e)))));
    worker.once('exit', (code) => settle(() => reject(new Error(`scrypt worker exited (${code})`))));
    worker.postMessage({ password: pw.buffer, salt: new Uint8Array(salt).buffer, n, r, p, dklen, maxmem: maxmemOf(params) }, [pw.buffer]);
  });
}

/**
 * scrypt (RFC 7914) off the JavaScript thread: in a low-priority worker from
 * LOW_PRIORITY_SCRYPT_BYTES of memory, on libuv's threadpool below that.
 */
export async function scrypt(password: Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  const { n, r, p, dklen } = params;
  if (128 * r * n >= LOW_PRIORITY_SCRYPT_BYTES) return (await scryptLowPriority(password, salt, params)).key;
  const maxmem = maxmemOf(params);
  return new Promise((resolve, reject) => {
    nodeScrypt(password, salt, dklen, { N: n, r, p, maxmem }, (err, key) => {
      if (err) reject(err);
      else resolve(ownBytes(key));
    });
  });
}

/** PBKDF2 with HMAC-SHA256 (RFC 8018) on libuv's threadpool. */
export function pbkdf2Sha256(password: Uint8Array, salt: Uint8Array, iterations: number, dklen: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    nodePbkdf2(password, salt, iterations, dklen, 'sha256', (err, key) => {
      if (err) reject(err);
      else resolve(ownBytes(key));
    });
  });
}

/**
 * AES-128-CTR (NIST SP 800-38A) with a 16-byte initial counter block. Encryption and
 * decryption are the same operation. EIP-2335 fixes the IV per keystore; callers never
 * reuse one (encryptKeystore draws a fresh IV for each file).
 */
export function aes128Ctr(key: Uint8Array, iv: Uint8Array, data: Uint8Array): Uint8Array {
  if (key.length !== 16 || iv.length !== 16) throw new RangeError('aes128Ctr: key and iv must be 16 bytes');
  const c = createCipheriv('aes-128-ctr', key, iv);
  const head = c.update(data);
  const tail = c.final();
  const out = new Uint8Array(head.length + tail.length);
  out.set(head, 0);
  out.set(tail, head.length);
  head.fill(0);
  return out;
}

/** SHA-256 of the concatenation of `parts` (OpenSSL). */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return ownBytes(h.digest());
}

/** A random (version 4) UUID for a new keystore's `uuid` field. */
export function randomUuid(): string {
  return randomUUID();
}

/**
 * BIP-39 word and checksum validation against the English wordlist (@scure/bip39).
 * `mnemonic` must already be NFKD-normalised with single spaces.
 */
export function bip39Valid(mnemonic: string): boolean {
  return validateMnemonic(mnemonic, english);
}

/**
 * BIP-39 seed: PBKDF2-HMAC-SHA512(mnemonic, "mnemonic" || passphrase, 2048, 64), both
 * inputs already NFKD-normalised by the caller. 2048 iterations take about a
 * millisecond, so this one runs synchronously.
 */
export function bip39Seed(mnemonic: string, passphrase: string): Uint8Array {
  return ownBytes(pbkdf2Sync(Buffer.from(mnemonic, 'utf8'), Buffer.from(`mnemonic${passphrase}`, 'utf8'), 2048, 64, 'sha512'));
}

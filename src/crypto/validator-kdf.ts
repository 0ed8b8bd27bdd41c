/**
 * Password-based primitives for validator key files: the EIP-2335 keystore KDFs
 * (scrypt, PBKDF2-HMAC-SHA256), its cipher (AES-128-CTR) and checksum hash (SHA-256),
 * plus BIP-39 mnemonic handling for EIP-2333 derivation.
 *
 * scrypt and PBKDF2 use node:crypto's *asynchronous* functions on purpose: they run on
 * libuv's threadpool, off the JavaScript thread, so several keystores decrypt at once
 * on several cores while the event loop keeps serving requests (see
 * src/validators/bulk.ts). The cost parameters come from untrusted files, so callers
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
import { validateMnemonic } from '@scure/bip39';
import { wordlist as english } from '@scure/bip39/wordlists/english.js';
import { ownBytes } from './bytes.js';

export interface ScryptParams {
  readonly n: number;
  readonly r: number;
  readonly p: number;
  readonly dklen: number;
}

/**
 * scrypt (RFC 7914) on libuv's threadpool. `maxmem` is sized to what OpenSSL needs for
 * exactly these parameters (128·r·(n+2) for V plus 128·r·p for B) with 1 MiB to spare.
 */
export function scrypt(password: Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  const { n, r, p, dklen } = params;
  const maxmem = 128 * r * (n + 2) + 128 * r * p + (1 << 20);
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

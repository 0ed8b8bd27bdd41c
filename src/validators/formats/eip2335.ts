/**
 * EIP-2335 BLS12-381 keystores (ERC-2335, version 4): parse, decrypt and encrypt.
 *
 * decryption_key = KDF(password); checksum = SHA-256(decryption_key[16..32] || cipher
 * message); secret = AES-128-CTR(decryption_key[0..16], iv, cipher message). The
 * password is NFKD-normalised and stripped of the C0 (U+0000..U+001F), DEL (U+007F) and
 * C1 (U+0080..U+009F) control codes before UTF-8 encoding, as the ERC requires.
 *
 * A keystore is untrusted input whose KDF parameters decide how much memory and time
 * opening it costs, so every cost is capped *before* any derivation (age's
 * `maxWorkFactor` habit): scrypt n <= 2^20, memory 128·n·r <= 1 GiB, n·r·p <= 2^24;
 * PBKDF2 c <= 2^24. The ERC's own vectors (n = 2^18, c = 2^18) sit well inside.
 *
 * Inside `crypto` every object must have exactly the ERC's fields; at the top level,
 * unknown fields are ignored for interoperability (ethdo and older Prysm write `name`).
 * @module
 */
import { VaultError } from '../../errors.js';
import { constantTimeEqual, wipe } from '../../crypto/bytes.js';
import { blsSecretValid } from '../../crypto/bls.js';
import { blsSigner } from '../../crypto/bls-sign.js';
import { aes128Ctr, pbkdf2Sha256, randomUuid, scrypt, sha256 } from '../../crypto/validator-kdf.js';
import { randomBytes } from '../../crypto/bytes.js';
import type { ParsedKdf, ParsedKeystore, ValidatorKey } from '../types.js';
import { bytesEqual, bytesToHex, expectShape, fail, hexToBytes, isObject, parseJson } from './encoding.js';

/** Largest keystore text accepted; real ones are about 1 KiB. */
export const MAX_KEYSTORE_CHARS = 64 * 1024;

/** Caps on attacker-chosen KDF costs (see the module comment). */
export const KDF_LIMITS = {
  scryptMaxN: 2 ** 20,
  scryptMaxMemory: 2 ** 30,
  scryptMaxWork: 2 ** 24,
  pbkdf2MaxC: 2 ** 24,
} as const;

/** Defaults for new keystores: the cost the ERC's own examples and most tools use. */
export const KEYSTORE_DEFAULTS = { scryptN: 2 ** 18, scryptR: 8, scryptP: 1, pbkdf2C: 2 ** 18 } as const;

const INVALID = 'OV_KEYSTORE_INVALID';
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const MAX_SALT_BYTES = 1024;

function safeInt(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) return fail(INVALID, field, 'not an integer');
  if (v < min || v > max) return fail(INVALID, field, 'out of range');
  return v;
}

function isPowerOfTwo(n: number): boolean {
  return n >= 2 && (n & (n - 1)) === 0;
}

function checkScryptCost(n: number, r: number, p: number, field: string): void {
  if (!isPowerOfTwo(n) || n > KDF_LIMITS.scryptMaxN) fail(INVALID, `${field}.n`, 'not a power of two within the cap');
  if (128 * n * r > KDF_LIMITS.scryptMaxMemory) fail(INVALID, `${field}.r`, 'memory above the cap');
  if (n * r * p > KDF_LIMITS.scryptMaxWork) fail(INVALID, `${field}.p`, 'work above the cap');
}

function parseSalt(v: unknown, field: string): Uint8Array {
  const salt = hexToBytes(v);
  if (salt === undefined) return fail(INVALID, field, 'not hex');
  if (salt.length === 0 || salt.length > MAX_SALT_BYTES) return fail(INVALID, field, 'bad length');
  return salt;
}

function parseKdf(v: unknown): ParsedKdf {
  const m = expectShape(v, 'crypto.kdf', ['function', 'params', 'message'], [], INVALID);
  if (m.message !== '') fail(INVALID, 'crypto.kdf.message', 'must be empty');
  if (m.function === 'scrypt') {
    const p = expectShape(m.params, 'crypto.kdf.params', ['dklen', 'n', 'r', 'p', 'salt'], [], INVALID);
    if (p.dklen !== 32) fail(INVALID, 'crypto.kdf.params.dklen', 'must be 32');
    const n = safeInt(p.n, 'crypto.kdf.params.n', 2, KDF_LIMITS.scryptMaxN);
    const r = safeInt(p.r, 'crypto.kdf.params.r', 1, 1024);
    const pp = safeInt(p.p, 'crypto.kdf.params.p', 1, 1024);
    checkScryptCost(n, r, pp, 'crypto.kdf.params');
    return { function: 'scrypt', dklen: 32, n, r, p: pp, salt: parseSalt(p.salt, 'crypto.kdf.params.salt') };
  }
  if (m.function === 'pbkdf2') {
    const p = expectShape(m.params, 'crypto.kdf.params', ['dklen', 'c', 'prf', 'salt'], [], INVALID);
    if (p.dklen !== 32) fail(INVALID, 'crypto.kdf.params.dklen', 'must be 32');
    if (p.prf !== 'hmac-sha256') fail(INVALID, 'crypto.kdf.params.prf', 'unsupported');
    const c = safeInt(p.c, 'crypto.kdf.params.c', 1, KDF_LIMITS.pbkdf2MaxC);
    return { function: 'pbkdf2', dklen: 32, c, prf: 'hmac-sha256', salt: parseSalt(p.salt, 'crypto.kdf.params.salt') };
  }
  return fail(INVALID, 'crypto.kdf.function', 'unsupported');
}

/** Strips an optional 0x prefix (keymanager clients and some tools write one). */
function stripHexPrefix(s: unknown): unknown {
  return typeof s === 'string' && (s.startsWith('0x') || s.startsWith('0X')) ? s.slice(2) : s;
}

/**
 * Validates the structure of an EIP-2335 keystore without running its KDF. Throws
 * OV_KEYSTORE_INVALID with `detail.field` naming the first problem.
 */
export function parseKeystore(json: string | object): ParsedKeystore {
  const top = parseJson(json, MAX_KEYSTORE_CHARS, INVALID);
  if (!isObject(top)) return fail(INVALID, '$', 'not an object');
  if (!Object.hasOwn(top, 'crypto')) fail(INVALID, 'crypto', 'missing');
  if (top.version !== 4) fail(INVALID, 'version', 'unsupported');
  const crypto = expectShape(top.crypto, 'crypto', ['kdf', 'checksum', 'cipher'], [], INVALID);
  const kdf = parseKdf(crypto.kdf);

  const ck = expectShape(crypto.checksum, 'crypto.checksum', ['function', 'params', 'message'], [], INVALID);
  if (ck.function !== 'sha256') fail(INVALID, 'crypto.checksum.function', 'unsupported');
  expectShape(ck.params, 'crypto.checksum.params', [], [], INVALID);
  const checksum = hexToBytes(ck.message, 32) ?? fail(INVALID, 'crypto.checksum.message', 'not 32 bytes of hex');

  const ci = expectShape(crypto.cipher, 'crypto.cipher', ['function', 'params', 'message'], [], INVALID);
  if (ci.function !== 'aes-128-ctr') fail(INVALID, 'crypto.cipher.function', 'unsupported');
  const cp = expectShape(ci.params, 'crypto.cipher.params', ['iv'], [], INVALID);
  const iv = hexToBytes(cp.iv, 16) ?? fail(INVALID, 'crypto.cipher.params.iv', 'not 16 bytes of hex');
  const message = hexToBytes(ci.message, 32) ?? fail(INVALID, 'crypto.cipher.message', 'not 32 bytes of hex');

  const out: ParsedKeystore = { version: 4, kdf, checksum, cipher: { function: 'aes-128-ctr', iv, message }, path: '' };
  if (top.pubkey !== undefined) {
    out.pubkey = hexToBytes(stripHexPrefix(top.pubkey), 48) ?? fail(INVALID, 'pubkey', 'not 48 bytes of hex');
  }
  if (top.path !== undefined) {
    if (typeof top.path !== 'string' || top.path.length > 256) fail(INVALID, 'path', 'not a string');
    out.path = top.path;
  }
  if (top.uuid !== undefined) {
    if (typeof top.uuid !== 'string' || !UUID.test(top.uuid)) fail(INVALID, 'uuid', 'not a uuid');
    out.uuid = top.uuid;
  }
  if (top.description !== undefined) {
    if (typeof top.description !== 'string' || top.description.length > 4096) fail(INVALID, 'description', 'not a string');
    out.description = top.description;
  }
  return out;
}

/**
 * ERC-2335 password processing: NFKD, then drop C0, DEL and C1 control codes, then
 * UTF-8. The caller wipes the result.
 */
export function keystorePassword(password: string): Uint8Array {
  if (typeof password !== 'string') throw new VaultError('OV_INVALID_ARGUMENT', { field: 'password', reason: 'not a string' });
  const cleaned = password.normalize('NFKD').replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
  return new TextEncoder().encode(cleaned);
}

async function deriveKey(kdf: ParsedKdf, password: Uint8Array): Promise<Uint8Array> {
  try {
    return kdf.function === 'scrypt'
      ? await scrypt(password, kdf.salt, { n: kdf.n, r: kdf.r, p: kdf.p, dklen: kdf.dklen })
      : await pbkdf2Sha256(password, kdf.salt, kdf.c, kdf.dklen);
  } catch (e) {
    // Parameters were bounded already; a refusal here is OpenSSL's own limit.
    throw new VaultError(INVALID, { field: 'crypto.kdf', reason: 'key derivation refused' }, { cause: e });
  }
}

/**
 * Decrypts an EIP-2335 keystore. Errors: OV_KEYSTORE_INVALID (structure, caps),
 * OV_KEYSTORE_PASSWORD (checksum mismatch), OV_VALIDATOR_KEY_INVALID (secret is 0 or
 * >= r), OV_KEYSTORE_PUBKEY_MISMATCH (secret does not give `pubkey`). The caller wipes
 * the returned `secret`.
 */
export async function decryptKeystore(json: string | object, password: string): Promise<ValidatorKey> {
  const ks = parseKeystore(json);
  const pw = keystorePassword(password);
  let dk: Uint8Array | undefined;
  let secret: Uint8Array | undefined;
  try {
    dk = await deriveKey(ks.kdf, pw);
    const check = sha256(dk.subarray(16, 32), ks.cipher.message);
    if (!constantTimeEqual(check, ks.checksum)) throw new VaultError('OV_KEYSTORE_PASSWORD');
    secret = aes128Ctr(dk.subarray(0, 16), ks.cipher.iv, ks.cipher.message);
    if (!blsSecretValid(secret)) throw new VaultError('OV_VALIDATOR_KEY_INVALID', { reason: 'bls secret out of range' });
    const publicKey = blsSigner().publicKey(secret);
    if (ks.pubkey !== undefined && !bytesEqual(publicKey, ks.pubkey)) throw new VaultError('OV_KEYSTORE_PUBKEY_MISMATCH');
    const key: ValidatorKey = { chain: 'ethereum', keyType: 'BLS12-381', secret, publicKey };
    if (ks.path !== '') key.path = ks.path;
    secret = undefined; // ownership passes to the caller
    return key;
  } finally {
    wipe(pw, dk, secret);
  }
}

export interface EncryptKeystoreOptions {
  kdf?: 'scrypt' | 'pbkdf2';
  scryptN?: number;
  pbkdf2C?: number;
  path?: string;
  description?: string;
}

const OPTION_KEYS = ['kdf', 'scryptN', 'pbkdf2C', 'path', 'description'];

function badOption(field: string, reason: string): never {
  throw new VaultError('OV_INVALID_ARGUMENT', { field, reason });
}

/** Checks a BLS ValidatorKey: an in-range scalar whose public key is the stored one. */
export function checkBlsKey(key: ValidatorKey): void {
  if (key.chain !== 'ethereum' || key.keyType !== 'BLS12-381') {
    throw new VaultError('OV_VALIDATOR_KEY_INVALID', { reason: 'not an ethereum BLS12-381 key' });
  }
  if (!blsSecretValid(key.secret)) throw new VaultError('OV_VALIDATOR_KEY_INVALID', { reason: 'bls secret out of range' });
  if (!bytesEqual(blsSigner().publicKey(key.secret), key.publicKey)) {
    throw new VaultError('OV_VALIDATOR_KEY_INVALID', { reason: 'public key does not match the secret' });
  }
}

/**
 * Writes a fresh EIP-2335 keystore (JSON text) for an Ethereum key: new random salt,
 * IV and UUID every call. Defaults: scrypt n = 2^18, r = 8, p = 1 (PBKDF2: c = 2^18).
 */
export async function encryptKeystore(key: ValidatorKey, password: string, opts: EncryptKeystoreOptions = {}): Promise<string> {
  for (const k of Object.keys(opts)) if (!OPTION_KEYS.includes(k)) badOption(k, 'unknown option');
  const kdfName = opts.kdf ?? 'scrypt';
  if (kdfName !== 'scrypt' && kdfName !== 'pbkdf2') badOption('kdf', 'unsupported');
  const n = opts.scryptN ?? KEYSTORE_DEFAULTS.scryptN;
  const c = opts.pbkdf2C ?? KEYSTORE_DEFAULTS.pbkdf2C;
  const { scryptR: r, scryptP: p } = KEYSTORE_DEFAULTS;
  if (!Number.isSafeInteger(n) || !isPowerOfTwo(n) || n > KDF_LIMITS.scryptMaxN) badOption('scryptN', 'not a power of two within the cap');
  if (!Number.isSafeInteger(c) || c < 1 || c > KDF_LIMITS.pbkdf2MaxC) badOption('pbkdf2C', 'out of range');
  const path = opts.path ?? key.path ?? '';
  if (typeof path !== 'string' || path.length > 256) badOption('path', 'not a string');
  if (opts.description !== undefined && (typeof opts.description !== 'string' || opts.description.length > 4096)) {
    badOption('description', 'not a string');
  }
  checkBlsKey(key);

  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const kdf: ParsedKdf =
    kdfName === 'scrypt'
      ? { function: 'scrypt', dklen: 32, n, r, p, salt }
      : { function: 'pbkdf2', dklen: 32, c, prf: 'hmac-sha256', salt };
  const pw = keystorePassword(password);
  let dk: Uint8Array | undefined;
  try {
    dk = await deriveKey(kdf, pw);
    const message = aes128Ctr(dk.subarray(0, 16), iv, key.secret);
    const checksum = sha256(dk.subarray(16, 32), message);
    const kdfJson =
      kdf.function === 'scrypt'
        ? { function: 'scrypt', params: { dklen: 32, n, r, p, salt: bytesToHex(salt) }, message: '' }
        : { function: 'pbkdf2', params: { dklen: 32, c, prf: 'hmac-sha256', salt: bytesToHex(salt) }, message: '' };
    const doc: Record<string, unknown> = {
      crypto: {
        kdf: kdfJson,
        checksum: { function: 'sha256', params: {}, message: bytesToHex(checksum) },
        cipher: { function: 'aes-128-ctr', params: { iv: bytesToHex(iv) }, message: bytesToHex(message) },
      },
    };
    if (opts.description !== undefined) doc.description = opts.description;
    doc.pubkey = bytesToHex(key.publicKey);
    doc.path = path;
    doc.uuid = randomUuid();
    doc.version = 4;
    return JSON.stringify(doc, null, 2);
  } finally {
    wipe(pw, dk);
  }
}

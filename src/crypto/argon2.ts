/**
 * Argon2id (RFC 9106) for API key hashes and passphrase-derived keys: the only module
 * that imports the `argon2` package (the reference C implementation, via N-API).
 *
 * Hashes are stored as PHC strings (`$argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<hash>`,
 * standard base64 without padding, as the reference implementation writes them). We
 * parse them ourselves, strictly and canonically, instead of handing a stored string to
 * the library: the parameters in a stored hash are attacker-controlled for anyone who
 * can write the database, and Argon2 does whatever work a hash asks for. So every
 * parameter is checked against a floor and a cap *before* any hashing (age's
 * `maxWorkFactor`), and the tag is recomputed with the raw API and
 * compared in constant time.
 *
 * Defaults: m = 48 MiB, t = 2, p = 1, 16-byte salt, 32-byte tag: a deliberate cost paid
 * once per key -> token exchange, above the OWASP floor of m = 19 MiB, t = 2, p = 1, which
 * is also our floor. p = 1 keeps one verification on one libuv thread, so concurrent
 * logins cannot starve the pool faster than the rate limiter admits them.
 * @module
 */
import { argon2id, hash as argon2Hash } from 'argon2';
import { VaultError } from '../errors.js';
import { constantTimeEqual, randomBytes, wipe } from './bytes.js';

export interface Argon2Params {
  /** Memory in KiB (the PHC `m`). */
  readonly memoryKiB: number;
  /** Passes over memory (the PHC `t`). */
  readonly passes: number;
  /** Lanes (the PHC `p`). */
  readonly parallelism: number;
}

/** The defaults chosen in the module comment. */
export const DEFAULT_ARGON2_PARAMS: Argon2Params = Object.freeze({ memoryKiB: 48 * 1024, passes: 2, parallelism: 1 });

/**
 * Lowest parameters we create or accept (OWASP password storage cheat sheet: argon2id
 * m = 19 MiB, t = 2, p = 1). A stored hash below the floor is not one we wrote.
 */
export const ARGON2_FLOOR: Argon2Params = Object.freeze({ memoryKiB: 19 * 1024, passes: 2, parallelism: 1 });

/**
 * Highest parameters we create or accept. With the work cap (memory x passes) one
 * verification stays around a second and 256 MiB, whatever a tampered row asks for;
 * the defaults sit well inside so they can be raised later without a migration.
 */
export const ARGON2_CAPS: Argon2Params & { readonly work: number } = Object.freeze({
  memoryKiB: 256 * 1024,
  passes: 8,
  parallelism: 4,
  /** Cap on memoryKiB * passes (KiB-passes): 512 MiB of memory traffic. */
  work: 512 * 1024,
});

const SALT_BYTES = 16;
const TAG_BYTES = 32;
const MIN_SALT = 8;
const MAX_SALT = 64;
const MIN_TAG = 16;
const MAX_TAG = 64;
/** Longer than any canonical PHC we accept; checked before any regular expression runs. */
const MAX_PHC_CHARS = 256;
/** Secrets are API key secrets (32 bytes) or passphrases; anything longer is refused. */
const MAX_SECRET_BYTES = 4096;

export interface ParsedPhc {
  readonly params: Argon2Params;
  readonly salt: Uint8Array;
  readonly tag: Uint8Array;
}

/** Why a parameter set is refused, or undefined when it lies within floor and caps. */
function paramsProblem(p: Argon2Params): { field: string; min?: number; max?: number } | undefined {
  const int = (n: number): boolean => Number.isSafeInteger(n);
  if (!int(p.memoryKiB) || p.memoryKiB < ARGON2_FLOOR.memoryKiB) return { field: 'memoryKiB', min: ARGON2_FLOOR.memoryKiB };
  if (p.memoryKiB > ARGON2_CAPS.memoryKiB) return { field: 'memoryKiB', max: ARGON2_CAPS.memoryKiB };
  if (!int(p.passes) || p.passes < ARGON2_FLOOR.passes) return { field: 'passes', min: ARGON2_FLOOR.passes };
  if (p.passes > ARGON2_CAPS.passes) return { field: 'passes', max: ARGON2_CAPS.passes };
  if (!int(p.parallelism) || p.parallelism < ARGON2_FLOOR.parallelism) return { field: 'parallelism', min: 1 };
  if (p.parallelism > ARGON2_CAPS.parallelism) return { field: 'parallelism', max: ARGON2_CAPS.parallelism };
  if (p.memoryKiB * p.passes > ARGON2_CAPS.work) return { field: 'work', max: ARGON2_CAPS.work };
  return undefined;
}

function checkCallerParams(params: Argon2Params): void {
  const problem = paramsProblem(params);
  if (problem !== undefined) throw new VaultError('OV_INVALID_ARGUMENT', problem);
}

function checkSecret(secret: Uint8Array): void {
  if (!(secret instanceof Uint8Array) || secret.length === 0 || secret.length > MAX_SECRET_BYTES) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'secret', max: MAX_SECRET_BYTES });
  }
}

const B64 = /^[A-Za-z0-9+/]+$/;

/** Strict unpadded standard base64: the decoding must re-encode to the same text. */
function decodeB64(s: string): Uint8Array | undefined {
  if (!B64.test(s) || s.length % 4 === 1) return undefined;
  const buf = Buffer.from(s, 'base64');
  if (buf.toString('base64').replace(/=+$/, '') !== s) return undefined;
  return new Uint8Array(buf);
}

function encodeB64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64').replace(/=+$/, '');
}

const PHC = /^\$argon2id\$v=19\$m=([1-9][0-9]{0,9}),t=([1-9][0-9]{0,9}),p=([1-9][0-9]{0,9})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/**
 * Parses a stored argon2id PHC string. Returns undefined when the string is not a
 * canonical argon2id v19 hash (wrong variant, extra parameters, padding, non-canonical
 * numbers or base64, odd salt or tag length). Throws `OV_ARGON2_PARAMS` when it is
 * well-formed but asks for parameters outside the floor and caps: that is not a typo
 * but a hash this vault never writes, most likely planted, and the daemon should say so
 * in its audit log rather than treat it like a wrong key.
 */
export function parsePhc(phc: string): ParsedPhc | undefined {
  if (typeof phc !== 'string' || phc.length > MAX_PHC_CHARS) return undefined;
  const m = PHC.exec(phc);
  if (m === null) return undefined;
  const [, mem, passes, lanes, saltText, tagText] = m as unknown as [string, string, string, string, string, string];
  const params: Argon2Params = { memoryKiB: Number(mem), passes: Number(passes), parallelism: Number(lanes) };
  const problem = paramsProblem(params);
  if (problem !== undefined) throw new VaultError('OV_ARGON2_PARAMS', problem);
  const salt = decodeB64(saltText);
  const tag = decodeB64(tagText);
  if (salt === undefined || tag === undefined) return undefined;
  if (salt.length < MIN_SALT || salt.length > MAX_SALT || tag.length < MIN_TAG || tag.length > MAX_TAG) return undefined;
  return { params, salt, tag };
}

/** Formats a PHC string; `parsePhc(formatPhc(x))` gives `x` back. */
export function formatPhc(p: ParsedPhc): string {
  const { memoryKiB, passes, parallelism } = p.params;
  return `$argon2id$v=19$m=${memoryKiB},t=${passes},p=${parallelism}$${encodeB64(p.salt)}$${encodeB64(p.tag)}`;
}

async function rawArgon2id(secret: Uint8Array, salt: Uint8Array, params: Argon2Params, length: number): Promise<Uint8Array> {
  // The library copies the password into a Buffer of its own; we hand it a copy we own
  // so that we can wipe it afterwards.
  const password = Buffer.from(secret);
  try {
    const out = await argon2Hash(password, {
      type: argon2id,
      version: 0x13,
      memoryCost: params.memoryKiB,
      timeCost: params.passes,
      parallelism: params.parallelism,
      hashLength: length,
      salt: Buffer.from(salt),
      raw: true,
    });
    const result = new Uint8Array(out);
    out.fill(0);
    return result;
  } finally {
    password.fill(0);
  }
}

/** Hashes `secret` into a fresh-salted argon2id PHC string. */
export async function hashSecret(secret: Uint8Array, params: Argon2Params = DEFAULT_ARGON2_PARAMS): Promise<string> {
  checkSecret(secret);
  checkCallerParams(params);
  const salt = randomBytes(SALT_BYTES);
  const tag = await rawArgon2id(secret, salt, params, TAG_BYTES);
  const phc = formatPhc({ params: { ...params }, salt, tag });
  wipe(tag);
  return phc;
}

/**
 * True when `secret` matches the stored hash. A malformed hash, or a secret of the
 * wrong size, is simply false (never an exception a caller could turn into an oracle);
 * parameters outside the caps throw `OV_ARGON2_PARAMS` before any hashing (see
 * {@link parsePhc}).
 */
export async function verifySecret(phc: string, secret: Uint8Array): Promise<boolean> {
  const parsed = parsePhc(phc);
  if (parsed === undefined) return false;
  if (!(secret instanceof Uint8Array) || secret.length === 0 || secret.length > MAX_SECRET_BYTES) return false;
  const actual = await rawArgon2id(secret, parsed.salt, parsed.params, parsed.tag.length);
  try {
    return constantTimeEqual(actual, parsed.tag);
  } finally {
    wipe(actual);
  }
}

/**
 * Derives `length` key bytes from a passphrase or key file with argon2id, for wrapping
 * the root key (the seal). The salt (>= 16 bytes) and parameters are stored beside the
 * wrapped key and must pass the same floor and caps when read back.
 */
export async function deriveKeyArgon2id(
  secret: Uint8Array,
  salt: Uint8Array,
  length: number,
  params: Argon2Params = DEFAULT_ARGON2_PARAMS,
): Promise<Uint8Array> {
  checkSecret(secret);
  checkCallerParams(params);
  if (!(salt instanceof Uint8Array) || salt.length < SALT_BYTES || salt.length > MAX_SALT) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'salt', min: SALT_BYTES, max: MAX_SALT });
  }
  if (!Number.isSafeInteger(length) || length < 16 || length > 64) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'length', min: 16, max: 64 });
  }
  return rawArgon2id(secret, salt, params, length);
}

/** Throws `OV_ARGON2_PARAMS` unless `params` (read from storage) lie within floor and caps. */
export function checkStoredArgon2Params(params: Argon2Params): void {
  const problem = paramsProblem(params);
  if (problem !== undefined) throw new VaultError('OV_ARGON2_PARAMS', problem);
}

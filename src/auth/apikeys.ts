/**
 * Long-lived API keys: generation, strict parsing, argon2id verification and rotation.
 *
 * Key format (64 ASCII characters, shown to the user once and never stored):
 *
 *     ovk_<id>_<secret>
 *
 * - `ovk_`: a fixed prefix, so secret scanners and humans recognise a leaked key;
 * - `<id>`: the public key id, 16 lowercase hex characters (64 random bits). It names
 *   the stored record, so an exchange fetches one row and runs one argon2id
 *   verification instead of trying every stored hash; it appears in listings, audit
 *   lines and session records, and reveals nothing about the secret;
 * - `<secret>`: 32 random bytes (256 bits) as unpadded base64url, exactly 43 characters.
 *   Because the id has a fixed length, the `_` that base64url may contain is unambiguous.
 *
 * Parsing is canonical: any other length, prefix, case, alphabet, padding, whitespace or
 * a non-canonical final base64url character is refused with `OV_AUTH_INVALID`, the one
 * error every authentication failure shares (so a caller learns nothing about why).
 *
 * The record keeps only the argon2id PHC hash of the 32 secret bytes
 * (src/crypto/argon2.ts). Rotation keeps the id and replaces the secret; the daemon
 * then revokes every session the key opened (SessionStore.revokeAllForKey).
 * @module
 */
import { type Argon2Params, DEFAULT_ARGON2_PARAMS, hashSecret, verifySecret } from '../crypto/argon2.js';
import { randomBytes, wipe } from '../crypto/bytes.js';
import { VaultError } from '../errors.js';
import { type ApiKeyRecord, type ApiKeyStore, ROLES, type Role } from '../storage/types.js';
import { parseScope } from './scope.js';

export const API_KEY_PREFIX = 'ovk_';
const ID_BYTES = 8;
const SECRET_BYTES = 32;
const ID_CHARS = ID_BYTES * 2;
const SECRET_CHARS = 43;
export const API_KEY_LENGTH = API_KEY_PREFIX.length + ID_CHARS + 1 + SECRET_CHARS;
const KEY_RE = /^ovk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const ID_RE = /^[0-9a-f]{16}$/;
/** Audit labels: 1-128 characters, no control, format or line-separator characters (no log injection, no bidi tricks). */
const LABEL_RE = /^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]{1,128}$/u;

export interface ParsedApiKey {
  readonly id: string;
  /** The 32 secret bytes; callers wipe them when done. */
  readonly secret: Uint8Array;
}

export interface GenerateOptions {
  /** Creation time (ms since the epoch); default `Date.now()`. */
  readonly now?: number;
  /** argon2id parameters; default {@link DEFAULT_ARGON2_PARAMS}. */
  readonly params?: Argon2Params;
}

/** Unknown option keys are refused: a typo must not silently fall back to defaults. */
function checkOptions(opts: GenerateOptions): void {
  for (const k of Object.keys(opts)) {
    if (k !== 'now' && k !== 'params') throw new VaultError('OV_INVALID_ARGUMENT', { option: k });
  }
  if (opts.now !== undefined && !Number.isSafeInteger(opts.now)) throw new VaultError('OV_INVALID_ARGUMENT', { option: 'now' });
}

function authInvalid(): VaultError {
  return new VaultError('OV_AUTH_INVALID');
}

/** True when `id` has the form of an API key id (for route parameters). */
export function isApiKeyId(id: string): boolean {
  return typeof id === 'string' && ID_RE.test(id);
}

export function isRole(role: string): role is Role {
  return (ROLES as readonly string[]).includes(role);
}

function checkLabel(label: string): void {
  if (typeof label !== 'string' || !LABEL_RE.test(label)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'label' });
}

function formatKey(id: string, secret: Uint8Array): string {
  return `${API_KEY_PREFIX}${id}_${Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength).toString('base64url')}`;
}

/**
 * Splits a presented key into id and secret bytes. Throws `OV_AUTH_INVALID` for
 * anything that is not exactly a key this module could have generated.
 */
export function parseApiKey(key: string): ParsedApiKey {
  // The length test runs before the regular expression so an oversized header costs nothing.
  if (typeof key !== 'string' || key.length !== API_KEY_LENGTH) throw authInvalid();
  const m = KEY_RE.exec(key);
  if (m === null) throw authInvalid();
  const id = m[1] as string;
  const text = m[2] as string;
  const buf = Buffer.from(text, 'base64url');
  // 43 characters carry 258 bits; the last character's two spare bits must be zero,
  // otherwise two spellings would name the same secret.
  const secret = new Uint8Array(buf);
  buf.fill(0);
  if (secret.length !== SECRET_BYTES || formatKey(id, secret) !== key) {
    wipe(secret);
    throw authInvalid();
  }
  return { id, secret };
}

async function newSecret(params: Argon2Params): Promise<{ secret: Uint8Array; hash: string }> {
  const secret = randomBytes(SECRET_BYTES);
  try {
    return { secret, hash: await hashSecret(secret, params) };
  } catch (e) {
    wipe(secret);
    throw e;
  }
}

/**
 * Creates a key: returns the key string (show it once, never store or log it) and the
 * record to store. Throws `OV_INVALID_ARGUMENT` for an unknown role, an invalid scope
 * (see scope.ts; `*` is everything) or a label that is empty, longer than 128
 * characters or contains control characters. The id is random; an insert that collides
 * with an existing id (2^-64 per pair) fails in storage and can simply be retried.
 */
export async function generateApiKey(
  role: Role,
  scope: string,
  label: string,
  opts: GenerateOptions = {},
): Promise<{ key: string; record: ApiKeyRecord }> {
  checkOptions(opts);
  if (!isRole(role)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'role' });
  const canonicalScope = parseScope(scope);
  checkLabel(label);
  const now = opts.now ?? Date.now();
  const id = Buffer.from(randomBytes(ID_BYTES)).toString('hex');
  const { secret, hash } = await newSecret(opts.params ?? DEFAULT_ARGON2_PARAMS);
  try {
    return {
      key: formatKey(id, secret),
      record: { id, hash, role, scope: canonicalScope, label, createdAt: now, rotatedAt: null },
    };
  } finally {
    wipe(secret);
  }
}

/**
 * Replaces the secret of an existing key: same id, role, scope and label, a new hash and
 * `rotatedAt`. The old key stops verifying as soon as the new hash is stored; the
 * caller stores it (ApiKeyStore.updateHash) and revokes the key's sessions.
 */
export async function rotateApiKey(
  record: ApiKeyRecord,
  opts: GenerateOptions = {},
): Promise<{ key: string; record: ApiKeyRecord }> {
  checkOptions(opts);
  if (!isApiKeyId(record.id)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'id' });
  const now = opts.now ?? Date.now();
  const { secret, hash } = await newSecret(opts.params ?? DEFAULT_ARGON2_PARAMS);
  try {
    return { key: formatKey(record.id, secret), record: { ...record, hash, rotatedAt: now } };
  } finally {
    wipe(secret);
  }
}

/**
 * True when `key` is the key `record` was made for. A malformed key or one naming
 * another id is false; a stored hash with parameters beyond the caps throws
 * `OV_ARGON2_PARAMS` (a tampered database, not a wrong key).
 */
export async function verifyApiKey(record: ApiKeyRecord, key: string): Promise<boolean> {
  let parsed: ParsedApiKey;
  try {
    parsed = parseApiKey(key);
  } catch {
    return false;
  }
  try {
    if (parsed.id !== record.id) return false;
    return await verifySecret(record.hash, parsed.secret);
  } finally {
    wipe(parsed.secret);
  }
}

let decoyHash: Promise<string> | undefined;

/**
 * A hash of a random secret nobody knows, verified when a presented key names an unknown
 * id so that "no such key" costs the same argon2id run as "wrong secret".
 */
function decoy(): Promise<string> {
  decoyHash ??= hashSecret(randomBytes(SECRET_BYTES)).catch((e: unknown) => {
    decoyHash = undefined; // do not cache a failure
    throw e;
  });
  return decoyHash;
}

/**
 * The key half of the key -> token exchange: parse, fetch the one record the id names,
 * verify. Returns the record, or throws `OV_AUTH_INVALID` for every failure (malformed
 * key, unknown id, wrong or rotated secret), after the same single argon2id run in the
 * last three cases. Rate limiting and auditing are the caller's job.
 */
export async function authenticateApiKey(store: Pick<ApiKeyStore, 'get'>, key: string): Promise<ApiKeyRecord> {
  const parsed = parseApiKey(key);
  try {
    const record = store.get(parsed.id);
    if (record === undefined) {
      await verifySecret(await decoy(), parsed.secret);
      throw authInvalid();
    }
    if (!(await verifySecret(record.hash, parsed.secret))) throw authInvalid();
    return record;
  } finally {
    wipe(parsed.secret);
  }
}

/**
 * The root key and its protection at rest (ADR 0003): generation, the versioned seal
 * configuration blob, the root-key check value, and wrapping under a passphrase-derived
 * (argon2id, RFC 9106) or key-file-derived (HKDF-SHA256, RFC 5869) key with AES-256-GCM.
 *
 * Every ciphertext binds, through its AAD, the format version, its purpose, the seal mode
 * and the vault id, so a wrapped key or check value cannot be moved to another vault or
 * reinterpreted under another mode. The check value is encrypted under a key derived
 * from the root key (never the root key itself), keeping the root key's only direct use
 * to the keyring that a later layer wraps under it.
 *
 * Functions documented as *consuming* a buffer wipe it before they return or throw, on
 * every path; the seal manager hands them its own copies.
 * @module
 */
import { VaultError } from '../errors.js';
import { aead } from '../crypto/aead.js';
import { checkStoredArgon2Params, deriveKeyArgon2id, type Argon2Params } from '../crypto/argon2.js';
import { concatBytes, constantTimeEqual, randomBytes, utf8, wipe } from '../crypto/bytes.js';
import { hkdfExpand, hkdfExtract } from '../crypto/kdf.js';
import { SHAMIR_MAX_SHARES } from '../crypto/shamir.js';
import { toHex as hex } from '../util/bytes.js';

export const ROOT_KEY_BYTES = 32;
export const VAULT_ID_BYTES = 16;
export const SEAL_CONFIG_VERSION = 1;
/** Name of the one meta blob that holds the whole seal configuration (written atomically). */
export const SEAL_META_NAME = 'seal';
/** Stored configurations are a few hundred bytes; anything larger is refused unread. */
export const SEAL_CONFIG_MAX_BYTES = 4096;

export type SealMode = 'shamir' | 'passphrase' | 'keyfile';
export const SEAL_MODES: readonly SealMode[] = ['shamir', 'passphrase', 'keyfile'];

/**
 * Argon2id cost for the unseal passphrase: 128 MiB, 3 passes, 4 lanes. Unsealing is rare
 * and this key guards the whole vault against anyone who copies the database, so it
 * costs more than an API-key check; it stays inside the caps of src/crypto/argon2.ts,
 * which are also enforced when reading it back.
 */
export const DEFAULT_PASSPHRASE_KDF: Argon2Params = Object.freeze({ memoryKiB: 128 * 1024, passes: 3, parallelism: 4 });
export const PASSPHRASE_SALT_BYTES = 16;

const GCM = aead('AES-256-GCM');
const NONCE_BYTES = GCM.nonceLength;
const CHECK_PLAINTEXT = utf8('ontoref-vault root key check v1');
/** nonce || AES-256-GCM(root key) */
const WRAPPED_BYTES = NONCE_BYTES + ROOT_KEY_BYTES + GCM.tagLength;
/** nonce || AES-256-GCM(check plaintext) */
const CHECK_BYTES = NONCE_BYTES + CHECK_PLAINTEXT.length + GCM.tagLength;

interface ConfigBase {
  readonly version: 1;
  readonly vaultId: Uint8Array;
  /** The root-key check value: nonce || ciphertext. */
  readonly check: Uint8Array;
}
export interface ShamirConfig extends ConfigBase {
  readonly mode: 'shamir';
  readonly shares: number;
  readonly threshold: number;
}
export interface PassphraseConfig extends ConfigBase {
  readonly mode: 'passphrase';
  readonly kdf: Argon2Params;
  readonly salt: Uint8Array;
  /** nonce || AES-256-GCM(root key). */
  readonly wrapped: Uint8Array;
}
export interface KeyFileConfig extends ConfigBase {
  readonly mode: 'keyfile';
  readonly wrapped: Uint8Array;
}
export type SealConfig = ShamirConfig | PassphraseConfig | KeyFileConfig;

/** A fresh 256-bit root key from the OS CSPRNG. */
export function generateRootKey(): Uint8Array {
  return randomBytes(ROOT_KEY_BYTES);
}

export function generateVaultId(): Uint8Array {
  return randomBytes(VAULT_ID_BYTES);
}

// ---------------------------------------------------------------------------------------
// Context binding and key derivation

const LABEL = 'ontoref-vault seal v1';

/** AAD = label || 0 || purpose || 0 || mode || 0 || vault id; every text part is fixed and NUL-free. */
function aad(purpose: 'root-key-check' | 'root-key-wrap', mode: SealMode, vaultId: Uint8Array): Uint8Array {
  return concatBytes(utf8(`${LABEL}\u0000${purpose}\u0000${mode}\u0000`), vaultId);
}

function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: string): Uint8Array {
  const prk = hkdfExtract('SHA-256', salt, ikm);
  try {
    return hkdfExpand('SHA-256', prk, [utf8(info)], 32);
  } finally {
    wipe(prk);
  }
}

function checkKey(rootKey: Uint8Array, vaultId: Uint8Array): Uint8Array {
  return hkdfSha256(rootKey, vaultId, `${LABEL} root-key-check`);
}

/** The key-file wrapping key: HKDF-SHA256(salt = vault id, ikm = key file). Consumes `fileKey`. */
export function deriveKeyFileKey(fileKey: Uint8Array, vaultId: Uint8Array): Uint8Array {
  try {
    if (fileKey.length !== ROOT_KEY_BYTES) throw new VaultError('OV_KEY_INVALID', { field: 'keyFile', expected: ROOT_KEY_BYTES });
    return hkdfSha256(fileKey, vaultId, `${LABEL} keyfile-wrap`);
  } finally {
    wipe(fileKey);
  }
}

/** The passphrase wrapping key: argon2id(passphrase, salt, params). Consumes `passphrase`. */
export async function derivePassphraseKey(passphrase: Uint8Array, salt: Uint8Array, params: Argon2Params): Promise<Uint8Array> {
  try {
    return await deriveKeyArgon2id(passphrase, salt, 32, params);
  } finally {
    wipe(passphrase);
  }
}

// ---------------------------------------------------------------------------------------
// Check value and wrapping

/** The root-key check value for a new configuration. */
export function makeRootKeyCheck(rootKey: Uint8Array, mode: SealMode, vaultId: Uint8Array): Uint8Array {
  const key = checkKey(rootKey, vaultId);
  try {
    const nonce = randomBytes(NONCE_BYTES);
    return concatBytes(nonce, GCM.seal(key, nonce, aad('root-key-check', mode, vaultId), CHECK_PLAINTEXT));
  } finally {
    wipe(key);
  }
}

/**
 * Returns `candidate` when it is this vault's root key. Otherwise wipes `candidate` and
 * throws OV_UNSEAL_FAILED: wrong shares, a wrong passphrase or key file and a tampered
 * check value are one indistinguishable failure.
 */
export function acceptRootKey(config: SealConfig, candidate: Uint8Array): Uint8Array {
  let key: Uint8Array | undefined;
  let opened: Uint8Array | undefined;
  let ok = false;
  try {
    if (candidate.length === ROOT_KEY_BYTES) {
      key = checkKey(candidate, config.vaultId);
      const nonce = config.check.subarray(0, NONCE_BYTES);
      opened = GCM.open(key, nonce, aad('root-key-check', config.mode, config.vaultId), config.check.subarray(NONCE_BYTES));
      ok = constantTimeEqual(opened, CHECK_PLAINTEXT);
    }
  } catch (e) {
    if (!(e instanceof VaultError && e.code === 'OV_ENVELOPE_OPEN')) {
      wipe(candidate);
      throw e;
    }
  } finally {
    wipe(key, opened);
  }
  if (!ok) {
    wipe(candidate);
    throw new VaultError('OV_UNSEAL_FAILED');
  }
  return candidate;
}

/** nonce || AES-256-GCM(wrappingKey, rootKey). Does not consume either key. */
export function wrapRootKey(rootKey: Uint8Array, wrappingKey: Uint8Array, mode: SealMode, vaultId: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE_BYTES);
  return concatBytes(nonce, GCM.seal(wrappingKey, nonce, aad('root-key-wrap', mode, vaultId), rootKey));
}

/**
 * Unwraps and checks the root key of a passphrase or key-file configuration. Consumes
 * `wrappingKey`. Any failure is OV_UNSEAL_FAILED.
 */
export function unwrapRootKey(config: PassphraseConfig | KeyFileConfig, wrappingKey: Uint8Array): Uint8Array {
  let candidate: Uint8Array;
  try {
    const nonce = config.wrapped.subarray(0, NONCE_BYTES);
    candidate = GCM.open(wrappingKey, nonce, aad('root-key-wrap', config.mode, config.vaultId), config.wrapped.subarray(NONCE_BYTES));
  } catch (e) {
    if (e instanceof VaultError && e.code === 'OV_ENVELOPE_OPEN') throw new VaultError('OV_UNSEAL_FAILED');
    throw e;
  } finally {
    wipe(wrappingKey);
  }
  return acceptRootKey(config, candidate);
}

// ---------------------------------------------------------------------------------------
// The stored configuration: canonical JSON, strictly parsed

const b64 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64url');

/**
 * Canonical encoding: fixed key order, no whitespace, lowercase hex vault id, unpadded
 * base64url. `parseSealConfig` accepts exactly the bytes this function produces.
 */
export function encodeSealConfig(c: SealConfig): Uint8Array {
  const head = { v: c.version, mode: c.mode, vaultId: hex(c.vaultId) };
  let body: Record<string, unknown>;
  switch (c.mode) {
    case 'shamir':
      body = { ...head, shares: c.shares, threshold: c.threshold, check: b64(c.check) };
      break;
    case 'passphrase':
      body = {
        ...head,
        kdf: { alg: 'argon2id', m: c.kdf.memoryKiB, t: c.kdf.passes, p: c.kdf.parallelism, salt: b64(c.salt) },
        wrapped: b64(c.wrapped),
        check: b64(c.check),
      };
      break;
    case 'keyfile':
      body = { ...head, kdf: { alg: 'hkdf-sha256' }, wrapped: b64(c.wrapped), check: b64(c.check) };
      break;
  }
  return utf8(JSON.stringify(body));
}

function corrupt(reason: string, extra: Record<string, string | number> = {}): VaultError {
  return new VaultError('OV_SEAL_CONFIG_INVALID', { reason, ...extra });
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function exactKeys(o: Json, keys: readonly string[], where: string): void {
  const have = Object.keys(o);
  if (have.length !== keys.length || !keys.every((k) => Object.hasOwn(o, k))) throw corrupt('fields', { field: where });
}

function int(o: Json, k: string): number {
  const v = o[k];
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw corrupt('type', { field: k });
  return v;
}

function bytes(o: Json, k: string, encoding: 'hex' | 'base64url', min: number, max = min): Uint8Array {
  const v = o[k];
  const pattern = encoding === 'hex' ? /^[0-9a-f]*$/ : /^[A-Za-z0-9_-]*$/;
  if (typeof v !== 'string' || v.length > 256 || !pattern.test(v)) throw corrupt('type', { field: k });
  const b = new Uint8Array(Buffer.from(v, encoding));
  if (b.length < min || b.length > max) throw corrupt('length', { field: k });
  return b;
}

/**
 * Parses the stored seal configuration. Throws OV_SEAL_CONFIG_INVALID for an unknown
 * version, a missing or extra field, a wrong type or length, or any non-canonical
 * encoding (the parsed value must re-encode to the very same bytes); OV_ARGON2_PARAMS
 * when stored argon2id costs lie outside the floor and caps, before any derivation.
 */
export function parseSealConfig(raw: Uint8Array): SealConfig {
  if (raw.length > SEAL_CONFIG_MAX_BYTES) throw corrupt('size', { max: SEAL_CONFIG_MAX_BYTES });
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(raw));
  } catch {
    throw corrupt('syntax');
  }
  if (!isObject(parsed)) throw corrupt('syntax');
  const o: Json = parsed;
  // The version is checked before anything else: a newer layout is refused, not half-read.
  if (o.v !== SEAL_CONFIG_VERSION) {
    throw corrupt('version', { version: typeof o.v === 'number' ? o.v : String(o.v).slice(0, 16) });
  }
  const mode = o.mode;
  const base = (): ConfigBase => ({
    version: 1,
    vaultId: bytes(o, 'vaultId', 'hex', VAULT_ID_BYTES),
    check: bytes(o, 'check', 'base64url', CHECK_BYTES),
  });
  let config: SealConfig;
  if (mode === 'shamir') {
    exactKeys(o, ['v', 'mode', 'vaultId', 'shares', 'threshold', 'check'], 'config');
    const shares = int(o, 'shares');
    const threshold = int(o, 'threshold');
    if (shares < 2 || shares > SHAMIR_MAX_SHARES) throw corrupt('range', { field: 'shares' });
    if (threshold < 2 || threshold > shares) throw corrupt('range', { field: 'threshold' });
    config = { ...base(), mode, shares, threshold };
  } else if (mode === 'passphrase') {
    exactKeys(o, ['v', 'mode', 'vaultId', 'kdf', 'wrapped', 'check'], 'config');
    const kdf = o.kdf;
    if (!isObject(kdf)) throw corrupt('type', { field: 'kdf' });
    exactKeys(kdf, ['alg', 'm', 't', 'p', 'salt'], 'kdf');
    if (kdf.alg !== 'argon2id') throw corrupt('algorithm', { field: 'kdf.alg' });
    const params: Argon2Params = { memoryKiB: int(kdf, 'm'), passes: int(kdf, 't'), parallelism: int(kdf, 'p') };
    checkStoredArgon2Params(params);
    const salt = bytes(kdf, 'salt', 'base64url', PASSPHRASE_SALT_BYTES, 64);
    config = { ...base(), mode, kdf: params, salt, wrapped: bytes(o, 'wrapped', 'base64url', WRAPPED_BYTES) };
  } else if (mode === 'keyfile') {
    exactKeys(o, ['v', 'mode', 'vaultId', 'kdf', 'wrapped', 'check'], 'config');
    const kdf = o.kdf;
    if (!isObject(kdf)) throw corrupt('type', { field: 'kdf' });
    exactKeys(kdf, ['alg'], 'kdf');
    if (kdf.alg !== 'hkdf-sha256') throw corrupt('algorithm', { field: 'kdf.alg' });
    config = { ...base(), mode, wrapped: bytes(o, 'wrapped', 'base64url', WRAPPED_BYTES) };
  } else {
    throw corrupt('mode');
  }
  const again = encodeSealConfig(config);
  if (!constantTimeEqual(again, raw)) throw corrupt('noncanonical');
  return config;
}

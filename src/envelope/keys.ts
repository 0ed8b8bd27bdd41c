/**
 * Key files: the canonical binary form of KEM and signature keys (docs/format.md, "Key
 * files"), key ids, and key generation for every supported algorithm.
 *
 * A key id is SHA-256("ontoref-vault/key-id/v1" || alg id || public key) truncated to 16
 * bytes, so it names both the algorithm and the key and can be recomputed by anyone
 * holding the public key. Decoding recomputes it and re-derives the public key from the
 * secret key for every algorithm (Falcon's as h = g / f mod q): a key file whose parts
 * do not belong together is OV_KEY_INVALID, never a key that silently encrypts to or
 * signs for someone else.
 * @module
 */
import { constantTimeEqual } from '../crypto/bytes.js';
import { sha256 } from '../crypto/kdf.js';
import { selectProvider } from '../crypto/provider.js';
import type { CryptoProvider, KeyPair, KemName, SignatureName } from '../crypto/types.js';
import { VaultError } from '../errors.js';
import { KEY_ID_LENGTH, algById, algByName, checkOptions, type AlgSpec, type KeyAlg } from './format.js';

export type { KeyAlg } from './format.js';

export interface PublicKeyInfo {
  readonly kind: 'kem-public' | 'sig-public';
  readonly alg: KeyAlg;
  /** u32, >= 1; 1 for offline keygen. */
  readonly keyVersion: number;
  /** 16 bytes, derived from alg + public key. */
  readonly keyId: Uint8Array;
  readonly publicKey: Uint8Array;
}

export interface SecretKeyInfo {
  readonly kind: 'kem-secret' | 'sig-secret';
  readonly alg: KeyAlg;
  readonly keyVersion: number;
  readonly keyId: Uint8Array;
  /** Stored too, and checked against the secret key when a key file is decoded. */
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/** "ORVK": OntoRef Vault Key. */
export const KEY_MAGIC = Uint8Array.of(0x4f, 0x52, 0x56, 0x4b);
export const KEY_FORMAT_VERSION = 1;
const KEY_ID_LABEL = new TextEncoder().encode('ontoref-vault/key-id/v1');

type Kind = PublicKeyInfo['kind'] | SecretKeyInfo['kind'];
const KIND_CODES: Readonly<Record<Kind, number>> = { 'kem-public': 1, 'kem-secret': 2, 'sig-public': 3, 'sig-secret': 4 };
const KINDS: readonly Kind[] = ['kem-public', 'kem-secret', 'sig-public', 'sig-secret'];

function isSecretKind(kind: Kind): kind is SecretKeyInfo['kind'] {
  return kind === 'kem-secret' || kind === 'sig-secret';
}

function specFor(alg: string): AlgSpec {
  const spec = algByName(alg);
  if (spec === undefined) throw new VaultError('OV_ALGORITHM_UNSUPPORTED', { alg: String(alg).slice(0, 64) });
  return spec;
}

/** The 16-byte key id of `publicKey` under `alg`. */
export function deriveKeyId(alg: KeyAlg, publicKey: Uint8Array): Uint8Array {
  const spec = specFor(alg);
  const id = Uint8Array.of(spec.id >>> 8, spec.id & 0xff);
  return sha256(KEY_ID_LABEL, id, publicKey).slice(0, KEY_ID_LENGTH);
}

export function keyIdHex(k: { readonly keyId: Uint8Array }): string {
  return Buffer.from(k.keyId.buffer, k.keyId.byteOffset, k.keyId.byteLength).toString('hex');
}

function checkKeyVersion(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 0xffffffff) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'keyVersion', min: 1, max: 0xffffffff });
  }
  return v;
}

/**
 * Builds a SecretKeyInfo from a provider key pair (checks lengths, derives the key id).
 * Exported for key generation from seeds in vectors and tests; not part of index.ts.
 */
export function secretKeyFromPair(alg: KeyAlg, pair: KeyPair, keyVersion = 1): SecretKeyInfo {
  const spec = specFor(alg);
  checkKeyVersion(keyVersion);
  if (pair.publicKey.length !== spec.publicKeyLength || pair.secretKey.length !== spec.secretKeyLength) {
    throw new VaultError('OV_KEY_INVALID', { alg: spec.name });
  }
  return Object.freeze({
    kind: spec.family === 'kem' ? 'kem-secret' : 'sig-secret',
    alg: spec.name,
    keyVersion,
    keyId: deriveKeyId(spec.name, pair.publicKey),
    publicKey: pair.publicKey,
    secretKey: pair.secretKey,
  });
}

/** A fresh key pair for `alg` from the provider's CSPRNG. */
export function generateKey(provider: CryptoProvider, alg: KeyAlg, opts: { keyVersion?: number } = {}): SecretKeyInfo {
  checkOptions(opts, ['keyVersion'], 'generateKey');
  const spec = specFor(alg);
  const keyVersion = checkKeyVersion(opts.keyVersion ?? 1);
  const pair =
    spec.family === 'kem' ? provider.kem(spec.name as KemName).keygen() : provider.signature(spec.name as SignatureName).keygen();
  return secretKeyFromPair(spec.name, pair, keyVersion);
}

export function publicKeyOf(sk: SecretKeyInfo): PublicKeyInfo {
  if (sk.kind !== 'kem-secret' && sk.kind !== 'sig-secret') throw new VaultError('OV_KEY_INVALID', { reason: 'not a secret key' });
  return Object.freeze({
    kind: sk.kind === 'kem-secret' ? 'kem-public' : 'sig-public',
    alg: sk.alg,
    keyVersion: sk.keyVersion,
    keyId: sk.keyId,
    publicKey: sk.publicKey,
  });
}

/*
 * Layout (big-endian):
 *   magic "ORVK" (4) | version u8 = 1 | kind u8 | alg u16 | key version u32 | key id (16)
 *   | public key length u16 | public key | [secret key length u16 | secret key]   (secret kinds only)
 */
const HEADER_LENGTH = 4 + 1 + 1 + 2 + 4 + KEY_ID_LENGTH;

/** Canonical binary encoding of a key. */
export function encodeKey(k: PublicKeyInfo | SecretKeyInfo): Uint8Array {
  const kind: Kind = k.kind;
  if (!KINDS.includes(kind)) throw new VaultError('OV_KEY_INVALID', { reason: 'kind' });
  const spec = specFor(k.alg);
  if ((spec.family === 'kem') !== kind.startsWith('kem')) throw new VaultError('OV_KEY_INVALID', { reason: 'kind' });
  checkKeyVersion(k.keyVersion);
  if (k.keyId.length !== KEY_ID_LENGTH || k.publicKey.length !== spec.publicKeyLength) {
    throw new VaultError('OV_KEY_INVALID', { alg: spec.name });
  }
  const secret = isSecretKind(kind) ? (k as SecretKeyInfo).secretKey : undefined;
  if (secret !== undefined && secret.length !== spec.secretKeyLength) throw new VaultError('OV_KEY_INVALID', { alg: spec.name });
  const size = HEADER_LENGTH + 2 + k.publicKey.length + (secret === undefined ? 0 : 2 + secret.length);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out.set(KEY_MAGIC, 0);
  view.setUint8(4, KEY_FORMAT_VERSION);
  view.setUint8(5, KIND_CODES[kind]);
  view.setUint16(6, spec.id);
  view.setUint32(8, k.keyVersion);
  out.set(k.keyId, 12);
  let pos = HEADER_LENGTH;
  view.setUint16(pos, k.publicKey.length);
  out.set(k.publicKey, pos + 2);
  pos += 2 + k.publicKey.length;
  if (secret !== undefined) {
    view.setUint16(pos, secret.length);
    out.set(secret, pos + 2);
  }
  return out;
}

function invalid(reason: string): never {
  throw new VaultError('OV_KEY_INVALID', { reason });
}

/**
 * Strict decoder: exact lengths for the algorithm, no trailing bytes, key id recomputed,
 * secret/public consistency checked where derivable (with `provider`, default: the best
 * available). Returned keys own their bytes (copies), so wiping the input is safe.
 */
export interface DecodeKeyOptions {
  /**
   * Re-derive the public key from the secret key and compare (default true). Only callers
   * whose bytes are already authenticated as their own encoding (the keyring, which
   * unwraps them with AES-GCM under the root key) may skip it: it costs a key derivation.
   */
  readonly checkPair?: boolean;
}

export function decodeKey(bytes: Uint8Array, provider?: CryptoProvider, opts: DecodeKeyOptions = {}): PublicKeyInfo | SecretKeyInfo {
  if (!(bytes instanceof Uint8Array)) invalid('not a byte array');
  if (bytes.length < HEADER_LENGTH + 2) invalid('truncated');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < 4; i++) if (bytes[i] !== KEY_MAGIC[i]) invalid('magic');
  if (view.getUint8(4) !== KEY_FORMAT_VERSION) invalid('version');
  const kind = KINDS[view.getUint8(5) - 1] ?? invalid('kind');
  const spec = algById(view.getUint16(6)) ?? invalid('alg');
  if ((spec.family === 'kem') !== kind.startsWith('kem')) invalid('kind');
  const keyVersion = view.getUint32(8);
  if (keyVersion === 0) invalid('keyVersion');
  const keyId = bytes.slice(12, 12 + KEY_ID_LENGTH);
  let pos = HEADER_LENGTH;
  const pkLength = view.getUint16(pos);
  if (pkLength !== spec.publicKeyLength || bytes.length < pos + 2 + pkLength) invalid('publicKey');
  const publicKey = bytes.slice(pos + 2, pos + 2 + pkLength);
  pos += 2 + pkLength;
  if (!constantTimeEqual(keyId, deriveKeyId(spec.name, publicKey))) invalid('keyId');
  if (!isSecretKind(kind)) {
    if (pos !== bytes.length) invalid('trailing bytes');
    return Object.freeze({ kind, alg: spec.name, keyVersion, keyId, publicKey });
  }
  if (bytes.length < pos + 2) invalid('truncated');
  const skLength = view.getUint16(pos);
  if (skLength !== spec.secretKeyLength || bytes.length !== pos + 2 + skLength) invalid('secretKey');
  const secretKey = bytes.slice(pos + 2, pos + 2 + skLength);
  if (opts.checkPair !== false) checkPair(provider ?? selectProvider(), spec, publicKey, secretKey);
  return Object.freeze({ kind, alg: spec.name, keyVersion, keyId, publicKey, secretKey });
}

/** The public key re-derived from the secret key must equal the stored one. */
function checkPair(provider: CryptoProvider, spec: AlgSpec, publicKey: Uint8Array, secretKey: Uint8Array): void {
  let derived: Uint8Array;
  try {
    derived =
      spec.family === 'kem'
        ? provider.kem(spec.name as KemName).getPublicKey(secretKey)
        : provider.signature(spec.name as SignatureName).getPublicKey(secretKey);
  } catch {
    invalid('secretKey');
  }
  if (!constantTimeEqual(derived, publicKey)) invalid('public key does not match secret key');
}

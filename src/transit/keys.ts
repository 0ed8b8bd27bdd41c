/**
 * Transit key types: what each generates, what it is for, and how a version's secret
 * material is sealed at rest (the key-file encoding of docs/format.md for asymmetric
 * types, so an exported key opens transit ciphertexts offline; 32 raw bytes for HMAC).
 * @module
 */
import { randomBytes } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/types.js';
import type { KeyAlg } from '../envelope/format.js';
import { decodeKey, encodeKey, generateKey, type SecretKeyInfo } from '../envelope/keys.js';
import { VaultError } from '../errors.js';

export const TRANSIT_KEY_TYPES = ['xwing', 'ml-kem-1024', 'ml-dsa-65', 'ml-dsa-87', 'falcon-512', 'hmac-sha256', 'hmac-sha3-256'] as const;
export type TransitKeyType = (typeof TRANSIT_KEY_TYPES)[number];
export type TransitPurpose = 'encrypt' | 'sign' | 'hmac';

interface TypeSpec {
  readonly purpose: TransitPurpose;
  /** The envelope / key-file algorithm of asymmetric types. */
  readonly alg?: KeyAlg;
}

const TYPES: Readonly<Record<TransitKeyType, TypeSpec>> = {
  xwing: { purpose: 'encrypt', alg: 'X-Wing' },
  'ml-kem-1024': { purpose: 'encrypt', alg: 'ML-KEM-1024' },
  'ml-dsa-65': { purpose: 'sign', alg: 'ML-DSA-65' },
  'ml-dsa-87': { purpose: 'sign', alg: 'ML-DSA-87' },
  'falcon-512': { purpose: 'sign', alg: 'Falcon-512-r3' },
  'hmac-sha256': { purpose: 'hmac' },
  'hmac-sha3-256': { purpose: 'hmac' },
};

export const HMAC_KEY_BYTES = 32;

export function isTransitKeyType(t: unknown): t is TransitKeyType {
  return typeof t === 'string' && (TRANSIT_KEY_TYPES as readonly string[]).includes(t);
}

export function purposeOf(type: TransitKeyType): TransitPurpose {
  return TYPES[type].purpose;
}

/** The key-file algorithm of an asymmetric type; undefined for HMAC types. */
export function algOf(type: TransitKeyType): KeyAlg | undefined {
  return TYPES[type].alg;
}

/** One version's material, decoded. */
export type TransitMaterial =
  | { readonly kind: 'asymmetric'; readonly key: SecretKeyInfo }
  | { readonly kind: 'hmac'; readonly key: Uint8Array };

/** Fresh material for `version` of a key of `type`. */
export function generateMaterial(provider: CryptoProvider, type: TransitKeyType, version: number): TransitMaterial {
  const alg = algOf(type);
  if (alg === undefined) return { kind: 'hmac', key: randomBytes(HMAC_KEY_BYTES) };
  return { kind: 'asymmetric', key: generateKey(provider, alg, { keyVersion: version }) };
}

/** The bytes sealed at rest (and carried in a backup); the caller wipes them. */
export function encodeMaterial(m: TransitMaterial): Uint8Array {
  return m.kind === 'hmac' ? m.key.slice() : encodeKey(m.key);
}

/**
 * Decodes sealed bytes for `version` of a key of `type`; `undefined` when they do not
 * belong there (another algorithm, another version, a malformed key file).
 */
export function decodeMaterial(provider: CryptoProvider, type: TransitKeyType, version: number, bytes: Uint8Array): TransitMaterial | undefined {
  const alg = algOf(type);
  if (alg === undefined) return bytes.length === HMAC_KEY_BYTES ? { kind: 'hmac', key: bytes.slice() } : undefined;
  let key;
  try {
    key = decodeKey(bytes, provider);
  } catch (e) {
    if (e instanceof VaultError) return undefined;
    throw e;
  }
  if ((key.kind !== 'kem-secret' && key.kind !== 'sig-secret') || key.alg !== alg || key.keyVersion !== version) return undefined;
  return { kind: 'asymmetric', key };
}

/**
 * Sizes and identifiers of every supported algorithm, shared by both providers so that
 * they validate inputs identically. Sources: FIPS 203 table 3 (ML-KEM), FIPS 204 table 2
 * (ML-DSA), draft-connolly-cfrg-xwing-kem (X-Wing), the round-3 Falcon specification
 * (maximum unpadded signature sizes: 752 bytes for Falcon-512, 1462 for Falcon-1024),
 * RFC 9180 and draft-ietf-hpke-pq (HPKE identifiers).
 * @module
 */
import type { KemName, SignatureName } from './types.js';

/** The tables below are shared by every provider object; freezing them deeply keeps a caller from changing a length check for everyone. */
function deepFreeze<T extends object>(o: T): Readonly<T> {
  for (const v of Object.values(o)) if (typeof v === 'object' && v !== null) deepFreeze(v as object);
  return Object.freeze(o);
}

export interface KemParams {
  readonly name: KemName;
  readonly hpkeId: number;
  readonly lengths: {
    readonly publicKey: number;
    readonly secretKey: number;
    readonly cipherText: number;
    readonly sharedSecret: number;
  };
  /** Length of the randomness `encapsulateDerand` takes. */
  readonly encapsSeed: number;
}

export const KEM_PARAMS: Readonly<Record<KemName, KemParams>> = deepFreeze({
  'X-Wing': {
    name: 'X-Wing',
    hpkeId: 0x647a,
    lengths: { publicKey: 1216, secretKey: 32, cipherText: 1120, sharedSecret: 32 },
    // 32 bytes of ML-KEM-768 encapsulation randomness followed by the ephemeral X25519 key.
    encapsSeed: 64,
  },
  'ML-KEM-768': {
    name: 'ML-KEM-768',
    hpkeId: 0x0041,
    lengths: { publicKey: 1184, secretKey: 64, cipherText: 1088, sharedSecret: 32 },
    encapsSeed: 32,
  },
  'ML-KEM-1024': {
    name: 'ML-KEM-1024',
    hpkeId: 0x0042,
    lengths: { publicKey: 1568, secretKey: 64, cipherText: 1568, sharedSecret: 32 },
    encapsSeed: 32,
  },
});

export interface SignatureParams {
  readonly name: SignatureName;
  readonly lengths: {
    readonly publicKey: number;
    readonly secretKey: number;
    readonly signature: number;
  };
  /** Shortest encoding the verifier may see (ML-DSA is fixed-length; Falcon varies). */
  readonly minSignature: number;
}

// Falcon detached signature: 1 header byte, 40-byte nonce, compressed s2 (at least 1 byte).
const FALCON_MIN_SIGNATURE = 1 + 40 + 1;

export const SIGNATURE_PARAMS: Readonly<Record<SignatureName, SignatureParams>> = deepFreeze({
  'ML-DSA-65': {
    name: 'ML-DSA-65',
    lengths: { publicKey: 1952, secretKey: 32, signature: 3309 },
    minSignature: 3309,
  },
  'ML-DSA-87': {
    name: 'ML-DSA-87',
    lengths: { publicKey: 2592, secretKey: 32, signature: 4627 },
    minSignature: 4627,
  },
  'Falcon-512-r3': {
    name: 'Falcon-512-r3',
    lengths: { publicKey: 897, secretKey: 1281, signature: 752 },
    minSignature: FALCON_MIN_SIGNATURE,
  },
  'Falcon-1024-r3': {
    name: 'Falcon-1024-r3',
    lengths: { publicKey: 1793, secretKey: 2305, signature: 1462 },
    minSignature: FALCON_MIN_SIGNATURE,
  },
});

/** Falcon key generation takes a 48-byte seed (not portable between implementations). */
export const FALCON_SEED_LENGTH = 48;

export function isKemName(name: unknown): name is KemName {
  return typeof name === 'string' && Object.hasOwn(KEM_PARAMS, name);
}

export function isSignatureName(name: unknown): name is SignatureName {
  return typeof name === 'string' && Object.hasOwn(SIGNATURE_PARAMS, name);
}

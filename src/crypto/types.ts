/**
 * The crypto provider contract. Everything above `src/crypto` talks to primitives only
 * through these interfaces, so the `noble` (pure JS, every Node) and `native`
 * (node:crypto / OpenSSL >= 3.5) providers are interchangeable and must interoperate
 * byte for byte.
 *
 * Key representations are fixed across providers:
 * - X-Wing secret key: the 32-byte seed of draft-connolly-cfrg-xwing-kem.
 * - ML-KEM secret key: the 64-byte seed d || z (FIPS 203 "seed" form).
 * - ML-DSA secret key: the 32-byte seed xi (FIPS 204 KeyGen_internal input).
 * - Falcon secret key: the expanded secret key (round-3 encoding); Falcon keygen from a
 *   seed is not portable between implementations, so the expanded key is what is stored.
 * @module
 */

export type KemName = 'X-Wing' | 'ML-KEM-768' | 'ML-KEM-1024';
export type SignatureName = 'ML-DSA-65' | 'ML-DSA-87' | 'Falcon-512-r3' | 'Falcon-1024-r3';
export type AeadName = 'AES-128-GCM' | 'AES-256-GCM' | 'ChaCha20-Poly1305';
export type ProviderName = 'noble' | 'native';

export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export interface Encapsulation {
  readonly cipherText: Uint8Array;
  readonly sharedSecret: Uint8Array;
}

export interface Kem {
  readonly name: KemName;
  /** HPKE KEM identifier (RFC 9180 registry / draft-ietf-hpke-pq). */
  readonly hpkeId: number;
  readonly lengths: {
    readonly publicKey: number;
    readonly secretKey: number;
    readonly cipherText: number;
    readonly sharedSecret: number;
  };
  /** New key pair; from `seed` (secretKey-length bytes) when given. secretKey is the seed. */
  keygen(seed?: Uint8Array): KeyPair;
  getPublicKey(secretKey: Uint8Array): Uint8Array;
  /** Randomized encapsulation; callers never pass randomness. */
  encapsulate(publicKey: Uint8Array): Encapsulation;
  /**
   * Derandomized encapsulation, for known-answer tests and vector generation only.
   * Absent where the implementation cannot take injected randomness (native ML-KEM).
   */
  readonly encapsulateDerand?: (publicKey: Uint8Array, seed: Uint8Array) => Encapsulation;
  /** Implicit rejection: a malformed ciphertext of the right length yields a pseudo-random secret. */
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array;
}

export interface SignatureScheme {
  readonly name: SignatureName;
  readonly lengths: {
    readonly publicKey: number;
    readonly secretKey: number;
    /** Maximum signature length (Falcon signatures vary in length). */
    readonly signature: number;
  };
  /** Which implementation actually runs this scheme (Falcon is noble-only everywhere). */
  readonly implementation: ProviderName;
  keygen(seed?: Uint8Array): KeyPair;
  /** Public key from a secret key (Falcon: h = g / f mod q from the expanded key); OV_KEY_INVALID when malformed. */
  getPublicKey(secretKey: Uint8Array): Uint8Array;
  sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array;
  /** Never throws on malformed input: returns false. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

export interface Aead {
  readonly name: AeadName;
  /** HPKE AEAD identifier. */
  readonly hpkeId: number;
  readonly keyLength: number;
  readonly nonceLength: number;
  readonly tagLength: number;
  /** Returns ciphertext || tag. */
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Throws OV_ENVELOPE_OPEN on any failure. */
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, cipherText: Uint8Array): Uint8Array;
}

export interface CryptoProvider {
  readonly name: ProviderName;
  kem(name: KemName): Kem;
  signature(name: SignatureName): SignatureScheme;
}

/**
 * Deterministic sealing, signing and key generation for known-answer vectors
 * (scripts/gen-vectors.ts) and tests. Never exported from src/envelope/index.ts:
 * production sealing always draws fresh KEM randomness, and production ML-DSA signing is
 * hedged.
 *
 * Determinism comes from explicit seeds: the KEM encapsulation seed (HPKE ikmE, passed to
 * the KEM's derandomized encapsulation, so it needs a KEM that supports it: the noble
 * provider), the FIPS 204 deterministic ML-DSA variant, and a seeded DRBG for round-3
 * Falcon (src/crypto/derand.ts).
 * @module
 */
import { signDeterministic } from '../crypto/derand.js';
import type { CryptoProvider, KemName, SignatureName } from '../crypto/types.js';
import { VaultError } from '../errors.js';
import { sealWith, type SealOptions } from './envelope.js';
import { algByName, type KeyAlg } from './format.js';
import { setupBaseSDerand } from './hpke.js';
import { secretKeyFromPair, type SecretKeyInfo } from './keys.js';
import { signDetachedWith } from './signature.js';

export { decodeEnvelope, encodeEnvelope, type ParsedEnvelope } from './format.js';

/** A key pair from a seed: KEM and ML-DSA seeds are the secret keys; Falcon takes a 48-byte noble seed. */
export function keyFromSeed(provider: CryptoProvider, alg: KeyAlg, seed: Uint8Array, keyVersion = 1): SecretKeyInfo {
  const spec = algByName(alg);
  if (spec === undefined) throw new VaultError('OV_ALGORITHM_UNSUPPORTED', { alg });
  const pair =
    spec.family === 'kem' ? provider.kem(alg as KemName).keygen(seed) : provider.signature(alg as SignatureName).keygen(seed);
  return secretKeyFromPair(alg, pair, keyVersion);
}

export interface DeterministicSealOptions extends SealOptions {
  /** KEM encapsulation randomness: 64 bytes for X-Wing, 32 for ML-KEM. */
  readonly encapSeed: Uint8Array;
  /** 48 bytes of DRBG seed, required when signing with Falcon. */
  readonly falconSeed?: Uint8Array;
  /**
   * Negative vectors only: rewrites the key commitment before it is written, and the AEAD
   * tag is computed over the header carrying the rewritten value, so only the commitment
   * check can reject the envelope.
   */
  readonly forgeCommitment?: (computed: Uint8Array) => Uint8Array;
}

/** `seal` with fixed KEM randomness and deterministic signing: same inputs, same bytes. */
export function sealDeterministic(provider: CryptoProvider, opts: DeterministicSealOptions): Uint8Array {
  const { encapSeed, falconSeed, forgeCommitment, ...rest } = opts;
  return sealWith(provider, rest, {
    setup: (suite, pkR, info) => setupBaseSDerand(suite, pkR, info, encapSeed),
    sign: (alg, message, sk) => signDeterministic(alg, message, sk, falconSeed),
    ...(forgeCommitment === undefined ? {} : { commitment: forgeCommitment }),
  });
}

/** `signDetached` with deterministic signing. */
export function signDetachedDeterministic(
  provider: CryptoProvider,
  opts: { key: SecretKeyInfo; message: Uint8Array; context?: Uint8Array | string; falconSeed?: Uint8Array },
): Uint8Array {
  const { falconSeed, ...rest } = opts;
  return signDetachedWith(provider, rest, (alg, message, sk) => signDeterministic(alg, message, sk, falconSeed));
}

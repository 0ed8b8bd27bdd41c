/**
 * Derandomized signing for known-answer vectors only (scripts/gen-vectors.ts through
 * src/envelope/internal.ts); never reachable from src/envelope/index.ts.
 *
 * ML-DSA uses the FIPS 204 deterministic variant (rnd = 32 zero bytes), which verifies
 * exactly like the hedged default. Falcon (round 3) draws its 40-byte salt and sampler
 * seed from noble's AES-CTR DRBG seeded with the 48 bytes given here, so a vector can
 * pin Falcon signature bytes too; production Falcon signing stays randomized.
 * @module
 */
import { falcon1024, falcon512 } from '@noble/post-quantum/falcon.js';
import { ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import type { SignatureName } from './types.js';
import { VaultError } from '../errors.js';

/**
 * Signs `message` with `secretKey` (the project's representation: ML-DSA 32-byte seed,
 * Falcon expanded key). `falconSeed` (48 bytes) is required for Falcon, ignored otherwise.
 */
export function signDeterministic(
  alg: SignatureName,
  message: Uint8Array,
  secretKey: Uint8Array,
  falconSeed?: Uint8Array,
): Uint8Array {
  switch (alg) {
    case 'ML-DSA-65':
    case 'ML-DSA-87': {
      const dsa = alg === 'ML-DSA-65' ? ml_dsa65 : ml_dsa87;
      const expanded = dsa.keygen(secretKey).secretKey;
      try {
        return dsa.sign(message, expanded, { extraEntropy: false });
      } finally {
        expanded.fill(0);
      }
    }
    case 'Falcon-512-r3':
    case 'Falcon-1024-r3': {
      if (falconSeed?.length !== 48) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'falconSeed', length: 48 });
      const falcon = alg === 'Falcon-512-r3' ? falcon512 : falcon1024;
      return falcon.sign(message, secretKey, { extraEntropy: falconSeed });
    }
  }
}

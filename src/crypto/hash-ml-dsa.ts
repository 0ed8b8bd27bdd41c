/**
 * The two primitives the transit engine needs beyond the provider contract: HashML-DSA
 * (FIPS 204 section 5.4) with SHA-512 over a caller-computed digest, and HMAC-SHA3-256.
 *
 * HashML-DSA signs M' = 0x01 || len(ctx) || ctx || OID(SHA-512) || SHA-512(M); the
 * caller hands over SHA-512(M) itself (Vault's `prehashed`), so the message never reaches
 * the vault. The context is always empty. Both run on noble everywhere: node:crypto has
 * no HashML-DSA. Secret keys are the 32-byte seeds of the provider contract.
 * @module
 */
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { sha512 } from '@noble/hashes/sha2.js';
import { sha3_256 } from '@noble/hashes/sha3.js';
import { ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { VaultError } from '../errors.js';
import { concatBytes, wipe } from './bytes.js';

/** DER of id-sha512, 2.16.840.1.101.3.4.2.3 (what FIPS 204 puts in M'). */
const SHA512_OID = Uint8Array.of(0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03);
export const SHA512_DIGEST_BYTES = 64;

export type HashMlDsaAlg = 'ML-DSA-65' | 'ML-DSA-87';

function lib(alg: HashMlDsaAlg): typeof ml_dsa65 {
  return alg === 'ML-DSA-65' ? ml_dsa65 : ml_dsa87;
}

/** M' of HashML-DSA with SHA-512 and an empty context, from the digest. */
function formatted(digest: Uint8Array): Uint8Array {
  if (!(digest instanceof Uint8Array) || digest.length !== SHA512_DIGEST_BYTES) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'input', expected: SHA512_DIGEST_BYTES });
  }
  return concatBytes(Uint8Array.of(1, 0), SHA512_OID, digest);
}

/** HashML-DSA-SHA512 signature of a SHA-512 digest, hedged; `seed` is the 32-byte secret key. */
export function hashMlDsaSign(alg: HashMlDsaAlg, digest: Uint8Array, seed: Uint8Array): Uint8Array {
  const m = formatted(digest);
  const { secretKey } = lib(alg).keygen(seed);
  try {
    return lib(alg).internal.sign(m, secretKey);
  } finally {
    wipe(secretKey);
  }
}

/** Verifies a HashML-DSA-SHA512 signature over a SHA-512 digest; never throws on bad input. */
export function hashMlDsaVerify(alg: HashMlDsaAlg, signature: Uint8Array, digest: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return lib(alg).internal.verify(signature, formatted(digest), publicKey) === true;
  } catch {
    return false;
  }
}

/** SHA-512 of a message: what a caller passes as the `prehashed` input. */
export function sha512Digest(message: Uint8Array): Uint8Array {
  return sha512(message);
}

/** HMAC-SHA3-256 (FIPS 198-1 over SHA3-256). */
export function hmacSha3_256(key: Uint8Array, message: Uint8Array): Uint8Array {
  return nobleHmac(sha3_256, key, message);
}

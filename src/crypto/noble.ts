/**
 * The `noble` crypto provider: pure JavaScript, runs on every supported Node.
 *
 * - X-Wing (draft-connolly-cfrg-xwing-kem) is noble's `ml_kem768_x25519` for key
 *   generation and encapsulation; its 32-byte secret key is the X-Wing seed. Decapsulation
 *   is composed here from noble's ML-KEM-768 and X25519 with the expanded decapsulation
 *   key (expandDecapsulationKey of the draft) held in the identity-keyed cache, since
 *   re-deriving it costs about a third of a decapsulation.
 * - ML-KEM-768/1024 (FIPS 203) keep the 64-byte seed d || z as the secret key. The
 *   expanded decapsulation key is derived on demand and held only in an identity-keyed
 *   cache (see keycache.ts), so repeated decapsulation with one key stays cheap.
 * - ML-DSA-65/87 (FIPS 204) keep the 32-byte seed xi; pure ML-DSA with an empty context,
 *   hedged (randomized) signing as noble does by default.
 * - Falcon-512/1024 are round-3 Falcon (not FIPS 206 FN-DSA), unpadded detached
 *   signatures; the secret key is the expanded round-3 encoding because Falcon key
 *   generation from a seed is not portable between implementations.
 *
 * Every input length is checked here before noble sees it, so both providers fail with
 * the same error codes: wrong-length keys give OV_KEY_INVALID, a wrong-length ciphertext
 * gives OV_ENVELOPE_OPEN, and `verify` returns false rather than throwing.
 * @module
 */
import { createRequire } from 'node:module';
import { x25519 } from '@noble/curves/ed25519.js';
import { sha3_256, shake256 } from '@noble/hashes/sha3.js';
import { ml_kem768_x25519 } from '@noble/post-quantum/hybrid.js';
import { ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { ml_kem1024, ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { VaultError } from '../errors.js';
import { concatBytes, expectBytes, randomBytes, wipe } from './bytes.js';
import { KeyCache } from './keycache.js';
import {
  FALCON_SEED_LENGTH,
  KEM_PARAMS,
  SIGNATURE_PARAMS,
  isKemName,
  isSignatureName,
  type KemParams,
  type SignatureParams,
} from './params.js';
import type { CryptoProvider, Encapsulation, Kem, KemName, KeyPair, SignatureName, SignatureScheme } from './types.js';

/** The subset of noble's KEM and signer surfaces this module relies on. */
interface NobleKem {
  keygen(seed?: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
  encapsulate(publicKey: Uint8Array, msg?: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array };
  decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array;
}
interface NobleSigner {
  keygen(seed?: Uint8Array): { publicKey: Uint8Array; secretKey: Uint8Array };
  getPublicKey(secretKey: Uint8Array): Uint8Array;
  sign(msg: Uint8Array, secretKey: Uint8Array): Uint8Array;
  verify(sig: Uint8Array, msg: Uint8Array, publicKey: Uint8Array): boolean;
}

/** A fresh seed, or a private copy of the caller's so the returned key never aliases it. */
function seedOrRandom(seed: Uint8Array | undefined, length: number, field: string): Uint8Array {
  if (seed === undefined) return randomBytes(length);
  expectBytes(seed, length, 'OV_KEY_INVALID', field);
  return new Uint8Array(seed);
}

function checkPublicKey(p: KemParams | SignatureParams, publicKey: Uint8Array): void {
  expectBytes(publicKey, p.lengths.publicKey, 'OV_KEY_INVALID', 'publicKey');
}

function checkSecretKey(p: KemParams | SignatureParams, secretKey: Uint8Array): void {
  expectBytes(secretKey, p.lengths.secretKey, 'OV_KEY_INVALID', 'secretKey');
}

/** Encapsulation failures after the length check mean a malformed key (FIPS 203 modulus check, low-order X25519 point). */
function encapsulateOrThrow(lib: NobleKem, publicKey: Uint8Array, msg?: Uint8Array): Encapsulation {
  try {
    const { cipherText, sharedSecret } = msg === undefined ? lib.encapsulate(publicKey) : lib.encapsulate(publicKey, msg);
    return { cipherText, sharedSecret };
  } catch (cause) {
    throw new VaultError('OV_KEY_INVALID', { field: 'publicKey' }, { cause });
  }
}

function decapsulateOrThrow(lib: NobleKem, cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
  try {
    return lib.decapsulate(cipherText, secretKey);
  } catch {
    // One indistinguishable failure; the library's reason (e.g. an all-zero X25519 share) is not surfaced.
    throw new VaultError('OV_ENVELOPE_OPEN');
  }
}

function checkCipherText(p: KemParams, cipherText: Uint8Array): void {
  expectBytes(cipherText, p.lengths.cipherText, 'OV_ENVELOPE_OPEN', 'cipherText');
}

function checkEncapsSeed(p: KemParams, seed: Uint8Array): void {
  expectBytes(seed, p.encapsSeed, 'OV_INVALID_ARGUMENT', 'seed');
}

/**
 * A noble KEM behind the contract. The contract's secret key is always the seed; for
 * X-Wing noble's own secret key already is that seed, while ML-KEM decapsulates with the
 * expanded key, derived once per seed and kept only in the cache (`expand`).
 */
function nobleKem(name: KemName, lib: NobleKem, expand: boolean): Kem {
  const p = KEM_PARAMS[name];
  const expanded = expand
    ? new KeyCache<Uint8Array>(
        (seed) => lib.keygen(seed).secretKey,
        (dk) => wipe(dk),
      )
    : undefined;
  const publicPart = (seed: Uint8Array): Uint8Array => {
    const keys = lib.keygen(seed);
    wipe(keys.secretKey); // noble returns its own copy (or expansion) of the seed
    return keys.publicKey;
  };
  return Object.freeze({
    name: p.name,
    hpkeId: p.hpkeId,
    lengths: p.lengths,
    keygen(seed?: Uint8Array): KeyPair {
      const sk = seedOrRandom(seed, p.lengths.secretKey, 'seed');
      return { publicKey: publicPart(sk), secretKey: sk };
    },
    getPublicKey(secretKey: Uint8Array): Uint8Array {
      checkSecretKey(p, secretKey);
      return publicPart(secretKey);
    },
    encapsulate(publicKey: Uint8Array): Encapsulation {
      checkPublicKey(p, publicKey);
      return encapsulateOrThrow(lib, publicKey);
    },
    encapsulateDerand(publicKey: Uint8Array, seed: Uint8Array): Encapsulation {
      checkPublicKey(p, publicKey);
      checkEncapsSeed(p, seed);
      return encapsulateOrThrow(lib, publicKey, seed);
    },
    decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
      checkSecretKey(p, secretKey);
      checkCipherText(p, cipherText);
      return decapsulateOrThrow(lib, cipherText, expanded === undefined ? secretKey : expanded.get(secretKey));
    },
  });
}

/** The draft's expandDecapsulationKey output: the ML-KEM-768 decapsulation key and the X25519 key pair. */
interface XWingExpanded {
  readonly dkM: Uint8Array;
  readonly skX: Uint8Array;
  readonly pkX: Uint8Array;
}

const XWING_LABEL = Uint8Array.of(0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c); // "\.//^\"
const XWING_CT_M = KEM_PARAMS['ML-KEM-768'].lengths.cipherText;

function xwingExpand(seed: Uint8Array): XWingExpanded {
  const expanded = shake256(seed, { dkLen: 96 });
  try {
    const keys = ml_kem768.keygen(expanded.subarray(0, 64));
    const skX = expanded.slice(64, 96);
    return { dkM: keys.secretKey, skX, pkX: x25519.getPublicKey(skX) };
  } finally {
    wipe(expanded);
  }
}

/**
 * noble's X-Wing with decapsulation from the cached expanded key; the same bytes as
 * `ml_kem768_x25519.decapsulate` (the X-Wing vectors pin both).
 */
function xwingCached(): NobleKem {
  const cache = new KeyCache<XWingExpanded>(xwingExpand, (x) => wipe(x.dkM, x.skX));
  return {
    keygen: (seed) => ml_kem768_x25519.keygen(seed),
    encapsulate: (publicKey, msg) => ml_kem768_x25519.encapsulate(publicKey, msg),
    decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
      const x = cache.get(secretKey);
      const ctX = cipherText.subarray(XWING_CT_M);
      let ssM: Uint8Array | undefined;
      let ssX: Uint8Array | undefined;
      let input: Uint8Array | undefined;
      try {
        ssM = ml_kem768.decapsulate(cipherText.subarray(0, XWING_CT_M), x.dkM);
        ssX = x25519.getSharedSecret(x.skX, ctX); // throws on an all-zero (low-order) result
        input = concatBytes(ssM, ssX, ctX, x.pkX, XWING_LABEL);
        return sha3_256(input);
      } finally {
        wipe(ssM, ssX, input);
      }
    },
  };
}

/** `verify` must never throw: every malformed input is simply an invalid signature. */
function verifyOrFalse(
  p: SignatureParams,
  lib: NobleSigner,
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  if (!(signature instanceof Uint8Array) || !(message instanceof Uint8Array) || !(publicKey instanceof Uint8Array)) {
    return false;
  }
  if (publicKey.length !== p.lengths.publicKey) return false;
  if (signature.length < p.minSignature || signature.length > p.lengths.signature) return false;
  try {
    return lib.verify(signature, message, publicKey) === true;
  } catch {
    return false;
  }
}

/** ML-DSA: the secret key is the seed xi; the expanded signing key lives only in the cache. */
function mlDsa(name: 'ML-DSA-65' | 'ML-DSA-87', lib: NobleSigner): SignatureScheme {
  const p = SIGNATURE_PARAMS[name];
  const expanded = new KeyCache<Uint8Array>(
    (seed) => lib.keygen(seed).secretKey,
    (sk) => wipe(sk),
  );
  return Object.freeze({
    name: p.name,
    lengths: p.lengths,
    implementation: 'noble',
    keygen(seed?: Uint8Array): KeyPair {
      const sk = seedOrRandom(seed, p.lengths.secretKey, 'seed');
      const { publicKey, secretKey } = lib.keygen(sk);
      wipe(secretKey);
      return { publicKey, secretKey: sk };
    },
    getPublicKey(secretKey: Uint8Array): Uint8Array {
      checkSecretKey(p, secretKey);
      const keys = lib.keygen(secretKey);
      wipe(keys.secretKey);
      return keys.publicKey;
    },
    sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
      expectBytes(message, undefined, 'OV_INVALID_ARGUMENT', 'message');
      checkSecretKey(p, secretKey);
      return lib.sign(message, expanded.get(secretKey));
    },
    verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
      return verifyOrFalse(p, lib, signature, message, publicKey);
    },
  } satisfies SignatureScheme);
}

/**
 * noble's Falcon module builds large tables when imported; it is loaded
 * on first use, synchronously (require of an ES module, Node >= 20.19), so a daemon or
 * CLI that never touches Falcon never pays for it.
 */
type FalconModule = { falcon512: NobleSigner; falcon1024: NobleSigner };
let falconModule: FalconModule | undefined;
function loadFalcon(): FalconModule {
  falconModule ??= createRequire(import.meta.url)('@noble/post-quantum/falcon.js') as FalconModule;
  return falconModule;
}

/** Round-3 Falcon with the expanded secret key; signing is randomized. */
function falcon(name: 'Falcon-512-r3' | 'Falcon-1024-r3', pick: (m: FalconModule) => NobleSigner): SignatureScheme {
  const p = SIGNATURE_PARAMS[name];
  let loaded: NobleSigner | undefined;
  const lib = (): NobleSigner => (loaded ??= pick(loadFalcon()));
  return Object.freeze({
    name: p.name,
    lengths: p.lengths,
    implementation: 'noble',
    keygen(seed?: Uint8Array): KeyPair {
      // The 48-byte seed reproduces keys only within noble; the expanded key is what is stored.
      if (seed !== undefined) expectBytes(seed, FALCON_SEED_LENGTH, 'OV_INVALID_ARGUMENT', 'seed');
      return lib().keygen(seed);
    },
    getPublicKey(secretKey: Uint8Array): Uint8Array {
      // h = g / f mod q from the (f, g) of the expanded secret key.
      checkSecretKey(p, secretKey);
      try {
        return lib().getPublicKey(secretKey);
      } catch (cause) {
        // Right length but not a valid (f, g, F) encoding, or f not invertible mod q.
        throw new VaultError('OV_KEY_INVALID', { field: 'secretKey' }, { cause });
      }
    },
    sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
      expectBytes(message, undefined, 'OV_INVALID_ARGUMENT', 'message');
      checkSecretKey(p, secretKey);
      try {
        return lib().sign(message, secretKey);
      } catch (cause) {
        // Right length but not a valid (f, g, F) encoding, or a basis the sampler rejects.
        throw new VaultError('OV_KEY_INVALID', { field: 'secretKey' }, { cause });
      }
    },
    verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
      return verifyOrFalse(p, lib(), signature, message, publicKey);
    },
  } satisfies SignatureScheme);
}

let kems: Readonly<Record<KemName, Kem>> | undefined;
let signatures: Readonly<Record<SignatureName, SignatureScheme>> | undefined;

/** The noble KEMs, built on first use. */
function nobleKems(): Readonly<Record<KemName, Kem>> {
  kems ??= Object.freeze({
    'X-Wing': nobleKem('X-Wing', xwingCached(), false),
    'ML-KEM-768': nobleKem('ML-KEM-768', ml_kem768, true),
    'ML-KEM-1024': nobleKem('ML-KEM-1024', ml_kem1024, true),
  });
  return kems;
}

/** The noble signature schemes, built on first use. Falcon is shared with the native provider. */
export function nobleSignatures(): Readonly<Record<SignatureName, SignatureScheme>> {
  signatures ??= Object.freeze({
    'ML-DSA-65': mlDsa('ML-DSA-65', ml_dsa65),
    'ML-DSA-87': mlDsa('ML-DSA-87', ml_dsa87),
    'Falcon-512-r3': falcon('Falcon-512-r3', (m) => m.falcon512),
    'Falcon-1024-r3': falcon('Falcon-1024-r3', (m) => m.falcon1024),
  });
  return signatures;
}

/** Throws OV_ALGORITHM_UNSUPPORTED for a name outside the supported set. */
export function unsupported(kind: 'kem' | 'signature', name: unknown): never {
  throw new VaultError('OV_ALGORITHM_UNSUPPORTED', { kind, algorithm: String(name).slice(0, 64) });
}

export const nobleProvider: CryptoProvider = Object.freeze({
  name: 'noble',
  kem(name: KemName): Kem {
    if (!isKemName(name)) unsupported('kem', name);
    return nobleKems()[name];
  },
  signature(name: SignatureName): SignatureScheme {
    if (!isSignatureName(name)) unsupported('signature', name);
    return nobleSignatures()[name];
  },
});

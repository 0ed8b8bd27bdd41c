/**
 * BLS12-381 signing for the remote signer: the native `@chainsafe/blst` binding when its
 * addon loads on this runtime (about 80 times faster than pure JavaScript), else
 * @noble/curves through ./bls.ts. Both implement the same ciphersuite
 * (`BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_`) and give byte-identical signatures, so
 * the choice changes speed only.
 * @module
 */
import { createRequire } from 'node:module';
import { blsPublicKey, blsSign, blsSecretValid } from './bls.js';

export interface BlsSigner {
  /** 'blst' (native) or 'noble' (pure JavaScript). */
  readonly name: 'blst' | 'noble';
  /** A 96-byte compressed G2 signature over `message` with a 32-byte secret scalar in [1, r-1]. */
  sign(message: Uint8Array, secret: Uint8Array): Uint8Array;
  /** The 48-byte compressed public key of `secret`. */
  publicKey(secret: Uint8Array): Uint8Array;
}

interface BlstModule {
  SecretKey: {
    fromBytes(b: Uint8Array): { sign(m: Uint8Array): { toBytes(compress?: boolean): Uint8Array }; toPublicKey(): { toBytes(compress?: boolean): Uint8Array } };
  };
}

export const nobleBlsSigner: BlsSigner = Object.freeze({
  name: 'noble' as const,
  sign: (message: Uint8Array, secret: Uint8Array) => blsSign(message, secret),
  publicKey: (secret: Uint8Array) => blsPublicKey(secret),
});

function loadBlst(): BlsSigner | undefined {
  let blst: BlstModule;
  try {
    blst = createRequire(import.meta.url)('@chainsafe/blst') as BlstModule;
  } catch {
    return undefined;
  }
  const key = (secret: Uint8Array): ReturnType<BlstModule['SecretKey']['fromBytes']> => {
    // blst reduces nothing but accepts what noble refuses in edge cases; one rule for both.
    if (!blsSecretValid(secret)) throw new RangeError('bls: secret key must be a 32-byte scalar in [1, r-1]');
    return blst.SecretKey.fromBytes(secret);
  };
  return Object.freeze({
    name: 'blst' as const,
    sign: (message: Uint8Array, secret: Uint8Array) => key(secret).sign(message).toBytes(true),
    publicKey: (secret: Uint8Array) => key(secret).toPublicKey().toBytes(true),
  });
}

let native: BlsSigner | undefined | null = null;

/** The native signer, or undefined when its addon does not load here. */
export function nativeBlsSigner(): BlsSigner | undefined {
  if (native === null) native = loadBlst();
  return native;
}

/** The fastest signer this runtime has. */
export function blsSigner(): BlsSigner {
  return nativeBlsSigner() ?? nobleBlsSigner;
}

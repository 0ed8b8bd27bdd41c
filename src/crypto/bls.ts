/**
 * BLS12-381 as Ethereum's consensus layer uses it: the "minimal-pubkey-size" variant
 * (48-byte compressed G1 public keys, 96-byte G2 signatures) with the proof-of-possession
 * ciphersuite `BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_` (draft-irtf-cfrg-bls-signature,
 * consensus-specs "BLS signatures"), from @noble/curves, plus EIP-2333 hierarchical key
 * derivation.
 *
 * Secret keys are 32-byte big-endian scalars in [1, r-1]; anything else (zero, r or
 * above, the wrong length) is refused here rather than reduced, so a keystore holding an
 * out-of-range value can never be silently turned into a different key.
 * @module
 */
import { bls12_381 } from '@noble/curves/bls12-381.js';
import { wipe } from './bytes.js';
import { hkdfExpand, hkdfExtract, sha256 } from './kdf.js';

const bls = bls12_381.longSignatures;

/** The order r of the BLS12-381 prime-order subgroups. */
export const BLS_CURVE_ORDER = bls12_381.fields.Fr.ORDER;

/** Ethereum's signing ciphersuite (proof of possession). */
const POP_DST = 'BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_';

function toBigInt(bytes: Uint8Array): bigint {
  let x = 0n;
  for (const b of bytes) x = (x << 8n) | BigInt(b);
  return x;
}

function toBytes32(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** r as 32 big-endian bytes. */
const ORDER_BYTES = toBytes32(BLS_CURVE_ORDER);

/**
 * True when `secret` is a 32-byte big-endian scalar in [1, r-1]. The signer checks every
 * key before every signature, so this runs on bytes: `secret < r` is the borrow out of
 * `secret - r`, computed over all 32 bytes without a branch on their values.
 */
export function blsSecretValid(secret: Uint8Array): boolean {
  if (secret.length !== 32) return false;
  let borrow = 0;
  let any = 0;
  for (let i = 31; i >= 0; i--) {
    const b = secret[i] as number;
    borrow = ((b - (ORDER_BYTES[i] as number) - borrow) >>> 31) & 1;
    any |= b;
  }
  return any !== 0 && borrow === 1;
}

function checkSecret(secret: Uint8Array): void {
  if (!blsSecretValid(secret)) throw new RangeError('bls: secret key must be a 32-byte scalar in [1, r-1]');
}

/** The 48-byte compressed G1 public key of a secret scalar. */
export function blsPublicKey(secret: Uint8Array): Uint8Array {
  checkSecret(secret);
  return bls.getPublicKey(secret).toBytes(true);
}

/** A fresh random secret scalar (noble's keygen: 48 CSPRNG bytes reduced mod r, never 0). */
export function blsRandomSecret(): Uint8Array {
  return bls.keygen().secretKey;
}

/** A 96-byte compressed G2 signature over `message` (POP ciphersuite). */
export function blsSign(message: Uint8Array, secret: Uint8Array): Uint8Array {
  checkSecret(secret);
  return bls.sign(bls.hash(message, POP_DST), secret).toBytes(true);
}

/** Verifies a signature from blsSign; malformed points give false, never a throw. */
export function blsVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
  try {
    return bls.verify(signature, bls.hash(message, POP_DST), publicKey);
  } catch {
    return false;
  }
}

/** True when `publicKey` decodes to a valid, non-identity G1 point in the subgroup. */
export function blsPublicKeyValid(publicKey: Uint8Array): boolean {
  if (publicKey.length !== 48) return false;
  try {
    const p = bls12_381.G1.Point.fromBytes(publicKey);
    p.assertValidity();
    return !p.is0();
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------
// EIP-2333: BLS12-381 key generation and hardened child derivation.

const KEYGEN_SALT = new TextEncoder().encode('BLS-SIG-KEYGEN-SALT-');
const L = 48;

/** EIP-2333 `HKDF_mod_r` (the same as the IETF draft's KeyGen with empty key_info). */
function hkdfModR(ikm: Uint8Array): bigint {
  let salt: Uint8Array = KEYGEN_SALT;
  for (;;) {
    salt = sha256(salt);
    const prk = hkdfExtract('SHA-256', salt, ikm, new Uint8Array([0]));
    const okm = hkdfExpand('SHA-256', prk, [new Uint8Array([0, L])], L);
    const sk = toBigInt(okm) % BLS_CURVE_ORDER;
    wipe(prk, okm);
    if (sk !== 0n) return sk;
  }
}

/** EIP-2333 `IKM_to_lamport_SK`: 255 chunks of 32 bytes, returned as one 8160-byte array. */
function ikmToLamportSk(ikm: Uint8Array, salt: Uint8Array): Uint8Array {
  const prk = hkdfExtract('SHA-256', salt, ikm);
  const okm = hkdfExpand('SHA-256', prk, [], 32 * 255);
  wipe(prk);
  return okm;
}

/** EIP-2333 `parent_SK_to_lamport_PK`. */
function parentSkToLamportPk(parent: bigint, index: number): Uint8Array {
  const salt = new Uint8Array(4);
  new DataView(salt.buffer).setUint32(0, index, false);
  const ikm = toBytes32(parent);
  const notIkm = ikm.map((b) => b ^ 0xff);
  const lamport0 = ikmToLamportSk(ikm, salt);
  const lamport1 = ikmToLamportSk(notIkm, salt);
  const pk = new Uint8Array(2 * 255 * 32);
  for (let i = 0; i < 255; i++) {
    pk.set(sha256(lamport0.subarray(i * 32, i * 32 + 32)), i * 32);
    pk.set(sha256(lamport1.subarray(i * 32, i * 32 + 32)), (255 + i) * 32);
  }
  wipe(ikm, notIkm, lamport0, lamport1);
  return sha256(pk);
}

/** EIP-2333 `derive_master_SK`: `seed` must be at least 32 bytes. */
export function eip2333Master(seed: Uint8Array): Uint8Array {
  if (seed.length < 32) throw new RangeError('eip2333: seed must be at least 32 bytes');
  return toBytes32(hkdfModR(seed));
}

/** EIP-2333 `derive_child_SK` for `0 <= index < 2^32`. */
export function eip2333Child(parent: Uint8Array, index: number): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index > 0xffffffff) throw new RangeError('eip2333: index must be in [0, 2^32)');
  checkSecret(parent);
  const compressed = parentSkToLamportPk(toBigInt(parent), index);
  const child = toBytes32(hkdfModR(compressed));
  wipe(compressed);
  return child;
}

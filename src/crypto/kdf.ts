/**
 * Hashes and key-derivation primitives for the HPKE key schedule (RFC 9180,
 * draft-ietf-hpke-hpke, draft-ietf-hpke-pq) and for key ids and signature digests.
 *
 * Two HMAC / HKDF (RFC 5869) routes:
 * - `hmac`, `hkdfExtract`, `hkdfExpander`, `hkdfExpand` run @noble/hashes HMAC, whose
 *   keyed state can be wiped: they serve long-lived keys (root key, keyring, audit).
 * - `transientHkdfExtract` and `transientHkdfExpander` compute HMAC as two one-shot
 *   node:crypto hashes over the padded key blocks (RFC 2104), for keys that live for one
 *   call (the HPKE key schedule of one message; seven HMACs per envelope). On Node 24 a
 *   `createHmac` keyed with raw bytes costs about 10 us (OpenSSL re-imports the key every
 *   call), one keyed with a fresh KeyObject about 3 us, and the two hashes about 2 us;
 *   every buffer holding key material is this module's own and is zeroed after use.
 * Plain hashes (SHA-2, SHA-3, SHAKE)
 * stay on OpenSSL, which wins on the large inputs they see (signature digests of whole
 * envelopes); TurboSHAKE (RFC 9861) has no OpenSSL binding and comes from noble. Every
 * function accepts its input in parts, so callers can hash `label || header || body`
 * without first concatenating a large payload.
 * @module
 */
import { createHash, hash as nodeHash } from 'node:crypto';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256, sha384 as nobleSha384, sha512 as nobleSha512 } from '@noble/hashes/sha2.js';
import { turboshake128 as nobleTurboshake128, turboshake256 as nobleTurboshake256 } from '@noble/hashes/sha3-addons.js';
import { VaultError } from '../errors.js';
import { ownBytes } from './bytes.js';

export type HashName = 'SHA-256' | 'SHA-384' | 'SHA-512';

const NOBLE_HASH = { 'SHA-256': nobleSha256, 'SHA-384': nobleSha384, 'SHA-512': nobleSha512 } as const;
const HASH_LEN: Record<HashName, number> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };

/** Output length of `hash` in bytes. */
export function hashLength(hash: HashName): number {
  return HASH_LEN[hash];
}

// Digests come back as node Buffers; ownBytes makes them plain arrays that own their memory.
const toU8 = ownBytes;

function digestParts(alg: string, parts: readonly Uint8Array[], outputLength?: number): Uint8Array {
  // One-shot when the output length is the default: no Hash object per call (the token
  // digest and the audit entry hash run on every request).
  if (outputLength === undefined) return toU8(nodeHash(alg, parts.length === 1 ? (parts[0] as Uint8Array) : Buffer.concat(parts), 'buffer'));
  const h = createHash(alg, { outputLength });
  for (const p of parts) h.update(p);
  return toU8(h.digest());
}

/** HMAC over the concatenation of `parts`. */
export function hmac(hash: HashName, key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = nobleHmac.create(NOBLE_HASH[hash], key);
  for (const p of parts) h.update(p);
  return h.digest();
}

/**
 * HKDF-Extract(salt, ikm) with `ikm` given in parts. An empty salt means HashLen zero
 * bytes (RFC 5869 section 2.2); HMAC pads a short key with zeros, so both are the same.
 */
export function hkdfExtract(hash: HashName, salt: Uint8Array, ...ikm: Uint8Array[]): Uint8Array {
  return hmac(hash, salt, ...ikm);
}

/** HKDF-Expand bound to one PRK; call `dispose` when done to clear the keyed HMAC state. */
export interface HkdfExpander {
  expand(info: readonly Uint8Array[], length: number): Uint8Array;
  dispose(): void;
}

/**
 * HKDF-Expand with the HMAC keyed once and cloned per block, so several expansions of one
 * PRK (HPKE derives key, base_nonce and exporter_secret from one secret) pay for the key
 * setup once.
 */
export function hkdfExpander(hash: HashName, prk: Uint8Array): HkdfExpander {
  const hLen = HASH_LEN[hash];
  const keyed = nobleHmac.create(NOBLE_HASH[hash], prk);
  return {
    expand(info: readonly Uint8Array[], length: number): Uint8Array {
      if (!Number.isInteger(length) || length < 0 || length > 255 * hLen) {
        throw new VaultError('OV_INVALID_ARGUMENT', { field: 'length', max: 255 * hLen });
      }
      const out = new Uint8Array(length);
      let t: Uint8Array = new Uint8Array(0);
      const counter = new Uint8Array(1);
      for (let i = 0, pos = 0; pos < length; i++) {
        counter[0] = i + 1;
        const h = keyed.clone();
        h.update(t);
        for (const p of info) h.update(p);
        h.update(counter);
        const block = h.digest();
        out.set(block.subarray(0, Math.min(hLen, length - pos)), pos);
        t.fill(0);
        t = block;
        pos += hLen;
      }
      t.fill(0);
      return out;
    },
    dispose(): void {
      keyed.destroy();
    },
  };
}

/** HKDF-Expand(prk, info, length) with `info` given in parts; length <= 255 * HashLen. */
export function hkdfExpand(hash: HashName, prk: Uint8Array, info: readonly Uint8Array[], length: number): Uint8Array {
  const x = hkdfExpander(hash, prk);
  try {
    return x.expand(info, length);
  } finally {
    x.dispose();
  }
}

/** HKDF (RFC 5869): Extract with `salt`, then Expand with `info` to `length` bytes. */
export function hkdf(hash: HashName, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const prk = hkdfExtract(hash, salt, ikm);
  try {
    return hkdfExpand(hash, prk, [info], length);
  } finally {
    prk.fill(0);
  }
}

const NODE_HASH: Record<HashName, string> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };

/** Hash block sizes in bytes (HMAC pads the key to one block). */
const BLOCK: Record<HashName, number> = { 'SHA-256': 64, 'SHA-384': 128, 'SHA-512': 128 };

/** An HMAC key as its two padded blocks, K ^ ipad and K ^ opad (RFC 2104). Wipe with `wipePads`. */
interface HmacPads {
  readonly inner: Buffer;
  readonly outer: Buffer;
}

function hmacPads(hash: HashName, key: Uint8Array): HmacPads {
  const block = BLOCK[hash];
  // A key longer than a block is replaced by its hash; a shorter one (an empty HKDF salt
  // included) is padded with zeros.
  const k = key.length > block ? hash_(hash, key) : key;
  const inner = Buffer.alloc(block);
  const outer = Buffer.alloc(block);
  for (let i = 0; i < block; i++) {
    const b = i < k.length ? (k[i] as number) : 0;
    inner[i] = b ^ 0x36;
    outer[i] = b ^ 0x5c;
  }
  if (k !== key) k.fill(0);
  return { inner, outer };
}

function hash_(hash: HashName, data: Uint8Array): Buffer {
  return nodeHash(NODE_HASH[hash], data, 'buffer');
}

/**
 * The digest of `data` (a string as its UTF-8 bytes) written into `out` at `offset`. node
 * hands a digest back as a one-byte-per-character (`binary`) string in well under half the
 * time it takes to make a Buffer of it (about 0.35 against 0.8 us on Node 24); the string
 * cannot be zeroed, so only public or one-call values go this way
 * (docs/adr/0008-derived-keys-in-keyobjects.md).
 */
function digestInto(alg: string, data: string | Uint8Array, out: Uint8Array, offset: number): void {
  const text = nodeHash(alg, data, 'binary');
  for (let i = 0; i < text.length; i++) out[offset + i] = text.charCodeAt(i);
}

/**
 * HMAC over the concatenation of `parts` as two one-shot hashes over buffers this module
 * owns and zeroes: no Hmac object and no KeyObject per call, which on Node 24 cost about
 * half again as much (every HPKE secret is keyed once or a few times, then dropped).
 */
function padHmac(hash: HashName, pads: HmacPads, parts: readonly Uint8Array[]): Uint8Array {
  const alg = NODE_HASH[hash];
  const block = pads.inner.length;
  const hLen = HASH_LEN[hash];
  let n = block;
  for (const p of parts) n += p.length;
  const first = Buffer.allocUnsafe(n);
  first.set(pads.inner, 0);
  let at = block;
  for (const p of parts) {
    first.set(p, at);
    at += p.length;
  }
  const second = Buffer.allocUnsafe(block + hLen);
  second.set(pads.outer, 0);
  digestInto(alg, first, second, block);
  first.fill(0);
  const mac = new Uint8Array(hLen);
  digestInto(alg, second, mac, 0);
  second.fill(0);
  return mac;
}

function wipePads(pads: HmacPads): void {
  pads.inner.fill(0);
  pads.outer.fill(0);
}

/**
 * HKDF-Extract as `hkdfExtract`, for a salt that lives for one call only (an HPKE shared
 * secret), through node:crypto's one-shot hash; every copy of the salt is zeroed.
 */
export function transientHkdfExtract(hash: HashName, salt: Uint8Array, ...ikm: Uint8Array[]): Uint8Array {
  const pads = hmacPads(hash, salt);
  try {
    return padHmac(hash, pads, ikm);
  } finally {
    wipePads(pads);
  }
}

/**
 * HKDF-Expand bound to one PRK that lives for one call only (an HPKE secret or exporter
 * secret), through node:crypto's one-shot hash: the PRK's padded blocks are made once and
 * zeroed by `dispose`. Same output as `hkdfExpander`.
 */
export function transientHkdfExpander(hash: HashName, prk: Uint8Array): HkdfExpander {
  const hLen = HASH_LEN[hash];
  let key: HmacPads | undefined = hmacPads(hash, prk);
  return {
    expand(info: readonly Uint8Array[], length: number): Uint8Array {
      if (key === undefined) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'hkdf expander', reason: 'disposed' });
      if (!Number.isInteger(length) || length < 0 || length > 255 * hLen) {
        throw new VaultError('OV_INVALID_ARGUMENT', { field: 'length', max: 255 * hLen });
      }
      const counter = new Uint8Array(1);
      if (length <= hLen) {
        // The common case (every HPKE output): one block, no chaining buffer.
        counter[0] = 1;
        const block = padHmac(hash, key, [...info, counter]);
        if (length === hLen) return block;
        const out = block.slice(0, length);
        block.fill(0);
        return out;
      }
      const out = new Uint8Array(length);
      let t: Uint8Array = new Uint8Array(0);
      for (let i = 0, pos = 0; pos < length; i++) {
        counter[0] = i + 1;
        const block = padHmac(hash, key, [t, ...info, counter]);
        out.set(block.subarray(0, Math.min(hLen, length - pos)), pos);
        t.fill(0);
        t = block;
        pos += hLen;
      }
      t.fill(0);
      return out;
    },
    dispose(): void {
      if (key !== undefined) wipePads(key);
      key = undefined;
    },
  };
}

export function sha256(...parts: Uint8Array[]): Uint8Array {
  return digestParts('sha256', parts);
}

/**
 * SHA-256 of `data` (a string as its UTF-8 bytes) for a digest that is no secret itself
 * (a bearer token's lookup digest, an audit entry's chain hash, both on every request),
 * through `digestInto`'s fast route.
 */
export function sha256Public(data: string | Uint8Array): Uint8Array {
  const out = new Uint8Array(HASH_LEN['SHA-256']);
  digestInto('sha256', data, out, 0);
  return out;
}

export function sha384(...parts: Uint8Array[]): Uint8Array {
  return digestParts('sha384', parts);
}

export function sha512(...parts: Uint8Array[]): Uint8Array {
  return digestParts('sha512', parts);
}

export function sha3_256(...parts: Uint8Array[]): Uint8Array {
  return digestParts('sha3-256', parts);
}

function checkXofLength(length: number): void {
  // OpenSSL rejects a zero-length XOF output; HPKE never asks for one, so refuse it uniformly.
  if (!Number.isInteger(length) || length < 1 || length > 0xffff) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'length', max: 0xffff });
  }
}

/** SHAKE128 (FIPS 202) of the concatenated parts, `length` output bytes. */
export function shake128(length: number, ...parts: Uint8Array[]): Uint8Array {
  checkXofLength(length);
  return digestParts('shake128', parts, length);
}

/** SHAKE256 (FIPS 202) of the concatenated parts, `length` output bytes. */
export function shake256(length: number, ...parts: Uint8Array[]): Uint8Array {
  checkXofLength(length);
  return digestParts('shake256', parts, length);
}

function turbo(
  fn: typeof nobleTurboshake128,
  length: number,
  domain: number,
  parts: readonly Uint8Array[],
): Uint8Array {
  checkXofLength(length);
  const h = fn.create({ dkLen: length, D: domain });
  for (const p of parts) h.update(p);
  return h.digest();
}

/** TurboSHAKE128 (RFC 9861) with domain byte `domain` (default 0x1f). */
export function turboshake128(length: number, parts: readonly Uint8Array[], domain = 0x1f): Uint8Array {
  return turbo(nobleTurboshake128, length, domain, parts);
}

/** TurboSHAKE256 (RFC 9861) with domain byte `domain` (default 0x1f). */
export function turboshake256(length: number, parts: readonly Uint8Array[], domain = 0x1f): Uint8Array {
  return turbo(nobleTurboshake256, length, domain, parts);
}

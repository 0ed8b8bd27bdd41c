/**
 * Byte helpers shared by the crypto providers and everything above them: constant-time
 * comparison, best-effort wiping, concatenation, CSPRNG output and UTF-8 encoding.
 *
 * Every helper returns plain `Uint8Array`s that own their memory (never a pooled
 * `Buffer` view), so that wiping or slicing a result cannot touch unrelated bytes and
 * `.slice()` always copies.
 * @module
 */
import { randomFillSync, timingSafeEqual } from 'node:crypto';
import { VaultError, type ErrorCode } from '../errors.js';

/**
 * Compares two byte strings in time that depends only on their lengths (node:crypto
 * `timingSafeEqual`). Different lengths return false; lengths are not secret for any
 * value this project compares (MACs, token digests, key commitments).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

/**
 * Overwrites each array with zeros. Best effort: the JavaScript runtime may have made
 * copies we cannot reach, but the buffers we own stop holding the secret.
 */
export function wipe(...arrays: readonly (Uint8Array | undefined)[]): void {
  for (const a of arrays) a?.fill(0);
}

/** Concatenates byte strings into one new array. */
export function concatBytes(...arrays: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const a of arrays) length += a.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

/** `n` bytes from the operating system CSPRNG (node:crypto), in a fresh array. */
export function randomBytes(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('randomBytes: length must be a non-negative integer');
  const out = new Uint8Array(n);
  if (n > 0) randomFillSync(out);
  return out;
}

const encoder = new TextEncoder();

/** UTF-8 encoding of a string. */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/**
 * A plain `Uint8Array` over a node:crypto `Buffer` result. Node returns fresh,
 * unpooled buffers from ciphers, KEMs and signatures for all but tiny outputs; those we
 * wrap without copying. Anything that shares an ArrayBuffer with other data is copied
 * and the source zeroed, so callers never see (or wipe) neighbouring bytes.
 * @internal
 */
export function ownBytes(buf: Uint8Array): Uint8Array {
  if (buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength) {
    return new Uint8Array(buf.buffer, 0, buf.byteLength);
  }
  const out = new Uint8Array(buf);
  buf.fill(0);
  return out;
}

/**
 * Throws `VaultError(code)` unless `value` is a `Uint8Array` of exactly `length` bytes
 * (any length when `length` is undefined). The detail names the field and the sizes,
 * which are public parameters, never the content.
 * @internal
 */
export function expectBytes(value: unknown, length: number | undefined, code: ErrorCode, field: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) throw new VaultError(code, { field, reason: 'not a byte array' });
  if (length !== undefined && value.length !== length) {
    throw new VaultError(code, { field, expected: length, actual: value.length });
  }
}

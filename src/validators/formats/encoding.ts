/**
 * Strict decoding helpers shared by the validator file formats: bounded JSON parsing,
 * hex and base64 that refuse anything but their canonical form, and exact-shape checks
 * on parsed objects. Each helper reports a failure to the caller (undefined or false)
 * so the format module can raise its own error code with the field name; no helper
 * ever includes the offending value in an error, since it may be key material.
 * @module
 */
import { VaultError, type ErrorCode } from '../../errors.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** Raises `code` naming the field and the rule broken, never the value. */
export function fail(code: ErrorCode, field: string, reason: string): never {
  throw new VaultError(code, { field, reason });
}

/**
 * Parses JSON text no longer than `maxChars` (checked before parsing, so a huge input
 * costs nothing), or accepts an already-parsed value.
 */
export function parseJson(input: unknown, maxChars: number, code: ErrorCode): unknown {
  if (typeof input !== 'string') return input;
  if (input.length > maxChars) fail(code, '$', 'too large');
  try {
    return JSON.parse(input) as unknown;
  } catch {
    return fail(code, '$', 'not json');
  }
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks that `v` is an object whose keys are all in `required` or `optional` and that
 * every required key is present. Unknown keys are refused: a misspelt field must not be
 * silently ignored.
 */
export function expectShape(v: unknown, field: string, required: readonly string[], optional: readonly string[], code: ErrorCode): JsonObject {
  if (!isObject(v)) fail(code, field, 'not an object');
  for (const k of required) if (!Object.hasOwn(v, k)) fail(code, field === '$' ? k : `${field}.${k}`, 'missing');
  for (const k of Object.keys(v)) {
    if (!required.includes(k) && !optional.includes(k)) fail(code, field === '$' ? k : `${field}.${k}`, 'unknown field');
  }
  return v;
}

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** Decodes hex (either case, no prefix); undefined unless well-formed and, if given, of `bytes` length. */
export function hexToBytes(s: unknown, bytes?: number): Uint8Array | undefined {
  if (typeof s !== 'string' || !HEX.test(s)) return undefined;
  if (bytes !== undefined && s.length !== bytes * 2) return undefined;
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lowercase hex without prefix. */
export function bytesToHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

const B64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes canonical padded base64 (re-encoding must give the same text). */
export function base64ToBytes(s: unknown, bytes?: number): Uint8Array | undefined {
  if (typeof s !== 'string' || !B64.test(s)) return undefined;
  const buf = Buffer.from(s, 'base64');
  const out = new Uint8Array(buf);
  buf.fill(0);
  if (Buffer.from(out).toString('base64') !== s) {
    out.fill(0);
    return undefined;
  }
  if (bytes !== undefined && out.length !== bytes) {
    out.fill(0);
    return undefined;
  }
  return out;
}

/** Standard padded base64. */
export function bytesToBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/** Byte equality for public values (public keys, addresses); not for secrets. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const UINT64_MAX = (1n << 64n) - 1n;
const DECIMAL = /^(?:0|[1-9][0-9]{0,19})$/;

/** True for a canonical decimal string of an unsigned 64-bit integer. */
export function isUint64String(s: unknown): s is string {
  return typeof s === 'string' && DECIMAL.test(s) && BigInt(s) <= UINT64_MAX;
}

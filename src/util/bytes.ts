/**
 * Byte helpers every layer shares: lowercase hex of a byte array, without copying the bytes.
 * @module
 */

/** Lowercase hex of `b` (a view of its bytes, so a subarray gives only its own bytes). */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

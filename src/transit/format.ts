/**
 * The transit engine's wire and at-rest formats (docs/transit.md, docs/format.md):
 * key names, the binding contexts, and the `ontoref:v<N>:<base64>` strings that carry
 * ciphertexts, signatures and HMACs.
 *
 * A ciphertext body is an envelope of docs/format.md sealed to the key version's KEM key
 * with context `ontoref-vault/transit/v1` 0x00 name 0x00 version (decimal). The envelope
 * format has no input for extra associated data: the context is what it binds into the
 * HPKE info and the AEAD associated data. So non-empty associated data is bound by
 * appending 0x00 || SHA-256(associated data) to that context: a ciphertext opens only
 * with the same associated data, and the envelope header (which carries the context in
 * clear) reveals only its hash, never the data. Names cannot hold 0x00 and the version is
 * digits, so the three forms never collide.
 * @module
 */
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { sha256 } from '../crypto/kdf.js';
import { VaultError } from '../errors.js';

export const TRANSIT_NAME_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,127}$/;
/** Label of the binding of a key version's sealed material at rest. */
export const TRANSIT_KEY_LABEL = 'ontoref-vault/transit-key/v1';
/** Label of the binding of a transit ciphertext. */
export const TRANSIT_CIPHERTEXT_LABEL = 'ontoref-vault/transit/v1';
/** Context of a backup blob. */
export const TRANSIT_BACKUP_LABEL = 'ontoref-vault/transit-backup/v1';
export const VALUE_PREFIX = 'ontoref';

/** The name, or OV_TRANSIT_NAME_INVALID. */
export function checkName(name: unknown): string {
  if (typeof name !== 'string' || !TRANSIT_NAME_PATTERN.test(name)) throw new VaultError('OV_TRANSIT_NAME_INVALID');
  return name;
}

/** Context of the sealed record holding version `version` of key `name`. */
export function transitKeyContext(name: string, version: number): Uint8Array {
  return utf8(`${TRANSIT_KEY_LABEL}\u0000${name}\u0000${version}`);
}

/** Context of a ciphertext made with version `version` of key `name`; see the module header for the associated data. */
export function ciphertextContext(name: string, version: number, associatedData?: Uint8Array): Uint8Array {
  const base = utf8(`${TRANSIT_CIPHERTEXT_LABEL}\u0000${name}\u0000${version}`);
  if (associatedData === undefined || associatedData.length === 0) return base;
  return concatBytes(base, Uint8Array.of(0), sha256(associatedData));
}

/** `ontoref:v<version>:<standard base64 of body>`. */
export function encodeValue(version: number, body: Uint8Array): string {
  return `${VALUE_PREFIX}:v${version}:${Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('base64')}`;
}

const VALUE_RE = /^ontoref:v([1-9][0-9]{0,8}):([A-Za-z0-9+/]*={0,2})$/;

/** Strict standard base64 (padded, canonical), or undefined. */
export function decodeBase64(s: unknown): Uint8Array | undefined {
  if (typeof s !== 'string' || s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return undefined;
  const buf = Buffer.from(s, 'base64');
  // Non-canonical trailing bits would let two strings carry the same bytes.
  if (buf.toString('base64') !== s) return undefined;
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function encodeBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

/** Parses an `ontoref:v<N>:` string; undefined when malformed (the caller picks the one error). */
export function parseValue(s: unknown): { version: number; body: Uint8Array } | undefined {
  if (typeof s !== 'string') return undefined;
  const m = VALUE_RE.exec(s);
  if (m === null) return undefined;
  const body = decodeBase64(m[2]);
  if (body === undefined || body.length === 0) return undefined;
  return { version: Number(m[1]), body };
}

/**
 * Argument checks shared by the transit operations: base64, booleans and versions read
 * from a request, each failure the exact OV_INVALID_ARGUMENT of its field.
 * @module
 */
import { VaultError } from '../errors.js';
import { decodeBase64 } from './format.js';
import type { TransitAudit } from './types.js';

export const ITEM_KEYS = {
  encrypt: ['plaintext', 'associated_data', 'key_version'],
  decrypt: ['ciphertext', 'associated_data'],
  rewrap: ['ciphertext', 'associated_data', 'key_version'],
  sign: ['input', 'key_version', 'prehashed', 'hash_algorithm'],
  verify: ['input', 'signature', 'hmac', 'prehashed', 'hash_algorithm'],
  hmac: ['input', 'key_version'],
} as const;

export function invalidCiphertext(): VaultError {
  return new VaultError('OV_TRANSIT_CIPHERTEXT_INVALID');
}

export function arg(field: string, reason?: string): VaultError {
  return new VaultError('OV_INVALID_ARGUMENT', reason === undefined ? { field } : { field, reason });
}

export function b64(field: string, value: unknown): Uint8Array {
  const out = decodeBase64(value);
  if (out === undefined) throw arg(field, 'not base64');
  return out;
}

export function optB64(field: string, value: unknown): Uint8Array | undefined {
  return value === undefined ? undefined : b64(field, value);
}

export function optBool(field: string, value: unknown): boolean | undefined {
  if (value !== undefined && typeof value !== 'boolean') throw arg(field);
  return value;
}

export function optVersion(field: string, value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw arg(field);
  return value;
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function audit(operation: string, name: string, versions: number[]): TransitAudit {
  return { operation, name, versions: [...new Set(versions)].sort((a, b) => a - b), count: 1, errors: 0 };
}

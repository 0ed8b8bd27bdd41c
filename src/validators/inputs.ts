/**
 * Input checks of the validator service: slot names, chains, label and metadata maps, the
 * limits the HTTP schemas repeat, and the small formatting helpers the views share. Pure.
 * @module
 */
import { VaultError } from '../errors.js';
import type { Chain } from './types.js';


export const SLOT_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const MAX_MAP_ENTRIES = 32;
const MAP_KEY_RE = /^[A-Za-z0-9._/-]{1,64}$/;
const MAX_MAP_VALUE = 1024;
/** Largest bulk import in one call (the HTTP schema says the same). */
export const MAX_BULK_ITEMS = 1000;
export const MIN_EXPORT_PASSWORD = 8;

/** OV_INVALID_ARGUMENT naming the field and why. */
export function bad(field: string, reason: string): never {
  throw new VaultError('OV_INVALID_ARGUMENT', { field, reason });
}

export function checkName(name: unknown): string {
  if (typeof name !== 'string' || !SLOT_NAME_RE.test(name)) bad('name', 'must match ^[a-z0-9][a-z0-9._-]{0,63}$');
  return name;
}

export function checkChain(chain: unknown): Chain {
  if (chain !== 'ethereum' && chain !== 'cosmos' && chain !== 'solana') bad('chain', 'unknown chain');
  return chain;
}

/** A labels or metadata map: at most 32 entries, restricted keys, string values of at most 1024 characters. */
export function checkMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(field, 'not an object');
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > MAX_MAP_ENTRIES) bad(field, `more than ${MAX_MAP_ENTRIES} entries`);
  const out: Record<string, string> = {};
  for (const [k, val] of entries) {
    if (!MAP_KEY_RE.test(k)) bad(field, 'key must match ^[A-Za-z0-9._/-]{1,64}$');
    if (typeof val !== 'string' || val.length > MAX_MAP_VALUE) bad(field, `values are strings of at most ${MAX_MAP_VALUE} characters`);
    out[k] = val;
  }
  return out;
}

/** A stored labels or metadata column (written by `checkMap`, so trusted). */
export function parseJsonMap(text: string): Record<string, string> {
  return JSON.parse(text) as Record<string, string>;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

export { toHex as hex } from '../util/bytes.js';

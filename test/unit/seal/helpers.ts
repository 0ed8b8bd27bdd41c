/**
 * Test helpers for the seal: an in-memory MetaStore (the same contract as the SQLite one)
 * with a snapshot for "nothing changed" assertions, small argon2id parameters, and error
 * capture.
 */
import { expect } from 'vitest';
import { ARGON2_FLOOR, type Argon2Params } from '../../../src/crypto/argon2.js';
import { utf8 } from '../../../src/crypto/bytes.js';
import { VaultError, type ErrorCode } from '../../../src/errors.js';
import type { MetaStore } from '../../../src/storage/types.js';

export class MemoryMeta implements MetaStore {
  readonly blobs = new Map<string, Uint8Array>();
  get(name: string): Uint8Array | undefined {
    const v = this.blobs.get(name);
    return v === undefined ? undefined : v.slice();
  }
  put(name: string, value: Uint8Array): void {
    this.blobs.set(name, value.slice());
  }
  delete(name: string): void {
    this.blobs.delete(name);
  }
  snapshot(): Record<string, string> {
    return Object.fromEntries([...this.blobs].map(([k, v]) => [k, Buffer.from(v).toString('hex')]));
  }
}

/**
 * The lowest argon2id cost the project accepts (OWASP floor, about 30 ms here), passed
 * explicitly by the tests; the default for real vaults is far higher and not weakened.
 */
export const TEST_KDF: Argon2Params = { ...ARGON2_FLOOR };

/** Awaits `p` (or calls `fn`) and returns the VaultError it throws, failing otherwise. */
export async function vaultError(p: Promise<unknown> | (() => unknown), code: ErrorCode): Promise<VaultError> {
  let caught: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(VaultError);
  expect((caught as VaultError).code).toBe(code);
  return caught as VaultError;
}

/** Every k-element subset of `items`, in lexicographic order of indices. */
export function subsets<T>(items: readonly T[], k: number): T[][] {
  if (k === 0) return [[]];
  const out: T[][] = [];
  for (let i = 0; i <= items.length - k; i++) {
    for (const rest of subsets(items.slice(i + 1), k - 1)) out.push([items[i]!, ...rest]);
  }
  return out;
}

/** The stored seal configuration as JSON, loosely typed for tampering in tests. */
export interface StoredJson {
  [key: string]: unknown;
  vaultId: string;
  check: string;
  wrapped: string;
  kdf: Record<string, unknown>;
}

/** Rewrites a stored configuration through `edit`, keeping it canonical (JSON.stringify keeps key order). */
export function editJson(raw: Uint8Array, edit: (o: StoredJson) => unknown): Uint8Array {
  const o = JSON.parse(Buffer.from(raw).toString('utf8')) as StoredJson;
  edit(o);
  return utf8(JSON.stringify(o));
}

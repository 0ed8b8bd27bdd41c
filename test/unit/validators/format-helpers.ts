/**
 * Shared helpers for the validator format tests: exact-error-code assertions and a
 * typed way to mutate parsed JSON at a path (to build malformed files from good ones).
 */
import { expect } from 'vitest';
import { isVaultError, type ErrorCode } from '../../../src/errors.js';

/** Asserts that `fn` throws a VaultError of exactly `code`; returns its detail. */
export function throwsWith(fn: () => unknown, code: ErrorCode, detailContains?: string): Record<string, unknown> {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(isVaultError(err), `expected VaultError ${code}, got ${String(err)}`).toBe(true);
  const e = err as { code: string; detail?: Record<string, unknown> };
  expect(e.code).toBe(code);
  if (detailContains !== undefined) expect(JSON.stringify(e.detail)).toContain(detailContains);
  return e.detail ?? {};
}

/** Asserts that `p` rejects with a VaultError of exactly `code`. */
export async function rejectsWith(p: Promise<unknown>, code: ErrorCode): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isVaultError(err), `expected VaultError ${code}, got ${String(err)}`).toBe(true);
  expect((err as { code: string }).code).toBe(code);
}

export const DELETE = Symbol('delete');

/** A deep copy of `doc` with the value at `path` replaced (or removed with DELETE). */
export function withPath<T>(doc: T, path: readonly (string | number)[], value: unknown): T {
  const copy = structuredClone(doc);
  let node = copy as unknown as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === DELETE) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else node[last] = value;
  return copy;
}

/** The value at `path` in parsed JSON. */
export function at(doc: unknown, path: readonly (string | number)[]): unknown {
  let node = doc;
  for (const k of path) node = (node as Record<string | number, unknown>)[k];
  return node;
}

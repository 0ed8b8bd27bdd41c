/**
 * Path scopes for API keys and sessions: what part of the secret tree a credential may
 * touch, and which sessions a scoped admin may see and revoke.
 *
 * A scope is either `*`, meaning everything, or a path: one or more segments joined by
 * `/`, each made of `A-Z a-z 0-9 . _ -`, never `.` or `..`, no empty segments, at most
 * 64 segments and 512 characters. Scope `app` covers the path `app` itself and every
 * path below `app/`, and nothing else: comparison is by whole segments, so `app` does
 * not cover `apple/x`. A single trailing `/` is accepted on input and dropped (`app/`
 * and `app` are the same scope); the stored form never has one.
 *
 * Everything is spelled `*` rather than the empty string on purpose: an empty string is
 * what an unset environment variable or a missing JSON field turns into, and such a
 * mistake must fail, not grant the whole vault. The restricted alphabet leaves no room
 * for Unicode look-alikes, percent-encoding, backslashes or control characters, so two
 * spellings of one path cannot exist and a path never needs normalising twice.
 * @module
 */
import { VaultError } from '../errors.js';
import { isSecretPath } from '../util/secret-path.js';

/** The scope that covers every path. */
export const SCOPE_ALL = '*';

/** True when `path` is a canonical path (no trailing slash, no dot segments). */
export const isValidPath: (path: string) => boolean = isSecretPath;

/** True when `scope` is `*` or a canonical path. */
export function isValidScope(scope: string): boolean {
  return scope === SCOPE_ALL || isValidPath(scope);
}

/**
 * Canonical form of a scope given by a user or a request: `*`, or a path with at most
 * one trailing `/` removed. Throws `OV_INVALID_ARGUMENT` (detail `field: 'scope'`)
 * for anything else, including the empty string.
 */
export function parseScope(input: string): string {
  if (typeof input === 'string') {
    const s = input.length > 1 && input.endsWith('/') ? input.slice(0, -1) : input;
    if (isValidScope(s)) return s;
  }
  throw new VaultError('OV_INVALID_ARGUMENT', { field: 'scope' });
}

/** Whether `inner` (a path or scope path) lies in the subtree rooted at path `outer`. */
function underPath(outer: string, inner: string): boolean {
  // Equal, or `outer` followed by a segment separator: `app` covers `app` and `app/x`,
  // never `apple` or `apple/x`.
  return inner === outer || (inner.length > outer.length && inner.startsWith(outer) && inner.charCodeAt(outer.length) === 0x2f);
}

/**
 * True when every path in `child` is also in `parent`. `*` contains everything; only `*`
 * contains `*`. Invalid input on either side is false (deny), never an exception, so a
 * check can never be bypassed by a malformed scope read from a request or a row.
 */
export function scopeContains(parentScope: string, childScope: string): boolean {
  if (!isValidScope(parentScope) || !isValidScope(childScope)) return false;
  if (parentScope === SCOPE_ALL) return true;
  if (childScope === SCOPE_ALL) return false;
  return underPath(parentScope, childScope);
}

/** True when the secret `path` may be touched under `scope`. Invalid input is false. */
export function pathInScope(scope: string, path: string): boolean {
  if (!isValidScope(scope) || !isValidPath(path)) return false;
  return scope === SCOPE_ALL || underPath(scope, path);
}

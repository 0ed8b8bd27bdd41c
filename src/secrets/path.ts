/**
 * Secret paths and names as they arrive in requests (docs/api.md "Secrets"). A path is
 * taken from the raw URL and never decoded or normalised: a `%` anywhere, an empty, `.` or
 * `..` segment, a trailing `/`, `//`, or anything src/util/secret-path.ts rejects is
 * OV_PATH_INVALID, so one secret has exactly one spelling and no encoding trick reaches
 * the storage or the scope check. Field names follow one pattern and count cap, so a
 * value never smuggles a second name in (`a.b` is a plain name, not a nested key).
 * @module
 */
import { SCOPE_ALL } from '../auth/scope.js';
import { VaultError } from '../errors.js';
import type { PathRange } from '../storage/secrets-types.js';
import { isSecretPath } from '../util/secret-path.js';

/** `^[A-Za-z_][A-Za-z0-9_.-]{0,127}$`: what `data` keys and `?field=` may be. */
export const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;
/** Most fields one version may hold. */
export const MAX_FIELDS = 256;
/** Prefix characters allowed in a listing (a path's alphabet plus `/`). */
const PREFIX = /^[A-Za-z0-9._/-]{0,512}$/;
/** Above every path character ('z' is the highest): the open end of "everything". */
const TOP = '\u007f';

/** The path, or OV_PATH_INVALID (detail `field`) when it is not canonical. */
export function parseSecretPath(raw: string, field = 'path'): string {
  if (typeof raw !== 'string' || raw.includes('%') || !isSecretPath(raw)) throw new VaultError('OV_PATH_INVALID', { field });
  return raw;
}

/**
 * The part of a request URL after `prefix` (which ends with `/`), before any query: the
 * raw path text, exactly as sent. Undefined when the URL does not start with `prefix`.
 */
export function rawPathAfter(url: string, prefix: string): string | undefined {
  const q = url.indexOf('?');
  const p = q === -1 ? url : url.slice(0, q);
  return p.startsWith(prefix) ? p.slice(prefix.length) : undefined;
}

/**
 * A listing prefix: whole segments, then optionally a partial last one or a trailing
 * `/`. No empty, `.` or `..` segment anywhere (a partial `.` or `..` last segment
 * included), so a prefix cannot be spelled two ways either.
 */
export function isValidPrefix(p: string): boolean {
  if (typeof p !== 'string' || !PREFIX.test(p)) return false;
  if (p === '') return true;
  const segments = p.split('/');
  if (segments.length > 65) return false;
  return segments.every((s, i) => (i === segments.length - 1 && s === '' && i > 0) || (s !== '' && s !== '.' && s !== '..'));
}

/** Smallest string above every string starting with `p` (paths are ASCII). */
function upperBound(p: string): string {
  if (p === '') return TOP;
  return p.slice(0, -1) + String.fromCharCode(p.charCodeAt(p.length - 1) + 1);
}

/**
 * The paths a listing covers: those starting with `prefix` (a string prefix: `app/we`
 * matches `app/web`), intersected with `scope`. A scoped caller may ask for its own
 * subtree or anything inside it; a prefix reaching outside the scope is OV_FORBIDDEN
 * rather than silently narrowed, so a client never mistakes a partial listing for all.
 */
export function listRange(scope: string, prefix: string | undefined): PathRange {
  const p = prefix ?? '';
  if (!isValidPrefix(p)) throw new VaultError('OV_PATH_INVALID', { field: 'prefix' });
  if (scope === SCOPE_ALL) return { from: p, to: upperBound(p) };
  if (!isSecretPath(scope)) throw new VaultError('OV_FORBIDDEN');
  const below = `${scope}/`;
  if (p.startsWith(below)) return { from: p, to: upperBound(p) };
  // No prefix, the scope itself, or the scope with its slash: the whole subtree.
  if (p === '' || p === scope) return { from: below, to: upperBound(below), exact: scope };
  if (p === below) return { from: below, to: upperBound(below) };
  throw new VaultError('OV_FORBIDDEN');
}

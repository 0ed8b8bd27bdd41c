/**
 * The one rule for a canonical secret path, shared by the daemon (scopes, secret routes)
 * and the client (which checks a path before it goes into a URL, since the daemon never
 * decodes or normalises one). Segments of `A-Z a-z 0-9 . _ -` joined by `/`, no empty,
 * `.` or `..` segment, at most 64 segments and 512 characters. The restricted alphabet
 * leaves no room for percent-encoding, Unicode look-alikes or backslashes, so one path
 * has exactly one spelling.
 * @module
 */

export const MAX_PATH_CHARS = 512;
export const MAX_PATH_SEGMENTS = 64;
const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** Said in messages that refuse a path. */
export const SECRET_PATH_RULE =
  'segments of A-Z a-z 0-9 . _ - joined by /, no . or .. segment, no leading or trailing /, at most 64 segments and 512 characters';

/** True when `path` is a canonical secret path (no leading or trailing slash, no dot segments). */
export function isSecretPath(path: string): boolean {
  if (typeof path !== 'string' || path.length === 0 || path.length > MAX_PATH_CHARS) return false;
  const segments = path.split('/');
  if (segments.length > MAX_PATH_SEGMENTS) return false;
  for (const s of segments) {
    if (!SEGMENT.test(s) || s === '.' || s === '..') return false;
  }
  return true;
}

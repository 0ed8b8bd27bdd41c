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
const SLASH = 0x2f;
const DOT = 0x2e;

/** A-Z a-z 0-9 . _ - */
function segmentChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === DOT || c === 0x5f || c === 0x2d;
}

/** Said in messages that refuse a path. */
export const SECRET_PATH_RULE =
  'segments of A-Z a-z 0-9 . _ - joined by /, no . or .. segment, no leading or trailing /, at most 64 segments and 512 characters';

/**
 * True when `path` is a canonical secret path (no leading or trailing slash, no dot
 * segments). One pass over the characters, without splitting: every secret request
 * checks its path.
 */
export function isSecretPath(path: string): boolean {
  if (typeof path !== 'string' || path.length === 0 || path.length > MAX_PATH_CHARS) return false;
  let segments = 1;
  let start = 0;
  for (let i = 0; i <= path.length; i++) {
    const c = i === path.length ? SLASH : path.charCodeAt(i);
    if (c !== SLASH) {
      if (!segmentChar(c)) return false;
      continue;
    }
    const len = i - start;
    if (len === 0) return false;
    if (len <= 2 && path.charCodeAt(start) === DOT && (len === 1 || path.charCodeAt(start + 1) === DOT)) return false;
    if (i < path.length && ++segments > MAX_PATH_SEGMENTS) return false;
    start = i + 1;
  }
  return true;
}

/**
 * The one request body parser: JSON, refused rather than silently changed. fastify's
 * default would decode invalid UTF-8 as U+FFFD, let a repeated key overwrite the first
 * one and ignore a declared charset, so the value stored could differ from the one the
 * client meant. Here:
 *
 * - the media type must be `application/json`, with no parameter or `charset=utf-8`
 *   (415 OV_UNSUPPORTED_MEDIA_TYPE otherwise);
 * - the bytes must be valid UTF-8 (400 OV_BAD_REQUEST, `field: "body"`);
 * - no object may name the same key twice (400 OV_BAD_REQUEST, `field: "body"`);
 * - then fastify's own parser runs (prototype poisoning refused, empty body refused).
 * @module
 */
import type { FastifyRequest } from 'fastify';
import { VaultError } from '../errors.js';

type Done = (err: Error | null, body?: unknown) => void;
export type StringParser = (request: FastifyRequest, body: string, done: Done) => void;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** `application/json` alone or with `charset=utf-8` (any case, optional spaces and quotes). */
const JSON_MEDIA_TYPE = /^application\/json[ \t]*(?:;[ \t]*charset[ \t]*=[ \t]*(?:utf-8|"utf-8")[ \t]*)?$/i;

/** True when `type` (a content-type header) is JSON in UTF-8. */
export function acceptedJsonType(type: string | undefined): boolean {
  return type !== undefined && JSON_MEDIA_TYPE.test(type);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const COLON = 0x3a;

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/** The index of the quote closing the string whose opening quote is at `open`. */
function stringEnd(text: string, open: number): number {
  let q = text.indexOf('"', open + 1);
  for (;;) {
    // Unterminated (not JSON): end the scan rather than loop.
    if (q === -1) return text.length;
    // A quote preceded by an odd run of backslashes is escaped.
    let b = q - 1;
    while (text.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q;
    q = text.indexOf('"', q + 1);
  }
}

/** Keys of one object: a list while short (cheaper than a Set), a Set past this many. */
const LIST_KEYS = 32;

/** Adds `key` to `keys`; false when it was already there. */
function addKey(keys: string[] | Set<string>, key: string): boolean {
  if (Array.isArray(keys)) {
    if (keys.includes(key)) return false;
    keys.push(key);
    return true;
  }
  if (keys.has(key)) return false;
  keys.add(key);
  return true;
}

/**
 * True when some object in `text` names a key twice. `text` must be valid JSON (it is
 * checked only after a successful parse), so a string followed by `:` is a key and
 * braces outside strings open and close objects. Keys are compared after unescaping
 * (`"a"` and `"\u0061"` are the same key). One pass; string contents are skipped with
 * indexOf.
 */
export function hasDuplicateKey(text: string): boolean {
  const stack: (string[] | Set<string>)[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = stringEnd(text, i);
      let j = end + 1;
      while (isSpace(text.charCodeAt(j))) j++;
      const top = stack.length - 1;
      const keys = stack[top];
      if (text.charCodeAt(j) === COLON && keys !== undefined) {
        const raw = text.slice(i + 1, end);
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (!addKey(keys, key)) return true;
        if (Array.isArray(keys) && keys.length > LIST_KEYS) stack[top] = new Set(keys);
        i = j;
      } else {
        i = end;
      }
    } else if (c === OPEN) stack.push([]);
    else if (c === CLOSE) stack.pop();
  }
  return false;
}

/** A buffer body parser for `application/json` that checks, then hands the text to `parse`. */
export function strictJsonParser(parse: StringParser): (request: FastifyRequest, body: Buffer, done: Done) => void {
  return (request, body, done) => {
    if (!acceptedJsonType(request.headers['content-type'])) {
      done(new VaultError('OV_UNSUPPORTED_MEDIA_TYPE'));
      return;
    }
    let text: string;
    try {
      text = utf8.decode(body);
    } catch {
      done(new VaultError('OV_BAD_REQUEST', { field: 'body', reason: 'utf-8' }));
      return;
    }
    parse(request, text, (err, value) => {
      if (err !== null) done(err);
      else if (hasDuplicateKey(text)) done(new VaultError('OV_BAD_REQUEST', { field: 'body', reason: 'duplicate key' }));
      else done(null, value);
    });
  };
}

/**
 * The age v1 header (c2sp.org/age, "Header"): version line, recipient stanzas, MAC line.
 *
 *   age-encryption.org/v1\n
 *   -> ARG ARG...\n            arguments: 1*VCHAR, separated by one space
 *   BODY\n                     base64 without padding, 64 columns, last line shorter (may be empty)
 *   --- MAC\n                  base64 of HMAC-SHA-256 over everything up to and including "---"
 *
 * Parsing is strict and canonical, so re-encoding a parsed header gives the same bytes:
 * CR, tabs, double or trailing spaces, long or short lines, non-canonical base64 and
 * anything that is not v1 are all header failures. The MAC is checked by the caller, once
 * a file key is known.
 * @module
 */
import { ageFail } from './fail.js';

export const AGE_VERSION_LINE = 'age-encryption.org/v1';
const VERSION_PREFIX = 'age-encryption.org/';
const COLUMNS = 64;
/** Stanzas are tried one by one (a post-quantum one costs a decapsulation): a header may hold at most this many. */
export const MAX_STANZAS = 256;
const B64 = /^[A-Za-z0-9+/]*$/;

/** A recipient stanza: `args[0]` is its type. */
export interface Stanza {
  readonly args: readonly string[];
  readonly body: Uint8Array;
}

export interface ParsedHeader {
  readonly stanzas: readonly Stanza[];
  /** The header bytes the MAC covers: through "---". */
  readonly macMessage: Uint8Array;
  readonly mac: Uint8Array;
  /** Where the payload starts. */
  readonly payloadOffset: number;
}

/** Raw (unpadded) standard base64. */
export function b64encode(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64').replace(/=+$/, '');
}

/** Canonical raw base64, or undefined: no padding, no stray characters, zero trailing bits. */
export function b64decode(s: string): Uint8Array | undefined {
  if (!B64.test(s) || s.length % 4 === 1) return undefined;
  const buf = Buffer.from(s, 'base64');
  const out = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  // Node's decoder ignores non-zero trailing bits; re-encoding rejects them.
  return b64encode(out) === s ? out : undefined;
}

/** Canonical base64 of exactly `length` bytes, else a header failure. */
export function b64decodeExact(s: string | undefined, length: number): Uint8Array {
  const out = s === undefined ? undefined : b64decode(s);
  if (out?.length !== length) ageFail('header');
  return out;
}

function isVchar(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

/** True when `data` starts like a binary age file of any version. */
export function startsLikeAgeFile(data: Uint8Array): boolean {
  if (data.length < VERSION_PREFIX.length) return false;
  for (let i = 0; i < VERSION_PREFIX.length; i++) if (data[i] !== VERSION_PREFIX.charCodeAt(i)) return false;
  return true;
}

export function parseHeader(file: Uint8Array): ParsedHeader {
  let pos = 0;
  const line = (): string => {
    const lf = file.indexOf(0x0a, pos);
    if (lf < 0) ageFail('header');
    for (let i = pos; i < lf; i++) {
      const c = file[i] ?? 0;
      if (c < 0x20 || c > 0x7e) ageFail('header');
    }
    const s = Buffer.from(file.buffer, file.byteOffset + pos, lf - pos).toString('latin1');
    pos = lf + 1;
    return s;
  };
  if (line() !== AGE_VERSION_LINE) ageFail('header');
  const stanzas: Stanza[] = [];
  for (;;) {
    const start = pos;
    const l = line();
    if (l.startsWith('---')) {
      if (!l.startsWith('--- ') || stanzas.length === 0) ageFail('header');
      const mac = b64decodeExact(l.slice(4), 32);
      return { stanzas, macMessage: file.subarray(0, start + 3), mac, payloadOffset: pos };
    }
    if (!l.startsWith('-> ')) ageFail('header');
    const args = l.slice(3).split(' ');
    if (!args.every(isVchar)) ageFail('header');
    let b64 = '';
    for (;;) {
      const b = line();
      if (b.length > COLUMNS || !B64.test(b)) ageFail('header');
      b64 += b;
      if (b.length < COLUMNS) break;
    }
    const body = b64decode(b64);
    if (body === undefined) ageFail('header');
    if (stanzas.length >= MAX_STANZAS) ageFail('header');
    stanzas.push({ args, body });
  }
}

const ENC = new TextEncoder();

/** The header text up to and including "---", for a MAC to be computed over. */
export function encodeHeaderWithoutMac(stanzas: readonly Stanza[]): Uint8Array {
  let text = `${AGE_VERSION_LINE}\n`;
  for (const s of stanzas) {
    text += `-> ${s.args.join(' ')}\n`;
    const b64 = b64encode(s.body);
    // Full 64-column lines, then a shorter final line (empty when the body fills its lines).
    for (let i = 0; i <= b64.length; i += COLUMNS) text += `${b64.slice(i, i + COLUMNS)}\n`;
  }
  return ENC.encode(`${text}---`);
}

/** The MAC line that completes `encodeHeaderWithoutMac`. */
export function encodeMacLine(mac: Uint8Array): Uint8Array {
  return ENC.encode(` ${b64encode(mac)}\n`);
}

/**
 * age's ASCII armor (c2sp.org/age, "ASCII armor"): strict PEM (RFC 7468 figure 3) with
 * the label "AGE ENCRYPTED FILE", padded standard base64 in 64-column lines.
 *
 * As the spec recommends, only whitespace before and after the block is tolerated, and LF
 * or CRLF line ends (one kind per file); PEM headers, short inner lines, long lines,
 * whitespace inside the block, non-canonical base64 and any other text are armor
 * failures, so the armor is not a second, malleable encoding of the file.
 * @module
 */
import { MAX_ARMOR_TEXT } from '../armor.js';
import { ageFail } from './fail.js';

const BEGIN = '-----BEGIN AGE ENCRYPTED FILE-----';
const END = '-----END AGE ENCRYPTED FILE-----';
const COLUMNS = 64;
const B64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

export function armorAgeFile(file: Uint8Array): string {
  const b64 = Buffer.from(file.buffer, file.byteOffset, file.byteLength).toString('base64');
  const lines = [BEGIN];
  for (let i = 0; i < b64.length; i += COLUMNS) lines.push(b64.slice(i, i + COLUMNS));
  lines.push(END);
  return `${lines.join('\n')}\n`;
}

/** Index of the first non-whitespace byte. */
function skipWhitespace(data: Uint8Array): number {
  let i = 0;
  while (i < data.length && WHITESPACE.has(data[i] ?? 0)) i++;
  return i;
}

/** True when `data` is (leading whitespace, then) an armored age file's BEGIN line. */
export function startsLikeArmoredAgeFile(data: Uint8Array): boolean {
  const i = skipWhitespace(data.subarray(0, 4096));
  if (data.length - i < BEGIN.length) return false;
  for (let j = 0; j < BEGIN.length; j++) if (data[i + j] !== BEGIN.charCodeAt(j)) return false;
  return true;
}

/** The binary age file inside an armored one; an armor failure for anything else. */
export function dearmorAgeFile(data: Uint8Array): Uint8Array {
  if (data.length > MAX_ARMOR_TEXT) ageFail('armor');
  let end = data.length;
  while (end > 0 && WHITESPACE.has(data[end - 1] ?? 0)) end--;
  const start = skipWhitespace(data);
  for (let i = start; i < end; i++) {
    const c = data[i] ?? 0;
    if (c > 0x7e || (c < 0x20 && c !== 0x0a && c !== 0x0d)) ageFail('armor');
  }
  const text = Buffer.from(data.buffer, data.byteOffset + start, Math.max(0, end - start)).toString('latin1');
  const crlf = text.startsWith(`${BEGIN}\r\n`);
  const lines = text.split(crlf ? '\r\n' : '\n');
  if (lines.length < 3 || lines[0] !== BEGIN || lines[lines.length - 1] !== END) ageFail('armor');
  const b64Lines = lines.slice(1, -1);
  for (let i = 0; i < b64Lines.length; i++) {
    const line = b64Lines[i] ?? '';
    const last = i === b64Lines.length - 1;
    if (last ? line.length === 0 || line.length > COLUMNS : line.length !== COLUMNS) ageFail('armor');
    if (!B64_LINE.test(line) || (!last && line.includes('='))) ageFail('armor');
  }
  const b64 = b64Lines.join('');
  if (b64.length % 4 !== 0) ageFail('armor');
  const buf = Buffer.from(b64, 'base64');
  // Node's decoder ignores stray padding and non-zero trailing bits; re-encoding rejects them.
  if (buf.toString('base64') !== b64) ageFail('armor');
  return new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/**
 * ASCII armor for envelopes, signatures and key files, strict in the way age's armor is
 * (c2sp.org/age, "ASCII armor"): one canonical text per byte string.
 *
 *   -----BEGIN ONTOREF <LABEL>-----\n
 *   standard base64 with padding, 64 columns per line, only the last line shorter\n
 *   -----END ONTOREF <LABEL>-----\n        (the final newline is optional)
 *
 * Anything else (CRLF, blank lines, spaces, other labels, non-canonical base64 such as
 * non-zero padding bits, short inner lines, text after the END line) is OV_ARMOR_INVALID,
 * so armor cannot become a second, malleable encoding of the same envelope.
 * @module
 */
import { VaultError } from '../errors.js';

export type ArmorLabel = 'ENVELOPE' | 'SIGNATURE' | 'PUBLIC KEY' | 'SECRET KEY';

const LABELS: readonly ArmorLabel[] = ['ENVELOPE', 'SIGNATURE', 'PUBLIC KEY', 'SECRET KEY'];
const COLUMNS = 64;
const BEGIN_PREFIX = '-----BEGIN ONTOREF ';
const BEGIN_PREFIX_BYTES = new TextEncoder().encode(BEGIN_PREFIX);
const B64_LINE = /^[A-Za-z0-9+/]*={0,2}$/;
/** Armored input is capped so a hostile file cannot make us allocate without bound: 96 MiB of text. */
export const MAX_ARMOR_TEXT = 96 * 1024 * 1024;

function begin(label: ArmorLabel): string {
  return `${BEGIN_PREFIX}${label}-----`;
}

function end(label: ArmorLabel): string {
  return `-----END ONTOREF ${label}-----`;
}

function checkLabel(label: ArmorLabel): void {
  if (!LABELS.includes(label)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'label' });
}

function invalid(reason: string): never {
  throw new VaultError('OV_ARMOR_INVALID', { reason });
}

export function armor(label: ArmorLabel, data: Uint8Array): string {
  checkLabel(label);
  const b64 = Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
  const lines = [begin(label)];
  for (let i = 0; i < b64.length; i += COLUMNS) lines.push(b64.slice(i, i + COLUMNS));
  lines.push(end(label));
  return lines.join('\n') + '\n';
}

/** Strict inverse of `armor`; OV_ARMOR_INVALID for every other text. */
export function dearmor(text: string, label: ArmorLabel): Uint8Array {
  checkLabel(label);
  if (typeof text !== 'string') invalid('not text');
  if (text.length > MAX_ARMOR_TEXT) invalid('too large');
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const lines = body.split('\n');
  if (lines.length < 2 || lines[0] !== begin(label)) invalid('begin line');
  if (lines[lines.length - 1] !== end(label)) invalid('end line');
  const b64Lines = lines.slice(1, -1);
  for (let i = 0; i < b64Lines.length; i++) {
    const line = b64Lines[i] ?? '';
    const last = i === b64Lines.length - 1;
    if (last ? line.length === 0 || line.length > COLUMNS : line.length !== COLUMNS) invalid('line length');
    if (!B64_LINE.test(line) || (!last && line.includes('='))) invalid('base64');
  }
  const b64 = b64Lines.join('');
  if (b64.length % 4 !== 0) invalid('base64');
  const data = Buffer.from(b64, 'base64');
  // Node's decoder is lenient (ignores stray padding, non-zero trailing bits); re-encoding
  // and comparing rejects every non-canonical form.
  if (data.toString('base64') !== b64) invalid('base64');
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

/** True when `data` starts with "-----BEGIN ONTOREF ". */
export function isArmored(data: Uint8Array): boolean {
  if (data.length < BEGIN_PREFIX_BYTES.length) return false;
  for (let i = 0; i < BEGIN_PREFIX_BYTES.length; i++) if (data[i] !== BEGIN_PREFIX_BYTES[i]) return false;
  return true;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Accepts armored or binary input for the given label. */
export function readMaybeArmored(data: Uint8Array, label: ArmorLabel): Uint8Array {
  checkLabel(label);
  if (!isArmored(data)) return data;
  if (data.length > MAX_ARMOR_TEXT) invalid('too large');
  let text: string;
  try {
    text = STRICT_UTF8.decode(data);
  } catch {
    invalid('not utf-8');
  }
  return dearmor(text, label);
}

/**
 * The printable form of one unseal share: `ovs1-<index>-<data>-<check>`.
 *
 * - `ovs1`: format and version. Another prefix is refused, never guessed at.
 * - `<index>`: the share's ordinal in its split, 1..255 in decimal without leading zeros,
 *   so holders can label envelopes "share 2 of 5". It is covered by the checksum but
 *   carries no cryptographic meaning.
 * - `<data>`: 53 characters of lowercase Crockford base32 (no padding, the final pad bit
 *   zero): the Shamir x-coordinate (1 byte) followed by the 32 share bytes.
 * - `<check>`: 8 base32 characters, the first 40 bits of
 *   SHA-256("ontoref-vault share v1" || 0x00 || index || x || y). It exists to catch
 *   typos before combining (a wrong character is caught with probability 1 - 2^-40); it is
 *   not a MAC. Whether a share belongs to this vault is only known when t shares are
 *   combined and the root-key check opens (ADR 0003).
 *
 * Crockford base32 because shares are copied by hand from paper: it is case-insensitive,
 * has no `u`, and reading `o` as `0` and `i` / `l` as `1` is accepted. Whitespace anywhere
 * is ignored so a share may be printed in groups. The share deliberately names neither the
 * vault nor the threshold: a lost printout says nothing about what it opens.
 * @module
 */
import { VaultError } from '../errors.js';
import { constantTimeEqual, utf8, wipe } from '../crypto/bytes.js';
import { sha256 } from '../crypto/kdf.js';
import { SHAMIR_MAX_SHARES, type ShamirShare } from '../crypto/shamir.js';

export const SHARE_PREFIX = 'ovs1';
/** Length of the secret each share carries a point of (the 256-bit root key). */
export const SHARE_SECRET_BYTES = 32;
/** Longer input is refused before any parsing. */
export const SHARE_TEXT_MAX = 256;

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const DECODE = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));
const CHECK_LABEL = utf8('ontoref-vault share v1\u0000');
const CHECK_BYTES = 5;
const DATA_BYTES = 1 + SHARE_SECRET_BYTES;

/** A parsed share: its printed ordinal and the Shamir point it carries. */
export interface DecodedShare extends ShamirShare {
  readonly index: number;
}

function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let acc = 0;
  let bits = 0;
  for (const b of bytes) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(acc >>> bits) & 31]!;
    }
    acc &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(acc << (5 - bits)) & 31]!;
  return out;
}

/** Strict decoding: exactly `length` bytes, and the unused trailing bits must be zero. */
function base32Decode(text: string, length: number): Uint8Array | undefined {
  if (text.length !== Math.ceil((length * 8) / 5)) return undefined;
  const out = new Uint8Array(length);
  let acc = 0;
  let bits = 0;
  let pos = 0;
  for (const c of text) {
    const v = DECODE.get(c);
    if (v === undefined) {
      wipe(out);
      return undefined;
    }
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[pos++] = (acc >>> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  if (acc !== 0) {
    wipe(out);
    return undefined;
  }
  return out;
}

function checksum(index: number, data: Uint8Array): Uint8Array {
  return sha256(CHECK_LABEL, Uint8Array.of(index), data).slice(0, CHECK_BYTES);
}

/** Formats share number `index` (1-based ordinal) of a split. */
export function encodeShare(index: number, share: ShamirShare): string {
  if (!Number.isInteger(index) || index < 1 || index > SHAMIR_MAX_SHARES) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'index', min: 1, max: SHAMIR_MAX_SHARES });
  }
  if (!Number.isInteger(share.x) || share.x < 1 || share.x > SHAMIR_MAX_SHARES || share.y.length !== SHARE_SECRET_BYTES) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'share' });
  }
  const data = new Uint8Array(DATA_BYTES);
  data[0] = share.x;
  data.set(share.y, 1);
  try {
    return `${SHARE_PREFIX}-${index}-${base32Encode(data)}-${base32Encode(checksum(index, data))}`;
  } finally {
    wipe(data);
  }
}

function invalid(reason: string): VaultError {
  // The reason names a rule, never the share's content.
  return new VaultError('OV_UNSEAL_INVALID_SHARE', { reason });
}

function normalise(segment: string): string {
  return segment.toLowerCase().replace(/o/g, '0').replace(/[il]/g, '1');
}

/**
 * Parses and checks a share typed or pasted by a holder. Throws OV_UNSEAL_INVALID_SHARE
 * with a `reason` (`length`, `format`, `version`, `index`, `encoding`, `checksum`) for
 * anything that is not a well-formed `ovs1` share with a correct checksum.
 */
export function decodeShare(text: string): DecodedShare {
  if (typeof text !== 'string' || text.length > SHARE_TEXT_MAX) throw invalid('length');
  const parts = text.replace(/\s+/g, '').split('-');
  if (parts.length !== 4) throw invalid('format');
  const [prefix, indexText, dataText, checkText] = parts as [string, string, string, string];
  if (prefix.toLowerCase() !== SHARE_PREFIX) throw invalid('version');
  if (!/^[1-9][0-9]{0,2}$/.test(indexText) || Number(indexText) > SHAMIR_MAX_SHARES) throw invalid('index');
  const index = Number(indexText);
  const data = base32Decode(normalise(dataText), DATA_BYTES);
  const check = base32Decode(normalise(checkText), CHECK_BYTES);
  if (data === undefined || check === undefined) {
    wipe(data);
    throw invalid('encoding');
  }
  try {
    if (!constantTimeEqual(checksum(index, data), check)) throw invalid('checksum');
    const x = data[0]!;
    if (x === 0) throw invalid('format');
    return { index, x, y: data.slice(1) };
  } finally {
    wipe(data);
  }
}

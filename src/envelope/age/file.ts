/**
 * Sealing and opening whole age v1 files (c2sp.org/age): a fresh 16-byte file key wrapped
 * once per recipient, the header MAC (HMAC-SHA-256 under HKDF-SHA-256(file key, "",
 * "header")), then the STREAM payload. Pure bytes in, bytes out; file keys and nonces are
 * drawn here, never by callers.
 *
 * Every failure to open is OV_AGE_OPEN with the failure class in `detail.reason`
 * (`armor`, `header`, `no match`, `hmac`, `payload`), and no plaintext is released.
 * Post-quantum recipients are not mixed with classic ones unless the caller says so: one
 * X25519 stanza would let a future quantum attacker read the file anyway (age refuses
 * the mix the same way).
 * @module
 */
import { concatBytes, constantTimeEqual, randomBytes, utf8, wipe } from '../../crypto/bytes.js';
import { hkdf, hmac } from '../../crypto/kdf.js';
import type { CryptoProvider } from '../../crypto/types.js';
import { VaultError } from '../../errors.js';
import { checkOptions } from '../format.js';
import { armorAgeFile, dearmorAgeFile, startsLikeArmoredAgeFile } from './armor.js';
import { ageFail } from './fail.js';
import { encodeHeaderWithoutMac, encodeMacLine, parseHeader, startsLikeAgeFile, type Stanza } from './format.js';
import { parseAgeRecipient, type AgeIdentity, type AgeRecipient } from './keys.js';
import { FILE_KEY_LENGTH, unwrapFileKey, wrapFileKey } from './recipients.js';
import { decryptPayload, encryptPayload } from './stream.js';

const HEADER_INFO = utf8('header');
const EMPTY = new Uint8Array(0);

export interface AgeSealOptions {
  readonly provider: CryptoProvider;
  /** ASCII armor (`-----BEGIN AGE ENCRYPTED FILE-----`); the result is then UTF-8 text bytes. */
  readonly armor?: boolean;
  /** Allow post-quantum and X25519 recipients in one file (default false). */
  readonly allowMixedRecipients?: boolean;
}

export interface AgeOpenOptions {
  readonly provider: CryptoProvider;
}

/** Array.isArray without its narrowing to any[]. */
function nonEmptyList(x: readonly unknown[]): boolean {
  return Array.isArray(x) && x.length > 0;
}

function headerMac(fileKey: Uint8Array, macMessage: Uint8Array): Uint8Array {
  const key = hkdf('SHA-256', fileKey, EMPTY, HEADER_INFO, 32);
  try {
    return hmac('SHA-256', key, macMessage);
  } finally {
    wipe(key);
  }
}

/**
 * An age v1 file encrypting `plaintext` to every recipient (`age1pq1...` / `age1...`
 * strings or parsed recipients). OV_KEY_INVALID for a malformed recipient,
 * OV_AGE_MIXED_RECIPIENTS for a post-quantum recipient next to an X25519 one without
 * `allowMixedRecipients`.
 */
export function sealAgeFile(recipients: readonly (AgeRecipient | string)[], plaintext: Uint8Array, opts: AgeSealOptions): Uint8Array {
  checkOptions(opts, ['provider', 'armor', 'allowMixedRecipients'], 'sealAgeFile');
  if (!(plaintext instanceof Uint8Array)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'plaintext' });
  if (!nonEmptyList(recipients)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'recipients' });
  const parsed = recipients.map((r) => (typeof r === 'string' ? parseAgeRecipient(r) : r));
  const types = new Set(parsed.map((r) => r.type));
  if (types.size > 1 && opts.allowMixedRecipients !== true) throw new VaultError('OV_AGE_MIXED_RECIPIENTS');
  const fileKey = randomBytes(FILE_KEY_LENGTH);
  try {
    const stanzas: Stanza[] = parsed.map((r) => wrapFileKey(opts.provider, r, fileKey));
    const macMessage = encodeHeaderWithoutMac(stanzas);
    const file = concatBytes(macMessage, encodeMacLine(headerMac(fileKey, macMessage)), encryptPayload(fileKey, plaintext));
    return opts.armor === true ? utf8(armorAgeFile(file)) : file;
  } finally {
    wipe(fileKey);
  }
}

/** True when `data` looks like an age file, binary or armored (a shape test, not a validation). */
export function isAgeFile(data: Uint8Array): boolean {
  return startsLikeAgeFile(data) || startsLikeArmoredAgeFile(data);
}

/**
 * The plaintext of an age v1 file (binary or armored) for the first identity that unwraps
 * its file key. Every failure is OV_AGE_OPEN with `detail.reason` naming the class.
 */
export function openAgeFile(identities: readonly AgeIdentity[], file: Uint8Array, opts: AgeOpenOptions): Uint8Array {
  checkOptions(opts, ['provider'], 'openAgeFile');
  if (!(file instanceof Uint8Array)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'file' });
  if (!nonEmptyList(identities)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'identities' });
  const binary = startsLikeAgeFile(file) ? file : startsLikeArmoredAgeFile(file) ? dearmorAgeFile(file) : ageFail('header');
  const header = parseHeader(binary);
  let fileKey: Uint8Array | undefined;
  try {
    for (const id of identities) {
      fileKey = unwrapFileKey(opts.provider, id, header.stanzas);
      if (fileKey !== undefined) break;
    }
    if (fileKey === undefined) ageFail('no match');
    if (fileKey.length !== FILE_KEY_LENGTH) ageFail('header');
    if (!constantTimeEqual(headerMac(fileKey, header.macMessage), header.mac)) ageFail('hmac');
    return decryptPayload(fileKey, binary.subarray(header.payloadOffset));
  } finally {
    wipe(fileKey);
  }
}

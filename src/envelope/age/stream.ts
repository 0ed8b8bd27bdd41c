/**
 * The age v1 payload (c2sp.org/age, "Payload"; the STREAM construction of c2sp.org/agead):
 * a 16-byte nonce, then the plaintext in 64 KiB chunks sealed with ChaCha20-Poly1305
 * under HKDF-SHA-256(ikm = file key, salt = nonce, info = "payload"). Chunk nonces are an
 * 11-byte big-endian counter and a last-chunk flag byte (0x01 on the final chunk).
 *
 * Canonical form: the final chunk is empty only when the whole plaintext is; a plaintext
 * that fills its last chunk exactly ends on that full chunk. Decryption is all or nothing:
 * a truncated, extended, reordered or tampered payload releases no plaintext. The payload
 * nonce is drawn here, never by callers.
 * @module
 */
import { aead } from '../../crypto/aead.js';
import { randomBytes, utf8, wipe } from '../../crypto/bytes.js';
import { hkdf } from '../../crypto/kdf.js';
import { ageFail } from './fail.js';

export const CHUNK_SIZE = 64 * 1024;
const TAG = 16;
const NONCE = 16;
const INFO = utf8('payload');
const chacha = aead('ChaCha20-Poly1305');

function chunkNonce(counter: number, last: boolean): Uint8Array {
  const n = new Uint8Array(12);
  let c = counter;
  for (let i = 10; i >= 0 && c > 0; i--) {
    n[i] = c % 256;
    c = Math.floor(c / 256);
  }
  n[11] = last ? 1 : 0;
  return n;
}

function payloadKey(fileKey: Uint8Array, nonce: Uint8Array): Uint8Array {
  return hkdf('SHA-256', fileKey, nonce, INFO, 32);
}

const EMPTY = new Uint8Array(0);

/** nonce || sealed chunks, with a fresh nonce. */
export function encryptPayload(fileKey: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const nonce = randomBytes(NONCE);
  const key = payloadKey(fileKey, nonce);
  try {
    const chunks = Math.max(1, Math.ceil(plaintext.length / CHUNK_SIZE));
    const out = new Uint8Array(NONCE + plaintext.length + chunks * TAG);
    out.set(nonce, 0);
    let o = NONCE;
    for (let i = 0; i < chunks; i++) {
      const part = plaintext.subarray(i * CHUNK_SIZE, Math.min(plaintext.length, (i + 1) * CHUNK_SIZE));
      const sealed = chacha.seal(key, chunkNonce(i, i === chunks - 1), EMPTY, part);
      out.set(sealed, o);
      o += sealed.length;
    }
    return out;
  } finally {
    wipe(key);
  }
}

/** The plaintext of `nonce || chunks`; a payload failure for anything else. */
export function decryptPayload(fileKey: Uint8Array, payload: Uint8Array): Uint8Array {
  if (payload.length < NONCE + TAG) ageFail('payload');
  const key = payloadKey(fileKey, payload.subarray(0, NONCE));
  const body = payload.subarray(NONCE);
  const full = CHUNK_SIZE + TAG;
  const chunks = Math.max(1, Math.ceil(body.length / full));
  const lastLength = body.length - (chunks - 1) * full;
  // A final chunk shorter than a tag, or an empty final chunk after others, is not canonical.
  if (lastLength < TAG || (chunks > 1 && lastLength === TAG)) ageFail('payload');
  const out = new Uint8Array(body.length - chunks * TAG);
  try {
    for (let i = 0, o = 0; i < chunks; i++) {
      const last = i === chunks - 1;
      const sealed = body.subarray(i * full, Math.min(body.length, (i + 1) * full));
      let part: Uint8Array;
      try {
        part = chacha.open(key, chunkNonce(i, last), EMPTY, sealed);
      } catch {
        ageFail('payload');
      }
      out.set(part, o);
      o += part.length;
      wipe(part);
    }
    return out;
  } catch (e) {
    wipe(out);
    throw e;
  } finally {
    wipe(key);
  }
}

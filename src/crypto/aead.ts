/**
 * The HPKE AEADs (RFC 9180 section 7.3): AES-128-GCM (0x0001), AES-256-GCM (0x0002) and
 * ChaCha20-Poly1305 (0x0003), all through node:crypto on every provider. OpenSSL's
 * AES-GCM uses AES-NI (about 1.2 GB/s here against 33 MB/s for pure-JS GCM); the
 * @noble/ciphers implementations remain the cross-check in the tests.
 *
 * Misuse resistance: keys and nonces are length-checked, tags are always 16 bytes, and
 * `open` fails with the one indistinguishable OV_ENVELOPE_OPEN whatever went wrong,
 * releasing no plaintext. Nonces come from the HPKE key schedule, never from callers of
 * the envelope API.
 * @module
 */
import { createCipheriv, createDecipheriv, createSecretKey, type CipherGCMTypes, type KeyObject } from 'node:crypto';
import { VaultError } from '../errors.js';
import { expectBytes, ownBytes, wipe } from './bytes.js';
import type { Aead, AeadName } from './types.js';

const TAG_LENGTH = 16;
const NONCE_LENGTH = 12;
const SEAL_CHUNK = 64 * 1024;

type CipherName = CipherGCMTypes | 'chacha20-poly1305';

interface AeadSpec {
  readonly name: AeadName;
  readonly hpkeId: number;
  readonly keyLength: number;
  readonly cipher: CipherName;
}

const SPECS: readonly AeadSpec[] = [
  { name: 'AES-128-GCM', hpkeId: 0x0001, keyLength: 16, cipher: 'aes-128-gcm' },
  { name: 'AES-256-GCM', hpkeId: 0x0002, keyLength: 32, cipher: 'aes-256-gcm' },
  { name: 'ChaCha20-Poly1305', hpkeId: 0x0003, keyLength: 32, cipher: 'chacha20-poly1305' },
];

/** Raw key bytes (long-lived keys: nothing outlives the call) or a transient KeyObject. */
type KeyInput = Uint8Array | KeyObject;

function sealCore(spec: AeadSpec, key: KeyInput, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): void {
  // The cast picks the GCM/CCM overload; the options are the same for ChaCha20-Poly1305.
  const cipher = createCipheriv(spec.cipher as CipherGCMTypes, key, nonce, { authTagLength: TAG_LENGTH });
  cipher.setAAD(aad);
  // Chunks keep each intermediate output small and cache-hot: on a 1 MiB payload, one
  // update would allocate a fresh 1 MiB buffer and then copy it, which costs more than
  // the encryption itself.
  let written = 0;
  for (let pos = 0; pos < plaintext.length; pos += SEAL_CHUNK) {
    const part = cipher.update(plaintext.subarray(pos, pos + SEAL_CHUNK));
    out.set(part, offset + written);
    written += part.length;
  }
  const tail = cipher.final();
  out.set(tail, offset + written);
  written += tail.length;
  if (written !== plaintext.length) throw new VaultError('OV_INTERNAL', { reason: 'aead output length' });
  out.set(cipher.getAuthTag(), offset + plaintext.length);
}

function openCore(spec: AeadSpec, key: KeyInput, nonce: Uint8Array, aad: Uint8Array, cipherText: Uint8Array): Uint8Array {
  if (cipherText.length < TAG_LENGTH) throw new VaultError('OV_ENVELOPE_OPEN');
  const bodyLength = cipherText.length - TAG_LENGTH;
  let body: Uint8Array | undefined;
  let tail: Uint8Array | undefined;
  try {
    const decipher = createDecipheriv(spec.cipher as CipherGCMTypes, key, nonce, { authTagLength: TAG_LENGTH });
    decipher.setAuthTag(cipherText.subarray(bodyLength));
    decipher.setAAD(aad);
    body = decipher.update(cipherText.subarray(0, bodyLength));
    tail = decipher.final(); // throws on a bad tag
  } catch {
    // Plaintext decrypted before the tag check failed must not survive.
    wipe(body, tail);
    throw new VaultError('OV_ENVELOPE_OPEN');
  }
  if (tail.length === 0) return ownBytes(body);
  const out = new Uint8Array(body.length + tail.length);
  out.set(body, 0);
  out.set(tail, body.length);
  wipe(body, tail);
  return out;
}

function makeAead(spec: AeadSpec): Aead {
  return Object.freeze({
    name: spec.name,
    hpkeId: spec.hpkeId,
    keyLength: spec.keyLength,
    nonceLength: NONCE_LENGTH,
    tagLength: TAG_LENGTH,
    seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
      expectBytes(key, spec.keyLength, 'OV_KEY_INVALID', 'key');
      expectBytes(nonce, NONCE_LENGTH, 'OV_INVALID_ARGUMENT', 'nonce');
      expectBytes(aad, undefined, 'OV_INVALID_ARGUMENT', 'aad');
      expectBytes(plaintext, undefined, 'OV_INVALID_ARGUMENT', 'plaintext');
      const out = new Uint8Array(plaintext.length + TAG_LENGTH);
      sealCore(spec, key, nonce, aad, plaintext, out, 0);
      return out;
    },
    open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, cipherText: Uint8Array): Uint8Array {
      expectBytes(key, spec.keyLength, 'OV_ENVELOPE_OPEN', 'key');
      expectBytes(nonce, NONCE_LENGTH, 'OV_ENVELOPE_OPEN', 'nonce');
      expectBytes(aad, undefined, 'OV_ENVELOPE_OPEN', 'aad');
      expectBytes(cipherText, undefined, 'OV_ENVELOPE_OPEN', 'cipherText');
      return openCore(spec, key, nonce, aad, cipherText);
    },
  } satisfies Aead);
}

const AEADS: readonly Aead[] = SPECS.map(makeAead);
const SPEC_OF: ReadonlyMap<Aead, AeadSpec> = new Map(AEADS.map((a, i) => [a, SPECS[i] as AeadSpec]));

function specOf(a: Aead): AeadSpec {
  const spec = SPEC_OF.get(a);
  if (spec === undefined) throw new VaultError('OV_ALGORITHM_UNSUPPORTED', { kind: 'aead', algorithm: String(a?.name).slice(0, 64) });
  return spec;
}

/**
 * A key that lives for one message (an HPKE context key) as a node:crypto KeyObject:
 * OpenSSL then skips re-importing raw key bytes on every cipher (about 26 us against
 * 6 us per AES-GCM call on Node 24). The KeyObject cannot be wiped; it becomes garbage
 * with the context that holds it. Long-lived keys use `Aead.seal` / `Aead.open` with bytes.
 */
export function transientAeadKey(a: Aead, key: Uint8Array): KeyObject {
  expectBytes(key, specOf(a).keyLength, 'OV_KEY_INVALID', 'key');
  return createSecretKey(key);
}

/**
 * `a.seal` with a transient key, writing ciphertext || tag into `out` at `offset`
 * (plaintext.length + tagLength bytes), so a caller that frames the ciphertext (the
 * envelope) encrypts straight into its output instead of copying a large payload.
 */
export function aeadSealInto(
  a: Aead,
  key: KeyObject,
  nonce: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
  out: Uint8Array,
  offset: number,
): void {
  const spec = specOf(a);
  expectBytes(nonce, NONCE_LENGTH, 'OV_INVALID_ARGUMENT', 'nonce');
  expectBytes(aad, undefined, 'OV_INVALID_ARGUMENT', 'aad');
  expectBytes(plaintext, undefined, 'OV_INVALID_ARGUMENT', 'plaintext');
  if (!Number.isSafeInteger(offset) || offset < 0 || offset + plaintext.length + TAG_LENGTH > out.length) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'offset' });
  }
  sealCore(spec, key, nonce, aad, plaintext, out, offset);
}

/** `a.open` with a transient key; every failure is OV_ENVELOPE_OPEN. */
export function aeadOpenWith(a: Aead, key: KeyObject, nonce: Uint8Array, aad: Uint8Array, cipherText: Uint8Array): Uint8Array {
  const spec = specOf(a);
  expectBytes(nonce, NONCE_LENGTH, 'OV_ENVELOPE_OPEN', 'nonce');
  expectBytes(aad, undefined, 'OV_ENVELOPE_OPEN', 'aad');
  expectBytes(cipherText, undefined, 'OV_ENVELOPE_OPEN', 'cipherText');
  return openCore(spec, key, nonce, aad, cipherText);
}
const BY_NAME: ReadonlyMap<string, Aead> = new Map(AEADS.map((a) => [a.name, a]));
const BY_ID: ReadonlyMap<number, Aead> = new Map(AEADS.map((a) => [a.hpkeId, a]));

/** The AEAD with this name; OV_ALGORITHM_UNSUPPORTED otherwise. */
export function aead(name: AeadName): Aead {
  const a = typeof name === 'string' ? BY_NAME.get(name) : undefined;
  if (a === undefined) throw new VaultError('OV_ALGORITHM_UNSUPPORTED', { kind: 'aead', algorithm: String(name).slice(0, 64) });
  return a;
}

/** The AEAD with this HPKE identifier; OV_ALGORITHM_UNSUPPORTED otherwise (including 0xFFFF, export-only). */
export function aeadById(hpkeId: number): Aead {
  const a = BY_ID.get(hpkeId);
  if (a === undefined) throw new VaultError('OV_ALGORITHM_UNSUPPORTED', { kind: 'aead', id: String(hpkeId) });
  return a;
}

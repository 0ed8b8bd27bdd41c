/**
 * Detached signatures over arbitrary messages (docs/format.md, "Signature files").
 *
 * Hash-then-sign: the signature algorithm signs
 *   "ontoref-vault/signature/v1" || header || SHA-512(message)
 * where the header (magic, version, alg, signer key id and version, context) is the
 * signature file itself up to the signature length. Signing a fixed-size digest keeps
 * the cost of ML-DSA / Falcon independent of the message size and lets a caller sign or
 * verify a file it streams, while binding every header field (so an algorithm or context
 * cannot be swapped). Every verification failure is OV_SIGNATURE_INVALID.
 * @module
 */
import { concatBytes, constantTimeEqual } from '../crypto/bytes.js';
import { sha512 } from '../crypto/kdf.js';
import type { CryptoProvider, SignatureName } from '../crypto/types.js';
import { VaultError } from '../errors.js';
import { KEY_ID_LENGTH, MAX_CONTEXT, algById, algByName, checkOptions, contextBytes } from './format.js';
import type { PublicKeyInfo, SecretKeyInfo } from './keys.js';

/** "ORVS": OntoRef Vault Signature. */
export const SIGNATURE_MAGIC = Uint8Array.of(0x4f, 0x52, 0x56, 0x53);
export const SIGNATURE_FORMAT_VERSION = 1;
export const DETACHED_SIG_LABEL = new TextEncoder().encode('ontoref-vault/signature/v1');
/** magic, version, alg, key id, key version, context length. */
const FIXED_LENGTH = 4 + 1 + 2 + KEY_ID_LENGTH + 4 + 2;

export interface DetachedSignature {
  readonly alg: SignatureName;
  readonly keyId: Uint8Array;
  readonly keyVersion: number;
  readonly context: Uint8Array;
  readonly signature: Uint8Array;
  /** Bytes [0, headerEnd) are the header covered by the signature. */
  readonly headerEnd: number;
}

export type DetachedSigner = (alg: SignatureName, message: Uint8Array, secretKey: Uint8Array) => Uint8Array;

function encodeHeader(alg: SignatureName, keyId: Uint8Array, keyVersion: number, context: Uint8Array): Uint8Array {
  const spec = algByName(alg);
  if (spec?.family !== 'sig') throw new VaultError('OV_KEY_INVALID', { reason: 'not a signature key' });
  if (keyId.length !== KEY_ID_LENGTH) throw new VaultError('OV_KEY_INVALID', { reason: 'keyId' });
  if (!Number.isInteger(keyVersion) || keyVersion < 1 || keyVersion > 0xffffffff) {
    throw new VaultError('OV_KEY_INVALID', { reason: 'keyVersion' });
  }
  const out = new Uint8Array(FIXED_LENGTH + context.length);
  const view = new DataView(out.buffer);
  out.set(SIGNATURE_MAGIC, 0);
  view.setUint8(4, SIGNATURE_FORMAT_VERSION);
  view.setUint16(5, spec.id);
  out.set(keyId, 7);
  view.setUint32(7 + KEY_ID_LENGTH, keyVersion);
  view.setUint16(11 + KEY_ID_LENGTH, context.length);
  out.set(context, FIXED_LENGTH);
  return out;
}

function signedMessage(header: Uint8Array, message: Uint8Array): Uint8Array {
  return concatBytes(DETACHED_SIG_LABEL, header, sha512(message));
}

/** signDetached with an injectable signing function (deterministic vectors only). */
export function signDetachedWith(
  provider: CryptoProvider,
  opts: { key: SecretKeyInfo; message: Uint8Array; context?: Uint8Array | string },
  signer?: DetachedSigner,
): Uint8Array {
  checkOptions(opts, ['key', 'message', 'context'], 'signDetached');
  const { key, message } = opts;
  if (key?.kind !== 'sig-secret') throw new VaultError('OV_KEY_INVALID', { field: 'key', reason: 'not a signature secret key' });
  if (!(message instanceof Uint8Array)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'message' });
  const context = contextBytes(opts.context);
  const alg = key.alg as SignatureName;
  const header = encodeHeader(alg, key.keyId, key.keyVersion, context);
  const toSign = signedMessage(header, message);
  const signature = (signer ?? ((a, m, sk) => provider.signature(a).sign(m, sk)))(alg, toSign, key.secretKey);
  const out = new Uint8Array(header.length + 2 + signature.length);
  out.set(header, 0);
  new DataView(out.buffer).setUint16(header.length, signature.length);
  out.set(signature, header.length + 2);
  return out;
}

/** Signs `message` (any size; hashed with SHA-512 first) with a 'sig-secret' key. */
export function signDetached(
  provider: CryptoProvider,
  opts: { key: SecretKeyInfo; message: Uint8Array; context?: Uint8Array | string },
): Uint8Array {
  return signDetachedWith(provider, opts);
}

function bad(): never {
  throw new VaultError('OV_SIGNATURE_INVALID');
}

/** Strict parse of a signature file; OV_SIGNATURE_INVALID unless canonical. */
export function decodeDetached(bytes: Uint8Array): DetachedSignature {
  if (!(bytes instanceof Uint8Array) || bytes.length < FIXED_LENGTH + 2) bad();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < 4; i++) if (bytes[i] !== SIGNATURE_MAGIC[i]) bad();
  if (view.getUint8(4) !== SIGNATURE_FORMAT_VERSION) bad();
  const spec = algById(view.getUint16(5));
  if (spec?.family !== 'sig') bad();
  const keyId = bytes.subarray(7, 7 + KEY_ID_LENGTH);
  const keyVersion = view.getUint32(7 + KEY_ID_LENGTH);
  if (keyVersion === 0) bad();
  const contextLength = view.getUint16(11 + KEY_ID_LENGTH);
  if (contextLength > MAX_CONTEXT) bad();
  const headerEnd = FIXED_LENGTH + contextLength;
  if (bytes.length < headerEnd + 2) bad();
  const sigLength = view.getUint16(headerEnd);
  if (sigLength < (spec.minSignature ?? 1) || sigLength > (spec.maxSignature ?? 0)) bad();
  if (bytes.length !== headerEnd + 2 + sigLength) bad();
  return {
    alg: spec.name as SignatureName,
    keyId,
    keyVersion,
    context: bytes.subarray(FIXED_LENGTH, headerEnd),
    signature: bytes.subarray(headerEnd + 2),
    headerEnd,
  };
}

/** Throws OV_SIGNATURE_INVALID unless `signature` is a valid signature by `key` over `message` and `context`. */
export function verifyDetached(
  provider: CryptoProvider,
  opts: { signature: Uint8Array; message: Uint8Array; key: PublicKeyInfo; context?: Uint8Array | string },
): void {
  checkOptions(opts, ['signature', 'message', 'key', 'context'], 'verifyDetached');
  const { key, message } = opts;
  if (key?.kind !== 'sig-public') throw new VaultError('OV_KEY_INVALID', { field: 'key', reason: 'not a signature public key' });
  if (!(message instanceof Uint8Array)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'message' });
  const context = contextBytes(opts.context);
  const sig = decodeDetached(opts.signature);
  if (sig.alg !== key.alg || sig.keyVersion !== key.keyVersion || !constantTimeEqual(sig.keyId, key.keyId)) bad();
  if (!constantTimeEqual(sig.context, context)) bad();
  const toVerify = signedMessage(opts.signature.subarray(0, sig.headerEnd), message);
  if (!provider.signature(sig.alg).verify(sig.signature, toVerify, key.publicKey)) bad();
}

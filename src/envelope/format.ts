/**
 * Envelope format v1: constants, the suite and algorithm registries, and the canonical
 * binary encoder / strict decoder. Normative description: docs/format.md.
 *
 * The decoder is the only place that turns untrusted bytes into structure. It accepts
 * exactly one encoding per envelope (every length is either fixed by the suite or
 * written once and checked exactly; no trailing bytes; reserved flag bits zero), so
 * re-encoding a parsed envelope gives back the same bytes (age's FuzzMalleability habit).
 * Parsed fields are views into the input: no payload copy happens here.
 * @module
 */
import { KEM_PARAMS, SIGNATURE_PARAMS, isKemName } from '../crypto/params.js';
import type { KemName, SignatureName } from '../crypto/types.js';
import { VaultError } from '../errors.js';

export type KeyAlg = KemName | SignatureName;
export type SuiteName = 'xwing-hkdfsha256-aes256gcm' | 'mlkem1024-hkdfsha384-aes256gcm';

const ENC = new TextEncoder();

/** "ORVE": OntoRef Vault Envelope. */
export const ENVELOPE_MAGIC = Uint8Array.of(0x4f, 0x52, 0x56, 0x45);
export const FORMAT_VERSION = 1;
/** Prefix of the HPKE info string; the header through the context follows it. */
export const INFO_LABEL = ENC.encode('ontoref-vault/envelope/v1');
/** HPKE exporter context of the key commitment. */
export const COMMIT_LABEL = ENC.encode('ontoref-vault commit');
export const COMMIT_LENGTH = 32;
/** Domain separation for envelope signatures: label || SHA-512(signed bytes) is signed. */
export const ENVELOPE_SIG_LABEL = ENC.encode('ontoref-vault/envelope/v1/signature');
export const FLAG_SIGNED = 0x01;
export const KEY_ID_LENGTH = 16;
export const MAX_CONTEXT = 1024;
/** Largest plaintext `seal` accepts: 64 MiB. */
export const MAX_PLAINTEXT = 64 * 1024 * 1024;
/** Default `maxSize` for open/inspect: MAX_PLAINTEXT plus room for the largest header and signature. */
export const DEFAULT_MAX_ENVELOPE = MAX_PLAINTEXT + 64 * 1024;
export const AEAD_TAG_LENGTH = 16;

export interface SuiteSpec {
  readonly id: number;
  readonly name: SuiteName;
  readonly kem: KemName;
  readonly kemId: number;
  readonly kdfId: number;
  readonly aeadId: number;
  /** Nenc: the KEM ciphertext length, implicit in the encoding. */
  readonly encLength: number;
}

export const SUITES: readonly SuiteSpec[] = Object.freeze([
  Object.freeze({
    id: 0x0001,
    name: 'xwing-hkdfsha256-aes256gcm',
    kem: 'X-Wing',
    kemId: 0x647a,
    kdfId: 0x0001,
    aeadId: 0x0002,
    encLength: 1120,
  } as const),
  Object.freeze({
    id: 0x0002,
    name: 'mlkem1024-hkdfsha384-aes256gcm',
    kem: 'ML-KEM-1024',
    kemId: 0x0042,
    kdfId: 0x0002,
    aeadId: 0x0002,
    encLength: 1568,
  } as const),
]);

export function suiteById(id: number): SuiteSpec | undefined {
  return SUITES.find((s) => s.id === id);
}

export function suiteForKem(kem: KeyAlg): SuiteSpec | undefined {
  return SUITES.find((s) => s.kem === kem);
}

export interface AlgSpec {
  readonly id: number;
  readonly name: KeyAlg;
  readonly family: 'kem' | 'sig';
  readonly publicKeyLength: number;
  readonly secretKeyLength: number;
  /** Signature length bounds (ML-DSA: fixed, Falcon: variable up to the maximum). */
  readonly minSignature?: number;
  readonly maxSignature?: number;
}

/**
 * One namespace of u16 algorithm ids for key files and signature blocks. KEMs reuse
 * their HPKE KEM ids; signature ids are project-assigned (0x01xx ML-DSA, 0x02xx round-3
 * Falcon, so a future FIPS 206 FN-DSA gets ids of its own and is never confused with it).
 */
export const ALGS: readonly AlgSpec[] = Object.freeze(
  (
    [
      [0x647a, 'X-Wing'],
      [0x0041, 'ML-KEM-768'],
      [0x0042, 'ML-KEM-1024'],
      [0x0101, 'ML-DSA-65'],
      [0x0102, 'ML-DSA-87'],
      [0x0201, 'Falcon-512-r3'],
      [0x0202, 'Falcon-1024-r3'],
    ] as const
  ).map(([id, name]): AlgSpec => {
    if (isKemName(name)) {
      const p = KEM_PARAMS[name];
      return Object.freeze({ id, name, family: 'kem', publicKeyLength: p.lengths.publicKey, secretKeyLength: p.lengths.secretKey });
    }
    const p = SIGNATURE_PARAMS[name];
    return Object.freeze({
      id,
      name,
      family: 'sig',
      publicKeyLength: p.lengths.publicKey,
      secretKeyLength: p.lengths.secretKey,
      minSignature: p.minSignature,
      maxSignature: p.lengths.signature,
    });
  }),
);

export function algById(id: number): AlgSpec | undefined {
  return ALGS.find((a) => a.id === id);
}

export function algByName(name: string): AlgSpec | undefined {
  return ALGS.find((a) => a.name === name);
}

export interface SignatureBlock {
  readonly alg: SignatureName;
  readonly keyId: Uint8Array;
  readonly keyVersion: number;
  readonly signature: Uint8Array;
}

/** The logical content of an envelope. */
export interface EnvelopeFields {
  readonly suite: SuiteSpec;
  readonly signed: boolean;
  readonly keyId: Uint8Array;
  readonly keyVersion: number;
  readonly context: Uint8Array;
  readonly enc: Uint8Array;
  readonly commitment: Uint8Array;
  readonly ciphertext: Uint8Array;
  readonly signature?: SignatureBlock;
}

/** A decoded envelope: fields (views into `bytes`) plus the offsets the crypto needs. */
export interface ParsedEnvelope extends EnvelopeFields {
  readonly bytes: Uint8Array;
  /** End of the context: bytes[0, infoEnd) follows INFO_LABEL in the HPKE info. */
  readonly infoEnd: number;
  /** End of the commitment: bytes[0, aadEnd) is the AEAD associated data. */
  readonly aadEnd: number;
  /** End of the signer key version: bytes[0, signedEnd) is what the signature covers. */
  readonly signedEnd: number;
}

/** Fixed header bytes before the context: magic, version, suite, flags, key id, key version, context length. */
export const PREFIX_LENGTH = 4 + 1 + 2 + 1 + KEY_ID_LENGTH + 4 + 2;
/** Signature block bytes before the signature itself: alg, signer key id, key version, signature length. */
export const SIG_PREFIX_LENGTH = 2 + KEY_ID_LENGTH + 4 + 2;

class Writer {
  readonly buf: Uint8Array;
  readonly view: DataView;
  pos = 0;
  constructor(size: number) {
    this.buf = new Uint8Array(size);
    this.view = new DataView(this.buf.buffer);
  }
  u8(n: number): void {
    this.view.setUint8(this.pos, n);
    this.pos += 1;
  }
  u16(n: number): void {
    this.view.setUint16(this.pos, n);
    this.pos += 2;
  }
  u32(n: number): void {
    this.view.setUint32(this.pos, n);
    this.pos += 4;
  }
  bytes(b: Uint8Array): void {
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }
}

function checkU32(n: number, field: string): void {
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new VaultError('OV_INVALID_ARGUMENT', { field });
}

/** The header prefix through the context (the part bound into the HPKE info). */
export function encodeHeaderPrefix(f: Pick<EnvelopeFields, 'suite' | 'signed' | 'keyId' | 'keyVersion' | 'context'>): Uint8Array {
  if (f.keyId.length !== KEY_ID_LENGTH) throw new VaultError('OV_KEY_INVALID');
  checkU32(f.keyVersion, 'keyVersion');
  if (f.context.length > MAX_CONTEXT) throw new VaultError('OV_ENVELOPE_CONTEXT', { max: MAX_CONTEXT });
  const w = new Writer(PREFIX_LENGTH + f.context.length);
  w.bytes(ENVELOPE_MAGIC);
  w.u8(FORMAT_VERSION);
  w.u16(f.suite.id);
  w.u8(f.signed ? FLAG_SIGNED : 0);
  w.bytes(f.keyId);
  w.u32(f.keyVersion);
  w.u16(f.context.length);
  w.bytes(f.context);
  return w.buf;
}

/** The signature block prefix (alg, signer key id, key version): the signed part of the block. */
export function encodeSigPrefix(alg: SignatureName, keyId: Uint8Array, keyVersion: number): Uint8Array {
  const spec = algByName(alg);
  if (spec?.family !== 'sig') throw new VaultError('OV_ALGORITHM_UNSUPPORTED', { alg });
  if (keyId.length !== KEY_ID_LENGTH) throw new VaultError('OV_KEY_INVALID');
  checkU32(keyVersion, 'keyVersion');
  const w = new Writer(SIG_PREFIX_LENGTH - 2);
  w.u16(spec.id);
  w.bytes(keyId);
  w.u32(keyVersion);
  return w.buf;
}

/** Canonical encoding. Throws OV_INVALID_ARGUMENT / OV_KEY_INVALID on fields that cannot be encoded. */
export function encodeEnvelope(f: EnvelopeFields): Uint8Array {
  if (f.signed !== (f.signature !== undefined)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'signature' });
  if (f.enc.length !== f.suite.encLength) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'enc' });
  if (f.commitment.length !== COMMIT_LENGTH) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'commitment' });
  if (f.ciphertext.length < AEAD_TAG_LENGTH || f.ciphertext.length > 0xffffffff) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'ciphertext' });
  }
  const prefix = encodeHeaderPrefix(f);
  let sigPrefix: Uint8Array | undefined;
  const sig = f.signature;
  if (sig !== undefined) {
    sigPrefix = encodeSigPrefix(sig.alg, sig.keyId, sig.keyVersion);
    const spec = algByName(sig.alg);
    if (sig.signature.length < (spec?.minSignature ?? 1) || sig.signature.length > (spec?.maxSignature ?? 0)) {
      throw new VaultError('OV_INVALID_ARGUMENT', { field: 'signature' });
    }
  }
  const size =
    prefix.length +
    f.enc.length +
    COMMIT_LENGTH +
    4 +
    f.ciphertext.length +
    (sig === undefined || sigPrefix === undefined ? 0 : sigPrefix.length + 2 + sig.signature.length);
  const w = new Writer(size);
  w.bytes(prefix);
  w.bytes(f.enc);
  w.bytes(f.commitment);
  w.u32(f.ciphertext.length);
  w.bytes(f.ciphertext);
  if (sig !== undefined && sigPrefix !== undefined) {
    w.bytes(sigPrefix);
    w.u16(sig.signature.length);
    w.bytes(sig.signature);
  }
  return w.buf;
}

function fail(): never {
  // No detail on purpose: every malformed envelope looks the same to the caller.
  throw new VaultError('OV_ENVELOPE_OPEN');
}

/** Validates a caller-supplied size cap; OV_INVALID_ARGUMENT when it is not a non-negative integer. */
export function checkMaxSize(maxSize: number | undefined): number {
  if (maxSize === undefined) return DEFAULT_MAX_ENVELOPE;
  if (!Number.isSafeInteger(maxSize) || maxSize < 0) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'maxSize' });
  return maxSize;
}

/**
 * Strict decoder. Oversized input throws OV_ENVELOPE_TOO_LARGE before any parsing;
 * everything else that is not exactly one canonical v1 envelope throws OV_ENVELOPE_OPEN.
 */
export function decodeEnvelope(bytes: Uint8Array, maxSize = DEFAULT_MAX_ENVELOPE): ParsedEnvelope {
  if (!(bytes instanceof Uint8Array)) fail();
  if (bytes.length > maxSize) throw new VaultError('OV_ENVELOPE_TOO_LARGE', { max: maxSize });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.length;
  let pos = 0;
  const need = (k: number): void => {
    if (k < 0 || pos + k > n) fail();
  };
  const take = (k: number): Uint8Array => {
    need(k);
    const out = bytes.subarray(pos, pos + k);
    pos += k;
    return out;
  };
  const u8 = (): number => {
    need(1);
    return view.getUint8(pos++);
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos);
    pos += 4;
    return v;
  };

  const magic = take(4);
  for (let i = 0; i < 4; i++) if (magic[i] !== ENVELOPE_MAGIC[i]) fail();
  if (u8() !== FORMAT_VERSION) fail();
  const suite = suiteById(u16()) ?? fail();
  const flags = u8();
  if ((flags & ~FLAG_SIGNED) !== 0) fail();
  const signed = (flags & FLAG_SIGNED) !== 0;
  const keyId = take(KEY_ID_LENGTH);
  const keyVersion = u32();
  if (keyVersion === 0) fail();
  const contextLength = u16();
  if (contextLength > MAX_CONTEXT) fail();
  const context = take(contextLength);
  const infoEnd = pos;
  const enc = take(suite.encLength);
  const commitment = take(COMMIT_LENGTH);
  const aadEnd = pos;
  const ctLength = u32();
  if (ctLength < AEAD_TAG_LENGTH) fail();
  const ciphertext = take(ctLength);
  let signature: SignatureBlock | undefined;
  let signedEnd = pos;
  if (signed) {
    const spec = algById(u16());
    if (spec?.family !== 'sig') fail();
    const sigKeyId = take(KEY_ID_LENGTH);
    const sigKeyVersion = u32();
    if (sigKeyVersion === 0) fail();
    signedEnd = pos;
    const sigLength = u16();
    if (sigLength < (spec.minSignature ?? 1) || sigLength > (spec.maxSignature ?? 0)) fail();
    signature = {
      alg: spec.name as SignatureName,
      keyId: sigKeyId,
      keyVersion: sigKeyVersion,
      signature: take(sigLength),
    };
  }
  if (pos !== n) fail();
  const base = { bytes, suite, signed, keyId, keyVersion, context, enc, commitment, ciphertext, infoEnd, aadEnd, signedEnd };
  return signature === undefined ? base : { ...base, signature };
}

export { checkOptions } from '../util/options.js';

/** Context as bytes (strings are UTF-8); longer than MAX_CONTEXT is OV_ENVELOPE_CONTEXT. */
export function contextBytes(context: Uint8Array | string | undefined): Uint8Array {
  if (context === undefined) return new Uint8Array(0);
  let out: Uint8Array;
  if (typeof context === 'string') out = ENC.encode(context);
  else if (context instanceof Uint8Array) out = context;
  else throw new VaultError('OV_INVALID_ARGUMENT', { field: 'context' });
  if (out.length > MAX_CONTEXT) throw new VaultError('OV_ENVELOPE_CONTEXT', { max: MAX_CONTEXT });
  return out;
}

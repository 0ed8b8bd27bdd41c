/**
 * Sealing and opening envelopes (format v1, docs/format.md): HPKE base mode to the
 * recipient's KEM key, the header bound into both the HPKE info and the AEAD associated
 * data, an exporter-derived key commitment checked before decryption, and an optional
 * signature over the whole envelope.
 *
 * Opening has exactly one failure mode visible to callers, OV_ENVELOPE_OPEN, whatever
 * went wrong (malformed bytes, unknown suite, other key, other context, forged
 * commitment, AEAD tag, missing or bad required signature); only an oversized input is
 * reported apart (OV_ENVELOPE_TOO_LARGE), and it is checked before any work. Misuse
 * that does not depend on the envelope (a signature key passed as the decryption key,
 * an over-long context) keeps its own code. Shared secrets, derived keys and the
 * exporter secret are wiped in `finally` blocks on every path; the node:crypto KeyObject
 * copies of per-message keys cannot be wiped and are dropped with the call.
 * @module
 */
import { concatBytes, constantTimeEqual, wipe } from '../crypto/bytes.js';
import { sha512 } from '../crypto/kdf.js';
import type { CryptoProvider, Kem, SignatureName } from '../crypto/types.js';
import { VaultError, isVaultError } from '../errors.js';
import {
  COMMIT_LABEL,
  COMMIT_LENGTH,
  ENVELOPE_SIG_LABEL,
  INFO_LABEL,
  MAX_PLAINTEXT,
  algByName,
  checkMaxSize,
  checkOptions,
  contextBytes,
  decodeEnvelope,
  encodeHeaderPrefix,
  encodeSigPrefix,
  suiteById,
  suiteForKem,
  type ParsedEnvelope,
  type SuiteName,
  type SuiteSpec,
} from './format.js';
import { hpkeSuite, setupBaseR, setupBaseS, type HpkeSuite, type SenderContext } from './hpke.js';
import { deriveKeyId, type PublicKeyInfo, type SecretKeyInfo } from './keys.js';

export interface SealOptions {
  /** kind 'kem-public', alg X-Wing or ML-KEM-1024 (the suite follows the key). */
  readonly to: PublicKeyInfo;
  readonly plaintext: Uint8Array;
  /** <= 1024 bytes (strings are UTF-8), bound into the HPKE info and the AEAD AAD. */
  readonly context?: Uint8Array | string;
  /** kind 'sig-secret'. */
  readonly sign?: SecretKeyInfo;
}

export interface OpenOptions {
  /** Binary envelope (callers dearmor first). */
  readonly envelope: Uint8Array;
  /** kind 'kem-secret'. */
  readonly key: SecretKeyInfo;
  /** Must equal the sealed context (default empty). */
  readonly context?: Uint8Array | string;
  /** When given, a valid signature by one of these keys is required. */
  readonly verify?: PublicKeyInfo | readonly PublicKeyInfo[];
  /** Size cap in bytes, checked before any work (default DEFAULT_MAX_ENVELOPE). */
  readonly maxSize?: number;
}

export interface EnvelopeInfo {
  suite: SuiteName;
  keyId: Uint8Array;
  keyVersion: number;
  context: Uint8Array;
  signed: boolean;
  signer?: { alg: SignatureName; keyId: Uint8Array; keyVersion: number };
  size: number;
}

/** Hooks that make sealing deterministic for vectors (src/envelope/internal.ts only). */
export interface SealHooks {
  readonly setup?: (suite: HpkeSuite, pkR: Uint8Array, info: Uint8Array) => { enc: Uint8Array; ctx: SenderContext };
  readonly sign?: (alg: SignatureName, message: Uint8Array, secretKey: Uint8Array) => Uint8Array;
  /**
   * Replaces the key commitment written into the header (the AEAD then covers the
   * replaced value): builds the negative vector a reader that skips the check would open.
   */
  readonly commitment?: (computed: Uint8Array) => Uint8Array;
}

const SEAL_KEYS = ['to', 'plaintext', 'context', 'sign'] as const;
const OPEN_KEYS = ['envelope', 'key', 'context', 'verify', 'maxSize'] as const;

const suiteCache = new WeakMap<Kem, Map<number, HpkeSuite>>();

/** The HPKE suite of an envelope suite on this provider, built once per KEM object. */
export function hpkeSuiteFor(provider: CryptoProvider, spec: SuiteSpec): HpkeSuite {
  const kem = provider.kem(spec.kem);
  let perKem = suiteCache.get(kem);
  if (perKem === undefined) {
    perKem = new Map();
    suiteCache.set(kem, perKem);
  }
  let suite = perKem.get(spec.id);
  if (suite === undefined) {
    suite = hpkeSuite(kem, spec.kdfId, spec.aeadId);
    perKem.set(spec.id, suite);
  }
  return suite;
}

/** The bytes a signature signs: label || SHA-512(envelope bytes through the signer key version). */
export function envelopeSignatureMessage(...signedParts: Uint8Array[]): Uint8Array {
  return concatBytes(ENVELOPE_SIG_LABEL, sha512(...signedParts));
}

function u16(n: number): Uint8Array {
  return Uint8Array.of(n >>> 8, n & 0xff);
}

/** seal with optional deterministic hooks; see `seal`. */
export function sealWith(provider: CryptoProvider, opts: SealOptions, hooks: SealHooks = {}): Uint8Array {
  checkOptions(opts, SEAL_KEYS, 'seal');
  const { to, plaintext, sign } = opts;
  if (to?.kind !== 'kem-public') throw new VaultError('OV_KEY_INVALID', { field: 'to', reason: 'not a KEM public key' });
  const spec = suiteForKem(to.alg);
  if (spec === undefined) throw new VaultError('OV_ALGORITHM_UNSUPPORTED', { field: 'to', alg: to.alg });
  if (!(to.publicKey instanceof Uint8Array) || !constantTimeEqual(to.keyId, deriveKeyId(to.alg, to.publicKey))) {
    throw new VaultError('OV_KEY_INVALID', { field: 'to', reason: 'key id does not match the public key' });
  }
  if (!(plaintext instanceof Uint8Array)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'plaintext' });
  if (plaintext.length > MAX_PLAINTEXT) throw new VaultError('OV_ENVELOPE_TOO_LARGE', { max: MAX_PLAINTEXT });
  const context = contextBytes(opts.context);
  let sigAlg: SignatureName | undefined;
  if (sign !== undefined) {
    if (sign?.kind !== 'sig-secret' || algByName(sign.alg)?.family !== 'sig') {
      throw new VaultError('OV_KEY_INVALID', { field: 'sign', reason: 'not a signature secret key' });
    }
    sigAlg = sign.alg as SignatureName;
  }

  const prefix = encodeHeaderPrefix({ suite: spec, signed: sign !== undefined, keyId: to.keyId, keyVersion: to.keyVersion, context });
  const info = concatBytes(INFO_LABEL, prefix);
  const suite = hpkeSuiteFor(provider, spec);
  const { enc, ctx } = (hooks.setup ?? setupBaseS)(suite, to.publicKey, info);
  let commitment: Uint8Array | undefined;
  try {
    commitment = ctx.export(COMMIT_LABEL, COMMIT_LENGTH);
    const written = hooks.commitment === undefined ? commitment : hooks.commitment(commitment);
    const aad = concatBytes(prefix, enc, written);
    const ctOffset = aad.length + 4;
    const ctLength = plaintext.length + suite.aead.tagLength;
    // The AEAD encrypts straight into the envelope: no copy of the payload. Every byte of
    // the uninitialised buffer is written below before it is returned.
    const out = uninitialised(ctOffset + ctLength);
    out.set(aad, 0);
    new DataView(out.buffer, out.byteOffset, out.byteLength).setUint32(aad.length, ctLength);
    ctx.sealInto(aad, plaintext, out, ctOffset);
    if (sign === undefined || sigAlg === undefined) return out;
    const sigPrefix = encodeSigPrefix(sigAlg, sign.keyId, sign.keyVersion);
    const message = envelopeSignatureMessage(out, sigPrefix);
    const signature = (hooks.sign ?? ((alg, m, sk) => provider.signature(alg).sign(m, sk)))(sigAlg, message, sign.secretKey);
    return concatBytes(out, sigPrefix, u16(signature.length), signature);
  } finally {
    ctx.dispose();
    wipe(commitment);
  }
}

/**
 * A fresh array of `n` bytes that owns its whole ArrayBuffer, without the zero-fill
 * `new Uint8Array(n)` pays (about a third of a 1 MiB AES-GCM pass). Callers overwrite
 * every byte before the array leaves them.
 */
function uninitialised(n: number): Uint8Array {
  const b = Buffer.allocUnsafeSlow(n);
  return new Uint8Array(b.buffer, b.byteOffset, n);
}

/** Seals `plaintext` to `to`; optionally signs the envelope with `sign`. */
export function seal(provider: CryptoProvider, opts: SealOptions): Uint8Array {
  return sealWith(provider, opts);
}

function asList(verify: PublicKeyInfo | readonly PublicKeyInfo[]): readonly PublicKeyInfo[] {
  return Array.isArray(verify) ? (verify as readonly PublicKeyInfo[]) : [verify as PublicKeyInfo];
}

function checkSignature(provider: CryptoProvider, env: ParsedEnvelope, verify: readonly PublicKeyInfo[]): boolean {
  const sig = env.signature;
  if (sig === undefined) return false;
  const message = envelopeSignatureMessage(env.bytes.subarray(0, env.signedEnd));
  for (const k of verify) {
    if (k.alg !== sig.alg || k.keyVersion !== sig.keyVersion || !constantTimeEqual(k.keyId, sig.keyId)) continue;
    if (provider.signature(sig.alg).verify(sig.signature, message, k.publicKey)) return true;
  }
  return false;
}

/** Opens an envelope; every failure that depends on the envelope is OV_ENVELOPE_OPEN. */
export function open(provider: CryptoProvider, opts: OpenOptions): Uint8Array {
  checkOptions(opts, OPEN_KEYS, 'open');
  const { key } = opts;
  checkOpenKey(key);
  return openDecoded(provider, opts, () => key);
}

/** What `openWith` tells its key resolver about the envelope, before any key work. */
export interface EnvelopeHeader {
  readonly keyVersion: number;
  readonly keyId: Uint8Array;
  readonly signed: boolean;
}

export interface OpenWithOptions extends Omit<OpenOptions, 'key'> {
  /**
   * Picks the KEM secret key from the decoded header. What it throws is thrown as is, so
   * a caller can report a retired or missing key version in its own terms.
   */
  readonly key: (header: EnvelopeHeader) => SecretKeyInfo;
}

/**
 * `open` for callers that choose the key from the envelope's own header (a keyring with
 * several versions): the bytes are decoded once, and the same checks apply.
 */
export function openWith(provider: CryptoProvider, opts: OpenWithOptions): Uint8Array {
  checkOptions(opts, OPEN_KEYS, 'openWith');
  const resolve = opts.key;
  if (typeof resolve !== 'function') throw new VaultError('OV_INVALID_ARGUMENT', { field: 'key' });
  return openDecoded(provider, opts, (header) => {
    const key = resolve(header);
    checkOpenKey(key);
    return key;
  });
}

function checkOpenKey(key: SecretKeyInfo | undefined): void {
  if (key?.kind !== 'kem-secret' || suiteForKem(key.alg) === undefined) {
    throw new VaultError('OV_KEY_INVALID', { field: 'key', reason: 'not an envelope KEM secret key' });
  }
}

/** Thrown by a key resolver: leaves `openDecoded` as the resolver's own error. */
class ResolverError extends Error {
  constructor(readonly inner: unknown) {
    super('key resolver failed');
  }
}

function openDecoded(provider: CryptoProvider, opts: Omit<OpenOptions, 'key'>, keyFor: (header: EnvelopeHeader) => SecretKeyInfo): Uint8Array {
  const { envelope } = opts;
  if (!(envelope instanceof Uint8Array)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'envelope' });
  const maxSize = checkMaxSize(opts.maxSize);
  if (envelope.length > maxSize) throw new VaultError('OV_ENVELOPE_TOO_LARGE', { max: maxSize });
  const context = contextBytes(opts.context);
  const verify = opts.verify === undefined ? undefined : asList(opts.verify);
  if (verify?.some((k) => k?.kind !== 'sig-public')) {
    throw new VaultError('OV_KEY_INVALID', { field: 'verify', reason: 'not a signature public key' });
  }

  let ctx: ReturnType<typeof setupBaseR> | undefined;
  let commitment: Uint8Array | undefined;
  try {
    const env = decodeEnvelope(envelope, maxSize);
    let key: SecretKeyInfo;
    try {
      key = keyFor({ keyVersion: env.keyVersion, keyId: env.keyId, signed: env.signed });
    } catch (e) {
      throw new ResolverError(e);
    }
    const spec = env.suite;
    if (spec.kem !== key.alg || env.keyVersion !== key.keyVersion || !constantTimeEqual(env.keyId, key.keyId)) {
      throw new VaultError('OV_ENVELOPE_OPEN');
    }
    if (!constantTimeEqual(env.context, context)) throw new VaultError('OV_ENVELOPE_OPEN');
    // Authenticity before any decryption work: a forged envelope never reaches the KEM.
    if (verify !== undefined && !checkSignature(provider, env, verify)) throw new VaultError('OV_ENVELOPE_OPEN');
    const bytes = env.bytes;
    const info = concatBytes(INFO_LABEL, bytes.subarray(0, env.infoEnd));
    ctx = setupBaseR(hpkeSuiteFor(provider, spec), env.enc, key.secretKey, info);
    commitment = ctx.export(COMMIT_LABEL, COMMIT_LENGTH);
    // Key commitment before the AEAD: a ciphertext crafted to open under two keys
    // (AES-GCM is not key-committing) is rejected here.
    if (!constantTimeEqual(commitment, env.commitment)) throw new VaultError('OV_ENVELOPE_OPEN');
    return ctx.open(bytes.subarray(0, env.aadEnd), env.ciphertext);
  } catch (e) {
    if (e instanceof ResolverError) throw e.inner;
    // Oversize is the only failure reported apart; everything else is the one error, without cause.
    if (isVaultError(e, 'OV_ENVELOPE_TOO_LARGE')) throw e;
    throw new VaultError('OV_ENVELOPE_OPEN');
  } finally {
    ctx?.dispose();
    wipe(commitment);
  }
}

/** Parses the header and signature block without any key; OV_ENVELOPE_OPEN when malformed. */
export function inspect(envelope: Uint8Array, opts: { maxSize?: number } = {}): EnvelopeInfo {
  checkOptions(opts, ['maxSize'], 'inspect');
  const maxSize = checkMaxSize(opts.maxSize);
  const env = decodeEnvelope(envelope, maxSize);
  const suite = suiteById(env.suite.id);
  if (suite === undefined) throw new VaultError('OV_ENVELOPE_OPEN');
  const info: EnvelopeInfo = {
    suite: suite.name,
    keyId: env.keyId.slice(),
    keyVersion: env.keyVersion,
    context: env.context.slice(),
    signed: env.signed,
    size: envelope.length,
  };
  if (env.signature !== undefined) {
    info.signer = { alg: env.signature.alg, keyId: env.signature.keyId.slice(), keyVersion: env.signature.keyVersion };
  }
  return info;
}

/**
 * Generic HPKE base mode: RFC 9180 as restated by draft-ietf-hpke-hpke (two-stage HKDF
 * KDFs and the one-stage SHAKE / TurboSHAKE KDFs), with the post-quantum KEMs of
 * draft-ietf-hpke-pq (ML-KEM-768 0x0041, ML-KEM-1024 0x0042, X-Wing 0x647a).
 *
 * Only base mode is implemented: the envelope authenticates senders with signatures, and
 * the PQ KEMs have no AuthEncap. Contexts are role-specific (a sender context cannot open,
 * a recipient context cannot seal) and own their nonce sequence, so no caller ever
 * supplies a nonce. Checked against hpkewg/hpke-pq test vectors in test/hpke.test.ts.
 * @module
 */
import type { KeyObject } from 'node:crypto';
import { aeadById, aeadOpenWith, aeadSealInto, transientAeadKey } from '../crypto/aead.js';
import { concatBytes, wipe } from '../crypto/bytes.js';
import {
  shake128,
  shake256,
  turboshake128,
  transientHkdfExpander,
  transientHkdfExtract,
  turboshake256,
  type HashName,
} from '../crypto/kdf.js';
import type { Aead, Encapsulation, Kem, KeyPair } from '../crypto/types.js';
import { VaultError } from '../errors.js';

const ENC = new TextEncoder();
// Also the version label of the one-stage LabeledDerive: a revision of draft-ietf-hpke-hpke
// prints "HPKE_v1" there, but the published hpke-pq vectors only verify with "HPKE-v1".
const HPKE_V1 = ENC.encode('HPKE-v1');
const EMPTY = new Uint8Array(0);
const MODE_BASE = 0x00;

/** HPKE KDF identifiers this module implements. */
export const KDF_ID = {
  'HKDF-SHA256': 0x0001,
  'HKDF-SHA384': 0x0002,
  'HKDF-SHA512': 0x0003,
  SHAKE128: 0x0010,
  SHAKE256: 0x0011,
  TurboSHAKE128: 0x0012,
  TurboSHAKE256: 0x0013,
} as const;

/** HPKE AEAD identifiers (the AEADs themselves live in src/crypto/aead.ts). */
export const AEAD_ID = { 'AES-128-GCM': 0x0001, 'AES-256-GCM': 0x0002, 'ChaCha20-Poly1305': 0x0003 } as const;

function u16(n: number): Uint8Array {
  return Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
}

function lengthPrefixed(x: Uint8Array): Uint8Array[] {
  if (x.length > 0xffff) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'hpke input', max: 0xffff });
  return [u16(x.length), x];
}

interface KdfBase {
  readonly id: number;
  /** Security strength / output size in bytes. */
  readonly Nh: number;
}

/** RFC 9180 Extract/Expand KDF. */
export interface TwoStageKdf extends KdfBase {
  readonly oneStage: false;
  labeledExtract(suiteId: Uint8Array, salt: Uint8Array, label: Uint8Array, ikm: Uint8Array): Uint8Array;
  labeledExpand(suiteId: Uint8Array, prk: Uint8Array, label: Uint8Array, info: Uint8Array, L: number): Uint8Array;
  /** LabeledExpand bound to one PRK (the HMAC key schedule is set up once). */
  labeledExpander(suiteId: Uint8Array, prk: Uint8Array): LabeledExpander;
}

export interface LabeledExpander {
  expand(label: Uint8Array, info: Uint8Array, L: number): Uint8Array;
  dispose(): void;
}

/** draft-ietf-hpke-hpke one-stage KDF built on an extendable-output function. */
export interface OneStageKdf extends KdfBase {
  readonly oneStage: true;
  labeledDerive(suiteId: Uint8Array, ikm: Uint8Array, label: Uint8Array, context: Uint8Array, L: number): Uint8Array;
}

export type HpkeKdf = TwoStageKdf | OneStageKdf;

function twoStage(id: number, hash: HashName, Nh: number): TwoStageKdf {
  return {
    id,
    Nh,
    oneStage: false,
    // Every HPKE secret lives for one message: the transient (KeyObject) HKDF route.
    labeledExtract: (suiteId, salt, label, ikm) => transientHkdfExtract(hash, salt, HPKE_V1, suiteId, label, ikm),
    labeledExpand: (suiteId, prk, label, info, L) => {
      const x = transientHkdfExpander(hash, prk);
      try {
        return x.expand([u16(L), HPKE_V1, suiteId, label, info], L);
      } finally {
        x.dispose();
      }
    },
    labeledExpander: (suiteId, prk) => {
      const x = transientHkdfExpander(hash, prk);
      return {
        expand: (label, info, L) => x.expand([u16(L), HPKE_V1, suiteId, label, info], L),
        dispose: () => x.dispose(),
      };
    },
  };
}

function oneStage(id: number, Nh: number, derive: (L: number, parts: Uint8Array[]) => Uint8Array): OneStageKdf {
  return {
    id,
    Nh,
    oneStage: true,
    labeledDerive: (suiteId, ikm, label, context, L) =>
      derive(L, [ikm, HPKE_V1, suiteId, ...lengthPrefixed(label), u16(L), context]),
  };
}

const KDFS: ReadonlyMap<number, HpkeKdf> = new Map<number, HpkeKdf>([
  [0x0001, twoStage(0x0001, 'SHA-256', 32)],
  [0x0002, twoStage(0x0002, 'SHA-384', 48)],
  [0x0003, twoStage(0x0003, 'SHA-512', 64)],
  [0x0010, oneStage(0x0010, 32, (L, p) => shake128(L, ...p))],
  [0x0011, oneStage(0x0011, 64, (L, p) => shake256(L, ...p))],
  [0x0012, oneStage(0x0012, 32, (L, p) => turboshake128(L, p))],
  [0x0013, oneStage(0x0013, 64, (L, p) => turboshake256(L, p))],
]);

/** The KDF with HPKE identifier `id`; OV_ALGORITHM_UNSUPPORTED otherwise. */
export function kdfById(id: number): HpkeKdf {
  const kdf = KDFS.get(id);
  if (kdf === undefined) throw new VaultError('OV_ALGORITHM_UNSUPPORTED', { kdf: id });
  return kdf;
}

/** A concrete (KEM, KDF, AEAD) triple with its precomputed suite_id. */
export interface HpkeSuite {
  readonly kem: Kem;
  readonly kdf: HpkeKdf;
  readonly aead: Aead;
  /** "HPKE" || kem_id || kdf_id || aead_id */
  readonly suiteId: Uint8Array;
  /** LabeledExtract("", "psk_id_hash", "") never changes for base mode: cached per suite. */
  readonly pskIdHash: Uint8Array | undefined;
}

const LABEL = {
  pskIdHash: ENC.encode('psk_id_hash'),
  infoHash: ENC.encode('info_hash'),
  secret: ENC.encode('secret'),
  key: ENC.encode('key'),
  baseNonce: ENC.encode('base_nonce'),
  exp: ENC.encode('exp'),
  sec: ENC.encode('sec'),
  deriveKeyPair: ENC.encode('DeriveKeyPair'),
};

export function hpkeSuite(kem: Kem, kdfId: number, aeadId: number): HpkeSuite {
  const kdf = kdfById(kdfId);
  const aead = aeadById(aeadId);
  const suiteId = concatBytes(ENC.encode('HPKE'), u16(kem.hpkeId), u16(kdf.id), u16(aead.hpkeId));
  const pskIdHash = kdf.oneStage ? undefined : kdf.labeledExtract(suiteId, EMPTY, LABEL.pskIdHash, EMPTY);
  return { kem, kdf, aead, suiteId, pskIdHash };
}

/**
 * DeriveKeyPair for the draft-ietf-hpke-pq KEMs: the KEM's seed-form secret key (Nsk bytes:
 * 64 for ML-KEM, 32 for X-Wing) is LabeledDerive over SHAKE256 with suite_id "KEM" ||
 * kem_id and label "DeriveKeyPair", then the KEM's own key generation from that seed.
 */
export function deriveKeyPair(kem: Kem, ikm: Uint8Array): KeyPair {
  const suiteId = concatBytes(ENC.encode('KEM'), u16(kem.hpkeId));
  const shake = kdfById(KDF_ID.SHAKE256) as OneStageKdf;
  const seed = shake.labeledDerive(suiteId, ikm, LABEL.deriveKeyPair, EMPTY, kem.lengths.secretKey);
  try {
    return kem.keygen(seed);
  } finally {
    wipe(seed);
  }
}

export interface Schedule {
  key: Uint8Array;
  baseNonce: Uint8Array;
  exporterSecret: Uint8Array;
}

/**
 * The base-mode key schedule (KeySchedule<ROLE> without the context object). Exported for
 * known-answer tests of key, base_nonce and exporter_secret; protocol code uses contexts.
 */
export function keySchedule(suite: HpkeSuite, sharedSecret: Uint8Array, info: Uint8Array): Schedule {
  const { kdf, aead, suiteId } = suite;
  const Nk = aead.keyLength;
  const Nn = aead.nonceLength;
  if (kdf.oneStage) {
    // secrets = lengthPrefixed(psk = "") || lengthPrefixed(shared_secret)
    const secrets = concatBytes(u16(0), ...lengthPrefixed(sharedSecret));
    const context = concatBytes(Uint8Array.of(MODE_BASE), u16(0), ...lengthPrefixed(info));
    const secret = kdf.labeledDerive(suiteId, secrets, LABEL.secret, context, Nk + Nn + kdf.Nh);
    wipe(secrets);
    // Copies, so wiping one part never aliases another.
    const out = {
      key: secret.slice(0, Nk),
      baseNonce: secret.slice(Nk, Nk + Nn),
      exporterSecret: secret.slice(Nk + Nn),
    };
    wipe(secret);
    return out;
  }
  const pskIdHash = suite.pskIdHash ?? kdf.labeledExtract(suiteId, EMPTY, LABEL.pskIdHash, EMPTY);
  const infoHash = kdf.labeledExtract(suiteId, EMPTY, LABEL.infoHash, info);
  const ksc = concatBytes(Uint8Array.of(MODE_BASE), pskIdHash, infoHash);
  const secret = kdf.labeledExtract(suiteId, sharedSecret, LABEL.secret, EMPTY);
  const x = kdf.labeledExpander(suiteId, secret);
  try {
    return {
      key: x.expand(LABEL.key, ksc, Nk),
      baseNonce: x.expand(LABEL.baseNonce, ksc, Nn),
      exporterSecret: x.expand(LABEL.exp, ksc, kdf.Nh),
    };
  } finally {
    x.dispose();
    wipe(secret);
  }
}

/** Shared state of an HPKE context: AEAD key, base nonce, sequence number, exporter. */
abstract class HpkeContext {
  readonly #suite: HpkeSuite;
  readonly #key: Uint8Array;
  readonly #baseNonce: Uint8Array;
  readonly #exporterSecret: Uint8Array;
  /** The AEAD key as a KeyObject, made on first use; it lives as long as this context. */
  #aeadKey: KeyObject | undefined;
  #seq = 0;
  #disposed = false;

  constructor(suite: HpkeSuite, schedule: Schedule) {
    this.#suite = suite;
    this.#key = schedule.key;
    this.#baseNonce = schedule.baseNonce;
    this.#exporterSecret = schedule.exporterSecret;
  }

  /** The sequence number the next seal/open will use. */
  get seq(): number {
    return this.#seq;
  }

  protected live(): void {
    if (this.#disposed) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'hpke context', reason: 'disposed' });
  }

  /** nonce = base_nonce XOR I2OSP(seq, Nn); seq is kept below 2^53, far short of 2^96. */
  protected nonce(): Uint8Array {
    this.live();
    if (this.#seq >= Number.MAX_SAFE_INTEGER) {
      throw new VaultError('OV_INVALID_ARGUMENT', { field: 'hpke context', reason: 'message limit reached' });
    }
    const n = this.#baseNonce.slice();
    let s = this.#seq;
    for (let i = n.length - 1; s > 0 && i >= 0; i--) {
      n[i] = (n[i] ?? 0) ^ (s % 256);
      s = Math.floor(s / 256);
    }
    return n;
  }

  protected get suite(): HpkeSuite {
    return this.#suite;
  }

  protected get aeadKey(): KeyObject {
    this.live();
    this.#aeadKey ??= transientAeadKey(this.#suite.aead, this.#key);
    return this.#aeadKey;
  }

  protected increment(): void {
    this.#seq++;
  }

  /** Context.Export(exporter_context, L). */
  export(exporterContext: Uint8Array, L: number): Uint8Array {
    this.live();
    const { kdf, suiteId } = this.#suite;
    if (!Number.isInteger(L) || L < 1 || L > (kdf.oneStage ? 0xffff : 255 * kdf.Nh)) {
      throw new VaultError('OV_INVALID_ARGUMENT', { field: 'export length' });
    }
    return kdf.oneStage
      ? kdf.labeledDerive(suiteId, this.#exporterSecret, LABEL.sec, exporterContext, L)
      : kdf.labeledExpand(suiteId, this.#exporterSecret, LABEL.sec, exporterContext, L);
  }

  /** Wipes the key, nonce and exporter secret; the context is unusable afterwards. */
  dispose(): void {
    wipe(this.#key, this.#baseNonce, this.#exporterSecret);
    this.#aeadKey = undefined;
    this.#disposed = true;
  }
}

/** ContextS: seals messages in sequence. */
export class SenderContext extends HpkeContext {
  seal(aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    const out = new Uint8Array(plaintext.length + this.suite.aead.tagLength);
    this.sealInto(aad, plaintext, out, 0);
    return out;
  }

  /** Seal writing ciphertext || tag into `out` at `offset` (plaintext.length + Nt bytes). */
  sealInto(aad: Uint8Array, plaintext: Uint8Array, out: Uint8Array, offset: number): void {
    const nonce = this.nonce();
    aeadSealInto(this.suite.aead, this.aeadKey, nonce, aad, plaintext, out, offset);
    this.increment();
  }
}

/** ContextR: opens messages in sequence; a failed open does not advance the sequence. */
export class RecipientContext extends HpkeContext {
  open(aad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    const nonce = this.nonce();
    const pt = aeadOpenWith(this.suite.aead, this.aeadKey, nonce, aad, ciphertext);
    this.increment();
    return pt;
  }
}

function checkPublicKey(kem: Kem, pkR: Uint8Array): void {
  if (pkR.length !== kem.lengths.publicKey) throw new VaultError('OV_KEY_INVALID', { alg: kem.name });
}

function senderFrom(suite: HpkeSuite, e: Encapsulation, info: Uint8Array): { enc: Uint8Array; ctx: SenderContext } {
  try {
    return { enc: e.cipherText, ctx: new SenderContext(suite, keySchedule(suite, e.sharedSecret, info)) };
  } finally {
    wipe(e.sharedSecret);
  }
}

/** SetupBaseS(pkR, info) with fresh KEM randomness. */
export function setupBaseS(suite: HpkeSuite, pkR: Uint8Array, info: Uint8Array): { enc: Uint8Array; ctx: SenderContext } {
  checkPublicKey(suite.kem, pkR);
  return senderFrom(suite, suite.kem.encapsulate(pkR), info);
}

/**
 * SetupBaseS with injected encapsulation randomness (`ikmE`: 32 bytes for ML-KEM, 64 for
 * X-Wing). For known-answer tests and vector generation only; it throws
 * OV_ALGORITHM_UNSUPPORTED where the KEM cannot take injected randomness (native ML-KEM).
 */
export function setupBaseSDerand(
  suite: HpkeSuite,
  pkR: Uint8Array,
  info: Uint8Array,
  ikmE: Uint8Array,
): { enc: Uint8Array; ctx: SenderContext } {
  checkPublicKey(suite.kem, pkR);
  const derand = suite.kem.encapsulateDerand;
  if (derand === undefined) throw new VaultError('OV_ALGORITHM_UNSUPPORTED', { kem: suite.kem.name, op: 'derand' });
  return senderFrom(suite, derand(pkR, ikmE), info);
}

/**
 * SetupBaseR(enc, skR, info). `enc` must have the KEM's exact ciphertext length; a wrong
 * length throws OV_ENVELOPE_OPEN (ML-KEM's implicit rejection covers everything else).
 */
export function setupBaseR(suite: HpkeSuite, enc: Uint8Array, skR: Uint8Array, info: Uint8Array): RecipientContext {
  const { kem } = suite;
  if (enc.length !== kem.lengths.cipherText || skR.length !== kem.lengths.secretKey) {
    throw new VaultError('OV_ENVELOPE_OPEN');
  }
  const ss = kem.decapsulate(enc, skR);
  try {
    return new RecipientContext(suite, keySchedule(suite, ss, info));
  } finally {
    wipe(ss);
  }
}

/** Single-shot SealBase(pkR, info, aad, pt). */
export function sealBase(
  suite: HpkeSuite,
  pkR: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  plaintext: Uint8Array,
): { enc: Uint8Array; ciphertext: Uint8Array } {
  const { enc, ctx } = setupBaseS(suite, pkR, info);
  try {
    return { enc, ciphertext: ctx.seal(aad, plaintext) };
  } finally {
    ctx.dispose();
  }
}

/** Single-shot OpenBase(enc, skR, info, aad, ct); every failure is OV_ENVELOPE_OPEN. */
export function openBase(
  suite: HpkeSuite,
  enc: Uint8Array,
  skR: Uint8Array,
  info: Uint8Array,
  aad: Uint8Array,
  ciphertext: Uint8Array,
): Uint8Array {
  const ctx = setupBaseR(suite, enc, skR, info);
  try {
    return ctx.open(aad, ciphertext);
  } finally {
    ctx.dispose();
  }
}

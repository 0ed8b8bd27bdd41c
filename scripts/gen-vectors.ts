/**
 * Generates the project's known-answer vectors (vectors/*.json; see vectors/README.md):
 * key files, envelopes, detached signatures and armor, each case testing one outcome.
 *
 *   node dist/scripts/gen-vectors.js           writes vectors/*.json
 *   node dist/scripts/gen-vectors.js --check   regenerates in memory; exit 1 if any byte differs
 *
 * Everything is derived from explicit seeds, SHAKE256("ontoref-vault/vectors/v1/" ||
 * name), recorded next to what they produce: key generation seeds, the HPKE encapsulation
 * seed (ikmE), and the seed of Falcon's signing DRBG; ML-DSA signs in its FIPS 204
 * deterministic variant. The output is therefore byte-for-byte reproducible. Generation
 * uses the noble provider because only it accepts injected KEM randomness.
 * @module
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shake256 } from '../src/crypto/kdf.js';
import { getProvider } from '../src/crypto/provider.js';
import type { CryptoProvider } from '../src/crypto/types.js';
import { isVaultError } from '../src/errors.js';
import { armor, type ArmorLabel } from '../src/envelope/armor.js';
import { concatBytes } from '../src/crypto/bytes.js';
import { hpkeSuiteFor, open } from '../src/envelope/envelope.js';
import { COMMIT_LABEL, COMMIT_LENGTH, INFO_LABEL } from '../src/envelope/format.js';
import { setupBaseR } from '../src/envelope/hpke.js';
import { decodeEnvelope, encodeEnvelope, keyFromSeed, sealDeterministic, signDetachedDeterministic } from '../src/envelope/internal.js';
import { encodeKey, publicKeyOf, type KeyAlg, type SecretKeyInfo } from '../src/envelope/keys.js';
import { verifyDetached } from '../src/envelope/signature.js';
import { ciphertextContext, encodeValue } from '../src/transit/format.js';

const te = new TextEncoder();
const hex = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');

/** The seed named `name`: SHAKE256 of a fixed label, so every seed is explicit and reproducible. */
export function vectorSeed(name: string, length: number): Uint8Array {
  return shake256(length, te.encode(`ontoref-vault/vectors/v1/${name}`));
}

// ---------------------------------------------------------------------------------------
// keys
// ---------------------------------------------------------------------------------------

interface KeySpec {
  readonly name: string;
  readonly alg: KeyAlg;
  readonly keyVersion: number;
  readonly seedLength: number;
  /** Seed of another key (same key bytes, different metadata). */
  readonly seedOf?: string;
}

const KEY_SPECS: readonly KeySpec[] = [
  { name: 'xwing', alg: 'X-Wing', keyVersion: 1, seedLength: 32 },
  { name: 'xwing-other', alg: 'X-Wing', keyVersion: 1, seedLength: 32 },
  { name: 'xwing-v3', alg: 'X-Wing', keyVersion: 3, seedLength: 32 },
  { name: 'xwing-v3-as-v1', alg: 'X-Wing', keyVersion: 1, seedLength: 32, seedOf: 'xwing-v3' },
  { name: 'mlkem768', alg: 'ML-KEM-768', keyVersion: 1, seedLength: 64 },
  { name: 'mlkem1024', alg: 'ML-KEM-1024', keyVersion: 1, seedLength: 64 },
  { name: 'mldsa65', alg: 'ML-DSA-65', keyVersion: 1, seedLength: 32 },
  { name: 'mldsa65-other', alg: 'ML-DSA-65', keyVersion: 1, seedLength: 32 },
  { name: 'mldsa87', alg: 'ML-DSA-87', keyVersion: 2, seedLength: 32 },
  { name: 'falcon512', alg: 'Falcon-512-r3', keyVersion: 1, seedLength: 48 },
  { name: 'falcon512-other', alg: 'Falcon-512-r3', keyVersion: 1, seedLength: 48 },
  { name: 'falcon1024', alg: 'Falcon-1024-r3', keyVersion: 1, seedLength: 48 },
];

function keySeed(k: KeySpec): Uint8Array {
  return vectorSeed(`key/${k.seedOf ?? k.name}`, k.seedLength);
}

function makeKeys(p: CryptoProvider): Map<string, SecretKeyInfo> {
  return new Map(KEY_SPECS.map((k) => [k.name, keyFromSeed(p, k.alg, keySeed(k), k.keyVersion)]));
}

function keyVectors(keys: Map<string, SecretKeyInfo>): object {
  const get = (n: string): SecretKeyInfo => keys.get(n) ?? fail(`no key ${n}`);
  const cases: object[] = KEY_SPECS.map((k) => {
    const sk = get(k.name);
    return {
      name: k.name,
      comment: `${k.alg} key version ${k.keyVersion}; Falcon seeds reproduce keys only within noble, the key file is authoritative`,
      alg: k.alg,
      keyVersion: k.keyVersion,
      seed: hex(keySeed(k)),
      keyId: hex(sk.keyId),
      secretKeyFile: hex(encodeKey(sk)),
      publicKeyFile: hex(encodeKey(publicKeyOf(sk))),
      expect: 'ok',
    };
  });
  const base = encodeKey(get('xwing'));
  const mut = (f: (b: Uint8Array) => void, b0 = base): string => {
    const b = b0.slice();
    f(b);
    return hex(b);
  };
  const frankenstein = encodeKey({ ...get('xwing'), secretKey: get('xwing-other').secretKey });
  const falconFrankenstein = encodeKey({ ...get('falcon512'), secretKey: get('falcon512-other').secretKey });
  const bad: [string, string, string][] = [
    ['truncated', 'secret key file missing its last byte', hex(base.subarray(0, base.length - 1))],
    ['trailing-byte', 'one byte appended', hex(Uint8Array.from([...base, 0]))],
    ['bad-magic', 'magic "XRVK"', mut((b) => (b[0] = 0x58))],
    ['unknown-version', 'format version 2', mut((b) => (b[4] = 2))],
    ['unknown-kind', 'kind byte 9', mut((b) => (b[5] = 9))],
    ['kind-family-mismatch', 'X-Wing key labelled as a signature secret key', mut((b) => (b[5] = 4))],
    ['unknown-alg', 'algorithm id 0x7777', mut((b) => ((b[6] = 0x77), (b[7] = 0x77)))],
    ['key-version-zero', 'key version 0', mut((b) => b.fill(0, 8, 12))],
    ['key-id-mismatch', 'first key id byte flipped', mut((b) => (b[12] = (b[12] ?? 0) ^ 0x01))],
    ['public-key-length', 'public key length field one larger', mut((b) => (b[29] = (b[29] ?? 0) + 1))],
    ['secret-not-matching-public', 'secret key of xwing-other stored with the public key of xwing', hex(frankenstein)],
    [
      'falcon-secret-not-matching-public',
      'Falcon-512 secret key of falcon512-other stored with the public key (and key id) of falcon512: the public key h = g / f mod q re-derived from the secret key differs',
      hex(falconFrankenstein),
    ],
  ];
  for (const [name, comment, file] of bad) cases.push({ name, comment, secretKeyFile: file, expect: 'OV_KEY_INVALID' });
  return {
    description: 'ontoref-vault key files (docs/format.md, "Key files"): decode each file; "ok" cases must decode to the listed key and re-encode identically',
    generator: 'scripts/gen-vectors.ts',
    cases,
  };
}

// ---------------------------------------------------------------------------------------
// envelopes
// ---------------------------------------------------------------------------------------

interface SealCase {
  readonly name: string;
  readonly comment: string;
  readonly recipient: string;
  readonly plaintext: Uint8Array;
  readonly context: Uint8Array;
  readonly signer?: string;
}

const SEAL_CASES: readonly SealCase[] = [
  { name: 'xwing-basic', comment: 'X-Wing suite, unsigned, empty context', recipient: 'xwing', plaintext: te.encode('hello, vault'), context: new Uint8Array(0) },
  { name: 'xwing-empty-plaintext', comment: 'empty plaintext (the ciphertext is the 16-byte tag)', recipient: 'xwing', plaintext: new Uint8Array(0), context: te.encode('secret/empty') },
  { name: 'xwing-context', comment: 'context bound into info and AAD', recipient: 'xwing', plaintext: te.encode('db-password=hunter2'), context: te.encode('secret/app/db#v1') },
  { name: 'xwing-key-version-3', comment: 'recipient key version 3 in the header', recipient: 'xwing-v3', plaintext: te.encode('rotated'), context: te.encode('k') },
  { name: 'xwing-mldsa65', comment: 'signed with ML-DSA-65 (deterministic variant)', recipient: 'xwing', plaintext: te.encode('signed secret'), context: te.encode('secret/app/api#v7'), signer: 'mldsa65' },
  { name: 'xwing-mldsa87', comment: 'signed with ML-DSA-87, signer key version 2', recipient: 'xwing', plaintext: te.encode('signed secret'), context: te.encode('secret/app/api#v7'), signer: 'mldsa87' },
  { name: 'xwing-falcon512', comment: 'signed with round-3 Falcon-512 (seeded DRBG)', recipient: 'xwing', plaintext: te.encode('falcon signed'), context: te.encode('validators/eth/0'), signer: 'falcon512' },
  { name: 'xwing-falcon1024', comment: 'signed with round-3 Falcon-1024 (seeded DRBG)', recipient: 'xwing', plaintext: te.encode('falcon signed'), context: te.encode('validators/eth/0'), signer: 'falcon1024' },
  { name: 'mlkem1024-basic', comment: 'ML-KEM-1024 / HKDF-SHA384 suite, unsigned', recipient: 'mlkem1024', plaintext: te.encode('category 5'), context: te.encode('c5') },
  { name: 'mlkem1024-mldsa87', comment: 'ML-KEM-1024 suite signed with ML-DSA-87', recipient: 'mlkem1024', plaintext: Uint8Array.from({ length: 300 }, (_, i) => i & 0xff), context: new Uint8Array(0), signer: 'mldsa87' },
];

function encapSeedLength(alg: KeyAlg): number {
  return alg === 'X-Wing' ? 64 : 32;
}

function sealCase(p: CryptoProvider, keys: Map<string, SecretKeyInfo>, c: SealCase): { envelope: Uint8Array; record: object } {
  const recipient = keys.get(c.recipient) ?? fail(`no key ${c.recipient}`);
  const signer = c.signer === undefined ? undefined : (keys.get(c.signer) ?? fail(`no key ${c.signer}`));
  const encapSeed = vectorSeed(`encap/${c.name}`, encapSeedLength(recipient.alg));
  const falconSeed = vectorSeed(`falcon/${c.name}`, 48);
  const envelope = sealDeterministic(p, {
    to: publicKeyOf(recipient),
    plaintext: c.plaintext,
    context: c.context,
    ...(signer === undefined ? {} : { sign: signer }),
    encapSeed,
    falconSeed,
  });
  const record = {
    name: c.name,
    comment: c.comment,
    key: c.recipient,
    context: hex(c.context),
    ...(c.signer === undefined ? {} : { verify: [c.signer] }),
    envelope: hex(envelope),
    expect: 'ok',
    plaintext: hex(c.plaintext),
    seal: {
      signer: c.signer ?? null,
      encapSeed: hex(encapSeed),
      ...(signer?.alg.startsWith('Falcon') === true ? { falconSeed: hex(falconSeed) } : {}),
    },
  };
  return { envelope, record };
}

interface NegativeCase {
  readonly name: string;
  readonly comment: string;
  readonly envelope: Uint8Array;
  readonly key: string;
  readonly context: Uint8Array;
  readonly verify?: readonly string[];
  /** Write `verify: []` (an empty trusted set) instead of leaving `verify` out. */
  readonly emptyTrust?: boolean;
  readonly maxSize?: number;
  readonly expect: 'OV_ENVELOPE_OPEN' | 'OV_ENVELOPE_TOO_LARGE';
}

function envelopeVectors(p: CryptoProvider, keys: Map<string, SecretKeyInfo>): object {
  const cases: object[] = [];
  const sealed = new Map<string, Uint8Array>();
  for (const c of SEAL_CASES) {
    const { envelope, record } = sealCase(p, keys, c);
    sealed.set(c.name, envelope);
    cases.push(record);
  }
  const get = (n: string): Uint8Array => sealed.get(n) ?? fail(`no envelope ${n}`);
  const ctx = te.encode('secret/app/api#v7');
  const base = get('xwing-mldsa65');
  const parsed = decodeEnvelope(base);
  const negatives: NegativeCase[] = [];
  const neg = (name: string, comment: string, envelope: Uint8Array, over: Partial<NegativeCase> = {}): void => {
    negatives.push({ name, comment, envelope, key: 'xwing', context: ctx, verify: ['mldsa65'], expect: 'OV_ENVELOPE_OPEN', ...over });
  };
  const flip = (offset: number, src = base): Uint8Array => {
    const b = src.slice();
    b[offset] = (b[offset] ?? 0) ^ 0x01;
    return b;
  };
  const set = (offset: number, values: number[], src = base): Uint8Array => {
    const b = src.slice();
    b.set(values, offset);
    return b;
  };
  // One flipped bit in each region. Header and payload regions are flipped in an unsigned
  // envelope, so the parser, the key commitment and the AEAD are what catch them; the
  // signature block regions (and the signed parts) in a signed envelope opened with a
  // required signature.
  const plain = get('xwing-context');
  const pp = decodeEnvelope(plain);
  const plainCtx = pp.context.slice();
  const headerRegions: [string, number][] = [
    ['magic', 0],
    ['version', 4],
    ['suite', 6],
    ['flags', 7],
    ['key-id', 8],
    ['key-version', 27],
    ['context-length', 29],
    ['context', 30],
    ['enc', pp.infoEnd + 500],
    ['commitment', pp.aadEnd - 1],
    ['ciphertext-length', pp.aadEnd + 3],
    ['ciphertext', pp.aadEnd + 4],
    ['aead-tag', plain.length - 1],
  ];
  for (const [region, offset] of headerRegions) {
    neg(`flip-${region}`, `unsigned envelope, one bit flipped in the ${region.replaceAll('-', ' ')} (offset ${offset})`, flip(offset, plain), {
      context: plainCtx,
      verify: [],
    });
  }
  const sigStart = parsed.aadEnd + 4 + parsed.ciphertext.length;
  const sigLenStart = parsed.signedEnd;
  const signedRegions: [string, number][] = [
    ['flags', 7],
    ['commitment', parsed.aadEnd - 1],
    ['ciphertext', parsed.aadEnd + 4],
    ['signature-alg', sigStart + 1],
    ['signer-key-id', sigStart + 2],
    ['signer-key-version', sigStart + 21],
    ['signature-length', sigLenStart + 1],
    ['signature', sigLenStart + 2 + 1000],
    ['signature-last-byte', base.length - 1],
  ];
  for (const [region, offset] of signedRegions) {
    neg(`signed-flip-${region}`, `ML-DSA-65 signed envelope, signature required, one bit flipped in the ${region.replaceAll('-', ' ')} (offset ${offset})`, flip(offset));
  }
  neg('signed-flip-ciphertext-unverified', 'signed envelope opened without requiring a signature, ciphertext bit flipped (the AEAD catches it)', flip(parsed.aadEnd + 4), {
    verify: [],
  });
  neg('truncated-last-byte', 'last byte removed', base.subarray(0, base.length - 1));
  neg('truncated-header', 'only the first 40 bytes', base.subarray(0, 40));
  neg('empty', 'zero bytes', new Uint8Array(0));
  neg('trailing-byte', 'one zero byte appended', Uint8Array.from([...base, 0]));
  neg('suite-unknown', 'suite id 0x0003', set(5, [0x00, 0x03]));
  neg('suite-swapped', 'X-Wing envelope relabelled as suite 0x0002 (ML-KEM-1024)', set(5, [0x00, 0x02]), { key: 'mlkem1024' });
  neg('flag-unknown-bit', 'reserved flag bit 1 set', set(7, [0x03]));
  neg('version-2', 'format version 2', set(4, [0x02]));
  {
    const stripped = base.slice(0, sigStart);
    stripped[7] = 0x00;
    neg('signature-stripped', 'signature block removed and the signed flag cleared', stripped, { verify: [] });
    neg('signature-stripped-required', 'the same stripped envelope, opened requiring a signature', stripped);
    neg('signature-block-removed', 'signature block removed, signed flag left set', base.slice(0, sigStart));
    const unflagged = base.slice();
    unflagged[7] = 0x00;
    neg('signed-flag-cleared', 'signed flag cleared, signature block left in place', unflagged, { verify: [] });
  }
  {
    const b87 = get('xwing-mldsa87');
    const p87 = decodeEnvelope(b87);
    const algAt = p87.signedEnd - 22;
    neg('signature-alg-downgrade', 'ML-DSA-87 signature block relabelled as ML-DSA-65 (0x0101)', set(algAt, [0x01, 0x01], b87), {
      verify: ['mldsa87'],
    });
    neg('signature-alg-to-falcon', 'ML-DSA-87 signature block relabelled as Falcon-512-r3 (0x0201)', set(algAt, [0x02, 0x01], b87), {
      verify: ['mldsa87'],
    });
  }
  neg('signature-wrong-signer', 'valid signature, but the verifier trusts another ML-DSA-65 key', base, { verify: ['mldsa65-other'] });
  neg('context-mismatch', 'opened with context "secret/app/api#v8"', base, { context: te.encode('secret/app/api#v8') });
  neg('context-missing', 'opened with an empty context', base, { context: new Uint8Array(0) });
  neg('wrong-key', 'opened with another X-Wing key', base, { key: 'xwing-other' });
  neg('wrong-key-version', 'the key version 3 envelope opened with the same key bytes labelled version 1', get('xwing-key-version-3'), {
    key: 'xwing-v3-as-v1',
    context: te.encode('k'),
    verify: [],
  });
  neg('wrong-suite-key', 'ML-KEM-1024 envelope opened with an X-Wing key', get('mlkem1024-basic'), { context: te.encode('c5'), verify: [] });
  {
    // Canonical lengths: a ciphertext length one larger with one byte appended parses
    // structurally but is not what was sealed; a context length over the cap is refused.
    const b = get('xwing-context');
    const pc = decodeEnvelope(b);
    const grown = new Uint8Array(b.length + 1);
    grown.set(b);
    new DataView(grown.buffer).setUint32(pc.aadEnd, pc.ciphertext.length + 1);
    neg('ciphertext-length-noncanonical', 'ciphertext length field one larger and a byte appended', grown, {
      context: pc.context.slice(),
      verify: [],
    });
    const over = new Uint8Array(b.length + 1025 - pc.context.length);
    over.set(b.subarray(0, 28));
    new DataView(over.buffer).setUint16(28, 1025);
    over.set(b.subarray(pc.infoEnd), 30 + 1025);
    neg('context-length-over-cap', 'context length 1025 (cap 1024)', over, { context: new Uint8Array(0), verify: [] });
  }
  neg('signed-empty-trust-set', 'valid signed envelope opened with an empty set of trusted signer keys: nothing is trusted, so it fails', base, {
    verify: [],
    emptyTrust: true,
  });
  neg('unsigned-empty-trust-set', 'unsigned envelope opened with an empty set of trusted signer keys: a signature is required and there is none', plain, {
    context: plainCtx,
    verify: [],
    emptyTrust: true,
  });
  {
    // The commitment is rewritten (last bit flipped) before the AEAD runs, so the tag is
    // valid over the header that carries the wrong commitment: only a reader that checks
    // the commitment rejects this envelope.
    const recipient = keys.get('xwing') ?? fail('no key xwing');
    const forged = sealDeterministic(p, {
      to: publicKeyOf(recipient),
      plaintext: te.encode('db-password=hunter2'),
      context: plainCtx,
      encapSeed: vectorSeed('encap/commitment-forged-tag-valid', 64),
      forgeCommitment: (c) => {
        const w = c.slice();
        w[w.length - 1] = (w[w.length - 1] ?? 0) ^ 0x01;
        return w;
      },
    });
    checkSkippingReaderOpens(p, recipient, forged, plainCtx);
    neg('commitment-forged-tag-valid', 'commitment with its last bit flipped and the AEAD tag computed over that header: the AEAD alone accepts it, the commitment check must not', forged, {
      context: plainCtx,
      verify: [],
    });
  }
  neg('too-large', 'envelope one byte larger than maxSize', base, { maxSize: base.length - 1, expect: 'OV_ENVELOPE_TOO_LARGE' });

  for (const n of negatives) {
    cases.push({
      name: n.name,
      comment: n.comment,
      key: n.key,
      context: hex(n.context),
      ...(n.emptyTrust === true ? { verify: [] } : n.verify === undefined || n.verify.length === 0 ? {} : { verify: n.verify }),
      ...(n.maxSize === undefined ? {} : { maxSize: n.maxSize }),
      envelope: hex(n.envelope),
      expect: n.expect,
    });
  }
  // Self-check while generating: every case must produce exactly its stated outcome.
  for (const c of cases as EnvelopeCaseRecord[]) checkEnvelopeCase(p, keys, c);
  return {
    description:
      'ontoref-vault envelopes (docs/format.md): open `envelope` with secret key `key`, `context`, requiring a signature by one of `verify` when present; expect "ok" (with `plaintext`) or the error code. "ok" cases also carry the seal inputs that reproduce `envelope` exactly',
    generator: 'scripts/gen-vectors.ts',
    cases,
  };
}

/**
 * The generator's proof that `commitment-forged-tag-valid` tests the commitment check: HPKE
 * and the AEAD alone (what a reader skipping the check runs) open it to the plaintext.
 */
function checkSkippingReaderOpens(p: CryptoProvider, key: SecretKeyInfo, envelope: Uint8Array, context: Uint8Array): void {
  const env = decodeEnvelope(envelope);
  if (!Buffer.from(env.context).equals(context)) fail('forged commitment: context');
  const info = concatBytes(INFO_LABEL, envelope.subarray(0, env.infoEnd));
  const ctx = setupBaseR(hpkeSuiteFor(p, env.suite), env.enc, key.secretKey, info);
  try {
    if (Buffer.from(ctx.export(COMMIT_LABEL, COMMIT_LENGTH)).equals(env.commitment)) fail('forged commitment: commitment is valid');
    ctx.open(envelope.subarray(0, env.aadEnd), env.ciphertext);
  } finally {
    ctx.dispose();
  }
}

interface EnvelopeCaseRecord {
  name: string;
  key: string;
  context: string;
  verify?: string[];
  maxSize?: number;
  envelope: string;
  expect: string;
  plaintext?: string;
}

function checkEnvelopeCase(p: CryptoProvider, keys: Map<string, SecretKeyInfo>, c: EnvelopeCaseRecord): void {
  const key = keys.get(c.key) ?? fail(`no key ${c.key}`);
  const verify = c.verify?.map((n) => publicKeyOf(keys.get(n) ?? fail(`no key ${n}`)));
  let outcome: string;
  try {
    const out = open(p, {
      envelope: Buffer.from(c.envelope, 'hex'),
      key,
      context: Buffer.from(c.context, 'hex'),
      ...(verify === undefined ? {} : { verify }),
      ...(c.maxSize === undefined ? {} : { maxSize: c.maxSize }),
    });
    outcome = hex(out) === c.plaintext ? 'ok' : 'wrong plaintext';
  } catch (e) {
    outcome = isVaultError(e) ? e.code : String(e);
  }
  if (outcome !== c.expect) fail(`envelope case ${c.name}: expected ${c.expect}, got ${outcome}`);
  if (c.expect === 'ok') {
    const bytes = Buffer.from(c.envelope, 'hex');
    if (!Buffer.from(encodeEnvelope(decodeEnvelope(bytes))).equals(bytes)) fail(`envelope case ${c.name}: not canonical`);
  }
}

// ---------------------------------------------------------------------------------------
// detached signatures
// ---------------------------------------------------------------------------------------

function signatureVectors(p: CryptoProvider, keys: Map<string, SecretKeyInfo>): object {
  const message = te.encode('ontoref-vault release 0.1.0\n');
  const cases: object[] = [];
  const made = new Map<string, Uint8Array>();
  const positives: [string, string, string, Uint8Array][] = [
    ['mldsa65-context', 'ML-DSA-65 with context "release"', 'mldsa65', te.encode('release')],
    ['mldsa87-no-context', 'ML-DSA-87, key version 2, empty context', 'mldsa87', new Uint8Array(0)],
    ['falcon512', 'round-3 Falcon-512 (seeded DRBG)', 'falcon512', te.encode('release')],
    ['falcon1024', 'round-3 Falcon-1024 (seeded DRBG)', 'falcon1024', te.encode('release')],
  ];
  for (const [name, comment, keyName, context] of positives) {
    const key = keys.get(keyName) ?? fail(`no key ${keyName}`);
    const falconSeed = vectorSeed(`falcon/sig/${name}`, 48);
    const signature = signDetachedDeterministic(p, { key, message, context, falconSeed });
    made.set(name, signature);
    cases.push({
      name,
      comment,
      key: keyName,
      message: hex(message),
      context: hex(context),
      signature: hex(signature),
      expect: 'ok',
      ...(key.alg.startsWith('Falcon') ? { falconSeed: hex(falconSeed) } : {}),
    });
  }
  const base = made.get('mldsa65-context') ?? fail('no base signature');
  const flipped = (i: number): string => {
    const b = base.slice();
    b[i] = (b[i] ?? 0) ^ 0x01;
    return hex(b);
  };
  const ctx = hex(te.encode('release'));
  const negatives: [string, string, Partial<Record<'key' | 'message' | 'context' | 'signature', string>>][] = [
    ['other-message', 'message with one byte changed', { message: hex(te.encode('ontoref-vault release 0.1.1\n')) }],
    ['other-context', 'verified with context "releases"', { context: hex(te.encode('releases')) }],
    ['other-key', 'verified with another ML-DSA-65 key', { key: 'mldsa65-other' }],
    ['flip-alg', 'algorithm id bit flipped', { signature: flipped(6) }],
    ['flip-key-id', 'signer key id bit flipped', { signature: flipped(7) }],
    ['flip-key-version', 'signer key version bit flipped', { signature: flipped(26) }],
    ['flip-context', 'context byte flipped', { signature: flipped(29) }],
    ['flip-signature', 'signature byte flipped', { signature: flipped(base.length - 100) }],
    ['truncated', 'last byte removed', { signature: hex(base.subarray(0, base.length - 1)) }],
    ['trailing-byte', 'one byte appended', { signature: hex(Uint8Array.from([...base, 0])) }],
  ];
  for (const [name, comment, over] of negatives) {
    cases.push({
      name,
      comment,
      key: 'mldsa65',
      message: hex(message),
      context: ctx,
      signature: hex(base),
      ...over,
      expect: 'OV_SIGNATURE_INVALID',
    });
  }
  for (const c of cases as SignatureCaseRecord[]) {
    let outcome = 'ok';
    try {
      verifyDetached(p, {
        signature: Buffer.from(c.signature, 'hex'),
        message: Buffer.from(c.message, 'hex'),
        context: Buffer.from(c.context, 'hex'),
        key: publicKeyOf(keys.get(c.key) ?? fail(`no key ${c.key}`)),
      });
    } catch (e) {
      outcome = isVaultError(e) ? e.code : String(e);
    }
    if (outcome !== c.expect) fail(`signature case ${c.name}: expected ${c.expect}, got ${outcome}`);
  }
  return {
    description:
      'ontoref-vault detached signatures (docs/format.md, "Signature files"): verify `signature` over `message` and `context` with the public key of `key`; expect "ok" or the error code',
    generator: 'scripts/gen-vectors.ts',
    cases,
  };
}

interface SignatureCaseRecord {
  name: string;
  key: string;
  message: string;
  context: string;
  signature: string;
  expect: string;
}

// ---------------------------------------------------------------------------------------
// armor
// ---------------------------------------------------------------------------------------

function armorVectors(): object {
  const data = Uint8Array.from({ length: 100 }, (_, i) => (i * 73 + 5) & 0xff);
  const good = armor('ENVELOPE', data);
  const lines = good.split('\n');
  const [begin = '', l1 = '', l2 = '', l3 = '', end = ''] = lines;
  const join = (...ls: string[]): string => ls.join('\n') + '\n';
  const cases: object[] = [];
  const positives: [string, ArmorLabel, Uint8Array][] = [
    ['envelope-100-bytes', 'ENVELOPE', data],
    ['signature-48-bytes', 'SIGNATURE', data.subarray(0, 48)],
    ['public-key-1-byte', 'PUBLIC KEY', data.subarray(0, 1)],
    ['secret-key-empty', 'SECRET KEY', new Uint8Array(0)],
  ];
  for (const [name, label, d] of positives) cases.push({ name, label, text: armor(label, d), expect: 'ok', data: hex(d) });
  cases.push({ name: 'no-final-newline', label: 'ENVELOPE', text: good.slice(0, -1), expect: 'ok', data: hex(data) });
  const negatives: [string, string][] = [
    ['wrong-label', good.replaceAll('ENVELOPE', 'SIGNATURE')],
    ['crlf', good.replaceAll('\n', '\r\n')],
    ['extra-newline', good + '\n'],
    ['leading-whitespace', ' ' + good],
    ['garbage-after-end', good + 'x'],
    ['missing-end', join(begin, l1, l2, l3)],
    ['short-inner-line', join(begin, l1.slice(0, 60), l1.slice(60) + l2, l3, end)],
    ['long-line', join(begin, l1 + l2, l3, end)],
    ['missing-padding', join(begin, l1, l2, l3.replace(/=+$/, ''), end)],
    ['nonzero-padding-bits', join(begin, l1, l2, l3.slice(0, -3) + 'B==', end)],
    ['invalid-character', join(begin, l1, l2.slice(0, -1) + '!', l3, end)],
  ];
  for (const [name, text] of negatives) cases.push({ name, label: 'ENVELOPE', text, expect: 'OV_ARMOR_INVALID' });
  return {
    description: 'ontoref-vault ASCII armor (docs/format.md, "Armor"): dearmor `text` with `label`; expect "ok" (with `data`) or the error code',
    generator: 'scripts/gen-vectors.ts',
    cases,
  };
}

// ---------------------------------------------------------------------------------------
// transit ciphertexts
// ---------------------------------------------------------------------------------------

interface TransitCase {
  readonly name: string;
  readonly comment: string;
  readonly alg: 'X-Wing' | 'ML-KEM-1024';
  readonly keyName: string;
  readonly keyVersion: number;
  readonly plaintext: Uint8Array;
  readonly associatedData?: Uint8Array;
}

const TRANSIT_CASES: readonly TransitCase[] = [
  { name: 'xwing', comment: 'X-Wing key version 2, no associated data', alg: 'X-Wing', keyName: 'payments', keyVersion: 2, plaintext: te.encode('card=4111111111111111') },
  { name: 'xwing-ad', comment: 'X-Wing key version 2, associated data bound through its SHA-256', alg: 'X-Wing', keyName: 'payments', keyVersion: 2, plaintext: te.encode('card=4111111111111111'), associatedData: te.encode('tenant-42') },
  { name: 'mlkem1024', comment: 'ML-KEM-1024 key version 1, no associated data', alg: 'ML-KEM-1024', keyName: 'backups.db-1', keyVersion: 1, plaintext: te.encode('a data key') },
  { name: 'mlkem1024-ad', comment: 'ML-KEM-1024 key version 1, with associated data', alg: 'ML-KEM-1024', keyName: 'backups.db-1', keyVersion: 1, plaintext: new Uint8Array(0), associatedData: te.encode('{"row":17}') },
];

function transitVectors(p: CryptoProvider): object {
  const keys = new Map<string, SecretKeyInfo>();
  const cases: object[] = [];
  const made = new Map<string, string>();
  for (const c of TRANSIT_CASES) {
    const keyLabel = `${c.alg}/${c.keyName}/${c.keyVersion}`;
    let key = keys.get(keyLabel);
    if (key === undefined) {
      key = keyFromSeed(p, c.alg, vectorSeed(`transit/key/${keyLabel}`, c.alg === 'X-Wing' ? 32 : 64), c.keyVersion);
      keys.set(keyLabel, key);
    }
    const context = ciphertextContext(c.keyName, c.keyVersion, c.associatedData);
    const encapSeed = vectorSeed(`transit/encap/${c.name}`, encapSeedLength(c.alg));
    const envelope = sealDeterministic(p, { to: publicKeyOf(key), plaintext: c.plaintext, context, encapSeed });
    const ciphertext = encodeValue(c.keyVersion, envelope);
    made.set(c.name, ciphertext);
    const base = { keyName: c.keyName, keyVersion: c.keyVersion, secretKey: hex(encodeKey(key)) };
    cases.push({
      name: c.name,
      comment: c.comment,
      ...base,
      associatedData: c.associatedData === undefined ? null : hex(c.associatedData),
      context: hex(context),
      ciphertext,
      expect: 'ok',
      plaintext: hex(c.plaintext),
      seal: { encapSeed: hex(encapSeed) },
    });
    const other = (name: string, comment: string, over: { keyName?: string; associatedData?: Uint8Array | null; ciphertext?: string }): void => {
      const ad = over.associatedData === undefined ? c.associatedData : (over.associatedData ?? undefined);
      cases.push({
        name: `${c.name}-${name}`,
        comment,
        ...base,
        keyName: over.keyName ?? c.keyName,
        associatedData: ad === undefined ? null : hex(ad),
        context: hex(ciphertextContext(over.keyName ?? c.keyName, c.keyVersion, ad)),
        ciphertext: over.ciphertext ?? ciphertext,
        expect: 'OV_TRANSIT_CIPHERTEXT_INVALID',
      });
    };
    if (c.associatedData === undefined) {
      other('with-ad', 'associated data given where none was bound', { associatedData: te.encode('tenant-42') });
      other('other-name', 'decrypted as another key name', { keyName: `${c.keyName}x` });
    } else {
      other('no-ad', 'the associated data left out', { associatedData: null });
      other('other-ad', 'other associated data', { associatedData: te.encode('tenant-43') });
    }
    other('prefix-version', 'the prefix claims another version than the envelope header', {
      ciphertext: ciphertext.replace(`ontoref:v${c.keyVersion}:`, `ontoref:v${c.keyVersion + 1}:`),
    });
  }
  return {
    description:
      'transit ciphertexts (docs/format.md section 10): open the base64 body of `ciphertext` (after the `ontoref:v<keyVersion>:` prefix) ' +
      'with `secretKey` (a key file) and `context` = "ontoref-vault/transit/v1" 0x00 keyName 0x00 keyVersion [0x00 SHA-256(associatedData)]',
    cases,
  };
}

// ---------------------------------------------------------------------------------------
// driver
// ---------------------------------------------------------------------------------------

function fail(msg: string): never {
  throw new Error(`gen-vectors: ${msg}`);
}

function render(obj: object): string {
  return JSON.stringify(obj, null, 2) + '\n';
}

/** All vector files, name -> exact file content. */
export function generateVectors(): Map<string, string> {
  const p = getProvider('noble');
  const keys = makeKeys(p);
  return new Map([
    ['keys.json', render(keyVectors(keys))],
    ['envelope.json', render(envelopeVectors(p, keys))],
    ['signature.json', render(signatureVectors(p, keys))],
    ['armor.json', render(armorVectors())],
    ['transit.json', render(transitVectors(p))],
  ]);
}

/** The repository root: the nearest ancestor of this file holding package.json. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) fail('cannot find the repository root');
    dir = up;
  }
  return dir;
}

function firstDifference(a: string, b: string): number {
  const al = a.split('\n');
  const bl = b.split('\n');
  for (let i = 0; i < Math.max(al.length, bl.length); i++) if (al[i] !== bl[i]) return i + 1;
  return 0;
}

function main(argv: readonly string[]): number {
  const check = argv.includes('--check');
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`gen-vectors: unknown argument ${unknown[0] ?? ''} (usage: gen-vectors [--check])`);
    return 1;
  }
  const dir = join(repoRoot(), 'vectors');
  const files = generateVectors();
  let differs = 0;
  for (const [name, content] of files) {
    const path = join(dir, name);
    if (check) {
      const onDisk = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
      if (onDisk === undefined) {
        console.error(`vectors/${name}: missing; run 'npm run build && npm run vectors' and review the diff`);
        differs++;
      } else if (onDisk !== content) {
        console.error(
          `vectors/${name}: differs from the generated output (first at line ${firstDifference(onDisk, content)}); ` +
            `the format or the generator changed: run 'npm run vectors' and review the diff`,
        );
        differs++;
      }
    } else {
      writeFileSync(path, content);
      console.log(`wrote vectors/${name}`);
    }
  }
  if (check) {
    if (differs > 0) return 1;
    console.log(`vectors: ${files.size} files match the generated output`);
  }
  return 0;
}

const invokedDirectly = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) process.exitCode = main(process.argv.slice(2));

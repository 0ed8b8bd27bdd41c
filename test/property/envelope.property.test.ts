/**
 * Property tests for the envelope format (fast-check), in the spirit of age's
 * FuzzMalleability:
 * - decode(encode(x)) = x and re-encoding is byte-identical, for arbitrary field values;
 * - EVERY single-byte corruption of small sealed envelopes (unsigned X-Wing, unsigned
 *   ML-KEM-1024, Falcon-512-signed with the signature required) makes `open` throw
 *   OV_ENVELOPE_OPEN: all byte positions, exhaustively; an ML-DSA-65-signed envelope is
 *   sampled at random positions (its 3309-byte signature makes exhaustive runs slow on
 *   the pure-JS provider);
 * - random garbage, and valid prefixes followed by garbage, never make `open` or
 *   `inspect` throw anything but OV_ENVELOPE_OPEN / OV_ENVELOPE_TOO_LARGE, and
 *   TOO_LARGE exactly when the input exceeds maxSize.
 * Runs on the provider this runtime would pick (native on Node >= 24.7, else noble).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { selectProvider } from '../../src/crypto/provider.js';
import type { SignatureName } from '../../src/crypto/types.js';
import { isVaultError } from '../../src/errors.js';
import { ALGS, SUITES, type EnvelopeFields } from '../../src/envelope/format.js';
import { generateKey, inspect, open, publicKeyOf, seal, type SecretKeyInfo } from '../../src/envelope/index.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/envelope/internal.js';

const provider = selectProvider();
const te = new TextEncoder();

function code(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    return isVaultError(e) ? e.code : `non-vault error: ${String(e)}`;
  }
}

/** Byte equality via Buffer (vitest's deep equality walks arrays element by element). */
function same(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}

const bytes = (min: number, max: number): fc.Arbitrary<Uint8Array> => fc.uint8Array({ minLength: min, maxLength: max });
const u32 = fc.integer({ min: 1, max: 0xffffffff });
const sigAlgs = ALGS.filter((a) => a.family === 'sig');

const fieldsArb: fc.Arbitrary<EnvelopeFields> = fc
  .record({
    suite: fc.constantFrom(...SUITES),
    keyId: bytes(16, 16),
    keyVersion: u32,
    context: bytes(0, 64),
    commitment: bytes(32, 32),
    ciphertext: bytes(16, 200),
    sig: fc.option(
      fc.record({ alg: fc.constantFrom(...sigAlgs), keyId: bytes(16, 16), keyVersion: u32, seed: fc.integer() }),
      { nil: undefined },
    ),
  })
  .chain((r) =>
    fc
      .tuple(
        bytes(r.suite.encLength, r.suite.encLength),
        r.sig === undefined
          ? fc.constant(undefined)
          : bytes(r.sig.alg.minSignature ?? 1, Math.min(r.sig.alg.maxSignature ?? 1, (r.sig.alg.minSignature ?? 1) + 64)),
      )
      .map(([enc, signature]): EnvelopeFields => {
        const base = { suite: r.suite, keyId: r.keyId, keyVersion: r.keyVersion, context: r.context, enc, commitment: r.commitment, ciphertext: r.ciphertext };
        if (r.sig === undefined || signature === undefined) return { ...base, signed: false };
        return {
          ...base,
          signed: true,
          signature: { alg: r.sig.alg.name as SignatureName, keyId: r.sig.keyId, keyVersion: r.sig.keyVersion, signature },
        };
      }),
  );

describe('format: canonical encoding', () => {
  it('decode(encode(x)) gives back x, and re-encoding gives the same bytes', () => {
    fc.assert(
      fc.property(fieldsArb, (f) => {
        const bytes1 = encodeEnvelope(f);
        const parsed = decodeEnvelope(bytes1);
        expect(parsed.suite).toBe(f.suite);
        expect(parsed.signed).toBe(f.signed);
        expect(same(parsed.keyId, f.keyId)).toBe(true);
        expect(parsed.keyVersion).toBe(f.keyVersion);
        expect(same(parsed.context, f.context)).toBe(true);
        expect(same(parsed.enc, f.enc)).toBe(true);
        expect(same(parsed.commitment, f.commitment)).toBe(true);
        expect(same(parsed.ciphertext, f.ciphertext)).toBe(true);
        expect(parsed.signature?.alg).toBe(f.signature?.alg);
        expect(same(parsed.signature?.signature, f.signature?.signature)).toBe(true);
        expect(same(encodeEnvelope(parsed), bytes1)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('any decodable byte string re-encodes to itself', () => {
    // Mutations of valid encodings: whatever still parses must be canonical.
    fc.assert(
      fc.property(fieldsArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (f, at, mask) => {
        const b = encodeEnvelope(f);
        b[at % b.length] = (b[at % b.length] ?? 0) ^ mask;
        let parsed;
        try {
          parsed = decodeEnvelope(b);
        } catch (e) {
          expect(isVaultError(e, 'OV_ENVELOPE_OPEN')).toBe(true);
          return;
        }
        expect(same(encodeEnvelope(parsed), b)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

/** Every position, with a non-zero XOR mask drawn reproducibly by fast-check. */
function everyByteFlipFails(envelope: Uint8Array, opener: (e: Uint8Array) => unknown): void {
  const masks = fc.sample(fc.integer({ min: 1, max: 255 }), { numRuns: envelope.length, seed: 0x0e5e1 });
  const failures: string[] = [];
  for (let i = 0; i < envelope.length; i++) {
    const b = envelope.slice();
    b[i] = (b[i] ?? 0) ^ (masks[i] ?? 1);
    const got = code(() => opener(b));
    if (got !== 'OV_ENVELOPE_OPEN') failures.push(`offset ${i}: ${got}`);
  }
  expect(failures).toEqual([]);
}

describe(`every single-byte corruption fails to open (provider ${provider.name})`, () => {
  const xwing = generateKey(provider, 'X-Wing');
  const mlkem = generateKey(provider, 'ML-KEM-1024');
  const signers: Record<string, SecretKeyInfo> = {
    falcon: generateKey(provider, 'Falcon-512-r3'),
    mldsa: generateKey(provider, 'ML-DSA-65'),
  };
  const pt = te.encode('s3cr');
  const context = te.encode('a/b');

  it('unsigned X-Wing envelope: all positions', () => {
    const env = seal(provider, { to: publicKeyOf(xwing), plaintext: pt, context });
    expect(open(provider, { envelope: env, key: xwing, context })).toEqual(pt);
    everyByteFlipFails(env, (b) => open(provider, { envelope: b, key: xwing, context }));
  });

  it('unsigned ML-KEM-1024 envelope: all positions', () => {
    const env = seal(provider, { to: publicKeyOf(mlkem), plaintext: pt, context });
    expect(open(provider, { envelope: env, key: mlkem, context })).toEqual(pt);
    everyByteFlipFails(env, (b) => open(provider, { envelope: b, key: mlkem, context }));
  });

  it('Falcon-512-signed X-Wing envelope, signature required: all positions', () => {
    const signer = signers['falcon'] as SecretKeyInfo;
    const env = seal(provider, { to: publicKeyOf(xwing), plaintext: pt, context, sign: signer });
    const verify = publicKeyOf(signer);
    expect(open(provider, { envelope: env, key: xwing, context, verify })).toEqual(pt);
    everyByteFlipFails(env, (b) => open(provider, { envelope: b, key: xwing, context, verify }));
  });

  it('ML-DSA-65-signed X-Wing envelope, signature required: random positions', () => {
    const signer = signers['mldsa'] as SecretKeyInfo;
    const env = seal(provider, { to: publicKeyOf(xwing), plaintext: pt, context, sign: signer });
    const verify = publicKeyOf(signer);
    expect(open(provider, { envelope: env, key: xwing, context, verify })).toEqual(pt);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: env.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, mask) => {
        const b = env.slice();
        b[at] = (b[at] ?? 0) ^ mask;
        expect(code(() => open(provider, { envelope: b, key: xwing, context, verify }))).toBe('OV_ENVELOPE_OPEN');
      }),
      { numRuns: 150 },
    );
  });
});

describe('garbage never throws anything but the two envelope errors', () => {
  const xwing = generateKey(provider, 'X-Wing');
  const valid = seal(provider, { to: publicKeyOf(xwing), plaintext: te.encode('x'), context: 'c' });

  it('random bytes, with and without a size cap', () => {
    fc.assert(
      fc.property(bytes(0, 2500), fc.option(fc.nat({ max: 3000 }), { nil: undefined }), (g, maxSize) => {
        const opts = maxSize === undefined ? {} : { maxSize };
        const expected = maxSize !== undefined && g.length > maxSize ? 'OV_ENVELOPE_TOO_LARGE' : 'OV_ENVELOPE_OPEN';
        expect(code(() => open(provider, { envelope: g, key: xwing, context: 'c', ...opts }))).toBe(expected);
        expect(code(() => inspect(g, opts))).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('a valid prefix followed by garbage', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: valid.length }), bytes(0, 64), (cut, tail) => {
        const g = Uint8Array.from([...valid.subarray(0, cut), ...tail]);
        const got = code(() => open(provider, { envelope: g, key: xwing, context: 'c' }));
        // Only the untouched envelope itself may open, however it was put back together (a
        // cut at its last byte followed by that same byte rebuilds it exactly).
        if (g.length === valid.length && g.every((x, i) => x === valid[i])) expect(got).toBe('ok');
        else expect(got).toBe('OV_ENVELOPE_OPEN');
      }),
      { numRuns: 200 },
    );
  });
});

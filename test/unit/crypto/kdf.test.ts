/**
 * The transient HKDF route (HMAC as two one-shot node:crypto hashes over the padded key)
 * against the @noble/hashes route, for every hash, with keys shorter than, equal to and
 * longer than a block (the empty HKDF salt included), inputs in parts, and outputs of one
 * and of several blocks. Pure; runs on every Node.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hkdfExpand, hkdfExtract, hmac, sha256Public, transientHkdfExpander, transientHkdfExtract, type HashName } from '../../../src/crypto/kdf.js';

const HASHES: readonly HashName[] = ['SHA-256', 'SHA-384', 'SHA-512'];
const bytes = (max: number) => fc.uint8Array({ maxLength: max });

describe('transient HKDF', () => {
  it('extract equals HMAC(salt, ikm) of the wipeable route, for any salt length and ikm split', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HASHES), bytes(200), fc.array(bytes(80), { maxLength: 4 }), (h, salt, parts) => {
        const whole = Uint8Array.from(parts.flatMap((p) => [...p]));
        expect(transientHkdfExtract(h, salt, ...parts)).toEqual(hkdfExtract(h, salt, whole));
        expect(transientHkdfExtract(h, salt, ...parts)).toEqual(hmac(h, salt.length === 0 ? new Uint8Array(0) : salt, whole));
      }),
      { numRuns: 300 },
    );
  });

  it('expand equals HKDF-Expand for one and several blocks, and refuses use after dispose', () => {
    fc.assert(
      fc.property(fc.constantFrom(...HASHES), bytes(160), bytes(60), fc.integer({ min: 0, max: 300 }), (h, prk, info, length) => {
        const x = transientHkdfExpander(h, prk);
        expect(x.expand([info.subarray(0, 7), info.subarray(7)], length)).toEqual(hkdfExpand(h, prk, [info], length));
        x.dispose();
        expect(() => x.expand([info], 8)).toThrow();
      }),
      { numRuns: 300 },
    );
  });

  it('matches RFC 5869 test case 1 (SHA-256)', () => {
    const hex = (s: string) => Uint8Array.from(Buffer.from(s, 'hex'));
    const prk = transientHkdfExtract('SHA-256', hex('000102030405060708090a0b0c'), hex('0b'.repeat(22)));
    expect(Buffer.from(prk).toString('hex')).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    const okm = transientHkdfExpander('SHA-256', prk).expand([hex('f0f1f2f3f4f5f6f7f8f9')], 42);
    expect(Buffer.from(okm).toString('hex')).toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  });
});

describe('sha256Public', () => {
  it('equals SHA-256 of the bytes, or of a string as UTF-8, for any input', () => {
    fc.assert(
      fc.property(bytes(300), fc.string({ unit: 'grapheme', maxLength: 80 }), (data, text) => {
        expect(sha256Public(data)).toEqual(new Uint8Array(createHash('sha256').update(data).digest()));
        expect(sha256Public(text)).toEqual(new Uint8Array(createHash('sha256').update(text, 'utf8').digest()));
      }),
      { numRuns: 500 },
    );
    expect(Buffer.from(sha256Public('abc')).toString('hex')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

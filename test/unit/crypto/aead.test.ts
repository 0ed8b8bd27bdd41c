/**
 * The HPKE AEADs (src/crypto/aead.ts) against @noble/ciphers, the portable
 * cross-check: identical output for random inputs in both directions. Every single-bit
 * flip of ciphertext, tag or AAD, and every wrong key, nonce or length, fails with the
 * one error OV_ENVELOPE_OPEN.
 */
import { gcm } from '@noble/ciphers/aes.js';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aead, aeadById, aeadOpenWith, aeadSealInto, transientAeadKey } from '../../../src/crypto/aead.js';
import { randomBytes } from '../../../src/crypto/bytes.js';
import type { AeadName } from '../../../src/crypto/types.js';
import { NOT_BYTES, expectCode, flipBit, hexOf } from './helpers.js';

interface Reference {
  encrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Uint8Array;
  decrypt(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, ct: Uint8Array): Uint8Array;
}

const CASES: readonly { name: AeadName; id: number; keyLength: number; ref: Reference }[] = [
  {
    name: 'AES-128-GCM',
    id: 0x0001,
    keyLength: 16,
    ref: { encrypt: (k, n, a, p) => gcm(k, n, a).encrypt(p), decrypt: (k, n, a, c) => gcm(k, n, a).decrypt(c) },
  },
  {
    name: 'AES-256-GCM',
    id: 0x0002,
    keyLength: 32,
    ref: { encrypt: (k, n, a, p) => gcm(k, n, a).encrypt(p), decrypt: (k, n, a, c) => gcm(k, n, a).decrypt(c) },
  },
  {
    name: 'ChaCha20-Poly1305',
    id: 0x0003,
    keyLength: 32,
    ref: {
      encrypt: (k, n, a, p) => chacha20poly1305(k, n, a).encrypt(p),
      decrypt: (k, n, a, c) => chacha20poly1305(k, n, a).decrypt(c),
    },
  },
];

for (const c of CASES) {
  describe(c.name, () => {
    const a = aead(c.name);

    it('has the HPKE id and sizes of RFC 9180, and is found by id', () => {
      expect(a.name).toBe(c.name);
      expect(a.hpkeId).toBe(c.id);
      expect(a.keyLength).toBe(c.keyLength);
      expect(a.nonceLength).toBe(12);
      expect(a.tagLength).toBe(16);
      expect(aeadById(c.id)).toBe(a);
      expect(Object.isFrozen(a)).toBe(true);
    });

    it('seal equals @noble/ciphers for random inputs, and each opens the other', () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ minLength: c.keyLength, maxLength: c.keyLength }),
          fc.uint8Array({ minLength: 12, maxLength: 12 }),
          fc.uint8Array({ maxLength: 64 }),
          fc.uint8Array({ maxLength: 300 }),
          (key, nonce, aad, pt) => {
            const ours = a.seal(key, nonce, aad, pt);
            const theirs = c.ref.encrypt(key, nonce, aad, pt);
            expect(hexOf(ours)).toBe(hexOf(theirs));
            expect(hexOf(a.open(key, nonce, aad, theirs))).toBe(hexOf(pt));
            expect(hexOf(c.ref.decrypt(key, nonce, aad, ours))).toBe(hexOf(pt));
          },
        ),
        { numRuns: 60 },
      );
    });

    it('agrees with @noble/ciphers on block-boundary and large sizes', () => {
      for (const n of [0, 1, 15, 16, 17, 63, 64, 65, 4096, 65_535, 65_536, 65_537, 3 * 65_536 + 5]) {
        const key = randomBytes(c.keyLength);
        const nonce = randomBytes(12);
        const aad = randomBytes(n % 37);
        const pt = randomBytes(n);
        const ct = a.seal(key, nonce, aad, pt);
        expect(ct.length).toBe(n + 16);
        expect(Buffer.compare(ct, c.ref.encrypt(key, nonce, aad, pt))).toBe(0);
        expect(Buffer.compare(a.open(key, nonce, aad, ct), pt)).toBe(0);
      }
    });

    it('with a transient KeyObject key: sealInto writes exactly ciphertext || tag at the offset, and opens', () => {
      for (const n of [0, 17, 65_536, 2 * 65_536 + 3]) {
        const key = randomBytes(c.keyLength);
        const nonce = randomBytes(12);
        const aad = randomBytes(40);
        const pt = randomBytes(n);
        const ko = transientAeadKey(a, key);
        const out = new Uint8Array(7 + n + 16 + 5).fill(0xa5);
        aeadSealInto(a, ko, nonce, aad, pt, out, 7);
        expect(hexOf(out.subarray(7, 7 + n + 16))).toBe(hexOf(c.ref.encrypt(key, nonce, aad, pt)));
        expect([...out.subarray(0, 7), ...out.subarray(7 + n + 16)].every((b) => b === 0xa5)).toBe(true);
        expect(hexOf(aeadOpenWith(a, ko, nonce, aad, out.subarray(7, 7 + n + 16)))).toBe(hexOf(pt));
        expectCode(() => aeadOpenWith(a, ko, nonce, flipBit(aad, 3), out.subarray(7, 7 + n + 16)), 'OV_ENVELOPE_OPEN');
        expectCode(() => aeadSealInto(a, ko, nonce, aad, pt, out, 13), 'OV_INVALID_ARGUMENT');
      }
      expectCode(() => transientAeadKey(a, randomBytes(c.keyLength + 1)), 'OV_KEY_INVALID');
    });

    it('round-trips 1 MiB and returns plain Uint8Arrays', () => {
      const key = randomBytes(c.keyLength);
      const nonce = randomBytes(12);
      const pt = randomBytes(1 << 20);
      const ct = a.seal(key, nonce, new Uint8Array(0), pt);
      const back = a.open(key, nonce, new Uint8Array(0), ct);
      expect(Buffer.compare(back, pt)).toBe(0); // toEqual walks a 1 MiB array element by element: slow
      expect(back.length).toBe(pt.length);
      expect(Object.getPrototypeOf(ct)).toBe(Uint8Array.prototype);
      expect(Object.getPrototypeOf(back)).toBe(Uint8Array.prototype);
      const small = a.open(key, nonce, new Uint8Array(0), a.seal(key, nonce, new Uint8Array(0), Uint8Array.of(1, 2, 3)));
      expect(Object.getPrototypeOf(small)).toBe(Uint8Array.prototype);
      expect(small.buffer.byteLength).toBe(3); // owns its memory, no pooled neighbours
    });

    describe('every single-bit flip fails with OV_ENVELOPE_OPEN', () => {
      const key = randomBytes(c.keyLength);
      const nonce = randomBytes(12);
      const aad = randomBytes(24);
      const pt = randomBytes(40);
      const ct = a.seal(key, nonce, aad, pt);

      it(`in the ciphertext and tag (${ct.length * 8} bits)`, () => {
        for (let bit = 0; bit < ct.length * 8; bit++) expectCode(() => a.open(key, nonce, aad, flipBit(ct, bit)), 'OV_ENVELOPE_OPEN');
        expect(a.open(key, nonce, aad, ct)).toEqual(pt);
      });

      it(`in the AAD (${aad.length * 8} bits)`, () => {
        for (let bit = 0; bit < aad.length * 8; bit++) expectCode(() => a.open(key, nonce, flipBit(aad, bit), ct), 'OV_ENVELOPE_OPEN');
      });

      it(`in the key and the nonce`, () => {
        for (let bit = 0; bit < key.length * 8; bit += 7) expectCode(() => a.open(flipBit(key, bit), nonce, aad, ct), 'OV_ENVELOPE_OPEN');
        for (let bit = 0; bit < nonce.length * 8; bit += 5) expectCode(() => a.open(key, flipBit(nonce, bit), aad, ct), 'OV_ENVELOPE_OPEN');
      });
    });

    it('truncated, extended or tag-less ciphertexts fail with OV_ENVELOPE_OPEN', () => {
      const key = randomBytes(c.keyLength);
      const nonce = randomBytes(12);
      const ct = a.seal(key, nonce, new Uint8Array(0), randomBytes(20));
      for (const bad of [new Uint8Array(0), ct.subarray(0, 15), ct.subarray(0, 16), ct.subarray(0, ct.length - 1), ct.subarray(1), new Uint8Array([...ct, 0])]) {
        expectCode(() => a.open(key, nonce, new Uint8Array(0), bad), 'OV_ENVELOPE_OPEN');
      }
      // The empty plaintext's ciphertext is just the tag and opens to nothing.
      const empty = a.seal(key, nonce, new Uint8Array(0), new Uint8Array(0));
      expect(empty.length).toBe(16);
      expect(a.open(key, nonce, new Uint8Array(0), empty).length).toBe(0);
    });

    it('open: wrong key or nonce lengths and non-byte inputs are OV_ENVELOPE_OPEN', () => {
      const key = randomBytes(c.keyLength);
      const nonce = randomBytes(12);
      const ct = a.seal(key, nonce, new Uint8Array(0), randomBytes(5));
      for (const k of [new Uint8Array(0), key.subarray(1), new Uint8Array(c.keyLength === 16 ? 32 : 16), new Uint8Array([...key, 0])]) {
        expectCode(() => a.open(k, nonce, new Uint8Array(0), ct), 'OV_ENVELOPE_OPEN');
      }
      for (const n of [new Uint8Array(0), new Uint8Array(8), new Uint8Array(16)]) {
        expectCode(() => a.open(key, n, new Uint8Array(0), ct), 'OV_ENVELOPE_OPEN');
      }
      for (const v of NOT_BYTES) {
        expectCode(() => a.open(v as Uint8Array, nonce, new Uint8Array(0), ct), 'OV_ENVELOPE_OPEN');
        expectCode(() => a.open(key, v as Uint8Array, new Uint8Array(0), ct), 'OV_ENVELOPE_OPEN');
        expectCode(() => a.open(key, nonce, v as Uint8Array, ct), 'OV_ENVELOPE_OPEN');
        expectCode(() => a.open(key, nonce, new Uint8Array(0), v as Uint8Array), 'OV_ENVELOPE_OPEN');
      }
    });

    it('seal: a wrong key length is OV_KEY_INVALID, a wrong nonce length OV_INVALID_ARGUMENT', () => {
      const pt = randomBytes(5);
      for (const k of [new Uint8Array(0), new Uint8Array(c.keyLength - 1), new Uint8Array(c.keyLength + 1), new Uint8Array(24)]) {
        expectCode(() => a.seal(k, new Uint8Array(12), new Uint8Array(0), pt), 'OV_KEY_INVALID');
      }
      for (const n of [new Uint8Array(0), new Uint8Array(11), new Uint8Array(13), new Uint8Array(24)]) {
        expectCode(() => a.seal(new Uint8Array(c.keyLength), n, new Uint8Array(0), pt), 'OV_INVALID_ARGUMENT');
      }
    });
  });
}

describe('AEAD lookup', () => {
  it('unknown names and ids are OV_ALGORITHM_UNSUPPORTED (0xFFFF is HPKE export-only)', () => {
    for (const bad of ['AES-192-GCM', 'aes-256-gcm', 'ChaCha20', '', 'toString']) expectCode(() => aead(bad as AeadName), 'OV_ALGORITHM_UNSUPPORTED');
    for (const id of [0, 4, 0xffff, -1, 1.5, Number.NaN]) expectCode(() => aeadById(id), 'OV_ALGORITHM_UNSUPPORTED');
  });

  it('the AEADs give different outputs for the same key, nonce and input', () => {
    const key = randomBytes(32);
    const nonce = randomBytes(12);
    const pt = randomBytes(32);
    const outs = ['AES-256-GCM', 'ChaCha20-Poly1305'].map((n) => hexOf(aead(n as AeadName).seal(key, nonce, new Uint8Array(0), pt)));
    expect(outs[0]).not.toBe(outs[1]);
  });
});

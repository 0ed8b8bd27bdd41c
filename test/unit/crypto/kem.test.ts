/**
 * KEMs of every available provider (X-Wing, ML-KEM-768, ML-KEM-1024): sizes and HPKE
 * ids, seeds as secret keys, round trips, implicit rejection, exact error codes for
 * malformed inputs, derandomized encapsulation, and the prepared-key cache staying
 * correct when a caller mutates or wipes its key array in place.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes, wipe } from '../../../src/crypto/bytes.js';
import type { Kem, KemName, KeyPair } from '../../../src/crypto/types.js';
import { testProviders } from '../../helpers/vectors.js';
import { NOT_BYTES, expectCode, flipBit, hexOf } from './helpers.js';

const EXPECTED: Record<KemName, { hpkeId: number; publicKey: number; secretKey: number; cipherText: number; derandSeed: number }> = {
  'X-Wing': { hpkeId: 0x647a, publicKey: 1216, secretKey: 32, cipherText: 1120, derandSeed: 64 },
  'ML-KEM-768': { hpkeId: 0x0041, publicKey: 1184, secretKey: 64, cipherText: 1088, derandSeed: 32 },
  'ML-KEM-1024': { hpkeId: 0x0042, publicKey: 1568, secretKey: 64, cipherText: 1568, derandSeed: 32 },
};

for (const provider of testProviders()) {
  for (const name of Object.keys(EXPECTED) as KemName[]) {
    describe(`${provider.name} ${name}`, () => {
      const e = EXPECTED[name];
      let kem: Kem;
      let keys: KeyPair;
      beforeAll(() => {
        kem = provider.kem(name);
        keys = kem.keygen();
      });

      it('has the specified sizes and HPKE KEM id', () => {
        expect(kem.hpkeId).toBe(e.hpkeId);
        expect(kem.lengths).toEqual({ publicKey: e.publicKey, secretKey: e.secretKey, cipherText: e.cipherText, sharedSecret: 32 });
        expect(keys.publicKey.length).toBe(e.publicKey);
        expect(keys.secretKey.length).toBe(e.secretKey);
      });

      it('length table cannot be changed by a caller', () => {
        expect(() => {
          (kem.lengths as { publicKey: number }).publicKey = 1;
        }).toThrow(TypeError);
        expect(kem.lengths.publicKey).toBe(e.publicKey);
      });

      it('keygen without a seed gives fresh keys', () => {
        const other = kem.keygen();
        expect(hexOf(other.secretKey)).not.toBe(hexOf(keys.secretKey));
        expect(hexOf(other.publicKey)).not.toBe(hexOf(keys.publicKey));
      });

      it('the secret key is the seed, copied: keygen(seed) is deterministic and does not alias the seed', () => {
        const seed = randomBytes(e.secretKey);
        const a = kem.keygen(seed);
        const b = kem.keygen(new Uint8Array(seed));
        expect(a.secretKey).toEqual(seed);
        expect(b.publicKey).toEqual(a.publicKey);
        seed.fill(0xaa);
        expect(a.secretKey).not.toEqual(seed);
        expect(kem.getPublicKey(a.secretKey)).toEqual(a.publicKey);
      });

      it('getPublicKey recovers the public key', () => {
        expect(kem.getPublicKey(keys.secretKey)).toEqual(keys.publicKey);
      });

      it('encapsulate / decapsulate agree; encapsulation is randomized', () => {
        const one = kem.encapsulate(keys.publicKey);
        const two = kem.encapsulate(keys.publicKey);
        expect(one.cipherText.length).toBe(e.cipherText);
        expect(one.sharedSecret.length).toBe(32);
        expect(kem.decapsulate(one.cipherText, keys.secretKey)).toEqual(one.sharedSecret);
        expect(kem.decapsulate(two.cipherText, keys.secretKey)).toEqual(two.sharedSecret);
        expect(hexOf(one.cipherText)).not.toBe(hexOf(two.cipherText));
        expect(hexOf(one.sharedSecret)).not.toBe(hexOf(two.sharedSecret));
      });

      it('returns plain Uint8Arrays and leaves its inputs unchanged', () => {
        const pk = new Uint8Array(keys.publicKey);
        const sk = new Uint8Array(keys.secretKey);
        const { cipherText, sharedSecret } = kem.encapsulate(pk);
        const ct = new Uint8Array(cipherText);
        const ss = kem.decapsulate(ct, sk);
        for (const out of [cipherText, sharedSecret, ss]) expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype);
        expect(pk).toEqual(keys.publicKey);
        expect(sk).toEqual(keys.secretKey);
        expect(ct).toEqual(cipherText);
        expect(kem.decapsulate(ct, sk)).toEqual(sharedSecret); // and again: nothing was wiped
      });

      it('decapsulating with another key gives another secret, without throwing', () => {
        const { cipherText, sharedSecret } = kem.encapsulate(keys.publicKey);
        const wrong = kem.decapsulate(cipherText, kem.keygen().secretKey);
        expect(wrong.length).toBe(32);
        expect(hexOf(wrong)).not.toBe(hexOf(sharedSecret));
      });

      it('implicit rejection: a flipped ML-KEM ciphertext bit gives a different, deterministic secret', () => {
        const { cipherText, sharedSecret } = kem.encapsulate(keys.publicKey);
        for (const bit of [0, 7, 4000, 8 * 1088 - 1]) {
          const bad = flipBit(cipherText, bit);
          const r1 = kem.decapsulate(bad, keys.secretKey);
          const r2 = kem.decapsulate(bad, keys.secretKey);
          expect(r1.length).toBe(32);
          expect(hexOf(r1)).not.toBe(hexOf(sharedSecret));
          expect(r2).toEqual(r1);
        }
      });

      it('wrong-length or non-byte keys are OV_KEY_INVALID', () => {
        const { cipherText } = kem.encapsulate(keys.publicKey);
        for (const n of [0, e.secretKey - 1, e.secretKey + 1, 2400]) {
          const sk = new Uint8Array(n);
          expectCode(() => kem.decapsulate(cipherText, sk), 'OV_KEY_INVALID');
          expectCode(() => kem.getPublicKey(sk), 'OV_KEY_INVALID');
          expectCode(() => kem.keygen(sk), 'OV_KEY_INVALID');
        }
        for (const n of [0, e.publicKey - 1, e.publicKey + 1]) {
          expectCode(() => kem.encapsulate(new Uint8Array(n)), 'OV_KEY_INVALID');
        }
        for (const v of NOT_BYTES) {
          expectCode(() => kem.encapsulate(v as Uint8Array), 'OV_KEY_INVALID');
          expectCode(() => kem.decapsulate(cipherText, v as Uint8Array), 'OV_KEY_INVALID');
          expectCode(() => kem.getPublicKey(v as Uint8Array), 'OV_KEY_INVALID');
        }
      });

      it('wrong-length or non-byte ciphertexts are OV_ENVELOPE_OPEN', () => {
        const { cipherText } = kem.encapsulate(keys.publicKey);
        for (const bad of [new Uint8Array(0), cipherText.subarray(1), new Uint8Array([...cipherText, 0])]) {
          expectCode(() => kem.decapsulate(bad, keys.secretKey), 'OV_ENVELOPE_OPEN');
        }
        for (const v of NOT_BYTES) expectCode(() => kem.decapsulate(v as Uint8Array, keys.secretKey), 'OV_ENVELOPE_OPEN');
      });

      it('a public key failing the FIPS 203 modulus check is OV_KEY_INVALID', () => {
        const bad = new Uint8Array(keys.publicKey);
        bad[0] = 0xff; // first 12-bit coefficient becomes 0x?ff with ...
        bad[1] = (bad[1] ?? 0) | 0x0f; // ... all low bits set: 4095 >= q = 3329
        expectCode(() => kem.encapsulate(bad), 'OV_KEY_INVALID');
      });

      if (name === 'X-Wing') {
        it('a low-order X25519 share fails: decapsulation OV_ENVELOPE_OPEN, encapsulation OV_KEY_INVALID', () => {
          const { cipherText } = kem.encapsulate(keys.publicKey);
          const lowCt = new Uint8Array(cipherText);
          lowCt.fill(0, 1088); // u = 0: the all-zero shared secret RFC 7748 lets us refuse
          expectCode(() => kem.decapsulate(lowCt, keys.secretKey), 'OV_ENVELOPE_OPEN');
          const lowPk = new Uint8Array(keys.publicKey);
          lowPk.fill(0, 1184);
          expectCode(() => kem.encapsulate(lowPk), 'OV_KEY_INVALID');
        });

        it('a flipped X25519 ciphertext bit changes the secret', () => {
          const { cipherText, sharedSecret } = kem.encapsulate(keys.publicKey);
          const bad = flipBit(cipherText, 8 * 1088 + 9);
          expect(hexOf(kem.decapsulate(bad, keys.secretKey))).not.toBe(hexOf(sharedSecret));
        });
      }

      if (provider.name === 'noble') {
        it('encapsulateDerand is deterministic and agrees with decapsulate; its seed is length-checked', () => {
          const derand = kem.encapsulateDerand;
          if (derand === undefined) throw new Error('noble must offer encapsulateDerand');
          const seed = randomBytes(e.derandSeed);
          const a = derand(keys.publicKey, seed);
          const b = derand(keys.publicKey, new Uint8Array(seed));
          expect(b).toEqual(a);
          expect(kem.decapsulate(a.cipherText, keys.secretKey)).toEqual(a.sharedSecret);
          for (const n of [0, e.derandSeed - 1, e.derandSeed + 1]) {
            expectCode(() => derand(keys.publicKey, new Uint8Array(n)), 'OV_INVALID_ARGUMENT');
          }
          expectCode(() => derand(new Uint8Array(3), seed), 'OV_KEY_INVALID');
        });
      } else {
        it('has no encapsulateDerand (node:crypto takes no injected randomness)', () => {
          expect(kem.encapsulateDerand).toBeUndefined();
          expect('encapsulateDerand' in kem).toBe(false);
        });
      }

      it('the prepared-key cache follows in-place changes to the secret key array', () => {
        const a = kem.keygen();
        const b = kem.keygen();
        const encA = kem.encapsulate(a.publicKey);
        const encB = kem.encapsulate(b.publicKey);
        const sk = new Uint8Array(a.secretKey);
        expect(kem.decapsulate(encA.cipherText, sk)).toEqual(encA.sharedSecret); // populates the cache
        sk.set(b.secretKey); // same array object, other key
        expect(kem.decapsulate(encB.cipherText, sk)).toEqual(encB.sharedSecret);
        expect(kem.getPublicKey(sk)).toEqual(b.publicKey);
        wipe(sk); // same array object, all-zero seed
        const zero = new Uint8Array(e.secretKey);
        expect(kem.decapsulate(encB.cipherText, sk)).toEqual(kem.decapsulate(encB.cipherText, zero));
        expect(hexOf(kem.decapsulate(encB.cipherText, sk))).not.toBe(hexOf(encB.sharedSecret));
      });

      it('the public-key cache follows in-place changes too', () => {
        const a = kem.keygen();
        const b = kem.keygen();
        const pk = new Uint8Array(a.publicKey);
        const toA = kem.encapsulate(pk);
        expect(kem.decapsulate(toA.cipherText, a.secretKey)).toEqual(toA.sharedSecret);
        pk.set(b.publicKey);
        const toB = kem.encapsulate(pk);
        expect(kem.decapsulate(toB.cipherText, b.secretKey)).toEqual(toB.sharedSecret);
      });
    });
  }
}

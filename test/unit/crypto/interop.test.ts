/**
 * The noble and native providers interoperate byte for byte: the same seed gives the
 * same public key, each decapsulates the other's ciphertexts (including identical
 * implicit-rejection secrets for tampered ciphertexts), and each verifies the other's
 * signatures. Runs where the native provider exists (Node >= 24.7); under CI on such a
 * Node a missing native provider fails instead of skipping.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes } from '../../../src/crypto/bytes.js';
import { getProvider, nativeAvailable } from '../../../src/crypto/provider.js';
import type { KemName, SignatureName } from '../../../src/crypto/types.js';
import { assertNativeWhereExpected } from '../../helpers/vectors.js';
import { flipBit, hexOf } from './helpers.js';

assertNativeWhereExpected();

const ROUNDS = 4;
const KEMS: readonly KemName[] = ['X-Wing', 'ML-KEM-768', 'ML-KEM-1024'];
const SIGNATURES: readonly SignatureName[] = ['ML-DSA-65', 'ML-DSA-87'];

describe.runIf(nativeAvailable())('noble <-> native interoperability', () => {
  for (const name of KEMS) {
    describe(name, () => {
      const noble = getProvider('noble').kem(name);
      const native = nativeAvailable() ? getProvider('native').kem(name) : noble;

      it('the same seed gives the same public key', () => {
        for (let i = 0; i < ROUNDS; i++) {
          const seed = randomBytes(noble.lengths.secretKey);
          const a = noble.keygen(seed);
          const b = native.keygen(seed);
          expect(hexOf(b.publicKey)).toBe(hexOf(a.publicKey));
          expect(b.secretKey).toEqual(a.secretKey);
          expect(native.getPublicKey(seed)).toEqual(noble.getPublicKey(seed));
        }
      });

      it('native decapsulates noble ciphertexts and noble decapsulates native ciphertexts', () => {
        for (let i = 0; i < ROUNDS; i++) {
          const { publicKey, secretKey } = noble.keygen();
          const fromNoble = noble.encapsulate(publicKey);
          expect(hexOf(native.decapsulate(fromNoble.cipherText, secretKey))).toBe(hexOf(fromNoble.sharedSecret));
          const fromNative = native.encapsulate(publicKey);
          expect(hexOf(noble.decapsulate(fromNative.cipherText, secretKey))).toBe(hexOf(fromNative.sharedSecret));
        }
      });

      it('tampered ciphertexts give the same implicit-rejection secret on both', () => {
        const { publicKey, secretKey } = native.keygen();
        const { cipherText, sharedSecret } = native.encapsulate(publicKey);
        for (const bit of [0, 100, 8 * 1000 + 5]) {
          const bad = flipBit(cipherText, bit);
          const a = noble.decapsulate(bad, secretKey);
          expect(hexOf(a)).not.toBe(hexOf(sharedSecret));
          expect(hexOf(native.decapsulate(bad, secretKey))).toBe(hexOf(a));
        }
      });
    });
  }

  for (const name of SIGNATURES) {
    describe(name, () => {
      const noble = getProvider('noble').signature(name);
      const native = nativeAvailable() ? getProvider('native').signature(name) : noble;
      const message = randomBytes(100);

      it('the same seed gives the same public key', () => {
        for (let i = 0; i < ROUNDS; i++) {
          const seed = randomBytes(32);
          expect(hexOf(native.keygen(seed).publicKey)).toBe(hexOf(noble.keygen(seed).publicKey));
          expect(native.getPublicKey(seed)).toEqual(noble.getPublicKey(seed));
        }
      });

      it('native signs, noble verifies; noble signs, native verifies; neither accepts a wrong message', () => {
        const { publicKey, secretKey } = noble.keygen();
        const byNative = native.sign(message, secretKey);
        const byNoble = noble.sign(message, secretKey);
        expect(noble.verify(byNative, message, publicKey)).toBe(true);
        expect(native.verify(byNoble, message, publicKey)).toBe(true);
        expect(noble.verify(byNative, flipBit(message, 0), publicKey)).toBe(false);
        expect(native.verify(byNoble, flipBit(message, 0), publicKey)).toBe(false);
      });
    });
  }

  it('both providers serve Falcon from the same noble object', () => {
    for (const name of ['Falcon-512-r3', 'Falcon-1024-r3'] as const) {
      expect(getProvider('native').signature(name)).toBe(getProvider('noble').signature(name));
    }
  });
});

describe.skipIf(nativeAvailable())('noble <-> native interoperability (native provider unavailable)', () => {
  it(`is not run on Node ${process.versions.node}: node:crypto lacks ML-KEM / ML-DSA`, () => {
    expect(nativeAvailable()).toBe(false);
  });
});

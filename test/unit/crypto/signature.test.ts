/**
 * Signature schemes of every available provider: ML-DSA-65/87 (seed secret keys) and
 * round-3 Falcon-512/1024 (expanded secret keys, noble everywhere). Round trips,
 * randomized signing, verify never throwing, exact error codes, and the prepared-key
 * cache following in-place key changes. Falcon key generation is slow in pure JS, so
 * each Falcon parameter set generates one key pair per file.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from '../../../src/crypto/bytes.js';
import { getProvider } from '../../../src/crypto/provider.js';
import type { KeyPair, SignatureName, SignatureScheme } from '../../../src/crypto/types.js';
import { testProviders } from '../../helpers/vectors.js';
import { NOT_BYTES, expectCode, flipBit, hexOf } from './helpers.js';

const EXPECTED: Record<SignatureName, { publicKey: number; secretKey: number; signature: number }> = {
  'ML-DSA-65': { publicKey: 1952, secretKey: 32, signature: 3309 },
  'ML-DSA-87': { publicKey: 2592, secretKey: 32, signature: 4627 },
  'Falcon-512-r3': { publicKey: 897, secretKey: 1281, signature: 752 },
  'Falcon-1024-r3': { publicKey: 1793, secretKey: 2305, signature: 1462 },
};

const message = new TextEncoder().encode('ontoref-vault signature test message');

/** Checks shared by every scheme. */
function commonTests(scheme: () => SignatureScheme, keys: () => KeyPair, name: SignatureName): void {
  const e = EXPECTED[name];

  it('has the specified sizes', () => {
    expect(scheme().lengths).toEqual(e);
    expect(keys().publicKey.length).toBe(e.publicKey);
    expect(keys().secretKey.length).toBe(e.secretKey);
  });

  it('signs and verifies; signing is randomized; signatures fit the maximum size', () => {
    const s = scheme();
    const a = s.sign(message, keys().secretKey);
    const b = s.sign(message, keys().secretKey);
    expect(s.verify(a, message, keys().publicKey)).toBe(true);
    expect(s.verify(b, message, keys().publicKey)).toBe(true);
    expect(hexOf(a)).not.toBe(hexOf(b));
    expect(a.length).toBeLessThanOrEqual(e.signature);
    expect(Object.getPrototypeOf(a)).toBe(Uint8Array.prototype);
  });

  it('signs the empty message', () => {
    const s = scheme();
    const sig = s.sign(new Uint8Array(0), keys().secretKey);
    expect(s.verify(sig, new Uint8Array(0), keys().publicKey)).toBe(true);
    expect(s.verify(sig, Uint8Array.of(0), keys().publicKey)).toBe(false);
  });

  it('rejects another message, flipped signature bits and flipped public key bits', () => {
    const s = scheme();
    const sig = s.sign(message, keys().secretKey);
    expect(s.verify(sig, flipBit(message, 3), keys().publicKey)).toBe(false);
    expect(s.verify(sig, message.subarray(1), keys().publicKey)).toBe(false);
    for (const bit of [0, 9, 8 * 41 + 1, 8 * Math.floor(sig.length / 2), 8 * sig.length - 1]) {
      expect(s.verify(flipBit(sig, bit), message, keys().publicKey), `signature bit ${bit}`).toBe(false);
    }
    for (const bit of [0, 8 * 40 + 3, 8 * keys().publicKey.length - 1]) {
      expect(s.verify(sig, message, flipBit(keys().publicKey, bit)), `public key bit ${bit}`).toBe(false);
    }
  });

  it('verify never throws: malformed inputs are false', () => {
    const s = scheme();
    const sig = s.sign(message, keys().secretKey);
    const pk = keys().publicKey;
    for (const bad of [new Uint8Array(0), sig.subarray(1), new Uint8Array([...sig, 0]), new Uint8Array(e.signature + 1), new Uint8Array(sig.length)]) {
      expect(s.verify(bad, message, pk)).toBe(false);
    }
    for (const bad of [new Uint8Array(0), pk.subarray(1), new Uint8Array([...pk, 0]), new Uint8Array(pk.length).fill(0xff)]) {
      expect(s.verify(sig, message, bad)).toBe(false);
    }
    for (const v of NOT_BYTES) {
      expect(s.verify(v as Uint8Array, message, pk)).toBe(false);
      expect(s.verify(sig, v as Uint8Array, pk)).toBe(false);
      expect(s.verify(sig, message, v as Uint8Array)).toBe(false);
    }
  });

  it('signing with a wrong-length secret key is OV_KEY_INVALID; a non-byte message is OV_INVALID_ARGUMENT', () => {
    const s = scheme();
    for (const n of [0, e.secretKey - 1, e.secretKey + 1]) expectCode(() => s.sign(message, new Uint8Array(n)), 'OV_KEY_INVALID');
    for (const v of NOT_BYTES) {
      expectCode(() => s.sign(message, v as Uint8Array), 'OV_KEY_INVALID');
      expectCode(() => s.sign(v as Uint8Array, keys().secretKey), 'OV_INVALID_ARGUMENT');
    }
  });
}

for (const provider of testProviders()) {
  for (const name of ['ML-DSA-65', 'ML-DSA-87'] as const) {
    describe(`${provider.name} ${name}`, () => {
      let scheme: SignatureScheme;
      let keys: KeyPair;
      beforeAll(() => {
        scheme = provider.signature(name);
        keys = scheme.keygen();
      });
      commonTests(
        () => scheme,
        () => keys,
        name,
      );

      it(`runs on the ${provider.name} implementation`, () => {
        expect(scheme.implementation).toBe(provider.name);
      });

      it('the secret key is the 32-byte seed: keygen(seed) is deterministic, copies the seed, and getPublicKey recovers the key', () => {
        const seed = randomBytes(32);
        const a = scheme.keygen(seed);
        expect(a.secretKey).toEqual(seed);
        expect(scheme.keygen(new Uint8Array(seed)).publicKey).toEqual(a.publicKey);
        expect(scheme.getPublicKey(seed)).toEqual(a.publicKey);
        seed.fill(7);
        expect(a.secretKey).not.toEqual(seed);
        for (const n of [0, 31, 33, 64]) {
          expectCode(() => scheme.keygen(new Uint8Array(n)), 'OV_KEY_INVALID');
          expectCode(() => scheme.getPublicKey(new Uint8Array(n)), 'OV_KEY_INVALID');
        }
      });

      it('the prepared-key cache follows in-place changes to the secret key array', () => {
        const other = scheme.keygen();
        const sk = new Uint8Array(keys.secretKey);
        expect(scheme.verify(scheme.sign(message, sk), message, keys.publicKey)).toBe(true);
        sk.set(other.secretKey);
        const sig = scheme.sign(message, sk);
        expect(scheme.verify(sig, message, other.publicKey)).toBe(true);
        expect(scheme.verify(sig, message, keys.publicKey)).toBe(false);
      });
    });
  }
}

// Falcon is the noble implementation on every provider: test it once, and check that the
// native provider hands out the very same objects.
for (const name of ['Falcon-512-r3', 'Falcon-1024-r3'] as const) {
  describe(`${name} (noble on every provider)`, () => {
    const scheme = getProvider('noble').signature(name);
    let keys: KeyPair;
    beforeAll(() => {
      keys = scheme.keygen();
    });
    commonTests(
      () => scheme,
      () => keys,
      name,
    );

    it('every provider serves the same noble object', () => {
      for (const p of testProviders()) {
        expect(p.signature(name)).toBe(scheme);
        expect(p.signature(name).implementation).toBe('noble');
      }
    });

    it('getPublicKey re-derives the public key (h = g / f mod q) from the expanded secret key', () => {
      expect(scheme.getPublicKey(keys.secretKey)).toEqual(keys.publicKey);
      const other = scheme.keygen();
      expect(scheme.getPublicKey(other.secretKey)).toEqual(other.publicKey);
      expect(scheme.getPublicKey(other.secretKey)).not.toEqual(keys.publicKey);
      const bad = new Uint8Array(keys.secretKey);
      bad[0] = 0x00; // the header byte must be 0x50 + logn
      expectCode(() => scheme.getPublicKey(bad), 'OV_KEY_INVALID');
      expectCode(() => scheme.getPublicKey(keys.secretKey.subarray(1)), 'OV_KEY_INVALID');
    });

    it('a secret key of the right length but a bad encoding is OV_KEY_INVALID', () => {
      const bad = new Uint8Array(keys.secretKey);
      bad[0] = 0x00; // the header byte must be 0x50 + logn
      expectCode(() => scheme.sign(message, bad), 'OV_KEY_INVALID');
    });

    it('keygen takes only a 48-byte seed', () => {
      for (const n of [0, 32, 47, 49]) expectCode(() => scheme.keygen(new Uint8Array(n)), 'OV_INVALID_ARGUMENT');
    });

    it('a signature for one key does not verify under another Falcon parameter set', () => {
      const sig = scheme.sign(message, keys.secretKey);
      const otherName = name === 'Falcon-512-r3' ? 'Falcon-1024-r3' : 'Falcon-512-r3';
      const other = getProvider('noble').signature(otherName);
      expect(other.verify(sig, message, new Uint8Array(other.lengths.publicKey))).toBe(false);
    });
  });
}

/**
 * X25519 (src/crypto/x25519.ts) against the RFC 7748 section 6.1 example, refusal of
 * low-order peer keys (all-zero shared secret), and the one-shot HKDF against RFC 5869
 * test case 1: the primitives age's X25519 recipient type is built from.
 */
import { describe, expect, it } from 'vitest';
import { hkdf } from '../../../src/crypto/kdf.js';
import { x25519, x25519Keygen, x25519PublicKey } from '../../../src/crypto/x25519.js';
import { isVaultError } from '../../../src/errors.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const ALICE_SK = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
const ALICE_PK = '8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a';
const BOB_SK = hex('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb');
const BOB_PK = 'de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f';
const SHARED = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742';

describe('x25519', () => {
  it('matches RFC 7748 section 6.1', () => {
    expect(toHex(x25519PublicKey(ALICE_SK))).toBe(ALICE_PK);
    expect(toHex(x25519PublicKey(BOB_SK))).toBe(BOB_PK);
    expect(toHex(x25519(ALICE_SK, hex(BOB_PK)))).toBe(SHARED);
    expect(toHex(x25519(BOB_SK, hex(ALICE_PK)))).toBe(SHARED);
    expect(toHex(x25519Keygen(ALICE_SK).publicKey)).toBe(ALICE_PK);
  });

  it('fresh key pairs agree', () => {
    const a = x25519Keygen();
    const b = x25519Keygen();
    expect(a.secretKey).not.toEqual(b.secretKey);
    expect(x25519(a.secretKey, b.publicKey)).toEqual(x25519(b.secretKey, a.publicKey));
  });

  it('refuses low-order points (all-zero shared secret) and wrong lengths with OV_KEY_INVALID', () => {
    for (const bad of [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31)), new Uint8Array(31)]) {
      let err: unknown;
      try {
        x25519(ALICE_SK, bad);
      } catch (e) {
        err = e;
      }
      expect(isVaultError(err, 'OV_KEY_INVALID'), String(err)).toBe(true);
    }
  });
});

describe('hkdf', () => {
  it('matches RFC 5869 test case 1', () => {
    const ikm = new Uint8Array(22).fill(0x0b);
    const salt = hex('000102030405060708090a0b0c');
    const info = hex('f0f1f2f3f4f5f6f7f8f9');
    expect(toHex(hkdf('SHA-256', ikm, salt, info, 42))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });
});

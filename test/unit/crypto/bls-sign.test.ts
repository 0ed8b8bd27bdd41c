/**
 * The native blst signer and the noble fallback give byte-identical signatures for the
 * same keys and messages, and refuse the same out-of-range secrets; so which one loads
 * changes speed, never a signature.
 */
import { describe, expect, it } from 'vitest';
import { BLS_CURVE_ORDER, blsVerify } from '../../../src/crypto/bls.js';
import { blsSigner, nativeBlsSigner, nobleBlsSigner } from '../../../src/crypto/bls-sign.js';
import { sha256 } from '../../helpers/ssz-reference.js';

function secretOf(i: number): Uint8Array {
  // Deterministic scalars below r: a hash with its top byte cleared.
  const s = sha256(new TextEncoder().encode(`bls-sign test key ${i}`));
  s[0] = (s[0] as number) & 0x3f;
  return s;
}

function toBytes32(x: bigint): Uint8Array {
  return Uint8Array.from(Buffer.from(x.toString(16).padStart(64, '0'), 'hex'));
}

const native = nativeBlsSigner();

describe('bls signers', () => {
  it('prefers the native binding where it loads', () => {
    expect(blsSigner().name).toBe(native === undefined ? 'noble' : 'blst');
  });

  // The native addon ships for the platforms CI runs on; a runtime without it has only noble.
  it.skipIf(native === undefined)('blst and noble agree byte for byte', () => {
    const blst = native!;
    for (let i = 0; i < 4; i++) {
      const sk = secretOf(i);
      expect(Buffer.from(blst.publicKey(sk))).toEqual(Buffer.from(nobleBlsSigner.publicKey(sk)));
      for (const msg of [new Uint8Array(32), sha256(Uint8Array.of(i)), new Uint8Array(0), new Uint8Array(100).fill(i)]) {
        const a = blst.sign(msg, sk);
        const b = nobleBlsSigner.sign(msg, sk);
        expect(Buffer.from(a)).toEqual(Buffer.from(b));
        expect(blsVerify(a, msg, nobleBlsSigner.publicKey(sk))).toBe(true);
      }
    }
  });

  it.skipIf(native === undefined)('both refuse zero, r and short secrets', () => {
    for (const bad of [new Uint8Array(32), toBytes32(BLS_CURVE_ORDER), new Uint8Array(31).fill(1)]) {
      expect(() => native!.sign(new Uint8Array(32), bad)).toThrow(RangeError);
      expect(() => nobleBlsSigner.sign(new Uint8Array(32), bad)).toThrow(RangeError);
    }
  });
});

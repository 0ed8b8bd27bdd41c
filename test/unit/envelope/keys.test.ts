/**
 * Key files (src/envelope/keys.ts): generation for every algorithm, canonical encode /
 * strict decode round trips, key ids, and the ways a key file must be refused
 * (OV_KEY_INVALID): wrong magic, version, kind, algorithm, lengths, trailing bytes, a
 * tampered key id, and a secret key whose public key belongs to another key.
 */
import { describe, expect, it } from 'vitest';
import type { CryptoProvider, KemName, SignatureName } from '../../../src/crypto/types.js';
import { isVaultError, type ErrorCode } from '../../../src/errors.js';
import { ALGS } from '../../../src/envelope/format.js';
import {
  decodeKey,
  encodeKey,
  generateKey,
  keyIdHex,
  publicKeyOf,
  type KeyAlg,
  type SecretKeyInfo,
} from '../../../src/envelope/index.js';
import { keyFromSeed } from '../../../src/envelope/internal.js';
import { deriveKeyId } from '../../../src/envelope/keys.js';
import { testProviders } from '../../helpers/vectors.js';

const providers = testProviders();
const noble = providers[0] as CryptoProvider;
const ALL: KeyAlg[] = ['X-Wing', 'ML-KEM-768', 'ML-KEM-1024', 'ML-DSA-65', 'ML-DSA-87', 'Falcon-512-r3', 'Falcon-1024-r3'];

function expectCode(fn: () => unknown, code: ErrorCode): void {
  let e: unknown;
  try {
    fn();
  } catch (err) {
    e = err;
  }
  expect(isVaultError(e, code), `expected ${code}, got ${String(e)}`).toBe(true);
}

describe('key generation and key files', () => {
  for (const provider of providers) {
    for (const alg of ALL) {
      it(`${provider.name}: ${alg} generates, encodes and decodes canonically`, () => {
        const sk = generateKey(provider, alg, { keyVersion: 7 });
        const isKem = alg === 'X-Wing' || alg.startsWith('ML-KEM');
        expect(sk.kind).toBe(isKem ? 'kem-secret' : 'sig-secret');
        expect(sk.alg).toBe(alg);
        expect(sk.keyVersion).toBe(7);
        expect(sk.keyId).toHaveLength(16);
        expect(sk.keyId).toEqual(deriveKeyId(alg, sk.publicKey));
        const skBytes = encodeKey(sk);
        const back = decodeKey(skBytes, provider);
        expect(back).toEqual(sk);
        expect(encodeKey(back)).toEqual(skBytes);
        const pk = publicKeyOf(sk);
        expect(pk.kind).toBe(isKem ? 'kem-public' : 'sig-public');
        expect(Object.keys(pk).sort()).toEqual(['alg', 'keyId', 'keyVersion', 'kind', 'publicKey']);
        const pkBytes = encodeKey(pk);
        expect(decodeKey(pkBytes, provider)).toEqual(pk);
        expect(keyIdHex(pk)).toMatch(/^[0-9a-f]{32}$/);
      });
    }
  }

  it('algorithm table lengths agree with the providers', () => {
    for (const provider of providers) {
      for (const a of ALGS) {
        const lengths =
          a.family === 'kem' ? provider.kem(a.name as KemName).lengths : provider.signature(a.name as SignatureName).lengths;
        expect([a.name, a.publicKeyLength, a.secretKeyLength]).toEqual([a.name, lengths.publicKey, lengths.secretKey]);
        if (a.family === 'sig') expect(a.maxSignature).toBe((lengths as { signature: number }).signature);
      }
    }
  });

  it('the same seed gives the same key on every provider', () => {
    const seeds: [KeyAlg, number][] = [
      ['X-Wing', 32],
      ['ML-KEM-1024', 64],
      ['ML-DSA-65', 32],
    ];
    for (const [alg, n] of seeds) {
      const seed = new Uint8Array(n).fill(7);
      const keys = providers.map((p) => encodeKey(keyFromSeed(p, alg, seed)));
      for (const k of keys) expect(k).toEqual(keys[0]);
    }
  });

  it('rejects unknown options and bad key versions', () => {
    expectCode(() => generateKey(noble, 'X-Wing', { version: 2 } as never), 'OV_INVALID_ARGUMENT');
    expectCode(() => generateKey(noble, 'X-Wing', { keyVersion: 0 }), 'OV_INVALID_ARGUMENT');
    expectCode(() => generateKey(noble, 'X-Wing', { keyVersion: 2 ** 32 }), 'OV_INVALID_ARGUMENT');
    expectCode(() => generateKey(noble, 'RSA' as never), 'OV_ALGORITHM_UNSUPPORTED');
  });
});

describe('decodeKey refuses malformed key files with OV_KEY_INVALID', () => {
  const xwing = generateKey(noble, 'X-Wing');
  const other = generateKey(noble, 'X-Wing');
  const dsa = generateKey(noble, 'ML-DSA-65');
  const good = encodeKey(xwing);
  const mutate = (f: (b: Uint8Array) => void, base = good): Uint8Array => {
    const b = base.slice();
    f(b);
    return b;
  };
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['truncated', good.subarray(0, good.length - 1)],
    ['trailing byte', Uint8Array.from([...good, 0])],
    ['bad magic', mutate((b) => (b[0] = 0x58))],
    ['version 2', mutate((b) => (b[4] = 2))],
    ['kind 0', mutate((b) => (b[5] = 0))],
    ['kind 5', mutate((b) => (b[5] = 5))],
    ['kind says signature key', mutate((b) => (b[5] = 4))],
    ['unknown alg id', mutate((b) => (b[7] = 0x7b))],
    ['alg changed to ML-KEM-768 (lengths differ)', mutate((b) => ((b[6] = 0x00), (b[7] = 0x41)))],
    ['key version 0', mutate((b) => b.fill(0, 8, 12))],
    ['key id tampered', mutate((b) => (b[12] = (b[12] ?? 0) ^ 1))],
    ['public key flipped (key id no longer matches)', mutate((b) => (b[40] = (b[40] ?? 0) ^ 1))],
    ['public key length wrong', mutate((b) => (b[29] = (b[29] ?? 0) + 1))],
  ];
  for (const [name, bytes] of cases) it(name, () => expectCode(() => decodeKey(bytes, noble), 'OV_KEY_INVALID'));

  it('secret key that does not belong to the public key', () => {
    const frank: SecretKeyInfo = { ...xwing, secretKey: other.secretKey };
    expectCode(() => decodeKey(encodeKey(frank), noble), 'OV_KEY_INVALID');
    const frankDsa: SecretKeyInfo = { ...dsa, secretKey: generateKey(noble, 'ML-DSA-65').secretKey };
    expectCode(() => decodeKey(encodeKey(frankDsa), noble), 'OV_KEY_INVALID');
  });

  for (const alg of ['Falcon-512-r3', 'Falcon-1024-r3'] as const) {
    it(`${alg}: a secret key stored with another key's public key is refused on every provider`, () => {
      const a = generateKey(noble, alg);
      const b = generateKey(noble, alg);
      // The public key (and so the key id) of a, the secret key of b: signatures made with
      // this file would fail against the key it claims to be.
      const frank: SecretKeyInfo = { ...a, secretKey: b.secretKey };
      for (const p of providers) {
        expectCode(() => decodeKey(encodeKey(frank), p), 'OV_KEY_INVALID');
        expect(decodeKey(encodeKey(a), p)).toEqual(a);
      }
    });
  }

  it('decoded keys own their bytes: wiping the input changes nothing', () => {
    const input = good.slice();
    const k = decodeKey(input, noble) as SecretKeyInfo;
    input.fill(0);
    expect(k).toEqual(xwing);
  });

  it('encodeKey refuses inconsistent objects', () => {
    expectCode(() => encodeKey({ ...xwing, kind: 'sig-secret' }), 'OV_KEY_INVALID');
    expectCode(() => encodeKey({ ...xwing, publicKey: new Uint8Array(3) }), 'OV_KEY_INVALID');
    expectCode(() => encodeKey({ ...xwing, secretKey: new Uint8Array(3) }), 'OV_KEY_INVALID');
  });
});

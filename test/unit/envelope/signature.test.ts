/**
 * Detached signatures (src/envelope/signature.ts): sign/verify for every signature
 * algorithm on every provider and across providers, and OV_SIGNATURE_INVALID for each
 * way a signature must not verify: other message, other context, other key, other key
 * version, any flipped byte, truncation, trailing bytes, an algorithm id swapped.
 */
import { describe, expect, it } from 'vitest';
import type { CryptoProvider, SignatureName } from '../../../src/crypto/types.js';
import { isVaultError, type ErrorCode } from '../../../src/errors.js';
import { generateKey, publicKeyOf, signDetached, verifyDetached, type SecretKeyInfo } from '../../../src/envelope/index.js';
import { decodeDetached } from '../../../src/envelope/signature.js';
import { testProviders } from '../../helpers/vectors.js';

const providers = testProviders();
const noble = providers[0] as CryptoProvider;
const te = new TextEncoder();
const ALGS: SignatureName[] = ['ML-DSA-65', 'ML-DSA-87', 'Falcon-512-r3', 'Falcon-1024-r3'];
const keys = Object.fromEntries(ALGS.map((a) => [a, generateKey(noble, a)])) as Record<SignatureName, SecretKeyInfo>;
const message = te.encode('release-1.2.3.tar.gz contents');

function expectCode(fn: () => unknown, code: ErrorCode): void {
  let e: unknown;
  try {
    fn();
  } catch (err) {
    e = err;
  }
  expect(isVaultError(e, code), `expected ${code}, got ${String(e)}`).toBe(true);
}

describe('detached signatures', () => {
  for (const provider of providers) {
    for (const alg of ALGS) {
      it(`${provider.name}: ${alg} signs and verifies, with and without context`, () => {
        const key = keys[alg];
        const sig = signDetached(provider, { key, message });
        verifyDetached(provider, { signature: sig, message, key: publicKeyOf(key) });
        const sigC = signDetached(provider, { key, message, context: 'artifact' });
        verifyDetached(provider, { signature: sigC, message, key: publicKeyOf(key), context: te.encode('artifact') });
        const parsed = decodeDetached(sigC);
        expect(parsed.alg).toBe(alg);
        expect(parsed.keyId).toEqual(key.keyId);
        expect(new TextDecoder().decode(parsed.context)).toBe('artifact');
      });
    }
  }

  if (providers.length > 1) {
    it('noble and native verify each other’s ML-DSA signatures', () => {
      const [a, b] = providers as [CryptoProvider, CryptoProvider];
      for (const alg of ['ML-DSA-65', 'ML-DSA-87'] as const) {
        verifyDetached(b, { signature: signDetached(a, { key: keys[alg], message }), message, key: publicKeyOf(keys[alg]) });
        verifyDetached(a, { signature: signDetached(b, { key: keys[alg], message }), message, key: publicKeyOf(keys[alg]) });
      }
    });
  }

  it('verifies a large message (hash-then-sign)', () => {
    const big = new Uint8Array(8 << 20).fill(0xa5);
    const key = keys['ML-DSA-65'];
    verifyDetached(noble, { signature: signDetached(noble, { key, message: big }), message: big, key: publicKeyOf(key) });
  });
});

describe('detached signatures: failures are OV_SIGNATURE_INVALID', () => {
  const key = keys['ML-DSA-65'];
  const pub = publicKeyOf(key);
  const sig = signDetached(noble, { key, message, context: 'c' });
  const verify = (signature: Uint8Array, over = {}): void =>
    verifyDetached(noble, { signature, message, key: pub, context: 'c', ...over });

  it('sanity: the untouched signature verifies', () => verify(sig));
  it('other message', () => expectCode(() => verify(sig, { message: te.encode('other') }), 'OV_SIGNATURE_INVALID'));
  it('other context, or none', () => {
    expectCode(() => verify(sig, { context: 'd' }), 'OV_SIGNATURE_INVALID');
    expectCode(() => verifyDetached(noble, { signature: sig, message, key: pub }), 'OV_SIGNATURE_INVALID');
  });
  it('other key of the same algorithm', () => {
    const other = publicKeyOf(generateKey(noble, 'ML-DSA-65'));
    expectCode(() => verify(sig, { key: other }), 'OV_SIGNATURE_INVALID');
  });
  it('same key bytes, other key version', () => {
    expectCode(() => verify(sig, { key: { ...pub, keyVersion: 2 } }), 'OV_SIGNATURE_INVALID');
  });
  it('algorithm id swapped to ML-DSA-87', () => {
    const b = sig.slice();
    b[6] = 0x02;
    expectCode(() => verify(b, { key: publicKeyOf(keys['ML-DSA-87']) }), 'OV_SIGNATURE_INVALID');
  });
  it('every flipped byte of the header and a sample of the signature', () => {
    for (let i = 0; i < sig.length; i += i < 64 ? 1 : 97) {
      const b = sig.slice();
      b[i] = (b[i] ?? 0) ^ 0x01;
      expectCode(() => verify(b), 'OV_SIGNATURE_INVALID');
    }
  });
  it('truncated and extended', () => {
    expectCode(() => verify(sig.subarray(0, sig.length - 1)), 'OV_SIGNATURE_INVALID');
    expectCode(() => verify(sig.subarray(0, 10)), 'OV_SIGNATURE_INVALID');
    expectCode(() => verify(Uint8Array.from([...sig, 0])), 'OV_SIGNATURE_INVALID');
  });
  it('wrong key kinds are OV_KEY_INVALID; unknown options OV_INVALID_ARGUMENT', () => {
    expectCode(() => verify(sig, { key: key }), 'OV_KEY_INVALID');
    expectCode(() => signDetached(noble, { key: publicKeyOf(key) as never, message }), 'OV_KEY_INVALID');
    expectCode(() => signDetached(noble, { key: generateKey(noble, 'X-Wing'), message }), 'OV_KEY_INVALID');
    expectCode(() => signDetached(noble, { key, message, ctx: 'x' } as never), 'OV_INVALID_ARGUMENT');
  });
});

/**
 * Provider selection (src/crypto/provider.ts): explicit names, 'auto', unknown names,
 * the native provider's availability rule, and the algorithm lookup of each provider.
 */
import { describe, expect, it } from 'vitest';
import { getProvider, nativeAvailable, selectProvider } from '../../../src/crypto/provider.js';
import type { KemName, ProviderName, SignatureName } from '../../../src/crypto/types.js';
import { inCI, nodeAtLeast, testProviders } from '../../helpers/vectors.js';
import { expectCode } from './helpers.js';

const KEMS: readonly KemName[] = ['X-Wing', 'ML-KEM-768', 'ML-KEM-1024'];
const SIGNATURES: readonly SignatureName[] = ['ML-DSA-65', 'ML-DSA-87', 'Falcon-512-r3', 'Falcon-1024-r3'];

describe('nativeAvailable', () => {
  it('is false below Node 24.7 (no ML-KEM in node:crypto)', () => {
    if (!nodeAtLeast(24, 7)) expect(nativeAvailable()).toBe(false);
    else expect(typeof nativeAvailable()).toBe('boolean');
  });

  it('is true on Node >= 24.7 under CI: native tests must never skip silently there', () => {
    if (inCI() && nodeAtLeast(24, 7)) expect(nativeAvailable()).toBe(true);
    expect(() => testProviders()).not.toThrow();
  });

  it('gives the same answer on every call', () => {
    const first = nativeAvailable();
    for (let i = 0; i < 3; i++) expect(nativeAvailable()).toBe(first);
  });
});

describe('getProvider / selectProvider', () => {
  it("'noble' works everywhere", () => {
    const p = getProvider('noble');
    expect(p.name).toBe('noble');
    expect(selectProvider('noble')).toBe(p);
    const { publicKey, secretKey } = p.kem('ML-KEM-768').keygen();
    const { cipherText, sharedSecret } = p.kem('ML-KEM-768').encapsulate(publicKey);
    expect(p.kem('ML-KEM-768').decapsulate(cipherText, secretKey)).toEqual(sharedSecret);
  });

  it("'native' is returned where available, else OV_PROVIDER_UNAVAILABLE", () => {
    if (nativeAvailable()) {
      expect(getProvider('native').name).toBe('native');
      expect(selectProvider('native')).toBe(getProvider('native'));
    } else {
      expectCode(() => getProvider('native'), 'OV_PROVIDER_UNAVAILABLE');
      expectCode(() => selectProvider('native'), 'OV_PROVIDER_UNAVAILABLE');
    }
  });

  it("undefined, '' and 'auto' pick native exactly when it is available", () => {
    const expected = nativeAvailable() ? 'native' : 'noble';
    expect(selectProvider().name).toBe(expected);
    expect(selectProvider(undefined).name).toBe(expected);
    expect(selectProvider('').name).toBe(expected);
    expect(selectProvider('auto').name).toBe(expected);
  });

  it('unknown names are OV_PROVIDER_UNKNOWN, with no case folding or trimming', () => {
    for (const bad of ['bogus', 'NOBLE', 'Native', ' noble', 'noble ', 'openssl', 'AUTO']) {
      expectCode(() => selectProvider(bad), 'OV_PROVIDER_UNKNOWN');
    }
    expectCode(() => getProvider('bogus' as ProviderName), 'OV_PROVIDER_UNKNOWN');
    expectCode(() => getProvider('auto' as ProviderName), 'OV_PROVIDER_UNKNOWN');
  });

  it('the unknown-provider error does not echo more than a short prefix of the input', () => {
    try {
      selectProvider('x'.repeat(10_000));
      expect.unreachable();
    } catch (e) {
      expect(JSON.stringify((e as { detail?: unknown }).detail).length).toBeLessThan(200);
    }
  });
});

for (const provider of testProviders()) {
  describe(`${provider.name} provider algorithm lookup`, () => {
    it('serves every KEM and signature scheme by name, the same object each time', () => {
      for (const name of KEMS) {
        expect(provider.kem(name).name).toBe(name);
        expect(provider.kem(name)).toBe(provider.kem(name));
      }
      for (const name of SIGNATURES) {
        expect(provider.signature(name).name).toBe(name);
        expect(provider.signature(name)).toBe(provider.signature(name));
      }
    });

    it('unknown algorithms are OV_ALGORITHM_UNSUPPORTED', () => {
      for (const bad of ['ML-KEM-512', 'xwing', 'X25519', '', 'toString', '__proto__']) {
        expectCode(() => provider.kem(bad as KemName), 'OV_ALGORITHM_UNSUPPORTED');
      }
      for (const bad of ['ML-DSA-44', 'Falcon-512', 'FN-DSA-512', 'Ed25519', 'constructor']) {
        expectCode(() => provider.signature(bad as SignatureName), 'OV_ALGORITHM_UNSUPPORTED');
      }
    });

    it('reports which implementation runs each signature scheme (Falcon is always noble)', () => {
      expect(provider.signature('Falcon-512-r3').implementation).toBe('noble');
      expect(provider.signature('Falcon-1024-r3').implementation).toBe('noble');
      expect(provider.signature('ML-DSA-65').implementation).toBe(provider.name);
      expect(provider.signature('ML-DSA-87').implementation).toBe(provider.name);
    });

    it('provider and algorithm objects are frozen', () => {
      expect(Object.isFrozen(provider)).toBe(true);
      for (const name of KEMS) expect(Object.isFrozen(provider.kem(name))).toBe(true);
      for (const name of SIGNATURES) expect(Object.isFrozen(provider.signature(name))).toBe(true);
    });
  });
}

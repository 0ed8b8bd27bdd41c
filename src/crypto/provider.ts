/**
 * Crypto provider selection. `noble` (pure JS) runs everywhere; `native` (node:crypto,
 * OpenSSL >= 3.5 on Node >= 24.7) is chosen automatically where it works. Both produce
 * the same keys from the same seeds and interoperate byte for byte, so the choice is a
 * matter of speed, never of format.
 *
 * Library code never reads the environment: entry points (cli/main.ts, the daemon's
 * main.ts) pass `process.env.ONTOREF_CRYPTO_PROVIDER` to `selectProvider`.
 * @module
 */
import { VaultError } from '../errors.js';
import { nativeProvider, probeNative } from './native.js';
import { nobleProvider } from './noble.js';
import type { CryptoProvider, ProviderName } from './types.js';

export type ProviderRequest = 'auto' | 'noble' | 'native';

let nativeProbe: boolean | undefined;

/**
 * True when node:crypto has ML-KEM-768/1024, ML-DSA-65/87 (importable from seeds),
 * X25519 and SHA-3. Probed once per process, on first call.
 */
export function nativeAvailable(): boolean {
  nativeProbe ??= probeNative();
  return nativeProbe;
}

/** The named provider; OV_PROVIDER_UNAVAILABLE for `native` where it cannot run, OV_PROVIDER_UNKNOWN otherwise. */
export function getProvider(name: ProviderName): CryptoProvider {
  switch (name) {
    case 'noble':
      return nobleProvider;
    case 'native':
      if (!nativeAvailable()) {
        throw new VaultError('OV_PROVIDER_UNAVAILABLE', { provider: 'native', node: process.versions.node });
      }
      return nativeProvider;
    default:
      throw new VaultError('OV_PROVIDER_UNKNOWN', { provider: String(name).slice(0, 64) });
  }
}

/**
 * The provider for a user's request: undefined, '' or 'auto' picks native when available,
 * else noble; 'noble' and 'native' as `getProvider`; anything else is OV_PROVIDER_UNKNOWN.
 */
export function selectProvider(requested?: string): CryptoProvider {
  if (requested === undefined || requested === '' || requested === 'auto') {
    return nativeAvailable() ? nativeProvider : nobleProvider;
  }
  if (requested === 'noble' || requested === 'native') return getProvider(requested);
  throw new VaultError('OV_PROVIDER_UNKNOWN', { provider: String(requested).slice(0, 64) });
}

/**
 * Which Ethereum chain a key belongs to: the genesis validators root (GVR) of the
 * beacon chain, as EIP-3076 interchanges carry it in `metadata.genesis_validators_root`.
 * A slot records its root in its metadata under `genesis_validators_root`; a slot
 * without one is *unbound*, and nothing exports its slashing protection until it is bound.
 *
 * The presets are the published roots of the public networks (each is the
 * `genesis_validators_root` their beacon nodes report from `/eth/v1/beacon/genesis`).
 * @module
 */
import { VaultError } from '../errors.js';

export const NETWORK_ROOTS = Object.freeze({
  mainnet: '0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95',
  hoodi: '0x212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f',
  sepolia: '0xd8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078',
  holesky: '0x9143aa7c615a7f7115e2b6aac319c03529df8242ae705fba9df39b79c59fa8b1',
  gnosis: '0xf5dcb5564e829aab27264b9becd5dfaa017085611224cb3036f573368dbb9d47',
} as const);

export type NetworkName = keyof typeof NETWORK_ROOTS;
export const NETWORK_NAMES = Object.freeze(Object.keys(NETWORK_ROOTS)) as readonly NetworkName[];

/** Slot metadata key holding the root. */
export const ROOT_METADATA = 'genesis_validators_root';

const ROOT_RE = /^0x[0-9a-fA-F]{64}$/;
const ZERO = `0x${'00'.repeat(32)}`;

/**
 * A root as stored: lowercase 0x-hex of 32 bytes. The all-zero root is refused: it is
 * what tools write when they do not know the chain, and it would bind nothing.
 */
export function checkRoot(root: unknown, field = ROOT_METADATA): string {
  if (typeof root !== 'string' || !ROOT_RE.test(root)) throw new VaultError('OV_INVALID_ARGUMENT', { field, reason: 'not 0x and 32 bytes of hex' });
  const r = root.toLowerCase();
  if (r === ZERO) throw new VaultError('OV_INVALID_ARGUMENT', { field, reason: 'the zero root names no chain' });
  return r;
}

/** The root of a preset network name. */
export function networkRoot(name: unknown, field = 'network'): string {
  if (typeof name !== 'string' || !Object.hasOwn(NETWORK_ROOTS, name)) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field, reason: `one of ${NETWORK_NAMES.join(', ')}` });
  }
  return NETWORK_ROOTS[name as NetworkName];
}

/** The preset name of a root, when it is one. */
export function networkOf(root: string): NetworkName | undefined {
  return NETWORK_NAMES.find((n) => NETWORK_ROOTS[n] === root);
}

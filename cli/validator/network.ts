/**
 * `--network NAME` or `--genesis-validators-root 0x..`: which Ethereum chain a key signs
 * for, so its slashing protection is exported with the right root and an interchange of
 * another chain is refused.
 * @module
 */
import { NETWORK_NAMES, NETWORK_ROOTS, type NetworkName } from '../../src/validators/networks.js';
import { CliError, usageError } from '../errors.js';

export const NETWORK_OPTIONS = {
  network: { type: 'string', arg: 'NAME', help: `ethereum: the key's chain, one of ${NETWORK_NAMES.join(', ')}` },
  'genesis-validators-root': { type: 'string', arg: '0x..', help: "ethereum: the key's chain by its genesis validators root (another network)" },
} as const;

/** The root the options name, or undefined when neither is given. */
export function rootOf(v: { network?: string | undefined; 'genesis-validators-root'?: string | undefined }, commandPath: string): string | undefined {
  const net = v.network;
  const root = v['genesis-validators-root'];
  if (net !== undefined && root !== undefined) throw usageError('give --network or --genesis-validators-root, not both', commandPath);
  if (net !== undefined) {
    if (!Object.hasOwn(NETWORK_ROOTS, net)) throw new CliError('OV_INVALID_ARGUMENT', { reason: `--network must be one of ${NETWORK_NAMES.join(', ')}` });
    return NETWORK_ROOTS[net as NetworkName];
  }
  if (root !== undefined) {
    if (!/^0x[0-9a-fA-F]{64}$/.test(root) || /^0x0{64}$/.test(root)) throw new CliError('OV_INVALID_ARGUMENT', { reason: '--genesis-validators-root must be 0x and 64 hex digits, not all zero' });
    return root.toLowerCase();
  }
  return undefined;
}

/**
 * `vault validator signing-state NAME`: shows or raises a slot's signing state
 * (`PUT /v1/validators/{name}/signing-state`): Cosmos height/round/step, Ethereum
 * slashing-protection watermarks. The daemon only ever raises it (a lower value is
 * OV_SIGNING_STATE_REGRESSION), so a key rotated in later can never sign below it.
 * @module
 */
import type { SigningState } from '../../src/client/index.js';
import { defineCommand } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { MAX_KEY_FILE_BYTES, readFileCapped } from '../io.js';
import { formatPairs, printJson } from '../connect/format.js';
import { checkName, validators } from './shared.js';

const UINT = /^\d{1,20}$/;

function uint(v: string | undefined, opt: string): string | undefined {
  if (v === undefined) return undefined;
  if (!UINT.test(v) || BigInt(v) > 0xffffffffffffffffn) throw new CliError('OV_INVALID_ARGUMENT', { reason: `--${opt} must be a decimal integer (uint64)` });
  return v;
}

function small(v: string | undefined, opt: string): number | undefined {
  const s = uint(v, opt);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n > 0x7fffffff) throw new CliError('OV_INVALID_ARGUMENT', { reason: `--${opt} is too large` });
  return n;
}

export const command = defineCommand({
  name: 'signing-state',
  usage: [
    'vault validator signing-state NAME [--json]',
    '       vault validator signing-state NAME --height H [--round R] [--step S] [--json]',
    '       vault validator signing-state NAME --state-file priv_validator_state.json [--json]',
    '       vault validator signing-state NAME [--max-block-slot N] [--max-source-epoch N] [--max-target-epoch N] [--json]',
  ].join('\n'),
  positionals: { min: 1, max: 1, name: 'NAME' },
  options: {
    height: { type: 'string', arg: 'H', help: 'cosmos: block height' },
    round: { type: 'string', arg: 'R', help: 'cosmos: round (default 0)' },
    step: { type: 'string', arg: 'S', help: 'cosmos: step (default 0)' },
    'state-file': { type: 'string', arg: 'FILE', help: "cosmos: take height, round and step from a validator's priv_validator_state.json" },
    'max-block-slot': { type: 'string', arg: 'N', help: 'ethereum: highest block slot signed' },
    'max-source-epoch': { type: 'string', arg: 'N', help: 'ethereum: highest attestation source epoch signed' },
    'max-target-epoch': { type: 'string', arg: 'N', help: 'ethereum: highest attestation target epoch signed' },
    json: { type: 'boolean', help: 'print the slot' },
  },
  async run(ctx) {
    const v = ctx.values;
    const name = checkName(ctx.positionals[0]);
    const cosmos = v.height !== undefined || v.round !== undefined || v.step !== undefined || v['state-file'] !== undefined;
    const eth = v['max-block-slot'] !== undefined || v['max-source-epoch'] !== undefined || v['max-target-epoch'] !== undefined;
    if (cosmos && eth) throw usageError('cosmos and ethereum options do not mix', ctx.commandPath);
    const client = await validators(ctx);
    let state: SigningState | undefined;
    if (v['state-file'] !== undefined) {
      if (v.height !== undefined || v.round !== undefined || v.step !== undefined) throw usageError('--state-file or --height/--round/--step, not both', ctx.commandPath);
      let doc: unknown;
      try {
        doc = JSON.parse(Buffer.from(await readFileCapped(v['state-file'], MAX_KEY_FILE_BYTES)).toString('utf8'));
      } catch (e) {
        if (e instanceof CliError) throw e;
        throw new CliError('OV_VALIDATOR_KEY_INVALID', { reason: 'the state file is not JSON' });
      }
      const d = doc as { height?: unknown; round?: unknown; step?: unknown } | null;
      const height = typeof d?.height === 'string' ? d.height : typeof d?.height === 'number' ? String(d.height) : undefined;
      if (height === undefined || !UINT.test(height) || typeof d?.round !== 'number' || typeof d.step !== 'number') {
        throw new CliError('OV_VALIDATOR_KEY_INVALID', { reason: 'the state file needs height, round and step' });
      }
      state = { height, round: d.round, step: d.step };
    } else if (cosmos) {
      if (v.height === undefined) throw usageError('--round and --step go with --height', ctx.commandPath);
      state = { height: uint(v.height, 'height') ?? '0', round: small(v.round, 'round') ?? 0, step: small(v.step, 'step') ?? 0 };
    } else if (eth) {
      // Unchanged watermarks are sent as they are: the daemon takes the whole object.
      const cur = (await client.get(name)).signing_state;
      const pick = (opt: string, key: 'max_block_slot' | 'max_source_epoch' | 'max_target_epoch'): string | null => {
        const given = uint(v[opt as 'max-block-slot'], opt);
        if (given !== undefined) return given;
        const c = cur[key];
        return typeof c === 'string' ? c : null;
      };
      state = {
        max_block_slot: pick('max-block-slot', 'max_block_slot'),
        max_source_epoch: pick('max-source-epoch', 'max_source_epoch'),
        max_target_epoch: pick('max-target-epoch', 'max_target_epoch'),
      };
    }
    const slot = state === undefined ? await client.get(name) : await client.setSigningState(name, state);
    if (v.json) {
      await printJson(ctx, slot);
      return 0;
    }
    const entries = Object.entries(slot.signing_state);
    await ctx.out(entries.length === 0 ? `${slot.name}: no signing state (${slot.chain})\n` : formatPairs(entries.map(([k, x]) => [k, x])));
    return 0;
  },
});

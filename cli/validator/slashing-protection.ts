/**
 * `vault validator slashing-protection ACTION`: EIP-3076 slashing protection bound to
 * chains (docs/validators.md).
 * - `import FILE`: raises the watermarks of the listed keys the vault holds, binds an
 *   unbound key to the file's chain, and confirms keys marked after a snapshot restore;
 *   a file of another chain than a listed key's is refused whole.
 * - `export -o FILE`: one interchange, one chain (select with `--network`,
 *   `--genesis-validators-root` or `--pubkey`); an unbound key or several chains refuse.
 * - `bind NAME`: records the chain of a key imported before keys were bound.
 * - `confirm NAME`: after a restore, raises the watermarks to at least what the operator
 *   read from the chain and clears the slot's mark, without an interchange.
 * @module
 */
import type { SigningState } from '../../src/client/index.js';
import { defineCommand } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { checkOutputFile, MAX_INPUT_BYTES, readInput, writeOutput } from '../io.js';
import { clean, formatTable, printJson } from '../connect/format.js';
import { NETWORK_OPTIONS, rootOf } from './network.js';
import { wholeTreeAdminHint, checkName, emitSlot, validators } from './shared.js';

const ACTIONS = ['import', 'export', 'bind', 'confirm'] as const;
const UINT = /^(0|[1-9][0-9]{0,19})$/;

function uint(v: string | undefined, opt: string): string | undefined {
  if (v === undefined) return undefined;
  if (!UINT.test(v) || BigInt(v) > 0xffffffffffffffffn) throw new CliError('OV_INVALID_ARGUMENT', { reason: `--${opt} must be a decimal integer (uint64)` });
  return v;
}

function small(v: string | undefined, opt: string): number | undefined {
  const s = uint(v, opt);
  if (s === undefined) return undefined;
  if (BigInt(s) > 0x7fffffffn) throw new CliError('OV_INVALID_ARGUMENT', { reason: `--${opt} is too large` });
  return Number(s);
}

export const command = defineCommand({
  name: 'slashing-protection',
  usage: [
    'vault validator slashing-protection import FILE [--json]',
    '       vault validator slashing-protection export [--pubkey 0x..]... [--network NAME | --genesis-validators-root 0x..] -o FILE [--force]',
    '       vault validator slashing-protection bind NAME (--network NAME | --genesis-validators-root 0x..) [--json]',
    '       vault validator slashing-protection confirm NAME [--max-block-slot N] [--max-source-epoch N] [--max-target-epoch N] [--json]',
    '       vault validator slashing-protection confirm NAME --height H [--round R] [--step S] [--json]',
  ].join('\n'),
  positionals: { min: 1, max: 2, name: 'ACTION' },
  options: {
    ...NETWORK_OPTIONS,
    pubkey: { type: 'string', multiple: true, arg: '0x..', help: 'export: only this key (repeatable)' },
    output: { type: 'string', short: 'o', arg: 'FILE', help: "export: write the interchange here ('-' for stdout)" },
    force: { type: 'boolean', help: 'export: replace an existing file' },
    'max-block-slot': { type: 'string', arg: 'N', help: 'confirm (ethereum): the least block slot watermark' },
    'max-source-epoch': { type: 'string', arg: 'N', help: 'confirm (ethereum): the least attestation source epoch' },
    'max-target-epoch': { type: 'string', arg: 'N', help: 'confirm (ethereum): the least attestation target epoch' },
    height: { type: 'string', arg: 'H', help: 'confirm (cosmos): the least height' },
    round: { type: 'string', arg: 'R', help: 'confirm (cosmos): round (default 0)' },
    step: { type: 'string', arg: 'S', help: 'confirm (cosmos): step (default 0)' },
    json: { type: 'boolean', help: 'import: print the daemon answer; bind, confirm: print the slot' },
  },
  details: [
    'An interchange (EIP-3076, format version 5) carries one genesis validators root: the',
    "vault refuses a file whose root is not a listed key's chain (OV_INTERCHANGE_CHAIN_MISMATCH),",
    'exports one chain per file (OV_INTERCHANGE_MIXED_CHAINS otherwise) and never exports a',
    'key whose chain it does not know (OV_VALIDATOR_UNBOUND: bind it first).',
    'import and export need an admin session; bind and confirm an operator.',
    '',
    'Examples:',
    '  vault validator slashing-protection import slashing_protection.json',
    '  vault validator slashing-protection export --network mainnet -o interchange.json',
    '  vault validator slashing-protection bind eth-a1b2c3d4 --network mainnet',
    '  vault validator slashing-protection confirm eth-a1b2c3d4 --max-block-slot 9301000 --max-source-epoch 290650 --max-target-epoch 290651',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const action = ctx.positionals[0] as string;
    if (!(ACTIONS as readonly string[]).includes(action)) throw usageError(`ACTION must be one of ${ACTIONS.join(', ')}`, ctx.commandPath);
    const arg = ctx.positionals[1];
    const root = rootOf(v, ctx.commandPath);
    const ethMin = v['max-block-slot'] !== undefined || v['max-source-epoch'] !== undefined || v['max-target-epoch'] !== undefined;
    const cosmosMin = v.height !== undefined || v.round !== undefined || v.step !== undefined;
    if (action !== 'confirm' && (ethMin || cosmosMin)) throw usageError('watermark options go with confirm', ctx.commandPath);
    if (action !== 'export' && (v.pubkey.length > 0 || v.output !== undefined || v.force)) throw usageError('--pubkey, -o and --force go with export', ctx.commandPath);

    if (action === 'import') {
      if (arg === undefined) throw usageError('import needs FILE', ctx.commandPath);
      if (root !== undefined) throw usageError('the interchange names its own chain: drop --network', ctx.commandPath);
      const text = Buffer.from(await readInput(ctx, arg, { max: MAX_INPUT_BYTES })).toString('utf8');
      const client = await validators(ctx);
      let r;
      try {
        r = await client.importInterchange(text);
      } catch (e) {
        throw wholeTreeAdminHint(e);
      }
      if (v.json) {
        await printJson(ctx, r);
        return 0;
      }
      await ctx.out(formatTable(['PUBKEY', 'STATUS', 'NAME'], r.results.map((x) => [x.pubkey, x.status, x.name])));
      const n = (s: string): number => r.results.filter((x) => x.status === s).length;
      ctx.info(`${n('raised')} raised, ${n('unchanged')} unchanged, ${n('not_found')} not in the vault (chain ${clean(r.genesis_validators_root)})`);
      return 0;
    }

    if (action === 'export') {
      if (arg !== undefined) throw usageError('export takes no NAME: select keys with --pubkey or --network', ctx.commandPath);
      if (v.output === undefined) throw usageError('export needs -o FILE (or -o - for stdout)', ctx.commandPath);
      if (v.output !== '-') await checkOutputFile(v.output, { force: v.force });
      const client = await validators(ctx);
      let text: string;
      try {
        text = await client.exportInterchange({ ...(v.pubkey.length === 0 ? {} : { pubkeys: v.pubkey }), ...(root === undefined ? {} : { genesis_validators_root: root }) });
      } catch (e) {
        throw wholeTreeAdminHint(e);
      }
      await writeOutput(ctx, v.output, `${text}\n`, { exclusive: !v.force });
      if (v.output !== '-') ctx.info(`wrote ${(JSON.parse(text) as { data: unknown[] }).data.length} key(s) to ${clean(v.output)}`);
      return 0;
    }

    const name = checkName(arg);
    const client = await validators(ctx);
    if (action === 'bind') {
      if (root === undefined) throw usageError('bind needs --network NAME or --genesis-validators-root 0x..', ctx.commandPath);
      const slot = await client.bindChain(name, root);
      await emitSlot(ctx, slot, v.json, `${clean(slot.name)} bound to ${clean(slot.metadata.genesis_validators_root)}`);
      return 0;
    }
    if (root !== undefined) throw usageError('--network goes with bind and export', ctx.commandPath);
    if (ethMin && cosmosMin) throw usageError('cosmos and ethereum options do not mix', ctx.commandPath);
    let minimum: SigningState = {};
    if (ethMin) {
      const b = uint(v['max-block-slot'], 'max-block-slot');
      const s = uint(v['max-source-epoch'], 'max-source-epoch');
      const t = uint(v['max-target-epoch'], 'max-target-epoch');
      minimum = { ...(b === undefined ? {} : { max_block_slot: b }), ...(s === undefined ? {} : { max_source_epoch: s }), ...(t === undefined ? {} : { max_target_epoch: t }) };
    } else if (cosmosMin) {
      if (v.height === undefined) throw usageError('--round and --step go with --height', ctx.commandPath);
      minimum = { height: uint(v.height, 'height') ?? '0', round: small(v.round, 'round') ?? 0, step: small(v.step, 'step') ?? 0 };
    }
    const slot = await client.confirmWatermarks(name, minimum);
    await emitSlot(ctx, slot, v.json, `${clean(slot.name)}: watermarks confirmed`);
    return 0;
  },
});

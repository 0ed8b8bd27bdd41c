/**
 * `vault validator list`: every validator slot the session's scope covers
 * (`GET /v1/validators`), with its active key and how many keys are pending or retired;
 * filters by chain and key state.
 * @module
 */
import { defineCommand } from '../command.js';
import { CliError } from '../errors.js';
import { formatTable, printJson } from '../connect/format.js';
import { CHAINS, activeKey, validators } from './shared.js';

const STATES = ['pending', 'active', 'retired'] as const;

export const command = defineCommand({
  name: 'list',
  usage: 'vault validator list [--chain CHAIN] [--state STATE] [--json]',
  options: {
    chain: { type: 'string', arg: 'CHAIN', help: 'only ethereum, cosmos or solana slots' },
    state: { type: 'string', arg: 'STATE', help: 'only slots with a key in this state: pending, active or retired' },
    json: { type: 'boolean', help: 'print {"validators": [slot]} with every key' },
  },
  async run(ctx) {
    const v = ctx.values;
    if (v.chain !== undefined && !(CHAINS as readonly string[]).includes(v.chain)) throw new CliError('OV_INVALID_ARGUMENT', { reason: '--chain must be ethereum, cosmos or solana' });
    if (v.state !== undefined && !(STATES as readonly string[]).includes(v.state)) throw new CliError('OV_INVALID_ARGUMENT', { reason: '--state must be pending, active or retired' });
    const client = await validators(ctx);
    const slots = await client.list({
      ...(v.chain === undefined ? {} : { chain: v.chain as (typeof CHAINS)[number] }),
      ...(v.state === undefined ? {} : { state: v.state as (typeof STATES)[number] }),
    });
    if (v.json) {
      await printJson(ctx, { validators: slots });
      return 0;
    }
    const unconfirmed = slots.filter((s) => s.watermarks_unconfirmed === true).length;
    if (unconfirmed > 0) {
      ctx.warn(`restored from a snapshot: the keys of ${unconfirmed} slots must have their signing watermarks confirmed before they sign`);
      ctx.info("confirm them: 'vault validator slashing-protection import FILE' (the signer's interchange) or 'vault validator slashing-protection confirm NAME'");
    }
    if (slots.length === 0) {
      ctx.info('no validators');
      return 0;
    }
    await ctx.out(
      formatTable(
        ['NAME', 'CHAIN', 'ACTIVE PUBLIC KEY', 'PENDING', 'RETIRED'],
        slots.map((s) => [s.name, s.chain, activeKey(s)?.public_key, s.keys.filter((k) => k.state === 'pending').length, s.keys.filter((k) => k.state === 'retired').length]),
      ),
    );
    return 0;
  },
});

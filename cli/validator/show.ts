/**
 * `vault validator show NAME`: one slot (`GET /v1/validators/{name}`): chain, labels,
 * metadata, signing state and every key with its state and dates. No key material.
 * @module
 */
import { defineCommand } from '../command.js';
import { printJson } from '../connect/format.js';
import { checkName, formatSlot, validators } from './shared.js';

export const command = defineCommand({
  name: 'show',
  usage: 'vault validator show NAME [--json]',
  positionals: { min: 1, max: 1, name: 'NAME' },
  options: {
    json: { type: 'boolean', help: 'print the slot {name, chain, labels, metadata, signing_state, created_at, keys}' },
  },
  async run(ctx) {
    const name = checkName(ctx.positionals[0]);
    const slot = await (await validators(ctx)).get(name);
    if (ctx.values.json) await printJson(ctx, slot);
    else await ctx.out(formatSlot(slot));
    return 0;
  },
});

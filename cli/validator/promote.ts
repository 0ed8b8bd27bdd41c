/**
 * `vault validator promote NAME`: the pending key becomes active and the active one
 * retired, in one transaction on the daemon (`POST /v1/validators/{name}/promote`); the
 * slot's signing state (Cosmos height/round/step, Ethereum watermarks) carries over, so
 * the new key never signs below where the old one stopped. A signed rotation record is
 * written.
 * @module
 */
import { defineCommand } from '../command.js';
import { checkName, emitSlot, keyLine, activeKey, validators } from './shared.js';

export const command = defineCommand({
  name: 'promote',
  usage: 'vault validator promote NAME [--json]',
  positionals: { min: 1, max: 1, name: 'NAME' },
  options: {
    json: { type: 'boolean', help: 'print the slot after the change' },
  },
  details: [
    'Stop the validator client that signs with the old key before promoting, and start it',
    "with the new key after: 'vault validator export' gives the new key in its format.",
  ].join('\n'),
  async run(ctx) {
    const name = checkName(ctx.positionals[0]);
    const slot = await (await validators(ctx)).promote(name);
    await emitSlot(ctx, slot, ctx.values.json, `promoted on ${slot.name}: active key ${keyLine(activeKey(slot))}`);
    return 0;
  },
});

/**
 * `vault validator retire NAME`: the active key becomes retired and the slot has no
 * active key (`POST /v1/validators/{name}/retire`). Retired keys are kept, and can still
 * be exported, until an admin destroys them (`vault validator destroy`).
 * @module
 */
import { defineCommand } from '../command.js';
import { checkName, emitSlot, validators } from './shared.js';

export const command = defineCommand({
  name: 'retire',
  usage: 'vault validator retire NAME [--json]',
  positionals: { min: 1, max: 1, name: 'NAME' },
  options: {
    json: { type: 'boolean', help: 'print the slot after the change' },
  },
  async run(ctx) {
    const name = checkName(ctx.positionals[0]);
    const slot = await (await validators(ctx)).retire(name);
    await emitSlot(ctx, slot, ctx.values.json, `retired the active key of ${slot.name}`);
    return 0;
  },
});

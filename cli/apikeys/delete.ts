/**
 * `vault apikeys delete ID`: removes an API key (`DELETE /v1/apikeys/{id}`, admin); every
 * session it opened is revoked with it.
 * @module
 */
import { defineCommand } from '../command.js';
import { CliError } from '../errors.js';
import { connect } from '../connect/connect.js';
import { printJson } from '../connect/format.js';
import { KEY_ID_RE } from './rotate.js';

export const command = defineCommand({
  name: 'delete',
  usage: 'vault apikeys delete ID [--json]',
  positionals: { min: 1, max: 1, name: 'ID' },
  options: {
    json: { type: 'boolean', help: 'print {"deleted": ID}' },
  },
  async run(ctx) {
    const id = ctx.positionals[0] ?? '';
    if (!KEY_ID_RE.test(id)) throw new CliError('OV_INVALID_ARGUMENT', { reason: 'an API key id is 16 hex digits (see vault apikeys list)' });
    const client = await connect(ctx);
    await client.deleteApiKey(id);
    if (ctx.values.json) await printJson(ctx, { deleted: id });
    else await ctx.out(`api key ${id} deleted\n`);
    return 0;
  },
});

/**
 * `vault sessions revoke ID`: ends a session by its public id (`DELETE /v1/sessions/{id}`);
 * the token stops working on the very next request.
 * @module
 */
import { defineCommand } from '../command.js';
import { CliError } from '../errors.js';
import { connect } from '../connect/connect.js';
import { printJson } from '../connect/format.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const command = defineCommand({
  name: 'revoke',
  usage: 'vault sessions revoke ID [--json]',
  positionals: { min: 1, max: 1, name: 'ID' },
  options: {
    json: { type: 'boolean', help: 'print {"revoked": ID}' },
  },
  details: "Session ids are the UUIDs 'vault sessions list' shows; revoking your own session is 'vault logout'.",
  async run(ctx) {
    const id = ctx.positionals[0] ?? '';
    if (!UUID_RE.test(id)) throw new CliError('OV_INVALID_ARGUMENT', { reason: 'a session id is a UUID (see vault sessions list)' });
    const client = await connect(ctx);
    await client.revokeSession(id);
    if (ctx.values.json) await printJson(ctx, { revoked: id });
    else await ctx.out(`session ${id} revoked\n`);
    return 0;
  },
});

/**
 * `vault apikeys list`: every API key's id, role, scope, label and dates
 * (`GET /v1/apikeys`, admin). Keys and hashes are never shown.
 * @module
 */
import { defineCommand } from '../command.js';
import { connect } from '../connect/connect.js';
import { formatTable, printJson } from '../connect/format.js';

export const command = defineCommand({
  name: 'list',
  usage: 'vault apikeys list [--json]',
  options: {
    json: { type: 'boolean', help: 'print {"apikeys": [{id, role, scope, label, created_at, rotated_at}]}' },
  },
  async run(ctx) {
    const client = await connect(ctx);
    const apikeys = await client.listApiKeys();
    if (ctx.values.json) {
      await printJson(ctx, { apikeys });
    } else if (apikeys.length === 0) {
      ctx.info('no API keys');
    } else {
      await ctx.out(
        formatTable(
          ['ID', 'ROLE', 'SCOPE', 'LABEL', 'CREATED', 'ROTATED'],
          apikeys.map((k) => [k.id, k.role, k.scope, k.label, k.created_at, k.rotated_at]),
        ),
      );
    }
    return 0;
  },
});

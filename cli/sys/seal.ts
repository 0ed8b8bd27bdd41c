/**
 * `vault seal`: asks the daemon to wipe its root key from memory (admin). Until it is
 * unsealed again every route but `/v1/sys/*` answers 503 OV_SEALED.
 * @module
 */
import { defineCommand } from '../command.js';
import { connect } from '../connect/connect.js';
import { printJson } from '../connect/format.js';

export const command = defineCommand({
  name: 'seal',
  usage: 'vault seal [--json]',
  options: {
    json: { type: 'boolean', help: 'print {"sealed": true}' },
  },
  details: [
    'Needs an admin session (vault login). The vault stays sealed until `vault unseal`',
    '(or a daemon restart with an unseal key file).',
  ].join('\n'),
  async run(ctx) {
    const client = await connect(ctx);
    await client.seal();
    if (ctx.values.json) await printJson(ctx, { sealed: true });
    else await ctx.out('vault sealed\n');
    return 0;
  },
});

/**
 * `vault signer identity list`: every remote-signer identity, revoked ones included
 * (`GET /v1/signer/identities`, admin).
 * @module
 */
import { defineCommand } from '../command.js';
import { connect } from '../connect/connect.js';
import { formatTable, printJson } from '../connect/format.js';

export const command = defineCommand({
  name: 'list',
  usage: 'vault signer identity list [--json]',
  options: {
    json: { type: 'boolean', help: 'print {"identities": [{name, slots, fingerprint, serial, created_at, not_after, revoked_at}]}' },
  },
  async run(ctx) {
    const client = await connect(ctx);
    const identities = await client.listSignerIdentities();
    if (ctx.values.json) await printJson(ctx, { identities });
    else if (identities.length === 0) ctx.info('no signer identities');
    else {
      await ctx.out(
        formatTable(
          ['NAME', 'SLOTS', 'FINGERPRINT', 'CREATED', 'REVOKED'],
          identities.map((i) => [i.name, i.slots.join(','), i.fingerprint.slice(0, 16), i.created_at, i.revoked_at ?? '-']),
        ),
      );
    }
    return 0;
  },
});

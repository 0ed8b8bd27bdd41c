/**
 * `vault signer identity revoke NAME` (`POST /v1/signer/identities/{name}/revoke`,
 * admin): the identity's certificate is refused from the next request on.
 * @module
 */
import { defineCommand } from '../command.js';
import { connect } from '../connect/connect.js';
import { printJson } from '../connect/format.js';
import { checkName } from '../validator/shared.js';

export const command = defineCommand({
  name: 'revoke',
  usage: 'vault signer identity revoke NAME [--json]',
  positionals: { min: 1, max: 1, name: 'NAME' },
  options: { json: { type: 'boolean', help: 'print the revoked identity' } },
  async run(ctx) {
    const name = checkName(ctx.positionals[0]);
    const client = await connect(ctx);
    const identity = await client.revokeSignerIdentity(name);
    if (ctx.values.json) await printJson(ctx, identity);
    else ctx.info(`revoked signer identity ${identity.name} at ${identity.revoked_at ?? '-'}`);
    return 0;
  },
});

/**
 * `vault keys list`: the vault's keyring (`GET /v1/keys`): each key's algorithm, latest
 * version and minimum decryption version, and with --json every version's key id and
 * public key. Secret key material never leaves the daemon.
 * @module
 */
import { defineCommand } from '../command.js';
import { connect } from '../connect/connect.js';
import { formatTable, printJson } from '../connect/format.js';

export const command = defineCommand({
  name: 'list',
  usage: 'vault keys list [--json]',
  options: {
    json: { type: 'boolean', help: 'print {"keys": [{name, alg, latest_version, min_decrypt_version, versions}]}' },
  },
  async run(ctx) {
    const client = await connect(ctx);
    const keys = await client.listKeys();
    if (ctx.values.json) {
      await printJson(ctx, { keys });
    } else {
      await ctx.out(
        formatTable(
          ['NAME', 'ALG', 'LATEST', 'MIN DECRYPT', 'KEY ID (LATEST)'],
          keys.map((k) => [k.name, k.alg, k.latest_version, k.min_decrypt_version, k.versions.find((x) => x.version === k.latest_version)?.key_id]),
        ),
      );
    }
    return 0;
  },
});

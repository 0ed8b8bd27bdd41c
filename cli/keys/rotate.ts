/**
 * `vault keys rotate NAME`: adds a new version of a keyring key
 * (`POST /v1/keys/{name}/rotate`, admin). Rotation only adds versions, so no ciphertext
 * is ever left without its key: new data uses the new version, older versions still
 * decrypt until the minimum decryption version is raised.
 * @module
 */
import { defineCommand } from '../command.js';
import { CliError } from '../errors.js';
import { connect } from '../connect/connect.js';
import { clean, printJson } from '../connect/format.js';

const NAMES = ['kem', 'sign', 'sign-falcon', 'token', 'audit'] as const;

export const command = defineCommand({
  name: 'rotate',
  usage: 'vault keys rotate NAME [--json]',
  positionals: { min: 1, max: 1, name: 'NAME' },
  options: {
    json: { type: 'boolean', help: 'print the new version {name, version, alg, key_id, created_at[, public_key]}' },
  },
  details: [
    `NAME is one of ${NAMES.join(', ')}. Older versions stay usable for decryption and`,
    'verification until the minimum decryption version is raised.',
  ].join('\n'),
  async run(ctx) {
    const name = ctx.positionals[0] ?? '';
    if (!(NAMES as readonly string[]).includes(name)) {
      throw new CliError('OV_INVALID_ARGUMENT', { reason: `key name must be one of ${NAMES.join(', ')}` });
    }
    const client = await connect(ctx);
    const k = await client.rotateKey(name as (typeof NAMES)[number]);
    if (ctx.values.json) await printJson(ctx, k);
    else await ctx.out(`${clean(k.name)}: version ${clean(k.version)} (${clean(k.alg)}, key id ${clean(k.key_id)})\n`);
    return 0;
  },
});

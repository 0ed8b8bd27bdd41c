/**
 * `vault apikeys rotate ID`: a new secret for an existing key id
 * (`POST /v1/apikeys/{id}/rotate`, admin). The old secret stops working and every
 * session it opened is revoked at once. The new key is printed once.
 * @module
 */
import { defineCommand } from '../command.js';
import { CliError } from '../errors.js';
import { connect } from '../connect/connect.js';
import { OUTPUT_OPTIONS, checkKeyOutput, emitKey } from './shared.js';

export const KEY_ID_RE = /^[0-9a-f]{16}$/;

export const command = defineCommand({
  name: 'rotate',
  usage: 'vault apikeys rotate ID [-o FILE [--force]] [--json]',
  positionals: { min: 1, max: 1, name: 'ID' },
  options: { ...OUTPUT_OPTIONS },
  details: 'ID is the 16-hex-digit key id (vault apikeys list). The new key goes to stdout, its id to stderr.',
  async run(ctx) {
    const id = ctx.positionals[0] ?? '';
    if (!KEY_ID_RE.test(id)) throw new CliError('OV_INVALID_ARGUMENT', { reason: 'an API key id is 16 hex digits (see vault apikeys list)' });
    await checkKeyOutput(ctx.values);
    const client = await connect(ctx);
    const k = await client.rotateApiKey(id);
    await emitKey(ctx, k, ctx.values);
    return 0;
  },
});

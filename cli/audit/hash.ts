/**
 * `vault audit hash`: the HMAC the audit log records for a value read from stdin
 * (`POST /v1/sys/audit/hash`, daemon admin), to find the entries about a token or key
 * without the log ever holding it. The value is read from stdin only, never argv.
 * @module
 */
import { defineCommand } from '../command.js';
import { CliError } from '../errors.js';
import { connect } from '../connect/connect.js';
import { readInput } from '../io.js';

/** The daemon's own limit on the input. */
const MAX_HASH_INPUT = 64 * 1024;

export const command = defineCommand({
  name: 'hash',
  usage: 'vault audit hash < VALUE',
  options: {},
  details: [
    'Hashes all of stdin exactly (use printf %s, not echo, to avoid hashing a newline).',
    'Needs the daemon admin. Neither the value nor its hash is logged or audited.',
    '',
    'Example:',
    '  printf %s "$TOKEN" | vault audit hash',
  ].join('\n'),
  async run(ctx) {
    const bytes = await readInput(ctx, undefined, { max: MAX_HASH_INPUT });
    let input: string;
    try {
      input = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      throw new CliError('OV_INVALID_ARGUMENT', { reason: 'stdin is not UTF-8 text' });
    }
    const client = await connect(ctx);
    await ctx.out(`${await client.auditHash(input)}\n`);
    return 0;
  },
});

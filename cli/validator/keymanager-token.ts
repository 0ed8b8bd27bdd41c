/**
 * `vault validator keymanager-token -o FILE`: replaces the keymanager API token
 * (`/eth/v1/*`, daemon admin) and writes the new one to FILE (0600). The old token stops
 * working at once. `vault setup` writes the first one to `<datadir>/keymanager.token`.
 * @module
 */
import { defineCommand } from '../command.js';
import { usageError } from '../errors.js';
import { checkOutputFile, writeOutput } from '../io.js';
import { clean } from '../connect/format.js';
import { wholeTreeAdminHint, validators } from './shared.js';

export const command = defineCommand({
  name: 'keymanager-token',
  usage: 'vault validator keymanager-token -o FILE [--force]',
  options: {
    output: { type: 'string', short: 'o', arg: 'FILE', help: 'write the new token here (mode 0600)' },
    force: { type: 'boolean', help: 'replace an existing file' },
  },
  details: [
    'Validator tooling speaking the keymanager API sends this token as its bearer; it is',
    'accepted on /eth/v1/* only. The token is never printed.',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    if (v.output === undefined || v.output === '-') throw usageError('give -o FILE (the token is never printed)', ctx.commandPath);
    await checkOutputFile(v.output, { force: v.force });
    const client = await validators(ctx);
    let token: string;
    try {
      token = await client.replaceKeymanagerToken();
    } catch (e) {
      throw wholeTreeAdminHint(e);
    }
    await writeOutput(ctx, v.output, `${token}\n`, { secret: true, exclusive: !v.force });
    ctx.info(`keymanager token written to ${clean(v.output)} (mode 0600); the previous one no longer works`);
    return 0;
  },
});

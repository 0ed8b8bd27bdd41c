/**
 * `vault secrets metadata PATH`: shows a secret's settings (`GET /v1/secrets-metadata`,
 * reader) or changes them with `--max-versions` / `--cas-required`
 * (`PUT /v1/secrets-metadata`, operator; creates the metadata if the path has none yet).
 * @module
 */
import type { SecretMetadata } from '../../src/client/index.js';
import type { CommandContext } from '../command.js';
import { defineCommand } from '../command.js';
import { connect } from '../connect/connect.js';
import { formatPairs, printJson } from '../connect/format.js';
import { boolOption, intOption, secretPathArg } from './shared.js';

async function show(ctx: CommandContext<{ readonly json: boolean }>, m: SecretMetadata): Promise<void> {
  if (ctx.values.json) {
    await printJson(ctx, m);
    return;
  }
  const custom = Object.entries(m.custom_metadata);
  await ctx.out(
    formatPairs([
      ['Path', m.path],
      ['Current version', m.current_version],
      ['Oldest version', m.oldest_version],
      ['Max versions', m.max_versions],
      ['CAS required', m.cas_required],
      ['Created', m.created_at],
      ['Updated', m.updated_at],
      ['Custom metadata', custom.length === 0 ? '-' : custom.map(([k, v]) => `${k}=${v}`).join(', ')],
    ]),
  );
}

export const command = defineCommand({
  name: 'metadata',
  usage: 'vault secrets metadata PATH [--max-versions N] [--cas-required true|false] [--json]',
  positionals: { min: 1, max: 1, name: 'PATH' },
  options: {
    'max-versions': { type: 'string', arg: 'N', help: 'keep at most N versions (0: the daemon default, 10; at most 1000); older ones are destroyed' },
    'cas-required': { type: 'string', arg: 'BOOL', help: 'true: every write to PATH must pass --cas' },
    json: { type: 'boolean', help: 'print the metadata document' },
  },
  details: [
    'Examples:',
    '  vault secrets metadata apps/web/db',
    '  vault secrets metadata apps/web/db --max-versions 5 --cas-required true',
  ].join('\n'),
  async run(ctx) {
    const path = await secretPathArg(ctx);
    const maxVersions = intOption(ctx.values['max-versions'], '--max-versions', 0, 1000);
    const casRequired = boolOption(ctx.values['cas-required'], '--cas-required');
    const client = await connect(ctx);
    const m =
      maxVersions === undefined && casRequired === undefined
        ? await client.secretMetadata(path)
        : await client.updateSecretMetadata(path, {
            ...(maxVersions === undefined ? {} : { max_versions: maxVersions }),
            ...(casRequired === undefined ? {} : { cas_required: casRequired }),
          });
    await show(ctx, m);
    return 0;
  },
});

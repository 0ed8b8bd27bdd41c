/**
 * `vault secrets delete PATH`: soft-deletes the latest version, or the versions given
 * (`DELETE /v1/secrets/{path}`, operator). The envelopes are kept: `vault secrets
 * undelete` brings them back; `vault secrets destroy` wipes them.
 * @module
 */
import { defineCommand } from '../command.js';
import { connect } from '../connect/connect.js';
import { clean, printJson } from '../connect/format.js';
import { secretPathArg, versionText, versionsOption } from './shared.js';

export const command = defineCommand({
  name: 'delete',
  usage: 'vault secrets delete PATH [--versions 1,2] [--json]',
  positionals: { min: 1, max: 1, name: 'PATH' },
  options: {
    versions: { type: 'string', arg: 'LIST', help: 'delete these versions (comma-separated) instead of the latest' },
    json: { type: 'boolean', help: 'print {path, versions} (the versions now deleted)' },
  },
  details: ['Examples:', '  vault secrets delete apps/web/db', '  vault secrets delete apps/web/db --versions 1,2'].join('\n'),
  async run(ctx) {
    const path = await secretPathArg(ctx);
    const versions = versionsOption(ctx.values.versions);
    const client = await connect(ctx);
    const r = await client.deleteSecret(path, versions === undefined ? {} : { versions });
    if (ctx.values.json) await printJson(ctx, r);
    else await ctx.out(`${clean(r.path)}: deleted version${r.versions.length === 1 ? '' : 's'} ${versionText(r.versions)}\n`);
    return 0;
  },
});

/**
 * `vault secrets undelete PATH --versions 1,2`: restores soft-deleted versions
 * (`POST /v1/secrets-undelete/{path}`, operator). Destroyed versions cannot come back.
 * @module
 */
import { defineCommand } from '../command.js';
import { connect } from '../connect/connect.js';
import { clean, printJson } from '../connect/format.js';
import { secretPathArg, versionText, versionsOption } from './shared.js';

export const command = defineCommand({
  name: 'undelete',
  usage: 'vault secrets undelete PATH --versions 1,2 [--json]',
  positionals: { min: 1, max: 1, name: 'PATH' },
  options: {
    versions: { type: 'string', arg: 'LIST', help: 'the versions to restore (comma-separated)', required: true },
    json: { type: 'boolean', help: 'print {path, versions} (the versions restored)' },
  },
  details: ['Example:', '  vault secrets undelete apps/web/db --versions 3'].join('\n'),
  async run(ctx) {
    const path = await secretPathArg(ctx);
    const versions = versionsOption(ctx.values.versions) ?? [];
    const client = await connect(ctx);
    const r = await client.undeleteSecret(path, versions);
    if (ctx.values.json) await printJson(ctx, r);
    else await ctx.out(`${clean(r.path)}: restored version${r.versions.length === 1 ? '' : 's'} ${versionText(r.versions)}\n`);
    return 0;
  },
});

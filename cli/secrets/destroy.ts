/**
 * `vault secrets destroy PATH`: irreversibly wipes the envelopes of some versions
 * (`POST /v1/secrets-destroy/{path}`) or of every version together with the metadata
 * (`--all`: `DELETE /v1/secrets-metadata/{path}`); admin only. On a terminal it asks for
 * confirmation first (`--yes` skips the question); scripts (stdin not a terminal) are
 * not asked.
 * @module
 */
import { defineCommand } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { connect } from '../connect/connect.js';
import { clean, printJson } from '../connect/format.js';
import { confirm, secretPathArg, versionText, versionsOption } from './shared.js';

export const command = defineCommand({
  name: 'destroy',
  usage: 'vault secrets destroy PATH (--versions 1,2 | --all) [--yes] [--json]',
  positionals: { min: 1, max: 1, name: 'PATH' },
  options: {
    versions: { type: 'string', arg: 'LIST', help: 'destroy these versions (comma-separated)' },
    all: { type: 'boolean', help: 'destroy every version and the metadata of PATH' },
    yes: { type: 'boolean', short: 'y', help: 'do not ask for confirmation' },
    json: { type: 'boolean', help: 'print {path, versions} (--all: {path, destroyed: "all"})' },
  },
  details: [
    'Destroyed versions cannot be restored: their envelopes are overwritten. The history',
    'keeps a row for each, marked destroyed (except with --all, which removes the path).',
    '',
    'Examples:',
    '  vault secrets destroy apps/web/db --versions 1,2',
    '  vault secrets destroy apps/old --all --yes',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const path = await secretPathArg(ctx);
    const versions = versionsOption(v.versions);
    if ((versions === undefined) === !v.all) throw usageError('give either --versions LIST or --all', ctx.commandPath);
    if (!v.yes && ctx.streams.stdin.isTTY === true) {
      const what = versions === undefined ? `every version of ${path} and its metadata` : `version${versions.length === 1 ? '' : 's'} ${versionText(versions)} of ${path}`;
      if (!(await confirm(ctx, `destroy ${what}? this cannot be undone`))) {
        throw new CliError('OV_USAGE', { reason: 'not confirmed: nothing was destroyed' });
      }
    }
    const client = await connect(ctx);
    if (versions === undefined) {
      await client.destroyAllSecretVersions(path);
      if (v.json) await printJson(ctx, { path, destroyed: 'all' });
      else await ctx.out(`${path}: destroyed every version and the metadata\n`);
      return 0;
    }
    const r = await client.destroySecret(path, versions);
    if (v.json) await printJson(ctx, r);
    else await ctx.out(`${clean(r.path)}: destroyed version${r.versions.length === 1 ? '' : 's'} ${versionText(r.versions)}\n`);
    return 0;
  },
});

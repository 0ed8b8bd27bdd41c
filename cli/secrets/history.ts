/**
 * `vault secrets history PATH`: every version of a secret with its state (live, deleted,
 * destroyed) and the KEM key version its envelope is sealed under
 * (`GET /v1/secrets-metadata/{path}`, reader). No values.
 * @module
 */
import type { SecretVersionInfo } from '../../src/client/index.js';
import { defineCommand } from '../command.js';
import { connect } from '../connect/connect.js';
import { formatTable, printJson } from '../connect/format.js';
import { secretPathArg } from './shared.js';

export function versionState(v: SecretVersionInfo): string {
  if (v.destroyed) return 'destroyed';
  if (v.deleted_at !== null) return 'deleted';
  return 'live';
}

export const command = defineCommand({
  name: 'history',
  usage: 'vault secrets history PATH [--json]',
  positionals: { min: 1, max: 1, name: 'PATH' },
  options: {
    json: { type: 'boolean', help: 'print the metadata document {path, current_version, ..., versions: [...]}' },
  },
  details: ['Example:', '  vault secrets history apps/web/db'].join('\n'),
  async run(ctx) {
    const path = await secretPathArg(ctx);
    const client = await connect(ctx);
    const m = await client.secretMetadata(path);
    if (ctx.values.json) {
      await printJson(ctx, m);
      return 0;
    }
    const rows = [...m.versions]
      .sort((a, b) => b.version - a.version)
      .map((v) => [`${v.version}${v.version === m.current_version ? ' *' : ''}`, v.created_at, versionState(v), v.deleted_at, v.key_version]);
    await ctx.out(formatTable(['VERSION', 'CREATED', 'STATE', 'DELETED', 'KEY VERSION'], rows));
    return 0;
  },
});

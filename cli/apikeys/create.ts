/**
 * `vault apikeys create`: a new long-lived API key (`POST /v1/apikeys`, admin) with a
 * role, a path scope and an audit label. The daemon keeps only its argon2id hash; the key
 * is printed once.
 * @module
 */
import { defineCommand } from '../command.js';
import { CliError } from '../errors.js';
import { connect } from '../connect/connect.js';
import { OUTPUT_OPTIONS, checkKeyOutput, emitKey } from './shared.js';

const ROLES = ['admin', 'operator', 'reader'] as const;

export const command = defineCommand({
  name: 'create',
  usage: 'vault apikeys create --role ROLE --label LABEL [--scope SCOPE] [-o FILE [--force]] [--json]',
  options: {
    role: { type: 'string', arg: 'ROLE', help: 'admin, operator or reader', required: true },
    label: { type: 'string', arg: 'LABEL', help: 'audit label, 1-128 characters (e.g. ci-deploy)', required: true },
    scope: { type: 'string', arg: 'SCOPE', help: 'path scope, e.g. apps/web/ (default *: everything)' },
    ...OUTPUT_OPTIONS,
  },
  details: [
    'The key (ovk_...) goes to stdout and its id to stderr. Exchange it for a session with',
    "'vault login --key-file FILE'.",
    '',
    'Examples:',
    '  vault apikeys create --role reader --scope apps/web/ --label web-deploy -o web.key',
    '  vault apikeys create --role operator --label ci --json',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    if (!(ROLES as readonly string[]).includes(v.role)) {
      throw new CliError('OV_INVALID_ARGUMENT', { reason: '--role must be admin, operator or reader' });
    }
    await checkKeyOutput(ctx.values);
    const client = await connect(ctx);
    const k = await client.createApiKey({
      role: v.role as (typeof ROLES)[number],
      label: v.label,
      ...(v.scope === undefined ? {} : { scope: v.scope }),
    });
    await emitKey(ctx, k, v);
    return 0;
  },
});

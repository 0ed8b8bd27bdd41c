/**
 * `vault sessions list`: the live sessions the caller may see (`GET /v1/sessions`): a
 * scoped admin sees those within its scope, the daemon admin sees all. Tokens are never
 * shown; the public session id is what `vault sessions revoke` takes.
 * @module
 */
import { defineCommand } from '../command.js';
import { CliError } from '../errors.js';
import { connect } from '../connect/connect.js';
import { formatTable, printJson } from '../connect/format.js';

export const command = defineCommand({
  name: 'list',
  usage: 'vault sessions list [--api-key ID] [--limit N] [--json]',
  options: {
    'api-key': { type: 'string', arg: 'ID', help: 'only the sessions opened by this API key id' },
    limit: { type: 'string', arg: 'N', help: 'at most N sessions (1-10000; default 1000)' },
    json: { type: 'boolean', help: 'print {"sessions": [{id, api_key_id, role, scope, label, issued_at, expires_at}]}' },
  },
  async run(ctx) {
    const v = ctx.values;
    let limit: number | undefined;
    if (v.limit !== undefined) {
      limit = /^[1-9][0-9]{0,4}$/.test(v.limit) ? Number(v.limit) : NaN;
      if (!(limit <= 10_000)) throw new CliError('OV_INVALID_ARGUMENT', { reason: '--limit must be a whole number from 1 to 10000' });
    }
    if (v['api-key'] !== undefined && !/^[0-9a-f]{16}$/.test(v['api-key'])) {
      throw new CliError('OV_INVALID_ARGUMENT', { reason: 'an API key id is 16 hex digits (see vault apikeys list)' });
    }
    const client = await connect(ctx);
    const sessions = await client.listSessions({
      ...(limit === undefined ? {} : { limit }),
      ...(v['api-key'] === undefined ? {} : { apiKeyId: v['api-key'] }),
    });
    if (ctx.values.json) {
      await printJson(ctx, { sessions });
    } else if (sessions.length === 0) {
      ctx.info('no sessions');
    } else {
      await ctx.out(
        formatTable(
          ['ID', 'ROLE', 'SCOPE', 'API KEY', 'LABEL', 'EXPIRES'],
          sessions.map((s) => [s.id, s.role, s.scope, s.api_key_id, s.label, s.expires_at]),
        ),
      );
    }
    return 0;
  },
});

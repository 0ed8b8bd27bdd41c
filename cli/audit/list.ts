/**
 * `vault audit list`: one page of audit entries, oldest first (`GET /v1/sys/audit`,
 * daemon admin), as stored: sensitive values in them are HMACs.
 * @module
 */
import { defineCommand } from '../command.js';
import { connect } from '../connect/connect.js';
import { printJson } from '../connect/format.js';
import { intOption } from '../secrets/shared.js';
import { entryLine, sinceOption } from './shared.js';

export const command = defineCommand({
  name: 'list',
  usage: 'vault audit list [--path P] [--since T] [--limit N] [--after SEQ] [--json]',
  options: {
    path: { type: 'string', arg: 'P', help: 'only entries whose request path starts with P' },
    since: { type: 'string', arg: 'T', help: 'only entries at or after T (RFC 3339)' },
    limit: { type: 'string', arg: 'N', help: 'at most N entries (1-1000, default 100)' },
    after: { type: 'string', arg: 'SEQ', help: "start after entry SEQ (the previous page's next)" },
    json: { type: 'boolean', help: 'print {"entries": [...], "next": SEQ|null}' },
  },
  details: [
    'Needs the daemon admin (role admin, scope *). Reading the log is itself audited.',
    'Tokens and other sensitive values appear as hmac-sha256:... (see vault audit hash).',
    '',
    'Examples:',
    '  vault audit list --path /v1/secrets/apps/ --since 2026-01-31T00:00:00Z',
    '  vault audit list --limit 1000 --after 5000 --json',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const limit = intOption(v.limit, '--limit', 1, 1000);
    const after = intOption(v.after, '--after', 0, Number.MAX_SAFE_INTEGER);
    const since = sinceOption(v.since);
    const client = await connect(ctx);
    const page = await client.listAudit({
      ...(limit === undefined ? {} : { limit }),
      ...(after === undefined ? {} : { after }),
      ...(since === undefined ? {} : { since }),
      ...(v.path === undefined ? {} : { path: v.path }),
    });
    if (v.json) {
      await printJson(ctx, page);
    } else {
      await ctx.out(page.entries.map(entryLine).join(''));
      if (page.next !== null) ctx.info(`more: add --after ${page.next} for the next page`);
    }
    return 0;
  },
});

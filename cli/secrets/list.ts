/**
 * `vault secrets list [PREFIX]`: the secret paths under a prefix (`GET /v1/secrets`,
 * reader), following the daemon's `next` cursor to the end, or one page with `--limit`.
 * Only paths are listed, never values.
 * @module
 */
import { defineCommand } from '../command.js';
import { connect } from '../connect/connect.js';
import { clean, printJson } from '../connect/format.js';
import { intOption } from './shared.js';

/** Page size while following the cursor: the daemon's maximum, to keep round trips few. */
const PAGE = 1000;

export const command = defineCommand({
  name: 'list',
  usage: 'vault secrets list [PREFIX] [--limit N [--after PATH]] [--json]',
  positionals: { min: 0, max: 1, name: 'PREFIX' },
  options: {
    limit: { type: 'string', arg: 'N', help: 'one page of at most N paths (1-1000) instead of all of them' },
    after: { type: 'string', arg: 'PATH', help: "with --limit: start after PATH (the previous page's next)" },
    json: { type: 'boolean', help: 'print {"paths": [...]} (with --limit also "next")' },
  },
  details: [
    'PREFIX is matched as given (apps/ lists apps/web and apps/db/x, but not apps-old). A',
    'prefix outside your scope is refused (permission denied, exit 2).',
    '',
    'Examples:',
    '  vault secrets list apps/',
    '  vault secrets list --limit 50 --json',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const prefix = ctx.positionals[0];
    const limit = intOption(v.limit, '--limit', 1, 1000);
    const client = await connect(ctx);
    const base = prefix === undefined ? {} : { prefix };
    if (limit !== undefined) {
      const page = await client.listSecrets({ ...base, limit, ...(v.after === undefined ? {} : { after: v.after }) });
      if (v.json) {
        await printJson(ctx, page);
      } else {
        await ctx.out(page.paths.map((p) => `${clean(p)}\n`).join(''));
        if (page.next !== null) ctx.info(`more: add --after ${clean(page.next)} for the next page`);
      }
      return 0;
    }
    if (v.after !== undefined) ctx.warn('--after is used only with --limit');
    const paths: string[] = [];
    for await (const p of client.iterateSecrets({ ...base, pageSize: PAGE })) {
      if (v.json) paths.push(p);
      else await ctx.out(`${clean(p)}\n`);
    }
    if (v.json) await printJson(ctx, { paths });
    return 0;
  },
});

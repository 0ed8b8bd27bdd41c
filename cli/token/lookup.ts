/**
 * `vault token lookup`: what the daemon knows about the current session
 * (`GET /v1/sessions/self`): its public id, API key, role, scope and expiry. Never the
 * token itself.
 * @module
 */
import { defineCommand } from '../command.js';
import { connect, resolveToken } from '../connect/connect.js';
import { formatPairs, printJson } from '../connect/format.js';

export const command = defineCommand({
  name: 'lookup',
  usage: 'vault token lookup [--json]',
  options: {
    json: { type: 'boolean', help: 'print {id, api_key_id, role, scope, label, issued_at, expires_at, token_source}' },
  },
  details: 'The session is the one ONTOREF_TOKEN holds, else the one in the token file written by `vault login`.',
  async run(ctx) {
    const t = await resolveToken(ctx);
    const client = await connect(ctx);
    const s = await client.lookupSelf();
    const source = t.source === 'file' ? t.file : t.source;
    if (ctx.values.json) {
      await printJson(ctx, { ...s, token_source: source });
    } else {
      await ctx.out(
        formatPairs([
          ['Session', s.id],
          ['API key', s.api_key_id],
          ['Role', s.role],
          ['Scope', s.scope],
          ['Label', s.label],
          ['Issued', s.issued_at],
          ['Expires', s.expires_at],
          ['Token from', source],
        ]),
      );
    }
    return 0;
  },
});

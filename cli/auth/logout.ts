/**
 * `vault logout`: ends the current session on the daemon (`DELETE /v1/sessions/self`)
 * and removes the token file. A session the daemon no longer knows (expired, revoked)
 * counts as ended; when the daemon cannot be reached the token file is kept, so the
 * revocation can be retried rather than leaving a live token behind unnoticed.
 * @module
 */
import { isVaultError } from '../../src/errors.js';
import { defineCommand } from '../command.js';
import { isFromDaemon } from '../errors.js';
import { connect, removeTokenFile, resolveToken } from '../connect/connect.js';
import { printJson } from '../connect/format.js';

export const command = defineCommand({
  name: 'logout',
  usage: 'vault logout [--json]',
  options: {
    json: { type: 'boolean', help: 'print {"revoked": bool, "token_file_removed": bool}' },
  },
  details: [
    'The session is the one ONTOREF_TOKEN holds, else the one in the token file. With',
    'ONTOREF_TOKEN set, the session is revoked but the token file is left alone (it may hold',
    'another session); unset the variable yourself. Without any token this does nothing.',
  ].join('\n'),
  async run(ctx) {
    const t = await resolveToken(ctx);
    let revoked = false;
    let removed = false;
    if (t.token !== undefined) {
      const client = await connect(ctx);
      try {
        await client.revokeSelf();
        revoked = true;
      } catch (e) {
        // Already expired or revoked: the goal is reached.
        if (!(isVaultError(e, 'OV_AUTH_INVALID') && isFromDaemon(e))) throw e;
      }
      if (t.source === 'file') removed = await removeTokenFile(t.file);
      else ctx.warn('the token came from ONTOREF_TOKEN: unset it');
    }
    if (ctx.values.json) await printJson(ctx, { revoked, token_file_removed: removed });
    else await ctx.out(t.token === undefined ? 'not logged in\n' : revoked ? 'logged out\n' : 'session had already ended; logged out\n');
    return 0;
  },
});

/**
 * `vault login`: trades an API key for a session token (`POST /v1/sessions`) and stores
 * the token in $XDG_CONFIG_HOME/ontoref/token (0600) for later commands. The key comes
 * from a file, the daemon admin key file (--admin), a no-echo prompt or stdin, never
 * argv. `--print-token` prints the token instead of storing it, for
 * `export ONTOREF_TOKEN=$(vault login --print-token --key-file k)` in scripts.
 * @module
 */
import { isVaultError } from '../../src/errors.js';
import { defineCommand } from '../command.js';
import { CliError, isFromDaemon, usageError, withHints } from '../errors.js';
import { checkTokenDir, connect, writeTokenFile } from '../connect/connect.js';
import { adminTokenFile, envAdminToken, envToken, tokenFile } from '../connect/env.js';
import { clean, printJson } from '../connect/format.js';
import { firstLine, readSecretInput } from '../connect/secret-input.js';

/** The daemon's duration syntax: units d, h, m, s, ms, largest first, each at most once (`1h30m`). */
const TTL_RE = /^(?=.{2,32}$)(?:[0-9]+d)?(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?(?:[0-9]+ms)?$/;
const UNIT_MS: Readonly<Record<string, number>> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
/** No daemon accepts a session shorter than 1s or longer than 31d (the ceiling of sessions.max_ttl). */
const MIN_TTL_MS = 1000;
const MAX_TTL_MS = 31 * 86_400_000;

function ttlMs(text: string): number {
  let total = 0;
  for (const m of text.matchAll(/([0-9]+)(ms|d|h|m|s)/g)) total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? 0);
  return total;
}

/** The daemon answers a TTL above its sessions.max_ttl with 400 OV_BAD_REQUEST on `body/ttl`. */
function ttlRefused(e: unknown, ttl: string): CliError | undefined {
  if (!isVaultError(e, 'OV_BAD_REQUEST') || !isFromDaemon(e) || e.detail?.['field'] !== 'body/ttl') return undefined;
  return new CliError('OV_BAD_REQUEST', {
    fromDaemon: true,
    reason: `the daemon refused --ttl ${ttl}: it is longer than the daemon's sessions.max_ttl`,
    hints: [
      "ask for less (sessions.max_ttl defaults to 24h), or leave --ttl out for the daemon's sessions.default_ttl",
      "an operator can raise sessions.max_ttl (at most 31d) in the daemon's config.toml",
    ],
  });
}

export const command = defineCommand({
  name: 'login',
  usage: 'vault login [--key-file FILE | --admin] [--ttl DURATION] [--print-token] [--json]',
  options: {
    'key-file': { type: 'string', arg: 'FILE', help: 'read the API key from FILE (mode 0600; - for stdin)' },
    admin: { type: 'boolean', help: 'use the daemon admin key: ONTOREF_ADMIN_TOKEN_FILE, ONTOREF_ADMIN_TOKEN, or <data dir>/admin.token' },
    ttl: { type: 'string', arg: 'DURATION', help: 'session lifetime, e.g. 15m, 1h (default: the daemon\'s sessions.default_ttl; at most its sessions.max_ttl)' },
    'print-token': { type: 'boolean', help: 'print the token on stdout instead of storing it in the token file' },
    json: { type: 'boolean', help: 'print {id, role, scope, expires_at, token_file} (and token with --print-token)' },
  },
  details: [
    'Without --key-file or --admin the key is read from a prompt without echo (on a terminal)',
    'or from stdin. The token is written to $XDG_CONFIG_HOME/ontoref/token (mode 0600,',
    'default ~/.config/ontoref/token); ONTOREF_TOKEN, when set, takes precedence over it.',
    '',
    "--ttl is checked by the daemon against its sessions.max_ttl (default 24h): a longer TTL",
    'is refused (exit 2, nothing is stored), never shortened. Outside 1s..31d it is refused',
    'locally (exit 1).',
    '',
    'Examples:',
    '  vault login --admin                                # on the daemon host, as its owner',
    '  vault login --key-file ci.key --ttl 1h',
    '  export ONTOREF_TOKEN=$(vault login --print-token < ci.key)',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    if (v.admin && v['key-file'] !== undefined) throw usageError('--admin and --key-file exclude each other', ctx.commandPath);
    if (v.ttl !== undefined && !TTL_RE.test(v.ttl)) {
      throw new CliError('OV_INVALID_ARGUMENT', { reason: '--ttl must be a duration such as 15m, 1h or 1h30m (units d, h, m, s, ms)' });
    }
    if (v.ttl !== undefined) {
      const ms = ttlMs(v.ttl);
      if (ms < MIN_TTL_MS || ms > MAX_TTL_MS) {
        throw new CliError('OV_INVALID_ARGUMENT', {
          reason: `--ttl must be between 1s and 31d`,
          hints: ["the daemon's sessions.max_ttl (default 24h, at most 31d) is the longest session it grants"],
        });
      }
    }
    let key: string;
    if (v.admin) {
      const inline = envAdminToken(ctx);
      const file = adminTokenFile(ctx);
      if (inline !== undefined && ctx.env.vars['ONTOREF_ADMIN_TOKEN_FILE'] === undefined) key = inline.trim();
      else key = firstLine((await readSecretInput(ctx, { file, prompt: '', what: 'admin key' })).text);
    } else {
      key = firstLine((await readSecretInput(ctx, { file: v['key-file'], prompt: 'API key: ', what: 'API key' })).text);
    }

    const file = tokenFile(ctx);
    // Before the daemon is asked: a session whose token cannot be stored is a wasted one.
    if (!v['print-token']) await checkTokenDir(file, { missingOk: true });
    const client = await connect(ctx, { auth: false });
    let s;
    try {
      s = await client.createSession({ key, ...(v.ttl === undefined ? {} : { ttl: v.ttl }) });
    } catch (e) {
      if (isVaultError(e, 'OV_AUTH_INVALID') && isFromDaemon(e)) {
        throw withHints(e, ['check the API key: a rotated or deleted key no longer works']);
      }
      if (v.ttl !== undefined) throw ttlRefused(e, v.ttl) ?? e;
      throw e;
    }
    if (!v['print-token']) {
      await writeTokenFile(file, s.token);
      if (envToken(ctx) !== undefined) ctx.warn('ONTOREF_TOKEN is set and takes precedence over the token file');
    }
    const info = { id: s.id, role: s.role, scope: s.scope, expires_at: s.expires_at };
    if (v.json) {
      await printJson(ctx, v['print-token'] ? { ...info, token: s.token } : { ...info, token_file: file });
    } else if (v['print-token']) {
      await ctx.out(`${s.token}\n`);
      ctx.info(`session ${clean(s.id)}: role ${clean(s.role)}, scope ${clean(s.scope)}, expires ${clean(s.expires_at)}`);
    } else {
      await ctx.out(`logged in: session ${clean(s.id)}, role ${clean(s.role)}, scope ${clean(s.scope)}, expires ${clean(s.expires_at)}\n`);
    }
    return 0;
  },
});

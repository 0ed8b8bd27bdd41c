/**
 * `vault secrets put PATH`: writes a new version of a secret (`PUT /v1/secrets/{path}`,
 * operator). Values are read from files or stdin only, never from argv, where `ps` and
 * shell history would show them: `KEY=@FILE`, `KEY=-` (stdin, one field at most), a JSON
 * object of fields on stdin when no pair is given, or one binary value with
 * `--binary @FILE|-`. A literal `KEY=value` is refused, and the refusal names the field,
 * never the value.
 * @module
 */
import type { SecretInput } from '../../src/client/index.js';
import { defineCommand } from '../command.js';
import { isVaultError } from '../../src/errors.js';
import { CliError, isFromDaemon, usageError, withHints } from '../errors.js';
import { connect } from '../connect/connect.js';
import { clean, printJson } from '../connect/format.js';
import { readInput } from '../io.js';
import { intOption, secretPathArg } from './shared.js';

/** Local cap on one value or the stdin document; the daemon's own cap (64 KiB by default) is lower. */
const MAX_VALUE_BYTES = 16 * 1024 * 1024;

/** A field name safe to repeat in a message (the value never is). */
function fieldName(name: string): string {
  return /^[\x21-\x7e]{1,64}$/.test(name) ? `'${name}'` : 'a field';
}

function utf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new CliError('OV_INVALID_ARGUMENT', { reason: `${what} is not UTF-8 text`, hints: ['store bytes as a binary secret: --binary @FILE'] });
  }
}

/** `@FILE` or `-` (also `@-`): where a value comes from. */
function sourceOf(spec: string): string | undefined {
  if (spec === '-' || spec === '@-') return '-';
  if (spec.startsWith('@') && spec.length > 1) return spec.slice(1);
  return undefined;
}

async function readSource(ctx: Parameters<typeof readInput>[0], source: string): Promise<Uint8Array> {
  return readInput(ctx, source, { max: MAX_VALUE_BYTES });
}

export const command = defineCommand({
  name: 'put',
  usage: 'vault secrets put PATH [KEY=@FILE | KEY=- ...] [--binary @FILE|-] [--cas N] [--json]',
  positionals: { min: 1, max: 1000, name: 'PATH' },
  options: {
    binary: { type: 'string', arg: '@FILE|-', help: 'store one binary value read from FILE or stdin instead of fields' },
    cas: { type: 'string', arg: 'N', help: 'check-and-set: write only if N is the current version (0: only if PATH does not exist)' },
    json: { type: 'boolean', help: 'print {path, version, created_at}' },
  },
  details: [
    'Each field is KEY=@FILE (the file\'s contents, exactly) or KEY=- (all of stdin, exactly:',
    'use printf %s, not echo, to avoid storing a newline). With no KEY=... pair, stdin must',
    'be a JSON object of string fields. A literal KEY=value is refused: values on the command',
    'line show up in process listings and shell history.',
    '',
    'Examples:',
    '  vault secrets put apps/web/db password=@db-password.txt user=@db-user.txt',
    '  printf %s "$TOKEN" | vault secrets put ci/deploy token=-',
    '  vault secrets put apps/web/db --cas 3 < fields.json',
    '  vault secrets put tls/web.key --binary @web.key.der',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const path = await secretPathArg(ctx);
    const pairs = ctx.positionals.slice(1);
    const cas = intOption(v.cas, '--cas', 0, Number.MAX_SAFE_INTEGER);

    let value: SecretInput;
    const wipe: Uint8Array[] = [];
    try {
      if (v.binary !== undefined) {
        if (pairs.length > 0) throw usageError('--binary stores one value: it takes no KEY=... pairs', ctx.commandPath);
        const source = sourceOf(v.binary);
        if (source === undefined) throw usageError('--binary takes @FILE or - (stdin), never the value itself', ctx.commandPath);
        if (source === '-' && ctx.streams.stdin.isTTY === true) throw usageError('--binary - reads stdin: pipe the value in', ctx.commandPath);
        const bytes = await readSource(ctx, source);
        wipe.push(bytes);
        value = { binary: bytes };
      } else if (pairs.length === 0) {
        if (ctx.streams.stdin.isTTY === true) {
          throw new CliError('OV_USAGE', {
            reason: 'no fields given',
            hints: ['pass KEY=@FILE or KEY=-, or pipe a JSON object of fields into stdin', `run '${ctx.commandPath} --help' for usage`],
          });
        }
        const bytes = await readInput(ctx, '-', { max: MAX_VALUE_BYTES });
        wipe.push(bytes);
        let doc: unknown;
        try {
          doc = JSON.parse(utf8(bytes, 'stdin'));
        } catch (e) {
          if (e instanceof CliError) throw e;
          throw new CliError('OV_INVALID_ARGUMENT', { reason: 'stdin is not a JSON object of string fields', hints: ['e.g. {"user": "app", "password": "..."}; or pass KEY=@FILE pairs'] });
        }
        if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !Object.values(doc).every((x) => typeof x === 'string')) {
          throw new CliError('OV_INVALID_ARGUMENT', { reason: 'stdin is not a JSON object of string fields', hints: ['e.g. {"user": "app", "password": "..."}'] });
        }
        value = { data: doc as Record<string, string> };
      } else {
        const data: Record<string, string> = {};
        let stdinUsed = false;
        for (const pair of pairs) {
          const eq = pair.indexOf('=');
          if (eq <= 0) throw usageError('expected KEY=@FILE or KEY=- after PATH', ctx.commandPath);
          const key = pair.slice(0, eq);
          const source = sourceOf(pair.slice(eq + 1));
          if (source === undefined) {
            throw new CliError('OV_USAGE', {
              reason: `the value of ${fieldName(key)} was given on the command line`,
              hints: [
                'values in argv show up in process listings and shell history: nothing was written',
                `read it from a file (${key.length <= 64 ? key : 'KEY'}=@FILE) or stdin (${key.length <= 64 ? key : 'KEY'}=-)`,
              ].map((h) => h.replace(/[\p{Cc}\p{Cf}]/gu, '?')),
            });
          }
          if (Object.hasOwn(data, key)) throw usageError(`${fieldName(key)} is given twice`, ctx.commandPath);
          if (source === '-') {
            if (stdinUsed) throw usageError('only one field can come from stdin (KEY=-)', ctx.commandPath);
            stdinUsed = true;
          }
          const bytes = await readSource(ctx, source);
          wipe.push(bytes);
          data[key] = utf8(bytes, `the value of ${fieldName(key)}`);
        }
        value = { data };
      }

      const client = await connect(ctx);
      let r;
      try {
        r = await client.putSecret(path, value, cas === undefined ? {} : { cas });
      } catch (e) {
        if (isVaultError(e, 'OV_CAS_MISMATCH') && isFromDaemon(e)) {
          throw withHints(e, [
            `code OV_CAS_MISMATCH: ${cas === undefined ? `${path} requires --cas N (its current version)` : `version ${cas} is not the current version of ${path}`}; nothing was written`,
            `see 'vault secrets history ${path}', then retry with --cas set to the current version (0: create only)`,
          ]);
        }
        throw e;
      }
      if (v.json) await printJson(ctx, r);
      else await ctx.out(`${clean(r.path)}: version ${clean(r.version)} written\n`);
      return 0;
    } finally {
      for (const b of wipe) b.fill(0);
    }
  },
});

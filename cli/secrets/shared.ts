/**
 * Shared parts of the `vault secrets` commands: checking a secret path before it goes on
 * the wire (the daemon's rule, so a typo is a clear local error rather than a daemon 400), number and version-list options, and the yes/no confirmation that guards
 * irreversible commands on a terminal.
 * @module
 */
import type { CommandContext } from '../command.js';
import { CliError } from '../errors.js';
import { clientLib } from '../connect/connect.js';
import { clean } from '../connect/format.js';

const PATH_HINT = 'a path is segments of A-Z a-z 0-9 . _ - joined by /, e.g. apps/web/db (no leading or trailing /, no . or ..)';

/**
 * The PATH argument, checked locally (exit 1) with the same rule the daemon applies. The
 * client module holding the rule is loaded here, in `run`, never for `--help`.
 */
export async function secretPathArg(ctx: CommandContext<unknown>, i = 0): Promise<string> {
  const path = ctx.positionals[i] ?? '';
  const { isSecretPath } = await clientLib();
  if (!isSecretPath(path)) throw new CliError('OV_PATH_INVALID', { hints: [PATH_HINT] });
  return path;
}

/** A whole number option within [min, max]; undefined when the option is absent. */
export function intOption(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = /^[0-9]{1,16}$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new CliError('OV_INVALID_ARGUMENT', { reason: `${flag} must be a whole number from ${min} to ${max}` });
  }
  return n;
}

/** `--versions 1,2,5`: 1 to 100 distinct positive version numbers. */
export function versionsOption(value: string | undefined, flag = '--versions'): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',').map((p) => p.trim());
  const out: number[] = [];
  for (const p of parts) {
    const n = /^[1-9][0-9]{0,15}$/.test(p) ? Number(p) : Number.NaN;
    if (!Number.isSafeInteger(n)) throw new CliError('OV_INVALID_ARGUMENT', { reason: `${flag} must be version numbers separated by commas, e.g. 1,2` });
    if (!out.includes(n)) out.push(n);
  }
  if (out.length > 100) throw new CliError('OV_INVALID_ARGUMENT', { reason: `${flag} takes at most 100 versions` });
  return out;
}

/** `true` / `false` (also yes/no, 1/0). */
export function boolOption(value: string | undefined, flag: string): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (v === 'true' || v === 'yes' || v === '1') return true;
  if (v === 'false' || v === 'no' || v === '0') return false;
  throw new CliError('OV_INVALID_ARGUMENT', { reason: `${flag} must be true or false` });
}

/** "1, 2 and 3" for messages. */
export function versionText(versions: readonly number[]): string {
  const v = versions.map((x) => clean(x));
  if (v.length <= 1) return v.join('');
  return `${v.slice(0, -1).join(', ')} and ${v[v.length - 1] ?? ''}`;
}

/**
 * Asks a yes/no question on the terminal (prompt on stderr, answer from stdin). Only
 * `y` or `yes` confirms; end of input or anything else declines.
 */
export function confirm(ctx: CommandContext<unknown>, question: string): Promise<boolean> {
  const stdin = ctx.streams.stdin;
  return new Promise((resolve) => {
    ctx.streams.stderr.write(`${question} [y/N] `);
    let buf = '';
    const done = (answer: boolean): void => {
      stdin.removeListener('data', onData);
      stdin.removeListener('end', onEnd);
      stdin.pause();
      resolve(answer);
    };
    const onEnd = (): void => {
      ctx.streams.stderr.write('\n');
      done(false);
    };
    const onData = (chunk: string | Buffer): void => {
      buf += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
      const nl = buf.search(/[\r\n]/);
      if (nl >= 0) done(/^(y|yes)$/i.test(buf.slice(0, nl).trim()));
      else if (buf.length > 64) done(false);
    };
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}

/**
 * Vault's single-dash long flags (`-format=json`, `-field=NAME`, `-json`), rewritten to
 * their `--` form before node:util `parseArgs` sees them: parseArgs reads `-field=x` as
 * the short option `-f` with the value `ield=x`, which silently does something else.
 *
 * A token `-NAME[=VALUE]` (NAME two characters or more, before any `--`) becomes
 * `--NAME[=VALUE]` when NAME is one of the command's long options, or when it carries
 * `=VALUE`, or when its first letter is no short option of the command (so an unknown
 * `-format` is reported as `--format`). What remains, a cluster of short flags such as
 * `-ao FILE` or a short option with its value attached such as `-oFILE`, is left as it was.
 * @module
 */
import type { OptionSpecs } from './command.js';

const SINGLE_DASH_LONG = /^-([A-Za-z0-9][A-Za-z0-9-]+)(=[\s\S]*)?$/;

export function normalizeArgs(args: readonly string[], options: OptionSpecs): string[] {
  const shorts = new Set(Object.values(options).flatMap((o) => (o.short === undefined ? [] : [o.short])));
  const out: string[] = [];
  let rest = false;
  for (const a of args) {
    if (rest || a === '--') {
      rest = true;
      out.push(a);
      continue;
    }
    const m = SINGLE_DASH_LONG.exec(a);
    const name = m?.[1];
    if (m === null || name === undefined) {
      out.push(a);
      continue;
    }
    const long = Object.hasOwn(options, name) || m[2] !== undefined || !shorts.has(name[0] ?? '');
    out.push(long ? `-${a}` : a);
  }
  return out;
}

/**
 * `vault config validate [FILE]`: checks a daemon config file with the same code
 * `vault server` uses (src/config.ts), together with the ONTOREF_* environment, and lists
 * every problem with its key path at once, so one run shows everything to fix. Nothing is
 * started or written.
 * @module
 */
import { defineCommand } from '../command.js';
import { EXIT_LOCAL } from '../errors.js';
import { envRecord } from '../connect/env.js';
import { clean, printJson } from '../connect/format.js';

export const command = defineCommand({
  name: 'validate',
  usage: 'vault config validate [FILE] [--json]',
  positionals: { min: 0, max: 1, name: 'FILE' },
  options: {
    json: { type: 'boolean', help: 'print {ok, file, problems: [{path, message}]} (and the resolved config when ok)' },
  },
  details: [
    'FILE defaults to ONTOREF_CONFIG, else <data dir>/config.toml (a missing default file is',
    'fine: the defaults apply). Problems are printed one per line as `path: message`.',
    '',
    'Exit codes: 0 valid; 1 invalid (every problem listed) or unreadable.',
  ].join('\n'),
  async run(ctx) {
    const { checkConfig, checkConfigFiles, formatProblems } = await import('../../src/config.js');
    const file = ctx.positionals[0];
    const checked = checkConfig({ env: envRecord(ctx), ...(file === undefined ? {} : { path: file }) });
    // The files it names (the unseal key file) must be usable too, as `vault server` checks.
    const fileProblems = checked.config === undefined ? [] : checkConfigFiles(checked.config);
    const r = fileProblems.length === 0 ? checked : { config: undefined, problems: fileProblems, file: checked.file };
    const ok = r.problems.length === 0;
    if (ctx.values.json) {
      await printJson(ctx, { ok, file: r.file, problems: r.problems, ...(r.config === undefined ? {} : { config: r.config }) });
      return ok ? 0 : 1;
    }
    if (ok) {
      await ctx.out(`config ok: ${r.config?.file ?? `${r.file} (not present: defaults apply)`}\n`);
      return 0;
    }
    // One self-contained line per problem, so `grep` and people both find them.
    const n = r.problems.length;
    const lines = [`vault: error: configuration is invalid: ${n} problem${n === 1 ? '' : 's'} in ${clean(r.file)}`];
    for (const p of formatProblems(r.problems)) lines.push(`vault: error: ${clean(p)}`);
    ctx.streams.stderr.write(`${lines.join('\n')}\n`);
    return EXIT_LOCAL;
  },
});

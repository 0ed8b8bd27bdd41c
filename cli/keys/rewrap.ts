/**
 * `vault keys rewrap [kem]`: re-seals every secret version still under an older KEM key
 * version with the newest one (`POST /v1/keys/kem/rewrap`, daemon admin), one slice of
 * `--batch-size` versions per request, so progress can be shown between slices. The daemon
 * keeps no cursor: each version records the key version it is sealed under, so stopping
 * at any point (Ctrl-C, a crash, a lost connection) loses nothing, and running the command
 * again resumes. After it reports done, `vault keys` can raise the minimum decryption
 * version of `kem`.
 *
 * Progress: a one-line bar on stderr when stderr is a terminal (redrawn with `\r`: counts,
 * percentage, versions per second); nothing otherwise. `--json` prints one document with
 * the final counts on stdout.
 * @module
 */
import { defineCommand } from '../command.js';
import { CliError } from '../errors.js';
import { connect } from '../connect/connect.js';
import { clean, printJson } from '../connect/format.js';
import { intOption } from '../secrets/shared.js';

const DEFAULT_BATCH = 100;
const BAR_WIDTH = 24;

function bar(done: number, total: number, startedAt: number): string {
  const frac = total === 0 ? 1 : Math.min(1, done / total);
  const filled = Math.round(frac * BAR_WIDTH);
  const secs = Math.max((Date.now() - startedAt) / 1000, 0.001);
  const rate = Math.round(done / secs);
  return `\rrewrap kem [${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${done}/${total} ${Math.floor(frac * 100)}% ${rate} versions/s `;
}

export const command = defineCommand({
  name: 'rewrap',
  usage: 'vault keys rewrap [kem] [--batch-size N] [--json]',
  positionals: { min: 0, max: 1, name: 'NAME' },
  options: {
    'batch-size': { type: 'string', arg: 'N', help: `versions per request and transaction, 1-1000 (default ${DEFAULT_BATCH})` },
    json: { type: 'boolean', help: 'print {rewrapped, remaining, key_version, done, interrupted} when finished' },
  },
  details: [
    'Only the kem key seals secrets, so it is the only NAME accepted (and the default).',
    'Ctrl-C stops after the current slice; nothing is lost and a new run picks up the rest.',
    '',
    'Examples:',
    '  vault keys rotate kem && vault keys rewrap',
    '  vault keys rewrap --batch-size 500 --json',
  ].join('\n'),
  async run(ctx) {
    const name = ctx.positionals[0] ?? 'kem';
    if (name !== 'kem') throw new CliError('OV_INVALID_ARGUMENT', { reason: 'only the kem key seals secrets: NAME must be kem' });
    const batchSize = intOption(ctx.values['batch-size'], '--batch-size', 1, 1000) ?? DEFAULT_BATCH;
    const client = await connect(ctx);
    const tty = ctx.streams.stderr.isTTY === true;

    let interrupted = false;
    const onInt = (): void => {
      interrupted = true;
    };
    // Only the first Ctrl-C is caught: a second one ends the process the usual way.
    process.once('SIGINT', onInt);
    let total = 0;
    let expected = 0;
    let last: { remaining: number; key_version: number; done: boolean } = { remaining: 0, key_version: 0, done: false };
    const startedAt = Date.now();
    try {
      for (;;) {
        const r = await client.rewrapKey('kem', { batchSize, maxVersions: batchSize });
        total += r.rewrapped;
        expected = total + r.remaining;
        last = r;
        if (tty) ctx.streams.stderr.write(bar(total, expected, startedAt));
        if (r.done) break;
        if (r.rewrapped === 0) {
          throw new CliError('OV_DAEMON_RESPONSE', { reason: `rewrap made no progress with ${r.remaining} versions left`, hints: ['run it again; if it persists, check the daemon log'] });
        }
        if (interrupted) break;
      }
    } finally {
      process.removeListener('SIGINT', onInt);
      if (tty) ctx.streams.stderr.write('\n');
    }
    const summary = { rewrapped: total, remaining: last.remaining, key_version: last.key_version, done: last.done, interrupted: interrupted && !last.done };
    if (ctx.values.json) await printJson(ctx, summary);
    else if (last.done) await ctx.out(`rewrapped ${total} version${total === 1 ? '' : 's'}; every secret is sealed under kem version ${clean(last.key_version)}\n`);
    else await ctx.out(`rewrapped ${total} version${total === 1 ? '' : 's'}; ${last.remaining} left\n`);
    if (summary.interrupted) {
      ctx.warn(`interrupted: ${last.remaining} version${last.remaining === 1 ? '' : 's'} left; run 'vault keys rewrap' again to resume`);
      return 130;
    }
    return 0;
  },
});

/**
 * `vault audit tail`: the last entries of the audit log, oldest of them first, and with
 * `--follow` every new one as it arrives (`GET /v1/sys/audit`, daemon admin). Following
 * polls once a second for entries after the last one seen, until SIGINT or SIGTERM.
 * @module
 */
import type { AuditEntry } from '../../src/api/sys.js';
import { defineCommand } from '../command.js';
import { connect } from '../connect/connect.js';
import { entryLine } from './shared.js';
import { intOption } from '../secrets/shared.js';

const POLL_MS = 1000;
/** Page size while catching up under --follow: the daemon's maximum. */
const PAGE = 1000;

export const command = defineCommand({
  name: 'tail',
  usage: 'vault audit tail [-n N] [--follow] [--path P] [--json]',
  options: {
    lines: { type: 'string', short: 'n', arg: 'N', help: 'the last N entries (1-1000, default 10)' },
    follow: { type: 'boolean', short: 'f', help: 'then print new entries as they come (polls every second; Ctrl-C stops)' },
    path: { type: 'string', arg: 'P', help: 'only entries whose request path starts with P' },
    json: { type: 'boolean', help: 'one JSON object per entry and line' },
  },
  details: [
    'Needs the daemon admin. Every poll is itself an audited request, so an unfiltered',
    '--follow also shows its own reads; --path narrows that.',
    '',
    'Examples:',
    '  vault audit tail -n 50',
    '  vault audit tail --follow --path /v1/secrets/',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const n = intOption(v.lines, '-n', 1, 1000) ?? 10;
    const path = v.path === undefined ? {} : { path: v.path };
    const client = await connect(ctx);
    const print = async (entries: readonly AuditEntry[]): Promise<void> => {
      await ctx.out(entries.map((e) => (v.json ? `${JSON.stringify(e)}\n` : entryLine(e))).join(''));
    };
    // Following starts from the head of the whole log, read before the filtered tail: an
    // entry appended between the two reads is then either in the tail or after `seen`.
    const head = v.follow ? ((await client.listAudit({ limit: 1, order: 'desc' })).entries[0]?.seq ?? 0) : 0;
    const last = await client.listAudit({ ...path, limit: n, order: 'desc' });
    const entries = [...last.entries].reverse();
    await print(entries);
    if (!v.follow) return 0;

    let seen = Math.max(head, entries[entries.length - 1]?.seq ?? 0);
    let stopped = false;
    let wake: (() => void) | undefined;
    const stop = (): void => {
      stopped = true;
      wake?.();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      while (!stopped) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, POLL_MS);
        });
        wake = undefined;
        // Catch up page by page, so a burst of entries is never cut to one page.
        while (!stopped) {
          const page = await client.listAudit({ ...path, after: seen, limit: PAGE });
          await print(page.entries);
          seen = page.entries[page.entries.length - 1]?.seq ?? seen;
          if (page.next === null) break;
        }
      }
    } finally {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    }
    return 0;
  },
});

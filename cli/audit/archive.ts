/**
 * `vault audit archive --before T -o FILE`: moves the closed part of the audit log out of
 * the daemon's store into a self-verifying archive file (docs/format.md). Two calls, so
 * the file is on disk before anything leaves the store: the daemon hands over the archive
 * (`POST /v1/sys/audit/archive`), this writes it (temporary file, fsync, rename, directory
 * fsync), and only then asks the daemon to prune that range (`POST /v1/sys/audit/prune`).
 * A crash in between leaves the entries in both places; running the same command again
 * (with --force) writes the same file and finishes the prune.
 * @module
 */
import { closeSync, fsyncSync, openSync, constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDuration } from '../../src/util/duration.js';
import { defineCommand } from '../command.js';
import { connect } from '../connect/connect.js';
import { clean, printJson } from '../connect/format.js';
import { CliError } from '../errors.js';
import { checkOutputFile, writeFiles } from '../io.js';
import { sinceOption } from './shared.js';

/** `--before`: a duration back from now (`30d`), or an RFC 3339 time; checked before any request. */
export function beforeOption(value: string): string {
  if (parseDuration(value) !== undefined) return value;
  try {
    return sinceOption(value) as string;
  } catch {
    throw new CliError('OV_INVALID_ARGUMENT', { reason: '--before must be a duration such as 30d or an RFC 3339 time such as 2026-01-31T00:00:00Z' });
  }
}

function syncDir(file: string): void {
  try {
    const fd = openSync(dirname(resolve(file)), constants.O_RDONLY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the file itself is already synced.
  }
}

export const command = defineCommand({
  name: 'archive',
  usage: 'vault audit archive --before T -o FILE [--force] [--json]',
  options: {
    before: { type: 'string', arg: 'T', required: true, help: 'archive entries older than T: a duration back from now (30d) or an RFC 3339 time' },
    output: { type: 'string', short: 'o', arg: 'FILE', required: true, help: 'write the archive to FILE (mode 0600)' },
    force: { type: 'boolean', help: 'overwrite FILE if it exists' },
    json: { type: 'boolean', help: 'print {file, first_seq, last_seq, entries, pruned} (and node, on a cluster)' },
  },
  details: [
    'Needs the daemon admin. The archive ends on the last signed checkpoint before T, so both',
    'of its ends are signed; it holds at most 15 MiB (run again for more). The daemon prunes',
    'the range only after FILE is written and synced. Check archives and the live log together',
    'with `vault audit verify FILE... ` or `vault audit verify --archives DIR`.',
    '',
    'On a cluster (PostgreSQL storage) each daemon has its own audit chain: this archives the',
    'chain of the daemon it asks, and the file names that node, so the archives of several',
    'nodes can share a directory.',
    '',
    'Exit codes: 0 archived, or nothing older than T to archive; 1 a local error (bad --before,',
    'FILE exists without --force); 2 the daemon refused.',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const before = beforeOption(v.before);
    const file = v.output;
    // Before anything is asked of the daemon: an existing file without --force, a missing directory.
    await checkOutputFile(file, { force: v.force });
    const client = await connect(ctx);
    const bytes = await client.archiveAudit(before);
    if (bytes === undefined) {
      if (v.json) await printJson(ctx, { file: null, first_seq: null, last_seq: null, entries: 0, pruned: 0 });
      else ctx.info('nothing to archive: no signed checkpoint older than --before');
      return 0;
    }
    const { parseArchive } = await import('../../src/audit/archive.js');
    // Parse before writing: a garbled answer is not written as if it were an archive.
    const a = parseArchive(bytes);
    const end = a.checkpoints[a.checkpoints.length - 1];
    if (end === undefined) throw new CliError('OV_AUDIT_ARCHIVE_MALFORMED', { reason: 'the archive has no end checkpoint' });
    await writeFiles([{ path: file, data: bytes, secret: true, exclusive: !v.force }]);
    syncDir(file);
    const r = await client.pruneAudit(end.seq, Buffer.from(end.hash).toString('hex'));
    if (v.json) {
      await printJson(ctx, { file, first_seq: a.header.firstSeq, last_seq: a.header.lastSeq, entries: a.header.entries, pruned: r.pruned, ...(a.header.node === undefined ? {} : { node: a.header.node }) });
    } else {
      const of = a.header.node === undefined ? '' : ` of node ${a.header.node}`;
      await ctx.out(`archived entries ${a.header.firstSeq}-${a.header.lastSeq}${of} (${a.header.entries}) to ${clean(file)}; ${r.pruned} pruned from the live log\n`);
    }
    return 0;
  },
});

/**
 * `vault audit verify`: checks the audit chain offline (no daemon, no root key): every
 * entry's hash and link and every signed checkpoint (docs/adr/0005-audit-chain.md),
 * reading `<data dir>/vault.db` (or this node's chain in the configured PostgreSQL
 * database) read-only; given archive files (in chain order, or a directory of them), it checks each of them, that each starts where the one before it
 * ended, and that the live log starts where the last one ends
 * (docs/adr/0012-audit-archives.md). The checkpoint keys come from the keyring's stored
 * public keys, or, for a verifier that must not trust the database it checks, from
 * public key files pinned out of band (`--key`).
 *
 * With `[storage] backend = "postgres"` in the config (and no --data-dir) it reads that
 * database instead, where each node of a cluster has its own chain: every chain is
 * checked, and every head one chain's checkpoints name of another
 * (docs/adr/0018-audit-chains-per-node.md); a problem names its node. Archives given are
 * this node's.
 * @module
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ArchiveInput, AuditFirstBad, AuditVerifyResult, ChainProblem } from '../../src/audit/index.js';
import type { ErrorCode } from '../../src/errors.js';
import type { PublicKeyInfo } from '../../src/envelope/keys.js';
import { defineCommand } from '../command.js';
import { CliError } from '../errors.js';
import { quotePath } from '../io.js';
import { envRecord } from '../connect/env.js';
import { printJson } from '../connect/format.js';

/** The archive files named on the command line: files in the order given, or one directory's archives. */
function readArchives(paths: readonly string[], extension: string): { inputs: ArchiveInput[]; directory: boolean } {
  const read = (p: string): ArchiveInput => {
    try {
      return { name: p, bytes: new Uint8Array(readFileSync(p)) };
    } catch (e) {
      throw new CliError('OV_IO', { reason: `cannot read ${quotePath(p)}: ${(e as NodeJS.ErrnoException).code ?? 'error'}` });
    }
  };
  const only = paths[0];
  if (paths.length === 1 && only !== undefined && existsSync(only) && statSync(only).isDirectory()) {
    const names = readdirSync(only).filter((n) => n.endsWith(extension)).sort();
    return { inputs: names.map((n) => read(join(only, n))), directory: true };
  }
  return { inputs: paths.map(read), directory: false };
}

function problemJson(p: ChainProblem): Record<string, unknown> {
  return { code: p.code, reason: p.reason, seq: p.seq ?? null, file: p.file ?? null, ...(p.from === undefined ? {} : { from: p.from, to: p.to }), ...(p.node === undefined ? {} : { node: p.node }) };
}

export const command = defineCommand({
  name: 'verify',
  usage: 'vault audit verify [ARCHIVE... | ARCHIVE_DIR] [--data-dir DIR] [--key PUB_FILE ...] [--json]',
  positionals: { min: 0, max: 100_000, name: 'ARCHIVE' },
  options: {
    'data-dir': { type: 'string', arg: 'DIR', help: 'the vault data dir (default: ONTOREF_DATA_DIR, the config, or ~/.local/share/ontoref-vault)' },
    key: { type: 'string', multiple: true, arg: 'PUB_FILE', help: 'verify checkpoints with this signature public key instead of the stored ones' },
    json: { type: 'boolean', help: 'print {ok, entries, checkpoints, first_seq, last_seq, covered_through, first_bad, archives, overlap, problem, data_dir} (on PostgreSQL also node, nodes, peer_heads)' },
  },
  details: [
    'Runs while the daemon runs (the database is opened read-only). With [storage] backend =',
    '"postgres" in the config it checks every node\'s chain in that database, and that each',
    'head a node\'s checkpoints name of another node is in that node\'s chain; a problem',
    'names its node. Entries after the last',
    'checkpoint are only hash-chained: a cut of that tail cannot be detected by anyone.',
    'The daemon signs a checkpoint on seal and on shutdown.',
    '',
    'Archives (vault audit archive, [audit] retain) are given in chain order, or as one',
    'directory whose *.ovaudit files are ordered by their first entry. Without archives the',
    'live log is checked from where the last archive ended (its signed boundary).',
    '',
    'Exit codes: 0 the chain verifies; 1 it does not, or a local error. Each problem has its',
    'own code: OV_AUDIT_ENTRY_MODIFIED, OV_AUDIT_ENTRY_MISSING, OV_AUDIT_ENTRY_REORDERED,',
    'OV_AUDIT_CHECKPOINT_INVALID, OV_AUDIT_ARCHIVE_MISSING, OV_AUDIT_ARCHIVE_ORDER,',
    'OV_AUDIT_ARCHIVE_MALFORMED (docs/errors.md).',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    let dir: string;
    if (v['data-dir'] !== undefined) {
      dir = resolve(v['data-dir']);
    } else {
      const { checkConfig, envDataDir } = await import('../../src/config.js');
      dir = checkConfig({ env: envRecord(ctx) }).config?.dataDir ?? envDataDir(envRecord(ctx));
    }
    const { offlineTarget } = await import('../operator/storage.js');
    const target = await offlineTarget(ctx, dir);
    if (!target.present) {
      throw new CliError('OV_IO', {
        reason: `no vault.db in ${quotePath(dir)}`,
        hints: ["pass --data-dir DIR, or set ONTOREF_DATA_DIR; 'vault setup --gen-keys' creates a vault"],
      });
    }
    const audit = await import('../../src/audit/index.js');
    const { inputs, directory } = readArchives(ctx.positionals, audit.ARCHIVE_EXTENSION);
    if (directory && inputs.length === 0) throw new CliError('OV_IO', { reason: `no ${audit.ARCHIVE_EXTENSION} files in ${quotePath(ctx.positionals[0] ?? '')}` });
    const provider = await ctx.provider();
    const pinned: PublicKeyInfo[] = [];
    if (v.key.length > 0) {
      const { loadPublicKey } = await import('../envelope/keys.js');
      for (const f of v.key) pinned.push(await loadPublicKey(ctx, f, 'sig-public'));
    }
    const { keyringPublicKeys } = await import('../../src/keyring/index.js');
    const storage = target.open();
    let report;
    try {
      const keys = pinned.length > 0 ? pinned : keyringPublicKeys(storage);
      if (inputs.length === 0) {
        const live = audit.verifyAudit(storage, keys, provider);
        report = { ok: live.ok, archives: [], live, overlap: 0, ...(live.ok ? {} : { problem: chainProblemOf(live, audit.PROBLEM_CODES, audit.problemReason) }) };
      } else {
        report = audit.verifyAuditChain(inputs, storage, keys, provider, { sortByStart: directory });
      }
    } finally {
      storage.close();
    }
    const live = report.live;
    const archived = report.archives.reduce((n, a) => n + a.entries, 0);
    if (v.json) {
      await printJson(ctx, {
        ok: report.ok,
        entries: (live?.entries ?? 0) + archived,
        checkpoints: (live?.checkpoints ?? 0) + report.archives.reduce((n, a) => n + a.checkpoints, 0),
        first_seq: report.archives[0]?.firstSeq ?? live?.firstSeq ?? 1,
        last_seq: live?.lastSeq ?? report.archives[report.archives.length - 1]?.lastSeq ?? 0,
        covered_through: live?.coveredThrough ?? 0,
        first_bad: firstBadJson(live?.firstBad),
        archives: report.archives.map((a) => ({ file: a.file, first_seq: a.firstSeq, last_seq: a.lastSeq, entries: a.entries, checkpoints: a.checkpoints })),
        overlap: report.overlap,
        problem: report.problem === undefined ? null : problemJson(report.problem),
        data_dir: dir,
        ...(live?.nodes === undefined ? {} : { node: live.node, nodes: live.nodes.map(nodeJson), peer_heads: live.peerHeads ?? null }),
      });
      return report.ok ? 0 : 1;
    }
    if (!report.ok || live === undefined) {
      const p = report.problem;
      throw new CliError(p?.code ?? 'OV_AUDIT_ENTRY_MODIFIED', {
        reason: `${p?.file === undefined ? '' : `${p.file}: `}${p?.reason ?? 'unknown problem'}`,
        hints: [`${archived + (live?.entries ?? 0)} entries verified before it`],
      });
    }
    const tail = live.lastSeq - live.coveredThrough;
    const lines: string[] = [];
    if (live.nodes !== undefined) {
      for (const n of live.nodes) lines.push(`node ${n.node}: ${n.entries} entries, ${n.checkpoints} checkpoints, signed through entry ${n.coveredThrough} of ${n.lastSeq}\n`);
      const ph = live.peerHeads ?? { checked: 0, archived: 0 };
      lines.push(`peer heads named in checkpoints: ${ph.checked} found in their chains${ph.archived > 0 ? `, ${ph.archived} in archived ranges (not checked here)` : ''}\n`);
    }
    for (const a of report.archives) lines.push(`archive ok: ${a.file}: entries ${a.firstSeq}-${a.lastSeq}, ${a.checkpoints} checkpoints\n`);
    if (report.overlap > 0) lines.push(`the live log still holds the last ${report.overlap} archived entries (a prune not done yet); they match the archive\n`);
    const from = live.firstSeq > 1 && report.archives.length === 0 ? ` from entry ${live.firstSeq} (entries 1-${live.firstSeq - 1} are archived; give the archives to verify them)` : '';
    lines.push(
      `audit log ok${from}: ${live.entries} entries, ${live.checkpoints} checkpoints` +
        (live.entries === 0 ? '\n' : tail === 0 ? `, signed through entry ${live.coveredThrough}\n` : `; entries ${live.coveredThrough + 1}-${live.lastSeq} not yet covered by a checkpoint\n`),
    );
    await ctx.out(lines.join(''));
    return 0;
  },
});

function chainProblemOf(r: { firstBad?: AuditFirstBad }, codes: Readonly<Record<AuditFirstBad['problem'], ErrorCode>>, reason: (b: AuditFirstBad) => string): ChainProblem {
  const bad = r.firstBad ?? { seq: 0, problem: 'modified' as const };
  return { code: codes[bad.problem], reason: reason(bad), seq: bad.seq, ...(bad.node === undefined ? {} : { node: bad.node }) };
}

function nodeJson(n: AuditVerifyResult & { node: string }): Record<string, unknown> {
  return { node: n.node, ok: n.ok, entries: n.entries, checkpoints: n.checkpoints, first_seq: n.firstSeq, last_seq: n.lastSeq, covered_through: n.coveredThrough, first_bad: firstBadJson(n.firstBad) };
}

/** `{seq, problem}`, with `node` and `named_by` on per-node chains; null when none. */
function firstBadJson(b: AuditFirstBad | undefined): Record<string, unknown> | null {
  if (b === undefined) return null;
  return { seq: b.seq, problem: b.problem, ...(b.node === undefined ? {} : { node: b.node }), ...(b.namedBy === undefined ? {} : { named_by: b.namedBy }) };
}

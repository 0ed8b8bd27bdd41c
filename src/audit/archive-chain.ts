/**
 * Verifying the whole audit chain across archive files and the live store: each archive
 * on its own (./archive.ts), each archive starting right where the one before it ended
 * (same seq, same hash), the first at genesis, and the live store starting at (or, while
 * a prune is pending, before) the end of the last archive. Each kind of problem has its
 * own error code, named in the report, so an operator can tell an edited entry from a
 * missing or misordered file.
 *
 * In a database of one chain per node the archives are this node's: a directory's files
 * of other nodes are passed over, and a file named on its own that holds another node's
 * chain is out of place (OV_AUDIT_ARCHIVE_ORDER).
 * @module
 */
import { constantTimeEqual } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/types.js';
import type { PublicKeyInfo } from '../envelope/keys.js';
import { VaultError, isVaultError, type ErrorCode } from '../errors.js';
import type { Storage } from '../storage/types.js';
import { parseArchive, verifyArchive, type ParsedArchive } from './archive.js';
import { GENESIS, liveStart, verifyAudit, type AuditFirstBad, type AuditProblem, type AuditVerifyResult } from './verify.js';

export interface ArchiveInput {
  /** How the file is named in reports (its path as given). */
  readonly name: string;
  readonly bytes: Uint8Array;
}

export interface ChainProblem {
  readonly code: ErrorCode;
  readonly reason: string;
  readonly seq?: number;
  readonly file?: string;
  /** The range no archive holds (OV_AUDIT_ARCHIVE_MISSING). */
  readonly from?: number;
  readonly to?: number;
  /** The node whose chain has the problem, where the database holds one chain per node. */
  readonly node?: string;
}

export interface ArchiveSummary {
  readonly file: string;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly entries: number;
  readonly checkpoints: number;
}

export interface ChainReport {
  readonly ok: boolean;
  readonly archives: ArchiveSummary[];
  /** The live store's own verification (undefined when not checked, or not reached). */
  readonly live?: AuditVerifyResult;
  /** Entries the live store still holds that the last archive also holds (a prune not yet done). */
  readonly overlap: number;
  readonly problem?: ChainProblem;
}

export const PROBLEM_CODES: Readonly<Record<AuditProblem, ErrorCode>> = Object.freeze({
  modified: 'OV_AUDIT_ENTRY_MODIFIED',
  deleted: 'OV_AUDIT_ENTRY_MISSING',
  reordered: 'OV_AUDIT_ENTRY_REORDERED',
  checkpoint: 'OV_AUDIT_CHECKPOINT_INVALID',
});

/** `entry 5: modified`; with several chains `node b: entry 5: modified`, and for a named peer head which entry named it. */
export function problemReason(bad: AuditFirstBad): string {
  const by = bad.namedBy === undefined ? '' : ` (the head named by node ${bad.namedBy.node} entry ${bad.namedBy.seq})`;
  return `${bad.node === undefined ? '' : `node ${bad.node}: `}entry ${bad.seq}: ${bad.problem}${by}`;
}

function fromResult(r: AuditVerifyResult, file?: string): ChainProblem {
  const bad: AuditFirstBad = r.firstBad ?? { seq: r.lastSeq + 1, problem: 'modified' };
  return { code: PROBLEM_CODES[bad.problem], reason: problemReason(bad), seq: bad.seq, ...(file === undefined ? {} : { file }), ...(bad.node === undefined ? {} : { node: bad.node }) };
}

/**
 * Verifies `archives` (in chain order; with `sortByStart`, as a directory's files are,
 * ordered by their first seq) and then `storage`'s live log, if given. Reads only.
 */
export function verifyAuditChain(
  archives: readonly ArchiveInput[],
  storage: Storage | undefined,
  publicKeys: PublicKeyInfo[],
  provider: CryptoProvider,
  opts: { readonly sortByStart?: boolean } = {},
): ChainReport {
  const summaries: ArchiveSummary[] = [];
  const fail = (problem: ChainProblem, live?: AuditVerifyResult): ChainReport => ({ ok: false, archives: summaries, overlap: 0, problem, ...(live === undefined ? {} : { live }) });

  const parsed: { name: string; a: ParsedArchive }[] = [];
  for (const f of archives) {
    try {
      parsed.push({ name: f.name, a: parseArchive(f.bytes) });
    } catch (e) {
      if (!isVaultError(e, 'OV_AUDIT_ARCHIVE_MALFORMED')) throw e;
      return fail({ code: 'OV_AUDIT_ARCHIVE_MALFORMED', reason: String(e.detail?.['reason'] ?? 'malformed'), file: f.name });
    }
  }
  const node = storage === undefined ? parsed[0]?.a.header.node : storage.auditChains?.node;
  if (opts.sortByStart === true) {
    const mine = parsed.filter((p) => p.a.header.node === node);
    parsed.length = 0;
    parsed.push(...mine.sort((x, y) => x.a.header.firstSeq - y.a.header.firstSeq));
  }
  const stranger = parsed.find((p) => p.a.header.node !== node);
  if (stranger !== undefined) {
    const whose = (n: string | undefined): string => (n === undefined ? 'a single-node chain' : `the chain of node ${n}`);
    return fail({ code: 'OV_AUDIT_ARCHIVE_ORDER', reason: `holds ${whose(stranger.a.header.node)}, not ${whose(node)}`, file: stranger.name, seq: stranger.a.header.firstSeq });
  }

  // File order and coverage first: a misplaced file is named as such, not as a broken chain.
  const behind = parsed.findIndex((p, i) => i > 0 && p.a.header.firstSeq < (parsed[i - 1] as { a: ParsedArchive }).a.header.firstSeq);
  if (behind > 0) {
    const p = parsed[behind] as { name: string; a: ParsedArchive };
    return fail({ code: 'OV_AUDIT_ARCHIVE_ORDER', reason: `starts at entry ${p.a.header.firstSeq}, before the archive given ahead of it`, file: p.name, seq: p.a.header.firstSeq });
  }
  let end = 0;
  for (const { name, a } of parsed) {
    if (a.header.firstSeq <= end) return fail({ code: 'OV_AUDIT_ARCHIVE_ORDER', reason: `starts at entry ${a.header.firstSeq}, at or before the end of the archive before it (${end})`, file: name, seq: a.header.firstSeq });
    if (a.header.firstSeq > end + 1) return fail({ code: 'OV_AUDIT_ARCHIVE_MISSING', reason: `no archive holds entries ${end + 1}-${a.header.firstSeq - 1}`, file: name, from: end + 1, to: a.header.firstSeq - 1 });
    end = a.header.lastSeq;
  }

  let prev = GENESIS;
  for (const { name, a } of parsed) {
    if (!constantTimeEqual(a.header.start.hash, prev.hash)) {
      return fail({ code: 'OV_AUDIT_ENTRY_MODIFIED', reason: `entry ${a.header.firstSeq}: does not chain to the archive before it`, seq: a.header.firstSeq, file: name });
    }
    const r = verifyArchive(a, publicKeys, provider);
    if (!r.ok) return fail(fromResult(r, name));
    summaries.push({ file: name, firstSeq: a.header.firstSeq, lastSeq: a.header.lastSeq, entries: r.entries, checkpoints: r.checkpoints });
    prev = { seq: r.lastSeq, hash: r.lastHash };
  }
  if (storage === undefined) return { ok: true, archives: summaries, overlap: 0 };

  const start = liveStart(storage);
  if (start.seq > prev.seq) {
    const reason = parsed.length === 0 ? `the live log starts after entry ${start.seq}: give the archives` : `no archive holds entries ${prev.seq + 1}-${start.seq}`;
    return fail({ code: 'OV_AUDIT_ARCHIVE_MISSING', reason, from: prev.seq + 1, to: start.seq });
  }
  let overlap = 0;
  if (start.seq === prev.seq) {
    if (!constantTimeEqual(start.hash, prev.hash)) return fail({ code: 'OV_AUDIT_ENTRY_MODIFIED', reason: `entry ${start.seq + 1}: the live log does not chain to the last archive`, seq: start.seq + 1 });
  } else {
    // A prune not done yet: the store still holds the archived entries, which must be the same.
    const held = storage.audit.get(prev.seq);
    if (held === undefined || !constantTimeEqual(held.hash, prev.hash)) return fail({ code: 'OV_AUDIT_ENTRY_MODIFIED', reason: `entry ${prev.seq}: the live log differs from the last archive`, seq: prev.seq });
    overlap = prev.seq - start.seq;
  }
  const live = verifyAudit(storage, publicKeys, provider);
  if (!live.ok) return fail(fromResult(live), live);
  return { ok: true, archives: summaries, live, overlap };
}

/** The report's problem as the error the CLI raises. */
export function chainError(p: ChainProblem): VaultError {
  const detail: Record<string, string | number> = { reason: p.reason };
  if (p.seq !== undefined) detail['seq'] = p.seq;
  if (p.file !== undefined) detail['file'] = p.file;
  if (p.from !== undefined) detail['from'] = p.from;
  if (p.to !== undefined) detail['to'] = p.to;
  if (p.node !== undefined) detail['node'] = p.node;
  return new VaultError(p.code, detail);
}

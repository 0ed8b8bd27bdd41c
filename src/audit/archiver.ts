/**
 * Moving closed ranges of the audit chain out of the store (docs/adr/0012-audit-archives.md).
 *
 * An archive always ends on a signed checkpoint, so both of its ends are signed: it
 * starts where the previous archive (or genesis) ended and stops at the last checkpoint
 * that qualifies (signed before the cut-off time, or the one that brings the live entries
 * under the size limit), at most MAX_ARCHIVE_ENTRIES entries on (or, when no checkpoint
 * lies that close, the first one that qualifies). Archiving is two steps, so that the
 * archive is on disk before anything leaves the store: `prepare` builds the file (and
 * checks it verifies), the caller writes and fsyncs it, and `prune` then records the
 * boundary and deletes the range in one transaction. A crash between the two leaves the
 * entries in both places, and running again produces the same file and finishes the
 * prune. The daemon's retention (`archiveInto`) does both steps itself.
 * @module
 */
import { join } from 'node:path';
import { constantTimeEqual } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/types.js';
import type { PublicKeyInfo } from '../envelope/keys.js';
import { VaultError } from '../errors.js';
import { parseDuration } from '../util/duration.js';
import type { AuditCheckpointRecord, AuditEntryRecord, Storage } from '../storage/types.js';
import { archiveFileName, encodeArchive, parseArchive, verifyArchive } from './archive.js';
import { ensureArchiveDir, writeArchiveFile } from './archive-file.js';
import { liveStart } from './verify.js';

/** Most entries one archive holds past its start, when a checkpoint lies within that. */
export const MAX_ARCHIVE_ENTRIES = 100_000;
/** Most archives one retention run writes (the next run continues). */
export const MAX_ARCHIVES_PER_RUN = 100;

/** What qualifies for archiving: entries older than a time, or beyond a size kept live. */
export type ArchiveSelection = { readonly before: number } | { readonly keepBytes: number };

/** RFC 3339 with a time zone (Z or an offset); fractions of a second are allowed. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The cut-off an archive request names: a duration back from `now` (`30d`) or an RFC 3339
 * time, in ms since the epoch. OV_INVALID_ARGUMENT (field `before`) for anything else.
 */
export function archiveCutoff(before: string, now: number): number {
  const ms = parseDuration(before);
  if (ms !== undefined) return now - ms;
  const t = RFC3339.test(before) ? Date.parse(before) : NaN;
  if (!Number.isSafeInteger(t) || t < 0) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'before' });
  return t;
}

export interface PreparedArchive {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly entries: number;
  /** The checkpoint the archive ends on: what `prune` is then given. */
  readonly end: AuditCheckpointRecord;
  readonly bytes: Uint8Array;
}

export interface AuditArchiverDeps {
  readonly storage: Storage;
  readonly provider: CryptoProvider;
  /** Every signature public key of the vault (to check an archive before anything is pruned). */
  readonly publicKeys: () => PublicKeyInfo[];
  readonly now: () => number;
  /** Makes the prune durable before it is reported (the storage's sync). */
  readonly sync: () => Promise<void>;
}

export class AuditArchiver {
  readonly #d: AuditArchiverDeps;

  constructor(deps: AuditArchiverDeps) {
    this.#d = deps;
  }

  /** `archiveCutoff` on this archiver's clock. */
  cutoff(before: string): number {
    return archiveCutoff(before, this.#d.now());
  }

  /** The checkpoints the next archive may end on, in seq order; empty when nothing qualifies. */
  #eligible(sel: ArchiveSelection, startSeq: number): AuditCheckpointRecord[] {
    const audit = this.#d.storage.audit;
    const cps = audit.checkpoints().filter((c) => c.seq > startSeq);
    let eligible: AuditCheckpointRecord[];
    if ('before' in sel) {
      // A checkpoint signed before the cut-off covers only entries written before it.
      eligible = cps.filter((c) => c.time < sel.before);
    } else {
      if (audit.bytesAfter(startSeq) <= sel.keepBytes) return [];
      // bytesAfter falls as the seq rises: the first checkpoint that leaves at most
      // keepBytes live is the least that must go (binary search; a query per probe).
      let lo = 0;
      let hi = cps.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (audit.bytesAfter((cps[mid] as AuditCheckpointRecord).seq) <= sel.keepBytes) hi = mid;
        else lo = mid + 1;
      }
      eligible = cps.slice(0, Math.min(lo + 1, cps.length));
    }
    return eligible;
  }

  /**
   * Builds the next archive (not yet written, nothing pruned); undefined when nothing
   * qualifies. With `maxBytes`, ends on an earlier checkpoint while the file would be
   * larger (down to the first that qualifies, whatever its size).
   */
  prepare(sel: ArchiveSelection, limits: { readonly maxBytes?: number } = {}): PreparedArchive | undefined {
    const { storage } = this.#d;
    const start = liveStart(storage);
    const eligible = this.#eligible(sel, start.seq);
    if (eligible.length === 0) return undefined;
    const maxBytes = limits.maxBytes ?? Number.MAX_SAFE_INTEGER;
    let span = MAX_ARCHIVE_ENTRIES;
    let end: AuditCheckpointRecord;
    let entries: AuditEntryRecord[];
    let bytes: Uint8Array;
    for (;;) {
      const within = eligible.filter((c) => c.seq - start.seq <= span);
      end = within[within.length - 1] ?? (eligible[0] as AuditCheckpointRecord);
      entries = [];
      for (const e of storage.audit.entries(start.seq + 1)) {
        if (e.seq > end.seq) break;
        entries.push(e);
      }
      const checkpoints = storage.audit.checkpoints().filter((c) => c.seq > start.seq && c.seq <= end.seq);
      bytes = encodeArchive(start, entries, checkpoints, storage.auditChains?.node);
      if (bytes.length <= maxBytes || end === eligible[0]) break;
      // Scale the span by the bytes per entry just measured, with a margin.
      span = Math.min(end.seq - start.seq - 1, Math.floor(((end.seq - start.seq) * maxBytes * 0.9) / bytes.length));
    }
    // Never offer for pruning a range that does not verify on its own: it would leave the
    // store and survive only as a broken file.
    const check = verifyArchive(parseArchive(bytes), this.#d.publicKeys(), this.#d.provider);
    if (!check.ok) throw new VaultError('OV_AUDIT_FAILED', { reason: 'archive does not verify', seq: check.firstBad?.seq ?? 0, problem: check.firstBad?.problem ?? 'unknown' });
    return { firstSeq: start.seq + 1, lastSeq: end.seq, entries: entries.length, end, bytes };
  }

  /**
   * Removes the entries up to the stored checkpoint at `seq`, which must have `hash` and
   * lie after the live start; the same boundary again is a no-op (pruned: 0).
   * OV_AUDIT_ARCHIVE_STALE otherwise, with nothing changed.
   */
  async prune(seq: number, hash: Uint8Array): Promise<{ pruned: number; firstSeq: number; lastSeq: number }> {
    const { storage } = this.#d;
    const done = storage.transaction(() => {
      const start = liveStart(storage);
      if (seq === start.seq && constantTimeEqual(hash, start.hash)) return { pruned: 0, firstSeq: start.seq + 1, lastSeq: seq };
      const cp = seq > start.seq ? storage.audit.checkpoints().find((c) => c.seq === seq) : undefined;
      if (cp === undefined || !constantTimeEqual(cp.hash, hash)) throw new VaultError('OV_AUDIT_ARCHIVE_STALE', { seq, live_start: start.seq });
      const pruned = storage.audit.prune({ firstSeq: start.seq + 1, checkpoint: cp, archivedAt: this.#d.now() });
      return { pruned, firstSeq: start.seq + 1, lastSeq: seq };
    });
    await this.#d.sync();
    return done;
  }

  /**
   * Retention: archives every qualifying range into `dir` (named by seq range), each
   * written durably before its prune. Returns the files written.
   */
  async archiveInto(dir: string, sel: ArchiveSelection): Promise<string[]> {
    const written: string[] = [];
    for (let i = 0; i < MAX_ARCHIVES_PER_RUN; i++) {
      const a = this.prepare(sel);
      if (a === undefined) break;
      if (written.length === 0) ensureArchiveDir(dir);
      const file = join(dir, archiveFileName(a.firstSeq, a.lastSeq, this.#d.storage.auditChains?.node));
      writeArchiveFile(file, a.bytes);
      await this.prune(a.end.seq, a.end.hash);
      written.push(file);
    }
    return written;
  }
}

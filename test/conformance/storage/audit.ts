/** AuditStore cases: append and the head reads, refusals, checkpoints, the lazy scan, archive boundaries and prune. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditCheckpointRecord, Storage } from '../../../src/storage/types.js';
import { auditRow as row, expectConstraint } from './fixtures.js';

const zero = new Uint8Array(32);

export function auditConformance(open: () => Storage): void {
  describe('audit', () => {
    let s: Storage;
    beforeEach(() => {
      s = open();
    });
    afterEach(() => s.close());

    it('appends and reads head, last, get and count; refuses duplicates, bad hashes, seq 0', () => {
      expect(s.audit.head()).toBeUndefined();
      expect(s.audit.last()).toBeUndefined();
      expect(s.audit.count()).toBe(0);
      s.audit.append(row(1));
      s.audit.append(row(2));
      expect(s.audit.head()).toEqual({ seq: 2, hash: row(2).hash });
      expect(s.audit.last()).toEqual(row(2));
      expect(s.audit.get(1)).toEqual(row(1));
      expect(s.audit.get(3)).toBeUndefined();
      expectConstraint(() => s.audit.append(row(2)));
      expectConstraint(() => s.audit.append(row(3, { hash: new Uint8Array(31) })));
      expectConstraint(() => s.audit.append(row(3, { hash: new Uint8Array(33) })));
      expectConstraint(() => s.audit.append(row(0)));
      expect(s.audit.count()).toBe(2);
      expect(s.audit.last()).toEqual(row(2));
    });

    it('keeps its own copy of the hashes', () => {
      const r = row(1);
      s.audit.append(r);
      r.hash.fill(0);
      s.audit.get(1)?.hash.fill(0);
      expect(s.audit.get(1)?.hash).toEqual(row(1).hash);
    });

    it('stores checkpoints in seq order; refuses a second one at a seq', () => {
      expect(s.audit.lastCheckpoint()).toBeUndefined();
      expect(s.audit.lastCheckpointSeq()).toBe(0);
      expect(s.audit.checkpoints()).toEqual([]);
      const cp = (seq: number): AuditCheckpointRecord => ({ seq, hash: row(seq).hash, alg: 'ML-DSA-65', keyVersion: 1, signature: Uint8Array.from([5, seq]), time: seq });
      s.audit.insertCheckpoint(cp(2000));
      s.audit.insertCheckpoint(cp(1000));
      expectConstraint(() => s.audit.insertCheckpoint(cp(2000)));
      expectConstraint(() => s.audit.insertCheckpoint({ ...cp(3000), hash: new Uint8Array(31) }));
      expectConstraint(() => s.audit.insertCheckpoint({ ...cp(3000), keyVersion: 0 }));
      expect(s.audit.checkpoints()).toEqual([cp(1000), cp(2000)]);
      expect(s.audit.lastCheckpoint()).toEqual(cp(2000));
      expect(s.audit.lastCheckpointSeq()).toBe(2000);
    });

    it('entries() yields every row in seq order across page boundaries, from any seq', () => {
      const n = 2050;
      s.transaction(() => {
        for (let i = 1; i <= n; i++) s.audit.append(row(i, { hash: zero }));
      });
      const seqs = [...s.audit.entries()].map((r) => r.seq);
      expect(seqs).toHaveLength(n);
      expect(seqs.every((v, i) => v === i + 1)).toBe(true);
      expect([...s.audit.entries(1024)].map((r) => r.seq).slice(0, 2)).toEqual([1024, 1025]);
      expect([...s.audit.entries(n)].map((r) => r.seq)).toEqual([n]);
      expect([...s.audit.entries(n + 1)]).toEqual([]);
      expect(s.audit.get(1500)).toEqual(row(1500, { hash: zero }));
    });

    it('entries() orders rows by seq whatever the append order, and allows appends during the scan', () => {
      for (const seq of [3, 1, 2]) s.audit.append(row(seq));
      expect([...s.audit.entries()].map((r) => r.seq)).toEqual([1, 2, 3]);
      expect(s.audit.last()?.seq).toBe(3);
      let appended = false;
      const seen: number[] = [];
      for (const r of s.audit.entries()) {
        seen.push(r.seq);
        if (!appended) {
          s.audit.append(row(10));
          appended = true;
        }
      }
      expect(seen.slice(0, 3)).toEqual([1, 2, 3]);
      expect(s.audit.count()).toBe(4);
    });
    it('page() pages by seq both ways and filters by path prefix and time', () => {
      const paths = ['/v1/secrets/a', '/v1/sys/seal', undefined, '/v1/secrets/b%_', '/v1/secrets/a/x'];
      paths.forEach((p, i) => s.audit.append(row(i + 1, { entry: JSON.stringify(p === undefined ? { seq: i + 1 } : { path: p, seq: i + 1 }) })));
      const seqs = (rows: { seq: number }[]): number[] => rows.map((r) => r.seq);
      expect(s.audit.page({ limit: 2, order: 'asc' })).toEqual([row(1, { entry: s.audit.get(1)?.entry ?? '' }), row(2, { entry: s.audit.get(2)?.entry ?? '' })]);
      expect(seqs(s.audit.page({ after: 2, limit: 10, order: 'asc' }))).toEqual([3, 4, 5]);
      expect(seqs(s.audit.page({ after: 5, limit: 10, order: 'asc' }))).toEqual([]);
      expect(seqs(s.audit.page({ limit: 2, order: 'desc' }))).toEqual([5, 4]);
      expect(seqs(s.audit.page({ after: 4, limit: 10, order: 'desc' }))).toEqual([3, 2, 1]);
      expect(seqs(s.audit.page({ after: 1, limit: 10, order: 'desc' }))).toEqual([]);
      expect(seqs(s.audit.page({ limit: 10, order: 'asc', pathPrefix: '/v1/secrets/a' }))).toEqual([1, 5]);
      expect(seqs(s.audit.page({ limit: 10, order: 'desc', pathPrefix: '/v1/secrets/' }))).toEqual([5, 4, 1]);
      // `%` and `_` are ordinary characters, not wildcards.
      expect(seqs(s.audit.page({ limit: 10, order: 'asc', pathPrefix: '/v1/secrets/b%_' }))).toEqual([4]);
      expect(seqs(s.audit.page({ limit: 10, order: 'asc', pathPrefix: '/v1/secrets/_' }))).toEqual([]);
      expect(seqs(s.audit.page({ limit: 10, order: 'asc', since: row(3).time }))).toEqual([3, 4, 5]);
      expect(seqs(s.audit.page({ limit: 1, order: 'asc', since: row(3).time, pathPrefix: '/v1/secrets/' }))).toEqual([4]);
      expect(seqs(s.audit.page({ after: 4, limit: 1, order: 'asc', since: row(3).time, pathPrefix: '/v1/secrets/' }))).toEqual([5]);
    });

    it('a path prefix next to the largest code points and a since after every entry', () => {
      const paths = ['/a\u{10FFFF}', '/a\u{10FFFF}x', '/b', '/a\uFFFF'];
      paths.forEach((p, i) => s.audit.append(row(i + 1, { entry: JSON.stringify({ path: p, seq: i + 1 }) })));
      const seqs = (rows: { seq: number }[]): number[] => rows.map((r) => r.seq);
      expect(seqs(s.audit.page({ limit: 10, order: 'asc', pathPrefix: '/a\u{10FFFF}' }))).toEqual([1, 2]);
      expect(seqs(s.audit.page({ limit: 10, order: 'asc', pathPrefix: '/a' }))).toEqual([1, 2, 4]);
      expect(seqs(s.audit.page({ limit: 10, order: 'asc', since: row(9).time }))).toEqual([]);
    });

    it('prune records the boundary, removes rows at or below it, and head and lastCheckpointSeq start from it', () => {
      for (let i = 1; i <= 5; i++) s.audit.append(row(i));
      const cp = (seq: number): AuditCheckpointRecord => ({ seq, hash: row(seq).hash, alg: 'ML-DSA-65', keyVersion: 1, signature: Uint8Array.from([5, seq]), time: seq });
      s.audit.insertCheckpoint(cp(3));
      s.audit.insertCheckpoint(cp(5));
      expect(s.audit.bytesAfter(0)).toBeGreaterThan(s.audit.bytesAfter(3));
      expect(s.audit.bytesAfter(5)).toBe(0);
      expect(s.audit.archives()).toEqual([]);
      // Not contiguous with the (empty) history, or ending before it starts: refused, nothing changed.
      expectConstraint(() => s.audit.prune({ firstSeq: 2, checkpoint: cp(3), archivedAt: 7 }));
      expectConstraint(() => s.audit.prune({ firstSeq: 1, checkpoint: { ...cp(3), seq: 0 }, archivedAt: 7 }));
      expect(s.audit.count()).toBe(5);
      // A rolled-back prune leaves everything as it was.
      expect(() =>
        s.transaction(() => {
          expect(s.audit.prune({ firstSeq: 1, checkpoint: cp(3), archivedAt: 7 })).toBe(3);
          throw new Error('roll back');
        }),
      ).toThrow('roll back');
      expect([s.audit.count(), s.audit.archives().length, s.audit.checkpoints().length]).toEqual([5, 0, 2]);

      expect(s.audit.prune({ firstSeq: 1, checkpoint: cp(3), archivedAt: 7 })).toBe(3);
      expect([...s.audit.entries()].map((r) => r.seq)).toEqual([4, 5]);
      expect(s.audit.checkpoints()).toEqual([cp(5)]);
      expect(s.audit.archives()).toEqual([{ firstSeq: 1, checkpoint: cp(3), archivedAt: 7 }]);
      expectConstraint(() => s.audit.prune({ firstSeq: 1, checkpoint: cp(5), archivedAt: 8 }));
      expect(s.audit.prune({ firstSeq: 4, checkpoint: cp(5), archivedAt: 8 })).toBe(2);
      // Every entry archived: the head is the boundary, and the next append continues after it.
      expect(s.audit.count()).toBe(0);
      expect(s.audit.head()).toEqual({ seq: 5, hash: row(5).hash });
      expect(s.audit.lastCheckpointSeq()).toBe(5);
      s.audit.append(row(6));
      expect(s.audit.head()).toEqual({ seq: 6, hash: row(6).hash });
      expect(s.audit.archives().map((a) => [a.firstSeq, a.checkpoint.seq])).toEqual([
        [1, 3],
        [4, 5],
      ]);
    });
  });
}

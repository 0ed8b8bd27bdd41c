/**
 * SecretStore cases: metadata and version rows, the joined read, soft delete, destroy,
 * pruning, path listing by key range with keyset paging, the stale-row scan and the
 * compare-and-swap envelope replacement that rewrap relies on, and constraint refusals.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Storage } from '../../../src/storage/types.js';
import { expectCode, expectConstraint, secretMeta as meta, secretVersion as row, thrown } from './fixtures.js';

export function secretsConformance(open: () => Storage): void {
  describe('secrets', () => {
    let s: Storage;
    beforeEach(() => {
      s = open();
    });
    afterEach(() => s.close());

    it('stores metadata and versions and reads them back', () => {
      s.secrets.putMeta({ ...meta('a/b', 2), casRequired: true, customMetadata: '{"o":"x"}' });
      s.secrets.insertVersion(row('a/b', 1));
      s.secrets.insertVersion(row('a/b', 2, { kind: 'binary', kemVersion: 3 }));
      expect(s.secrets.getMeta('a/b')).toEqual({ ...meta('a/b', 2), casRequired: true, customMetadata: '{"o":"x"}' });
      expect(s.secrets.getVersion('a/b', 2)).toEqual(row('a/b', 2, { kind: 'binary', kemVersion: 3 }));
      expect(s.secrets.listVersions('a/b')).toEqual([
        { path: 'a/b', version: 1, kind: 'data', kemVersion: 1, createdAt: 11, deletedAt: null, destroyed: false },
        { path: 'a/b', version: 2, kind: 'binary', kemVersion: 3, createdAt: 12, deletedAt: null, destroyed: false },
      ]);
      expect(s.secrets.getVersion('a/b', 3)).toBeUndefined();
      expect(s.secrets.getMeta('nope')).toBeUndefined();
      expect(s.secrets.listVersions('nope')).toEqual([]);
    });

    it('changeMark moves on every write method (also one rolled back) and stays put on reads', () => {
      const moves = (what: string, fn: () => unknown): void => {
        const before = s.secrets.changeMark();
        try {
          fn();
        } catch {
          // A refused or rolled-back write may still have moved the mark; it must not stay behind.
        }
        expect(s.secrets.changeMark(), what).not.toBe(before);
      };
      moves('putMeta', () => s.secrets.putMeta(meta('m', 1)));
      moves('insertVersion', () => s.secrets.insertVersion(row('m', 1)));
      const env = s.secrets.getVersion('m', 1)?.envelope as Uint8Array;
      moves('replaceEnvelope', () => s.secrets.replaceEnvelope('m', 1, env, Uint8Array.of(9, 9), 2));
      moves('setDeleted', () => s.secrets.setDeleted('m', 1, 5));
      moves('pruneBelow', () => s.secrets.pruneBelow('m', 1));
      moves('destroyVersion', () => s.secrets.destroyVersion('m', 1));
      moves('deleteMeta', () => s.secrets.deleteMeta('m'));
      moves('rolled back', () =>
        s.transaction(() => {
          s.secrets.putMeta(meta('r', 1));
          throw new Error('roll back');
        }),
      );
      expect(s.secrets.getMeta('r')).toBeUndefined();
      const still = s.secrets.changeMark();
      s.secrets.getMeta('m');
      s.secrets.readVersion('m');
      s.secrets.listVersions('m');
      s.secrets.listPaths({ from: '', to: '\u007f' }, undefined, 10);
      expect(s.secrets.changeMark()).toBe(still);
    });

    it('putMeta replaces every field of existing metadata and keeps the versions', () => {
      s.secrets.putMeta(meta('p', 1));
      s.secrets.insertVersion(row('p', 1));
      const next = { ...meta('p', 5), maxVersions: 3, casRequired: true, customMetadata: '{"a":"b"}', createdAt: 7, updatedAt: 8 };
      s.secrets.putMeta(next);
      expect(s.secrets.getMeta('p')).toEqual(next);
      expect(s.secrets.getVersion('p', 1)).toEqual(row('p', 1));
    });

    it('readVersion: current version and the row (default the current one), matching getMeta + getVersion', () => {
      expect(s.secrets.readVersion('a/b')).toBeUndefined();
      s.secrets.putMeta(meta('a/b', 0));
      // Metadata without versions (written by a metadata PUT): current 0, no row.
      expect(s.secrets.readVersion('a/b')).toEqual({ currentVersion: 0, row: undefined });
      s.secrets.putMeta(meta('a/b', 3));
      for (const v of [1, 2, 3]) s.secrets.insertVersion(row('a/b', v, v === 2 ? { kind: 'binary', deletedAt: 7 } : {}));
      s.secrets.destroyVersion('a/b', 1);
      expect(s.secrets.readVersion('a/b')).toEqual({ currentVersion: 3, row: s.secrets.getVersion('a/b', 3) });
      expect(s.secrets.readVersion('a/b', 2)).toEqual({ currentVersion: 3, row: row('a/b', 2, { kind: 'binary', deletedAt: 7 }) });
      expect(s.secrets.readVersion('a/b', 1)).toEqual({ currentVersion: 3, row: { ...row('a/b', 1), envelope: null, destroyed: true } });
      expect(s.secrets.readVersion('a/b', 4)).toEqual({ currentVersion: 3, row: undefined });
      // Another path's rows never leak in.
      s.secrets.putMeta(meta('a/c', 1));
      expect(s.secrets.readVersion('a/c')).toEqual({ currentVersion: 1, row: undefined });
      expect(s.secrets.readVersion('a/c', 3)).toEqual({ currentVersion: 1, row: undefined });
    });

    it('soft-deletes, destroys (envelope gone) and prunes', () => {
      s.secrets.putMeta(meta('p', 3));
      for (const v of [1, 2, 3]) s.secrets.insertVersion(row('p', v));
      expect(s.secrets.setDeleted('p', 2, 99)).toBe(true);
      expect(s.secrets.getVersion('p', 2)?.deletedAt).toBe(99);
      expect(s.secrets.setDeleted('p', 9, 99)).toBe(false);
      expect(s.secrets.destroyVersion('p', 2)).toBe(true);
      expect(s.secrets.destroyVersion('p', 2)).toBe(false);
      expect(s.secrets.destroyVersion('p', 9)).toBe(false);
      expect(s.secrets.getVersion('p', 2)).toMatchObject({ envelope: null, destroyed: true, deletedAt: 99 });
      expect(s.secrets.setDeleted('p', 2, null)).toBe(false);
      expect(s.secrets.setDeleted('p', 3, 5)).toBe(true);
      expect(s.secrets.setDeleted('p', 3, null)).toBe(true);
      expect(s.secrets.getVersion('p', 3)?.deletedAt).toBeNull();
      expect(s.secrets.pruneBelow('p', 3)).toBe(2);
      expect(s.secrets.pruneBelow('p', 3)).toBe(0);
      expect(s.secrets.listVersions('p').map((r) => r.version)).toEqual([3]);
      expect(s.transaction(() => s.secrets.deleteMeta('p'))).toBe(true);
      expect(s.secrets.deleteMeta('p')).toBe(false);
      expect(s.secrets.getMeta('p')).toBeUndefined();
      expect(s.secrets.listVersions('p')).toEqual([]);
      // The path can be written afresh; no old version comes back.
      s.secrets.putMeta(meta('p', 0));
      expect(s.secrets.getVersion('p', 3)).toBeUndefined();
    });

    it('a rolled-back deleteMeta keeps the metadata and every version', () => {
      s.secrets.putMeta(meta('p', 2));
      for (const v of [1, 2]) s.secrets.insertVersion(row('p', v));
      expect(() =>
        s.transaction(() => {
          s.secrets.deleteMeta('p');
          throw new Error('abort');
        }),
      ).toThrow('abort');
      expect(s.secrets.getMeta('p')).toEqual(meta('p', 2));
      expect(s.secrets.listVersions('p').map((r) => r.version)).toEqual([1, 2]);
      expect(s.secrets.listPaths({ from: '', to: '\u007f' }, undefined, 10)).toEqual(['p']);
    });

    it('lists paths in a range with keyset paging', () => {
      for (const p of ['app', 'app/a', 'app/b', 'app/c/d', 'apple', 'b']) s.secrets.putMeta(meta(p));
      const range = { from: 'app/', to: 'app0', exact: 'app' };
      expect(s.secrets.listPaths(range, undefined, 2)).toEqual(['app', 'app/a']);
      expect(s.secrets.listPaths(range, 'app/a', 10)).toEqual(['app/b', 'app/c/d']);
      expect(s.secrets.listPaths(range, 'app/c/d', 10)).toEqual([]);
      expect(s.secrets.listPaths({ from: 'app/', to: 'app0' }, undefined, 10)).toEqual(['app/a', 'app/b', 'app/c/d']);
      expect(s.secrets.listPaths({ from: '', to: '\u007f' }, undefined, 100)).toEqual(['app', 'app/a', 'app/b', 'app/c/d', 'apple', 'b']);
      expectCode(thrown(() => s.secrets.listPaths(range, undefined, 0)), 'OV_INVALID_ARGUMENT');
    });

    it('orders paths by code point (UTF-8 byte order), including characters outside the BMP', () => {
      const paths = ['x/\u{1F600}', 'x/\uFB01', 'x/z', 'x/\u00e9'];
      for (const p of paths) s.secrets.putMeta(meta(p));
      expect(s.secrets.listPaths({ from: 'x/', to: 'x0' }, undefined, 10)).toEqual(['x/z', 'x/\u00e9', 'x/\uFB01', 'x/\u{1F600}']);
      expect(s.secrets.listPaths({ from: 'x/', to: 'x0' }, 'x/\uFB01', 10)).toEqual(['x/\u{1F600}']);
    });

    it('scans stale rows by keyset and replaces an envelope only if unchanged', () => {
      s.secrets.putMeta(meta('x', 3));
      s.secrets.putMeta(meta('y', 1));
      for (const v of [1, 2, 3]) s.secrets.insertVersion(row('x', v, { kemVersion: v === 3 ? 2 : 1 }));
      s.secrets.insertVersion(row('y', 1));
      s.secrets.destroyVersion('x', 2);
      expect(s.secrets.countStale(2)).toBe(2);
      expect(s.secrets.countStale(1)).toBe(0);
      const first = s.secrets.staleVersions(2, undefined, 1);
      expect(first).toEqual([row('x', 1)]);
      expect(s.secrets.staleVersions(2, { path: 'x', version: 1 }, 10).map((r) => [r.path, r.version])).toEqual([['y', 1]]);
      expect(s.secrets.staleVersions(3, undefined, 10).map((r) => [r.path, r.version])).toEqual([
        ['x', 1],
        ['x', 3],
        ['y', 1],
      ]);
      expectCode(thrown(() => s.secrets.staleVersions(2, undefined, 0)), 'OV_INVALID_ARGUMENT');
      expect(s.secrets.replaceEnvelope('x', 1, Uint8Array.of(9), Uint8Array.of(7), 2)).toBe(false);
      expect(s.secrets.replaceEnvelope('x', 1, row('x', 1).envelope as Uint8Array, Uint8Array.of(7), 2)).toBe(true);
      expect(s.secrets.getVersion('x', 1)).toMatchObject({ envelope: Uint8Array.of(7), kemVersion: 2 });
      expect(s.secrets.replaceEnvelope('x', 2, Uint8Array.of(2, 1, 2), Uint8Array.of(7), 2)).toBe(false);
      expect(s.secrets.replaceEnvelope('x', 9, Uint8Array.of(9, 1, 2), Uint8Array.of(7), 2)).toBe(false);
      expect(s.secrets.countStale(2)).toBe(1);
    });

    it('refuses rows the schema forbids, changing nothing', () => {
      expectConstraint(() => s.secrets.insertVersion(row('nometa', 1)));
      s.secrets.putMeta(meta('m', 1));
      s.secrets.insertVersion(row('m', 1));
      expectConstraint(() => s.secrets.insertVersion(row('m', 1)));
      expectConstraint(() => s.secrets.insertVersion(row('m', 2, { envelope: null })));
      expectConstraint(() => s.secrets.insertVersion(row('m', 2, { destroyed: true })));
      expectConstraint(() => s.secrets.insertVersion(row('m', 3, { kemVersion: 0 })));
      expectConstraint(() => s.secrets.insertVersion(row('m', 0)));
      expectConstraint(() => s.secrets.insertVersion(row('m', 4, { kind: 'text' as 'data' })));
      expectConstraint(() => s.secrets.putMeta({ ...meta('m'), maxVersions: 1001 }));
      expectConstraint(() => s.secrets.putMeta({ ...meta('m'), maxVersions: -1 }));
      expectConstraint(() => s.secrets.putMeta({ ...meta('m'), customMetadata: 'not json' }));
      expectConstraint(() => s.secrets.putMeta({ ...meta('m'), currentVersion: -1 }));
      expectConstraint(() => s.secrets.putMeta(meta('')));
      expectConstraint(() => s.secrets.putMeta(meta('p'.repeat(513))));
      expectConstraint(() => s.secrets.replaceEnvelope('m', 1, row('m', 1).envelope as Uint8Array, Uint8Array.of(1), 0));
      expect(s.secrets.listVersions('m').map((r) => r.version)).toEqual([1]);
      expect(s.secrets.getMeta('m')).toEqual(meta('m', 1));
      expect(s.secrets.getVersion('m', 1)).toEqual(row('m', 1));
      // 512 characters is the limit, counted in characters, not UTF-16 units.
      s.secrets.putMeta(meta('\u{1F600}'.repeat(512)));
      expect(s.secrets.getMeta('\u{1F600}'.repeat(512))?.path).toHaveLength(1024);
    });
  });
}

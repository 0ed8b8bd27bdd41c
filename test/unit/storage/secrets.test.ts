/**
 * SqliteSecretStore: metadata and version rows, the joined read of the read path, soft delete, destroy (envelope NULL),
 * pruning, path listing by key range with keyset paging, the stale-row scan and the
 * compare-and-swap envelope replacement that rewrap relies on, and constraint refusals.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isVaultError } from '../../../src/errors.js';
import { openStorage, type SqliteStorageHandle } from '../../../src/storage/sqlite.js';
import type { SecretVersionRecord } from '../../../src/storage/secrets-types.js';
import { sqliteLoads, thrown } from './helpers.js';

const meta = (path: string, currentVersion = 0) => ({ path, maxVersions: 0, casRequired: false, customMetadata: '{}', currentVersion, createdAt: 1, updatedAt: 2 });
const row = (path: string, version: number, over: Partial<SecretVersionRecord> = {}): SecretVersionRecord => ({
  path,
  version,
  kind: 'data',
  envelope: Uint8Array.of(version, 1, 2),
  kemVersion: 1,
  createdAt: 10 + version,
  deletedAt: null,
  destroyed: false,
  ...over,
});

describe.runIf(sqliteLoads)('SqliteSecretStore', () => {
  let s: SqliteStorageHandle;
  beforeEach(() => {
    s = openStorage(':memory:');
  });
  afterEach(() => s.close());

  it('stores metadata and versions and reads them back', () => {
    s.secrets.putMeta({ ...meta('a/b', 2), casRequired: true, customMetadata: '{"o":"x"}' });
    s.secrets.insertVersion(row('a/b', 1));
    s.secrets.insertVersion(row('a/b', 2, { kind: 'binary', kemVersion: 3 }));
    expect(s.secrets.getMeta('a/b')).toEqual({ ...meta('a/b', 2), casRequired: true, customMetadata: '{"o":"x"}' });
    expect(s.secrets.getVersion('a/b', 2)).toEqual(row('a/b', 2, { kind: 'binary', kemVersion: 3 }));
    expect(s.secrets.listVersions('a/b').map((r) => [r.version, r.kind, r.kemVersion])).toEqual([
      [1, 'data', 1],
      [2, 'binary', 3],
    ]);
    expect(s.secrets.getVersion('a/b', 3)).toBeUndefined();
  });

  it('readVersion: current version and the row in one query (default the current one), matching getMeta + getVersion', () => {
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

  it('soft-deletes, destroys (envelope NULL) and prunes', () => {
    s.secrets.putMeta(meta('p', 3));
    for (const v of [1, 2, 3]) s.secrets.insertVersion(row('p', v));
    expect(s.secrets.setDeleted('p', 2, 99)).toBe(true);
    expect(s.secrets.getVersion('p', 2)?.deletedAt).toBe(99);
    expect(s.secrets.destroyVersion('p', 2)).toBe(true);
    expect(s.secrets.destroyVersion('p', 2)).toBe(false);
    expect(s.secrets.getVersion('p', 2)).toMatchObject({ envelope: null, destroyed: true });
    expect(s.secrets.setDeleted('p', 2, null)).toBe(false);
    expect(s.secrets.pruneBelow('p', 3)).toBe(2);
    expect(s.secrets.listVersions('p').map((r) => r.version)).toEqual([3]);
    expect(s.transaction(() => s.secrets.deleteMeta('p'))).toBe(true);
    expect(s.secrets.getMeta('p')).toBeUndefined();
    expect(s.secrets.listVersions('p')).toEqual([]);
  });

  it('lists paths in a range with keyset paging', () => {
    for (const p of ['app', 'app/a', 'app/b', 'app/c/d', 'apple', 'b']) s.secrets.putMeta(meta(p));
    const range = { from: 'app/', to: 'app0', exact: 'app' };
    expect(s.secrets.listPaths(range, undefined, 2)).toEqual(['app', 'app/a']);
    expect(s.secrets.listPaths(range, 'app/a', 10)).toEqual(['app/b', 'app/c/d']);
    expect(s.secrets.listPaths({ from: '', to: '\u007f' }, undefined, 100)).toHaveLength(6);
    expect(isVaultError(thrown(() => s.secrets.listPaths(range, undefined, 0)), 'OV_INVALID_ARGUMENT')).toBe(true);
  });

  it('scans stale rows by keyset and replaces an envelope only if unchanged', () => {
    s.secrets.putMeta(meta('x', 3));
    s.secrets.putMeta(meta('y', 1));
    for (const v of [1, 2, 3]) s.secrets.insertVersion(row('x', v, { kemVersion: v === 3 ? 2 : 1 }));
    s.secrets.insertVersion(row('y', 1));
    s.secrets.destroyVersion('x', 2);
    expect(s.secrets.countStale(2)).toBe(2);
    const first = s.secrets.staleVersions(2, undefined, 1);
    expect(first.map((r) => [r.path, r.version])).toEqual([['x', 1]]);
    expect(s.secrets.staleVersions(2, { path: 'x', version: 1 }, 10).map((r) => [r.path, r.version])).toEqual([['y', 1]]);
    expect(s.secrets.replaceEnvelope('x', 1, Uint8Array.of(9), Uint8Array.of(7), 2)).toBe(false);
    expect(s.secrets.replaceEnvelope('x', 1, row('x', 1).envelope as Uint8Array, Uint8Array.of(7), 2)).toBe(true);
    expect(s.secrets.getVersion('x', 1)).toMatchObject({ envelope: Uint8Array.of(7), kemVersion: 2 });
    expect(s.secrets.replaceEnvelope('x', 2, Uint8Array.of(2, 1, 2), Uint8Array.of(7), 2)).toBe(false);
    expect(s.secrets.countStale(2)).toBe(1);
  });

  it('refuses rows the schema forbids, changing nothing', () => {
    const c = (fn: () => void) => (thrown(fn) as { code?: string }).code;
    expect(c(() => s.secrets.insertVersion(row('nometa', 1)))).toBe('OV_STORAGE_CONSTRAINT');
    s.secrets.putMeta(meta('m', 1));
    s.secrets.insertVersion(row('m', 1));
    expect(c(() => s.secrets.insertVersion(row('m', 1)))).toBe('OV_STORAGE_CONSTRAINT');
    expect(c(() => s.secrets.insertVersion(row('m', 2, { envelope: null })))).toBe('OV_STORAGE_CONSTRAINT');
    expect(c(() => s.secrets.insertVersion(row('m', 3, { kemVersion: 0 })))).toBe('OV_STORAGE_CONSTRAINT');
    expect(c(() => s.secrets.putMeta({ ...meta('m'), maxVersions: 1001 }))).toBe('OV_STORAGE_CONSTRAINT');
    expect(c(() => s.secrets.putMeta({ ...meta('m'), customMetadata: 'not json' }))).toBe('OV_STORAGE_CONSTRAINT');
    expect(s.secrets.listVersions('m').map((r) => r.version)).toEqual([1]);
    expect(s.secrets.getMeta('m')).toEqual(meta('m', 1));
  });
});

/**
 * Storage durability modes (src/storage/sqlite/wal-sync.ts, docs/adr/0005-audit-chain.md amendment)
 * on real files: 'full' keeps synchronous=FULL and its syncs are no-ops; 'async-sync' runs
 * synchronous=NORMAL and `syncAsync` fdatasyncs the WAL with at most one flush in flight,
 * callers arriving meanwhile sharing the next one (counted by the storage itself); a row
 * committed before a sync is readable by a second connection once it resolves; the WAL is
 * reset and truncated in place (same inode), so the descriptor kept open stays right;
 * bad options and use after close are refused with their codes.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { openRawDb } from '../../helpers/raw-sqlite.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VaultError } from '../../../src/errors.js';
import { openStorage, type SqliteStorageHandle } from '../../../src/storage/sqlite.js';
import type { OpenStorageOptions } from '../../../src/storage/types.js';
import { tempDir, thrown } from './helpers.js';

const enc = (v: string): Uint8Array => new TextEncoder().encode(v);

function code(e: unknown): string | undefined {
  return e instanceof VaultError ? e.code : undefined;
}

/** Reads a meta value through a separate connection, as another process would. */
function readElsewhere(file: string, key: string): string | undefined {
  const db = openRawDb(file, { readonly: true });
  try {
    const v = db.prepare<[string], Uint8Array>('SELECT value FROM meta WHERE name = ?').pluck().get(key);
    return v === undefined ? undefined : Buffer.from(v).toString('utf8');
  } finally {
    db.close();
  }
}

describe('storage durability modes', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;
  const open: SqliteStorageHandle[] = [];
  const openAt = (opts?: OpenStorageOptions): SqliteStorageHandle => {
    const s = openStorage(file, opts);
    open.push(s);
    return s;
  };

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    file = join(dir, 'vault.db');
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
    cleanup();
  });

  it("'full' is the default: synchronous=FULL, and sync / syncAsync flush nothing", async () => {
    const s = openAt();
    expect(s.settings().synchronous).toBe('full');
    s.meta.put('k', enc('v'));
    s.sync();
    await s.syncAsync();
    expect(s.datasyncs).toBe(0);
    expect(openAt({ durability: 'full' }).settings().synchronous).toBe('full');
  });

  it("'async-sync' runs synchronous=NORMAL; after syncAsync resolves a second connection reads the committed row", async () => {
    const s = openAt({ durability: 'async-sync' });
    expect(s.settings()).toMatchObject({ journalMode: 'wal', synchronous: 'normal' });
    s.meta.put('answer', enc('42'));
    await s.syncAsync();
    expect(s.datasyncs).toBe(1);
    expect(readElsewhere(file, 'answer')).toBe('42');
    s.meta.put('answer', enc('43'));
    s.sync();
    expect(s.datasyncs).toBe(2);
    expect(readElsewhere(file, 'answer')).toBe('43');
  });

  it('coalesces: one flush in flight, every caller arriving meanwhile shares the next one', async () => {
    const s = openAt({ durability: 'async-sync' });
    s.meta.put('a', enc('1'));
    const first = s.syncAsync();
    // These arrive while the first flush runs (its callback needs the event loop): one more flush for all of them.
    const waiting = Array.from({ length: 9 }, (_, i) => {
      s.meta.put(`w${i}`, enc(String(i)));
      return s.syncAsync();
    });
    expect(s.datasyncs).toBe(1);
    // The nine share one promise: the same flush.
    expect(new Set(waiting).size).toBe(1);
    expect(waiting[0]).not.toBe(first);
    await Promise.all([first, ...waiting]);
    expect(s.datasyncs).toBe(2);
    for (let i = 0; i < 9; i++) expect(readElsewhere(file, `w${i}`)).toBe(String(i));
    // Idle again: the next caller starts its own flush at once.
    const later = s.syncAsync();
    expect(s.datasyncs).toBe(3);
    await later;
  });

  it('keeps flushing the same WAL file after checkpoints reset and truncate it in place', async () => {
    const s = openAt({ durability: 'async-sync' });
    s.meta.put('x', enc('0'));
    await s.syncAsync();
    const wal = `${file}-wal`;
    const inode = statSync(wal).ino;
    // Enough pages to pass the 1000-page automatic checkpoint, then a truncating one.
    const big = 'x'.repeat(4000);
    for (let i = 0; i < 1500; i++) s.meta.put(`big${i % 50}`, enc(`${big}${i}`));
    const other = openRawDb(file);
    try {
      other.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      other.close();
    }
    expect(statSync(wal).ino).toBe(inode);
    s.meta.put('x', enc('after'));
    await s.syncAsync();
    expect(statSync(wal).ino).toBe(inode);
    expect(readElsewhere(file, 'x')).toBe('after');
  });

  it('flushes nothing for in-memory and read-only storage', async () => {
    const mem = openStorage(':memory:', { durability: 'async-sync' });
    open.push(mem);
    mem.meta.put('k', enc('v'));
    await mem.syncAsync();
    mem.sync();
    expect(mem.datasyncs).toBe(0);
    openAt().meta.put('k', enc('v'));
    const ro = openAt({ readonly: true, durability: 'async-sync' });
    await ro.syncAsync();
    expect(ro.datasyncs).toBe(0);
  });

  it('refuses an unknown durability with OV_INVALID_ARGUMENT and creates nothing', () => {
    expect(code(thrown(() => openStorage(file, { durability: 'none' as 'full' })))).toBe('OV_INVALID_ARGUMENT');
    expect(() => statSync(file)).toThrow();
  });

  it('refuses syncs after close with OV_IO', async () => {
    const s = openStorage(file, { durability: 'async-sync' });
    s.meta.put('k', enc('v'));
    const pending = s.syncAsync();
    s.close();
    // The flush already in flight completes (its descriptor is closed afterwards).
    await pending;
    expect(code(thrown(() => s.sync()))).toBe('OV_IO');
    expect(code(await s.syncAsync().then(() => undefined, (e: unknown) => e))).toBe('OV_IO');
    expect(readElsewhere(file, 'k')).toBe('v');
  });
});

/**
 * The row copies between SQLite and PostgreSQL (src/storage/postgres/copy.ts) on real
 * databases: a SQLite vault copied into PostgreSQL compares equal row by row, a changed
 * or missing row on either side is found, and a snapshot of the PostgreSQL vault is a
 * SQLite file holding the same rows (the audit chain of the node's schema only).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openPostgresStorage } from '../../../src/storage/postgres/index.js';
import { compareSqliteWithPg, copySqliteToPg, snapshotToSqlite, VAULT_TABLES } from '../../../src/storage/postgres/copy.js';
import { WRITE_LOCK } from '../../../src/storage/postgres/db.js';
import { openDatabase } from '../../../src/storage/sqlite/open.js';
import { openStorage } from '../../../src/storage/sqlite/index.js';
import { freshDatabaseSync } from '../../helpers/pg.js';
import { apiKey, digest, session, tempDir } from './helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** A SQLite vault with rows in the tables the copy must carry, including bytes and NULLs. */
function sqliteVault(name: string): string {
  const path = join(tmp.dir, name);
  const s = openStorage(path);
  try {
    s.meta.put('seal', Uint8Array.of(0, 1, 2, 255));
    s.meta.put('empty', new Uint8Array(0));
    const k = apiKey({ id: 'k1' });
    s.apiKeys.insert(k);
    s.sessions.insert(session(1, { apiKeyId: 'k1' }));
    for (let i = 1; i <= 3; i++) s.audit.append({ seq: i, time: 1000 + i, entry: `{"seq":${i},"p":"é ✓"}`, hash: digest(i) });
  } finally {
    s.close();
  }
  return path;
}

describe('copySqliteToPg and compareSqliteWithPg', () => {
  it('copies every table and finds the copy equal, then finds a changed row', () => {
    const src = openDatabase(sqliteVault('a.db'), { readonly: true });
    const dest = openPostgresStorage({ url: freshDatabaseSync(), node: 'n1' });
    try {
      const counts = copySqliteToPg(src.db, dest.pg, WRITE_LOCK);
      expect(counts.map((c) => c.table)).toEqual(VAULT_TABLES);
      expect(Object.fromEntries(counts.map((c) => [c.table, c.rows]))).toMatchObject({ meta: 2, api_keys: 1, sessions: 1, audit_log: 3 });
      expect(dest.meta.get('seal')).toEqual(Uint8Array.of(0, 1, 2, 255));
      expect(dest.meta.get('empty')).toEqual(new Uint8Array(0));
      expect(dest.audit.head()).toEqual({ seq: 3, hash: digest(3) });
      const same = compareSqliteWithPg(src.db, dest.pg);
      expect(same.filter((c) => c.firstDifference !== undefined || c.source !== c.target)).toEqual([]);

      dest.meta.put('seal', Uint8Array.of(0, 1, 2, 254));
      dest.meta.put('zzz', Uint8Array.of(1));
      const changed = compareSqliteWithPg(src.db, dest.pg);
      expect(changed.find((c) => c.table === 'meta')).toEqual({ table: 'meta', source: 2, target: 3, firstDifference: 1 });
      expect(changed.filter((c) => c.table !== 'meta').every((c) => c.firstDifference === undefined)).toBe(true);
    } finally {
      src.db.close();
      dest.close();
    }
  });

  it('rolls the whole copy back when a row is refused (a target that is not empty)', () => {
    const src = openDatabase(sqliteVault('b.db'), { readonly: true });
    const dest = openPostgresStorage({ url: freshDatabaseSync(), node: 'n1' });
    try {
      dest.audit.append({ seq: 2, time: 1, entry: '{}', hash: digest(9) });
      expect(() => copySqliteToPg(src.db, dest.pg, WRITE_LOCK)).toThrow();
      expect(dest.meta.get('seal')).toBeUndefined();
      expect(dest.apiKeys.list()).toEqual([]);
      expect(dest.audit.head()).toEqual({ seq: 2, hash: digest(9) });
    } finally {
      src.db.close();
      dest.close();
    }
  });
});

describe('snapshotToSqlite', () => {
  it("writes the vault's rows and this node's chain into a new SQLite file", () => {
    const src = openDatabase(sqliteVault('c.db'), { readonly: true });
    const url = freshDatabaseSync();
    const dest = openPostgresStorage({ url, node: 'n1' });
    const other = openPostgresStorage({ url, node: 'n2' });
    try {
      copySqliteToPg(src.db, dest.pg, WRITE_LOCK);
      other.audit.append({ seq: 1, time: 5, entry: '{"other":true}', hash: digest(7) });
      const into = join(tmp.dir, 'snap.db');
      expect(snapshotToSqlite(dest.pg, into)).toEqual({ schemaVersion: dest.schemaVersion, auditSeq: 3 });
      const copy = openDatabase(into, { readonly: true });
      try {
        expect(compareSqliteWithPg(copy.db, dest.pg).filter((c) => c.firstDifference !== undefined)).toEqual([]);
        expect(compareSqliteWithPg(copy.db, other.pg).find((c) => c.table === 'audit_log')?.firstDifference).toBe(0);
      } finally {
        copy.db.close();
      }
    } finally {
      src.db.close();
      dest.close();
      other.close();
    }
  });
});

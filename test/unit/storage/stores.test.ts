/**
 * What only the SQLite backend has to show (the cases every backend shares are in
 * test/conformance/storage): data survives a close and reopen of the file, the driver's
 * constraint codes map to `OV_STORAGE_CONSTRAINT` with the SQLite code kept as detail, and
 * a row edited past the CHECK constraints is refused on read.
 */
import { join } from 'node:path';
import { openRawDb } from '../../helpers/raw-sqlite.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VaultError } from '../../../src/errors.js';
import { openStorage, type SqliteStorageHandle } from '../../../src/storage/sqlite.js';
import type { Role } from '../../../src/storage/types.js';
import { apiKey, digest, session, tempDir, thrown } from './helpers.js';

function expectCode(e: unknown, code: string, sqlite?: string): void {
  expect(e).toBeInstanceOf(VaultError);
  expect((e as VaultError).code).toBe(code);
  if (sqlite !== undefined) expect((e as VaultError).detail?.['sqlite']).toBe(sqlite);
}

describe('SQLite stores', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;
  let s: SqliteStorageHandle;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    file = join(dir, 'vault.db');
    s = openStorage(file);
  });
  afterEach(() => {
    s.close();
    cleanup();
  });

  function reopen(): void {
    s.close();
    s = openStorage(file);
  }

  describe('across a reopen', () => {
    it('keeps meta blobs, API keys and sessions field for field', () => {
      const value = Uint8Array.from([0, 1, 2, 255, 0]);
      s.meta.put('wrapped-root', value);
      s.apiKeys.insert(apiKey());
      s.apiKeys.insert(apiKey({ id: 'key-2', role: 'admin', rotatedAt: 5 }));
      const recs = [session(1), session(2, { apiKeyId: 'key-2', role: 'admin', scope: '' })];
      for (const r of recs) s.sessions.insert(r);
      reopen();
      expect(s.meta.get('wrapped-root')).toEqual(value);
      expect(s.apiKeys.list()).toEqual([apiKey(), apiKey({ id: 'key-2', role: 'admin', rotatedAt: 5 })]);
      expect([...s.sessions.loadAll()].sort((x, y) => x.id.localeCompare(y.id))).toEqual(recs);
    });

    it('keeps a committed transaction and nothing of a rolled-back one', () => {
      s.transaction(() => {
        s.apiKeys.insert(apiKey());
        s.sessions.insert(session(1));
      });
      thrown(() =>
        s.transaction(() => {
          s.apiKeys.insert(apiKey({ id: 'gone' }));
          throw new Error('boom');
        }),
      );
      reopen();
      expect(s.sessions.count()).toBe(1);
      expect(s.apiKeys.list().map((r) => r.id)).toEqual(['key-1']);
    });

    it('keeps what was written before close, after the closed handle refused use', () => {
      s.meta.put('x', Uint8Array.from([1]));
      s.close();
      expect(() => s.meta.get('x')).toThrow();
      s = openStorage(file);
      expect(s.meta.get('x')).toEqual(Uint8Array.from([1]));
    });
  });

  describe('driver errors', () => {
    it('map to OV_STORAGE_CONSTRAINT and keep the SQLite code as detail', () => {
      s.apiKeys.insert(apiKey());
      expectCode(thrown(() => s.apiKeys.insert(apiKey())), 'OV_STORAGE_CONSTRAINT', 'SQLITE_CONSTRAINT_PRIMARYKEY');
      expectCode(thrown(() => s.apiKeys.insert(apiKey({ id: 'r', role: 'root' as Role }))), 'OV_STORAGE_CONSTRAINT', 'SQLITE_CONSTRAINT_CHECK');
      expectCode(thrown(() => s.apiKeys.insert(apiKey({ id: 't', createdAt: 1.5 }))), 'OV_STORAGE_CONSTRAINT', 'SQLITE_CONSTRAINT_DATATYPE');
      s.sessions.insert(session(1));
      expectCode(thrown(() => s.sessions.insert(session(2, { digest: digest(1) }))), 'OV_STORAGE_CONSTRAINT', 'SQLITE_CONSTRAINT_UNIQUE');
      expectCode(thrown(() => s.sessions.insert(session(3, { apiKeyId: 'ghost' }))), 'OV_STORAGE_CONSTRAINT', 'SQLITE_CONSTRAINT_FOREIGNKEY');
    });
  });

  describe('role validation on read', () => {
    // A row that slipped past the CHECK (edited file) must not come back as a privilege.
    function plantBadRoles(): void {
      s.close();
      const raw = openRawDb(file);
      raw.pragma('ignore_check_constraints = ON');
      raw.prepare("INSERT INTO api_keys VALUES ('evil', 'h', 'root', '', '', 1, NULL)").run();
      raw.prepare("INSERT INTO api_keys VALUES ('good', 'h', 'reader', '', '', 2, NULL)").run();
      raw.prepare("INSERT INTO sessions VALUES ('s1', ?, 'good', 'god', '', '', 1, 2)").run(digest(1));
      raw.close();
      s = openStorage(file);
    }

    it('refuses an unknown role in api_keys and sessions with OV_STORAGE_CORRUPT', () => {
      plantBadRoles();
      expectCode(thrown(() => s.apiKeys.get('evil')), 'OV_STORAGE_CORRUPT');
      expectCode(thrown(() => s.apiKeys.list()), 'OV_STORAGE_CORRUPT');
      expectCode(thrown(() => [...s.sessions.loadAll()]), 'OV_STORAGE_CORRUPT');
      expectCode(thrown(() => s.sessions.loadPage(0, 10)), 'OV_STORAGE_CORRUPT');
      expect(s.apiKeys.get('good')?.role).toBe('reader');
      // the failed iteration released the statement
      expect(s.sessions.count()).toBe(1);
    });
  });
});

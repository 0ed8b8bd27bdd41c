/**
 * Every method of the three stores and of transaction(), on real SQLite files: round trips,
 * constraint refusals that change nothing, cascades, expiry sweeps, savepoint nesting, and
 * role validation on read.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VaultError } from '../../../src/errors.js';
import { openStorage, type SqliteStorageHandle } from '../../../src/storage/sqlite.js';
import type { Role } from '../../../src/storage/types.js';
import { apiKey, digest, session, sqliteLoads, tempDir, thrown } from './helpers.js';

function expectCode(e: unknown, code: string, sqlite?: string): void {
  expect(e).toBeInstanceOf(VaultError);
  expect((e as VaultError).code).toBe(code);
  if (sqlite !== undefined) expect((e as VaultError).detail?.['sqlite']).toBe(sqlite);
}

describe.runIf(sqliteLoads)('storage stores', () => {
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

  describe('meta', () => {
    it('returns undefined for a missing name', () => {
      expect(s.meta.get('seal-config')).toBeUndefined();
    });

    it('stores a blob and returns a plain Uint8Array with the same bytes, across a reopen', () => {
      const value = Uint8Array.from([0, 1, 2, 255, 0]);
      s.meta.put('wrapped-root', value);
      const got = s.meta.get('wrapped-root');
      expect(got).toBeInstanceOf(Uint8Array);
      expect(Buffer.isBuffer(got)).toBe(false);
      expect(got).toEqual(value);
      reopen();
      expect(s.meta.get('wrapped-root')).toEqual(value);
    });

    it('stores only the bytes a subarray views, and an empty value', () => {
      const backing = Uint8Array.from([9, 9, 1, 2, 3, 9]);
      s.meta.put('view', backing.subarray(2, 5));
      s.meta.put('empty', new Uint8Array(0));
      expect(s.meta.get('view')).toEqual(Uint8Array.from([1, 2, 3]));
      expect(s.meta.get('empty')).toEqual(new Uint8Array(0));
    });

    it('put replaces an existing value', () => {
      s.meta.put('check', Uint8Array.from([1]));
      s.meta.put('check', Uint8Array.from([2, 2]));
      expect(s.meta.get('check')).toEqual(Uint8Array.from([2, 2]));
    });

    it('delete removes the name, and deleting a missing name is a no-op', () => {
      s.meta.put('a', Uint8Array.from([1]));
      s.meta.put('b', Uint8Array.from([2]));
      s.meta.delete('a');
      s.meta.delete('never-there');
      expect(s.meta.get('a')).toBeUndefined();
      expect(s.meta.get('b')).toEqual(Uint8Array.from([2]));
    });
  });

  describe('apiKeys', () => {
    it('inserts and gets a record field for field, across a reopen', () => {
      const rec = apiKey({ rotatedAt: null });
      s.apiKeys.insert(rec);
      expect(s.apiKeys.get(rec.id)).toEqual(rec);
      reopen();
      expect(s.apiKeys.get(rec.id)).toEqual(rec);
      expect(s.apiKeys.get('unknown')).toBeUndefined();
    });

    it('refuses a duplicate id and keeps the original', () => {
      s.apiKeys.insert(apiKey());
      expectCode(thrown(() => s.apiKeys.insert(apiKey({ hash: 'other', role: 'admin' }))), 'OV_STORAGE_CONSTRAINT', 'SQLITE_CONSTRAINT_PRIMARYKEY');
      expect(s.apiKeys.get('key-1')).toEqual(apiKey());
      expect(s.apiKeys.list()).toHaveLength(1);
    });

    it('rejects an unknown role through the CHECK constraint and stores nothing', () => {
      const e = thrown(() => s.apiKeys.insert(apiKey({ role: 'root' as Role })));
      expectCode(e, 'OV_STORAGE_CONSTRAINT', 'SQLITE_CONSTRAINT_CHECK');
      expect(s.apiKeys.get('key-1')).toBeUndefined();
    });

    it('rejects a non-integer time (STRICT column) and stores nothing', () => {
      expectCode(thrown(() => s.apiKeys.insert(apiKey({ createdAt: 1.5 }))), 'OV_STORAGE_CONSTRAINT', 'SQLITE_CONSTRAINT_DATATYPE');
      expect(s.apiKeys.list()).toEqual([]);
    });

    it('lists every key ordered by createdAt, then id', () => {
      const c = apiKey({ id: 'c', createdAt: 5 });
      const b = apiKey({ id: 'b', createdAt: 7, role: 'admin' });
      const a = apiKey({ id: 'a', createdAt: 7, rotatedAt: 9 });
      for (const r of [b, c, a]) s.apiKeys.insert(r);
      expect(s.apiKeys.list()).toEqual([c, a, b]);
    });

    it('updateHash replaces hash and rotatedAt, and reports an unknown id', () => {
      s.apiKeys.insert(apiKey());
      s.apiKeys.insert(apiKey({ id: 'key-2' }));
      expect(s.apiKeys.updateHash('key-1', 'new-hash', 1_800_000_000_000)).toBe(true);
      expect(s.apiKeys.get('key-1')).toEqual(apiKey({ hash: 'new-hash', rotatedAt: 1_800_000_000_000 }));
      expect(s.apiKeys.get('key-2')).toEqual(apiKey({ id: 'key-2' }));
      expect(s.apiKeys.updateHash('nope', 'x', 1)).toBe(false);
      expect(s.apiKeys.list()).toHaveLength(2);
    });

    it('delete reports whether a key existed', () => {
      s.apiKeys.insert(apiKey());
      expect(s.apiKeys.delete('key-1')).toBe(true);
      expect(s.apiKeys.delete('key-1')).toBe(false);
      expect(s.apiKeys.get('key-1')).toBeUndefined();
    });
  });

  describe('sessions', () => {
    beforeEach(() => {
      s.apiKeys.insert(apiKey());
      s.apiKeys.insert(apiKey({ id: 'key-2', role: 'admin' }));
    });

    it('inserts, counts and loads records field for field, across a reopen', () => {
      const recs = [session(1), session(2, { apiKeyId: 'key-2', role: 'admin', scope: '' })];
      for (const r of recs) s.sessions.insert(r);
      expect(s.sessions.count()).toBe(2);
      const loaded = [...s.sessions.loadAll()].sort((x, y) => x.id.localeCompare(y.id));
      expect(loaded).toEqual(recs);
      expect(loaded[0]!.digest).toBeInstanceOf(Uint8Array);
      expect(Buffer.isBuffer(loaded[0]!.digest)).toBe(false);
      reopen();
      expect([...s.sessions.loadAll()].sort((x, y) => x.id.localeCompare(y.id))).toEqual(recs);
    });

    it('loadAll can be abandoned early and the connection is usable afterwards', () => {
      for (let i = 0; i < 5; i++) s.sessions.insert(session(i));
      for (const r of s.sessions.loadAll()) {
        expect(r.apiKeyId).toBe('key-1');
        break;
      }
      s.sessions.insert(session(99));
      expect(s.sessions.count()).toBe(6);
    });

    it('delete removes one session by id and reports an unknown id', () => {
      s.sessions.insert(session(1));
      s.sessions.insert(session(2));
      expect(s.sessions.delete(session(1).id)).toBe(true);
      expect(s.sessions.delete(session(1).id)).toBe(false);
      expect([...s.sessions.loadAll()].map((r) => r.id)).toEqual([session(2).id]);
    });

    it('enforces a unique digest', () => {
      s.sessions.insert(session(1));
      const e = thrown(() => s.sessions.insert(session(2, { digest: digest(1) })));
      expectCode(e, 'OV_STORAGE_CONSTRAINT', 'SQLITE_CONSTRAINT_UNIQUE');
      expect([...s.sessions.loadAll()]).toEqual([session(1)]);
    });

    it('enforces a unique id', () => {
      s.sessions.insert(session(1));
      expectCode(thrown(() => s.sessions.insert(session(1, { digest: digest(7) }))), 'OV_STORAGE_CONSTRAINT', 'SQLITE_CONSTRAINT_PRIMARYKEY');
      expect([...s.sessions.loadAll()]).toEqual([session(1)]);
    });

    it('refuses a session of an unknown API key (foreign key)', () => {
      expectCode(thrown(() => s.sessions.insert(session(1, { apiKeyId: 'ghost' }))), 'OV_STORAGE_CONSTRAINT', 'SQLITE_CONSTRAINT_FOREIGNKEY');
      expect(s.sessions.count()).toBe(0);
    });

    it('refuses an unknown role, a digest that is not 32 bytes, and expiry before issue', () => {
      const bad = [
        session(1, { role: 'superuser' as Role }),
        session(2, { digest: new Uint8Array(31) }),
        session(3, { digest: new Uint8Array(33) }),
        session(4, { issuedAt: 10, expiresAt: 9 }),
      ];
      for (const r of bad) expectCode(thrown(() => s.sessions.insert(r)), 'OV_STORAGE_CONSTRAINT', 'SQLITE_CONSTRAINT_CHECK');
      expect(s.sessions.count()).toBe(0);
    });

    it('deleteByApiKey removes exactly that key\'s sessions and returns how many', () => {
      for (let i = 0; i < 3; i++) s.sessions.insert(session(i));
      for (let i = 3; i < 5; i++) s.sessions.insert(session(i, { apiKeyId: 'key-2' }));
      expect(s.sessions.deleteByApiKey('key-1')).toBe(3);
      expect(s.sessions.deleteByApiKey('key-1')).toBe(0);
      expect(s.sessions.deleteByApiKey('ghost')).toBe(0);
      expect([...s.sessions.loadAll()].map((r) => r.apiKeyId)).toEqual(['key-2', 'key-2']);
    });

    it('deleting an API key cascades to its sessions only', () => {
      for (let i = 0; i < 3; i++) s.sessions.insert(session(i));
      s.sessions.insert(session(3, { apiKeyId: 'key-2' }));
      expect(s.apiKeys.delete('key-1')).toBe(true);
      expect([...s.sessions.loadAll()].map((r) => r.id)).toEqual([session(3).id]);
      expect(s.sessions.count()).toBe(1);
    });

    it('updateHash leaves the key\'s sessions in place (revocation is the caller\'s step)', () => {
      s.sessions.insert(session(1));
      s.apiKeys.updateHash('key-1', 'rotated', 5);
      expect(s.sessions.count()).toBe(1);
    });

    it('deleteExpired removes sessions with expiresAt <= now and returns how many', () => {
      s.sessions.insert(session(1, { issuedAt: 0, expiresAt: 100 }));
      s.sessions.insert(session(2, { issuedAt: 0, expiresAt: 200 }));
      s.sessions.insert(session(3, { issuedAt: 0, expiresAt: 201 }));
      expect(s.sessions.deleteExpired(99)).toBe(0);
      expect(s.sessions.deleteExpired(200)).toBe(2);
      expect([...s.sessions.loadAll()].map((r) => r.id)).toEqual([session(3).id]);
      expect(s.sessions.deleteExpired(200)).toBe(0);
    });
  });

  describe('role validation on read', () => {
    // A row that slipped past the CHECK (edited file) must not come back as a privilege.
    function plantBadRoles(): void {
      s.close();
      const raw = new Database(file);
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
      expect(s.apiKeys.get('good')?.role).toBe('reader');
      // the failed iteration released the statement
      expect(s.sessions.count()).toBe(1);
    });
  });

  describe('transaction', () => {
    it('commits what fn wrote and returns its value', () => {
      const out = s.transaction(() => {
        s.apiKeys.insert(apiKey());
        s.sessions.insert(session(1));
        return 42;
      });
      expect(out).toBe(42);
      reopen();
      expect(s.sessions.count()).toBe(1);
    });

    it('rolls back everything when fn throws, and rethrows the same error', () => {
      s.meta.put('kept', Uint8Array.from([1]));
      const boom = new Error('boom');
      const e = thrown(() =>
        s.transaction(() => {
          s.apiKeys.insert(apiKey());
          s.sessions.insert(session(1));
          s.meta.put('kept', Uint8Array.from([2]));
          s.meta.put('new', Uint8Array.from([3]));
          throw boom;
        }),
      );
      expect(e).toBe(boom);
      expect(s.apiKeys.list()).toEqual([]);
      expect(s.sessions.count()).toBe(0);
      expect(s.meta.get('new')).toBeUndefined();
      expect(s.meta.get('kept')).toEqual(Uint8Array.from([1]));
      reopen();
      expect(s.apiKeys.list()).toEqual([]);
    });

    it('rolls back earlier writes when a later write violates a constraint', () => {
      s.apiKeys.insert(apiKey());
      const e = thrown(() =>
        s.transaction(() => {
          s.sessions.insert(session(1));
          s.sessions.insert(session(2, { digest: digest(1) }));
        }),
      );
      expectCode(e, 'OV_STORAGE_CONSTRAINT');
      expect(s.sessions.count()).toBe(0);
    });

    it('nests as savepoints: an inner failure caught by the outer fn undoes only the inner writes', () => {
      s.transaction(() => {
        s.apiKeys.insert(apiKey());
        const inner = thrown(() =>
          s.transaction(() => {
            s.apiKeys.insert(apiKey({ id: 'inner' }));
            throw new Error('inner');
          }),
        );
        expect((inner as Error).message).toBe('inner');
        s.apiKeys.insert(apiKey({ id: 'after' }));
      });
      expect(s.apiKeys.list().map((r) => r.id).sort()).toEqual(['after', 'key-1']);
    });

    it('an outer failure also undoes a committed inner transaction', () => {
      thrown(() =>
        s.transaction(() => {
          s.transaction(() => s.apiKeys.insert(apiKey()));
          throw new Error('outer');
        }),
      );
      expect(s.apiKeys.list()).toEqual([]);
    });

    it('refuses an async fn and rolls back its synchronous writes', () => {
      const e = thrown(() =>
        s.transaction(() => {
          s.apiKeys.insert(apiKey());
          return Promise.resolve(1);
        }),
      );
      expect(e).toBeInstanceOf(TypeError);
      expect(s.apiKeys.list()).toEqual([]);
    });
  });

  describe('close', () => {
    it('is idempotent and the stores refuse use afterwards', () => {
      s.meta.put('x', Uint8Array.from([1]));
      s.close();
      s.close();
      expect(() => s.meta.get('x')).toThrow();
      s = openStorage(file);
      expect(s.meta.get('x')).toEqual(Uint8Array.from([1]));
    });
  });
});

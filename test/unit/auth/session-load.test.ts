/**
 * SessionStore.loadIncrementally and SessionPersistence.loadPage, over the real SQLite
 * storage (temp dir) and the in-memory persistence: a paged load equals a full load,
 * creates and revokes between pages are reflected, expired rows are skipped, and the
 * event loop keeps turning while a large store loads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemorySessionPersistence } from '../../../src/auth/memory-persistence.js';
import {
  SessionStore,
  tokenDigest,
  type CreateSessionInput,
  type Session,
} from '../../../src/auth/session-store.js';
import { isVaultError, type ErrorCode } from '../../../src/errors.js';
import { openStorage, type Storage } from '../../../src/storage/index.js';
import { FIRST_SESSION_PAGE, type SessionPersistence, type SessionRecord } from '../../../src/storage/types.js';
import { apiKey } from '../storage/helpers.js';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const KEYS = ['key-1', 'key-2'] as const;

interface Backend {
  readonly p: SessionPersistence;
  /** Runs fn in one transaction where the backend has them (bulk inserts). */
  bulk(fn: () => void): void;
  /** A fresh persistence over the same data (a daemon restart); memory has no restart. */
  restart?: () => SessionPersistence;
  close(): void;
}

function memoryBackend(): Backend {
  const p = new MemorySessionPersistence();
  return { p, bulk: (fn) => fn(), close: () => undefined };
}

function sqliteBackend(): Backend {
  const dir = mkdtempSync(join(tmpdir(), 'ov-session-load-'));
  const file = join(dir, 'vault.db');
  let storage: Storage = openStorage(file);
  for (const id of KEYS) storage.apiKeys.insert(apiKey({ id }));
  const backend = {
    p: storage.sessions,
    bulk: (fn: () => void) => storage.transaction(fn),
    restart: () => {
      storage.close();
      storage = openStorage(file);
      return storage.sessions;
    },
    close: () => {
      storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return backend;
}

/** A valid session row, number i: distinct UUID v4 id and digest, alive an hour past T0 + i. */
function row(i: number, over: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    digest: tokenDigest(`token-${i}`),
    apiKeyId: KEYS[i % 2] as string,
    role: 'reader',
    scope: 'apps/web',
    label: 'ci deploy',
    issuedAt: T0 + i,
    expiresAt: T0 + HOUR + i,
    ...over,
  };
}

function input(token: string, over: Partial<CreateSessionInput> = {}): CreateSessionInput {
  return {
    digest: tokenDigest(token),
    apiKeyId: 'key-1',
    role: 'operator',
    scope: 'apps',
    label: 'ci',
    ttlMs: HOUR,
    now: T0,
    ...over,
  };
}

function insertRows(b: Backend, n: number, over: (i: number) => Partial<SessionRecord> = () => ({})): void {
  b.bulk(() => {
    for (let i = 0; i < n; i++) b.p.insert(row(i, over(i)));
  });
}

const byId = (a: Session, b: Session): number => a.id.localeCompare(b.id);
const ids = (store: SessionStore): string[] => store.list({ now: T0 }).map((s) => s.id).sort();

function code(fn: () => unknown): ErrorCode | 'none' | 'other' {
  try {
    fn();
    return 'none';
  } catch (e) {
    return isVaultError(e) ? e.code : 'other';
  }
}

const backends: [string, () => Backend][] = [
  ['memory persistence', memoryBackend],
  ['SQLite storage', sqliteBackend],
];

for (const [name, make] of backends) {
  describe(`incremental session load over the ${name}`, () => {
    let b: Backend;
    beforeEach(() => {
      b = make();
    });
    afterEach(() => {
      b.close();
    });

    it('loadPage walks every row once, in key order, and sees deletes between pages', () => {
      insertRows(b, 25);
      const seen: string[] = [];
      let after = FIRST_SESSION_PAGE;
      let pages = 0;
      for (;;) {
        const page = b.p.loadPage(after, 10);
        pages++;
        for (const r of page.records) seen.push(r.id);
        expect(page.lastKey).toBeGreaterThanOrEqual(after);
        if (page.records.length < 10) break;
        after = page.lastKey;
        // Between pages: delete a row not read yet; it must not be returned.
        if (pages === 1) expect(b.p.delete(row(17).id)).toBe(true);
      }
      expect(pages).toBe(3);
      expect(seen).toHaveLength(24);
      expect(new Set(seen).size).toBe(24);
      expect(seen).not.toContain(row(17).id);
      expect(seen.sort()).toEqual(Array.from({ length: 25 }, (_, i) => row(i).id).filter((id) => id !== row(17).id).sort());
      const one = b.p.loadPage(FIRST_SESSION_PAGE, 1).records[0];
      expect(one).toEqual(row(0));
    });

    it('loadPage refuses a malformed key or limit', () => {
      insertRows(b, 3);
      expect(code(() => b.p.loadPage(FIRST_SESSION_PAGE, 0))).toBe('OV_INVALID_ARGUMENT');
      expect(code(() => b.p.loadPage(0.5, 10))).toBe('OV_INVALID_ARGUMENT');
      expect(code(() => b.p.loadPage(FIRST_SESSION_PAGE, Number.NaN))).toBe('OV_INVALID_ARGUMENT');
      expect(b.p.count()).toBe(3);
    });

    it('a paged load equals a full load, skipping expired and invalid rows', async () => {
      const n = 2500;
      insertRows(b, n, (i) => {
        if (i % 10 === 3) return { expiresAt: T0 - 1 + (i % 20 === 3 ? 1 : 0), issuedAt: T0 - HOUR }; // expired (<= now)
        if (i % 97 === 5) return { scope: '../escape' }; // breaks the invariants
        return {};
      });
      const expired = 250;
      const bad = Array.from({ length: n }, (_, i) => i).filter((i) => i % 10 !== 3 && i % 97 === 5).length;
      let yields = 0;
      const { store, loaded } = SessionStore.loadIncrementally(b.p, T0, {
        pageSize: 100,
        yield: async () => {
          yields++;
          await Promise.resolve();
        },
      });
      expect(store.loading).toBe(true);
      const report = await loaded;
      expect(store.loading).toBe(false);
      expect(yields).toBe(n / 100); // 25 full pages, then an empty one ends the walk
      expect(report).toEqual({ loaded: n - expired - bad, expired, invalid: bad });
      expect(store.loadReport).toEqual(report);
      // Expired rows are deleted once the load is done; invalid ones are left on disk.
      expect(b.p.count()).toBe(n - expired);

      const full = SessionStore.load(b.p, T0);
      expect(full.loadReport).toEqual({ loaded: n - expired - bad, expired: 0, invalid: bad });
      expect(store.list({ now: T0 }).sort(byId)).toEqual(full.list({ now: T0 }).sort(byId));
      expect(store.size).toBe(full.size);
      // All three indexes are filled: by digest, by id, by API key.
      expect(store.lookup(tokenDigest('token-8'), T0)?.id).toBe(row(8).id);
      expect(store.lookup(tokenDigest('token-3'), T0)).toBeUndefined();
      expect(store.getById(row(9).id, T0)?.apiKeyId).toBe('key-2');
      const key2 = full.list({ now: T0, apiKeyId: 'key-2' }).length;
      expect(store.revokeAllForKey('key-2')).toBe(key2);
      expect(store.list({ now: T0 }).every((s) => s.apiKeyId === 'key-1')).toBe(true);
    });

    it('creates and revokes between pages are reflected exactly once, in memory and on disk', async () => {
      const n = 1000;
      insertRows(b, n);
      let page = 0;
      let early: Session | undefined;
      let late: Session | undefined;
      let afterRevokeAll: Session | undefined;
      const { store, loaded } = SessionStore.loadIncrementally(b.p, T0, {
        pageSize: 100,
        yield: async () => {
          page++;
          if (page === 2) {
            // Revoke one loaded session and one on a page not read yet (row 900).
            expect(store.revokeById(row(10).id)).toBe(true);
            expect(store.getById(row(900).id, T0)).toBeUndefined();
            expect(store.revokeById(row(900).id)).toBe(true);
            expect(store.revokeById(row(900).id)).toBe(false);
            early = store.create(input('created-early')).session;
          }
          if (page === 5) {
            // Revoke-all for key-2 counts the sessions not loaded yet too (every odd row).
            expect(store.revokeAllForKey('key-2')).toBe(n / 2);
            afterRevokeAll = store.create(input('after-revoke-all', { apiKeyId: 'key-2' })).session;
            late = store.create(input('created-late')).session;
            expect(store.revokeById(late.id)).toBe(true);
          }
          await Promise.resolve();
        },
      });
      const report = await loaded;
      if (early === undefined || late === undefined || afterRevokeAll === undefined) throw new Error('yield did not run');
      expect(report.invalid).toBe(0);
      const expected = [
        ...Array.from({ length: n }, (_, i) => i).filter((i) => i % 2 === 0 && i !== 10 && i !== 900).map((i) => row(i).id),
        early.id,
        afterRevokeAll.id,
      ].sort();
      expect(ids(store)).toEqual(expected);
      expect(store.size).toBe(expected.length);
      expect(store.list({ now: T0, apiKeyId: 'key-1' }).filter((s) => s.id === early?.id)).toHaveLength(1);
      expect(store.lookup(tokenDigest('created-early'), T0)).toEqual(early);
      expect(store.lookup(tokenDigest('after-revoke-all'), T0)).toEqual(afterRevokeAll);
      expect(store.lookup(tokenDigest('created-late'), T0)).toBeUndefined();
      expect(store.lookup(tokenDigest('token-900'), T0)).toBeUndefined();
      expect(store.lookup(tokenDigest('token-10'), T0)).toBeUndefined();
      expect(store.lookup(tokenDigest('token-901'), T0)).toBeUndefined();
      // Outside a load an unknown id is still just "not found".
      expect(store.revokeById(row(901).id)).toBe(false);

      // The persistence agrees: a restart loads the same sessions.
      const again = b.restart?.() ?? b.p;
      expect(again.count()).toBe(expected.length);
      const second = await SessionStore.loadIncrementally(again, T0, { pageSize: 64 }).loaded;
      expect(second).toEqual({ loaded: expected.length, expired: 0, invalid: 0 });
      expect(ids(SessionStore.load(again, T0))).toEqual(expected);
    });

    it('keeps the event loop turning while 50k sessions load', async () => {
      const n = 50_000;
      insertRows(b, n);
      let ticks = 0;
      let running = true;
      const tick = (): void => {
        ticks++;
        if (running) setImmediate(tick);
      };
      setImmediate(tick);
      const { loaded } = SessionStore.loadIncrementally(b.p, T0);
      const report = await loaded;
      running = false;
      expect(report).toEqual({ loaded: n, expired: 0, invalid: 0 });
      // 50 pages of the default 1000 rows, one event-loop turn after each.
      expect(ticks).toBeGreaterThan(10);
    });

    it('refuses unknown or malformed options before touching anything', () => {
      insertRows(b, 5);
      const bad: unknown[] = [{ pageSize: 0 }, { pageSize: 1.5 }, { pageSize: 100_001 }, { yield: 1 }, { page: 10 }];
      for (const opts of bad) {
        expect(code(() => SessionStore.loadIncrementally(b.p, T0, opts as { pageSize: number }))).toBe('OV_INVALID_ARGUMENT');
      }
      expect(code(() => SessionStore.loadIncrementally(b.p, Number.NaN))).toBe('OV_INVALID_ARGUMENT');
      expect(b.p.count()).toBe(5);
    });
  });
}

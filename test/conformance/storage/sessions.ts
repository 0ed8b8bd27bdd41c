/**
 * SessionPersistence cases: round trips, the unique and foreign keys, value checks,
 * deletes (by id, by API key, by cascade, by expiry), and the keyset walk of loadPage.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIRST_SESSION_PAGE, type Role, type SessionRecord, type Storage } from '../../../src/storage/types.js';
import { apiKey, digest, expectCode, expectConstraint, session, thrown } from './fixtures.js';

const byId = (x: SessionRecord, y: SessionRecord): number => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);

export function sessionsConformance(open: () => Storage): void {
  describe('sessions', () => {
    let s: Storage;
    beforeEach(() => {
      s = open();
      s.apiKeys.insert(apiKey());
      s.apiKeys.insert(apiKey({ id: 'key-2', role: 'admin' }));
    });
    afterEach(() => s.close());

    it('inserts, counts and loads records field for field', () => {
      const recs = [session(1), session(2, { apiKeyId: 'key-2', role: 'admin', scope: '' })];
      for (const r of recs) s.sessions.insert(r);
      expect(s.sessions.count()).toBe(2);
      const loaded = [...s.sessions.loadAll()].sort(byId);
      expect(loaded).toEqual(recs);
      expect(loaded[0]?.digest).toBeInstanceOf(Uint8Array);
      expect(Buffer.isBuffer(loaded[0]?.digest)).toBe(false);
    });

    it('keeps its own copy of the digest', () => {
      const r = session(1);
      s.sessions.insert(r);
      r.digest.fill(0);
      [...s.sessions.loadAll()][0]?.digest.fill(0);
      expect([...s.sessions.loadAll()][0]?.digest).toEqual(digest(1));
    });

    it('loadAll can be abandoned early and the storage is usable afterwards', () => {
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

    it('getByDigest finds a session by its digest, expired ones included, and misses after a delete', () => {
      const live = session(1);
      const old = session(2, { issuedAt: 10, expiresAt: 20 });
      s.sessions.insert(live);
      s.sessions.insert(old);
      expect(s.sessions.getByDigest(digest(1))).toEqual(live);
      expect(s.sessions.getByDigest(digest(2))).toEqual(old);
      expect(s.sessions.getByDigest(digest(3))).toBeUndefined();
      s.sessions.delete(live.id);
      expect(s.sessions.getByDigest(digest(1))).toBeUndefined();
      s.sessions.deleteByApiKey('key-1');
      expect(s.sessions.getByDigest(digest(2))).toBeUndefined();
    });

    it('getById finds a session by id, expired ones included, and misses after a delete', () => {
      const live = session(1);
      const old = session(2, { issuedAt: 10, expiresAt: 20 });
      s.sessions.insert(live);
      s.sessions.insert(old);
      expect(s.sessions.getById(live.id)).toEqual(live);
      expect(s.sessions.getById(old.id)).toEqual(old);
      expect(s.sessions.getById(session(3).id)).toBeUndefined();
      expect(s.sessions.getById('')).toBeUndefined();
      s.sessions.delete(live.id);
      expect(s.sessions.getById(live.id)).toBeUndefined();
      expect(s.sessions.count()).toBe(1);
    });

    it('getByDigest refuses a digest that is not 32 bytes and changes nothing', () => {
      s.sessions.insert(session(1));
      expectCode(thrown(() => s.sessions.getByDigest(new Uint8Array(31))), 'OV_INVALID_ARGUMENT');
      expectCode(thrown(() => s.sessions.getByDigest('x'.repeat(32) as unknown as Uint8Array)), 'OV_INVALID_ARGUMENT');
      expect([...s.sessions.loadAll()]).toEqual([session(1)]);
    });

    it('enforces a unique digest', () => {
      s.sessions.insert(session(1));
      expectConstraint(() => s.sessions.insert(session(2, { digest: digest(1) })));
      expect([...s.sessions.loadAll()]).toEqual([session(1)]);
    });

    it('enforces a unique id', () => {
      s.sessions.insert(session(1));
      expectConstraint(() => s.sessions.insert(session(1, { digest: digest(7) })));
      expect([...s.sessions.loadAll()]).toEqual([session(1)]);
    });

    it('frees the digest and id of a deleted session for reuse', () => {
      s.sessions.insert(session(1));
      s.sessions.delete(session(1).id);
      s.sessions.insert(session(1));
      expect(s.sessions.count()).toBe(1);
    });

    it('refuses a session of an unknown API key (foreign key)', () => {
      expectConstraint(() => s.sessions.insert(session(1, { apiKeyId: 'ghost' })));
      expect(s.sessions.count()).toBe(0);
    });

    it('refuses an unknown role, a digest that is not 32 bytes, expiry before issue, a fractional time', () => {
      const bad = [
        session(1, { role: 'superuser' as Role }),
        session(2, { digest: new Uint8Array(31) }),
        session(3, { digest: new Uint8Array(33) }),
        session(4, { issuedAt: 10, expiresAt: 9 }),
        session(5, { expiresAt: 1_700_000_900_000.5 }),
      ];
      for (const r of bad) expectConstraint(() => s.sessions.insert(r));
      expect(s.sessions.count()).toBe(0);
      // expiresAt == issuedAt is allowed (a token dead on arrival, swept at once).
      s.sessions.insert(session(6, { issuedAt: 10, expiresAt: 10 }));
      expect(s.sessions.count()).toBe(1);
    });

    it("deleteByApiKey removes exactly that key's sessions and returns how many", () => {
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

    it("updateHash leaves the key's sessions in place (revocation is the caller's step)", () => {
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

    it('loadPage walks every row once in increasing key order, and sees deletes between pages', () => {
      for (let i = 0; i < 25; i++) s.sessions.insert(session(i));
      const seen: string[] = [];
      let after = FIRST_SESSION_PAGE;
      let pages = 0;
      for (;;) {
        const page = s.sessions.loadPage(after, 10);
        pages++;
        if (page.records.length > 0) expect(page.lastKey).toBeGreaterThan(after);
        else expect(page.lastKey).toBe(after);
        seen.push(...page.records.map((r) => r.id));
        // Between the first and second page, delete a row not yet returned and one already returned.
        if (pages === 1) {
          expect(s.sessions.delete(session(20).id)).toBe(true);
          expect(s.sessions.delete(session(0).id)).toBe(true);
        }
        after = page.lastKey;
        if (page.records.length < 10) break;
      }
      expect(pages).toBe(3);
      expect(seen).toHaveLength(24);
      expect(new Set(seen).size).toBe(24);
      expect(seen).not.toContain(session(20).id);
      // Insertion order is key order here.
      expect(seen).toEqual(Array.from({ length: 25 }, (_, i) => session(i).id).filter((id) => id !== session(20).id));
    });

    it('loadPage and the unique keys stay right after mass deletes and a rolled-back one', () => {
      s.transaction(() => {
        for (let i = 0; i < 3000; i++) s.sessions.insert(session(i, { issuedAt: 0, expiresAt: i }));
      });
      expect(s.sessions.deleteExpired(2499)).toBe(2500);
      thrown(() =>
        s.transaction(() => {
          expect(s.sessions.deleteByApiKey('key-1')).toBe(500);
          expect(s.sessions.count()).toBe(0);
          throw new Error('abort');
        }),
      );
      expect(s.sessions.count()).toBe(500);
      const seen: number[] = [];
      let after = FIRST_SESSION_PAGE;
      for (;;) {
        const page = s.sessions.loadPage(after, 128);
        seen.push(...page.records.map((r) => r.expiresAt));
        after = page.lastKey;
        if (page.records.length < 128) break;
      }
      expect(seen).toEqual(Array.from({ length: 500 }, (_, i) => 2500 + i));
      // The restored rows hold their id and digest again; the swept ones do not.
      expectConstraint(() => s.sessions.insert(session(2999, { digest: digest(100_000) })));
      expectConstraint(() => s.sessions.insert(session(100_000, { digest: digest(2999) })));
      s.sessions.insert(session(5, { issuedAt: 0, expiresAt: 5 }));
      expect(s.sessions.count()).toBe(501);
    });

    it('loadPage returns full records and refuses a malformed key or limit', () => {
      s.sessions.insert(session(1));
      const page = s.sessions.loadPage(FIRST_SESSION_PAGE, 5);
      expect(page.records).toEqual([session(1)]);
      expect(s.sessions.loadPage(page.lastKey, 5)).toEqual({ records: [], lastKey: page.lastKey });
      expectCode(thrown(() => s.sessions.loadPage(FIRST_SESSION_PAGE, 0)), 'OV_INVALID_ARGUMENT');
      expectCode(thrown(() => s.sessions.loadPage(0.5, 10)), 'OV_INVALID_ARGUMENT');
      expectCode(thrown(() => s.sessions.loadPage(FIRST_SESSION_PAGE, Number.NaN)), 'OV_INVALID_ARGUMENT');
    });
  });
}

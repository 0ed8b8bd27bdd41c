/** ApiKeyStore cases: round trips, constraint refusals that change nothing, order, rotation, delete. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Role, Storage } from '../../../src/storage/types.js';
import { apiKey, expectConstraint } from './fixtures.js';

export function apiKeysConformance(open: () => Storage): void {
  describe('apiKeys', () => {
    let s: Storage;
    beforeEach(() => {
      s = open();
    });
    afterEach(() => s.close());

    it('inserts and gets a record field for field', () => {
      const rec = apiKey({ rotatedAt: null });
      s.apiKeys.insert(rec);
      expect(s.apiKeys.get(rec.id)).toEqual(rec);
      expect(s.apiKeys.get('unknown')).toBeUndefined();
    });

    it('refuses a duplicate id and keeps the original', () => {
      s.apiKeys.insert(apiKey());
      expectConstraint(() => s.apiKeys.insert(apiKey({ hash: 'other', role: 'admin' })));
      expect(s.apiKeys.get('key-1')).toEqual(apiKey());
      expect(s.apiKeys.list()).toHaveLength(1);
    });

    it('rejects an unknown role and stores nothing', () => {
      expectConstraint(() => s.apiKeys.insert(apiKey({ role: 'root' as Role })));
      expect(s.apiKeys.get('key-1')).toBeUndefined();
    });

    it('rejects a non-integer time and stores nothing', () => {
      expectConstraint(() => s.apiKeys.insert(apiKey({ createdAt: 1.5 })));
      expectConstraint(() => s.apiKeys.insert(apiKey({ rotatedAt: 2.5 })));
      expect(s.apiKeys.list()).toEqual([]);
    });

    it('lists every key ordered by createdAt, then id', () => {
      const c = apiKey({ id: 'c', createdAt: 5 });
      const b = apiKey({ id: 'b', createdAt: 7, role: 'admin' });
      const a = apiKey({ id: 'a', createdAt: 7, rotatedAt: 9 });
      for (const r of [b, c, a]) s.apiKeys.insert(r);
      expect(s.apiKeys.list()).toEqual([c, a, b]);
    });

    it('orders ids by code point, as UTF-8 bytes sort (not by UTF-16 unit)', () => {
      // U+FB01 sorts before U+1F600 by code point, after it by UTF-16 unit (0xFB01 > 0xD83D).
      const astral = apiKey({ id: 'k\u{1F600}' });
      const bmp = apiKey({ id: 'k\uFB01' });
      s.apiKeys.insert(astral);
      s.apiKeys.insert(bmp);
      expect(s.apiKeys.list().map((r) => r.id)).toEqual([bmp.id, astral.id]);
    });

    it('hands out copies: changing a returned record changes nothing stored', () => {
      s.apiKeys.insert(apiKey());
      const got = s.apiKeys.get('key-1');
      if (got !== undefined) got.role = 'admin';
      const listed = s.apiKeys.list()[0];
      if (listed !== undefined) listed.hash = 'x';
      expect(s.apiKeys.get('key-1')).toEqual(apiKey());
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
}

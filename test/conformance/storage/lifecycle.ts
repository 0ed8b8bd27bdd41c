/**
 * Storage-wide cases: transactions (commit, rollback on throw, savepoint nesting, refusal
 * of an async fn) across every store, the schema version, sync, and close.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../../../src/storage/index.js';
import type { Storage } from '../../../src/storage/types.js';
import { apiKey, auditRow, digest, expectCode, keyringKey, secretMeta, secretVersion, session, thrown, validatorKey, validatorSlot } from './fixtures.js';

export function lifecycleConformance(open: () => Storage): void {
  describe('transaction', () => {
    let s: Storage;
    beforeEach(() => {
      s = open();
    });
    afterEach(() => s.close());

    it('commits what fn wrote and returns its value', () => {
      const out = s.transaction(() => {
        s.apiKeys.insert(apiKey());
        s.sessions.insert(session(1));
        return 42;
      });
      expect(out).toBe(42);
      expect(s.sessions.count()).toBe(1);
      expect(s.apiKeys.list()).toEqual([apiKey()]);
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
      // The rolled-back session's id and digest are free again.
      s.apiKeys.insert(apiKey());
      s.sessions.insert(session(1));
      expect(s.sessions.count()).toBe(1);
    });

    it('rolls back updates and deletes in every store', () => {
      s.apiKeys.insert(apiKey());
      for (let i = 0; i < 3; i++) s.sessions.insert(session(i));
      s.keyring.putPolicy({ name: 'token', latestVersion: 1, minDecryptVersion: 1 });
      s.keyring.insertKey(keyringKey());
      s.audit.append(auditRow(1));
      s.secrets.putMeta(secretMeta('p', 2));
      for (const v of [1, 2]) s.secrets.insertVersion(secretVersion('p', v));
      s.validators.insertSlot(validatorSlot());
      const vk = validatorKey();
      s.validators.insertKey(vk);
      const before = {
        keys: s.apiKeys.list(),
        sessions: [...s.sessions.loadAll()].map((r) => r.id).sort(),
        policies: s.keyring.listPolicies(),
        keyring: s.keyring.listKeys(),
        versions: s.secrets.listVersions('p'),
        meta: s.secrets.getMeta('p'),
        slot: s.validators.getSlot('eth-1'),
        vkeys: s.validators.listKeys(),
      };
      thrown(() =>
        s.transaction(() => {
          s.apiKeys.updateHash('key-1', 'rotated', 9);
          s.sessions.deleteExpired(Number.MAX_SAFE_INTEGER);
          s.apiKeys.delete('key-1');
          s.keyring.putPolicy({ name: 'token', latestVersion: 2, minDecryptVersion: 2 });
          s.audit.append(auditRow(2));
          s.secrets.setDeleted('p', 1, 5);
          s.secrets.destroyVersion('p', 2);
          s.secrets.pruneBelow('p', 2);
          s.secrets.putMeta({ ...secretMeta('p', 9), maxVersions: 4 });
          s.validators.updateSigningState('eth-1', '{"x":1}', 1);
          s.validators.setKeyState(vk.id, 'active', 'retired', 5);
          s.validators.destroyKey(vk.id, 6);
          s.validators.appendRecord({ slot: 'eth-1', seq: 1, record: '{}', hash: new Uint8Array(32) });
          s.keyring.clear();
          throw new Error('abort');
        }),
      );
      expect({
        keys: s.apiKeys.list(),
        sessions: [...s.sessions.loadAll()].map((r) => r.id).sort(),
        policies: s.keyring.listPolicies(),
        keyring: s.keyring.listKeys(),
        versions: s.secrets.listVersions('p'),
        meta: s.secrets.getMeta('p'),
        slot: s.validators.getSlot('eth-1'),
        vkeys: s.validators.listKeys(),
      }).toEqual(before);
      expect(s.audit.count()).toBe(1);
      expect(s.validators.records('eth-1')).toEqual([]);
      expect(s.secrets.getVersion('p', 2)).toEqual(secretVersion('p', 2));
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

    it('a constraint failure caught inside the transaction leaves the other writes to commit', () => {
      s.transaction(() => {
        s.apiKeys.insert(apiKey());
        expectCode(thrown(() => s.apiKeys.insert(apiKey())), 'OV_STORAGE_CONSTRAINT');
        s.apiKeys.insert(apiKey({ id: 'key-2' }));
      });
      expect(s.apiKeys.list().map((r) => r.id)).toEqual(['key-1', 'key-2']);
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

  describe('lifecycle', () => {
    it('is at the latest schema version', () => {
      const s = open();
      expect(s.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      s.close();
    });

    it('sync and syncAsync succeed while open and fail with OV_IO after close', async () => {
      const s = open();
      s.meta.put('x', Uint8Array.of(1));
      s.sync();
      await s.syncAsync();
      s.close();
      expectCode(thrown(() => s.sync()), 'OV_IO');
      await expect(s.syncAsync()).rejects.toMatchObject({ code: 'OV_IO' });
    });

    it('close is idempotent and the stores and transactions refuse use afterwards', () => {
      const s = open();
      s.meta.put('x', Uint8Array.from([1]));
      s.close();
      s.close();
      expect(() => s.meta.get('x')).toThrow();
      expect(() => s.apiKeys.list()).toThrow();
      expect(() => s.sessions.count()).toThrow();
      expect(() => s.transaction(() => 1)).toThrow();
    });
  });
}

/** TransitStore cases: round trips and order, constraints, the cascade, trim, compare-and-swap, stale rows. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TransitKeyRecord, TransitVersionRecord } from '../../../src/storage/transit-types.js';
import type { Storage } from '../../../src/storage/types.js';
import { expectConstraint } from './fixtures.js';

function tkey(over: Partial<TransitKeyRecord> = {}): TransitKeyRecord {
  return {
    name: 'payments',
    type: 'xwing',
    latestVersion: 1,
    minDecryptionVersion: 1,
    minEncryptionVersion: 0,
    deletionAllowed: false,
    exportable: false,
    allowPlaintextBackup: false,
    createdAt: 1000,
    updatedAt: 1000,
    ...over,
  };
}

function tversion(over: Partial<TransitVersionRecord> = {}): TransitVersionRecord {
  return { name: 'payments', version: 1, publicKey: Uint8Array.from([7, 7]), envelope: Uint8Array.from([1, 2, 3]), kemVersion: 1, createdAt: 1000, ...over };
}

export function transitConformance(open: () => Storage): void {
  describe('transit', () => {
    let s: Storage;
    beforeEach(() => {
      s = open();
    });
    afterEach(() => s.close());

    it('stores keys and versions, ordered, as plain Uint8Arrays', () => {
      s.transit.insertKey(tkey({ name: 'zeta', type: 'hmac-sha256', deletionAllowed: true }));
      s.transit.insertKey(tkey({ latestVersion: 2 }));
      s.transit.insertVersion(tversion({ version: 2, envelope: Uint8Array.from([4]) }));
      s.transit.insertVersion(tversion());
      s.transit.insertVersion(tversion({ name: 'zeta', publicKey: null }));
      expect(s.transit.listKeys()).toEqual(['payments', 'zeta']);
      expect(s.transit.getKey('zeta')).toEqual(tkey({ name: 'zeta', type: 'hmac-sha256', deletionAllowed: true }));
      expect(s.transit.getKey('nope')).toBeUndefined();
      const got = s.transit.getVersion('payments', 1);
      expect(got).toEqual(tversion());
      expect(Buffer.isBuffer(got?.envelope)).toBe(false);
      expect(s.transit.getVersion('zeta', 1)?.publicKey).toBeNull();
      expect(s.transit.listVersions('payments').map((v) => v.version)).toEqual([1, 2]);
      expect(s.transit.listVersions('nope')).toEqual([]);
    });

    it('keeps its own copies', () => {
      s.transit.insertKey(tkey());
      const v = tversion();
      s.transit.insertVersion(v);
      v.envelope.fill(0);
      s.transit.getVersion('payments', 1)?.envelope.fill(0);
      expect(s.transit.getVersion('payments', 1)?.envelope).toEqual(Uint8Array.from([1, 2, 3]));
    });

    it('refuses duplicates, orphans and out-of-range settings', () => {
      s.transit.insertKey(tkey());
      expectConstraint(() => s.transit.insertKey(tkey()));
      expectConstraint(() => s.transit.insertVersion(tversion({ name: 'other' })));
      s.transit.insertVersion(tversion());
      expectConstraint(() => s.transit.insertVersion(tversion()));
      expectConstraint(() => s.transit.insertKey(tkey({ name: 'a', minDecryptionVersion: 2 })));
      expectConstraint(() => s.transit.insertKey(tkey({ name: 'a', minEncryptionVersion: 2 })));
      expectConstraint(() => s.transit.insertKey(tkey({ name: 'a', latestVersion: 0 })));
      expectConstraint(() => s.transit.insertVersion(tversion({ version: 0 })));
      expectConstraint(() => s.transit.insertVersion(tversion({ version: 3, kemVersion: 0 })));
      expect(s.transit.listKeys()).toEqual(['payments']);
    });

    it('updates settings and deletes a key with its versions', () => {
      s.transit.insertKey(tkey());
      s.transit.insertVersion(tversion());
      expect(s.transit.updateKey(tkey({ latestVersion: 3, minDecryptionVersion: 2, exportable: true, updatedAt: 2000 }))).toBe(true);
      expect(s.transit.getKey('payments')).toEqual(tkey({ latestVersion: 3, minDecryptionVersion: 2, exportable: true, updatedAt: 2000 }));
      expect(s.transit.updateKey(tkey({ name: 'nope' }))).toBe(false);
      expectConstraint(() => s.transit.updateKey(tkey({ minDecryptionVersion: 9 })));
      expect(s.transit.deleteKey('payments')).toBe(true);
      expect(s.transit.deleteKey('payments')).toBe(false);
      expect(s.transit.getVersion('payments', 1)).toBeUndefined();
      // The name is free again, without leftover versions.
      s.transit.insertKey(tkey());
      expect(s.transit.listVersions('payments')).toEqual([]);
    });

    it('trims versions below a bound', () => {
      s.transit.insertKey(tkey({ latestVersion: 3 }));
      for (const version of [1, 2, 3]) s.transit.insertVersion(tversion({ version }));
      expect(s.transit.deleteVersionsBelow('payments', 3)).toBe(2);
      expect(s.transit.listVersions('payments').map((v) => v.version)).toEqual([3]);
      expect(s.transit.deleteVersionsBelow('nope', 3)).toBe(0);
    });

    it('replaces an envelope only when it still holds the expected one', () => {
      s.transit.insertKey(tkey());
      s.transit.insertVersion(tversion());
      expect(s.transit.replaceEnvelope('payments', 1, Uint8Array.from([9]), Uint8Array.from([5]), 2)).toBe(false);
      expect(s.transit.replaceEnvelope('payments', 1, Uint8Array.from([1, 2, 3]), Uint8Array.from([5]), 2)).toBe(true);
      expect(s.transit.getVersion('payments', 1)).toEqual(tversion({ envelope: Uint8Array.from([5]), kemVersion: 2 }));
      expect(s.transit.replaceEnvelope('payments', 2, Uint8Array.from([5]), Uint8Array.from([6]), 2)).toBe(false);
    });

    it('walks stale rows in (name, version) order with a cursor, and counts them', () => {
      s.transit.insertKey(tkey({ latestVersion: 3 }));
      s.transit.insertKey(tkey({ name: 'alpha', latestVersion: 2 }));
      s.transit.insertVersion(tversion({ version: 1 }));
      s.transit.insertVersion(tversion({ version: 2, kemVersion: 3 }));
      s.transit.insertVersion(tversion({ version: 3, kemVersion: 2 }));
      s.transit.insertVersion(tversion({ name: 'alpha', version: 1 }));
      s.transit.insertVersion(tversion({ name: 'alpha', version: 2 }));
      const ids = (rows: TransitVersionRecord[]): string[] => rows.map((r) => `${r.name}/${r.version}`);
      expect(s.transit.countStale(3)).toBe(4);
      expect(ids(s.transit.staleVersions(3, undefined, 2))).toEqual(['alpha/1', 'alpha/2']);
      expect(ids(s.transit.staleVersions(3, { name: 'alpha', version: 2 }, 10))).toEqual(['payments/1', 'payments/3']);
      expect(ids(s.transit.staleVersions(2, undefined, 10))).toEqual(['alpha/1', 'alpha/2', 'payments/1']);
      expect(() => s.transit.staleVersions(3, undefined, 0)).toThrow();
    });

    it('rolls back with the transaction', () => {
      s.transit.insertKey(tkey());
      expect(() =>
        s.transaction(() => {
          s.transit.insertVersion(tversion());
          s.transit.deleteKey('payments');
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(s.transit.getKey('payments')).toEqual(tkey());
      expect(s.transit.listVersions('payments')).toEqual([]);
    });
  });
}

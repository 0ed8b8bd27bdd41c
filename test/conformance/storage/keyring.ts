/** KeyringStore cases: round trips and order, the policy foreign key and ranges, clear. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Storage } from '../../../src/storage/types.js';
import { expectConstraint, keyringKey as key } from './fixtures.js';

export function keyringConformance(open: () => Storage): void {
  describe('keyring', () => {
    let s: Storage;
    beforeEach(() => {
      s = open();
    });
    afterEach(() => s.close());

    it('stores keys and policies and returns plain Uint8Arrays, ordered by name then version', () => {
      s.keyring.putPolicy({ name: 'token', latestVersion: 2, minDecryptVersion: 1 });
      s.keyring.insertKey(key({ version: 2, keyId: new Uint8Array(16).fill(8) }));
      s.keyring.insertKey(key());
      s.keyring.putPolicy({ name: 'kem', latestVersion: 1, minDecryptVersion: 1 });
      s.keyring.insertKey(key({ name: 'kem', alg: 'X-Wing', publicKey: Uint8Array.from([9, 9]) }));
      expect(s.keyring.listPolicies().map((p) => p.name)).toEqual(['kem', 'token']);
      const got = s.keyring.getKey('token', 1);
      expect(got).toEqual(key());
      expect(Buffer.isBuffer(got?.keyId)).toBe(false);
      expect(s.keyring.getKey('kem', 1)?.publicKey).toEqual(Uint8Array.from([9, 9]));
      expect(s.keyring.getKey('kem', 2)).toBeUndefined();
      expect(s.keyring.getPolicy('nope')).toBeUndefined();
      expect(s.keyring.listKeys().map((k) => `${k.name}/${k.version}`)).toEqual(['kem/1', 'token/1', 'token/2']);
      s.keyring.putPolicy({ name: 'token', latestVersion: 3, minDecryptVersion: 2 });
      expect(s.keyring.getPolicy('token')).toEqual({ name: 'token', latestVersion: 3, minDecryptVersion: 2 });
    });

    it('keeps its own copy of the wrapped secret', () => {
      s.keyring.putPolicy({ name: 'token', latestVersion: 1, minDecryptVersion: 1 });
      const k = key();
      s.keyring.insertKey(k);
      k.wrappedSecret.fill(0);
      s.keyring.getKey('token', 1)?.wrappedSecret.fill(0);
      expect(s.keyring.getKey('token', 1)?.wrappedSecret).toEqual(Uint8Array.from([1, 2, 3]));
    });

    it('refuses duplicates, orphans, bad key ids and out-of-range policies, changing nothing', () => {
      s.keyring.putPolicy({ name: 'token', latestVersion: 1, minDecryptVersion: 1 });
      s.keyring.insertKey(key());
      expectConstraint(() => s.keyring.insertKey(key()));
      expectConstraint(() => s.keyring.insertKey(key({ name: 'audit' })));
      expectConstraint(() => s.keyring.insertKey(key({ version: 2, keyId: new Uint8Array(15) })));
      expectConstraint(() => s.keyring.insertKey(key({ version: 0 })));
      expectConstraint(() => s.keyring.putPolicy({ name: 'token', latestVersion: 1, minDecryptVersion: 2 }));
      expectConstraint(() => s.keyring.putPolicy({ name: 'token', latestVersion: 0, minDecryptVersion: 0 }));
      expect(s.keyring.listKeys()).toEqual([key()]);
      expect(s.keyring.listPolicies()).toEqual([{ name: 'token', latestVersion: 1, minDecryptVersion: 1 }]);
    });

    it('clear deletes every key and policy and returns the number of keys', () => {
      s.keyring.putPolicy({ name: 'token', latestVersion: 2, minDecryptVersion: 1 });
      s.keyring.putPolicy({ name: 'kem', latestVersion: 1, minDecryptVersion: 1 });
      s.keyring.insertKey(key());
      s.keyring.insertKey(key({ version: 2 }));
      expect(s.keyring.clear()).toBe(2);
      expect(s.keyring.listKeys()).toEqual([]);
      expect(s.keyring.listPolicies()).toEqual([]);
      expect(s.keyring.clear()).toBe(0);
      // A key needs its policy again after a clear.
      expectConstraint(() => s.keyring.insertKey(key()));
    });

    it('a rolled-back clear keeps every key and policy', () => {
      s.keyring.putPolicy({ name: 'token', latestVersion: 1, minDecryptVersion: 1 });
      s.keyring.insertKey(key());
      expect(() =>
        s.transaction(() => {
          s.keyring.clear();
          throw new Error('abort');
        }),
      ).toThrow('abort');
      expect(s.keyring.listKeys()).toEqual([key()]);
      expect(s.keyring.getPolicy('token')).toEqual({ name: 'token', latestVersion: 1, minDecryptVersion: 1 });
    });
  });
}

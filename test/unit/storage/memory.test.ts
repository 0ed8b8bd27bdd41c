/**
 * What only the in-memory backend has to show (the shared cases are in
 * test/conformance/storage): the standalone session persistence, which the SessionStore's
 * tests use without any API key table.
 */
import { describe, expect, it } from 'vitest';
import { VaultError } from '../../../src/errors.js';
import { MemorySessionPersistence } from '../../../src/storage/index.js';
import type { Role } from '../../../src/storage/types.js';
import { digest, session, thrown } from '../../conformance/storage/fixtures.js';

describe('standalone MemorySessionPersistence', () => {
  it('accepts any API key id and role string, so tests can plant what a damaged file holds', () => {
    const p = new MemorySessionPersistence();
    p.insert(session(1, { apiKeyId: 'no-such-key' }));
    p.insert(session(2, { role: 'root' as Role }));
    expect([...p.loadAll()].map((r) => [r.apiKeyId, r.role])).toEqual([
      ['no-such-key', 'reader'],
      ['key-1', 'root'],
    ]);
  });

  it('still enforces the unique keys, the digest length and the time order', () => {
    const p = new MemorySessionPersistence();
    p.insert(session(1));
    for (const r of [
      session(1, { digest: digest(9) }),
      session(2, { digest: digest(1) }),
      session(3, { digest: new Uint8Array(31) }),
      session(4, { issuedAt: 2, expiresAt: 1 }),
    ]) {
      const e = thrown(() => p.insert(r));
      expect(e).toBeInstanceOf(VaultError);
      expect((e as VaultError).code).toBe('OV_STORAGE_CONSTRAINT');
    }
    expect(p.count()).toBe(1);
  });
});

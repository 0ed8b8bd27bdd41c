/**
 * Volume: 100k persisted sessions load back completely through the streaming loadAll and
 * survive a reopen. No timing assertion; counts and identities must match.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStorage, type SqliteStorageHandle } from '../../../src/storage/sqlite.js';
import { apiKey, session, tempDir } from './helpers.js';

const N = 100_000;

describe('storage at volume', () => {
  let cleanup: () => void;
  let file: string;
  let s: SqliteStorageHandle;

  beforeEach(() => {
    let dir: string;
    ({ dir, cleanup } = tempDir());
    file = join(dir, 'vault.db');
    s = openStorage(file);
  });
  afterEach(() => {
    s.close();
    cleanup();
  });

  it(`loads ${N} sessions back after a reopen, then sweeps half of them`, () => {
    s.transaction(() => {
      s.apiKeys.insert(apiKey());
      s.apiKeys.insert(apiKey({ id: 'key-2' }));
      for (let i = 0; i < N; i++) {
        s.sessions.insert(session(i, { apiKeyId: i % 2 === 0 ? 'key-1' : 'key-2', issuedAt: 0, expiresAt: i }));
      }
    });
    s.close();
    s = openStorage(file);

    expect(s.sessions.count()).toBe(N);
    const ids = new Set<string>();
    const digests = new Set<string>();
    let maxExpiry = -1;
    for (const r of s.sessions.loadAll()) {
      ids.add(r.id);
      digests.add(Buffer.from(r.digest).toString('hex'));
      maxExpiry = Math.max(maxExpiry, r.expiresAt);
    }
    expect(ids.size).toBe(N);
    expect(digests.size).toBe(N);
    expect(maxExpiry).toBe(N - 1);

    expect(s.sessions.deleteExpired(N / 2 - 1)).toBe(N / 2);
    expect(s.sessions.deleteByApiKey('key-1')).toBe(N / 4);
    expect(s.sessions.count()).toBe(N / 4);
  });
});

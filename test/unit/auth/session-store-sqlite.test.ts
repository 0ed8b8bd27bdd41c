import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../../src/auth/apikeys.js';
import { SessionStore, tokenDigest, type CreateSessionInput } from '../../../src/auth/session-store.js';
import { ARGON2_FLOOR } from '../../../src/crypto/argon2.js';
import { isVaultError } from '../../../src/errors.js';
import { openStorage, type ApiKeyRecord, type Storage } from '../../../src/storage/index.js';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

describe('SessionStore over the SQLite storage', () => {
  let dir = '';
  let file = '';
  let storage: Storage;
  let key: ApiKeyRecord;
  let other: ApiKeyRecord;

  const input = (token: string, over: Partial<CreateSessionInput> = {}): CreateSessionInput => ({
    digest: tokenDigest(token),
    apiKeyId: key.id,
    role: key.role,
    scope: key.scope,
    label: key.label,
    ttlMs: HOUR,
    now: T0,
    ...over,
  });

  const restart = (): void => {
    storage.close();
    storage = openStorage(file);
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ov-sessions-'));
    file = join(dir, 'vault.db');
    storage = openStorage(file);
    key = (await generateApiKey('operator', 'app', 'ci', { params: ARGON2_FLOOR, now: T0 })).record;
    other = (await generateApiKey('admin', '*', 'ops', { params: ARGON2_FLOOR, now: T0 })).record;
    storage.apiKeys.insert(key);
    storage.apiKeys.insert(other);
  });

  afterEach(() => {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('survives a restart: valid sessions come back, expired and revoked ones do not', () => {
    const store = new SessionStore(storage.sessions);
    const keep = store.create(input('keep', { ttlMs: 4 * HOUR })).session;
    store.create(input('short', { ttlMs: 1000 }));
    const gone = store.create(input('gone')).session;
    const adm = store.create(input('adm', { apiKeyId: other.id, role: 'admin', scope: '*' })).session;
    expect(store.revokeById(gone.id)).toBe(true);
    expect(storage.sessions.count()).toBe(3);

    restart();
    const after = SessionStore.load(storage.sessions, T0 + 2000);
    expect(after.loadReport).toEqual({ loaded: 2, expired: 1, invalid: 0 });
    expect(storage.sessions.count()).toBe(2);
    expect(after.lookup(tokenDigest('keep'), T0 + 2000)).toEqual(keep);
    expect(after.getById(adm.id, T0 + 2000)).toEqual(adm);
    expect(after.lookup(tokenDigest('gone'), T0 + 2000)).toBeUndefined();
    expect(after.lookup(tokenDigest('short'), T0 + 2000)).toBeUndefined();

    expect(after.revokeAllForKey(other.id)).toBe(1);
    restart();
    const third = SessionStore.load(storage.sessions, T0 + 2000);
    expect(third.list({ now: T0 + 2000 })).toEqual([keep]);
    expect(third.sweep(T0 + 4 * HOUR)).toBe(1);
    expect(storage.sessions.count()).toBe(0);
  });

  it('a refused write (unknown API key) leaves nothing in memory or on disk', () => {
    const store = new SessionStore(storage.sessions);
    let code = '';
    try {
      store.create(input('orphan', { apiKeyId: 'ffffffffffffffff' }));
    } catch (e) {
      code = isVaultError(e) ? e.code : 'other';
    }
    expect(code).toBe('OV_STORAGE_CONSTRAINT');
    expect(store.size).toBe(0);
    expect(store.lookup(tokenDigest('orphan'), T0)).toBeUndefined();
    expect(storage.sessions.count()).toBe(0);
  });

  it('a revocation holds in memory even when the disk write fails', () => {
    const store = new SessionStore(storage.sessions);
    const s = store.create(input('tok')).session;
    storage.close(); // every write now throws
    expect(() => store.revokeById(s.id)).toThrow();
    expect(store.lookup(tokenDigest('tok'), T0)).toBeUndefined();
    expect(store.getById(s.id, T0)).toBeUndefined();
    // What the failed write left on disk: the row is still there (sweep() retries the
    // delete while the process lives).
    storage = openStorage(file);
    expect(storage.sessions.count()).toBe(1);
  });
});

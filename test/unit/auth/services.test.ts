/**
 * The API-key and session services without HTTP: the rules a non-HTTP caller obeys too
 * (scope containment, revocation on rotate and delete, session lifetimes and
 * visibility), over a real SQLite storage and session store.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiKeyService } from '../../../src/auth/apikey-service.js';
import { SessionService } from '../../../src/auth/session-service.js';
import { SessionStore, tokenDigest, type Session } from '../../../src/auth/session-store.js';
import { VaultError } from '../../../src/errors.js';
import { openStorage, type Storage } from '../../../src/storage/index.js';

const T0 = Date.UTC(2030, 0, 1);
const HOUR = 3_600_000;

async function code(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
    return undefined;
  } catch (e) {
    return e instanceof VaultError ? e.code : String(e);
  }
}

describe('ApiKeyService and SessionService', () => {
  let dir = '';
  let storage: Storage;
  let store: SessionStore;
  let apiKeys: ApiKeyService;
  let sessions: SessionService;
  const now = (): number => T0;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ov-auth-services-'));
    storage = openStorage(join(dir, 'vault.db'));
    store = SessionStore.load(storage.sessions, T0);
    apiKeys = new ApiKeyService({ store: storage.apiKeys, sessions: () => Promise.resolve(store), now });
    sessions = new SessionService({ sessions: () => Promise.resolve(store), now, defaultTtlMs: HOUR, maxTtlMs: 24 * HOUR });
  });
  afterEach(() => {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const open = async (record: { id: string; role: 'admin' | 'operator' | 'reader'; scope: string; label: string; hash: string; createdAt: number; rotatedAt: number | null }, n: number): Promise<Session> =>
    (await sessions.issue(record, HOUR, (c) => `token.${c.jti}.${n}`)).session;

  it('keeps keys within their creator and hides keys outside the caller', async () => {
    const { key, record } = await apiKeys.create('app', { role: 'operator', label: 'ci' });
    expect(record.scope).toBe('app');
    expect(key.startsWith(`ovk_${record.id}_`)).toBe(true);
    expect(await code(apiKeys.create('app', { role: 'reader', scope: '*', label: 'wide' }))).toBe('OV_FORBIDDEN');
    expect(apiKeys.list('app').map((r) => r.id)).toEqual([record.id]);
    expect(apiKeys.list('other')).toEqual([]);
    expect(await code(apiKeys.rotate('other', record.id))).toBe('OV_NOT_FOUND');
    expect(await code(apiKeys.delete('other', record.id))).toBe('OV_NOT_FOUND');
    expect((await apiKeys.authenticate(key)).id).toBe(record.id);
  });

  it('revokes every session of a rotated or deleted key, and the old secret stops working', async () => {
    const { key, record } = await apiKeys.create('*', { role: 'operator', label: 'ci' });
    const s1 = await open(record, 1);
    const s2 = await open(record, 2);
    expect(store.getById(s1.id, T0)).toBeDefined();
    const rotated = await apiKeys.rotate('*', record.id);
    expect(rotated.revoked).toBe(2);
    expect(store.getById(s1.id, T0)).toBeUndefined();
    expect(store.getById(s2.id, T0)).toBeUndefined();
    expect(await code(apiKeys.authenticate(key))).toBe('OV_AUTH_INVALID');
    expect((await apiKeys.authenticate(rotated.key)).id).toBe(record.id);

    const s3 = await open(rotated.record, 3);
    const deleted = await apiKeys.delete('*', record.id);
    expect(deleted.revoked).toBe(1);
    expect(store.getById(s3.id, T0)).toBeUndefined();
    expect(storage.apiKeys.get(record.id)).toBeUndefined();
  });

  it('bounds session lifetimes', () => {
    expect(sessions.ttl(undefined)).toBe(HOUR);
    expect(sessions.ttl('2h')).toBe(2 * HOUR);
    for (const bad of ['500ms', '48h', 'forever']) expect(() => sessions.ttl(bad), bad).toThrow(VaultError);
  });

  it('issues a session recorded by its token digest, and undoes it', async () => {
    const { record } = await apiKeys.create('*', { role: 'reader', label: 'r' });
    const issued = await sessions.issue(record, HOUR, (c) => {
      expect(c).toMatchObject({ sub: record.id, role: 'reader', scope: '*', iat: Math.floor(T0 / 1000), exp: Math.ceil((T0 + HOUR) / 1000) });
      return `signed.${c.jti}`;
    });
    expect(store.lookup(tokenDigest(issued.token), T0)?.id).toBe(issued.session.id);
    issued.undo();
    expect(store.lookup(tokenDigest(issued.token), T0)).toBeUndefined();
  });

  it('lets an admin revoke within its scope and anyone revoke their own', async () => {
    const admin = (await apiKeys.create('*', { role: 'admin', scope: 'app', label: 'a' })).record;
    const reader = (await apiKeys.create('*', { role: 'reader', scope: 'app/x', label: 'r' })).record;
    const outside = (await apiKeys.create('*', { role: 'reader', scope: 'other', label: 'o' })).record;
    const a = await open(admin, 1);
    const r = await open(reader, 2);
    const o = await open(outside, 3);
    expect(await code(sessions.revoke(r, a.id))).toBe('OV_FORBIDDEN');
    expect(await code(sessions.revoke(a, o.id))).toBe('OV_NOT_FOUND');
    expect((await sessions.list(a, { limit: 10 })).map((s) => s.id).sort()).toEqual([a.id, r.id].sort());
    expect((await sessions.revoke(a, r.id)).id).toBe(r.id);
    expect(store.getById(r.id, T0)).toBeUndefined();
    await sessions.end(o);
    expect(store.getById(o.id, T0)).toBeUndefined();
  });
});

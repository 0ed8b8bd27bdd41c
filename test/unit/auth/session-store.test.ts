import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MemorySessionPersistence } from '../../../src/auth/memory-persistence.js';
import {
  isSessionId,
  MAX_SESSION_TTL_MS,
  newSessionId,
  SessionStore,
  tokenDigest,
  type CreateSessionInput,
} from '../../../src/auth/session-store.js';
import { isVaultError, type ErrorCode } from '../../../src/errors.js';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

function input(token: string, over: Partial<CreateSessionInput> = {}): CreateSessionInput {
  return {
    digest: tokenDigest(token),
    apiKeyId: 'aaaaaaaaaaaaaaaa',
    role: 'operator',
    scope: 'app',
    label: 'ci',
    ttlMs: HOUR,
    now: T0,
    ...over,
  };
}

function code(fn: () => unknown): ErrorCode | 'none' | 'other' {
  try {
    fn();
    return 'none';
  } catch (e) {
    return isVaultError(e) ? e.code : 'other';
  }
}

function fresh(): { p: MemorySessionPersistence; store: SessionStore } {
  const p = new MemorySessionPersistence();
  return { p, store: new SessionStore(p) };
}

describe('tokenDigest and session ids', () => {
  it('tokenDigest is SHA-256 of the UTF-8 token', () => {
    expect(Buffer.from(tokenDigest('abc')).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(tokenDigest('abc')).toBeInstanceOf(Uint8Array);
    // Not ASCII: the digest is over the UTF-8 bytes (node hashes the string as UTF-8).
    expect(Buffer.from(tokenDigest('clé-ключ-🔑')).toString('hex')).toBe(createHash('sha256').update(Buffer.from('clé-ключ-🔑', 'utf8')).digest('hex'));
  });

  it('newSessionId gives distinct RFC 9562 version-4 UUIDs', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newSessionId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(isSessionId(id)).toBe(true);
    expect(isSessionId('00000000-0000-0000-0000-000000000000')).toBe(false);
  });
});

describe('SessionStore create and lookup', () => {
  it('finds a session by token digest and by id, and persists it', () => {
    const { p, store } = fresh();
    const { session, digest } = store.create(input('tok-1'));
    expect(digest).toEqual(tokenDigest('tok-1'));
    expect(session).toEqual({
      id: session.id,
      apiKeyId: 'aaaaaaaaaaaaaaaa',
      role: 'operator',
      scope: 'app',
      label: 'ci',
      issuedAt: T0,
      expiresAt: T0 + HOUR,
    });
    expect(isSessionId(session.id)).toBe(true);
    expect(store.lookup(tokenDigest('tok-1'), T0 + 1)).toBe(session);
    expect(store.getById(session.id, T0 + 1)).toBe(session);
    expect(store.lookup(tokenDigest('tok-2'), T0 + 1)).toBeUndefined();
    expect(store.lookup(new Uint8Array(31), T0)).toBeUndefined();
    expect(store.size).toBe(1);
    expect(p.count()).toBe(1);
    const [row] = [...p.loadAll()];
    expect(row).toEqual({ ...session, digest: tokenDigest('tok-1') });
  });

  it('hands out frozen sessions that serialise without any digest', () => {
    const { store } = fresh();
    const { session } = store.create(input('tok'));
    expect(Object.isFrozen(session)).toBe(true);
    expect(Object.keys(session).sort()).toEqual(['apiKeyId', 'expiresAt', 'id', 'issuedAt', 'label', 'role', 'scope']);
    const json = JSON.stringify(session);
    expect(json).not.toContain(Buffer.from(tokenDigest('tok')).toString('base64'));
    expect(() => {
      (session as { expiresAt: number }).expiresAt = Infinity;
    }).toThrow(TypeError);
    expect(store.lookup(tokenDigest('tok'), T0 + 2 * HOUR)).toBeUndefined();
  });

  it('accepts a pre-allocated id', () => {
    const { store } = fresh();
    const id = newSessionId();
    expect(store.create(input('t', { id })).session.id).toBe(id);
    expect(store.getById(id, T0)?.id).toBe(id);
  });

  it('treats a session as dead from the instant of expiry, and drops it lazily', () => {
    const { p, store } = fresh();
    const { session } = store.create(input('tok', { ttlMs: 1000 }));
    expect(store.lookup(tokenDigest('tok'), T0 + 999)).toBe(session);
    expect(store.getById(session.id, T0 + 1000)).toBeUndefined();
    expect(store.lookup(tokenDigest('tok'), T0 + 1000)).toBeUndefined();
    expect(store.size).toBe(0);
    // The row waits for sweep(): the request path never writes to disk.
    expect(p.count()).toBe(1);
    expect(store.sweep(T0 + 1000)).toBe(0);
    expect(p.count()).toBe(0);
  });

  it('rejects bad input with OV_INVALID_ARGUMENT and changes nothing', () => {
    const { p, store } = fresh();
    store.create(input('existing'));
    const existingId = store.list({ now: T0 })[0]!.id;
    const bad: Array<Partial<CreateSessionInput>> = [
      { digest: new Uint8Array(31) },
      { digest: new Uint8Array(33) },
      { digest: 'x'.repeat(32) as unknown as Uint8Array },
      { ttlMs: 0 },
      { ttlMs: -1 },
      { ttlMs: 1.5 },
      { ttlMs: MAX_SESSION_TTL_MS + 1 },
      { role: 'root' as 'admin' },
      { scope: '' },
      { scope: 'app/../x' },
      { apiKeyId: '' },
      { now: Number.NaN },
      { id: 'not-a-uuid' },
      { id: existingId },
      { digest: tokenDigest('existing') },
    ];
    for (const over of bad) {
      expect(code(() => store.create(input('new', over))), JSON.stringify(Object.keys(over))).toBe('OV_INVALID_ARGUMENT');
    }
    expect(store.size).toBe(1);
    expect(p.count()).toBe(1);
    expect(store.lookup(tokenDigest('new'), T0)).toBeUndefined();
    expect(store.create(input('max', { ttlMs: MAX_SESSION_TTL_MS })).session.expiresAt).toBe(T0 + MAX_SESSION_TTL_MS);
  });

  it('makes nothing visible when the persistence refuses the write', () => {
    const p = new MemorySessionPersistence();
    // A row the in-memory indexes do not know (written by another store over the same persistence).
    new SessionStore(p).create(input('dup'));
    const store = new SessionStore(p);
    expect(code(() => store.create(input('dup')))).toBe('OV_STORAGE_CONSTRAINT');
    expect(store.size).toBe(0);
    expect(store.lookup(tokenDigest('dup'), T0)).toBeUndefined();
    expect(store.list({ now: T0 })).toEqual([]);
    expect(p.count()).toBe(1);
  });
});

describe('SessionStore revocation', () => {
  it('revokeById removes the session everywhere at once', () => {
    const { p, store } = fresh();
    const a = store.create(input('a')).session;
    const b = store.create(input('b')).session;
    expect(store.revokeById(a.id)).toBe(true);
    expect(store.lookup(tokenDigest('a'), T0)).toBeUndefined();
    expect(store.getById(a.id, T0)).toBeUndefined();
    expect(store.list({ now: T0 }).map((s) => s.id)).toEqual([b.id]);
    expect(store.size).toBe(1);
    expect(p.count()).toBe(1);
    expect(store.lookup(tokenDigest('b'), T0)).toBe(b);
    expect(store.revokeById(a.id)).toBe(false);
  });

  it('revoking an unknown id returns false and changes nothing', () => {
    const { p, store } = fresh();
    const a = store.create(input('a')).session;
    expect(store.revokeById(newSessionId())).toBe(false);
    expect(store.revokeById('')).toBe(false);
    expect(store.size).toBe(1);
    expect(p.count()).toBe(1);
    expect(store.lookup(tokenDigest('a'), T0)).toBe(a);
  });

  it('revokeAllForKey removes exactly the sessions that key opened', () => {
    const { p, store } = fresh();
    for (let i = 0; i < 3; i++) store.create(input(`k1-${i}`, { apiKeyId: 'key1' }));
    const others = [0, 1].map((i) => store.create(input(`k2-${i}`, { apiKeyId: 'key2' })).session);
    expect(store.revokeAllForKey('key1')).toBe(3);
    for (let i = 0; i < 3; i++) expect(store.lookup(tokenDigest(`k1-${i}`), T0)).toBeUndefined();
    expect(store.list({ now: T0 })).toEqual(others);
    expect(store.list({ now: T0, apiKeyId: 'key1' })).toEqual([]);
    expect(store.list({ now: T0, apiKeyId: 'key2' })).toEqual(others);
    expect(p.count()).toBe(2);
    expect(store.revokeAllForKey('key1')).toBe(0);
    expect(store.revokeAllForKey('nobody')).toBe(0);
    expect(store.size).toBe(2);
    // The key can open new sessions afterwards.
    expect(store.lookup(store.create(input('k1-new', { apiKeyId: 'key1' })).digest, T0)?.apiKeyId).toBe('key1');
  });
});

describe('SessionStore listing (two-tier visibility)', () => {
  it('a scoped admin sees sessions within its scope; the daemon admin sees all', () => {
    const { store } = fresh();
    const scopes = ['*', 'app', 'app/db', 'apple', 'apple/x', 'ops', 'app/db/replica'];
    const byScope = new Map(scopes.map((scope, i) => [scope, store.create(input(`t${i}`, { scope })).session]));
    store.create(input('expired', { scope: 'app/db', ttlMs: 10 }));
    const now = T0 + 100;
    const ids = (scope: string | undefined): string[] =>
      store.list(scope === undefined ? { now } : { now, scope }).map((s) => s.scope).sort();
    expect(ids('*')).toEqual([...scopes].sort());
    expect(ids(undefined)).toEqual([...scopes].sort());
    expect(ids('app')).toEqual(['app', 'app/db', 'app/db/replica']);
    expect(ids('app/db')).toEqual(['app/db', 'app/db/replica']);
    expect(ids('apple')).toEqual(['apple', 'apple/x']);
    expect(ids('nothing')).toEqual([]);
    expect(ids('')).toEqual([]); // an invalid scope sees nothing
    expect(store.list({ now, scope: '*', limit: 2 })).toEqual([byScope.get('*'), byScope.get('app')]);
    expect(store.list({ now, limit: 0 })).toEqual([]);
  });
});

describe('SessionStore sweep', () => {
  it('removes exactly the expired sessions from memory and persistence', () => {
    const { p, store } = fresh();
    const ttls = [5000, 1000, 3000, 1000, 2000, 4000];
    const sessions = ttls.map((ttlMs, i) => store.create(input(`s${i}`, { ttlMs })).session);
    store.revokeById(sessions[4]!.id); // revoked sessions are skipped, not counted again
    expect(store.sweep(T0 + 999)).toBe(0);
    expect(store.sweep(T0 + 1000)).toBe(2);
    expect(store.size).toBe(3);
    expect(p.count()).toBe(3);
    expect(store.sweep(T0 + 3500)).toBe(1);
    expect(store.list({ now: T0 + 3500 }).map((s) => s.expiresAt - T0)).toEqual([5000, 4000]);
    expect(store.sweep(T0 + 10_000)).toBe(2);
    expect(store.size).toBe(0);
    expect(p.count()).toBe(0);
  });

  it('keeps expiry order through many creates and revocations', () => {
    const { store } = fresh();
    const ids: string[] = [];
    for (let i = 0; i < 3000; i++) ids.push(store.create(input(`m${i}`, { ttlMs: 1 + ((i * 7919) % 1000) })).session.id);
    // Revoke three quarters: enough to make the expiry heap compact itself.
    for (let i = 0; i < 3000; i++) if (i % 4 !== 0) store.revokeById(ids[i]!);
    let remaining = store.size;
    expect(remaining).toBe(750);
    for (let t = 0; t <= 1000; t += 50) {
      const alive = store.list({ now: T0 + t }).length;
      expect(store.sweep(T0 + t)).toBe(remaining - alive);
      remaining = alive;
      expect(store.size).toBe(alive);
    }
    expect(store.size).toBe(0);
  });
});

describe('SessionStore.load after a restart', () => {
  it('keeps valid sessions, drops expired ones, and deletes those from the persistence', () => {
    const p = new MemorySessionPersistence();
    const before = new SessionStore(p);
    const keep = before.create(input('keep', { ttlMs: 10 * HOUR })).session;
    before.create(input('short', { ttlMs: 1000 }));
    const revoked = before.create(input('revoked', { ttlMs: 10 * HOUR })).session;
    before.revokeById(revoked.id);
    const other = before.create(input('other', { apiKeyId: 'key2', scope: '*', role: 'admin', ttlMs: 2 * HOUR })).session;

    const after = SessionStore.load(p, T0 + HOUR);
    expect(after.loadReport).toEqual({ loaded: 2, expired: 1, invalid: 0 });
    expect(after.size).toBe(2);
    expect(p.count()).toBe(2);
    expect(after.lookup(tokenDigest('keep'), T0 + HOUR)).toEqual(keep);
    expect(after.getById(other.id, T0 + HOUR)).toEqual(other);
    expect(after.lookup(tokenDigest('short'), T0 + HOUR)).toBeUndefined();
    expect(after.lookup(tokenDigest('revoked'), T0 + HOUR)).toBeUndefined();
    expect(after.list({ now: T0 + HOUR, scope: 'app' })).toEqual([keep]);

    // Indexes are rebuilt too: revoke-all and sweep work on loaded sessions.
    expect(after.revokeAllForKey('key2')).toBe(1);
    const third = SessionStore.load(p, T0 + HOUR);
    expect(third.size).toBe(1);
    expect(third.sweep(T0 + 10 * HOUR)).toBe(1);
    expect(p.count()).toBe(0);
  });

  it('skips rows that break the invariants', () => {
    const p = new MemorySessionPersistence();
    new SessionStore(p).create(input('good'));
    const base = { apiKeyId: 'k', scope: 'app', label: 'l', issuedAt: T0, expiresAt: T0 + HOUR };
    p.insert({ ...base, id: newSessionId(), digest: tokenDigest('r1'), role: 'root' as 'admin' });
    p.insert({ ...base, id: newSessionId(), digest: tokenDigest('r2'), role: 'reader', scope: '../x' });
    p.insert({ ...base, id: 'not-a-uuid', digest: tokenDigest('r3'), role: 'reader' });
    const store = SessionStore.load(p, T0);
    expect(store.loadReport).toEqual({ loaded: 1, expired: 0, invalid: 3 });
    expect(store.lookup(tokenDigest('good'), T0)).toBeDefined();
    expect(store.lookup(tokenDigest('r1'), T0)).toBeUndefined();
    expect(store.lookup(tokenDigest('r2'), T0)).toBeUndefined();
  });
});

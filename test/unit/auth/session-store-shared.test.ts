/**
 * The session store over a persistence another daemon writes too: a session found only in
 * the persistence is adopted, a miss is not remembered, and another daemon's revocation
 * (forget, forgetKey) drops sessions from memory without touching the rows.
 */
import { describe, expect, it } from 'vitest';
import { MemorySessionPersistence } from '../../../src/auth/memory-persistence.js';
import { SessionStore, tokenDigest, type CreateSessionInput } from '../../../src/auth/session-store.js';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;

function input(token: string, over: Partial<CreateSessionInput> = {}): CreateSessionInput {
  return { digest: tokenDigest(token), apiKeyId: 'key-a', role: 'operator', scope: 'app', label: 'ci', ttlMs: HOUR, now: T0, ...over };
}

/** Two daemons' stores over one persistence. */
function pair(): { p: MemorySessionPersistence; a: SessionStore; b: SessionStore } {
  const p = new MemorySessionPersistence();
  return { p, a: new SessionStore(p), b: new SessionStore(p) };
}

describe('SessionStore shared by daemons', () => {
  it('lookupShared adopts a session another daemon created; lookup alone does not see it', () => {
    const { a, b } = pair();
    const { session } = a.create(input('t1'));
    expect(b.lookup(tokenDigest('t1'), T0 + 1)).toBeUndefined();
    expect(b.lookupShared(tokenDigest('t1'), T0 + 1)).toEqual(session);
    // Now in memory: the plain lookup finds it, and so does the id index.
    expect(b.lookup(tokenDigest('t1'), T0 + 2)).toEqual(session);
    expect(b.getById(session.id, T0 + 2)).toEqual(session);
    expect(b.size).toBe(1);
  });

  it('getByIdShared finds by id a session another daemon created, which can then be revoked here', () => {
    const { p, a, b } = pair();
    const { session } = a.create(input('t5'));
    expect(b.getById(session.id, T0)).toBeUndefined();
    expect(b.getByIdShared(session.id, T0)).toEqual(session);
    expect(b.getByIdShared('not-an-id', T0)).toBeUndefined();
    expect(b.revokeById(session.id)).toBe(true);
    expect(p.count()).toBe(0);
    expect(b.getByIdShared(session.id, T0)).toBeUndefined();
  });

  it('does not remember a miss: a session created a moment later is found', () => {
    const { a, b } = pair();
    expect(b.lookupShared(tokenDigest('t2'), T0)).toBeUndefined();
    a.create(input('t2'));
    expect(b.lookupShared(tokenDigest('t2'), T0 + 1)?.apiKeyId).toBe('key-a');
  });

  it('refuses an expired row and a malformed digest, and adopts nothing then', () => {
    const { a, b } = pair();
    a.create(input('t3', { ttlMs: 1000 }));
    expect(b.lookupShared(tokenDigest('t3'), T0 + 1000)).toBeUndefined();
    expect(b.lookupShared(new Uint8Array(31), T0)).toBeUndefined();
    expect(b.size).toBe(0);
  });

  it('forget drops one session from memory only; the row is the revoking daemon\'s to delete', () => {
    const { p, a, b } = pair();
    const { session } = a.create(input('t4'));
    b.lookupShared(tokenDigest('t4'), T0);
    expect(b.forget(session.id)).toBe(true);
    expect(b.forget(session.id)).toBe(false);
    expect(b.lookup(tokenDigest('t4'), T0)).toBeUndefined();
    expect(p.count()).toBe(1);
    // Once the revoking daemon deleted the row, the token is gone everywhere.
    a.revokeById(session.id);
    expect(b.lookupShared(tokenDigest('t4'), T0)).toBeUndefined();
  });

  it("forgetKey drops every session of one key from memory and leaves other keys' sessions", () => {
    const { a, b } = pair();
    a.create(input('k1'));
    a.create(input('k2'));
    const other = a.create(input('k3', { apiKeyId: 'key-b' })).session;
    for (const t of ['k1', 'k2', 'k3']) b.lookupShared(tokenDigest(t), T0);
    expect(b.forgetKey('key-a')).toBe(2);
    expect(b.lookup(tokenDigest('k1'), T0)).toBeUndefined();
    expect(b.lookup(tokenDigest('k2'), T0)).toBeUndefined();
    expect(b.lookup(tokenDigest('k3'), T0)).toEqual(other);
    expect(b.forgetAll()).toBe(1);
    expect(b.size).toBe(0);
  });
});

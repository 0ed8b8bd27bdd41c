/**
 * Verified reads: a repeat read answered without touching storage, and every way it must
 * stop being answered that way. Each case first makes a read remembered, then changes the
 * secret tables (through the service, behind its back through the store, or from another
 * connection) or seals, and checks the next read sees the change. A real vault on a real
 * SQLite file.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isVaultError } from '../../../src/errors.js';
import { ReadCache, rewrap, type SecretService } from '../../../src/secrets/index.js';
import { openRawDb } from '../../helpers/raw-sqlite.js';
import { makeVault, unseal, type TestVault } from '../http/helpers.js';

const text = (b: Uint8Array): string => Buffer.from(b).toString('utf8');
/** The store asks SQLite about other connections' commits once per event-loop turn. */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (isVaultError(e)) return e.code;
    throw e;
  }
  return 'ok';
}

describe('verified reads', () => {
  let v: TestVault;
  let svc: SecretService;

  beforeAll(async () => {
    v = await makeVault();
    await unseal(v);
    svc = v.vault.secrets;
    expect(svc.cache.enabled).toBe(true);
  });
  afterAll(async () => {
    await v.cleanup();
  });

  /** Writes `value`, reads it twice (the second read is a remembered one) and checks both. */
  const remembered = (path: string, value: string, version?: number): void => {
    svc.put(path, { kind: 'data', data: { v: value } });
    expect(text(svc.get(path, version).plaintext)).toBe(`{"v":"${value}"}`);
    const before = svc.cache.reads;
    expect(text(svc.get(path, version).plaintext)).toBe(`{"v":"${value}"}`);
    expect(svc.cache.reads).toBe(before);
    expect(svc.cache.reads).toBeGreaterThan(0);
  };

  it('answers a repeat read from memory, for the latest and for a numbered version', () => {
    remembered('vr/a', 'one');
    const r = svc.get('vr/a', 1);
    expect(r).toMatchObject({ path: 'vr/a', version: 1, kind: 'data' });
    expect(svc.get('vr/a', 1)).toMatchObject({ path: 'vr/a', version: 1, kind: 'data' });
  });

  it('a new version moves "latest" at once (no entry is evicted by a write: only the change mark tells)', () => {
    remembered('vr/b', 'one');
    svc.put('vr/b', { kind: 'data', data: { v: 'two' } });
    const r = svc.get('vr/b');
    expect(r.version).toBe(2);
    expect(text(r.plaintext)).toBe('{"v":"two"}');
    expect(text(svc.get('vr/b', 1).plaintext)).toBe('{"v":"one"}');
  });

  it('a change made behind the service, through the store, is seen by the next read', () => {
    remembered('vr/c', 'one');
    v.storage.secrets.setDeleted('vr/c', 1, 5);
    expect(code(() => svc.get('vr/c'))).toBe('OV_SECRET_DELETED');
    v.storage.secrets.setDeleted('vr/c', 1, null);
    expect(text(svc.get('vr/c').plaintext)).toBe('{"v":"one"}');
    v.storage.secrets.destroyVersion('vr/c', 1);
    expect(code(() => svc.get('vr/c'))).toBe('OV_SECRET_DESTROYED');
  });

  it('delete, undelete, destroy, destroy-all and pruning through the service', () => {
    remembered('vr/d', 'one');
    svc.delete('vr/d');
    expect(code(() => svc.get('vr/d'))).toBe('OV_SECRET_DELETED');
    svc.undelete('vr/d', [1]);
    expect(text(svc.get('vr/d').plaintext)).toBe('{"v":"one"}');
    expect(text(svc.get('vr/d').plaintext)).toBe('{"v":"one"}');
    svc.destroy('vr/d', [1]);
    expect(code(() => svc.get('vr/d'))).toBe('OV_SECRET_DESTROYED');

    remembered('vr/e', 'one');
    svc.put('vr/e', { kind: 'data', data: { v: 'two' } });
    expect(svc.get('vr/e', 1).version).toBe(1);
    svc.putMetadata('vr/e', { maxVersions: 1 }, 'admin');
    expect(code(() => svc.get('vr/e', 1))).toBe('OV_SECRET_NOT_FOUND');
    svc.destroyAll('vr/e');
    expect(code(() => svc.get('vr/e'))).toBe('OV_SECRET_NOT_FOUND');
  });

  it('another connection editing the row makes the next read (from the next event-loop turn) open it again and fail', async () => {
    remembered('vr/f', 'one');
    const db = openRawDb(join(v.dir, 'vault.db'));
    try {
      const original = db.prepare<[], { envelope: Uint8Array }>("SELECT envelope FROM secret_versions WHERE path = 'vr/f'").get()?.envelope as Uint8Array;
      const edited = Uint8Array.from(original);
      edited[edited.length - 1] = (edited[edited.length - 1] ?? 0) ^ 1;
      db.prepare("UPDATE secret_versions SET envelope = ? WHERE path = 'vr/f'").run(edited);
      await turn();
      expect(code(() => svc.get('vr/f'))).toBe('OV_SECRET_UNREADABLE');
      db.prepare("UPDATE secret_versions SET envelope = ? WHERE path = 'vr/f'").run(original);
      await turn();
      expect(text(svc.get('vr/f').plaintext)).toBe('{"v":"one"}');
    } finally {
      db.close();
    }
  });

  it('a rewrap replaces the envelope: the next read opens the new one', () => {
    remembered('vr/g', 'one');
    const before = v.storage.secrets.getVersion('vr/g', 1)?.envelope as Uint8Array;
    v.storage.secrets.replaceEnvelope('vr/g', 1, before, before.slice(0, before.length - 1), 1);
    expect(code(() => svc.get('vr/g'))).toBe('OV_SECRET_UNREADABLE');
    // The real rewrap (nothing stale here) leaves a good row readable.
    v.storage.secrets.replaceEnvelope('vr/g', 1, before.slice(0, before.length - 1), before, 1);
    rewrap(svc);
    expect(text(svc.get('vr/g').plaintext)).toBe('{"v":"one"}');
  });

  it('sealing forgets every remembered read with the plaintexts', async () => {
    remembered('vr/h', 'one');
    const held = svc.get('vr/h').plaintext;
    v.vault.seal.seal();
    expect(svc.cache.reads).toBe(0);
    expect(svc.cache.size).toBe(0);
    expect([...held].every((x) => x === 0)).toBe(true);
    expect(code(() => svc.get('vr/h'))).toBe('OV_SEALED');
    await unseal(v);
    expect(text(svc.get('vr/h').plaintext)).toBe('{"v":"one"}');
  });
});

describe('ReadCache verified reads', () => {
  const b = (path: string, version = 1) => ({ path, version, kind: 'data' as const });
  const env = Uint8Array.of(1, 2, 3);
  const keyring = {};

  it('recalls only under the same mark and keyring, and never past its entry', () => {
    const c = new ReadCache(10_000);
    c.set(b('a'), env, Uint8Array.of(7));
    c.remember(ReadCache.readKey('a', undefined), 1, keyring, b('a'), 99);
    expect(c.recall(ReadCache.readKey('a', undefined), 1, keyring)).toMatchObject({ binding: b('a'), createdAt: 99 });
    expect(c.recall(ReadCache.readKey('a', 1), 1, keyring)).toBeUndefined();
    expect(c.recall(ReadCache.readKey('a', undefined), 1, {})).toBeUndefined();
    // A miss for another keyring or mark forgets the read.
    expect(c.reads).toBe(0);
    c.remember(ReadCache.readKey('a', undefined), 1, keyring, b('a'), 99);
    expect(c.recall(ReadCache.readKey('a', undefined), 2, keyring)).toBeUndefined();
    c.remember(ReadCache.readKey('a', 1), 2, keyring, b('a'), 99);
    c.evict('a', 1);
    expect(c.reads).toBe(0);
    expect(c.recall(ReadCache.readKey('a', 1), 2, keyring)).toBeUndefined();
  });

  it('nothing is remembered for a value too large to cache, and LRU eviction takes the reads along', () => {
    const c = new ReadCache(1000);
    c.remember('big', 1, keyring, b('big'), 1);
    expect(c.reads).toBe(0);
    c.set(b('x'), env, new Uint8Array(500));
    c.remember('x', 1, keyring, b('x'), 1);
    expect(c.reads).toBe(1);
    c.set(b('y'), env, new Uint8Array(500)); // evicts x
    expect(c.size).toBe(1);
    expect(c.reads).toBe(0);
    expect(c.recall('x', 1, keyring)).toBeUndefined();
  });
});

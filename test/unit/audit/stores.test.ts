/**
 * The storage side of migration 2 (KeyringStore, AuditStore in src/storage/sqlite.ts) on
 * real files: round trips, constraint refusals that change nothing, paging of the audit
 * scan across page boundaries, and the chain verified across them.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, verifyAudit } from '../../../src/audit/index.js';
import { selectProvider } from '../../../src/crypto/provider.js';
import { VaultError } from '../../../src/errors.js';
import { openStorage, type SqliteStorageHandle } from '../../../src/storage/sqlite.js';
import type { AuditEntryRecord, KeyringKeyRecord } from '../../../src/storage/types.js';
import { tempDir, thrown } from '../storage/helpers.js';

function expectConstraint(fn: () => unknown): void {
  const e = thrown(fn);
  expect(e).toBeInstanceOf(VaultError);
  expect((e as VaultError).code).toBe('OV_STORAGE_CONSTRAINT');
}

const key = (over: Partial<KeyringKeyRecord> = {}): KeyringKeyRecord => ({
  name: 'token',
  version: 1,
  alg: 'HMAC-SHA256',
  keyId: new Uint8Array(16).fill(7),
  publicKey: null,
  wrappedSecret: Uint8Array.from([1, 2, 3]),
  createdAt: 1_700_000_000_000,
  ...over,
});

const row = (seq: number, over: Partial<AuditEntryRecord> = {}): AuditEntryRecord => ({
  seq,
  time: 1_700_000_000_000 + seq,
  entry: `{"seq":${seq}}`,
  hash: new Uint8Array(32).fill(seq),
  ...over,
});

describe('keyring and audit stores', () => {
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

  it('keyring: stores keys and policies, returns plain Uint8Arrays, across a reopen', () => {
    s.keyring.putPolicy({ name: 'token', latestVersion: 1, minDecryptVersion: 1 });
    s.keyring.insertKey(key());
    s.keyring.putPolicy({ name: 'kem', latestVersion: 1, minDecryptVersion: 1 });
    s.keyring.insertKey(key({ name: 'kem', alg: 'X-Wing', publicKey: Uint8Array.from([9, 9]) }));
    s.close();
    s = openStorage(file);
    expect(s.keyring.listPolicies().map((p) => p.name)).toEqual(['kem', 'token']);
    const got = s.keyring.getKey('token', 1)!;
    expect(got).toEqual(key());
    expect(Buffer.isBuffer(got.keyId)).toBe(false);
    expect(s.keyring.getKey('kem', 1)!.publicKey).toEqual(Uint8Array.from([9, 9]));
    expect(s.keyring.getKey('kem', 2)).toBeUndefined();
    expect(s.keyring.listKeys().map((k) => `${k.name}/${k.version}`)).toEqual(['kem/1', 'token/1']);
    s.keyring.putPolicy({ name: 'token', latestVersion: 3, minDecryptVersion: 2 });
    expect(s.keyring.getPolicy('token')).toEqual({ name: 'token', latestVersion: 3, minDecryptVersion: 2 });
  });

  it('keyring: refuses duplicates, orphans, bad key ids and out-of-range policies, changing nothing', () => {
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
    expect(s.keyring.clear()).toBe(1);
    expect(s.keyring.listKeys()).toEqual([]);
    expect(s.keyring.listPolicies()).toEqual([]);
  });

  it('audit: appends, reads head, last, get and count; refuses duplicates and bad hashes', () => {
    expect(s.audit.head()).toBeUndefined();
    expect(s.audit.last()).toBeUndefined();
    expect(s.audit.lastCheckpointSeq()).toBe(0);
    s.audit.append(row(1));
    s.audit.append(row(2));
    expect(s.audit.head()).toEqual({ seq: 2, hash: row(2).hash });
    expect(s.audit.last()).toEqual(row(2));
    expect(s.audit.get(1)).toEqual(row(1));
    expectConstraint(() => s.audit.append(row(2)));
    expectConstraint(() => s.audit.append(row(3, { hash: new Uint8Array(31) })));
    expectConstraint(() => s.audit.append(row(0)));
    expect(s.audit.count()).toBe(2);
    const cp = { seq: 2, hash: row(2).hash, alg: 'ML-DSA-65', keyVersion: 1, signature: Uint8Array.from([5]), time: 1 };
    s.audit.insertCheckpoint(cp);
    expectConstraint(() => s.audit.insertCheckpoint(cp));
    expect(s.audit.checkpoints()).toEqual([cp]);
    expect(s.audit.lastCheckpoint()).toEqual(cp);
    expect(s.audit.lastCheckpointSeq()).toBe(2);
  });

  it('audit: entries() pages through every row in order across page boundaries, from any seq', () => {
    const n = 2050;
    s.transaction(() => {
      for (let i = 1; i <= n; i++) s.audit.append(row(i, { hash: new Uint8Array(32) }));
    });
    const seqs = [...s.audit.entries()].map((r) => r.seq);
    expect(seqs).toHaveLength(n);
    expect(seqs.every((v, i) => v === i + 1)).toBe(true);
    expect([...s.audit.entries(1024)].map((r) => r.seq).slice(0, 2)).toEqual([1024, 1025]);
    expect([...s.audit.entries(n)].map((r) => r.seq)).toEqual([n]);
    expect([...s.audit.entries(n + 1)]).toEqual([]);
    // The connection is usable between rows: an append during the scan works.
    let appended = false;
    for (const r of s.audit.entries()) {
      if (r.seq === 5 && !appended) {
        s.audit.append(row(n + 1, { hash: new Uint8Array(32) }));
        appended = true;
      }
    }
    expect(s.audit.count()).toBe(n + 1);
  });

  it('verifyAudit checks a chain longer than one page', () => {
    let t = 0;
    const log = new AuditLog(s, { hmacKey: () => undefined, signer: () => undefined, provider: selectProvider(), now: () => t++ });
    s.transaction(() => {
      for (let i = 0; i < 2100; i++) log.append({ type: 'sys', detail: { i } });
    });
    expect(verifyAudit(s, [], selectProvider())).toMatchObject({ ok: true, entries: 2100, checkpoints: 0, lastSeq: 2100, coveredThrough: 0 });
  });
});

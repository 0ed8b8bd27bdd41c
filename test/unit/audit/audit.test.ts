/**
 * The audit log on real SQLite files: entry format and chain (checked against an
 * independent SHA-256 / HMAC), checkpoints every N entries and on demand, signed by the
 * keyring's `sign` key, and verifyAudit naming the first problem after direct SQL edits:
 * a modified entry, a deleted row, swapped rows, a consistent rewrite, a cut tail, a forged
 * checkpoint. Fail-closed appends (closed database, invalid events) write nothing.
 */
import { join } from 'node:path';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';
import { editAuditEntry as editEntry, openRawDb, type RawDb } from '../../helpers/raw-sqlite.js';
import { decodeAuditEntry } from '../../../src/storage/audit-codec.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, CHECKPOINT_CONTEXT, MAX_FIELD_CHARS, TRUNCATED_MARK, entryHash, verifyAudit, type AuditEvent } from '../../../src/audit/index.js';
import { randomBytes } from '../../../src/crypto/bytes.js';
import { selectProvider } from '../../../src/crypto/provider.js';
import type { SecretKeyInfo } from '../../../src/envelope/keys.js';
import { decodeDetached } from '../../../src/envelope/signature.js';
import { VaultError, type ErrorCode } from '../../../src/errors.js';
import { Keyring, keyringPublicKeys } from '../../../src/keyring/index.js';
import { openStorage, type SqliteStorageHandle } from '../../../src/storage/sqlite.js';
import { tempDir } from '../storage/helpers.js';

const provider = selectProvider();
const T0 = 1_700_000_000_000;

function expectCode(fn: () => unknown, code: ErrorCode): VaultError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(VaultError);
  expect((caught as VaultError).code).toBe(code);
  return caught as VaultError;
}

function event(i: number): AuditEvent {
  return { type: 'request', method: 'GET', path: `/v1/secrets/app/${i}`, status: 200, session: `sess-${i % 7}`, apiKey: 'k1', remote: '127.0.0.1' };
}

function u64(n: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt(n));
  return b;
}

describe('AuditLog and verifyAudit', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;
  let storage: SqliteStorageHandle;
  let keyring: Keyring;
  let clock: number;
  let sealed: boolean;

  function makeLog(checkpointEvery?: number): AuditLog {
    return new AuditLog(storage, {
      hmacKey: () => (sealed ? undefined : keyring.secret('audit').key),
      signer: (): SecretKeyInfo | undefined => (sealed ? undefined : keyring.current('sign')),
      provider,
      now: () => clock++,
      ...(checkpointEvery === undefined ? {} : { checkpointEvery }),
    });
  }

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    file = join(dir, 'vault.db');
    storage = openStorage(file);
    keyring = Keyring.create(storage, provider, randomBytes(32), { now: T0 });
    clock = T0;
    sealed = false;
  });
  afterEach(() => {
    keyring.wipe();
    storage.close();
    cleanup();
  });

  const verify = (): ReturnType<typeof verifyAudit> => verifyAudit(storage, keyringPublicKeys(storage), provider);

  /** Runs SQL on a raw connection to the closed file, triggers dropped: an attacker with the file. */
  function tamper(fn: (db: RawDb) => void): void {
    storage.close();
    const db = openRawDb(file);
    try {
      for (const t of ['audit_log_no_update', 'audit_log_no_delete', 'audit_checkpoints_no_update', 'audit_checkpoints_no_delete']) db.exec(`DROP TRIGGER IF EXISTS ${t}`);
      fn(db);
    } finally {
      db.close();
    }
    storage = openStorage(file, { readonly: true });
  }

  /** n appends; in one outer transaction (savepoints) so the suite does not wait for n fsyncs. */
  function fill(log: AuditLog, n: number): void {
    storage.transaction(() => {
      for (let i = 0; i < n; i++) log.append(event(i));
    });
  }

  it('writes canonical entries chained with SHA-256(label || u64 seq || prev || entry)', () => {
    const log = makeLog();
    expect(log.append({ type: 'request', status: 200, path: '/v1/sys/health', method: 'GET', remote: '127.0.0.1', detail: { z: 1, a: true } })).toBe(1);
    expect(log.append({ type: 'sys', detail: { event: 'unseal' } })).toBe(2);
    const [e1, e2] = [...storage.audit.entries()];
    expect(e1!.entry).toBe(`{"detail":{"a":true,"z":1},"method":"GET","path":"/v1/sys/health","remote":"127.0.0.1","seq":1,"status":200,"time":${T0},"type":"request"}`);
    expect(e2!.entry).toBe(`{"detail":{"event":"unseal"},"seq":2,"time":${T0 + 1},"type":"sys"}`);
    expect(e1!.time).toBe(T0);
    const label = new TextEncoder().encode('ontoref-vault/audit/v1');
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    const h1 = nobleSha256(new Uint8Array([...label, ...u64(1), ...new Uint8Array(32), ...enc(e1!.entry)]));
    expect(e1!.hash).toEqual(h1);
    expect(e2!.hash).toEqual(nobleSha256(new Uint8Array([...label, ...u64(2), ...h1, ...enc(e2!.entry)])));
    expect(entryHash(2, h1, e2!.entry)).toEqual(e2!.hash);
    expect(verify()).toMatchObject({ ok: true, entries: 2, checkpoints: 0, lastSeq: 2, coveredThrough: 0 });
  });

  it('HMACs sensitive values with the audit key, and redacts them while sealed', () => {
    const log = makeLog();
    const expected = Buffer.from(nobleHmac(nobleSha256, keyring.secret('audit').key, new TextEncoder().encode('ovk_abc'))).toString('hex');
    expect(log.hmac('ovk_abc')).toBe(`hmac-sha256:${expected}`);
    expect(log.hmac('ovk_abd')).not.toBe(log.hmac('ovk_abc'));
    sealed = true;
    expect(log.hmac('ovk_abc')).toBe('redacted');
  });

  it('cuts oversized strings with a mark instead of refusing the entry', () => {
    const log = makeLog();
    log.append({ type: 'request', path: '/'.repeat(MAX_FIELD_CHARS + 10), detail: { why: 'x'.repeat(5000) } });
    const parsed = JSON.parse(storage.audit.get(1)!.entry) as { path: string; detail: { why: string } };
    expect(parsed.path).toBe('/'.repeat(MAX_FIELD_CHARS) + TRUNCATED_MARK);
    expect(parsed.detail.why).toHaveLength(MAX_FIELD_CHARS + TRUNCATED_MARK.length);
    expect(verify().ok).toBe(true);
  });

  it('records a detail key named __proto__ as data', () => {
    const log = makeLog();
    log.append(JSON.parse('{"type":"auth","detail":{"__proto__":"x","b":2}}') as AuditEvent);
    expect(storage.audit.get(1)!.entry).toBe(`{"detail":{"__proto__":"x","b":2},"seq":1,"time":${T0},"type":"auth"}`);
  });

  it('refuses invalid events with OV_AUDIT_FAILED and writes nothing', () => {
    const log = makeLog();
    log.append(event(0));
    const bad: unknown[] = [
      { type: 'other' },
      { type: 'request', token: 'secret' },
      { type: 'request', status: 200.5 },
      { type: 'request', path: 42 },
      { type: 'request', detail: { nested: { a: 1 } } },
      { type: 'request', detail: { 'bad key': 1 } },
      { type: 'request', detail: { n: Number.NaN } },
      { type: 'request', detail: [] },
      null,
    ];
    for (const b of bad) {
      const e = expectCode(() => log.append(b as AuditEvent), 'OV_AUDIT_FAILED');
      expect(e.status).toBe(500);
      expect(e.message).toBe('audit log could not be written');
    }
    expect(storage.audit.count()).toBe(1);
  });

  it('fails closed with OV_AUDIT_FAILED when the database is closed', () => {
    const log = makeLog();
    log.append(event(0));
    storage.close();
    const e = expectCode(() => log.append(event(1)), 'OV_AUDIT_FAILED');
    expect(e.detail).toMatchObject({ reason: 'storage' });
    expectCode(() => log.checkpoint(), 'OV_AUDIT_FAILED');
    storage = openStorage(file);
    expect(storage.audit.count()).toBe(1);
    expect(verify().ok).toBe(true);
  });

  it('fails closed when the database refuses the write (read-only), and the chain stays intact', () => {
    makeLog().append(event(0));
    storage.close();
    storage = openStorage(file, { readonly: true });
    const e = expectCode(() => makeLog().append(event(1)), 'OV_AUDIT_FAILED');
    expect(e.detail).toMatchObject({ reason: 'storage', cause: 'OV_IO' });
    expect(verify()).toMatchObject({ ok: true, entries: 1 });
  });

  it('the schema refuses UPDATE and DELETE of audit rows', () => {
    makeLog(1).append(event(0));
    storage.close();
    const db = openRawDb(file);
    try {
      expect(() => db.prepare("UPDATE audit_log SET body = '{}' WHERE seq = 1").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit_log').run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit_checkpoints').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
    storage = openStorage(file);
    expect(verify()).toMatchObject({ ok: true, entries: 1, checkpoints: 1 });
  });

  it('continues the chain across restarts and after an outer transaction rolls an entry back', () => {
    fill(makeLog(), 3);
    storage.close();
    storage = openStorage(file);
    const log = makeLog();
    expect(log.append(event(3))).toBe(4);
    expect(() =>
      storage.transaction(() => {
        log.append(event(4));
        throw new Error('request failed after auditing');
      }),
    ).toThrow('request failed');
    expect(log.append(event(5))).toBe(5);
    expect(verify()).toMatchObject({ ok: true, entries: 5, checkpoints: 0, lastSeq: 5, coveredThrough: 0 });
  });

  describe('with 500 entries and a checkpoint every 100', () => {
    beforeEach(() => {
      fill(makeLog(100), 500);
    });

    it('signs checkpoints with the sign key (ML-DSA-65, version recorded) and verifies them all', () => {
      const cps = storage.audit.checkpoints();
      expect(cps.map((c) => c.seq)).toEqual([100, 200, 300, 400, 500]);
      for (const c of cps) {
        expect(c).toMatchObject({ alg: 'ML-DSA-65', keyVersion: 1 });
        expect(c.hash).toEqual(storage.audit.get(c.seq)!.hash);
        const sig = decodeDetached(c.signature);
        expect(new TextDecoder().decode(sig.context)).toBe(CHECKPOINT_CONTEXT);
        expect(sig.keyId).toEqual(keyring.current('sign').keyId);
      }
      expect(verify()).toMatchObject({ ok: true, entries: 500, checkpoints: 5, lastSeq: 500, coveredThrough: 500 });
      // Offline: read-only storage, public keys from the same file.
      storage.close();
      storage = openStorage(file, { readonly: true });
      expect(verify()).toMatchObject({ ok: true, entries: 500, checkpoints: 5 });
    });

    it('checkpoint() signs the head on demand, once', () => {
      const log = makeLog(100);
      fill(log, 3);
      log.checkpoint();
      log.checkpoint();
      expect(storage.audit.checkpoints().map((c) => c.seq)).toEqual([100, 200, 300, 400, 500, 503]);
      expect(verify()).toMatchObject({ ok: true, checkpoints: 6, coveredThrough: 503 });
      sealed = true;
      expectCode(() => log.checkpoint(), 'OV_SEALED');
    });

    it("an entry edited with SQL is 'modified' at its seq", () => {
      tamper((db) => editEntry(db, 250, (e) => e.replace('"status":200', '"status":201')));
      expect(verify()).toMatchObject({ ok: false, entries: 249, checkpoints: 2, lastSeq: 249, coveredThrough: 200, firstBad: { seq: 250, problem: 'modified' } });
    });

    it("an edited time or hash column is 'modified' too", () => {
      tamper((db) => db.prepare('UPDATE audit_log SET time = time + 1 WHERE seq = 42').run());
      expect(verify().firstBad).toEqual({ seq: 42, problem: 'modified' });
      tamper((db) => db.prepare('UPDATE audit_log SET time = time - 1, hash = zeroblob(32) WHERE seq = 42').run());
      expect(verify().firstBad).toEqual({ seq: 42, problem: 'modified' });
    });

    it("a deleted row is 'deleted' at the first missing seq", () => {
      tamper((db) => db.prepare('DELETE FROM audit_log WHERE seq IN (250, 251, 400)').run());
      expect(verify()).toMatchObject({ ok: false, entries: 249, firstBad: { seq: 250, problem: 'deleted' } });
    });

    it("a deleted first row is 'deleted' at 1", () => {
      tamper((db) => db.prepare('DELETE FROM audit_log WHERE seq = 1').run());
      expect(verify()).toMatchObject({ ok: false, entries: 0, firstBad: { seq: 1, problem: 'deleted' } });
    });

    it("two rows with swapped contents are 'modified' at the first of them (a compact row takes its seq from its own column)", () => {
      tamper((db) =>
        db.transaction(() => {
          const get = db.prepare('SELECT time, path, body, hash FROM audit_log WHERE seq = ?');
          const set = db.prepare('UPDATE audit_log SET time = ?, path = ?, body = ?, hash = ? WHERE seq = ?');
          const a = get.get(210) as { time: number; path: string | null; body: string; hash: Buffer };
          const b = get.get(320) as typeof a;
          set.run(b.time, b.path, b.body, b.hash, 210);
          set.run(a.time, a.path, a.body, a.hash, 320);
        })(),
      );
      expect(verify()).toMatchObject({ ok: false, entries: 209, firstBad: { seq: 210, problem: 'modified' } });
    });

    it("two whole-text rows with swapped contents are 'reordered' at the first of them", () => {
      tamper((db) =>
        db.transaction(() => {
          const get = db.prepare('SELECT seq, time, path, body, hash FROM audit_log WHERE seq = ?');
          const set = db.prepare('UPDATE audit_log SET time = ?, path = ?, body = ?, hash = ? WHERE seq = ?');
          const a = get.get(210) as { seq: number; time: number; path: string | null; body: string; hash: Buffer };
          const b = get.get(320) as typeof a;
          // Rows written whole (as the codec stores a text it cannot rebuild) keep their own seq.
          set.run(b.time, b.path, decodeAuditEntry(b.seq, b.time, b.path, b.body), b.hash, 210);
          set.run(a.time, a.path, decodeAuditEntry(a.seq, a.time, a.path, a.body), a.hash, 320);
        })(),
      );
      expect(verify()).toMatchObject({ ok: false, entries: 209, firstBad: { seq: 210, problem: 'reordered' } });
    });

    it("a row rewritten with its own hash recomputed breaks the link: 'modified' at the next seq", () => {
      tamper((db) => {
        const prev = db.prepare('SELECT hash FROM audit_log WHERE seq = 249').pluck().get() as Buffer;
        const entry = editEntry(db, 250, (e) => e.replace('"status":200', '"status":404'));
        db.prepare('UPDATE audit_log SET hash = ? WHERE seq = 250').run(entryHash(250, prev, entry));
      });
      expect(verify()).toMatchObject({ ok: false, entries: 250, firstBad: { seq: 251, problem: 'modified' } });
    });

    it("a consistent rewrite with recomputed hashes is 'modified' at the checkpoint that covers it", () => {
      tamper((db) => {
        let prev: Uint8Array = new Uint8Array(db.prepare('SELECT hash FROM audit_log WHERE seq = 249').pluck().get() as Buffer);
        const rows = db.prepare('SELECT seq FROM audit_log WHERE seq >= 250 ORDER BY seq').pluck().all() as number[];
        const set = db.prepare('UPDATE audit_log SET hash = ? WHERE seq = ?');
        for (const seq of rows) {
          const entry = editEntry(db, seq, (e) => (seq === 250 ? e.replace('"status":200', '"status":404') : e));
          const hash = entryHash(seq, prev, entry);
          set.run(hash, seq);
          prev = hash;
        }
      });
      expect(verify()).toMatchObject({ ok: false, entries: 300, checkpoints: 2, lastSeq: 300, coveredThrough: 200, firstBad: { seq: 300, problem: 'modified' } });
    });

    it("a forged checkpoint signature is 'checkpoint' at its seq", () => {
      tamper((db) => {
        const sig = db.prepare('SELECT signature FROM audit_checkpoints WHERE seq = 300').pluck().get() as Buffer;
        sig[sig.length - 100]! ^= 0x01;
        db.prepare('UPDATE audit_checkpoints SET signature = ? WHERE seq = 300').run(sig);
      });
      expect(verify()).toMatchObject({ ok: false, entries: 300, checkpoints: 2, lastSeq: 300, coveredThrough: 200, firstBad: { seq: 300, problem: 'checkpoint' } });
    });

    it("a checkpoint whose hash or time was edited is 'checkpoint' (they are signed)", () => {
      tamper((db) => db.prepare('UPDATE audit_checkpoints SET time = time + 1 WHERE seq = 100').run());
      expect(verify().firstBad).toEqual({ seq: 100, problem: 'checkpoint' });
      tamper((db) => db.prepare('UPDATE audit_checkpoints SET time = time - 1, hash = zeroblob(32) WHERE seq = 100').run());
      expect(verify().firstBad).toEqual({ seq: 100, problem: 'checkpoint' });
    });

    it("a cut tail is 'deleted' when a checkpoint covers it, and invisible after the last checkpoint", () => {
      tamper((db) => db.prepare('DELETE FROM audit_log WHERE seq > 450').run());
      expect(verify()).toMatchObject({ ok: false, entries: 450, checkpoints: 4, firstBad: { seq: 451, problem: 'deleted' } });
    });

    it('entries after the last checkpoint are only hash-chained: cutting them is not detectable', () => {
      storage.close();
      storage = openStorage(file);
      fill(makeLog(100), 20);
      tamper((db) => db.prepare('DELETE FROM audit_log WHERE seq > 510').run());
      expect(verify()).toMatchObject({ ok: true, entries: 510, checkpoints: 5, lastSeq: 510, coveredThrough: 500 });
    });

    it("checkpoints by an unknown or substituted key are 'checkpoint'", () => {
      expect(verifyAudit(storage, [], provider)).toMatchObject({ ok: false, entries: 100, firstBad: { seq: 100, problem: 'checkpoint' } });
      // Public keys that are not signature keys are ignored.
      expect(verifyAudit(storage, keyringPublicKeys(storage).filter((k) => k.kind === 'kem-public'), provider).firstBad).toEqual({ seq: 100, problem: 'checkpoint' });
    });
  });

  it('defers checkpoints while sealed and catches up at the next append after unseal', () => {
    const log = makeLog(100);
    sealed = true;
    fill(log, 150);
    expect(storage.audit.checkpoints()).toEqual([]);
    sealed = false;
    fill(log, 1);
    expect(storage.audit.checkpoints().map((c) => c.seq)).toEqual([151]);
    fill(log, 99);
    expect(storage.audit.checkpoints().map((c) => c.seq)).toEqual([151]);
    fill(log, 1);
    expect(storage.audit.checkpoints().map((c) => c.seq)).toEqual([151, 251]);
    expect(verify()).toMatchObject({ ok: true, entries: 251, checkpoints: 2 });
  });

  it('verifies checkpoints across a rotation of the sign key, with every version of its public key', () => {
    const log = makeLog(10);
    fill(log, 10);
    keyring.rotate('sign', T0 + 1);
    fill(log, 10);
    expect(storage.audit.checkpoints().map((c) => [c.seq, c.keyVersion])).toEqual([
      [10, 1],
      [20, 2],
    ]);
    expect(verify()).toMatchObject({ ok: true, checkpoints: 2 });
    const onlyV1 = keyringPublicKeys(storage).filter((k) => k.keyVersion === 1);
    expect(verifyAudit(storage, onlyV1, provider)).toMatchObject({ ok: false, checkpoints: 1, firstBad: { seq: 20, problem: 'checkpoint' } });
  });

  it('rejects unknown options and out-of-range checkpoint intervals', () => {
    expectCode(() => makeLog(0), 'OV_INVALID_ARGUMENT');
    expectCode(() => makeLog(1.5), 'OV_INVALID_ARGUMENT');
    expectCode(() => new AuditLog(storage, { hmacKey: () => undefined, signer: () => undefined, provider, now: () => 0, extra: 1 } as never), 'OV_INVALID_ARGUMENT');
  });

  it('refuses a clock that is not a non-negative integer, writing nothing', () => {
    const log = new AuditLog(storage, { hmacKey: () => undefined, signer: () => undefined, provider, now: () => 1.5 });
    expectCode(() => log.append(event(0)), 'OV_AUDIT_FAILED');
    expect(storage.audit.count()).toBe(0);
  });
});

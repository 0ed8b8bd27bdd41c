/**
 * Group commit of the audit log (`AuditLog.appendAsync`, docs/adr/0005-audit-chain.md) on
 * real SQLite files: concurrent appends get contiguous seqs in call order and share one
 * transaction per batch (counted by a thin wrapper around the real storage's
 * `transaction`); a checkpoint that falls due in a batch is signed after the batch
 * resolves, in its own transaction, over the head (ADR 0005 amendment), a failed one is
 * reported and retried N entries later; under `durability: 'async-sync'` nothing resolves
 * before an fdatasync of the WAL (counted by the storage) and batches share them; a batch whose
 * commit fails (a real trigger that aborts the INSERT of one of its rows) rejects every
 * waiter with OV_AUDIT_FAILED and leaves no row of it, and the next batch continues the
 * chain; `append` and `checkpoint` order themselves after queued entries. Reads
 * (`durable: false`) are answered once committed, before any fsync; their fsync follows in
 * the background (or rides on the next durable one), and a failed one refuses every later
 * append.
 */
import { join } from 'node:path';
import { openRawDb } from '../../helpers/raw-sqlite.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, MAX_BATCH, verifyAudit, type AuditEvent } from '../../../src/audit/index.js';
import { LAZY_SYNC_ENTRIES } from '../../../src/audit/log.js';
import { randomBytes } from '../../../src/crypto/bytes.js';
import { selectProvider } from '../../../src/crypto/provider.js';
import { VaultError } from '../../../src/errors.js';
import { Keyring, keyringPublicKeys } from '../../../src/keyring/index.js';
import { openStorage, type SqliteStorageHandle } from '../../../src/storage/sqlite.js';
import type { Storage } from '../../../src/storage/types.js';
import { tempDir } from '../storage/helpers.js';

const provider = selectProvider();
const T0 = 1_700_000_000_000;

function event(i: number): AuditEvent {
  return { type: 'request', method: 'GET', path: `/v1/secrets/app/${i}`, status: 200, apiKey: 'k1', remote: '127.0.0.1' };
}

/**
 * The real storage, with its top-level transactions counted (each one is one commit) and,
 * optionally, its syncAsync replaced (to hold a flush open, or fail it).
 */
function countingStorage(inner: Storage, syncAsync?: () => Promise<void>): { storage: Storage; commits: () => number } {
  let commits = 0;
  const storage: Storage = {
    get meta() {
      return inner.meta;
    },
    get apiKeys() {
      return inner.apiKeys;
    },
    get sessions() {
      return inner.sessions;
    },
    get keyring() {
      return inner.keyring;
    },
    get secrets() {
      return inner.secrets;
    },
    get validators() {
      return inner.validators;
    },
    get transit() {
      return inner.transit;
    },
    get audit() {
      return inner.audit;
    },
    get schemaVersion() {
      return inner.schemaVersion;
    },
    transaction<T>(fn: () => T): T {
      commits++;
      return inner.transaction(fn);
    },
    sync(): void {
      inner.sync();
    },
    syncAsync(): Promise<void> {
      return syncAsync === undefined ? inner.syncAsync() : syncAsync();
    },
    snapshot(into: string) {
      return inner.snapshot(into);
    },
    close(): void {
      inner.close();
    },
  };
  return { storage, commits: () => commits };
}

/** Settles every promise and returns each outcome, so a test can check all of them. */
async function outcomes(ps: Promise<number>[]): Promise<Array<{ seq: number } | { error: unknown }>> {
  return Promise.all(ps.map((p) => p.then((seq) => ({ seq }), (error: unknown) => ({ error }))));
}

describe('AuditLog group commit (appendAsync)', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;
  let storage: SqliteStorageHandle;
  let keyring: Keyring;
  let clock: number;

  let sealed: boolean;
  let reported: Array<{ what: string; code: string }>;

  function makeLog(s: Storage, checkpointEvery?: number): AuditLog {
    return new AuditLog(s, {
      hmacKey: () => keyring.secret('audit').key,
      signer: () => (sealed ? undefined : keyring.current('sign')),
      provider,
      now: () => clock++,
      onError: (what, err) => reported.push({ what, code: err.code }),
      ...(checkpointEvery === undefined ? {} : { checkpointEvery }),
    });
  }

  const verify = (): ReturnType<typeof verifyAudit> => verifyAudit(storage, keyringPublicKeys(storage), provider);
  const paths = (): string[] => [...storage.audit.entries()].map((r) => (JSON.parse(r.entry) as { path: string }).path);

  /** DDL through a second connection to the same file, as an operator (or a fault) would. */
  function sql(text: string): void {
    const db = openRawDb(file);
    try {
      db.exec(text);
    } finally {
      db.close();
    }
  }

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    file = join(dir, 'vault.db');
    storage = openStorage(file);
    keyring = Keyring.create(storage, provider, randomBytes(32), { now: T0 });
    clock = T0;
    sealed = false;
    reported = [];
  });
  afterEach(() => {
    keyring.wipe();
    storage.close();
    cleanup();
  });

  it('writes 200 concurrent appends in call order, contiguous, in ONE transaction; the checkpoint due is signed afterwards, in its own', async () => {
    const { storage: counted, commits } = countingStorage(storage);
    const log = makeLog(counted, 50);
    const seqs = await Promise.all(Array.from({ length: 200 }, (_, i) => log.appendAsync(event(i))));
    expect(seqs).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    // One commit for all of them: per-append commits would make this 200. The batch did
    // not sign: its waiters were answered before any checkpoint existed.
    expect(commits()).toBe(1);
    expect(storage.audit.lastCheckpointSeq()).toBe(0);
    await log.settled();
    expect(commits()).toBe(2);
    expect(paths()).toEqual(Array.from({ length: 200 }, (_, i) => `/v1/secrets/app/${i}`));
    // One checkpoint over the head, not one per 50 entries inside the batch.
    expect(storage.audit.checkpoints().map((c) => c.seq)).toEqual([200]);
    expect(verify()).toMatchObject({ ok: true, entries: 200, checkpoints: 1, lastSeq: 200, coveredThrough: 200 });
    expect(reported).toEqual([]);
  });

  it('schedules at most one checkpoint per threshold crossing, signs nothing while sealed, and catches up after unseal', async () => {
    const log = makeLog(storage, 10);
    for (let round = 0; round < 3; round++) {
      await Promise.all(Array.from({ length: 7 }, (_, i) => log.appendAsync(event(i))));
    }
    await log.settled();
    // Seqs 1-7, 8-14 (crosses 10: checkpoint at 14), 15-21 (7 since 14: none yet).
    expect(storage.audit.checkpoints().map((c) => c.seq)).toEqual([14]);
    sealed = true;
    await Promise.all(Array.from({ length: 10 }, (_, i) => log.appendAsync(event(i))));
    await log.settled();
    expect(storage.audit.lastCheckpointSeq()).toBe(14);
    sealed = false;
    expect(await log.appendAsync(event(0))).toBe(32);
    await log.settled();
    expect(storage.audit.checkpoints().map((c) => c.seq)).toEqual([14, 32]);
    expect(verify()).toMatchObject({ ok: true, entries: 32, checkpoints: 2, lastSeq: 32, coveredThrough: 32 });
    expect(reported).toEqual([]);
  });

  it('paces checkpoints: at most one per checkpointIntervalMs; one due sooner is signed when the interval ends, or by settled()', async () => {
    const log = new AuditLog(storage, {
      hmacKey: () => keyring.secret('audit').key,
      signer: () => keyring.current('sign'),
      provider,
      now: () => clock++,
      checkpointEvery: 10,
      checkpointIntervalMs: 50,
    });
    const batch = (): Promise<number[]> => Promise.all(Array.from({ length: 12 }, (_, i) => log.appendAsync(event(i))));
    const turns = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
    };
    const cps = (): number[] => storage.audit.checkpoints().map((c) => c.seq);
    await batch();
    await turns(3);
    // The first checkpoint is not paced.
    expect(cps()).toEqual([12]);
    // Due again at once (12 more), but within 50 ms of clock: deferred, not dropped.
    await batch();
    await turns(3);
    expect(cps()).toEqual([12]);
    // The clock passes the interval; the timer (set for the rest of it) signs the head.
    clock += 1000;
    for (let i = 0; i < 500 && cps().length < 2; i++) await new Promise<void>((r) => setTimeout(r, 10));
    expect(cps()).toEqual([12, 24]);
    // Once the interval is over, a checkpoint that falls due is signed right away.
    clock += 1000;
    await batch();
    await turns(3);
    expect(cps()).toEqual([12, 24, 36]);
    // A pending paced checkpoint is signed by settled() without waiting for its interval.
    await batch();
    await turns(3);
    expect(cps()).toEqual([12, 24, 36]);
    await log.settled();
    expect(cps()).toEqual([12, 24, 36, 48]);
    expect(verify()).toMatchObject({ ok: true, entries: 48, checkpoints: 4, lastSeq: 48, coveredThrough: 48 });
    for (const bad of [-1, 1.5, 60_001, Number.NaN]) {
      expect(() => new AuditLog(storage, { hmacKey: () => undefined, signer: () => undefined, provider, now: () => clock, checkpointIntervalMs: bad }), String(bad)).toThrow(
        expect.objectContaining({ code: 'OV_INVALID_ARGUMENT', detail: { field: 'AuditLog.checkpointIntervalMs', min: 0, max: 60_000 } }),
      );
    }
  });

  it('a scheduled checkpoint that fails is reported (the batch was already answered) and retried once N more entries follow', async () => {
    const log = makeLog(storage, 4);
    sql(`CREATE TRIGGER fail_cp BEFORE INSERT ON audit_checkpoints BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    expect(await Promise.all([1, 2, 3, 4].map((i) => log.appendAsync(event(i))))).toEqual([1, 2, 3, 4]);
    await log.settled();
    expect(reported).toEqual([{ what: 'audit checkpoint', code: 'OV_AUDIT_FAILED' }]);
    expect(storage.audit.lastCheckpointSeq()).toBe(0);
    sql('DROP TRIGGER fail_cp');
    // Seqs 5-7: due by the rule (>= 4 since the last checkpoint), but fewer than 4 since the failure.
    for (const i of [5, 6, 7]) expect(await log.appendAsync(event(i))).toBe(i);
    await log.settled();
    expect(storage.audit.lastCheckpointSeq()).toBe(0);
    expect(await log.appendAsync(event(8))).toBe(8);
    await log.settled();
    expect(storage.audit.checkpoints().map((c) => c.seq)).toEqual([8]);
    expect(reported).toHaveLength(1);
    expect(verify()).toMatchObject({ ok: true, entries: 8, checkpoints: 1, lastSeq: 8, coveredThrough: 8 });
  });

  it(`flushes at once when ${MAX_BATCH} entries are queued, so a burst takes ceil(n / ${MAX_BATCH}) transactions`, async () => {
    const { storage: counted, commits } = countingStorage(storage);
    const log = makeLog(counted);
    const n = 2 * MAX_BATCH + 88;
    const pending = Array.from({ length: n }, (_, i) => log.appendAsync(event(i)));
    // The two full batches were committed synchronously, before anything was awaited.
    expect(commits()).toBe(2);
    expect(storage.audit.count()).toBe(2 * MAX_BATCH);
    expect(await Promise.all(pending)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(commits()).toBe(3);
    expect(verify()).toMatchObject({ ok: true, entries: n, lastSeq: n });
  });

  it('a batch whose commit fails rejects every waiter with OV_AUDIT_FAILED, writes none of it, and the next batch continues the chain', async () => {
    const log = makeLog(storage, 4);
    expect(await Promise.all([1, 2, 3].map((i) => log.appendAsync(event(i))))).toEqual([1, 2, 3]);
    // Refuse the 3rd row of the next batch: its first two rows are inserted before the
    // failure, so a partial write would show.
    sql(`CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log WHEN NEW.seq = 6 BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    const failed = await outcomes([4, 5, 6, 7, 8].map((i) => log.appendAsync(event(i))));
    expect(failed).toHaveLength(5);
    for (const o of failed) {
      expect('error' in o).toBe(true);
      if (!('error' in o)) continue;
      expect(o.error).toBeInstanceOf(VaultError);
      expect((o.error as VaultError).code).toBe('OV_AUDIT_FAILED');
    }
    expect(storage.audit.count()).toBe(3);
    expect(storage.audit.lastCheckpointSeq()).toBe(0);
    expect(verify()).toMatchObject({ ok: true, entries: 3, lastSeq: 3 });

    sql('DROP TRIGGER fail_audit');
    expect(await Promise.all([9, 10, 11, 12].map((i) => log.appendAsync(event(i))))).toEqual([4, 5, 6, 7]);
    await log.settled();
    expect(paths()).toEqual([1, 2, 3, 9, 10, 11, 12].map((i) => `/v1/secrets/app/${i}`));
    expect(storage.audit.checkpoints().map((c) => c.seq)).toEqual([7]);
    expect(verify()).toMatchObject({ ok: true, entries: 7, checkpoints: 1, lastSeq: 7, coveredThrough: 7 });
  });

  it('rejects every waiter when the database is closed, and a reopened log continues the chain', async () => {
    const log = makeLog(storage);
    expect(await log.appendAsync(event(1))).toBe(1);
    const pending = [2, 3].map((i) => log.appendAsync(event(i)));
    storage.close();
    for (const o of await outcomes(pending)) {
      expect('error' in o && o.error instanceof VaultError && o.error.code).toBe('OV_AUDIT_FAILED');
    }
    storage = openStorage(file);
    expect(await makeLog(storage).appendAsync(event(4))).toBe(2);
    expect(paths()).toEqual(['/v1/secrets/app/1', '/v1/secrets/app/4']);
    expect(verify()).toMatchObject({ ok: true, entries: 2 });
  });

  it('an invalid event rejects only its own call; the rest of the batch is written', async () => {
    const log = makeLog(storage);
    const bad = { type: 'request', password: 'x' } as unknown as AuditEvent;
    const [a, b, c] = await outcomes([log.appendAsync(event(1)), log.appendAsync(bad), log.appendAsync(event(3))]);
    expect(a).toEqual({ seq: 1 });
    expect(b !== undefined && 'error' in b && b.error instanceof VaultError && b.error.code).toBe('OV_AUDIT_FAILED');
    expect(c).toEqual({ seq: 2 });
    expect(paths()).toEqual(['/v1/secrets/app/1', '/v1/secrets/app/3']);
  });

  it('append and checkpoint are ordered after entries already queued, so the chain never forks', async () => {
    const log = makeLog(storage);
    const a = log.appendAsync(event(1));
    const b = log.appendAsync(event(2));
    // Synchronous append while two are queued: they are committed first.
    expect(log.append(event(3))).toBe(3);
    const d = log.appendAsync(event(4));
    expect(log.append(event(5))).toBe(5);
    const f = log.appendAsync(event(6));
    // The checkpoint covers the queued entry 6.
    log.checkpoint();
    expect(storage.audit.lastCheckpointSeq()).toBe(6);
    expect(await Promise.all([a, b, d, f])).toEqual([1, 2, 4, 6]);
    expect(await log.appendAsync(event(7))).toBe(7);
    expect(paths()).toEqual([1, 2, 3, 4, 5, 6, 7].map((i) => `/v1/secrets/app/${i}`));
    expect(verify()).toMatchObject({ ok: true, entries: 7, checkpoints: 1, lastSeq: 7, coveredThrough: 6 });
  });

  it('appendWithin chains entries in the calling transaction: they commit with its writes, roll back with them, and queued entries follow', async () => {
    const log = makeLog(storage, 3);
    const queued = log.appendAsync(event(1));
    const seqs = storage.transaction(() => {
      storage.meta.put('test.within', Uint8Array.of(1));
      return log.appendWithin([event(2), event(3), event(4)]);
    });
    // Written before the entry queued earlier, which follows them in the chain.
    expect(seqs).toEqual([1, 2, 3]);
    expect(await queued).toBe(4);
    // A caller's transaction that fails takes its entries with it.
    expect(() =>
      storage.transaction(() => {
        log.appendWithin([event(5)]);
        throw new VaultError('OV_INVALID_ARGUMENT');
      }),
    ).toThrow(VaultError);
    // An invalid event: OV_AUDIT_FAILED, and none of the call's entries is written.
    const bad = { type: 'request', password: 'x' } as unknown as AuditEvent;
    expect(() => storage.transaction(() => log.appendWithin([event(6), bad]))).toThrow(expect.objectContaining({ code: 'OV_AUDIT_FAILED' }) as Error);
    expect(log.appendWithin([])).toEqual([]);
    await log.settled();
    expect(paths()).toEqual([2, 3, 4, 1].map((i) => `/v1/secrets/app/${i}`));
    // The checkpoint that fell due within the caller's transaction was signed after it.
    expect(verify()).toMatchObject({ ok: true, entries: 4, checkpoints: 1, lastSeq: 4, coveredThrough: 4 });
  });

  it('answers nobody before syncAsync resolves, and fails the whole batch (committed, but not known durable) when it rejects', async () => {
    let release!: () => void;
    let fail!: (e: unknown) => void;
    const gate = (): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        release = resolve;
        fail = reject;
      });
    const { storage: gated } = countingStorage(storage, gate);
    const log = makeLog(gated);
    let answered = 0;
    const first = [1, 2, 3].map((i) => log.appendAsync(event(i)).then((seq) => (answered++, seq)));
    for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
    // Committed (a second connection could read them) but not acknowledged.
    expect(storage.audit.count()).toBe(3);
    expect(answered).toBe(0);
    release();
    expect(await Promise.all(first)).toEqual([1, 2, 3]);

    const second = [4, 5].map((i) => log.appendAsync(event(i)));
    for (let i = 0; i < 3; i++) await new Promise<void>((r) => setImmediate(r));
    fail(new VaultError('OV_IO', { reason: 'fdatasync' }));
    for (const o of await outcomes(second)) {
      expect('error' in o && o.error instanceof VaultError && o.error.code).toBe('OV_AUDIT_FAILED');
      if ('error' in o && o.error instanceof VaultError) expect(o.error.detail).toMatchObject({ cause: 'OV_IO' });
    }
  });

  it('answers reads (durable: false) once committed, before any fsync; a failed background fsync is reported and refuses every later append', async () => {
    let fail!: (e: unknown) => void;
    let syncs = 0;
    const gate = (): Promise<void> => {
      syncs++;
      return new Promise<void>((_resolve, reject) => {
        fail = reject;
      });
    };
    const { storage: gated } = countingStorage(storage, gate);
    const log = makeLog(gated);
    expect(await Promise.all([1, 2, 3].map((i) => log.appendAsync(event(i), { durable: false })))).toEqual([1, 2, 3]);
    expect(syncs).toBe(0);
    expect(storage.audit.count()).toBe(3);
    const settled = log.settled();
    expect(syncs).toBe(1);
    fail(new VaultError('OV_IO', { reason: 'fdatasync' }));
    await settled;
    expect(reported).toEqual([{ what: 'audit background sync', code: 'OV_AUDIT_FAILED' }]);
    for (const o of await outcomes([log.appendAsync(event(4), { durable: false }), log.appendAsync(event(5))])) {
      expect('error' in o && o.error instanceof VaultError && o.error.code).toBe('OV_AUDIT_FAILED');
    }
    expect(() => log.append(event(6))).toThrow(expect.objectContaining({ code: 'OV_AUDIT_FAILED' }) as Error);
    expect(storage.audit.count()).toBe(3);
  });

  describe("with durability 'async-sync' (the daemon's)", () => {
    let fast: SqliteStorageHandle;
    beforeEach(() => {
      fast = openStorage(join(dir, 'async.db'), { durability: 'async-sync' });
      keyring.wipe();
      keyring = Keyring.create(fast, provider, randomBytes(32), { now: T0 });
    });
    afterEach(() => {
      fast.close();
    });

    it('reads are readable by another connection once answered, with no fdatasync yet; settled() or a durable append covers them with one', async () => {
      const log = makeLog(fast, 1000);
      const before = fast.datasyncs;
      expect(await Promise.all(Array.from({ length: 20 }, (_, i) => log.appendAsync(event(i), { durable: false })))).toHaveLength(20);
      expect(fast.datasyncs).toBe(before);
      const other = openRawDb(join(dir, 'async.db'), { readonly: true });
      try {
        expect(other.prepare('SELECT count(*) FROM audit_log').pluck().get()).toBe(20);
      } finally {
        other.close();
      }
      await log.settled();
      expect(fast.datasyncs).toBe(before + 1);
      // Reads and a write in one batch: the write's fdatasync covers them all, no second one.
      const mixed = [log.appendAsync(event(20), { durable: false }), log.appendAsync(event(21)), log.appendAsync(event(22), { durable: false })];
      expect(await Promise.all(mixed)).toEqual([21, 22, 23]);
      expect(fast.datasyncs).toBe(before + 2);
      await log.settled();
      expect(fast.datasyncs).toBe(before + 2);
      expect(verifyAudit(fast, keyringPublicKeys(fast), provider)).toMatchObject({ ok: true, entries: 23, lastSeq: 23 });
    });

    it('refuses a lazySyncMs or lazySyncEntries out of range with OV_INVALID_ARGUMENT, writing nothing', () => {
      const base = { hmacKey: () => undefined, signer: () => undefined, provider, now: () => clock };
      const count = fast.audit.count();
      for (const [opts, field] of [
        [{ lazySyncMs: -1 }, 'AuditLog.lazySyncMs'],
        [{ lazySyncMs: 1.5 }, 'AuditLog.lazySyncMs'],
        [{ lazySyncEntries: 0 }, 'AuditLog.lazySyncEntries'],
      ] as const) {
        expect(() => new AuditLog(fast, { ...base, ...opts })).toThrow(expect.objectContaining({ code: 'OV_INVALID_ARGUMENT', detail: expect.objectContaining({ field }) as unknown }) as Error);
      }
      expect(fast.audit.count()).toBe(count);
    });

    it('starts the background fdatasync at once when lazySyncEntries read entries are unsynced (default LAZY_SYNC_ENTRIES)', async () => {
      expect(LAZY_SYNC_ENTRIES).toBe(1000);
      // A one-minute timer: only the count can start the fdatasync within this test.
      const log = new AuditLog(fast, { hmacKey: () => undefined, signer: () => undefined, provider, now: () => clock++, lazySyncMs: 60_000, lazySyncEntries: 5 });
      const before = fast.datasyncs;
      await Promise.all([1, 2, 3, 4].map((i) => log.appendAsync(event(i), { durable: false })));
      expect(fast.datasyncs).toBe(before);
      expect(await log.appendAsync(event(5), { durable: false })).toBe(5);
      expect(fast.datasyncs).toBe(before + 1);
      await log.settled();
      expect(fast.datasyncs).toBe(before + 1);
    });

    it('one fdatasync per batch, one per synchronous append and checkpoint, and the rows are readable by another connection once answered', async () => {
      const log = makeLog(fast, 1000);
      const before = fast.datasyncs;
      expect(await Promise.all(Array.from({ length: 50 }, (_, i) => log.appendAsync(event(i))))).toHaveLength(50);
      expect(fast.datasyncs).toBe(before + 1);
      expect(log.append(event(50))).toBe(51);
      expect(fast.datasyncs).toBe(before + 2);
      log.checkpoint();
      expect(fast.datasyncs).toBe(before + 3);
      const other = openRawDb(join(dir, 'async.db'), { readonly: true });
      try {
        expect(other.prepare('SELECT count(*) FROM audit_log').pluck().get()).toBe(51);
        expect(other.prepare('SELECT max(seq) FROM audit_checkpoints').pluck().get()).toBe(51);
      } finally {
        other.close();
      }
      expect(verifyAudit(fast, keyringPublicKeys(fast), provider)).toMatchObject({ ok: true, entries: 51, checkpoints: 1, lastSeq: 51, coveredThrough: 51 });
    });
  });
});

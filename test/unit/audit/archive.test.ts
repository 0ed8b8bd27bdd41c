/**
 * Audit archives on a real SQLite file: the archive of a closed range verifies on its
 * own and chains to the live log after the prune; each kind of damage to a chain of
 * archives has its own error code; a prune is refused (nothing changed) unless it names a
 * stored checkpoint after the live start, and is a no-op when repeated; an archive
 * written but not yet pruned still verifies with the live log; retention by size keeps
 * the live log under its limit; the store refuses deletes above the recorded boundary.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  AuditArchiver,
  AuditLog,
  parseArchive,
  verifyAudit,
  verifyAuditChain,
  type ArchiveInput,
  type ArchiveSelection,
  type AuditEvent,
  type ChainReport,
  type PreparedArchive,
} from '../../../src/audit/index.js';
import { randomBytes } from '../../../src/crypto/bytes.js';
import { selectProvider } from '../../../src/crypto/provider.js';
import type { SecretKeyInfo } from '../../../src/envelope/keys.js';
import { isVaultError, type ErrorCode } from '../../../src/errors.js';
import { Keyring, keyringPublicKeys } from '../../../src/keyring/index.js';
import { openStorage, type SqliteStorageHandle } from '../../../src/storage/sqlite.js';
import { openRawDb } from '../../helpers/raw-sqlite.js';
import { tempDir } from '../storage/helpers.js';

const provider = selectProvider();
const T0 = 1_700_000_000_000;
const FAR = Number.MAX_SAFE_INTEGER;

function event(i: number): AuditEvent {
  return { type: 'request', method: 'GET', path: `/v1/secrets/app/${i}`, status: 200, session: `0190c0de-0000-7000-8000-${String(i).padStart(12, '0')}`, remote: '127.0.0.1' };
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('audit archives', () => {
  let cleanup: () => void;
  let file: string;
  let storage: SqliteStorageHandle;
  let keyring: Keyring;
  let clock: number;
  let log: AuditLog;
  let archiver: AuditArchiver;

  beforeEach(() => {
    let dir: string;
    ({ dir, cleanup } = tempDir());
    file = join(dir, 'vault.db');
    storage = openStorage(file);
    keyring = Keyring.create(storage, provider, randomBytes(32), { now: T0 });
    clock = T0;
    log = new AuditLog(storage, {
      hmacKey: () => keyring.secret('audit').key,
      signer: (): SecretKeyInfo | undefined => keyring.current('sign'),
      provider,
      now: () => clock++,
      checkpointEvery: 100,
    });
    archiver = new AuditArchiver({ storage, provider, publicKeys: () => keyringPublicKeys(storage), now: () => clock, sync: () => storage.syncAsync() });
  });
  afterEach(() => {
    keyring.wipe();
    storage.close();
    cleanup();
  });

  function fill(n: number): void {
    storage.transaction(() => {
      for (let i = 0; i < n; i++) log.append(event(i));
    });
  }

  const keys = (): ReturnType<typeof keyringPublicKeys> => keyringPublicKeys(storage);
  const chain = (archives: ArchiveInput[], opts: { sortByStart?: boolean } = {}): ChainReport => verifyAuditChain(archives, storage, keys(), provider, opts);

  /** Archives and prunes everything up to the last checkpoint signed before `before`. */
  async function archiveAndPrune(sel: ArchiveSelection = { before: FAR }): Promise<PreparedArchive> {
    const a = archiver.prepare(sel);
    if (a === undefined) throw new Error('nothing to archive');
    await archiver.prune(a.end.seq, a.end.hash);
    return a;
  }

  function expectProblem(r: ChainReport, code: ErrorCode, more: Record<string, unknown> = {}): void {
    expect(r.ok).toBe(false);
    expect(r.problem).toMatchObject({ code, ...more });
  }

  it('archives up to the last checkpoint, prunes, and the chain verifies across archives and the live log', async () => {
    fill(250);
    const a = await archiveAndPrune();
    expect([a.firstSeq, a.lastSeq, a.entries]).toEqual([1, 200, 200]);
    expect(dec(a.bytes).startsWith('ontoref-vault-audit-archive/v1 {"entries":200,"first_seq":1,"last_seq":200,')).toBe(true);
    expect(storage.audit.count()).toBe(50);
    expect(storage.audit.archives().map((r) => [r.firstSeq, r.checkpoint.seq])).toEqual([[1, 200]]);
    // The live log starts at the signed boundary; the writer continues the chain from it.
    expect(verifyAudit(storage, keys(), provider)).toMatchObject({ ok: true, firstSeq: 201, lastSeq: 250, entries: 50 });
    fill(160);
    const b = await archiveAndPrune();
    expect([b.firstSeq, b.lastSeq]).toEqual([201, 400]);
    expect(parseArchive(b.bytes).header.start.checkpoint?.seq).toBe(200);
    const r = chain([
      { name: 'a', bytes: a.bytes },
      { name: 'b', bytes: b.bytes },
    ]);
    expect(r).toMatchObject({ ok: true, overlap: 0, live: { ok: true, firstSeq: 401, lastSeq: 410 } });
    expect(r.archives.map((x) => [x.file, x.firstSeq, x.lastSeq, x.entries])).toEqual([
      ['a', 1, 200, 200],
      ['b', 201, 400, 200],
    ]);
    // Given as a directory would be, in any order: sorted by first seq.
    expect(chain([{ name: 'b', bytes: b.bytes }, { name: 'a', bytes: a.bytes }], { sortByStart: true }).ok).toBe(true);
  });

  it('a written archive whose prune has not happened still verifies, and the repeated run gives the same file and finishes the prune', async () => {
    fill(250);
    const first = archiver.prepare({ before: FAR });
    expect(first).toBeDefined();
    // Crash here: the file exists, the store still holds every entry.
    const report = chain([{ name: 'a', bytes: first!.bytes }]);
    expect(report).toMatchObject({ ok: true, overlap: 200, live: { ok: true, firstSeq: 1, lastSeq: 250 } });
    const again = archiver.prepare({ before: FAR });
    expect(Buffer.from(again!.bytes).equals(Buffer.from(first!.bytes))).toBe(true);
    expect(await archiver.prune(again!.end.seq, again!.end.hash)).toEqual({ pruned: 200, firstSeq: 1, lastSeq: 200 });
    // The same prune again changes nothing.
    expect(await archiver.prune(again!.end.seq, again!.end.hash)).toEqual({ pruned: 0, firstSeq: 201, lastSeq: 200 });
    expect(storage.audit.count()).toBe(50);
    expect(chain([{ name: 'a', bytes: first!.bytes }])).toMatchObject({ ok: true, overlap: 0 });
  });

  it('refuses a prune that is not a stored checkpoint with that hash after the live start, changing nothing', async () => {
    fill(250);
    const a = archiver.prepare({ before: FAR })!;
    const attempts: [number, Uint8Array][] = [
      [a.end.seq, new Uint8Array(32)],
      [150, a.end.hash],
      [250, a.end.hash],
    ];
    for (const [seq, hash] of attempts) {
      await expect(archiver.prune(seq, hash)).rejects.toSatisfy((e: unknown) => isVaultError(e, 'OV_AUDIT_ARCHIVE_STALE'));
    }
    expect(storage.audit.count()).toBe(250);
    expect(storage.audit.archives()).toEqual([]);
    await archiver.prune(a.end.seq, a.end.hash);
    // Below the boundary now: stale too.
    await expect(archiver.prune(100, storage.audit.archives()[0]!.checkpoint.hash)).rejects.toSatisfy((e: unknown) => isVaultError(e, 'OV_AUDIT_ARCHIVE_STALE'));
    expect(storage.audit.count()).toBe(50);
  });

  it('nothing qualifies: no checkpoint signed before the cut-off, or the live log within its size', () => {
    fill(250);
    expect(archiver.prepare({ before: T0 })).toBeUndefined();
    expect(archiver.prepare({ keepBytes: 1024 * 1024 * 1024 })).toBeUndefined();
  });

  it('retention by size archives the least that brings the live log under the limit', async () => {
    fill(450);
    // Exactly what the entries after the checkpoint at 300 take: 300 is the least to archive.
    const keep = storage.audit.bytesAfter(300);
    expect(storage.audit.bytesAfter(200)).toBeGreaterThan(keep);
    const a = await archiveAndPrune({ keepBytes: keep });
    expect(storage.audit.bytesAfter(a.lastSeq)).toBeLessThanOrEqual(keep);
    expect(a.lastSeq).toBe(300);
    expect(archiver.prepare({ keepBytes: keep })).toBeUndefined();
  });

  describe('damage to a chain of archives has its own error code', () => {
    let a: PreparedArchive;
    let b: PreparedArchive;
    let c: PreparedArchive;
    beforeEach(async () => {
      fill(120);
      a = await archiveAndPrune();
      fill(100);
      b = await archiveAndPrune();
      fill(100);
      c = await archiveAndPrune();
      fill(5);
    });
    const input = (name: string, bytes: Uint8Array | string): ArchiveInput => ({ name, bytes: typeof bytes === 'string' ? enc(bytes) : bytes });
    const lines = (x: PreparedArchive): string[] => dec(x.bytes).slice(0, -1).split('\n');
    const join2 = (ls: string[]): string => ls.join('\n') + '\n';

    it('all three and the live log verify', () => {
      expect([a.lastSeq, b.lastSeq, c.lastSeq]).toEqual([100, 200, 300]);
      expect(chain([input('a', a.bytes), input('b', b.bytes), input('c', c.bytes)])).toMatchObject({ ok: true, live: { firstSeq: 301, lastSeq: 325 } });
    });

    it('an edited entry: OV_AUDIT_ENTRY_MODIFIED at its seq', () => {
      const ls = lines(b);
      ls[50] = (ls[50] as string).replace('"status":200', '"status":201');
      expectProblem(chain([input('a', a.bytes), input('b', join2(ls)), input('c', c.bytes)]), 'OV_AUDIT_ENTRY_MODIFIED', { file: 'b', seq: 150 });
    });

    it('an edited entry with every later hash recomputed: OV_AUDIT_ENTRY_MODIFIED at the signed checkpoint', async () => {
      const { entryHash } = await import('../../../src/audit/index.js');
      const ls = lines(b);
      let prev = parseArchive(b.bytes).header.start.hash;
      for (let i = 1; i < ls.length; i++) {
        const l = ls[i] as string;
        if (!l.startsWith('e ')) continue;
        const text = i === 50 ? l.slice(67).replace('"status":200', '"status":201') : l.slice(67);
        const seq = (JSON.parse(text) as { seq: number }).seq;
        const h = entryHash(seq, prev, text);
        ls[i] = `e ${Buffer.from(h).toString('hex')} ${text}`;
        prev = h;
      }
      expectProblem(chain([input('a', a.bytes), input('b', join2(ls))]), 'OV_AUDIT_ENTRY_MODIFIED', { file: 'b', seq: 200 });
    });

    it('a removed entry line: OV_AUDIT_ENTRY_MISSING at its seq (the header count is fixed up too)', () => {
      const ls = lines(b);
      ls.splice(30, 1);
      ls[0] = (ls[0] as string).replace('"entries":100', '"entries":99');
      expectProblem(chain([input('a', a.bytes), input('b', join2(ls))]), 'OV_AUDIT_ENTRY_MISSING', { file: 'b', seq: 130 });
    });

    it('two entry lines swapped: OV_AUDIT_ENTRY_REORDERED at the first', () => {
      const ls = lines(b);
      [ls[10], ls[40]] = [ls[40] as string, ls[10] as string];
      expectProblem(chain([input('a', a.bytes), input('b', join2(ls))]), 'OV_AUDIT_ENTRY_REORDERED', { file: 'b', seq: 110 });
    });

    it('a forged end checkpoint signature: OV_AUDIT_CHECKPOINT_INVALID', () => {
      const ls = lines(b);
      const cp = JSON.parse((ls[ls.length - 1] as string).slice(2)) as { signature: string };
      const sig = Buffer.from(cp.signature, 'base64');
      sig[10] = (sig[10] as number) ^ 1;
      ls[ls.length - 1] = (ls[ls.length - 1] as string).replace(cp.signature, sig.toString('base64'));
      expectProblem(chain([input('a', a.bytes), input('b', join2(ls))]), 'OV_AUDIT_CHECKPOINT_INVALID', { file: 'b', seq: 200 });
    });

    it('archives given out of order: OV_AUDIT_ARCHIVE_ORDER naming the first out of place', () => {
      expectProblem(chain([input('a', a.bytes), input('c', c.bytes), input('b', b.bytes)]), 'OV_AUDIT_ARCHIVE_ORDER', { file: 'b', seq: 101 });
      expectProblem(chain([input('b', b.bytes), input('a', a.bytes), input('c', c.bytes)]), 'OV_AUDIT_ARCHIVE_ORDER', { file: 'a', seq: 1 });
      expectProblem(chain([input('a', a.bytes), input('b', b.bytes), input('a', a.bytes), input('c', c.bytes)]), 'OV_AUDIT_ARCHIVE_ORDER', { file: 'a', seq: 1 });
      expectProblem(chain([input('a', a.bytes), input('b', b.bytes), input('b2', b.bytes), input('c', c.bytes)], { sortByStart: true }), 'OV_AUDIT_ARCHIVE_ORDER', { seq: 101 });
    });

    it('a missing archive: OV_AUDIT_ARCHIVE_MISSING with the range no file holds', () => {
      expectProblem(chain([input('a', a.bytes), input('c', c.bytes)]), 'OV_AUDIT_ARCHIVE_MISSING', { from: 101, to: 200, file: 'c' });
      expectProblem(chain([input('b', b.bytes), input('c', c.bytes)]), 'OV_AUDIT_ARCHIVE_MISSING', { from: 1, to: 100 });
      // The live log starts after the last archive given.
      expectProblem(chain([input('a', a.bytes), input('b', b.bytes)]), 'OV_AUDIT_ARCHIVE_MISSING', { from: 201, to: 300 });
    });

    it('an archive of another range swapped in: the chain does not link (OV_AUDIT_ENTRY_MODIFIED)', () => {
      // b's header rewritten to claim it follows a different hash.
      const ls = lines(b);
      ls[0] = (ls[0] as string).replace(/"prev_hash":"[0-9a-f]{64}"/, `"prev_hash":"${'ab'.repeat(32)}"`);
      expectProblem(chain([input('a', a.bytes), input('b', join2(ls))]), 'OV_AUDIT_ENTRY_MODIFIED', { file: 'b', seq: 101 });
    });

    it('not an archive, another version, or cut short: OV_AUDIT_ARCHIVE_MALFORMED', () => {
      expectProblem(chain([input('x', 'hello\n')]), 'OV_AUDIT_ARCHIVE_MALFORMED', { file: 'x', reason: 'not an audit archive' });
      expectProblem(chain([input('x', dec(a.bytes).replace('/v1 ', '/v9 '))]), 'OV_AUDIT_ARCHIVE_MALFORMED', { reason: 'unsupported version' });
      expectProblem(chain([input('x', a.bytes.subarray(0, a.bytes.length - 10))]), 'OV_AUDIT_ARCHIVE_MALFORMED');
      const ls = lines(a);
      expectProblem(chain([input('x', join2(ls.slice(0, -1)))]), 'OV_AUDIT_ARCHIVE_MALFORMED', { reason: 'does not end on a checkpoint at last_seq' });
    });
  });

  it('the store refuses deletes above the recorded boundary, and below it only after a prune', async () => {
    fill(250);
    await archiveAndPrune();
    fill(100);
    expect(storage.audit.checkpoints().map((c) => c.seq)).toEqual([300]);
    storage.close();
    const db = openRawDb(file);
    try {
      expect(() => db.prepare('DELETE FROM audit_log WHERE seq = 201').run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit_checkpoints').run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit_archives').run()).toThrow(/append-only/);
      expect(() => db.prepare('UPDATE audit_archives SET first_seq = 2').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
    storage = openStorage(file);
    expect(verifyAudit(storage, keys(), provider)).toMatchObject({ ok: true, firstSeq: 201, entries: 150, checkpoints: 1 });
  });
});

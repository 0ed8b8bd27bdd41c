/**
 * Per-node audit chains in one PostgreSQL database: two storages (nodes `a` and `b`) on a
 * fresh database, an AuditLog on each, interleaved appends. Each checkpoint is preceded by
 * an entry naming the other chain's head, and verification checks every chain and every
 * named head: an edited row of b is named by node and seq, and a head of b that a
 * checkpoint of a names but b's chain no longer holds is named too.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog, PEERS_PATH, entryHash, parsePeers, verifyAudit, type AuditEvent } from '../../src/audit/index.js';
import { randomBytes } from '../../src/crypto/bytes.js';
import { selectProvider } from '../../src/crypto/provider.js';
import { VaultError } from '../../src/errors.js';
import { Keyring, keyringPublicKeys } from '../../src/keyring/index.js';
import { openPostgresStorage, type PostgresStorageHandle } from '../../src/storage/postgres/index.js';
import { openStorage } from '../../src/storage/sqlite.js';
import { toHex } from '../../src/util/bytes.js';
import { freshDatabaseSync } from '../helpers/pg.js';
import { tempDir } from './storage/helpers.js';

const provider = selectProvider();
const T0 = 1_700_000_000_000;

function event(i: number): AuditEvent {
  return { type: 'request', method: 'GET', path: `/v1/secrets/app/${i}`, status: 200, remote: '127.0.0.1' };
}

describe('audit chains per node', () => {
  let url: string;
  let a: PostgresStorageHandle;
  let b: PostgresStorageHandle;
  let ka: Keyring;
  let kb: Keyring;
  let clock: number;

  const logOf = (s: PostgresStorageHandle, k: Keyring, every: number): AuditLog =>
    new AuditLog(s, { hmacKey: () => k.secret('audit').key, signer: () => k.current('sign'), provider, now: () => clock++, checkpointEvery: every });
  const verify = (s: PostgresStorageHandle): ReturnType<typeof verifyAudit> => verifyAudit(s, keyringPublicKeys(s), provider);
  const peerEntries = (s: PostgresStorageHandle): { seq: number; entry: string }[] => [...s.audit.entries()].filter((e) => e.entry.includes(PEERS_PATH));

  beforeEach(() => {
    url = freshDatabaseSync();
    const root = randomBytes(32);
    a = openPostgresStorage({ url, node: 'a' });
    b = openPostgresStorage({ url, node: 'b' });
    ka = Keyring.create(a, provider, root, { now: T0 });
    kb = Keyring.open(b, provider, root);
    clock = T0;
  });
  afterEach(() => {
    ka.wipe();
    kb.wipe();
    a.close();
    b.close();
  });

  /** 10 entries on each node, alternating, checkpoints every 3 entries. */
  function interleave(): void {
    const la = logOf(a, ka, 3);
    const lb = logOf(b, kb, 3);
    for (let i = 0; i < 10; i++) {
      la.append(event(i));
      lb.append(event(i));
    }
  }

  it('signs checkpoints over an entry naming the other chain head, and verifies both chains', () => {
    interleave();
    expect(a.auditNodes()).toEqual(['a', 'b']);
    const named = peerEntries(a);
    expect(named.length).toBeGreaterThanOrEqual(3);
    const checkpointSeqs = new Set(a.audit.checkpoints().map((c) => c.seq));
    for (const e of named) {
      // Each peer-heads entry is the head its checkpoint signs.
      expect(checkpointSeqs.has(e.seq)).toBe(true);
      const claims = parsePeers(e.entry, 'a', e.seq) ?? [];
      expect(claims.map((c) => c.node)).toEqual(['b']);
      const claim = claims[0]!;
      expect(toHex(b.audit.get(claim.seq)!.hash)).toBe(toHex(claim.hash));
    }
    // b names a as well: the checkpoints of both chains name each other.
    expect(peerEntries(b).length).toBeGreaterThanOrEqual(3);

    for (const s of [a, b]) {
      const r = verify(s);
      expect(r.ok).toBe(true);
      expect(r.firstBad).toBeUndefined();
      expect(r.node).toBe(s.node);
      expect(r.nodes?.map((n) => [n.node, n.ok])).toEqual([['a', true], ['b', true]]);
      expect(r.entries).toBe(a.audit.count() + b.audit.count());
      expect(r.peerHeads?.checked).toBe(named.length + peerEntries(b).length);
    }
  });

  it('group-committed entries get the same peer heads in their deferred checkpoint', async () => {
    interleave();
    const la = logOf(a, ka, 2);
    await Promise.all([la.appendAsync(event(20)), la.appendAsync(event(21)), la.appendAsync(event(22))]);
    await la.settled();
    const last = a.audit.lastCheckpoint()!;
    const head = a.audit.head()!;
    expect(last.seq).toBe(head.seq);
    const claims = parsePeers(a.audit.get(head.seq)!.entry, 'a', head.seq)!;
    expect(claims.map((c) => [c.node, c.seq])).toEqual([['b', b.audit.head()!.seq]]);
    expect(verify(a).ok).toBe(true);
  });

  it('names node b and the seq of an edited entry of b', () => {
    interleave();
    const bCount = b.audit.count();
    b.pg.exec("DROP TRIGGER audit_log_append_only ON ov_audit_b.audit_log; UPDATE ov_audit_b.audit_log SET body = replace(body, '200', '201') WHERE seq = 5");
    for (const s of [a, b]) {
      const r = verify(s);
      expect(r.ok).toBe(false);
      expect(r.firstBad).toEqual({ seq: 5, problem: 'modified', node: 'b' });
      expect(r.nodes?.find((n) => n.node === 'a')?.ok).toBe(true);
    }
    expect(b.audit.count()).toBe(bCount);
  });

  it('fails when a checkpoint names a head of b that b no longer holds', () => {
    const la = logOf(a, ka, 1000);
    const lb = logOf(b, kb, 1000);
    for (let i = 0; i < 6; i++) lb.append(event(i));
    lb.checkpoint(); // b: 6 entries and a peers-less checkpoint (a has no entries yet)
    for (let i = 6; i < 9; i++) lb.append(event(i)); // b: 9 entries, 7-9 not covered
    la.append(event(100));
    la.checkpoint(); // a names b at 9
    const named = parsePeers(a.audit.get(a.audit.head()!.seq)!.entry, 'a', a.audit.head()!.seq)!;
    expect(named.map((c) => [c.node, c.seq])).toEqual([['b', 9]]);
    expect(verify(a).ok).toBe(true);

    // b's uncovered tail is cut: b's own chain still verifies, a's checkpoint exposes it.
    b.pg.exec('DROP TRIGGER audit_log_append_only ON ov_audit_b.audit_log; DELETE FROM ov_audit_b.audit_log WHERE seq > 7');
    const r = verify(a);
    expect(r.ok).toBe(false);
    expect(r.nodes?.find((n) => n.node === 'b')?.ok).toBe(true);
    expect(r.firstBad).toEqual({ seq: 9, problem: 'deleted', node: 'b', namedBy: { node: 'a', seq: 2 } });
    expect(verify(b).firstBad).toEqual(r.firstBad);
  });

  it('fails when a named head of b has another hash than b holds at that seq', () => {
    const la = logOf(a, ka, 1000);
    const lb = logOf(b, kb, 1000);
    for (let i = 0; i < 4; i++) lb.append(event(i));
    lb.checkpoint();
    lb.append(event(4)); // b: entry 5 not covered by b's own checkpoints
    la.append(event(100));
    la.checkpoint(); // a names b at 5
    // Entry 5 of b rewritten with its hash recomputed: b's chain alone still verifies.
    b.pg.exec("DROP TRIGGER audit_log_append_only ON ov_audit_b.audit_log; UPDATE ov_audit_b.audit_log SET body = replace(body, '200', '201') WHERE seq = 5");
    const rewritten = b.audit.get(5)!.entry;
    const hash = entryHash(5, b.audit.get(4)!.hash, rewritten);
    b.pg.query('UPDATE ov_audit_b.audit_log SET hash = $1 WHERE seq = 5', [Buffer.from(hash)]);
    const r = verify(a);
    expect(r.nodes?.map((n) => [n.node, n.ok])).toEqual([['a', true], ['b', true]]);
    expect(r.ok).toBe(false);
    expect(r.firstBad).toEqual({ seq: 5, problem: 'modified', node: 'b', namedBy: { node: 'a', seq: 2 } });
  });

  it("refuses writes to another node's chain and a bad node name, changing nothing", () => {
    interleave();
    const chains = a.auditChains;
    const before = b.audit.count();
    const peer = chains.of('b');
    expect(peer.count()).toBe(before);
    const row = peer.last()!;
    for (const fn of [() => peer.append({ ...row, seq: row.seq + 1 }), () => peer.insertCheckpoint(a.audit.lastCheckpoint()!), () => chains.of('B-1')]) {
      let caught: unknown;
      try {
        fn();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(VaultError);
      expect((caught as VaultError).code).toBe('OV_INVALID_ARGUMENT');
    }
    expect(b.audit.count()).toBe(before);
    expect(chains.of('a')).toBe(a.audit);
  });

  it('a single node writes no peer-heads entry', () => {
    const la = logOf(a, ka, 2);
    for (let i = 0; i < 5; i++) la.append(event(i));
    expect(peerEntries(a)).toEqual([]);
    expect(a.audit.count()).toBe(5);
    expect(verify(a)).toMatchObject({ ok: true, node: 'a', peerHeads: { checked: 0, archived: 0 } });
  });
});

describe('audit chains on SQLite', () => {
  it('has one chain: no peer entries and no per-node fields in the result', () => {
    const { dir, cleanup } = tempDir();
    const s = openStorage(`${dir}/vault.db`);
    const k = Keyring.create(s, provider, randomBytes(32), { now: T0 });
    try {
      let clock = T0;
      const log = new AuditLog(s, { hmacKey: () => k.secret('audit').key, signer: () => k.current('sign'), provider, now: () => clock++, checkpointEvery: 2 });
      for (let i = 0; i < 5; i++) log.append(event(i));
      expect(s.auditChains).toBeUndefined();
      expect([...s.audit.entries()].map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(s.audit.checkpoints().map((c) => c.seq)).toEqual([2, 4]);
      const r = verifyAudit(s, keyringPublicKeys(s), provider);
      expect(r.ok).toBe(true);
      expect(Object.keys(r).sort()).toEqual(['checkpoints', 'coveredThrough', 'entries', 'firstSeq', 'lastHash', 'lastSeq', 'ok']);
    } finally {
      k.wipe();
      s.close();
      cleanup();
    }
  });
});

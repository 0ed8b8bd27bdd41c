/**
 * Every node's audit chain in one PostgreSQL database, read-only but for this node's own
 * (docs/adr/0018-audit-chains-per-node.md). Another node's store runs on a connection of
 * its own whose search path is that node's audit schema, so the same store class reads
 * its tables; the connection is opened on first use and kept until close.
 * @module
 */
import { VaultError } from '../../errors.js';
import { SqliteAuditStore } from '../sqlite/audit.js';
import type { AuditArchiveRecord, AuditChains, AuditCheckpointRecord, AuditEntryRecord, AuditPageQuery, AuditStore } from '../types.js';
import { SyncPg, type PgConnectOptions } from './bridge.js';
import { PgDb } from './db.js';
import { auditSchema } from './schema.js';

/** A node name: also part of a schema name, so lower-case letters, digits and `_`. */
export const NODE_NAME = /^[a-z0-9_]{1,32}$/;

function readOnly(): never {
  throw new VaultError('OV_INVALID_ARGUMENT', { reason: "another node's audit chain is read-only" });
}

/** Reads of another node's chain; every write is refused before it reaches the database. */
class PeerAuditStore implements AuditStore {
  readonly #s: SqliteAuditStore;
  constructor(s: SqliteAuditStore) {
    this.#s = s;
  }
  append(_r: AuditEntryRecord): void {
    readOnly();
  }
  insertCheckpoint(_r: AuditCheckpointRecord): void {
    readOnly();
  }
  prune(_r: AuditArchiveRecord): number {
    return readOnly();
  }
  last(): AuditEntryRecord | undefined {
    return this.#s.last();
  }
  head(): { seq: number; hash: Uint8Array } | undefined {
    return this.#s.head();
  }
  get(seq: number): AuditEntryRecord | undefined {
    return this.#s.get(seq);
  }
  entries(fromSeq?: number): Iterable<AuditEntryRecord> {
    return this.#s.entries(fromSeq);
  }
  count(): number {
    return this.#s.count();
  }
  page(q: AuditPageQuery): AuditEntryRecord[] {
    return this.#s.page(q);
  }
  lastCheckpoint(): AuditCheckpointRecord | undefined {
    return this.#s.lastCheckpoint();
  }
  lastCheckpointSeq(): number {
    return this.#s.lastCheckpointSeq();
  }
  checkpoints(): AuditCheckpointRecord[] {
    return this.#s.checkpoints();
  }
  archives(): AuditArchiveRecord[] {
    return this.#s.archives();
  }
  bytesAfter(seq: number): number {
    return this.#s.bytesAfter(seq);
  }
}

export class PgAuditChains implements AuditChains {
  readonly node: string;
  readonly #own: AuditStore;
  readonly #pg: SyncPg;
  readonly #connect: Omit<PgConnectOptions, 'searchPath' | 'applicationName'>;
  readonly #peers = new Map<string, { pg: SyncPg; store: AuditStore }>();

  /** `pg` and `own` are this node's connection and store; `connect` opens a peer's. */
  constructor(node: string, pg: SyncPg, own: AuditStore, connect: Omit<PgConnectOptions, 'searchPath' | 'applicationName'>) {
    this.node = node;
    this.#pg = pg;
    this.#own = own;
    this.#connect = connect;
  }

  nodes(): string[] {
    const rows = this.#pg.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ov\\_audit\\_%' ORDER BY nspname").rows;
    return rows.map((r) => String(r[0]).slice('ov_audit_'.length));
  }

  of(node: string): AuditStore {
    if (node === this.node) return this.#own;
    if (!NODE_NAME.test(node)) throw new VaultError('OV_INVALID_ARGUMENT', { option: 'node' });
    let peer = this.#peers.get(node);
    if (peer === undefined) {
      const pg = new SyncPg({ ...this.#connect, searchPath: auditSchema(node), applicationName: `ontoref-vault/${this.node}/audit-${node}` });
      peer = { pg, store: new PeerAuditStore(new SqliteAuditStore(new PgDb(pg, true))) };
      this.#peers.set(node, peer);
    }
    return peer.store;
  }

  close(): void {
    for (const p of this.#peers.values()) p.pg.close();
    this.#peers.clear();
  }
}

/**
 * One daemon's membership of an active/active cluster on a shared PostgreSQL database
 * (docs/ha.md, docs/adr/0021-cluster-active-active.md).
 *
 * Every `renewMs` the node renews its lease, then reads the change events after its
 * `caught_up_seq`, applies them to what it holds in memory and writes the new
 * acknowledgement, in that order: a revoking node waits for every node whose lease it
 * sees live, and one whose lease it saw lapsed renews only after the revocation committed,
 * so it reads that event before it serves again. Lease times are the
 * database's clock; whether this node's own lease is still live is judged on the local
 * monotonic clock from the instant before the renewal was sent, so neither clock skew nor
 * a slow reply can make the node believe in a lease the others already consider lapsed.
 * A node whose lease has lapsed (database unreachable, event loop stalled) refuses
 * authenticated requests until a renewal succeeds again.
 *
 * The work runs on its own asynchronous connection, not the storage's synchronous one, so
 * an unreachable database never blocks the event loop here. The same connection LISTENs:
 * `ov_cluster` (an event committed) starts a catch-up at once, and `ov_cluster_ack` (some
 * node acknowledged) wakes revocations waiting in {@link ClusterNode.settle}.
 * @module
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { VaultError } from '../errors.js';

/** A change another node made, to be applied to this node's memory. */
export interface ClusterEvent {
  readonly seq: number;
  /** 'session' (subject: session id), 'apikey' (key id), 'keyring', 'transit', 'meta' (subject: table). */
  readonly kind: string;
  readonly subject: string;
}

export interface ClusterTls {
  readonly ca?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

export interface ClusterOptions {
  readonly url: string;
  readonly tls?: ClusterTls | undefined;
  /** This node's name (as the storage's). */
  readonly node: string;
  /** Where clients reach this node, shown to operators; null when unknown. */
  readonly addr?: string | null;
  readonly leaseMs: number;
  readonly renewMs: number;
  /** Applies other nodes' events to memory; a throw leaves them unacknowledged and the lease unrenewed. */
  readonly apply: (events: readonly ClusterEvent[]) => void;
  readonly onError?: (what: string, err: unknown) => void;
  /** How long acknowledged events are kept (ms); default {@link EVENT_RETENTION_MS}. */
  readonly eventRetentionMs?: number;
  /** How often this node prunes (ms); default one minute. */
  readonly pruneEveryMs?: number;
}

export interface ClusterMember {
  readonly node: string;
  readonly addr: string | null;
  /** ms since the epoch, database clock. */
  readonly leaseUntil: number;
  readonly renewedAt: number;
  readonly caughtUpSeq: number;
  readonly live: boolean;
}

export interface ClusterStatus {
  readonly node: string;
  readonly role: 'active' | 'lapsed';
  /** The database answered the last renewal. */
  readonly databaseReachable: boolean;
  /** ms since this node's last successful renewal; null before the first. */
  readonly leaseAgeMs: number | null;
  readonly caughtUpSeq: number;
  readonly members: readonly ClusterMember[];
}

export interface ClusterMetrics {
  readonly eventsApplied: number;
  readonly renewals: number;
  readonly renewalFailures: number;
  readonly ackWaits: number;
  readonly ackWaitSeconds: number;
}

const DB_NOW = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';
const EVENT_PAGE = 5000;
/** Events are kept this long (ms) past their acknowledgement by every live node. */
export const EVENT_RETENTION_MS = 3_600_000;
/** How often (ms) a node prunes old events. */
const PRUNE_EVERY_MS = 60_000;

/** What `apply` receives when events this node had not applied were pruned: reload everything. */
export const RESYNC: ClusterEvent = Object.freeze({ seq: 0, kind: 'resync', subject: '' });

export class ClusterNode {
  readonly #o: ClusterOptions;
  #client: pg.Client | undefined;
  #connecting: Promise<pg.Client> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  #started = false;
  /** Local monotonic ms until which this node's lease is live. */
  #validUntil = -Infinity;
  #renewedAt: number | undefined;
  #caughtUp = 0;
  #reachable = false;
  #members: readonly ClusterMember[] = [];
  readonly #waiters = new Set<() => void>();
  #eventsApplied = 0;
  #renewals = 0;
  #renewalFailures = 0;
  #ackWaits = 0;
  #ackWaitMs = 0;
  #lastPrune = -Infinity;

  constructor(opts: ClusterOptions) {
    if (!Number.isSafeInteger(opts.leaseMs) || !Number.isSafeInteger(opts.renewMs) || opts.renewMs < 10 || opts.leaseMs < 2 * opts.renewMs) {
      throw new VaultError('OV_INVALID_ARGUMENT', { option: 'cluster.lease' });
    }
    this.#o = opts;
  }

  get node(): string {
    return this.#o.node;
  }

  get leaseMs(): number {
    return this.#o.leaseMs;
  }

  /**
   * Joins: the first renewal takes the current end of the event log as its starting
   * point (what the caller holds was loaded from the database before or after it, and
   * events are idempotent). Rejects when the database cannot be reached; the node keeps
   * trying every `renewMs` all the same.
   */
  start(): Promise<void> {
    return this.#run();
  }

  /** True while this node's lease is live: it may answer authenticated requests. */
  serving(): boolean {
    return performance.now() < this.#validUntil;
  }

  /** Throws OV_CLUSTER_LEASE unless {@link serving}. */
  assertServing(): void {
    if (!this.serving()) throw new VaultError('OV_CLUSTER_LEASE', { node: this.#o.node });
  }

  /**
   * Resolves once every other node with a live lease has applied every event committed so
   * far (call it after the change committed), or its lease has lapsed. Bounded: after
   * twice the lease a node still live but behind is reported as OV_CLUSTER_LEASE.
   */
  async settle(): Promise<void> {
    const started = performance.now();
    const deadline = started + 2 * this.#o.leaseMs;
    const c = await this.#connection();
    const target = Number((await c.query<{ seq: string | number }>('SELECT coalesce(max(seq), 0) AS seq FROM ov_cluster_events')).rows[0]?.seq ?? 0);
    try {
      for (;;) {
        const pending = await c.query<{ node: string }>(
          `SELECT node FROM ov_cluster_nodes WHERE node <> $1 AND caught_up_seq < $2 AND lease_until > ${DB_NOW}`,
          [this.#o.node, target],
        );
        if (pending.rows.length === 0) return;
        if (performance.now() > deadline) throw new VaultError('OV_CLUSTER_LEASE', { behind: pending.rows.map((r) => r.node).join(',') });
        await this.#wake(Math.min(50, this.#o.renewMs));
      }
    } finally {
      this.#ackWaits++;
      this.#ackWaitMs += performance.now() - started;
    }
  }

  status(): ClusterStatus {
    return {
      node: this.#o.node,
      role: this.serving() ? 'active' : 'lapsed',
      databaseReachable: this.#reachable,
      leaseAgeMs: this.#renewedAt === undefined ? null : Math.round(performance.now() - this.#renewedAt),
      caughtUpSeq: this.#caughtUp,
      members: this.#members,
    };
  }

  metrics(): ClusterMetrics {
    return {
      eventsApplied: this.#eventsApplied,
      renewals: this.#renewals,
      renewalFailures: this.#renewalFailures,
      ackWaits: this.#ackWaits,
      ackWaitSeconds: this.#ackWaitMs / 1000,
    };
  }

  /** Stops renewing and disconnects; the lease then lapses on its own. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
    const c = this.#client;
    this.#client = undefined;
    // Others stop waiting for this node's acknowledgements at once, not after its lease.
    if (c !== undefined && this.#started) await c.query(`UPDATE ov_cluster_nodes SET lease_until = ${DB_NOW} WHERE node = $1`, [this.#o.node]).catch(() => undefined);
    for (const w of this.#waiters) w();
    await c?.end().catch(() => undefined);
  }

  /** One catch-up and renewal now (or right after the one in progress). */
  #run(): Promise<void> {
    if (this.#running !== undefined) {
      this.#again = true;
      return this.#running;
    }
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const p = this.#tick()
      .catch((err: unknown) => {
        this.#reachable = false;
        this.#renewalFailures++;
        this.#drop();
        if (!this.#stopped) this.#o.onError?.('cluster lease renewal', err);
        throw err;
      })
      .finally(() => {
        this.#running = undefined;
        if (this.#stopped) return;
        if (this.#again) {
          this.#again = false;
          void this.#run().catch(() => undefined);
          return;
        }
        this.#timer = setTimeout(() => void this.#run().catch(() => undefined), this.#o.renewMs);
        this.#timer.unref();
      });
    this.#running = p;
    return p;
  }

  async #tick(): Promise<void> {
    const sent = performance.now();
    const c = await this.#connection();
    if (!this.#started) {
      const r = await c.query<{ seq: string | number }>('SELECT coalesce(max(seq), 0) AS seq FROM ov_cluster_events');
      this.#caughtUp = Number(r.rows[0]?.seq ?? 0);
    }
    // Renew first, then read the events: a revocation that did not wait for this node
    // (its lease had lapsed) committed before this renewal, so the read below sees it.
    const first = !this.#started;
    await c.query(
      `INSERT INTO ov_cluster_nodes (node, addr, started_at, lease_until, renewed_at, caught_up_seq)
         VALUES ($1, $2, ${DB_NOW}, ${DB_NOW} + $3, ${DB_NOW}, $4)
       ON CONFLICT (node) DO UPDATE SET addr = EXCLUDED.addr, lease_until = EXCLUDED.lease_until, renewed_at = EXCLUDED.renewed_at,
         caught_up_seq = EXCLUDED.caught_up_seq${first ? ', started_at = EXCLUDED.started_at' : ''}`,
      [this.#o.node, this.#o.addr ?? null, this.#o.leaseMs, this.#caughtUp],
    );
    this.#started = true;
    const before = this.#caughtUp;
    const pruned = Number(((await c.query<{ n: string | number }>("SELECT n FROM ov_changes WHERE name = 'cluster_pruned'")).rows[0]?.n ?? 0));
    if (pruned > this.#caughtUp) {
      // Away longer than events are kept: what it missed is unknown, so it reloads it all.
      this.#o.apply([RESYNC]);
      this.#caughtUp = pruned;
    }
    for (;;) {
      const r = await c.query<{ seq: string | number; kind: string; subject: string; node: string }>(
        'SELECT seq, kind, subject, node FROM ov_cluster_events WHERE seq > $1 ORDER BY seq LIMIT $2',
        [this.#caughtUp, EVENT_PAGE],
      );
      const last = r.rows[r.rows.length - 1];
      if (last === undefined) break;
      const events = r.rows.filter((e) => e.node !== this.#o.node).map((e) => ({ seq: Number(e.seq), kind: e.kind, subject: e.subject }));
      if (events.length > 0) this.#o.apply(events);
      this.#eventsApplied += events.length;
      this.#caughtUp = Number(last.seq);
      if (r.rows.length < EVENT_PAGE) break;
    }
    if (this.#caughtUp !== before) {
      await c.query('UPDATE ov_cluster_nodes SET caught_up_seq = $2 WHERE node = $1', [this.#o.node, this.#caughtUp]);
      await c.query("SELECT pg_notify('ov_cluster_ack', '')");
    }
    if (performance.now() - this.#lastPrune >= (this.#o.pruneEveryMs ?? PRUNE_EVERY_MS)) {
      this.#lastPrune = performance.now();
      await this.#prune(c);
    }
    if (this.#stopped) return;
    // Serving only now: the lease is renewed and everything before it applied.
    this.#validUntil = sent + this.#o.leaseMs;
    this.#renewedAt = sent;
    this.#reachable = true;
    this.#renewals++;
    const m = await c.query<{ node: string; addr: string | null; lease_until: string | number; renewed_at: string | number; caught_up_seq: string | number; now: string | number }>(
      `SELECT node, addr, lease_until, renewed_at, caught_up_seq, ${DB_NOW} AS now FROM ov_cluster_nodes ORDER BY node`,
    );
    this.#members = m.rows.map((row) => ({
      node: row.node,
      addr: row.addr,
      leaseUntil: Number(row.lease_until),
      renewedAt: Number(row.renewed_at),
      caughtUpSeq: Number(row.caught_up_seq),
      live: Number(row.lease_until) > Number(row.now),
    }));
  }

  /**
   * Deletes events every live node has acknowledged and that are older than
   * {@link EVENT_RETENTION_MS}, and records how far, so a node that comes back later
   * knows it must reload instead of replaying.
   */
  async #prune(c: pg.Client): Promise<void> {
    await c.query(
      `WITH upto AS (
         SELECT max(seq) AS seq FROM ov_cluster_events
          WHERE at < ${DB_NOW} - $1
            AND seq <= (SELECT coalesce(min(caught_up_seq), 0) FROM ov_cluster_nodes WHERE lease_until > ${DB_NOW})
       ), gone AS (
         DELETE FROM ov_cluster_events WHERE seq <= (SELECT seq FROM upto) RETURNING seq
       )
       UPDATE ov_changes SET n = greatest(n, (SELECT coalesce(max(seq), 0) FROM gone)) WHERE name = 'cluster_pruned'`,
      [this.#o.eventRetentionMs ?? EVENT_RETENTION_MS],
    );
  }

  #connection(): Promise<pg.Client> {
    if (this.#stopped) return Promise.reject(new VaultError('OV_IO', { reason: 'shutting down' }));
    if (this.#client !== undefined) return Promise.resolve(this.#client);
    return (this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = undefined;
    }));
  }

  async #connect(): Promise<pg.Client> {
    const tls = this.#o.tls;
    const c = new pg.Client({
      connectionString: this.#o.url,
      application_name: `ontoref-vault-cluster/${this.#o.node}`,
      // An unreachable database must fail a renewal, not hang it past the lease.
      connectionTimeoutMillis: this.#o.leaseMs,
      query_timeout: this.#o.leaseMs,
      // The server gives up too, so a renewal that timed out here cannot land later.
      statement_timeout: this.#o.leaseMs,
      ...(tls === undefined ? {} : { ssl: { rejectUnauthorized: true, ...(tls.ca === undefined ? {} : { ca: tls.ca }), ...(tls.cert === undefined ? {} : { cert: tls.cert }), ...(tls.key === undefined ? {} : { key: tls.key }) } }),
    });
    c.on('error', (err) => {
      if (this.#client === c) this.#drop();
      if (!this.#stopped) this.#o.onError?.('cluster connection', err);
    });
    c.on('notification', (n) => {
      if (n.channel === 'ov_cluster') void this.#run().catch(() => undefined);
      else this.#wakeAll();
    });
    try {
      await c.connect();
      await c.query('LISTEN ov_cluster; LISTEN ov_cluster_ack');
    } catch (e) {
      await c.end().catch(() => undefined);
      throw e;
    }
    if (this.#stopped) {
      await c.end().catch(() => undefined);
      throw new VaultError('OV_IO', { reason: 'shutting down' });
    }
    this.#client = c;
    return c;
  }

  #drop(): void {
    const c = this.#client;
    this.#client = undefined;
    c?.end().catch(() => undefined);
  }

  #wake(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.#waiters.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.#waiters.add(done);
    });
  }

  #wakeAll(): void {
    for (const w of [...this.#waiters]) w();
  }
}

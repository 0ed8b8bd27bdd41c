/**
 * The session store: the daemon's record of every live session token, so that a
 * revocation takes effect on the very next request.
 *
 * Three in-memory indexes, each O(1) per session touched:
 * - token digest -> session: every authenticated request; the store never sees a token,
 *   only its SHA-256 ({@link tokenDigest}), kept in a flat open-addressing table
 *   (digest-table.ts) so a lookup allocates nothing and misses cache about twice;
 * - public session id (a random UUID that reveals nothing about the token) -> session:
 *   `GET/DELETE /v1/sessions/{id}`;
 * - API key id -> ids of the sessions it opened: revoke-all when a key is rotated or
 *   deleted.
 * A min-heap on expiry lets {@link SessionStore.sweep} touch only expired sessions.
 *
 * Everything is written through to a SessionPersistence (SQLite in the daemon, the
 * in-memory one for `--dev` and tests) and loaded back at start, so a restart does not
 * log every workflow out. The daemon loads with {@link SessionStore.loadIncrementally}:
 * a page of rows at a time, yielding to the event loop between pages, so a million
 * sessions do not keep `GET /v1/sys/health` from answering. Expiry: a session is dead
 * from the instant `now >= expiresAt`, the same rule as `SessionPersistence.deleteExpired`.
 *
 * Visibility is two-tier: `list({ scope })` returns the sessions whose scope lies within
 * `scope` (scope.ts `scopeContains`), so a scoped admin sees and may revoke only those;
 * the daemon admin, whose scope is `*`, sees all. Authorisation itself (role checks,
 * "may this caller revoke that session") is the http layer's decision.
 * @module
 */
import { randomBytes } from '../crypto/bytes.js';
import { sha256Public } from '../crypto/kdf.js';
import { VaultError } from '../errors.js';
import {
  FIRST_SESSION_PAGE,
  ROLES,
  type Role,
  type SessionPersistence,
  type SessionRecord,
} from '../storage/types.js';
import { DigestTable, type SlotAccess } from './digest-table.js';
import { isValidScope, scopeContains } from './scope.js';

/** A session as callers see it: everything but the digest. */
export interface Session {
  /** Public id (UUID v4). */
  readonly id: string;
  readonly apiKeyId: string;
  readonly role: Role;
  readonly scope: string;
  /** Audit label, copied from the API key at exchange time. */
  readonly label: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

export interface CreateSessionInput {
  /** SHA-256 of the token that will be handed out ({@link tokenDigest}), 32 bytes. */
  readonly digest: Uint8Array;
  /** Pre-allocated id ({@link newSessionId}), e.g. when the token must carry it; default a fresh one. */
  readonly id?: string;
  readonly apiKeyId: string;
  readonly role: Role;
  readonly scope: string;
  readonly label: string;
  readonly ttlMs: number;
  readonly now: number;
}

export interface ListOptions {
  readonly now: number;
  /** Only sessions whose scope lies within this one (`*`: all). Omitted: no scope filter. */
  readonly scope?: string;
  /** Only sessions opened by this API key. */
  readonly apiKeyId?: string;
  /** At most this many (the http layer caps page sizes). */
  readonly limit?: number;
}

export interface LoadReport {
  readonly loaded: number;
  /** Expired rows skipped (and deleted from the persistence after loading). */
  readonly expired: number;
  /** Rows that break the session invariants (bad digest, role, scope, id or duplicate); skipped, left on disk. */
  readonly invalid: number;
}

export interface IncrementalLoadOptions {
  /** Rows read per page, 1..100_000 (default {@link DEFAULT_LOAD_PAGE}). */
  readonly pageSize?: number;
  /** Awaited between pages; default one turn of the event loop (setImmediate). */
  readonly yield?: () => Promise<void>;
}

export interface IncrementalLoad {
  /** The store being filled: create and revoke are safe at once; lookups must await `loaded`. */
  readonly store: SessionStore;
  /** Resolves with the report once every page is in (rejects if the persistence fails). */
  readonly loaded: Promise<LoadReport>;
}

/**
 * Rows per page of an incremental load. A row costs about 7 us on a busy 2-core machine,
 * so a 1000-row page holds the event loop for under 10 ms while the per-page query and
 * yield stay a small share of the total. (The longest stalls are not pages but the
 * indexes doubling: about 70 ms at 131k sessions, 400 ms at 524k.)
 */
export const DEFAULT_LOAD_PAGE = 1000;
const MAX_LOAD_PAGE = 100_000;
const LOAD_OPTIONS: ReadonlySet<string> = new Set(['pageSize', 'yield']);

/** Outcome of offering one persisted row to the store during a load. */
type Admission = 'loaded' | 'expired' | 'invalid' | 'skipped';

/** Sessions of one API key share role, scope and label: a million rows must not hold a million copies. */
function interner(): (s: string) => string {
  const intern = new Map<string, string>();
  return (s) => {
    const hit = intern.get(s);
    if (hit !== undefined) return hit;
    if (intern.size < 100_000) intern.set(s, s);
    return s;
  };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Longest session a caller may ask for: 31 days. The daemon's own default is far shorter. */
export const MAX_SESSION_TTL_MS = 31 * 24 * 60 * 60 * 1000;
const DIGEST_BYTES = 32;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** SHA-256 of a bearer token's UTF-8 bytes: the only form in which the store and the database know a token. */
export function tokenDigest(token: string): Uint8Array {
  return sha256Public(token);
}

/** A fresh random UUID v4 (RFC 9562) for a session's public id. */
export function newSessionId(): string {
  const b = randomBytes(16);
  b[6] = ((b[6] as number) & 0x0f) | 0x40;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** True when `id` has the form of a session id (for route parameters). */
export function isSessionId(id: string): boolean {
  return typeof id === 'string' && UUID_RE.test(id);
}

/**
 * The stored session. Its slot in the digest table is a private field: it stays out of
 * JSON, spreads and `Object.keys`, and unlike the public fields it can change while the
 * object is frozen (the table moves entries when it grows or deletes).
 */
class StoredSession implements Session {
  readonly id: string;
  readonly apiKeyId: string;
  readonly role: Role;
  readonly scope: string;
  readonly label: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  #slot = -1;

  constructor(r: Session) {
    this.id = r.id;
    this.apiKeyId = r.apiKeyId;
    this.role = r.role;
    this.scope = r.scope;
    this.label = r.label;
    this.issuedAt = r.issuedAt;
    this.expiresAt = r.expiresAt;
    Object.freeze(this);
  }

  static readonly slots: SlotAccess<StoredSession> = {
    get: (s) => s.#slot,
    set: (s, slot) => {
      s.#slot = slot;
    },
  };
}

/** Binary min-heap on expiresAt. Revoked sessions stay in it until they expire (lazy deletion). */
class ExpiryHeap {
  readonly #a: StoredSession[] = [];

  get length(): number {
    return this.#a.length;
  }

  peek(): StoredSession | undefined {
    return this.#a[0];
  }

  /** Replaces the contents with `items` (bottom-up heapify, O(n)). */
  rebuild(items: Iterable<StoredSession>): void {
    const a = this.#a;
    a.length = 0;
    for (const s of items) a.push(s);
    for (let i = (a.length >> 1) - 1; i >= 0; i--) this.#siftDown(i, a[i] as StoredSession);
  }

  push(s: StoredSession): void {
    const a = this.#a;
    let i = a.length;
    a.push(s);
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p] as StoredSession;
      if (parent.expiresAt <= s.expiresAt) break;
      a[i] = parent;
      i = p;
    }
    a[i] = s;
  }

  pop(): StoredSession | undefined {
    const a = this.#a;
    const top = a[0];
    const last = a.pop();
    if (top === undefined || last === undefined || a.length === 0) return top;
    this.#siftDown(0, last);
    return top;
  }

  /** Places `s` at or below index `i`, moving smaller children up. */
  #siftDown(i: number, s: StoredSession): void {
    const a = this.#a;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && (a[r] as StoredSession).expiresAt < (a[l] as StoredSession).expiresAt) c = r;
      const child = a[c] as StoredSession;
      if (child.expiresAt >= s.expiresAt) break;
      a[i] = child;
      i = c;
    }
    a[i] = s;
  }
}

function isRole(role: unknown): role is Role {
  return (ROLES as readonly unknown[]).includes(role);
}

function invalid(field: string): VaultError {
  return new VaultError('OV_INVALID_ARGUMENT', { field });
}

export class SessionStore {
  readonly #persistence: SessionPersistence;
  /**
   * By token digest. Probing compares digests with early-exit equality, and that is fine:
   * the keys are SHA-256 hashes of 256-bit-entropy tokens, so learning how many leading
   * bytes of some stored digest a probe matched tells an attacker nothing that helps
   * them find a token hashing there (a preimage). A presented secret compared directly
   * would need constantTimeEqual; this store never does that.
   */
  readonly #byDigest = new DigestTable<StoredSession>(StoredSession.slots, (s) => s.expiresAt);
  readonly #byId = new Map<string, StoredSession>();
  readonly #byKey = new Map<string, Set<string>>();
  readonly #expiry = new ExpiryHeap();
  /**
   * Ids revoked in memory whose delete did not reach the persistence; retried by sweep().
   * Ids are never reused, so a late retry cannot delete anything else.
   */
  readonly #pendingDeletes = new Set<string>();
  #lastLoad: LoadReport = { loaded: 0, expired: 0, invalid: 0 };
  /**
   * Set only while an incremental load runs: API keys whose sessions were revoked
   * meanwhile. Rows of such a key still to be read must not come back (see #admit).
   */
  #keysRevokedDuringLoad: Set<string> | undefined;

  /** An empty store over `persistence` (which should be empty too; use {@link load} otherwise). */
  constructor(persistence: SessionPersistence) {
    this.#persistence = persistence;
  }

  /**
   * Rebuilds the store from everything persisted: expired rows are skipped and then
   * deleted, rows that break the invariants are skipped (a lost session is only a
   * logout). Runs at daemon start, before the first request.
   */
  static load(persistence: SessionPersistence, now: number): SessionStore {
    const store = new SessionStore(persistence);
    const counts = { loaded: 0, expired: 0, invalid: 0, skipped: 0 };
    const shared = interner();
    for (const r of persistence.loadAll()) counts[store.#admit(r, now, shared)]++;
    // Not inside the loop: a persistence may not be written while loadAll() streams.
    if (counts.expired > 0) persistence.deleteExpired(now);
    store.#lastLoad = { loaded: counts.loaded, expired: counts.expired, invalid: counts.invalid };
    return store;
  }

  /**
   * Same result as {@link load}, but read a page at a time
   * ({@link SessionPersistence.loadPage}) with `opts.yield` awaited between pages, so the
   * event loop keeps turning (health checks, other requests) while a million rows load.
   * The first page is read before this returns; `loaded` settles after the last.
   *
   * The store is live from the start, and create / revoke may run between pages:
   * - a session created during the load is indexed at once and its row may turn up in a
   *   later page (or not: SQLite may reuse a freed rowid); such a row is recognised by
   *   its id *and* digest already being in memory and skipped, so it is never doubled;
   * - a revocation is taken from the persistence: revoke deletes the row, and every
   *   page is a fresh query, so a deleted row is not read again. A session revoked before
   *   its page was read is therefore never indexed (revokeById of an id not loaded yet
   *   deletes its row too). The one gap is a delete that failed: the row stays until
   *   sweep retries it, so ids in #pendingDeletes and API keys revoked during the load
   *   are skipped as well. A session its key opens after such a revoke-all is already in
   *   memory when its row is read, so the key rule never hides a live session.
   * Lookups see only the pages read so far: callers must await `loaded` before
   * authenticating against the store (the daemon hands the store to requests then).
   * Throws `OV_INVALID_ARGUMENT` for unknown or malformed options.
   */
  static loadIncrementally(persistence: SessionPersistence, now: number, opts: IncrementalLoadOptions = {}): IncrementalLoad {
    for (const k of Object.keys(opts)) if (!LOAD_OPTIONS.has(k)) throw new VaultError('OV_INVALID_ARGUMENT', { option: k });
    const pageSize = opts.pageSize ?? DEFAULT_LOAD_PAGE;
    if (!Number.isSafeInteger(pageSize) || pageSize < 1 || pageSize > MAX_LOAD_PAGE) throw invalid('pageSize');
    const pause = opts.yield ?? nextTurn;
    if (typeof pause !== 'function') throw invalid('yield');
    if (!Number.isSafeInteger(now)) throw invalid('now');

    const store = new SessionStore(persistence);
    store.#keysRevokedDuringLoad = new Set();
    const run = async (): Promise<LoadReport> => {
      const counts = { loaded: 0, expired: 0, invalid: 0, skipped: 0 };
      const shared = interner();
      try {
        for (let after = FIRST_SESSION_PAGE; ; ) {
          const page = persistence.loadPage(after, pageSize);
          for (const r of page.records) counts[store.#admit(r, now, shared)]++;
          if (page.records.length < pageSize) break;
          after = page.lastKey;
          await pause();
        }
        if (counts.expired > 0) persistence.deleteExpired(now);
      } finally {
        store.#keysRevokedDuringLoad = undefined;
      }
      store.#lastLoad = { loaded: counts.loaded, expired: counts.expired, invalid: counts.invalid };
      return store.#lastLoad;
    };
    return { store, loaded: run() };
  }

  /** True while an incremental load is still reading pages. */
  get loading(): boolean {
    return this.#keysRevokedDuringLoad !== undefined;
  }

  /**
   * Indexes one persisted row, or says why not. Outside an incremental load a row whose
   * id or digest is already in memory is a broken invariant (`invalid`); during one, the
   * same session (id and digest) was created meanwhile and is `skipped` (not counted).
   */
  #admit(r: SessionRecord, now: number, shared: (s: string) => string): Admission {
    if (!Number.isSafeInteger(r.expiresAt) || r.expiresAt <= now) return 'expired';
    if (
      !isSessionId(r.id) ||
      !(r.digest instanceof Uint8Array) ||
      r.digest.length !== DIGEST_BYTES ||
      !isRole(r.role) ||
      !isValidScope(r.scope) ||
      typeof r.apiKeyId !== 'string' ||
      typeof r.label !== 'string' ||
      !Number.isSafeInteger(r.issuedAt)
    ) {
      return 'invalid';
    }
    const present = this.#byId.get(r.id);
    const revokedKeys = this.#keysRevokedDuringLoad;
    if (revokedKeys !== undefined) {
      if (present !== undefined && this.#byDigest.get(r.digest) === present) return 'skipped';
      if (this.#pendingDeletes.has(r.id) || revokedKeys.has(r.apiKeyId)) return 'skipped';
    }
    if (present !== undefined || this.#byDigest.has(r.digest)) return 'invalid';
    const s = new StoredSession({
      id: r.id,
      apiKeyId: shared(r.apiKeyId),
      role: r.role,
      scope: shared(r.scope),
      label: shared(r.label),
      issuedAt: r.issuedAt,
      expiresAt: r.expiresAt,
    });
    this.#index(s, r.digest);
    return 'loaded';
  }

  /** What the last {@link load} found. */
  get loadReport(): LoadReport {
    return this.#lastLoad;
  }

  /** Number of sessions in memory (expired ones not yet swept or looked up included). */
  get size(): number {
    return this.#byId.size;
  }

  /**
   * Records a new session for the token whose digest is given. The persistence write
   * comes first and the session becomes visible only after it succeeded: a token is
   * handed out only once it will survive a restart, and a failed write leaves nothing
   * behind in memory (the caller fails the exchange). Throws `OV_INVALID_ARGUMENT` for
   * a malformed input, a TTL outside 1 ms..31 days, or a digest or id already present.
   */
  create(input: CreateSessionInput): { session: Session; digest: Uint8Array } {
    const { digest, apiKeyId, role, scope, label, ttlMs, now } = input;
    if (!(digest instanceof Uint8Array) || digest.length !== DIGEST_BYTES) throw invalid('digest');
    if (typeof apiKeyId !== 'string' || apiKeyId.length === 0) throw invalid('apiKeyId');
    if (!isRole(role)) throw invalid('role');
    if (!isValidScope(scope)) throw invalid('scope');
    if (typeof label !== 'string') throw invalid('label');
    if (!Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_SESSION_TTL_MS) throw invalid('ttlMs');
    if (!Number.isSafeInteger(now) || now < 0) throw invalid('now');
    const id = input.id ?? newSessionId();
    if (!isSessionId(id) || this.#byId.has(id)) throw invalid('id');
    if (this.#byDigest.has(digest)) throw invalid('digest');

    const session = new StoredSession({ id, apiKeyId, role, scope, label, issuedAt: now, expiresAt: now + ttlMs });
    const copy = digest.slice();
    const record: SessionRecord = { ...session, digest: copy };
    this.#persistence.insert(record);
    this.#index(session, copy);
    return { session, digest: copy };
  }

  /**
   * The live session for a token digest, or undefined. An expired session is dropped
   * from memory on the spot; its row is left for sweep(), so the request path never
   * waits for a disk write.
   */
  lookup(digest: Uint8Array, now: number): Session | undefined {
    if (!(digest instanceof Uint8Array) || digest.length !== DIGEST_BYTES) return undefined;
    // The expiry comes from the index: a live hit loads the session only when the caller
    // reads it.
    const table = this.#byDigest;
    const slot = table.find(digest);
    if (slot < 0) return undefined;
    const s = table.valueAt(slot);
    if (now >= table.expiryAt(slot)) {
      this.#unindex(s);
      return undefined;
    }
    return s;
  }

  /**
   * {@link lookup}, and on a miss the persistence: another daemon on the same database
   * may have opened the session. A live row found there is indexed (its revocation
   * reaches this store as a cluster event, through {@link forget}); a miss is not
   * remembered, so a session created a moment later elsewhere is found on the next try.
   */
  lookupShared(digest: Uint8Array, now: number): Session | undefined {
    const hit = this.lookup(digest, now);
    if (hit !== undefined || !(digest instanceof Uint8Array) || digest.length !== DIGEST_BYTES) return hit;
    const r = this.#persistence.getByDigest(digest);
    if (r === undefined || this.#pendingDeletes.has(r.id) || this.#keysRevokedDuringLoad?.has(r.apiKeyId) === true) return undefined;
    return this.#admit(r, now, (x) => x) === 'loaded' ? this.#byId.get(r.id) : undefined;
  }

  /** {@link getById}, and on a miss the persistence (as {@link lookupShared}). */
  getByIdShared(id: string, now: number): Session | undefined {
    const hit = this.getById(id, now);
    if (hit !== undefined || !isSessionId(id)) return hit;
    const r = this.#persistence.getById(id);
    if (r === undefined || this.#pendingDeletes.has(r.id) || this.#keysRevokedDuringLoad?.has(r.apiKeyId) === true) return undefined;
    return this.#admit(r, now, (x) => x) === 'loaded' ? this.#byId.get(r.id) : undefined;
  }

  /**
   * Drops a session from memory only: another daemon revoked it and already deleted its
   * row. False when it was not in memory.
   */
  forget(id: string): boolean {
    const s = this.#byId.get(id);
    if (s === undefined) return false;
    this.#unindex(s);
    return true;
  }

  /** Drops every session of an API key from memory only (the key was rotated or deleted elsewhere); returns how many. */
  forgetKey(apiKeyId: string): number {
    this.#keysRevokedDuringLoad?.add(apiKeyId);
    let n = 0;
    for (const id of [...(this.#byKey.get(apiKeyId) ?? [])]) if (this.forget(id)) n++;
    return n;
  }

  /** Drops every session from memory (a node that fell behind and cannot tell what it missed). */
  forgetAll(): number {
    const ids = [...this.#byId.keys()];
    for (const id of ids) this.forget(id);
    return ids.length;
  }

  /** The live session with this public id, or undefined (unknown or expired). */
  getById(id: string, now: number): Session | undefined {
    const s = this.#byId.get(id);
    if (s === undefined || now >= s.expiresAt) return undefined;
    return s;
  }

  /**
   * Revokes one session; false (and nothing changes) when the id is unknown.
   *
   * Order matters, and is the opposite of create(): memory first, then disk. The
   * in-memory index is what every request is checked against, so once it is updated
   * the token cannot validate again in this process, whatever happens next. If the disk
   * write then fails, the error propagates and the daemon must fail the request (the
   * caller was not told "revoked"); the id is queued and the delete retried by sweep(),
   * so the row does not bring the session back at the next restart. Writing disk first
   * would leave a window, or after a failed write a permanent state, in which a
   * revoked token still validates.
   */
  revokeById(id: string): boolean {
    const s = this.#byId.get(id);
    if (s === undefined) {
      // During an incremental load the session may be on a page not read yet: its row
      // is the only copy, and deleting it is the revocation (loadIncrementally).
      if (!this.loading || !isSessionId(id)) return false;
      try {
        return this.#persistence.delete(id);
      } catch (e) {
        this.#pendingDeletes.add(id);
        throw e;
      }
    }
    this.#unindex(s);
    try {
      this.#persistence.delete(id);
    } catch (e) {
      this.#pendingDeletes.add(id);
      throw e;
    }
    return true;
  }

  /**
   * Revokes every session opened with an API key (key rotated or deleted); returns how
   * many were in memory (during an incremental load: at least as many as were persisted,
   * since some are not loaded yet). Same order and failure handling as {@link revokeById}.
   */
  revokeAllForKey(apiKeyId: string): number {
    // Recorded before the delete, which may fail: rows of this key read later must not
    // bring its sessions back (loadIncrementally).
    this.#keysRevokedDuringLoad?.add(apiKeyId);
    const ids = this.#byKey.get(apiKeyId);
    const revoked: string[] = [];
    if (ids !== undefined) {
      for (const id of [...ids]) {
        const s = this.#byId.get(id);
        if (s !== undefined) {
          this.#unindex(s);
          revoked.push(id);
        }
      }
    }
    let deleted: number;
    try {
      deleted = this.#persistence.deleteByApiKey(apiKeyId);
    } catch (e) {
      // Retry by id, not by key: the key may open new sessions before the retry runs,
      // and those must not be deleted with the old ones.
      for (const id of revoked) this.#pendingDeletes.add(id);
      throw e;
    }
    return this.loading ? Math.max(revoked.length, deleted) : revoked.length;
  }

  /**
   * Live sessions visible to a caller, in creation (or load) order. With `scope`, only
   * sessions whose scope lies within it: a scoped admin passes its own scope, the daemon
   * admin passes `*`. This walks every session: it is an admin listing, not a request path.
   */
  list(opts: ListOptions): Session[] {
    const { now, scope, apiKeyId } = opts;
    const limit = opts.limit ?? Infinity;
    const out: Session[] = [];
    if (limit <= 0) return out;
    const consider = (s: StoredSession): boolean => {
      if (now >= s.expiresAt) return true;
      if (scope !== undefined && !scopeContains(scope, s.scope)) return true;
      out.push(s);
      return out.length < limit;
    };
    if (apiKeyId !== undefined) {
      for (const id of this.#byKey.get(apiKeyId) ?? []) {
        const s = this.#byId.get(id);
        if (s !== undefined && !consider(s)) break;
      }
    } else {
      for (const s of this.#byId.values()) if (!consider(s)) break;
    }
    return out;
  }

  /**
   * Drops every session expired at `now` from memory (touching only those, via the
   * expiry heap), deletes expired rows from the persistence and retries deletes that
   * failed earlier. Returns the number of sessions removed from memory. The daemon runs
   * it on a timer; a persistence error propagates after memory is already clean.
   */
  sweep(now: number): number {
    let n = 0;
    for (let top = this.#expiry.peek(); top !== undefined && top.expiresAt <= now; top = this.#expiry.peek()) {
      this.#expiry.pop();
      // Revoked or lazily expired sessions are still in the heap; skip those.
      if (this.#byId.get(top.id) === top) {
        this.#unindex(top);
        n++;
      }
    }
    for (const id of [...this.#pendingDeletes]) {
      this.#persistence.delete(id);
      this.#pendingDeletes.delete(id);
    }
    this.#persistence.deleteExpired(now);
    return n;
  }

  #index(s: StoredSession, digest: Uint8Array): void {
    this.#byDigest.insert(digest, s);
    this.#byId.set(s.id, s);
    let ids = this.#byKey.get(s.apiKeyId);
    if (ids === undefined) this.#byKey.set(s.apiKeyId, (ids = new Set()));
    ids.add(s.id);
    this.#expiry.push(s);
  }

  /**
   * Removes from the three maps. The expiry heap lets go when the session's time comes,
   * or sooner: once revoked entries outnumber live ones it is rebuilt from the live set
   * (amortised O(1) per revocation), so mass revocation cannot pin memory for weeks.
   */
  #unindex(s: StoredSession): void {
    this.#byDigest.delete(s);
    this.#byId.delete(s.id);
    const ids = this.#byKey.get(s.apiKeyId);
    if (ids !== undefined) {
      ids.delete(s.id);
      if (ids.size === 0) this.#byKey.delete(s.apiKeyId);
    }
    if (this.#expiry.length > 2 * this.#byId.size + 1024) this.#expiry.rebuild(this.#byId.values());
  }
}

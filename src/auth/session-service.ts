/**
 * Sessions as a service: the rules of the key -> token exchange and of session
 * management that hold whatever the transport. A session lives between 1 s and the
 * configured maximum; its token is recorded only as its SHA-256 digest, so the store
 * decides every later request and revocation takes effect at once. Visibility is
 * two-tier: an admin lists and revokes sessions whose scope lies within its own (others
 * behave as absent), and any caller may end its own session.
 * @module
 */
import { parseDuration } from '../util/duration.js';
import { VaultError } from '../errors.js';
import type { ApiKeyRecord, Role } from '../storage/types.js';
import { scopeContains } from './scope.js';
import { newSessionId, tokenDigest, type Session, type SessionStore } from './session-store.js';

/** Shortest session an exchange may ask for. */
const MIN_TTL_MS = 1000;

/** The claims a session token carries (`sub` = API key id, `jti` = session id; seconds). */
export interface SessionTokenClaims {
  readonly sub: string;
  readonly jti: string;
  readonly role: Role;
  readonly scope: string;
  readonly iat: number;
  readonly exp: number;
}

export interface SessionServiceDeps {
  /** The session store, once loaded. */
  readonly sessions: () => Promise<SessionStore>;
  readonly now: () => number;
  readonly defaultTtlMs: number;
  readonly maxTtlMs: number;
  /** Other daemons share the persistence: a session unknown here is looked up there. */
  readonly shared?: boolean;
}

export interface IssuedSession {
  readonly token: string;
  readonly session: Session;
  /** Revokes the session again (when its issue could not be recorded). */
  readonly undo: () => void;
}

export class SessionService {
  readonly #deps: SessionServiceDeps;

  constructor(deps: SessionServiceDeps) {
    this.#deps = deps;
  }

  /** The lifetime `requested` names (default when absent); OV_BAD_REQUEST (field `ttl`) outside 1 s..max. */
  ttl(requested: string | undefined): number {
    if (requested === undefined) return this.#deps.defaultTtlMs;
    const t = parseDuration(requested);
    if (t === undefined || t < MIN_TTL_MS || t > this.#deps.maxTtlMs) throw new VaultError('OV_BAD_REQUEST', { field: 'ttl' });
    return t;
  }

  /** Opens a session for an authenticated key: `sign` makes its token, whose digest the store keeps. */
  async issue(record: ApiKeyRecord, ttlMs: number, sign: (claims: SessionTokenClaims) => string): Promise<IssuedSession> {
    const store = await this.#deps.sessions();
    const issuedAt = this.#deps.now();
    const id = newSessionId();
    const expiresAt = issuedAt + ttlMs;
    const token = sign({
      sub: record.id,
      jti: id,
      role: record.role,
      scope: record.scope,
      iat: Math.floor(issuedAt / 1000),
      // Rounded up: the session store, in milliseconds, is what decides the exact end.
      exp: Math.ceil(expiresAt / 1000),
    });
    const { session } = store.create({
      digest: tokenDigest(token),
      id,
      apiKeyId: record.id,
      role: record.role,
      scope: record.scope,
      label: record.label,
      ttlMs,
      now: issuedAt,
    });
    return {
      token,
      session,
      undo: () => {
        store.revokeById(id);
      },
    };
  }

  /** Live sessions within the caller's scope, optionally of one API key. */
  async list(caller: Session, opts: { readonly limit: number; readonly apiKeyId?: string | undefined }): Promise<Session[]> {
    const store = await this.#deps.sessions();
    return store.list({
      now: this.#deps.now(),
      scope: caller.scope,
      limit: opts.limit,
      ...(opts.apiKeyId === undefined ? {} : { apiKeyId: opts.apiKeyId }),
    });
  }

  /** Ends the caller's own session. */
  async end(caller: Session): Promise<void> {
    const store = await this.#deps.sessions();
    store.revokeById(caller.id);
  }

  /**
   * Revokes session `id`: the caller's own, or as an admin one within its scope.
   * OV_FORBIDDEN for a non-admin's other session; OV_NOT_FOUND when absent or outside
   * the caller's scope (which looks exactly like absent).
   */
  async revoke(caller: Session, id: string): Promise<Session> {
    const store = await this.#deps.sessions();
    const target = this.#deps.shared === true ? store.getByIdShared(id, this.#deps.now()) : store.getById(id, this.#deps.now());
    const own = target !== undefined && target.id === caller.id;
    if (!own && caller.role !== 'admin') throw new VaultError('OV_FORBIDDEN');
    if (target === undefined || (!own && !scopeContains(caller.scope, target.scope))) throw new VaultError('OV_NOT_FOUND');
    store.revokeById(target.id);
    return target;
  }
}

/**
 * Authentication and admission, as a plugin every route opts into through its config
 * (`access`, and `scopePath` for routes addressing one scoped object).
 *
 * onRequest, in order: the per-address request rate (`limits.max_request_rate`); while
 * sealed, everything outside `/v1/sys/*` answers 503 OV_SEALED (501 OV_NOT_INITIALIZED
 * before setup); then, for routes that need one, the session: a strictly formed `Bearer`
 * JWT, verified (HS256 only, `kid` = token key version, expiry against the vault's
 * clock), then looked up by its SHA-256 in the session store, which is the authority (a
 * revoked token is refused at once); then role and scope (403 OV_FORBIDDEN). It runs
 * before the body is parsed, so an anonymous caller cannot make the daemon parse anything.
 * preHandler: a route's `scopePath` must lie within the caller's scope (403 otherwise,
 * whether or not the target exists).
 *
 * In a cluster (PostgreSQL shared by several daemons) a node whose lease has lapsed answers
 * every non-public route 503 OV_CLUSTER_LEASE: it may have missed another node's
 * revocation. A token this node has not seen is looked up in the database (another node
 * may have issued it), and a revoking route (`SETTLING_ROUTES`) answers only once every
 * other live node has applied the change, so the revoked token fails everywhere from then on.
 *
 * Speed: a verified token is remembered by its digest, so a repeat request skips the JWT
 * decode and HMAC (the session store still decides every time), and a loaded store costs
 * no extra promise turn.
 * @module
 */
import type { FastifyInstance, FastifyPluginCallback, FastifyRequest } from 'fastify';
import { pathInScope, SCOPE_ALL } from '../../auth/scope.js';
import { tokenDigest, type Session } from '../../auth/session-store.js';
import { VaultError, isVaultError } from '../../errors.js';
import type { Keyring } from '../../keyring/index.js';
import type { Role } from '../../storage/types.js';
import { newRequestState, routeOf, type Access, type RouteContext, type TokenClaims } from '../context.js';
import { errorBody, RETRY_AFTER } from '../errors.js';
import type { RequestRate } from '../ratelimit.js';

/** Longest Authorization header looked at; a real one is a few hundred bytes. */
const MAX_AUTH_HEADER = 4096;
// The scheme name is case-insensitive (RFC 7235 section 2.1); the token itself is not.
const BEARER_RE = /^[Bb][Ee][Aa][Rr][Ee][Rr] ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;
export const JWT_ISSUER = 'ontoref-vault';
const ROLE_RANK: Readonly<Record<Role, number>> = { admin: 0, operator: 1, reader: 2 };
/** Verified tokens remembered (by digest) so that repeat requests skip the JWT work; see `verified`. */
export const MAX_VERIFIED_TOKENS = 10_000;
const PUBLIC_ACCESS: Access = { kind: 'public' };
/** Routes that revoke (sessions, API keys, key versions): in a cluster they wait for every node to apply it. */
export const SETTLING_ROUTES: ReadonlySet<string> = new Set([
  'DELETE /v1/sessions/self',
  'DELETE /v1/sessions/:id',
  'POST /v1/apikeys/:id/rotate',
  'DELETE /v1/apikeys/:id',
  'POST /v1/keys/:name/rotate',
  'POST /v1/keys/:name/min-decrypt-version',
]);

interface VerifiedToken {
  readonly keyring: Keyring;
  readonly kid: number;
  readonly claims: TokenClaims;
  /** Milliseconds: valid while now <= notAfter (exp) and now >= notBefore (nbf). */
  readonly notAfter: number;
  readonly notBefore: number;
}

export interface AuthPluginOptions {
  readonly ctx: RouteContext;
  /** Per-address request rate; undefined for none. */
  readonly requestRate: RequestRate | undefined;
}

/** The versioned token key, as the buffer @fastify/jwt takes. */
export function tokenKey(keyring: Keyring, version?: number): { version: number; key: Buffer } {
  const s = keyring.secret('token', version);
  return { version: s.version, key: Buffer.from(s.key.buffer, s.key.byteOffset, s.key.byteLength) };
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return typeof header === 'string' && header.length <= MAX_AUTH_HEADER ? BEARER_RE.exec(header)?.[1] : undefined;
}

function authPluginImpl(app: FastifyInstance, opts: AuthPluginOptions): void {
  const { ctx, requestRate } = opts;
  const { vault, metrics } = ctx;
  const now = vault.now;

  /** The claims of a token this vault issued and that has not expired; throws otherwise. */
  const verifyToken = (token: string, keyring: Keyring): TokenClaims & { kid: number } => {
    const decoded = app.jwt.decode<{ header: { kid?: unknown; alg?: unknown } }>(token, { complete: true });
    const kid = decoded?.header.kid;
    if (typeof kid !== 'string' || !/^[1-9][0-9]{0,8}$/.test(kid)) throw new VaultError('OV_AUTH_INVALID');
    const { key } = tokenKey(keyring, Number(kid));
    const claims = app.jwt.verify<Record<string, unknown>>(token, {
      key,
      algorithms: ['HS256'],
      allowedIss: JWT_ISSUER,
      requiredClaims: ['sub', 'jti', 'exp', 'iat'],
      clockTimestamp: now(),
      clockTolerance: 0,
    });
    if (typeof claims.sub !== 'string' || typeof claims.jti !== 'string' || typeof claims.exp !== 'number') throw new VaultError('OV_AUTH_INVALID');
    return { ...(claims as unknown as TokenClaims), kid: Number(kid) };
  };

  const sealedError = (): VaultError => (vault.seal.status().initialized ? new VaultError('OV_SEALED') : new VaultError('OV_NOT_INITIALIZED'));

  /**
   * Tokens already verified (signature, issuer, claims), by the base64 of their SHA-256
   * digest, which every request computes anyway for the session lookup: a workflow
   * presents the same token many times, and the JWT work (two base64url+JSON decodes, a
   * key object, HMAC) is most of what authentication costs. A hit still requires the
   * same keyring (a seal or unseal empties it in effect), a token key version the
   * keyring still hands out, and `now` inside the token's validity, with the same
   * bounds @fastify/jwt applies (valid while now <= exp, and now >= nbf when present);
   * anything else takes the full path, which gives the answer. The session store stays
   * the authority on every request, so revocation is still immediate. Only digests are
   * held, never tokens.
   */
  const verified = new Map<string, VerifiedToken>();

  const verifiedClaims = (token: string, key: string, keyring: Keyring, at: number): TokenClaims => {
    const hit = verified.get(key);
    if (hit !== undefined) {
      if (hit.keyring === keyring && at <= hit.notAfter && at >= hit.notBefore) {
        keyring.secret('token', hit.kid);
        return hit.claims;
      }
      verified.delete(key);
    }
    const claims = verifyToken(token, keyring);
    if (verified.size >= MAX_VERIFIED_TOKENS) {
      // Oldest first (Map keeps insertion order): a flood of distinct valid tokens only
      // costs the full verification again.
      const oldest = verified.keys().next();
      if (oldest.done !== true) verified.delete(oldest.value);
    }
    const nbf = (claims as unknown as { nbf?: unknown }).nbf;
    verified.set(key, {
      keyring,
      kid: claims.kid,
      claims,
      notAfter: claims.exp * 1000,
      notBefore: typeof nbf === 'number' ? nbf * 1000 : -Infinity,
    });
    return claims;
  };

  const authenticate = async (request: FastifyRequest, keyring: Keyring): Promise<Session> => {
    const state = request.vault;
    const token = bearerToken(request);
    const fail = (key?: string): never => {
      if (key !== undefined) verified.delete(key);
      state.auditType = 'auth';
      // Correlatable without storing the token: an HMAC under the audit key ('redacted' when sealed).
      if (token !== undefined) state.detail = { token: vault.audit.hmac(token) };
      metrics.authFailure();
      throw new VaultError('OV_AUTH_INVALID');
    };
    if (token === undefined) return fail();
    const digest = tokenDigest(token);
    const key = Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('base64');
    const at = now();
    let claims: TokenClaims;
    try {
      claims = verifiedClaims(token, key, keyring, at);
    } catch (e) {
      if (isVaultError(e, 'OV_SEALED')) throw e;
      return fail(key);
    }
    // Loaded (the usual case): no extra promise turn on the hot path.
    const store = vault.loadedSessions() ?? (await vault.sessions());
    const session = vault.cluster === undefined ? store.lookup(digest, now()) : store.lookupShared(digest, now());
    // The store decides; the claims must agree with it (defence in depth against a key misuse).
    if (session === undefined || session.id !== claims.jti || session.apiKeyId !== claims.sub) return fail(key);
    return session;
  };

  const authorise = (session: Session, access: Access): void => {
    if (access.kind !== 'session') return;
    if (ROLE_RANK[session.role] > ROLE_RANK[access.role]) throw new VaultError('OV_FORBIDDEN');
    if (access.unscoped === true && session.scope !== SCOPE_ALL) throw new VaultError('OV_FORBIDDEN');
  };

  app.decorateRequest('vault', null as unknown as ReturnType<typeof newRequestState>);

  app.addHook('onRequest', async (request) => {
    request.vault = newRequestState();
    if (requestRate !== undefined && !requestRate.allow(request.ip, now())) {
      metrics.rateLimited();
      throw new VaultError('OV_RATE_LIMITED', { [RETRY_AFTER]: 1 });
    }
    const { url: route, config } = routeOf(request);
    const access: Access = config.access ?? PUBLIC_ACCESS;
    const keyring = vault.keyring();
    const sys = route !== undefined && route.startsWith('/v1/sys/');
    if (keyring === undefined && (!sys || access.kind !== 'public')) {
      // Still worth recording who knocked: the token's HMAC, or 'redacted' with no audit key.
      const token = bearerToken(request);
      if (token !== undefined) request.vault.detail = { token: vault.audit.hmac(token) };
      throw sealedError();
    }
    if (access.kind === 'public') return;
    if (keyring === undefined) throw sealedError();
    vault.cluster?.assertServing();
    const session = await authenticate(request, keyring);
    request.vault.session = session;
    request.vault.apiKey = session.apiKeyId;
    authorise(session, access);
  });

  if (vault.cluster !== undefined) {
    const cluster = vault.cluster;
    // Before the audit plugin's onSend (registered after this one): the entry records the final answer.
    app.addHook('onSend', async (request, reply, payload) => {
      if (reply.statusCode >= 400 || !SETTLING_ROUTES.has(`${request.method} ${routeOf(request).url ?? ''}`)) return payload;
      try {
        await cluster.settle();
        return payload;
      } catch (err) {
        // The change has committed, but not every node is known to have applied it: the
        // caller must not take it as done everywhere, nor as not done (a distinct code, so
        // a client never resends it as it would a request refused with OV_CLUSTER_LEASE).
        request.log.error({ err }, 'revocation not acknowledged by every live node');
        const e = new VaultError('OV_CLUSTER_UNACKNOWLEDGED', isVaultError(err) ? { cause: err.code } : {});
        request.vault.errorCode = e.code;
        void reply.code(e.status);
        void reply.header('content-type', 'application/json; charset=utf-8');
        return JSON.stringify(errorBody({ error: e, unexpected: false }));
      }
    });
  }

  // Only routes that address one scoped object get this hook (no cost elsewhere).
  app.addHook('onRoute', (route) => {
    const scopePath = route.config?.scopePath;
    if (scopePath === undefined) return;
    const check = (request: FastifyRequest, _reply: unknown, done: (err?: Error) => void): void => {
      let path: string;
      try {
        path = scopePath(request);
      } catch (e) {
        done(e as Error);
        return;
      }
      const s = request.vault.session;
      if (s === undefined || !pathInScope(s.scope, path)) {
        done(new VaultError('OV_FORBIDDEN'));
        return;
      }
      request.vault.target = path;
      done();
    };
    const own = route.preHandler;
    // First of the route's own preHandlers: the scope decides before anything else is looked at.
    route.preHandler = own === undefined ? [check] : [check, ...(Array.isArray(own) ? own : [own])];
  });
}

// Not encapsulated: the hooks apply to every route of the server that registers it
// (the property fastify-plugin sets).
export const authPlugin: FastifyPluginCallback<AuthPluginOptions> = Object.assign(
  (app: FastifyInstance, opts: AuthPluginOptions, done: (err?: Error) => void) => {
    authPluginImpl(app, opts);
    done();
  },
  { [Symbol.for('skip-override')]: true },
);

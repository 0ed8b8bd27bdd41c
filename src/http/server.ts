/**
 * `buildServer(deps)`: the daemon's HTTP API as a fastify instance that never listens and
 * never reads the environment (STYLE.md habit 11). Tests drive it with `inject()`;
 * src/daemon.ts calls `listen`. docs/api.md describes every route.
 *
 * Request life cycle, in order:
 * 1. onRequest: per-address request rate (`limits.max_request_rate`); while sealed,
 *    everything outside `/v1/sys/*` answers 503 OV_SEALED (501 OV_NOT_INITIALIZED before
 *    setup); then, for routes that need one, the session: a strictly formed `Bearer`
 *    JWT, verified (HS256 only, `kid` = token key version, expiry against the injected
 *    clock), then looked up by its SHA-256 in the session store, which is the authority
 *    (a revoked token is refused at once); then role and scope (403 OV_FORBIDDEN).
 *    Authentication runs before the body is parsed, so an anonymous caller cannot make
 *    the daemon parse anything.
 * 2. Body parsing (JSON only; other content types 415, oversized 413) and schema
 *    validation (unknown fields 400), then the handler.
 * 3. onSend: one audit entry per request, appended durably (group commit: entries of
 *    concurrent requests share one transaction) before the answer leaves. If
 *    the append fails the answer is replaced by 500 OV_AUDIT_FAILED and any side effect
 *    the route registered for that case (an issued token) is undone: fail closed.
 * 4. onResponse: request counters for `/v1/sys/metrics`, and one `request completed` log
 *    line (method, path, address, status, time).
 *
 * Speed (bench/http.ts): a verified token is remembered by its digest, so a repeat
 * request skips the JWT decode and HMAC (the session store still decides every time),
 * and each request writes one log line, not two.
 *
 * Errors of every kind go through one handler (./errors.ts): registry code, registry
 * message and status, never an echo of the request. Logs are pino JSON; authorization
 * headers, cookies and the secret-bearing body fields (LOG_REDACT_PATHS: key, token, share,
 * passphrase, passwords, keystores, key files) are redacted,
 * and request bodies are never logged.
 * @module
 */
import fastifyJwt from '@fastify/jwt';
import fastifySwagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { SCOPE_ALL } from '../auth/scope.js';
import { tokenDigest, type Session, type SessionStore } from '../auth/session-store.js';
import { VaultError, isVaultError } from '../errors.js';
import type { Keyring } from '../keyring/index.js';
import type { Role } from '../storage/types.js';
import { packageVersion } from '../util/package-version.js';
import { newRequestState, type Access, type RouteContext, type ServerDeps, type TokenClaims, type VaultApp } from './context.js';
import { errorBody, mapError, RETRY_AFTER } from './errors.js';
import { Metrics } from './metrics.js';
import { FailureWindow, RequestRate } from './ratelimit.js';
import { registerApiKeyRoutes } from './routes/apikeys.js';
import { registerKeyRoutes } from './routes/keys.js';
import { registerKeymanagerRoutes } from './routes/keymanager.js';
import { registerSecretRoutes } from './routes/secrets.js';
import { registerSessionRoutes } from './routes/sessions.js';
import { registerSysRoutes } from './routes/sys.js';
import { registerValidatorRoutes } from './routes/validators.js';
import { validatorCompiler } from './validator.js';

/** Argon2id runs allowed in flight at once (each holds 48 MiB); more exchanges get 429. */
export const MAX_CONCURRENT_EXCHANGES = 16;
/** Longest Authorization header looked at; a real one is a few hundred bytes. */
const MAX_AUTH_HEADER = 4096;
// The scheme name is case-insensitive (RFC 7235 section 2.1); the token itself is not.
const BEARER_RE = /^[Bb][Ee][Aa][Rr][Ee][Rr] ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;
const JWT_ISSUER = 'ontoref-vault';
const ROLE_RANK: Readonly<Record<Role, number>> = { admin: 0, operator: 1, reader: 2 };
const WINDOW_MS = 60_000;
/** Verified tokens remembered (by digest) so that repeat requests skip the JWT work; see `verified`. */
export const MAX_VERIFIED_TOKENS = 10_000;

interface VerifiedToken {
  readonly keyring: Keyring;
  readonly kid: number;
  readonly claims: TokenClaims;
  /** Milliseconds: valid while now <= notAfter (exp) and now >= notBefore (nbf). */
  readonly notAfter: number;
  readonly notBefore: number;
}

/** Paths pino must never print (fastify logs requests without bodies; this is the backstop). */
export const LOG_REDACT_PATHS: readonly string[] = Object.freeze([
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'body.key',
  'body.token',
  'body.share',
  'body.passphrase',
  'body.password',
  'body.passwords',
  'body.keystore',
  'body.keystores',
  'body.key_file',
  'body.items[*].password',
  'body.items[*].keystore',
  '*.key',
  '*.token',
  '*.share',
  '*.passphrase',
]);

function loggerOptions(deps: ServerDeps): Exclude<FastifyServerOptions['logger'], undefined> {
  const l = deps.logger ?? false;
  if (l === false) return false;
  return {
    level: l.level ?? deps.config.logLevel,
    redact: { paths: [...LOG_REDACT_PATHS], censor: '[redacted]' },
    // Log the path, never the query string: a client that (wrongly) puts a token or key in
    // a query parameter must not have it written to the log.
    serializers: {
      req: (req: FastifyRequest) => ({ method: req.method, url: pathOnly(req.url), remoteAddress: req.ip }),
    },
    ...(l.stream === undefined ? {} : { stream: l.stream }),
  };
}

function pathOnly(url: string): string {
  const q = url.indexOf('?');
  const p = q === -1 ? url : url.slice(0, q);
  return p.length > 512 ? p.slice(0, 512) : p;
}

/** Builds the server; it is ready for `inject()` or `listen()` once the returned promise resolves. */
export async function buildServer(deps: ServerDeps): Promise<VaultApp> {
  const now = deps.now ?? Date.now;
  const { config } = deps;
  const app = Fastify({
    logger: loggerOptions(deps),
    bodyLimit: config.limits.bodyLimit,
    // No trailing-slash or case folding: one path has one spelling.
    routerOptions: { ignoreTrailingSlash: false, caseSensitive: true },
    // The daemon sits on loopback or behind an operator's own proxy; addresses are the socket's.
    trustProxy: false,
    requestIdHeader: false,
    // Logged once per request, on completion (onResponse below), instead of twice. (Through
    // a LogController: the top-level disableRequestLogging option prints a deprecation
    // warning at every start since fastify 5.8.)
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    // Server-side timeouts bound slow-loris style clients; well above the ~100 ms exchange.
    connectionTimeout: 30_000,
    requestTimeout: 60_000,
    keepAliveTimeout: 5_000,
  }).withTypeProvider<TypeBoxTypeProvider>();
  const logRequests = deps.logger !== undefined && deps.logger !== false && ['trace', 'debug', 'info'].includes(app.log.level);
  app.setValidatorCompiler(validatorCompiler);
  // JSON only: a text/plain body is refused (415) rather than validated as a string.
  app.removeContentTypeParser('text/plain');

  await app.register(fastifyJwt, {
    // Keys are passed per call (the keyring's versioned token key); this one is never used.
    secret: () => {
      throw new VaultError('OV_SEALED');
    },
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'ontoref-vault',
        description: 'Post-quantum key vault daemon API. Errors: {"error": {"code", "message"}}; codes in docs/errors.md.',
        version: packageVersion(),
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    },
  });

  const metrics = new Metrics();
  const limits = {
    address: new FailureWindow(config.limits.authFailuresPerAddress, WINDOW_MS),
    key: new FailureWindow(config.limits.authFailuresPerKey, WINDOW_MS),
    unseal: new FailureWindow(config.limits.authFailuresPerAddress, WINDOW_MS),
  };
  const requestRate = config.limits.maxRequestRate === null ? undefined : new RequestRate(config.limits.maxRequestRate);
  let loaded: SessionStore | undefined = deps.sessions instanceof Promise ? undefined : deps.sessions;
  const sessionsPromise = Promise.resolve(deps.sessions).then((s) => (loaded = s));
  // A failed load is reported to each request that needs the store; do not leave it unhandled.
  sessionsPromise.catch(() => undefined);
  let exchanges = 0;

  const tokenKey = (keyring: Keyring, version?: number): { version: number; key: Buffer } => {
    const s = keyring.secret('token', version);
    return { version: s.version, key: Buffer.from(s.key.buffer, s.key.byteOffset, s.key.byteLength) };
  };

  const ctx: RouteContext = {
    deps,
    now,
    version: packageVersion(),
    metrics,
    startedAt: now(),
    limits,
    sessions: () => (loaded !== undefined ? Promise.resolve(loaded) : sessionsPromise),
    loadedSessions: () => loaded,
    signToken(claims: TokenClaims): string {
      const keyring = deps.keyring();
      if (keyring === undefined) throw new VaultError('OV_SEALED');
      const { version, key } = tokenKey(keyring);
      // iat and exp come from the claims (the injected clock), not from fast-jwt's own clock.
      return app.jwt.sign({ ...claims, iss: JWT_ISSUER }, { key, algorithm: 'HS256', kid: String(version) });
    },
    enterExchange(): boolean {
      if (exchanges >= MAX_CONCURRENT_EXCHANGES) return false;
      exchanges++;
      return true;
    },
    leaveExchange(): void {
      exchanges--;
    },
  };

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

  const sealedError = (): VaultError => (deps.seal.status().initialized ? new VaultError('OV_SEALED') : new VaultError('OV_NOT_INITIALIZED'));

  const bearerToken = (request: FastifyRequest): string | undefined => {
    const header = request.headers.authorization;
    return typeof header === 'string' && header.length <= MAX_AUTH_HEADER ? BEARER_RE.exec(header)?.[1] : undefined;
  };

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
      if (token !== undefined) state.detail = { token: deps.audit.hmac(token) };
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
    const store = ctx.loadedSessions() ?? (await ctx.sessions());
    const session = store.lookup(digest, now());
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
    const route = request.routeOptions.url;
    const access: Access = request.routeOptions.config.access ?? { kind: 'public' };
    const keyring = deps.keyring();
    const sys = route !== undefined && route.startsWith('/v1/sys/');
    if (keyring === undefined && (!sys || access.kind !== 'public')) {
      // Still worth recording who knocked: the token's HMAC, or 'redacted' with no audit key.
      const token = bearerToken(request);
      if (token !== undefined) request.vault.detail = { token: deps.audit.hmac(token) };
      throw sealedError();
    }
    if (access.kind === 'public') return;
    if (keyring === undefined) throw sealedError();
    const session = await authenticate(request, keyring);
    request.vault.session = session;
    request.vault.apiKey = session.apiKeyId;
    authorise(session, access);
  });

  // Unknown keys are rejected everywhere: a route without a query schema accepts no query
  // parameters at all, so a typo (`?verison=2`) is an error, not a silently ignored option.
  app.addHook('preValidation', (request, _reply, done) => {
    const q = request.query;
    const unknown = request.routeOptions.schema?.querystring === undefined && typeof q === 'object' && q !== null && Object.keys(q).length > 0;
    done(unknown ? new VaultError('OV_BAD_REQUEST', { field: 'query' }) : undefined);
  });

  app.setErrorHandler((err, request, reply) => {
    const mapped = mapError(err, request);
    const e = mapped.error;
    if (mapped.unexpected) request.log.error({ err }, 'unexpected error');
    else if (e.status >= 500) request.log.warn({ code: e.code, detail: e.detail }, 'request failed');
    if (request.vault === null) request.vault = newRequestState();
    request.vault.errorCode = e.code;
    if (e.status === 401) void reply.header('www-authenticate', 'Bearer');
    const retry = e.detail?.[RETRY_AFTER];
    if (e.code === 'OV_RATE_LIMITED') void reply.header('retry-after', String(typeof retry === 'number' ? retry : 1));
    return reply.code(e.status).type('application/json; charset=utf-8').send(errorBody(mapped));
  });

  app.setNotFoundHandler((request, reply) => {
    if (request.vault === null) request.vault = newRequestState();
    request.vault.errorCode = 'OV_NOT_FOUND';
    return reply.code(404).type('application/json; charset=utf-8').send(errorBody({ error: new VaultError('OV_NOT_FOUND'), unexpected: false }));
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.vault === null) request.vault = newRequestState();
    const st = request.vault;
    try {
      // Group commit: resolves once the transaction holding this entry has committed, so
      // the answer still leaves only after its entry is durable.
      await deps.audit.appendAsync({
        type: st.auditType,
        method: request.method,
        path: pathOnly(request.url),
        status: reply.statusCode,
        remote: request.ip,
        ...(st.errorCode === undefined ? {} : { code: st.errorCode }),
        ...(st.session === undefined ? {} : { session: st.session.id }),
        ...(st.apiKey === undefined ? {} : { apiKey: st.apiKey }),
        ...(st.detail === undefined ? {} : { detail: st.detail }),
      });
      return payload;
    } catch (err) {
      metrics.auditFailure();
      request.log.error({ err }, 'audit append failed; answer withheld');
      try {
        st.onAuditFailure?.();
      } catch (undoErr) {
        request.log.error({ err: undoErr }, 'undo after audit failure failed');
      }
      st.errorCode = 'OV_AUDIT_FAILED';
      const e = new VaultError('OV_AUDIT_FAILED');
      void reply.code(e.status);
      void reply.header('content-type', 'application/json; charset=utf-8');
      reply.removeHeader('retry-after');
      reply.removeHeader('www-authenticate');
      return JSON.stringify(errorBody({ error: e, unexpected: false }));
    }
  });

  app.addHook('onResponse', (request, reply, done) => {
    metrics.request(request.method, request.routeOptions.url, reply.statusCode);
    // One line per request (fastify's own pair of lines is turned off): the request as the
    // redacting `req` serializer shows it, the status and the time taken.
    if (logRequests) request.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    done();
  });

  registerSysRoutes(app, ctx);
  registerSessionRoutes(app, ctx);
  registerApiKeyRoutes(app, ctx);
  registerKeyRoutes(app, ctx);
  registerSecretRoutes(app, ctx);
  registerValidatorRoutes(app, ctx);
  registerKeymanagerRoutes(app, ctx);
  return app;
}

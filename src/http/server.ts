/**
 * `buildServer(vault, opts)`: the daemon's HTTP API over a vault built by createVault
 * (src/vault.ts), as a fastify instance that never listens, never reads the environment
 * and never touches storage. Tests drive it with `inject()`; src/daemon.ts calls
 * `listen`. docs/api.md describes every route.
 *
 * Request life cycle, in order:
 * 1. onRequest (./plugins/auth.ts): request rate, sealed refusals, the session and its
 *    role and scope, as each route's `config.access` asks.
 * 2. Body parsing (strict JSON only, ./json-body.ts; other content types 415, oversized 413) and schema
 *    validation (unknown fields 400), a route's `config.scopePath` check, then the
 *    handler, around which ./plugins/audit.ts records the route's `config.audit` detail.
 * 3. onSend (./plugins/audit.ts): one audit entry per request, appended before the
 *    answer leaves (durably, except for routes declaring `read`, whose fsync follows
 *    within 10 ms); fail closed with 500 OV_AUDIT_FAILED.
 * 4. onResponse: request counters for `/v1/sys/metrics`. The audit log is the record of
 *    requests, so the service log has no line per request at `info`: only a request that
 *    took `log.slow_request_ms` or more (`slow request`, at warn), or every request at
 *    `debug` (`request completed`). Errors are logged by the error handler.
 *
 * Each route group is an encapsulated plugin under its prefix (./routes/*), calling the
 * vault's services only.
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
import Fastify, { LogController, type FastifyInstance, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { VaultError } from '../errors.js';
import { packageVersion } from '../util/package-version.js';
import type { Vault } from '../vault.js';
import { newRequestState, routeOf, type RouteContext, type ServerOptions, type TokenClaims, type VaultApp } from './context.js';
import { errorBody, mapError, RETRY_AFTER } from './errors.js';
import { strictJsonParser } from './json-body.js';
import { clientErrorHandler, frameworkErrorHandler } from './refusals.js';
import { lazyChildLogger } from './lazy-logger.js';
import { Metrics } from './metrics.js';
import { auditPlugin, pathOnly } from './plugins/audit.js';
import { authPlugin, JWT_ISSUER, tokenKey } from './plugins/auth.js';
import { hostMatcher } from './hosts.js';
import { ExchangeGate, FailureWindow, RequestRate } from './ratelimit.js';
import { apiKeyRoutes } from './routes/apikeys.js';
import { signerIdentityRoutes } from './routes/signer-identities.js';
import { keyRoutes } from './routes/keys.js';
import { keymanagerRoutes } from './routes/keymanager.js';
import { secretRoutes } from './routes/secrets.js';
import { sessionRoutes } from './routes/sessions.js';
import { sysRoutes } from './routes/sys.js';
import { transitRoutes } from './routes/transit.js';
import { validatorRoutes } from './routes/validators.js';
import { validatorCompiler } from './validator.js';
import { schemaController } from './compilers.js';
import { KEEP_ALIVE_TIMEOUT_MS } from '../api/constants.js';

export { MAX_VERIFIED_TOKENS } from './plugins/auth.js';

const WINDOW_MS = 60_000;

/**
 * Argon2id runs in flight at once (each holds 48 MiB): libuv's default thread pool size,
 * so a run admitted here starts at once rather than queueing unseen behind the others.
 */
export const MAX_CONCURRENT_EXCHANGES = 4;
/** Of those, slots only addresses with a recent successful exchange may use. */
export const RESERVED_EXCHANGES = 1;
/** Exchanges that may wait for a slot (beyond: 429), and for how long at most. */
export const MAX_WAITING_EXCHANGES = 64;
export const MAX_EXCHANGE_WAIT_MS = 10_000;
/** How long a successful exchange marks its address as known. */
const SUCCESS_MEMORY_MS = 60 * 60_000;
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
  'body.input',
  'body.items[*].password',
  'body.items[*].keystore',
  '*.key',
  '*.token',
  '*.share',
  '*.passphrase',
]);

function loggerOptions(vault: Vault, opts: ServerOptions): Exclude<FastifyServerOptions['logger'], undefined> {
  const l = opts.logger ?? false;
  if (l === false) return false;
  return {
    level: l.level ?? vault.config.logLevel,
    redact: { paths: [...LOG_REDACT_PATHS], censor: '[redacted]' },
    // Log the path, never the query string: a client that (wrongly) puts a token or key in
    // a query parameter must not have it written to the log.
    serializers: {
      req: (req: FastifyRequest) => ({ method: req.method, url: pathOnly(req.url), remoteAddress: req.ip }),
    },
    ...(l.stream === undefined ? {} : { stream: l.stream }),
  };
}

/** Builds the server; it is ready for `inject()` or `listen()` once the returned promise resolves. */
export async function buildServer(vault: Vault, opts: ServerOptions = {}): Promise<VaultApp> {
  const { config, now } = vault;
  const fastifyOptions = {
    ...(opts.https === undefined ? {} : { https: opts.https }),
    logger: loggerOptions(vault, opts),
    bodyLimit: config.limits.bodyLimit,
    // No trailing-slash or case folding: one path has one spelling.
    routerOptions: { ignoreTrailingSlash: false, caseSensitive: true },
    // X-Forwarded-For counts only from a configured proxy; otherwise addresses are the socket's.
    trustProxy: config.trustedProxies.length === 0 ? false : [...config.trustedProxies],
    requestIdHeader: false,
    // Logged once per request, on completion (onResponse below), instead of twice. (Through
    // a LogController: the top-level disableRequestLogging option prints a deprecation
    // warning at every start since fastify 5.8.)
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: lazyChildLogger,
    return503OnClosing: true,
    // Server-side timeouts bound slow-loris style clients; well above the ~100 ms exchange.
    connectionTimeout: 30_000,
    requestTimeout: 60_000,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // Refusals below the router get the house error body and an audit entry (./refusals.ts).
    clientErrorHandler: clientErrorHandler(vault),
    frameworkErrors: frameworkErrorHandler(vault),
    schemaController,
  };
  // With `https` fastify builds an https.Server; the routes see the same request API either way.
  const app = (Fastify as unknown as (o: typeof fastifyOptions) => FastifyInstance)(fastifyOptions).withTypeProvider<TypeBoxTypeProvider>();
  const logging = opts.logger !== undefined && opts.logger !== false;
  const logEvery = logging && ['trace', 'debug'].includes(app.log.level);
  // pino drops the warn itself below its level.
  const logSlow = logging && !logEvery;
  const slowMs = config.log.slowRequestMs;
  app.setValidatorCompiler(validatorCompiler);
  // JSON only: a text/plain body is refused (415) rather than validated as a string; JSON
  // bodies go through the strict parser (./json-body.ts).
  app.removeContentTypeParser(['text/plain', 'application/json']);
  // fastify's own JSON parser (the callback form; its type also allows a promise form).
  const defaultJson = app.getDefaultJsonParser('error', 'error') as Parameters<typeof strictJsonParser>[0];
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, strictJsonParser(defaultJson));

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
  const gate = new ExchangeGate({ slots: MAX_CONCURRENT_EXCHANGES, reserved: RESERVED_EXCHANGES, maxWaiting: MAX_WAITING_EXCHANGES, maxWaitMs: MAX_EXCHANGE_WAIT_MS });
  const ctx: RouteContext = {
    vault,
    version: packageVersion(),
    metrics,
    startedAt: now(),
    transport: { tls: opts.https !== undefined, groups: opts.https === undefined ? [] : [...(opts.tlsGroups ?? [])] },
    hostAllowed: hostMatcher(config),
    limits: {
      address: new FailureWindow(config.limits.authFailuresPerAddress, WINDOW_MS),
      key: new FailureWindow(config.limits.authFailuresPerKey, WINDOW_MS),
      unseal: new FailureWindow(config.limits.authFailuresPerAddress, WINDOW_MS),
      succeeded: new FailureWindow(1, SUCCESS_MEMORY_MS),
    },
    signToken(claims: TokenClaims): string {
      const keyring = vault.keyring();
      if (keyring === undefined) throw new VaultError('OV_SEALED');
      const { version, key } = tokenKey(keyring);
      // iat and exp come from the claims (the vault's clock), not from fast-jwt's own clock.
      return app.jwt.sign({ ...claims, iss: JWT_ISSUER }, { key, algorithm: 'HS256', kid: String(version) });
    },
    enterExchange(trusted: boolean): Promise<boolean> {
      return gate.enter(trusted);
    },
    leaveExchange(): void {
      gate.leave();
    },
  };

  const requestRate = config.limits.maxRequestRate === null ? undefined : new RequestRate(config.limits.maxRequestRate);
  await app.register(authPlugin, { ctx, requestRate });
  // An answer's audit entry goes to the same storage as the request's own rows. When that
  // storage does not answer, the audit plugin withholds the answer: 503
  // OV_STORAGE_UNAVAILABLE when the failure says so, else 500 OV_AUDIT_FAILED, which a read
  // of the audit head may still show to be the storage being down. The caller is then told
  // what it can act on: the route's own 503 if it gave one (health names the database), else
  // 503 OV_STORAGE_UNAVAILABLE. Either way: retry later.
  const unavailable = new WeakMap<object, unknown>();
  app.addHook('onSend', (request, reply, payload, done) => {
    if (reply.statusCode === 503) unavailable.set(request, payload);
    done(null, payload);
  });
  await app.register(auditPlugin, { ctx });
  app.addHook('onSend', (request, reply, payload, done) => {
    // Answers may carry secret material or tokens: no browser or proxy cache may keep them.
    // (Set here, in the last onSend hook, rather than in one more hook of its own: each
    // hook costs every request a turn of fastify's hook runner.)
    void reply.header('cache-control', 'no-store');
    const code = request.vault?.errorCode;
    const storageDown = code === 'OV_STORAGE_UNAVAILABLE' && reply.statusCode === 503 && unavailable.has(request);
    if (!storageDown && (reply.statusCode !== 500 || code !== 'OV_AUDIT_FAILED' || vault.auditEntries() !== undefined)) {
      done(null, payload);
      return;
    }
    void reply.code(503);
    if (unavailable.has(request)) {
      done(null, unavailable.get(request));
      return;
    }
    const e = new VaultError('OV_STORAGE_UNAVAILABLE');
    request.vault.errorCode = e.code;
    done(null, JSON.stringify(errorBody({ error: e, unexpected: false })));
  });

  // Unknown keys are rejected everywhere: a route without a query schema accepts no query
  // parameters at all, so a typo (`?verison=2`) is an error, not a silently ignored option.
  app.addHook('preValidation', (request, _reply, done) => {
    const q = request.query;
    const unknown = typeof q === 'object' && q !== null && Object.keys(q).length > 0 && routeOf(request).schema?.querystring === undefined;
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

  app.addHook('onResponse', (request, reply, done) => {
    metrics.request(request.method, routeOf(request).url, reply.statusCode);
    // The request as the redacting `req` serializer shows it, the status and the time taken
    // (fastify's own pair of lines per request is turned off).
    if (logEvery) request.log.debug({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    else if (logSlow) {
      const ms = reply.elapsedTime;
      if (ms >= slowMs) request.log.warn({ req: request, res: reply, responseTime: ms }, 'slow request');
    }
    done();
  });

  if (opts.onRoute !== undefined) {
    const observe = opts.onRoute;
    app.addHook('onRoute', (route) => observe(route));
  }
  await app.register(sysRoutes, { ctx, prefix: '/v1/sys' });
  await app.register(sessionRoutes, { ctx, prefix: '/v1/sessions' });
  await app.register(apiKeyRoutes, { ctx, prefix: '/v1/apikeys' });
  await app.register(keyRoutes, { ctx, prefix: '/v1/keys' });
  await app.register(secretRoutes, { ctx, prefix: '/v1' });
  await app.register(validatorRoutes, { ctx, prefix: '/v1/validators' });
  await app.register(keymanagerRoutes, { ctx, prefix: '/eth/v1/keystores' });
  await app.register(transitRoutes, { ctx, prefix: '/v1/transit' });
  await app.register(signerIdentityRoutes, { ctx, prefix: '/v1/signer/identities' });
  return app;
}

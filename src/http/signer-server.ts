/**
 * `buildSignerServer(vault, opts)`: the remote-signer listener, a fastify instance of its
 * own serving only Web3Signer's eth2 routes (./routes/signer.ts), so the main API's
 * sessions, tokens and routes are never reachable through it and `/api/v1/eth2/*` is
 * never reachable through the main listener. Never listens (src/daemon.ts does).
 *
 * Per request: the client's socket address must pass `access.mayConnect`, and on
 * `/api/v1/eth2/*` the client (address and TLS certificate) `access.maySignAny` (else 403
 * OV_SIGNER_FORBIDDEN, before the body is read); with `[signer] tls` the listener is
 * HTTPS and asks every client for a certificate without demanding one at the handshake,
 * so `/upcheck` stays open and the refusal is an answer the client can log; bodies are strict JSON (./json-body.ts);
 * one audit entry per request (type, public key, slot or epochs, decision; never a
 * secret), durable before a signature or refusal leaves, written but fsynced in the
 * background for the GETs. Errors carry the registry code and message, and for a
 * slashing refusal its reason.
 * @module
 */
import type { TlsOptions } from 'node:tls';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { VaultError } from '../errors.js';
import type { Vault } from '../vault.js';
import { newRequestState, type LoggerSettings } from './context.js';
import { KEEP_ALIVE_TIMEOUT_MS } from '../api/constants.js';
import { mapError } from './errors.js';
import { strictJsonParser } from './json-body.js';
import { signerRoutes } from './routes/signer.js';
import { signerAuditEvent } from './signer-audit.js';
import { allowListAccess, identityAccess, signerClientOf, type SignerAccess } from './signer-access.js';

export interface SignerServerOptions {
  /** false (default) for no logging. */
  readonly logger?: LoggerSettings | false;
  /** Default: `[signer] allow` of the vault's config (loopback when unset). */
  readonly access?: SignerAccess;
  /** node TLS server options: the listener serves HTTPS (the daemon builds them from `[signer] tls`). */
  readonly https?: TlsOptions;
}

const ETH2 = '/api/v1/eth2/';

/** Error codes whose `detail.reason` is safe and useful to the client. */
const REASONED = new Set(['OV_SLASHING_REFUSED']);

export async function buildSignerServer(vault: Vault, opts: SignerServerOptions = {}): Promise<FastifyInstance> {
  const { config } = vault;
  const base = allowListAccess(config.signer?.allow ?? ['127.0.0.1/32', '::1/128']);
  const signerTls = config.signer?.tls ?? null;
  const access =
    opts.access ??
    (signerTls === null ? base : identityAccess(base, { clientAuth: signerTls.clientAuth, grant: (fp) => vault.signerIdentities.grant(fp) }));
  const l = opts.logger ?? false;
  const fastifyOptions = {
    ...(opts.https === undefined ? {} : { https: opts.https }),
    logger: l === false ? false : { level: l.level ?? config.logLevel, ...(l.stream === undefined ? {} : { stream: l.stream }) },
    bodyLimit: config.limits.bodyLimit,
    routerOptions: { ignoreTrailingSlash: false, caseSensitive: true },
    // The allow-list is about the peer itself: no X-Forwarded-For is believed here.
    trustProxy: false,
    requestIdHeader: false,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    connectionTimeout: 30_000,
    requestTimeout: 60_000,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
  };
  // With `https` fastify builds an https.Server; the routes see the same request API either way.
  const app = (Fastify as unknown as (o: typeof fastifyOptions) => FastifyInstance)(fastifyOptions);
  app.decorateRequest('vault', null as never);
  app.removeContentTypeParser(['text/plain', 'application/json']);
  const defaultJson = app.getDefaultJsonParser('error', 'error') as Parameters<typeof strictJsonParser>[0];
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, strictJsonParser(defaultJson));

  app.addHook('onRequest', (request, _reply, done) => {
    request.vault = newRequestState();
    const client = signerClientOf(request);
    const ok = access.mayConnect(client) && (!request.url.startsWith(ETH2) || access.maySignAny(client));
    if (!ok && client.certificate !== undefined) request.vault.detail = { certificate: client.certificate.fingerprint.slice(0, 16) };
    done(ok ? undefined : new VaultError('OV_SIGNER_FORBIDDEN'));
  });

  app.setErrorHandler((err, request, reply) => {
    const mapped = mapError(err);
    const e = mapped.error;
    if (mapped.unexpected) request.log.error({ err }, 'unexpected error');
    request.vault.errorCode = e.code;
    // A signature already on record whose answer then failed gets an entry for the failure too.
    request.vault.audited = false;
    const reason = REASONED.has(e.code) && typeof e.detail?.reason === 'string' ? { reason: e.detail.reason } : {};
    const field = mapped.field === undefined ? {} : { field: mapped.field };
    return reply
      .code(e.status)
      .type('application/json; charset=utf-8')
      .send({ error: { code: e.code, message: e.message, ...field, ...reason } });
  });

  app.setNotFoundHandler((request, reply) => {
    request.vault.errorCode = 'OV_NOT_FOUND';
    const e = new VaultError('OV_NOT_FOUND');
    return reply.code(404).type('application/json; charset=utf-8').send({ error: { code: e.code, message: e.message } });
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const st = request.vault;
    void reply.header('cache-control', 'no-store');
    if (st.audited) return payload;
    const event = signerAuditEvent(request, reply.statusCode, st.errorCode, st.detail);
    try {
      await vault.audit.appendAsync(event, { durable: request.method !== 'GET' && request.method !== 'HEAD' });
      return payload;
    } catch (err) {
      request.log.error({ err }, 'audit append failed; answer withheld');
      const e = new VaultError('OV_AUDIT_FAILED');
      void reply.code(e.status);
      void reply.header('content-type', 'application/json; charset=utf-8');
      return JSON.stringify({ error: { code: e.code, message: e.message } });
    }
  });

  await app.register(signerRoutes, { vault, access });
  return app;
}

/**
 * Audit capture, as a plugin: one entry per request, appended durably before the answer
 * leaves (onSend; group commit, so entries of concurrent requests share one
 * transaction). A route declaring `read` (a GET that changes nothing) has its entry
 * written before the answer and fsynced in the background, within a bound
 * (docs/adr/0010-audit-durability-of-reads.md). If the append fails, the answer is
 * replaced by 500 OV_AUDIT_FAILED (503 OV_STORAGE_UNAVAILABLE when the database does not
 * answer) and any side effect the route registered for that case
 * (an issued token) is undone: fail closed.
 *
 * A route declares its entry's detail in its config (`audit`, see AuditSpec): the
 * plugin wraps that route's handler to record it before the handler runs and from its
 * result on success. Routes without a declaration are not wrapped.
 * @module
 */
import type { FastifyInstance, FastifyPluginCallback, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditEvent } from '../../audit/index.js';
import { isVaultError, VaultError } from '../../errors.js';
import { newRequestState, routeOf, type RouteContext } from '../context.js';
import { errorBody } from '../errors.js';

export interface AuditPluginOptions {
  readonly ctx: RouteContext;
}

/** The path part of a URL, bounded: the query string is never recorded. */
export function pathOnly(url: string): string {
  const q = url.indexOf('?');
  const p = q === -1 ? url : url.slice(0, q);
  return p.length > 512 ? p.slice(0, 512) : p;
}

const DURABLE = { durable: true } as const;
const WRITTEN = { durable: false } as const;

/**
 * A read's entry need only be written before its answer (its fsync follows in the
 * background): a GET or HEAD of a route declaring `read`, that authenticated. Everything
 * else, failed authentications included, is durable before its answer.
 */
function durableOf(request: FastifyRequest, type: AuditEvent['type']): { readonly durable: boolean } {
  const m = request.method;
  return type === 'request' && (m === 'GET' || m === 'HEAD') && routeOf(request).config.read === true ? WRITTEN : DURABLE;
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

function auditPluginImpl(app: FastifyInstance, opts: AuditPluginOptions): void {
  const { vault, metrics } = opts.ctx;

  app.addHook('onRoute', (route) => {
    const spec = route.config?.audit;
    if (spec === undefined) return;
    const handler = route.handler as (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) => unknown;
    const { request: before, result: after } = spec;
    const wrapped = function (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply): unknown {
      if (before !== undefined) {
        const d = before(request);
        if (d !== undefined) request.vault.detail = d;
      }
      const out = handler.call(this, request, reply);
      if (after === undefined) return out;
      const record = (value: unknown): unknown => {
        // A handler that sent its own answer (and returned the reply) has had it audited
        // already: a route that declares `result` returns its value instead.
        if (value === reply) {
          request.log.error({ route: route.url }, 'audit result declared on a route whose handler sends its own answer');
          return value;
        }
        const d = after(value, request);
        if (d !== undefined) request.vault.detail = d;
        return value;
      };
      // A synchronous handler stays synchronous (no extra promise turn).
      return isThenable(out) ? Promise.resolve(out).then(record) : record(out);
    };
    route.handler = wrapped;
  });

  app.addHook('onSend', async (request, reply, payload) => {
    if (request.vault === null) request.vault = newRequestState();
    const st = request.vault;
    const event: AuditEvent = { type: st.auditType, method: request.method, path: pathOnly(request.url), status: reply.statusCode, remote: request.ip };
    if (st.errorCode !== undefined) event.code = st.errorCode;
    if (st.session !== undefined) event.session = st.session.id;
    if (st.apiKey !== undefined) event.apiKey = st.apiKey;
    if (st.detail !== undefined) event.detail = st.detail;
    try {
      // Group commit: resolves once the transaction holding this entry has committed and,
      // unless the request is a read, once it is durable.
      await vault.audit.appendAsync(event, durableOf(request, st.auditType));
      return payload;
    } catch (err) {
      metrics.auditFailure();
      request.log.error({ err }, 'audit append failed; answer withheld');
      try {
        st.onAuditFailure?.();
      } catch (undoErr) {
        request.log.error({ err: undoErr }, 'undo after audit failure failed');
      }
      // A database that does not answer is said as such (503, retry later), whether the
      // error came straight from storage or wrapped by the audit log.
      const down = isVaultError(err, 'OV_STORAGE_UNAVAILABLE') || isVaultError((err as { cause?: unknown } | null)?.cause, 'OV_STORAGE_UNAVAILABLE');
      const e = new VaultError(down ? 'OV_STORAGE_UNAVAILABLE' : 'OV_AUDIT_FAILED');
      st.errorCode = e.code;
      void reply.code(e.status);
      void reply.header('content-type', 'application/json; charset=utf-8');
      reply.removeHeader('retry-after');
      reply.removeHeader('www-authenticate');
      return JSON.stringify(errorBody({ error: e, unexpected: false }));
    }
  });
}

// Not encapsulated: the hooks apply to every route of the server that registers it
// (the property fastify-plugin sets).
export const auditPlugin: FastifyPluginCallback<AuditPluginOptions> = Object.assign(
  (app: FastifyInstance, opts: AuditPluginOptions, done: (err?: Error) => void) => {
    auditPluginImpl(app, opts);
    done();
  },
  { [Symbol.for('skip-override')]: true },
);

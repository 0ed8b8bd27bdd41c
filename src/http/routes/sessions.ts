/**
 * `/v1/sessions`: the key -> token exchange and session management (ADR 0004), over the
 * vault's API-key and session services (src/auth).
 *
 * The exchange verifies the API key once (argon2id, ~100 ms), then issues an HS256 JWT
 * under the keyring's current `token` key (`kid` = key version; claims `sub` = API key
 * id, `jti` = public session id, `role`, `scope`, `iat`, `exp`) and records the SHA-256
 * of the token in the session store, so every later request is a cheap signature check
 * plus an O(1) lookup and revocation takes effect at once. Cheap refusals come before the
 * expensive work: failure limits per address and per (key id, address), the TTL, then a
 * wait for one of a bounded number of argon2id slots (../ratelimit.ts).
 *
 * Visibility is two-tier: an admin lists and revokes sessions whose scope lies within
 * its own (the daemon admin, scope `*`, sees all); a session outside the caller's view
 * answers 404 as if it did not exist. Any caller may read or end its own session
 * (`/v1/sessions/self`).
 * @module
 */
import { Type } from 'typebox';
import type { Session } from '../../auth/session-store.js';
import { isVaultError, VaultError } from '../../errors.js';
import { ADMIN, ANY_SESSION, audit, callerOf, iso, keyAddress, PUBLIC, type RoutePlugin, type VaultApp } from '../context.js';
import {
  CREATE_SESSION_BODY,
  CREATE_SESSION_RESPONSE,
  ERROR_RESPONSES,
  SESSION_ID_PARAMS,
  SESSION_INFO,
  SESSION_LIST,
  SESSION_LIST_QUERY,
} from '../../api/index.js';

const DEFAULT_LIST_LIMIT = 1000;
/** The id part of something shaped like an API key, for rate limiting and audit; never the secret. */
const KEY_ID_RE = /^ovk_([0-9a-f]{16})_/;

export function sessionInfo(s: Session) {
  return {
    id: s.id,
    api_key_id: s.apiKeyId,
    role: s.role,
    scope: s.scope,
    label: s.label,
    issued_at: iso(s.issuedAt),
    expires_at: iso(s.expiresAt),
  };
}

/** Registered under `/v1/sessions`. */
export const sessionRoutes: RoutePlugin = (instance, { ctx }, done) => {
  const app = instance as VaultApp;
  const { vault } = ctx;

  app.post(
    '',
    {
      config: { access: PUBLIC },
      schema: {
        summary: 'Exchange an API key for a session token',
        tags: ['sessions'],
        body: CREATE_SESSION_BODY,
        response: { 200: CREATE_SESSION_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const state = request.vault;
      const now = vault.now();
      const address = request.ip;
      const keyId = KEY_ID_RE.exec(request.body.key)?.[1];
      const refuse = (retryAfter: number): never => {
        state.auditType = 'auth';
        if (keyId !== undefined) state.apiKey = keyId;
        ctx.metrics.rateLimited();
        throw new VaultError('OV_RATE_LIMITED', { retryAfter });
      };
      const byAddress = ctx.limits.address.retryAfter(address, now);
      if (byAddress > 0) refuse(byAddress);
      // Per key id *and* address: the id is public, so failures from elsewhere must not
      // lock its owner out.
      const pair = keyId === undefined ? undefined : keyAddress(keyId, address);
      if (pair !== undefined) {
        const byKey = ctx.limits.key.retryAfter(pair, now);
        if (byKey > 0) refuse(byKey);
      }

      let ttlMs: number;
      try {
        ttlMs = vault.sessionService.ttl(request.body.ttl);
      } catch (e) {
        // The service names `ttl`; it is the body's field.
        if (isVaultError(e, 'OV_BAD_REQUEST')) throw new VaultError('OV_BAD_REQUEST', { field: 'body/ttl' });
        throw e;
      }

      if (!(await ctx.enterExchange(ctx.limits.succeeded.count(address, now) > 0))) refuse(1);
      let record;
      try {
        record = await vault.apiKeys.authenticate(request.body.key);
      } catch (e) {
        if (isVaultError(e, 'OV_AUTH_INVALID')) {
          const at = vault.now();
          ctx.limits.address.record(address, at);
          if (pair !== undefined) ctx.limits.key.record(pair, at);
          state.auditType = 'auth';
          if (keyId !== undefined) state.apiKey = keyId;
          ctx.metrics.authFailure();
        }
        throw e;
      } finally {
        ctx.leaveExchange();
      }

      ctx.limits.succeeded.record(address, vault.now());
      const { token, session, undo } = await vault.sessionService.issue(record, ttlMs, (claims) => ctx.signToken(claims));
      state.session = session;
      state.apiKey = record.id;
      // The token never leaves if its issue cannot be audited; then it must not work either.
      state.onAuditFailure = undo;
      return { token, id: session.id, expires_at: iso(session.expiresAt), role: session.role, scope: session.scope };
    },
  );

  app.get(
    '',
    {
      config: { access: ADMIN, read: true },
      schema: {
        summary: "List sessions within the caller's scope (admin)",
        tags: ['sessions'],
        security: [{ bearer: [] }],
        querystring: SESSION_LIST_QUERY,
        response: { 200: SESSION_LIST, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const list = await vault.sessionService.list(callerOf(request), { limit: request.query.limit ?? DEFAULT_LIST_LIMIT, apiKeyId: request.query.api_key_id });
      return { sessions: list.map(sessionInfo) };
    },
  );

  app.get(
    '/self',
    {
      config: { access: ANY_SESSION, read: true },
      schema: {
        summary: "The caller's own session",
        tags: ['sessions'],
        security: [{ bearer: [] }],
        response: { 200: SESSION_INFO, ...ERROR_RESPONSES },
      },
    },
    (request) => sessionInfo(callerOf(request)),
  );

  app.delete(
    '/self',
    {
      config: { access: ANY_SESSION },
      schema: {
        summary: "End the caller's own session",
        tags: ['sessions'],
        security: [{ bearer: [] }],
        response: { 204: Type.Null({ description: 'revoked' }), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await vault.sessionService.end(callerOf(request));
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/:id',
    {
      config: {
        access: ANY_SESSION,
        audit: audit<{ Params: { id: string } }>({ result: (_r, request) => ({ revoked: request.params.id }) }),
      },
      schema: {
        summary: "Revoke a session by id (admin within its scope, or the caller's own)",
        tags: ['sessions'],
        security: [{ bearer: [] }],
        params: SESSION_ID_PARAMS,
        response: { 204: Type.Null({ description: 'revoked' }), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await vault.sessionService.revoke(callerOf(request), request.params.id);
      // Returned, not sent: the audit detail is taken from the result before the answer leaves.
      void reply.code(204);
      return null;
    },
  );
  done();
};

/**
 * `/v1/sessions`: the key -> token exchange and session management (MISSION.md, "Key ->
 * token exchange"; ADR 0004).
 *
 * The exchange verifies the API key once (argon2id, ~100 ms), then issues an HS256 JWT
 * under the keyring's current `token` key (`kid` = key version; claims `sub` = API key
 * id, `jti` = public session id, `role`, `scope`, `iat`, `exp`) and records the SHA-256
 * of the token in the session store, so every later request is a cheap signature check
 * plus an O(1) lookup and revocation takes effect at once. Cheap refusals come before the
 * expensive work: rate limits, the TTL, then a bounded number of concurrent argon2id runs.
 *
 * Visibility is two-tier: an admin lists and revokes sessions whose scope lies within
 * its own (the daemon admin, scope `*`, sees all); a session outside the caller's view
 * answers 404 as if it did not exist. Any caller may read or end its own session
 * (`/v1/sessions/self`).
 * @module
 */
import { Type } from 'typebox';
import { authenticateApiKey } from '../../auth/apikeys.js';
import { scopeContains } from '../../auth/scope.js';
import { newSessionId, tokenDigest, type Session } from '../../auth/session-store.js';
import { parseDuration } from '../../config.js';
import { isVaultError, VaultError } from '../../errors.js';
import { ADMIN, ANY_SESSION, iso, PUBLIC, type RouteContext, type VaultApp } from '../context.js';
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

function callerOf(request: { vault: { session: Session | undefined } }): Session {
  const s = request.vault.session;
  // The auth hook guarantees a session on every non-public route; this is a backstop.
  if (s === undefined) throw new VaultError('OV_AUTH_INVALID');
  return s;
}

export function registerSessionRoutes(app: VaultApp, ctx: RouteContext): void {
  const { deps } = ctx;
  const { config } = deps;

  app.post(
    '/v1/sessions',
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
      const now = ctx.now();
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
      if (keyId !== undefined) {
        const byKey = ctx.limits.key.retryAfter(keyId, now);
        if (byKey > 0) refuse(byKey);
      }

      let ttlMs = config.sessions.defaultTtlMs;
      if (request.body.ttl !== undefined) {
        const t = parseDuration(request.body.ttl);
        if (t === undefined || t < 1000 || t > config.sessions.maxTtlMs) throw new VaultError('OV_BAD_REQUEST', { field: 'body/ttl' });
        ttlMs = t;
      }

      if (!ctx.enterExchange()) refuse(1);
      let record;
      try {
        record = await authenticateApiKey(deps.storage.apiKeys, request.body.key);
      } catch (e) {
        if (isVaultError(e, 'OV_AUTH_INVALID')) {
          const at = ctx.now();
          ctx.limits.address.record(address, at);
          if (keyId !== undefined) ctx.limits.key.record(keyId, at);
          state.auditType = 'auth';
          if (keyId !== undefined) state.apiKey = keyId;
          ctx.metrics.authFailure();
        }
        throw e;
      } finally {
        ctx.leaveExchange();
      }

      const store = await ctx.sessions();
      const issuedAt = ctx.now();
      const id = newSessionId();
      const expiresAt = issuedAt + ttlMs;
      const token = ctx.signToken({
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
      state.session = session;
      state.apiKey = record.id;
      // The token never leaves if its issue cannot be audited; then it must not work either.
      state.onAuditFailure = () => {
        store.revokeById(id);
      };
      return { token, id, expires_at: iso(session.expiresAt), role: session.role, scope: session.scope };
    },
  );

  app.get(
    '/v1/sessions',
    {
      config: { access: ADMIN },
      schema: {
        summary: "List sessions within the caller's scope (admin)",
        tags: ['sessions'],
        security: [{ bearer: [] }],
        querystring: SESSION_LIST_QUERY,
        response: { 200: SESSION_LIST, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const caller = callerOf(request);
      const store = await ctx.sessions();
      const list = store.list({
        now: ctx.now(),
        scope: caller.scope,
        limit: request.query.limit ?? DEFAULT_LIST_LIMIT,
        ...(request.query.api_key_id === undefined ? {} : { apiKeyId: request.query.api_key_id }),
      });
      return { sessions: list.map(sessionInfo) };
    },
  );

  app.get(
    '/v1/sessions/self',
    {
      config: { access: ANY_SESSION },
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
    '/v1/sessions/self',
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
      const caller = callerOf(request);
      const store = await ctx.sessions();
      store.revokeById(caller.id);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/v1/sessions/:id',
    {
      config: { access: ANY_SESSION },
      schema: {
        summary: "Revoke a session by id (admin within its scope, or the caller's own)",
        tags: ['sessions'],
        security: [{ bearer: [] }],
        params: SESSION_ID_PARAMS,
        response: { 204: Type.Null({ description: 'revoked' }), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const caller = callerOf(request);
      const store = await ctx.sessions();
      const target = store.getById(request.params.id, ctx.now());
      const own = target !== undefined && target.id === caller.id;
      if (!own && caller.role !== 'admin') throw new VaultError('OV_FORBIDDEN');
      // Outside the caller's scope looks exactly like a session that does not exist.
      if (target === undefined || (!own && !scopeContains(caller.scope, target.scope))) throw new VaultError('OV_NOT_FOUND');
      store.revokeById(target.id);
      request.vault.detail = { revoked: target.id };
      return reply.code(204).send(null);
    },
  );
}

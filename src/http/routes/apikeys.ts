/**
 * `/v1/apikeys` (admin): create, list, rotate and delete long-lived API keys. A key is
 * shown once, in the answer that creates or rotates it, and stored only as an argon2id
 * hash (src/auth/apikeys.ts). A scoped admin manages only keys whose scope lies within
 * its own; keys outside it answer 404 as if absent. Rotating or deleting a key revokes
 * every session it opened before the answer is sent (MISSION.md: "rotating an API key
 * revokes every session it opened, at once").
 * @module
 */
import { Type } from 'typebox';
import { generateApiKey, rotateApiKey } from '../../auth/apikeys.js';
import { parseScope, scopeContains } from '../../auth/scope.js';
import type { Session } from '../../auth/session-store.js';
import { VaultError } from '../../errors.js';
import type { ApiKeyRecord } from '../../storage/types.js';
import { ADMIN, iso, type RouteContext, type VaultApp } from '../context.js';
import { API_KEY_ID_PARAMS, API_KEY_LIST, API_KEY_WITH_SECRET, CREATE_API_KEY_BODY, ERROR_RESPONSES } from '../../api/index.js';

function keyInfo(r: ApiKeyRecord) {
  return {
    id: r.id,
    role: r.role,
    scope: r.scope,
    label: r.label,
    created_at: iso(r.createdAt),
    rotated_at: r.rotatedAt === null ? null : iso(r.rotatedAt),
  };
}

function caller(request: { vault: { session: Session | undefined } }): Session {
  const s = request.vault.session;
  if (s === undefined) throw new VaultError('OV_AUTH_INVALID');
  return s;
}

export function registerApiKeyRoutes(app: VaultApp, ctx: RouteContext): void {
  const { deps } = ctx;

  /** The record, if it exists and the caller may see it. */
  const visible = (s: Session, id: string): ApiKeyRecord => {
    const r = deps.storage.apiKeys.get(id);
    if (r === undefined || !scopeContains(s.scope, r.scope)) throw new VaultError('OV_NOT_FOUND');
    return r;
  };

  app.post(
    '/v1/apikeys',
    {
      config: { access: ADMIN },
      schema: {
        summary: 'Create an API key (admin); the key is in the answer, shown once',
        tags: ['apikeys'],
        security: [{ bearer: [] }],
        body: CREATE_API_KEY_BODY,
        response: { 201: API_KEY_WITH_SECRET, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const s = caller(request);
      const scope = parseScope(request.body.scope ?? s.scope);
      // No key may reach beyond its creator.
      if (!scopeContains(s.scope, scope)) throw new VaultError('OV_FORBIDDEN');
      const { key, record } = await generateApiKey(request.body.role, scope, request.body.label, { now: ctx.now() });
      deps.storage.apiKeys.insert(record);
      request.vault.detail = { created: record.id, role: record.role };
      return reply.code(201).send({ ...keyInfo(record), key });
    },
  );

  app.get(
    '/v1/apikeys',
    {
      config: { access: ADMIN },
      schema: {
        summary: "List API keys within the caller's scope (admin)",
        tags: ['apikeys'],
        security: [{ bearer: [] }],
        response: { 200: API_KEY_LIST, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const s = caller(request);
      return { apikeys: deps.storage.apiKeys.list().filter((r) => scopeContains(s.scope, r.scope)).map(keyInfo) };
    },
  );

  app.post(
    '/v1/apikeys/:id/rotate',
    {
      config: { access: ADMIN },
      schema: {
        summary: "Rotate an API key (admin): new secret, same id; the key's sessions are revoked",
        tags: ['apikeys'],
        security: [{ bearer: [] }],
        params: API_KEY_ID_PARAMS,
        response: { 200: API_KEY_WITH_SECRET, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const s = caller(request);
      const current = visible(s, request.params.id);
      const { key, record } = await rotateApiKey(current, { now: ctx.now() });
      // The old secret stops verifying first, then everything it opened is revoked.
      if (!deps.storage.apiKeys.updateHash(record.id, record.hash, record.rotatedAt ?? ctx.now())) throw new VaultError('OV_NOT_FOUND');
      const store = await ctx.sessions();
      const revoked = store.revokeAllForKey(record.id);
      request.vault.detail = { rotated: record.id, revoked };
      return { ...keyInfo(record), key };
    },
  );

  app.delete(
    '/v1/apikeys/:id',
    {
      config: { access: ADMIN },
      schema: {
        summary: "Delete an API key (admin); the key's sessions are revoked",
        tags: ['apikeys'],
        security: [{ bearer: [] }],
        params: API_KEY_ID_PARAMS,
        response: { 204: Type.Null({ description: 'deleted' }), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const s = caller(request);
      const r = visible(s, request.params.id);
      const store = await ctx.sessions();
      // Memory first (the revocation that requests are checked against), then the rows.
      const revoked = store.revokeAllForKey(r.id);
      deps.storage.apiKeys.delete(r.id);
      request.vault.detail = { deleted: r.id, revoked };
      return reply.code(204).send(null);
    },
  );
}

/**
 * `/v1/apikeys` (admin): create, list, rotate and delete long-lived API keys through the
 * vault's API-key service (src/auth/apikey-service.ts, which holds the scope rules and
 * revokes a rotated or deleted key's sessions). A key is shown once, in the answer that
 * creates or rotates it.
 * @module
 */
import { Type } from 'typebox';
import type { ApiKeyRecord } from '../../auth/apikey-service.js';
import { ADMIN, audit, callerOf, iso, type RoutePlugin, type VaultApp } from '../context.js';
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

/** Registered under `/v1/apikeys`. */
export const apiKeyRoutes: RoutePlugin = (instance, { ctx }, done) => {
  const app = instance as VaultApp;
  const { apiKeys } = ctx.vault;

  app.post(
    '',
    {
      config: { access: ADMIN, audit: audit<object, { id: string; role: string }>({ result: (r) => ({ created: r.id, role: r.role }) }) },
      schema: {
        summary: 'Create an API key (admin); the key is in the answer, shown once',
        tags: ['apikeys'],
        security: [{ bearer: [] }],
        body: CREATE_API_KEY_BODY,
        response: { 201: API_KEY_WITH_SECRET, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { key, record } = await apiKeys.create(callerOf(request).scope, request.body);
      void reply.code(201);
      return { ...keyInfo(record), key };
    },
  );

  app.get(
    '',
    {
      config: { access: ADMIN },
      schema: {
        summary: "List API keys within the caller's scope (admin)",
        tags: ['apikeys'],
        security: [{ bearer: [] }],
        response: { 200: API_KEY_LIST, ...ERROR_RESPONSES },
      },
    },
    (request) => ({ apikeys: apiKeys.list(callerOf(request).scope).map(keyInfo) }),
  );

  app.post(
    '/:id/rotate',
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
      const { key, record, revoked } = await apiKeys.rotate(callerOf(request).scope, request.params.id);
      // The revocation count is not in the answer: recorded here.
      request.vault.detail = { rotated: record.id, revoked };
      return { ...keyInfo(record), key };
    },
  );

  app.delete(
    '/:id',
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
      const { record, revoked } = await apiKeys.delete(callerOf(request).scope, request.params.id);
      // The revocation count is not in the answer: recorded here.
      request.vault.detail = { deleted: record.id, revoked };
      return reply.code(204).send(null);
    },
  );
  done();
};

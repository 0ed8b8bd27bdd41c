/**
 * `/v1/validators`: typed validator slots, their keys and the rotation workflow
 * (src/validators/service.ts; docs/api.md, docs/validators.md).
 *
 * Access: the scope path of a slot is `validators/<name>` (`pathInScope`); a slot outside
 * the caller's scope is 403 whether it exists or not (no existence oracle), and lists
 * only show slots in scope. reader: list, show, history; operator: import, rotate,
 * promote, retire, signing-state; admin: export, destroy.
 *
 * Key material arrives only in request bodies (keystore, password, key_file), which are
 * never logged (LOG_REDACT_PATHS is the backstop) and never echoed: errors carry the
 * registry message only. Audit entries get the slot name, the action and key ids.
 * @module
 */
import type { FastifyRequest } from 'fastify';
import { pathInScope } from '../../auth/scope.js';
import { VaultError } from '../../errors.js';
import { validatorJobRoutes } from './validator-jobs.js';
import { ADMIN, ANY_SESSION, audit, callerOf, OPERATOR, type AuditDetail, type RoutePlugin, type VaultApp } from '../context.js';

import {
  CREATE_VALIDATOR_BODY,
  DESTROY_KEY_RESPONSE,
  DESTROY_QUERY,
  ERROR_RESPONSES,
  EXPORT_VALIDATOR_BODY,
  EXPORT_VALIDATOR_RESPONSE,
  KEY_PARAMS,
  LIST_QUERY,
  NAME_PARAMS,
  ROTATE_VALIDATOR_BODY,
  SIGNING_STATE,
  VALIDATOR_HISTORY,
  VALIDATOR_LIST,
  VALIDATOR_SLOT,
} from '../../api/index.js';

/** Bulk imports carry up to 1000 keystores (~1 KiB each) and keymanager interchanges can be large. */
export const VALIDATOR_BULK_BODY_LIMIT = 16 * 1024 * 1024;

/** promote and retire take no input: no body, or `{}`; anything else is refused (unknown keys). */
function emptyBody(request: FastifyRequest, _reply: unknown, done: (err?: Error) => void): void {
  const body = request.body;
  const empty = body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0);
  done(empty ? undefined : new VaultError('OV_BAD_REQUEST', { field: 'body' }));
}

/** A slot's scope path (`validators/<name>`): out of scope is 403 whether it exists or not. */
const slotPath = (request: FastifyRequest): string => `validators/${(request.params as { name: string }).name}`;

const createDetail = (b: { name: string; chain: string; format: string }): AuditDetail => ({ validator: b.name, action: 'import', chain: b.chain, format: b.format });
const rotateDetail = (r: { params: { name: string }; body: { format: string } }): AuditDetail => ({ validator: r.params.name, action: 'rotate', format: r.body.format });
/** Slot operations whose detail is the slot and the action. */
const action = (name: string) => audit<{ Params: { name: string } }>({ request: (request) => ({ validator: request.params.name, action: name }) });

type Slot = { keys: readonly { id: string; state: string }[] };
/** The detail plus the id of the slot's first key in `state` (or its first key), when there is one. */
const withKey = (detail: AuditDetail | undefined, slot: Slot, state?: string): AuditDetail | undefined => {
  const key = state === undefined ? slot.keys[0] : slot.keys.find((k) => k.state === state);
  return key === undefined ? undefined : { ...detail, key_id: key.id };
};

/** Registered under `/v1/validators`. */
export const validatorRoutes: RoutePlugin = (instance, { ctx }, done) => {
  const app = instance as VaultApp;
  void app.register(validatorJobRoutes, { ctx });
  const service = ctx.vault.validators;
  const common = { tags: ['validators'], security: [{ bearer: [] }] };

  app.get(
    '',
    {
      config: { access: ANY_SESSION },
      schema: {
        ...common,
        summary: 'List validator slots in scope, optionally by chain or by a key state',
        querystring: LIST_QUERY,
        response: { 200: VALIDATOR_LIST, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const scope = callerOf(request).scope;
      const q = request.query;
      return {
        validators: service.list({
          ...(q.chain === undefined ? {} : { chain: q.chain }),
          ...(q.state === undefined ? {} : { state: q.state }),
          visible: (name) => pathInScope(scope, `validators/${name}`),
        }),
      };
    },
  );

  app.post(
    '',
    {
      config: {
        access: OPERATOR,
        scopePath: (request) => `validators/${(request.body as { name: string }).name}`,
        audit: audit<{ Body: { name: string; chain: string; format: string } }, Slot>({
          request: (request) => createDetail(request.body),
          result: (slot, request) => withKey(createDetail(request.body), slot),
        }),
      },
      schema: {
        ...common,
        summary: 'Create a slot with its first key (imported or generated), active',
        body: CREATE_VALIDATOR_BODY,
        response: { 201: VALIDATOR_SLOT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const slot = await service.create(request.body);
      void reply.code(201);
      return slot;
    },
  );

  app.get(
    '/:name',
    {
      config: { access: ANY_SESSION, scopePath: slotPath },
      schema: { ...common, summary: 'One slot with its keys', params: NAME_PARAMS, response: { 200: VALIDATOR_SLOT, ...ERROR_RESPONSES } },
    },
    (request) => service.get(request.params.name),
  );

  app.put(
    '/:name/signing-state',
    {
      config: { access: OPERATOR, scopePath: slotPath, audit: action('signing-state') },
      schema: {
        ...common,
        summary: 'Raise the slot signing state (never lowers)',
        params: NAME_PARAMS,
        body: SIGNING_STATE,
        response: { 200: VALIDATOR_SLOT, ...ERROR_RESPONSES },
      },
    },
    (request) => service.setSigningState(request.params.name, request.body),
  );

  app.post(
    '/:name/rotate',
    {
      config: {
        access: OPERATOR,
        scopePath: slotPath,
        audit: audit<{ Params: { name: string }; Body: { format: string } }, Slot>({
          request: (request) => rotateDetail(request),
          result: (slot, request) => withKey(rotateDetail(request), slot, 'pending'),
        }),
      },
      schema: {
        ...common,
        summary: 'Add the next key (generated or imported) as pending',
        params: NAME_PARAMS,
        body: ROTATE_VALIDATOR_BODY,
        response: { 201: VALIDATOR_SLOT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const scope = callerOf(request).scope;
      const slot = await service.rotate(request.params.name, request.body, { secretAllowed: (path) => pathInScope(scope, path) });
      void reply.code(201);
      return slot;
    },
  );

  app.post(
    '/:name/promote',
    {
      config: {
        access: OPERATOR,
        scopePath: slotPath,
        audit: audit<{ Params: { name: string } }, Slot>({
          request: (request) => ({ validator: request.params.name, action: 'promote' }),
          result: (slot, request) => withKey({ validator: request.params.name, action: 'promote' }, slot, 'active'),
        }),
      },
      preHandler: emptyBody,
      schema: {
        ...common,
        summary: 'pending -> active, active -> retired, in one transaction',
        params: NAME_PARAMS,
        response: { 200: VALIDATOR_SLOT, ...ERROR_RESPONSES },
      },
    },
    (request) => service.promote(request.params.name),
  );

  app.post(
    '/:name/retire',
    {
      config: { access: OPERATOR, scopePath: slotPath, audit: action('retire') },
      preHandler: emptyBody,
      schema: {
        ...common,
        summary: 'active -> retired (no active key left)',
        params: NAME_PARAMS,
        response: { 200: VALIDATOR_SLOT, ...ERROR_RESPONSES },
      },
    },
    (request) => service.retire(request.params.name),
  );

  app.post(
    '/:name/export',
    {
      config: {
        access: ADMIN,
        scopePath: slotPath,
        audit: audit<{ Params: { name: string }; Body: { format: string } }>({
          request: (request) => ({ validator: request.params.name, action: 'export', format: request.body.format }),
        }),
      },
      schema: {
        ...common,
        summary: "Export a key (default: the active one) in its chain's file format (admin)",
        params: NAME_PARAMS,
        body: EXPORT_VALIDATOR_BODY,
        response: { 200: EXPORT_VALIDATOR_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const b = request.body;
      const { files, key_id } = await service.export(request.params.name, {
        format: b.format,
        ...(b.key_id === undefined ? {} : { key_id: b.key_id }),
        ...(b.password === undefined ? {} : { password: b.password }),
      });
      // The exported key's id is not in the answer: recorded here.
      request.vault.detail = { ...request.vault.detail, key_id };
      return { files };
    },
  );

  app.get(
    '/:name/history',
    {
      config: { access: ANY_SESSION, scopePath: slotPath },
      schema: {
        ...common,
        summary: 'Signed rotation records and the vault signature public keys that verify them',
        params: NAME_PARAMS,
        response: { 200: VALIDATOR_HISTORY, ...ERROR_RESPONSES },
      },
    },
    (request) => service.history(request.params.name),
  );

  app.delete(
    '/:name/keys/:id',
    {
      config: {
        access: ADMIN,
        scopePath: slotPath,
        audit: audit<{ Params: { name: string; id: string } }>({
          request: (request) => ({ validator: request.params.name, action: 'destroy', key_id: request.params.id }),
        }),
      },
      schema: {
        ...common,
        summary: 'Destroy a retired key (admin); ?confirm= must be its public key',
        params: KEY_PARAMS,
        querystring: DESTROY_QUERY,
        response: { 200: DESTROY_KEY_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    (request) => service.destroy(request.params.name, request.params.id, request.query.confirm),
  );
  done();
};

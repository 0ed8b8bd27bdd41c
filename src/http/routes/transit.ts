/**
 * `/v1/transit`: the transit engine (src/transit; docs/transit.md), with Vault's routes
 * and field names. Each route maps onto one `TransitService` method, which checks every
 * field and returns the facts the audit entry records (key, versions, counts), never an
 * input, plaintext or key.
 *
 * Access: the scope path of a key is `transit/<name>`; a key outside the caller's scope
 * is 403 whether it exists or not, and the listing shows only keys in scope. reader: read,
 * list, verify; operator: encrypt, decrypt, rewrap, datakey, sign, hmac; admin: create,
 * rotate, config, delete, trim, export, backup, restore. A restore that takes its name
 * from the backup cannot be scope-checked before it is opened: it needs scope `*`.
 * Like every answer of the daemon, these are `Cache-Control: no-store` (src/http/server.ts).
 * @module
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { pathInScope } from '../../auth/scope.js';
import { checkName, type TransitAudit, type TransitResult } from '../../transit/index.js';
import { ADMIN, ANY_SESSION, audit, callerOf, DAEMON_ADMIN, OPERATOR, type AuditDetail, type RoutePlugin, type VaultApp } from '../context.js';
import {
  ERROR_RESPONSES,
  TRANSIT_BACKUP,
  TRANSIT_BACKUP_BODY,
  TRANSIT_CIPHERTEXT_RESULTS,
  TRANSIT_CONFIG_BODY,
  TRANSIT_CREATE_BODY,
  TRANSIT_DATAKEY,
  TRANSIT_DATAKEY_BODY,
  TRANSIT_DATAKEY_PARAMS,
  TRANSIT_DECRYPT_BODY,
  TRANSIT_ENCRYPT_BODY,
  TRANSIT_EXPORT,
  TRANSIT_EXPORT_PARAMS,
  TRANSIT_EXPORT_VERSION_PARAMS,
  TRANSIT_HMAC_BODY,
  TRANSIT_HMAC_RESULTS,
  TRANSIT_KEY,
  TRANSIT_KEY_LIST,
  TRANSIT_NAME_PARAMS,
  TRANSIT_PLAINTEXT_RESULTS,
  TRANSIT_RESTORE_BODY,
  TRANSIT_REWRAP_BODY,
  TRANSIT_SIGN_BODY,
  TRANSIT_SIGNATURE_RESULTS,
  TRANSIT_TRIM_BODY,
  TRANSIT_TRIM_RESPONSE,
  TRANSIT_VALID_RESULTS,
  TRANSIT_VERIFY_BODY,
} from '../../api/index.js';

/** A key's scope path; a malformed name is OV_TRANSIT_NAME_INVALID before scope is looked at. */
const keyPath = (request: FastifyRequest): string => `transit/${checkName((request.params as { name: unknown }).name)}`;

const nameOf = (request: FastifyRequest): string => (request.params as { name: string }).name;

/** The audit detail of an operation: key, operation, versions used, item and error counts. */
function detail(a: TransitAudit): AuditDetail {
  return { transit_key: a.name, operation: a.operation, versions: a.versions.join(','), count: a.count, errors: a.errors };
}

/** Records the service's audit facts for the request and hands back its data. */
function done<D>(request: FastifyRequest, r: TransitResult<D>): D {
  request.vault.detail = { ...request.vault.detail, ...detail(r.audit) };
  return r.data;
}

/** The request-time detail every key route starts with (kept when the operation fails). */
const named = (operation: string) => audit({ request: (request) => ({ transit_key: nameOf(request), operation }) });

/** create and datakey take every field as optional: no body at all reads as `{}`, as in Vault. */
function bodyOptional(request: FastifyRequest, _reply: FastifyReply, next: () => void): void {
  if (request.body === undefined || request.body === null) request.body = {};
  next();
}

/** Registered under `/v1/transit`. */
export const transitRoutes: RoutePlugin = (instance, { ctx }, done_) => {
  const app = instance as VaultApp;
  const svc = ctx.vault.transit;
  const common = { tags: ['transit'], security: [{ bearer: [] }] };
  const key = (access: typeof ADMIN, operation: string) => ({ access, scopePath: keyPath, audit: named(operation) });

  app.get(
    '/keys',
    {
      config: { access: ANY_SESSION, audit: audit<object, { keys: string[] }>({ result: (r) => ({ operation: 'list', listed: r.keys.length }) }) },
      schema: { ...common, summary: "List transit key names in the caller's scope (reader)", response: { 200: TRANSIT_KEY_LIST, ...ERROR_RESPONSES } },
    },
    (request) => {
      const scope = callerOf(request).scope;
      return { keys: svc.list().filter((n) => pathInScope(scope, `transit/${n}`)) };
    },
  );

  app.post(
    '/keys/:name',
    {
      config: key(ADMIN, 'create'),
      preValidation: bodyOptional,
      schema: { ...common, summary: 'Create a key (admin); an existing key of the same type is returned unchanged', params: TRANSIT_NAME_PARAMS, body: TRANSIT_CREATE_BODY, response: { 200: TRANSIT_KEY, ...ERROR_RESPONSES } },
    },
    (request) => done(request, svc.create(request.params.name, request.body)),
  );

  app.get(
    '/keys/:name',
    {
      config: key(ANY_SESSION, 'read'),
      schema: { ...common, summary: "A key's settings, versions and public keys (reader)", params: TRANSIT_NAME_PARAMS, response: { 200: TRANSIT_KEY, ...ERROR_RESPONSES } },
    },
    (request) => done(request, svc.read(request.params.name)),
  );

  app.post(
    '/keys/:name/rotate',
    {
      config: key(ADMIN, 'rotate'),
      schema: { ...common, summary: 'Add a key version; new output uses it (admin)', params: TRANSIT_NAME_PARAMS, response: { 200: TRANSIT_KEY, ...ERROR_RESPONSES } },
    },
    (request) => done(request, svc.rotate(request.params.name)),
  );

  app.post(
    '/keys/:name/config',
    {
      config: key(ADMIN, 'config'),
      schema: { ...common, summary: 'Change minimum versions and flags (admin)', params: TRANSIT_NAME_PARAMS, body: TRANSIT_CONFIG_BODY, response: { 200: TRANSIT_KEY, ...ERROR_RESPONSES } },
    },
    (request) => done(request, svc.config(request.params.name, request.body)),
  );

  app.delete(
    '/keys/:name',
    {
      config: key(ADMIN, 'delete'),
      schema: { ...common, summary: 'Delete a key and every version, if deletion_allowed (admin)', params: TRANSIT_NAME_PARAMS, response: { 204: Type.Null({ description: 'deleted' }), ...ERROR_RESPONSES } },
    },
    async (request, reply) => {
      done(request, svc.delete(request.params.name));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/keys/:name/trim',
    {
      config: key(ADMIN, 'trim'),
      schema: { ...common, summary: 'Delete the versions below min_available_version for good (admin)', params: TRANSIT_NAME_PARAMS, body: TRANSIT_TRIM_BODY, response: { 200: TRANSIT_TRIM_RESPONSE, ...ERROR_RESPONSES } },
    },
    (request) => done(request, svc.trim(request.params.name, request.body)),
  );

  // The batchable operations: one route each, `POST /<op>/:name`, body as the service takes it.
  const batchable = [
    ['encrypt', OPERATOR, 'Encrypt base64 plaintext, or a batch (operator)', TRANSIT_ENCRYPT_BODY, TRANSIT_CIPHERTEXT_RESULTS, (n: string, b: never) => svc.encrypt(n, b)],
    ['decrypt', OPERATOR, 'Decrypt a ciphertext to base64 plaintext, or a batch (operator)', TRANSIT_DECRYPT_BODY, TRANSIT_PLAINTEXT_RESULTS, (n: string, b: never) => svc.decrypt(n, b)],
    ['rewrap', OPERATOR, 'Re-encrypt a ciphertext under the latest (or given) version, or a batch (operator)', TRANSIT_REWRAP_BODY, TRANSIT_CIPHERTEXT_RESULTS, (n: string, b: never) => svc.rewrap(n, b)],
    ['sign', OPERATOR, 'Sign base64 input (or its SHA-512 digest, prehashed), or a batch (operator)', TRANSIT_SIGN_BODY, TRANSIT_SIGNATURE_RESULTS, (n: string, b: never) => svc.sign(n, b)],
    ['verify', ANY_SESSION, 'Check a signature or HMAC over base64 input, or a batch (reader)', TRANSIT_VERIFY_BODY, TRANSIT_VALID_RESULTS, (n: string, b: never) => svc.verify(n, b)],
    ['hmac', OPERATOR, 'HMAC base64 input, or a batch (operator)', TRANSIT_HMAC_BODY, TRANSIT_HMAC_RESULTS, (n: string, b: never) => svc.hmac(n, b)],
  ] as const;
  for (const [op, access, summary, body, results, call] of batchable) {
    app.post(
      `/${op}/:name`,
      { config: key(access, op), schema: { ...common, summary, params: TRANSIT_NAME_PARAMS, body, response: { 200: results, ...ERROR_RESPONSES } } },
      // The route table loses each row's own answer type; the response schema still serializes it.
      (request) => done<unknown>(request, call(request.params.name, request.body as never)) as never,
    );
  }

  app.post(
    '/datakey/:kind/:name',
    {
      config: key(OPERATOR, 'datakey'),
      preValidation: bodyOptional,
      schema: {
        ...common,
        summary: 'A fresh data key, encrypted under the key; also in plaintext for datakey/plaintext (operator)',
        params: TRANSIT_DATAKEY_PARAMS,
        body: TRANSIT_DATAKEY_BODY,
        response: { 200: TRANSIT_DATAKEY, ...ERROR_RESPONSES },
      },
    },
    (request) => done(request, svc.datakey(request.params.name, { ...request.body, plaintext: request.params.kind === 'plaintext' })),
  );

  app.get(
    '/export/:type/:name',
    {
      config: key(ADMIN, 'export'),
      schema: { ...common, summary: 'Every version of an exportable key (admin)', params: TRANSIT_EXPORT_PARAMS, response: { 200: TRANSIT_EXPORT, ...ERROR_RESPONSES } },
    },
    (request) => done(request, svc.export(request.params.type, request.params.name)),
  );

  app.get(
    '/export/:type/:name/:version',
    {
      config: key(ADMIN, 'export'),
      schema: { ...common, summary: 'One version of an exportable key (admin)', params: TRANSIT_EXPORT_VERSION_PARAMS, response: { 200: TRANSIT_EXPORT, ...ERROR_RESPONSES } },
    },
    (request) => done(request, svc.export(request.params.type, request.params.name, Number(request.params.version))),
  );

  app.post(
    '/backup/:name',
    {
      config: key(ADMIN, 'backup'),
      schema: {
        ...common,
        summary: "Every version and setting, sealed to the receiving vault's KEM key and signed (admin)",
        params: TRANSIT_NAME_PARAMS,
        body: TRANSIT_BACKUP_BODY,
        response: { 200: TRANSIT_BACKUP, ...ERROR_RESPONSES },
      },
    },
    (request) => done(request, svc.backup(request.params.name, request.body)),
  );

  app.post(
    '/restore/:name',
    {
      config: key(ADMIN, 'restore'),
      schema: { ...common, summary: 'Restore a backup under this name (admin)', params: TRANSIT_NAME_PARAMS, body: TRANSIT_RESTORE_BODY, response: { 200: TRANSIT_KEY, ...ERROR_RESPONSES } },
    },
    (request) => {
      const { backup, ...rest } = request.body;
      return done(request, svc.restore(backup, { ...rest, name: request.params.name }));
    },
  );

  app.post(
    '/restore',
    {
      config: { access: DAEMON_ADMIN, audit: audit({ request: () => ({ operation: 'restore' }) }) },
      schema: { ...common, summary: 'Restore a backup under its own name (admin, scope *)', body: TRANSIT_RESTORE_BODY, response: { 200: TRANSIT_KEY, ...ERROR_RESPONSES } },
    },
    (request) => {
      const { backup, ...rest } = request.body;
      return done(request, svc.restore(backup, rest));
    },
  );
  done_();
};

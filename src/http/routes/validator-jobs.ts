/**
 * Under `/v1/validators`: bulk imports as jobs, EIP-3076 slashing protection bound to
 * chains, watermark confirmation after a restore, and the keymanager API token
 * (src/validators/jobs.ts, src/validators/slashing-protection.ts; docs/api.md).
 *
 * Access: starting an import is operator work (each item's slot name is checked against
 * the caller's scope); a job is read only by the API key that started it. Interchange
 * import and export address keys by public key across slots: admin, with a scope
 * covering the whole `validators` tree. Binding a chain and confirming watermarks are
 * operator work on one slot. Replacing the keymanager token is daemon admin work.
 * @module
 */
import type { FastifyRequest } from 'fastify';
import { pathInScope, scopeContains } from '../../auth/scope.js';
import { VaultError } from '../../errors.js';
import { ADMIN, ANY_SESSION, audit, callerOf, DAEMON_ADMIN, OPERATOR, type AuditDetail, type RoutePlugin, type VaultApp } from '../context.js';
import {
  BIND_CHAIN_BODY,
  BULK_IMPORT_BODY,
  CONFIRM_WATERMARKS_BODY,
  ERROR_RESPONSES,
  IMPORT_JOB,
  INTERCHANGE_EXPORT_BODY,
  INTERCHANGE_EXPORT_RESPONSE,
  INTERCHANGE_IMPORT_BODY,
  INTERCHANGE_IMPORT_RESPONSE,
  JOB_PARAMS,
  KEYMANAGER_TOKEN_RESPONSE,
  NAME_PARAMS,
  VALIDATOR_SLOT,
} from '../../api/index.js';

/** Interchanges of many keys' full histories can be large. */
const INTERCHANGE_BODY_LIMIT = 64 * 1024 * 1024;
/** Bulk imports carry up to 1000 keystores (~1 KiB each). */
const BULK_BODY_LIMIT = 16 * 1024 * 1024;

/** Routes addressing keys by public key need a scope over the whole `validators` tree. */
function wholeTree(request: FastifyRequest, _reply: unknown, done: (err?: Error) => void): void {
  let err: Error | undefined;
  try {
    if (!scopeContains(callerOf(request).scope, 'validators')) err = new VaultError('OV_FORBIDDEN');
  } catch (e) {
    err = e as Error;
  }
  done(err);
}

const slotPath = (request: FastifyRequest): string => `validators/${(request.params as { name: string }).name}`;

export const validatorJobRoutes: RoutePlugin = (instance, { ctx }, done) => {
  const app = instance as VaultApp;
  const service = ctx.vault.validators;
  const common = { tags: ['validators'], security: [{ bearer: [] }] };

  app.post(
    '/import',
    {
      bodyLimit: Math.max(ctx.vault.config.limits.bodyLimit, BULK_BODY_LIMIT),
      config: {
        access: OPERATOR,
        audit: audit<{ Body: { items: unknown[] } }, { id: string }>({
          request: (request) => ({ action: 'bulk-import', items: request.body.items.length }),
          result: (job, request) => ({ action: 'bulk-import', items: request.body.items.length, job: job.id }),
        }),
      },
      schema: {
        ...common,
        summary: 'Start a bulk import of EIP-2335 keystores as a job (202); read its progress and results at /import/{id}',
        body: BULK_IMPORT_BODY,
        response: { 202: IMPORT_JOB, ...ERROR_RESPONSES },
      },
    },
    (request, reply) => {
      const caller = callerOf(request);
      const b = request.body;
      const job = service.startImport(b.items, {
        owner: caller.apiKeyId,
        allowed: (name) => pathInScope(caller.scope, `validators/${name}`),
        ...(b.genesis_validators_root === undefined ? {} : { root: b.genesis_validators_root }),
      });
      void reply.code(202);
      return job;
    },
  );

  app.get(
    '/import/:id',
    {
      config: { access: ANY_SESSION },
      schema: { ...common, summary: 'An import job: progress, then every item\'s result', params: JOB_PARAMS, response: { 200: IMPORT_JOB, ...ERROR_RESPONSES } },
    },
    (request) => service.importJob(request.params.id, callerOf(request).apiKeyId),
  );

  app.post(
    '/slashing-protection/import',
    {
      bodyLimit: Math.max(ctx.vault.config.limits.bodyLimit, INTERCHANGE_BODY_LIMIT),
      config: {
        access: ADMIN,
        audit: audit<object, { genesis_validators_root: string; results: { status: string }[] }>({
          result: (r) => {
            const d: AuditDetail = { action: 'interchange-import', genesis_validators_root: r.genesis_validators_root, keys: r.results.length };
            for (const st of ['raised', 'unchanged', 'not_found']) d[st] = r.results.filter((x) => x.status === st).length;
            return d;
          },
        }),
      },
      preHandler: wholeTree,
      schema: {
        ...common,
        summary: 'Import an EIP-3076 interchange: raise, bind and confirm the listed keys (admin)',
        body: INTERCHANGE_IMPORT_BODY,
        response: { 200: INTERCHANGE_IMPORT_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    (request) => service.importInterchange(request.body.interchange),
  );

  app.post(
    '/slashing-protection/export',
    {
      config: {
        access: ADMIN,
        audit: audit<{ Body: { pubkeys?: string[] } }>({ request: (request) => ({ action: 'interchange-export', keys: request.body.pubkeys?.length ?? 0 }) }),
      },
      preHandler: wholeTree,
      schema: {
        ...common,
        summary: 'An EIP-3076 interchange of Ethereum keys, one chain per file (admin)',
        body: INTERCHANGE_EXPORT_BODY,
        response: { 200: INTERCHANGE_EXPORT_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const b = request.body;
      const interchange = service.exportInterchange({
        ...(b.pubkeys === undefined ? {} : { pubkeys: b.pubkeys }),
        ...(b.genesis_validators_root === undefined ? {} : { root: b.genesis_validators_root }),
      });
      return { interchange: JSON.stringify(interchange) };
    },
  );

  app.put(
    '/:name/chain',
    {
      config: { access: OPERATOR, scopePath: slotPath, audit: audit<{ Params: { name: string } }>({ request: (request) => ({ validator: request.params.name, action: 'bind-chain' }) }) },
      schema: { ...common, summary: "Bind an Ethereum slot to its chain's genesis validators root", params: NAME_PARAMS, body: BIND_CHAIN_BODY, response: { 200: VALIDATOR_SLOT, ...ERROR_RESPONSES } },
    },
    (request) => service.bindChain(request.params.name, request.body.genesis_validators_root),
  );

  app.post(
    '/:name/confirm-watermarks',
    {
      config: { access: OPERATOR, scopePath: slotPath, audit: audit<{ Params: { name: string } }>({ request: (request) => ({ validator: request.params.name, action: 'confirm-watermarks' }) }) },
      schema: {
        ...common,
        summary: 'Raise the slot watermarks to at least these and clear its restore mark',
        params: NAME_PARAMS,
        body: CONFIRM_WATERMARKS_BODY,
        response: { 200: VALIDATOR_SLOT, ...ERROR_RESPONSES },
      },
    },
    (request) => service.confirmWatermarks(request.params.name, request.body),
  );

  app.post(
    '/keymanager-token',
    {
      config: { access: DAEMON_ADMIN, audit: audit({ request: () => ({ action: 'keymanager-token' }) }) },
      schema: { ...common, summary: 'Replace the keymanager API token; the new token is in this answer only', response: { 200: KEYMANAGER_TOKEN_RESPONSE, ...ERROR_RESPONSES } },
    },
    () => ({ token: service.replaceKeymanagerToken() }),
  );
  done();
};

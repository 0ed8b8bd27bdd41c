/**
 * `/eth/v1/keystores`: the local-keystore part of Ethereum's keymanager API
 * (ethereum/keymanager-APIs, `apis/local_keystores.yaml`: ListKeys, ImportKeystores,
 * DeleteKeys), so validator clients and staking tools work unchanged. Request and
 * response fields, per-item statuses and error bodies (`{"code": <status>, "message"}`)
 * follow the spec; unknown request fields are ignored, as the spec's schemas allow.
 *
 * Authentication is the keymanager token only (src/auth/keymanager-token.ts), the one
 * long-lived bearer the spec's tooling is configured with: no `Authorization` is 401, any
 * other bearer (a session token included) 403. The token is accepted nowhere else. The
 * daemon-wide hooks still apply first (request rate, sealed 503).
 *
 * Delete follows the spec's order: in one transaction every listed active key is
 * disabled (retired, with its signed record) before the EIP-3076 interchange is built
 * from the slots' watermarks; keys are kept, never erased, and a later import of the same
 * keystore makes the key active again.
 * @module
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { VaultError } from '../../errors.js';
import { audit, PUBLIC, type AuditDetail, type RoutePlugin, type VaultApp } from '../context.js';
import { mapError, RETRY_AFTER } from '../errors.js';
import {
  KEYMANAGER_DELETE_BODY,
  KEYMANAGER_DELETE_RESPONSE,
  KEYMANAGER_ERROR_RESPONSES,
  KEYMANAGER_IMPORT_BODY,
  KEYMANAGER_IMPORT_RESPONSE,
  KEYMANAGER_LIST,
} from '../../api/index.js';
import { VALIDATOR_BULK_BODY_LIMIT } from './validators.js';

const BEARER_RE = /^[Bb][Ee][Aa][Rr][Ee][Rr] (\S{1,512})$/;

const counts = (kind: string, data: readonly { status: string }[], statuses: readonly string[]): AuditDetail => {
  const out: AuditDetail = { action: kind, caller: 'keymanager-token', items: data.length };
  for (const st of statuses) out[st] = data.filter((d) => d.status === st).length;
  return out;
};

/** Registered under `/eth/v1/keystores`. */
export const keymanagerRoutes: RoutePlugin = (instance, { ctx }, done) => {
  const app = instance as VaultApp;
  const service = ctx.vault.validators;
  const common = { tags: ['keymanager'], security: [{ bearer: [] }] };

  app.addHook('onRequest', (request: FastifyRequest, _reply: FastifyReply, next: (err?: Error) => void) => {
    const header = request.headers.authorization;
    if (header === undefined) {
      ctx.metrics.authFailure();
      request.vault.auditType = 'auth';
      next(new VaultError('OV_AUTH_INVALID', { reason: 'no token' }));
      return;
    }
    const token = typeof header === 'string' ? BEARER_RE.exec(header)?.[1] : undefined;
    if (token === undefined || !service.keymanagerTokenValid(token)) {
      ctx.metrics.authFailure();
      request.vault.auditType = 'auth';
      if (token !== undefined) request.vault.detail = { token: ctx.vault.audit.hmac(token) };
      next(new VaultError('OV_FORBIDDEN', { reason: 'invalid token' }));
      return;
    }
    next();
  });

  // The spec's error body on every refusal of these routes, hooks and validation included.
  app.setErrorHandler((err, request, reply) => {
    const mapped = mapError(err, request);
    const e = mapped.error;
    if (mapped.unexpected) request.log.error({ err }, 'unexpected error');
    request.vault.errorCode = e.code;
    if (e.status === 401) void reply.header('www-authenticate', 'Bearer');
    const retry = e.detail?.[RETRY_AFTER];
    if (e.code === 'OV_RATE_LIMITED') void reply.header('retry-after', String(typeof retry === 'number' ? retry : 1));
    const field = mapped.field === undefined ? '' : ` (${mapped.field})`;
    return reply
      .code(e.status)
      .type('application/json; charset=utf-8')
      .send({ code: e.status, message: `${e.code}: ${e.message}${field}` });
  });

  app.get(
    '',
    {
      config: { access: PUBLIC },
      schema: { ...common, summary: 'Keymanager ListKeys: the active Ethereum keys', response: { 200: KEYMANAGER_LIST, ...KEYMANAGER_ERROR_RESPONSES } },
    },
    () => ({ data: service.keymanagerList() }),
  );

  app.post(
    '',
    {
      bodyLimit: Math.max(ctx.vault.config.limits.bodyLimit, VALIDATOR_BULK_BODY_LIMIT),
      config: {
        access: PUBLIC,
        audit: audit<object, { data: { status: string }[] }>({ result: (r) => counts('keymanager-import', r.data, ['imported', 'duplicate', 'error']) }),
      },
      schema: {
        ...common,
        summary: 'Keymanager ImportKeystores: per-item imported | duplicate | error; slashing protection raises watermarks',
        body: KEYMANAGER_IMPORT_BODY,
        response: { 200: KEYMANAGER_IMPORT_RESPONSE, ...KEYMANAGER_ERROR_RESPONSES },
      },
    },
    async (request) => {
      const b = request.body;
      return { data: await service.keymanagerImport(b.keystores, b.passwords, b.slashing_protection) };
    },
  );

  app.delete(
    '',
    {
      config: {
        access: PUBLIC,
        audit: audit<object, { data: { status: string }[] }>({ result: (r) => counts('keymanager-delete', r.data, ['deleted', 'not_active', 'not_found']) }),
      },
      schema: {
        ...common,
        summary: 'Keymanager DeleteKeys: disable (retire) first, then return the EIP-3076 interchange',
        body: KEYMANAGER_DELETE_BODY,
        response: { 200: KEYMANAGER_DELETE_RESPONSE, ...KEYMANAGER_ERROR_RESPONSES },
      },
    },
    (request) => service.keymanagerDelete(request.body.pubkeys),
  );
  done();
};

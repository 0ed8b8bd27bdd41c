/**
 * `/v1/sys/*`: the routes that answer while sealed (MISSION.md, "Surfaces"): health with
 * Vault-like status codes (200 unsealed, 503 sealed, 501 not initialised), seal status,
 * unseal (one share, the passphrase, or a reset of the attempt), seal, self-description,
 * Prometheus metrics and the OpenAPI document.
 * @module
 */
import { Type } from 'typebox';
import { CONFIG_FILE_SCHEMA } from '../../config.js';
import { isVaultError, VaultError } from '../../errors.js';
import { SUITES } from '../../envelope/format.js';
import type { KemName, SignatureName } from '../../crypto/types.js';
import type { SealStatus } from '../../seal/index.js';
import { DAEMON_ADMIN, OPERATOR, PUBLIC, type RouteContext, type VaultApp } from '../context.js';
import { DESCRIBE, ERROR_RESPONSES, HEALTH, SEAL_STATUS, UNSEAL_BODY } from '../../api/index.js';

const KEMS: readonly KemName[] = ['X-Wing', 'ML-KEM-768', 'ML-KEM-1024'];
const SIGNATURES: readonly SignatureName[] = ['ML-DSA-65', 'ML-DSA-87', 'Falcon-512-r3', 'Falcon-1024-r3'];

/** What this build can do, for clients deciding which calls to make. */
export const CAPABILITIES: readonly string[] = Object.freeze([
  'sessions',
  'sessions.revoke-by-id',
  'apikeys',
  'keys.rotate',
  'keys.min-decrypt-version',
  'seal.shamir',
  'seal.passphrase',
  'seal.keyfile',
  'audit.hash-chain',
  'audit.checkpoints',
  'metrics.prometheus',
  'openapi',
]);

export function registerSysRoutes(app: VaultApp, ctx: RouteContext): void {
  const { deps } = ctx;

  const sealStatus = (s: SealStatus) => ({ ...s, version: ctx.version });

  app.get(
    '/v1/sys/health',
    {
      config: { access: PUBLIC },
      schema: {
        summary: 'Health: 200 unsealed, 503 sealed, 501 not initialised',
        tags: ['sys'],
        response: { 200: HEALTH, 501: HEALTH, 503: HEALTH },
      },
    },
    async (_request, reply) => {
      const s = deps.seal.status();
      const sealed = deps.keyring() === undefined;
      const code = !s.initialized ? 501 : sealed ? 503 : 200;
      return reply.code(code).send({ initialized: s.initialized, sealed, version: ctx.version });
    },
  );

  app.get(
    '/v1/sys/seal-status',
    {
      config: { access: PUBLIC },
      schema: { summary: 'Seal state and unseal progress', tags: ['sys'], response: { 200: SEAL_STATUS, ...ERROR_RESPONSES } },
    },
    () => sealStatus(deps.seal.status()),
  );

  app.post(
    '/v1/sys/unseal',
    {
      config: { access: PUBLIC },
      schema: {
        summary: 'Submit one unseal share or the passphrase, or reset the attempt',
        tags: ['sys'],
        body: UNSEAL_BODY,
        response: { 200: SEAL_STATUS, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const body = request.body;
      const now = ctx.now();
      const wait = ctx.limits.unseal.retryAfter(request.ip, now);
      if (wait > 0) throw new VaultError('OV_RATE_LIMITED', { retryAfter: wait });
      const action = 'reset' in body ? 'reset' : 'share' in body ? 'share' : 'passphrase';
      request.vault.detail = { action };
      try {
        let status: SealStatus;
        if ('reset' in body) status = deps.seal.reset();
        else if ('share' in body) status = await deps.seal.submitShare(body.share);
        else status = await deps.seal.unsealWithPassphrase(body.passphrase);
        request.vault.detail = { action, progress: status.progress, sealed: status.sealed };
        return sealStatus(status);
      } catch (e) {
        // Wrong shares or a wrong passphrase: the same brake as a wrong API key.
        if (isVaultError(e, 'OV_UNSEAL_FAILED')) ctx.limits.unseal.record(request.ip, now);
        throw e;
      }
    },
  );

  app.post(
    '/v1/sys/seal',
    {
      config: { access: DAEMON_ADMIN },
      schema: {
        summary: 'Seal the vault: wipe the root key and the keyring from memory',
        tags: ['sys'],
        security: [{ bearer: [] }],
        response: { 204: Type.Null({ description: 'sealed' }), ...ERROR_RESPONSES },
      },
    },
    async (_request, reply) => {
      deps.seal.seal();
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/sys/describe',
    {
      config: { access: PUBLIC },
      schema: { summary: 'Versions, suites, crypto provider, capabilities, config schema', tags: ['sys'], response: { 200: DESCRIBE, ...ERROR_RESPONSES } },
    },
    () => {
      const p = deps.provider;
      const algorithms: Record<string, string> = {};
      for (const k of KEMS) algorithms[k] = p.name;
      for (const s of SIGNATURES) algorithms[s] = p.signature(s).implementation;
      const s = deps.seal.status();
      return {
        name: 'ontoref-vault',
        version: ctx.version,
        api: 'v1',
        node: process.versions.node,
        initialized: s.initialized,
        sealed: deps.keyring() === undefined,
        provider: { name: p.name, algorithms },
        suites: SUITES.map((x) => ({ id: x.id, name: x.name, kem: x.kem, kdf_id: x.kdfId, aead_id: x.aeadId })),
        signature: deps.config.crypto.signature,
        capabilities: [...CAPABILITIES],
        config_schema: CONFIG_FILE_SCHEMA,
      };
    },
  );

  app.get(
    '/v1/sys/metrics',
    {
      config: { access: OPERATOR },
      schema: {
        summary: 'Prometheus metrics (admin, operator)',
        tags: ['sys'],
        security: [{ bearer: [] }],
        produces: ['text/plain'],
        response: { 200: Type.String({ description: 'Prometheus text format 0.0.4' }), ...ERROR_RESPONSES },
      },
    },
    async (_request, reply) => {
      const s = deps.seal.status();
      let auditEntries: number | undefined;
      try {
        auditEntries = deps.storage.audit.last()?.seq ?? 0;
      } catch {
        auditEntries = undefined;
      }
      const text = ctx.metrics.render({
        sealed: deps.keyring() === undefined,
        initialized: s.initialized,
        sessionsActive: ctx.loadedSessions()?.size ?? 0,
        auditEntries,
        uptimeSeconds: (ctx.now() - ctx.startedAt) / 1000,
      });
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
    },
  );

  app.get(
    '/v1/sys/openapi',
    { config: { access: PUBLIC }, schema: { hide: true } },
    async (_request, reply) => reply.type('application/json; charset=utf-8').send(JSON.stringify(app.swagger())),
  );
}

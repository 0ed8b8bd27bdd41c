/**
 * `/v1/sys/*`: the routes that answer while sealed: health with
 * Vault-like status codes (200 unsealed, 503 sealed or the database unreachable, 501 not
 * initialised), seal status,
 * unseal (one share, the passphrase, or a reset of the attempt), seal, self-description,
 * Prometheus metrics and the OpenAPI document; and, for the daemon admin once unsealed,
 * snapshots and the audit log (pages of entries, the HMAC it records for a value, archiving
 * a closed range and pruning it once the caller has the archive on disk).
 * @module
 */
import { Type } from 'typebox';
import { isVaultError, VaultError } from '../../errors.js';
import { SUITES } from '../../envelope/format.js';
import type { KemName, SignatureName } from '../../crypto/types.js';
import type { SealStatus } from '../../seal/index.js';
import { audit, DAEMON_ADMIN, iso, OPERATOR, PUBLIC, type RoutePlugin, type VaultApp } from '../context.js';
import { AUDIT_ARCHIVE_BODY, AUDIT_HASH, AUDIT_HASH_BODY, AUDIT_LIST, AUDIT_PRUNE, AUDIT_PRUNE_BODY, AUDIT_LIST_QUERY, DESCRIBE, ERROR_RESPONSES, HEALTH, SEAL_STATUS, UNSEAL_BODY } from '../../api/index.js';

const KEMS: readonly KemName[] = ['X-Wing', 'ML-KEM-768', 'ML-KEM-1024'];
const SIGNATURES: readonly SignatureName[] = ['ML-DSA-65', 'ML-DSA-87', 'Falcon-512-r3', 'Falcon-1024-r3'];

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;
/** RFC 3339 with a time zone (Z or an offset); fractions of a second are allowed. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

function decimal(value: string, field: string): number {
  const n = DECIMAL.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new VaultError('OV_INVALID_ARGUMENT', { field });
  return n;
}

function rfc3339(value: string, field: string): number {
  const ms = RFC3339.test(value) ? Date.parse(value) : NaN;
  if (!Number.isSafeInteger(ms) || ms < 0) throw new VaultError('OV_INVALID_ARGUMENT', { field });
  return ms;
}

/** Largest archive one request answers with: under the client's cap on an answer (16 MiB). */
const MAX_HTTP_ARCHIVE_BYTES = 15 * 1024 * 1024;

/** What this build can do, for clients deciding which calls to make. */
const unsealAction = (body: { reset?: unknown; share?: unknown }): string => ('reset' in body ? 'reset' : 'share' in body ? 'share' : 'passphrase');

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
  'audit.read',
  'audit.archive',
  'sys.snapshot',
  'metrics.prometheus',
  'openapi',
]);

/** Registered under `/v1/sys`. */
export const sysRoutes: RoutePlugin = (instance, { ctx }, done) => {
  const app = instance as VaultApp;
  const { vault } = ctx;

  const sealStatus = (s: SealStatus) => ({ ...s, version: ctx.version });
  let lastInitialized = false;

  app.get(
    '/health',
    {
      config: { access: PUBLIC },
      schema: {
        summary: 'Health: 200 unsealed, 503 sealed or the database unreachable, 501 not initialised',
        tags: ['sys'],
        response: { 200: HEALTH, 501: HEALTH, 503: HEALTH },
      },
    },
    async (_request, reply) => {
      const sealed = vault.keyring() === undefined;
      // The seal state is read from storage: a database that does not answer is reported
      // as such (503), with the state it last had, rather than failing the health check.
      let initialized: boolean;
      try {
        initialized = vault.seal.status().initialized;
        lastInitialized = initialized;
      } catch (e) {
        if (!isVaultError(e, 'OV_STORAGE_UNAVAILABLE')) throw e;
        return reply.code(503).send({ initialized: lastInitialized, sealed, version: ctx.version, database: 'unreachable' });
      }
      const database = vault.auditEntries() === undefined ? 'unreachable' : 'ok';
      const c = vault.cluster?.status();
      // A lapsed cluster node is unhealthy: a load balancer should send no one there.
      const code = !initialized ? 501 : sealed || database !== 'ok' || c?.role === 'lapsed' ? 503 : 200;
      const cluster =
        c === undefined
          ? {}
          : {
              cluster: {
                node: c.node,
                role: c.role,
                database_reachable: c.databaseReachable,
                lease_age_ms: c.leaseAgeMs,
                caught_up_seq: c.caughtUpSeq,
                members: c.members.map((m) => ({ node: m.node, addr: m.addr, lease_until: m.leaseUntil, renewed_at: m.renewedAt, caught_up_seq: m.caughtUpSeq, live: m.live })),
              },
            };
      return reply.code(code).send({ initialized, sealed, version: ctx.version, database, ...cluster });
    },
  );

  app.get(
    '/seal-status',
    {
      config: { access: PUBLIC },
      schema: { summary: 'Seal state and unseal progress', tags: ['sys'], response: { 200: SEAL_STATUS, ...ERROR_RESPONSES } },
    },
    () => sealStatus(vault.seal.status()),
  );

  app.post(
    '/unseal',
    {
      config: {
        access: PUBLIC,
        audit: audit<{ Body: { reset?: unknown; share?: unknown } }, SealStatus>({
          request: (request) => ({ action: unsealAction(request.body) }),
          result: (status, request) => ({ action: unsealAction(request.body), progress: status.progress, sealed: status.sealed }),
        }),
      },
      // Wrong shares or passphrases brake per address, before anything is looked at; a
      // Host that is not this daemon's (DNS rebinding from a web page) changes nothing.
      preHandler: (request, _reply, done) => {
        if (!ctx.hostAllowed(request.headers.host)) {
          done(new VaultError('OV_HOST_REFUSED'));
          return;
        }
        const wait = ctx.limits.unseal.retryAfter(request.ip, vault.now());
        done(wait > 0 ? new VaultError('OV_RATE_LIMITED', { retryAfter: wait }) : undefined);
      },
      schema: {
        summary: 'Submit one unseal share or the passphrase, or reset the attempt',
        tags: ['sys'],
        body: UNSEAL_BODY,
        response: { 200: SEAL_STATUS, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const body = request.body;
      const now = vault.now();
      try {
        let status: SealStatus;
        if ('reset' in body) status = vault.seal.reset();
        else if ('share' in body) status = await vault.seal.submitShare(body.share);
        else status = await vault.seal.unsealWithPassphrase(body.passphrase);
        return sealStatus(status);
      } catch (e) {
        // Wrong shares or a wrong passphrase: the same brake as a wrong API key.
        if (isVaultError(e, 'OV_UNSEAL_FAILED')) ctx.limits.unseal.record(request.ip, now);
        throw e;
      }
    },
  );

  app.post(
    '/seal',
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
      vault.seal.seal();
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/snapshot',
    {
      config: { access: DAEMON_ADMIN, audit: audit({ request: () => ({ action: 'save' }) }) },
      schema: {
        summary: 'Take a signed, consistent snapshot of the whole database (docs/operations.md)',
        tags: ['sys'],
        security: [{ bearer: [] }],
        produces: ['application/octet-stream'],
        response: { 200: Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary', description: 'the snapshot file' }), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { bytes, manifest } = vault.snapshots.take();
      request.vault.detail = { action: 'save', audit_seq: manifest.auditSeq, data_bytes: manifest.dataBytes };
      return reply.type('application/octet-stream').send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
  );

  app.get(
    '/describe',
    {
      config: { access: PUBLIC },
      schema: { summary: 'Versions, suites, crypto provider, capabilities, config schema', tags: ['sys'], response: { 200: DESCRIBE, ...ERROR_RESPONSES } },
    },
    () => {
      const p = vault.provider;
      const algorithms: Record<string, string> = {};
      for (const k of KEMS) algorithms[k] = p.name;
      for (const s of SIGNATURES) algorithms[s] = p.signature(s).implementation;
      const s = vault.seal.status();
      return {
        name: 'ontoref-vault',
        version: ctx.version,
        api: 'v1',
        node: process.versions.node,
        initialized: s.initialized,
        sealed: vault.keyring() === undefined,
        provider: { name: p.name, algorithms },
        suites: SUITES.map((x) => ({ id: x.id, name: x.name, kem: x.kem, kdf_id: x.kdfId, aead_id: x.aeadId })),
        signature: vault.config.crypto.signature,
        capabilities: [...CAPABILITIES],
        tls: { enabled: ctx.transport.tls, key_exchange_groups: [...ctx.transport.groups] },
        config_schema: vault.configSchema,
      };
    },
  );

  app.get(
    '/metrics',
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
      const s = vault.seal.status();
      const text = ctx.metrics.render({
        sealed: vault.keyring() === undefined,
        initialized: s.initialized,
        sessionsActive: vault.loadedSessions()?.size ?? 0,
        auditEntries: vault.auditEntries(),
        uptimeSeconds: (vault.now() - ctx.startedAt) / 1000,
        ...(vault.cluster === undefined ? {} : { cluster: { ...vault.cluster.metrics(), ...vault.cluster.status() } }),
      });
      return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
    },
  );

  app.get(
    '/openapi',
    {
      config: { access: PUBLIC },
      schema: {
        hide: true,
        response: { 200: Type.Object({}, { additionalProperties: true, description: 'the OpenAPI 3.0 document' }), ...ERROR_RESPONSES },
      },
    },
    // A prebuilt string goes out as is (fastify serialises objects only).
    async (_request, reply) => reply.type('application/json; charset=utf-8').send(JSON.stringify(app.swagger()) as never),
  );
  app.get(
    '/audit',
    {
      config: { access: DAEMON_ADMIN, audit: audit<object, { entries: unknown[] }>({ result: (r) => ({ listed: r.entries.length }) }), read: true },
      schema: {
        summary: 'Audit log entries as stored, a page at a time by seq (daemon admin)',
        tags: ['sys'],
        security: [{ bearer: [] }],
        querystring: AUDIT_LIST_QUERY,
        response: { 200: AUDIT_LIST, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const q = request.query;
      const page = vault.audit.read({
        ...(q.after === undefined ? {} : { after: decimal(q.after, 'after') }),
        ...(q.limit === undefined ? {} : { limit: decimal(q.limit, 'limit') }),
        ...(q.since === undefined ? {} : { since: rfc3339(q.since, 'since') }),
        ...(q.path === undefined ? {} : { path: q.path }),
        ...(q.order === undefined ? {} : { order: q.order }),
      });
      return {
        entries: page.entries.map((e) => ({ seq: e.seq, time: iso(e.time), hash: Buffer.from(e.hash).toString('hex'), entry: JSON.parse(e.entry) as Record<string, unknown> })),
        next: page.next,
      };
    },
  );

  app.post(
    '/audit/archive',
    {
      config: {
        access: DAEMON_ADMIN,
        audit: audit<{ Body: { before: string } }>({ request: (request) => ({ before: request.body.before.slice(0, 64) }) }),
      },
      schema: {
        summary: 'The next audit archive: entries older than `before`, ending on a signed checkpoint (daemon admin; nothing is pruned)',
        tags: ['sys'],
        security: [{ bearer: [] }],
        body: AUDIT_ARCHIVE_BODY,
        produces: ['application/octet-stream'],
        response: {
          200: Type.Unsafe<Uint8Array>({ type: 'string', format: 'binary', description: 'the archive file (docs/format.md)' }),
          204: Type.Null({ description: 'nothing qualifies' }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const a = vault.archiver.prepare({ before: vault.archiver.cutoff(request.body.before) }, { maxBytes: MAX_HTTP_ARCHIVE_BYTES });
      if (a === undefined) return reply.code(204).send(null);
      request.vault.detail = { before: request.body.before.slice(0, 64), first_seq: a.firstSeq, last_seq: a.lastSeq, entries: a.entries };
      return reply.type('application/octet-stream').send(Buffer.from(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength));
    },
  );

  app.post(
    '/audit/prune',
    {
      config: {
        access: DAEMON_ADMIN,
        audit: audit<{ Body: { through: number } }, { pruned: number; first_seq: number }>({
          request: (request) => ({ through: request.body.through }),
          result: (r, request) => ({ through: request.body.through, first_seq: r.first_seq, pruned: r.pruned }),
        }),
      },
      schema: {
        summary: 'Remove an archived range from the live log, once its archive is written and synced (daemon admin)',
        tags: ['sys'],
        security: [{ bearer: [] }],
        body: AUDIT_PRUNE_BODY,
        response: { 200: AUDIT_PRUNE, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const r = await vault.archiver.prune(request.body.through, new Uint8Array(Buffer.from(request.body.hash, 'hex')));
      return { pruned: r.pruned, first_seq: r.firstSeq, last_seq: r.lastSeq };
    },
  );

  // No audit detail: the entry of this request records neither the input nor its HMAC.
  app.post(
    '/audit/hash',
    {
      config: { access: DAEMON_ADMIN },
      schema: {
        summary: 'The HMAC the audit log records for a value (daemon admin)',
        tags: ['sys'],
        security: [{ bearer: [] }],
        body: AUDIT_HASH_BODY,
        response: { 200: AUDIT_HASH, ...ERROR_RESPONSES },
      },
    },
    (request) => ({ hash: vault.audit.hmac(request.body.input) }),
  );

  done();
};

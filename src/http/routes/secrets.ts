/**
 * `/v1/secrets`: the versioned secrets API (src/secrets; docs/api.md "Secrets", the
 * issue 4 HTTP contract). Paths are read from the raw URL after the route prefix, never
 * decoded or normalised (src/secrets/path.ts): a `%`, `//`, a trailing `/` or a dot
 * segment is 400 OV_PATH_INVALID before anything else is looked at. The caller's scope
 * must cover the path before its existence is checked, so a denial (403) reveals nothing.
 *
 * Roles (admin > operator > reader): reader reads, lists and sees metadata; operator
 * writes, deletes, undeletes and updates metadata; admin destroys.
 *
 * A read answers JSON built around the stored canonical JSON text (no re-serialisation:
 * this is the hot path), `?field=NAME` answers the value as text, and an
 * `x-ontoref-recipient` header makes the answer an armored envelope sealed to that key
 * and signed by the vault. Every answer that carries a version sets `x-ontoref-version`.
 * @module
 */
import { Type } from 'typebox';
import { pathInScope } from '../../auth/scope.js';
import type { Session } from '../../auth/session-store.js';
import { decodeAgeRecipient, looksLikeAgeRecipient } from '../../envelope/age.js';
import { armor, decodeKey, seal, type PublicKeyInfo } from '../../envelope/index.js';
import { deriveKeyId } from '../../envelope/keys.js';
import { VaultError, isVaultError } from '../../errors.js';
import { FIELD_NAME, parseSecretPath, rawPathAfter, secretSigner, SecretService, type SecretMetadata, type SecretValue } from '../../secrets/index.js';
import { ADMIN, ANY_SESSION, OPERATOR, iso, type RouteContext, type VaultApp } from '../context.js';
import {
  ENVELOPE_MEDIA_TYPE,
  ERROR_RESPONSES,
  RECIPIENT_HEADER,
  SECRET_DELETE_QUERY,
  SECRET_LIST,
  SECRET_LIST_QUERY,
  SECRET_METADATA,
  SECRET_METADATA_BODY,
  SECRET_READ_QUERY,
  SECRET_READ_RESPONSE,
  SECRET_VERSIONS,
  SECRET_VERSIONS_BODY,
  SECRET_WRITE_BODY,
  SECRET_WRITE_RESPONSE,
  VERSION_HEADER,
} from '../../api/index.js';

/** Longest recipient header looked at (an ML-KEM-1024 key file in base64 is ~2.2 KB). */
const MAX_RECIPIENT = 4096;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const DECIMAL = /^[1-9][0-9]{0,15}$/;

const services = new WeakMap<RouteContext, SecretService>();

/**
 * The server's secret service (one per buildServer, shared with the keys routes). Its
 * read cache is wiped when the vault seals.
 */
export function secretService(ctx: RouteContext): SecretService {
  let s = services.get(ctx);
  if (s === undefined) {
    const { deps } = ctx;
    s = new SecretService({
      storage: deps.storage,
      provider: deps.provider,
      keyring: deps.keyring,
      signature: deps.config.crypto.signature,
      now: ctx.now,
      maxValueBytes: deps.config.secrets.maxValueBytes,
      cacheBytes: deps.config.secrets.cacheBytes,
    });
    services.set(ctx, s);
  }
  return s;
}

function rawQuery(url: string): string | undefined {
  const q = url.indexOf('?');
  return q === -1 ? undefined : url.slice(q + 1);
}

function callerOf(request: { vault: { session: Session | undefined } }): Session {
  const s = request.vault.session;
  if (s === undefined) throw new VaultError('OV_AUTH_INVALID');
  return s;
}

/** Strict base64 (canonical padding); OV_INVALID_ARGUMENT otherwise. */
function fromBase64(text: string, field: string): Uint8Array {
  if (!BASE64.test(text)) throw new VaultError('OV_INVALID_ARGUMENT', { field });
  const b = Buffer.from(text, 'base64');
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

function toBase64(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
}

function text(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');
}

function positive(textValue: string, field: string): number {
  if (!DECIMAL.test(textValue)) throw new VaultError('OV_INVALID_ARGUMENT', { field });
  const n = Number(textValue);
  if (!Number.isSafeInteger(n)) throw new VaultError('OV_INVALID_ARGUMENT', { field });
  return n;
}

/** The recipient of a sealed answer: an `age1pq1...` string or base64 of an ORVK KEM public key. */
export function parseRecipient(value: string): PublicKeyInfo {
  const field = `headers/${RECIPIENT_HEADER}`;
  if (value.length > MAX_RECIPIENT) throw new VaultError('OV_KEY_INVALID', { field });
  try {
    if (looksLikeAgeRecipient(value)) {
      const publicKey = decodeAgeRecipient(value);
      // Same key id and version as `vault envelope` gives an age recipient.
      return { kind: 'kem-public', alg: 'X-Wing', keyVersion: 1, keyId: deriveKeyId('X-Wing', publicKey), publicKey };
    }
    const key = decodeKey(fromBase64(value, field));
    if (key.kind !== 'kem-public') throw new VaultError('OV_KEY_INVALID', { field });
    return key;
  } catch (e) {
    if (isVaultError(e)) throw new VaultError('OV_KEY_INVALID', { field });
    throw e;
  }
}

function metadataBody(m: SecretMetadata) {
  return {
    path: m.path,
    current_version: m.currentVersion,
    oldest_version: m.oldestVersion,
    max_versions: m.maxVersions,
    cas_required: m.casRequired,
    custom_metadata: m.customMetadata,
    created_at: iso(m.createdAt),
    updated_at: iso(m.updatedAt),
    versions: m.versions.map((v) => ({
      version: v.version,
      created_at: iso(v.createdAt),
      deleted_at: v.deletedAt === null ? null : iso(v.deletedAt),
      destroyed: v.destroyed,
      key_version: v.kemVersion,
    })),
  };
}

export function registerSecretRoutes(app: VaultApp, ctx: RouteContext): void {
  const svc = secretService(ctx);
  const off = ctx.deps.seal.onSeal(() => svc.cache.wipe());
  app.addHook('onClose', (_instance, done) => {
    off();
    svc.cache.wipe();
    done();
  });

  /**
   * The path of a `/v1/<route>/{path}` request, checked and within the caller's scope.
   * Recorded in the audit entry's detail (the path is already in the entry's URL).
   */
  const target = (request: { url: string; vault: { session: Session | undefined; detail: Record<string, string | number | boolean> | undefined } }, prefix: string): string => {
    const raw = rawPathAfter(request.url, prefix);
    const path = parseSecretPath(raw ?? '');
    if (!pathInScope(callerOf(request).scope, path)) throw new VaultError('OV_FORBIDDEN');
    request.vault.detail = { path };
    return path;
  };

  const tags = ['secrets'];
  const security = [{ bearer: [] }];

  app.put(
    '/v1/secrets/*',
    {
      config: { access: OPERATOR },
      schema: {
        summary: 'Write a new version of a secret (operator)',
        tags,
        security,
        body: SECRET_WRITE_BODY,
        response: { 200: SECRET_WRITE_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const path = target(request, '/v1/secrets/');
      const { data, binary, cas } = request.body;
      if ((data === undefined) === (binary === undefined)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'body' });
      const value: SecretValue = data !== undefined ? { kind: 'data', data } : { kind: 'binary', bytes: fromBase64(binary as string, 'binary') };
      let r;
      try {
        r = svc.put(path, value, cas === undefined ? {} : { cas });
      } catch (e) {
        // The service names `cas`; a missing `cas` is still the body's field.
        if (isVaultError(e, 'OV_CAS_MISMATCH')) throw new VaultError('OV_CAS_MISMATCH', { ...e.detail, field: 'body/cas' });
        throw e;
      }
      request.vault.detail = { path, version: r.version };
      return { path: r.path, version: r.version, created_at: iso(r.createdAt) };
    },
  );

  app.get(
    '/v1/secrets/*',
    {
      config: { access: ANY_SESSION },
      schema: {
        summary: 'Read the latest version of a secret, or ?version=N; ?field=NAME answers one field as text (reader)',
        tags,
        security,
        querystring: SECRET_READ_QUERY,
        response: { 200: SECRET_READ_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const path = target(request, '/v1/secrets/');
      const q = request.query;
      const version = q.version === undefined ? undefined : positive(q.version, 'version');
      if (q.field !== undefined && !FIELD_NAME.test(q.field)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'field' });
      const rawRecipient = request.headers[RECIPIENT_HEADER];
      if (Array.isArray(rawRecipient)) throw new VaultError('OV_KEY_INVALID', { field: `headers/${RECIPIENT_HEADER}` });
      const recipient = rawRecipient === undefined ? undefined : parseRecipient(rawRecipient);
      if (version !== undefined) request.vault.detail = { path, version };
      let r;
      try {
        r = svc.get(path, version);
      } catch (e) {
        if (isVaultError(e, 'OV_SECRET_UNREADABLE')) {
          request.vault.detail = { reason: 'unreadable', path, version: typeof e.detail?.version === 'number' ? e.detail.version : (version ?? 0) };
        }
        throw e;
      }
      request.vault.detail = { path, version: r.version };
      void reply.header(VERSION_HEADER, String(r.version));
      let body: string;
      let type: string;
      if (q.field !== undefined) {
        if (r.kind !== 'data') throw new VaultError('OV_FIELD_NOT_FOUND');
        const fields = JSON.parse(text(r.plaintext)) as Record<string, string>;
        if (!Object.hasOwn(fields, q.field)) throw new VaultError('OV_FIELD_NOT_FOUND');
        body = fields[q.field] as string;
        type = 'text/plain; charset=utf-8';
      } else {
        const head = `{"path":${JSON.stringify(r.path)},"version":${r.version},"created_at":"${iso(r.createdAt)}",`;
        // The stored data plaintext is canonical JSON of string fields: it is the `data` member as is.
        body = r.kind === 'data' ? `${head}"data":${text(r.plaintext)}}` : `${head}"binary":"${toBase64(r.plaintext)}"}`;
        type = 'application/json; charset=utf-8';
      }
      // A prebuilt string goes out as is (fastify serialises objects only).
      if (recipient === undefined) return reply.type(type).send(body as never);
      const keyring = svc.keyring();
      const envelope = seal(ctx.deps.provider, { to: recipient, plaintext: Buffer.from(body, 'utf8'), sign: secretSigner(keyring, svc.signature) });
      return reply.type(ENVELOPE_MEDIA_TYPE).send(armor('ENVELOPE', envelope) as never);
    },
  );

  app.delete(
    '/v1/secrets/*',
    {
      config: { access: OPERATOR },
      schema: {
        summary: 'Soft-delete the latest version of a secret, or ?versions=1,2 (operator)',
        tags,
        security,
        querystring: SECRET_DELETE_QUERY,
        response: { 200: SECRET_VERSIONS, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const path = target(request, '/v1/secrets/');
      const q = request.query.versions;
      let versions: number[] | undefined;
      if (q !== undefined) {
        const parts = q.split(',');
        if (parts.length > 100) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'versions' });
        versions = parts.map((p) => positive(p, 'versions'));
      }
      const done = svc.delete(path, versions);
      request.vault.detail = { path, versions: done.join(',') };
      return { path, versions: done };
    },
  );

  app.get(
    '/v1/secrets',
    {
      config: { access: ANY_SESSION },
      schema: {
        summary: "List secret paths in the caller's scope, by prefix, a page at a time (reader)",
        tags,
        security,
        querystring: SECRET_LIST_QUERY,
        response: { 200: SECRET_LIST, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      // Paths are never percent-decoded: a `%` in the query (in prefix or after) is refused.
      if ((rawQuery(request.url) ?? '').includes('%')) throw new VaultError('OV_PATH_INVALID', { field: 'query' });
      const q = request.query;
      const limit = q.limit === undefined ? undefined : positive(q.limit, 'limit');
      const r = svc.list({
        scope: callerOf(request).scope,
        ...(q.prefix === undefined ? {} : { prefix: q.prefix }),
        ...(q.after === undefined ? {} : { after: q.after }),
        ...(limit === undefined ? {} : { limit }),
      });
      request.vault.detail = { listed: r.paths.length };
      return r;
    },
  );

  app.get(
    '/v1/secrets-metadata/*',
    {
      config: { access: ANY_SESSION },
      schema: {
        summary: 'Metadata and version history of a secret (reader)',
        tags,
        security,
        response: { 200: SECRET_METADATA, ...ERROR_RESPONSES },
      },
    },
    (request) => metadataBody(svc.metadata(target(request, '/v1/secrets-metadata/'))),
  );

  app.put(
    '/v1/secrets-metadata/*',
    {
      config: { access: OPERATOR },
      schema: {
        summary: 'Update (or create) the settings of a secret: max_versions, cas_required, custom_metadata (operator)',
        tags,
        security,
        body: SECRET_METADATA_BODY,
        response: { 200: SECRET_METADATA, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const path = target(request, '/v1/secrets-metadata/');
      const b = request.body;
      return metadataBody(
        svc.putMetadata(path, {
          ...(b.max_versions === undefined ? {} : { maxVersions: b.max_versions }),
          ...(b.cas_required === undefined ? {} : { casRequired: b.cas_required }),
          ...(b.custom_metadata === undefined ? {} : { customMetadata: b.custom_metadata }),
        }),
      );
    },
  );

  app.delete(
    '/v1/secrets-metadata/*',
    {
      config: { access: ADMIN },
      schema: {
        summary: 'Destroy every version of a secret and its metadata (admin)',
        tags,
        security,
        response: { 204: Type.Null({ description: 'destroyed' }), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      svc.destroyAll(target(request, '/v1/secrets-metadata/'));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/v1/secrets-undelete/*',
    {
      config: { access: OPERATOR },
      schema: {
        summary: 'Restore soft-deleted versions of a secret (operator)',
        tags,
        security,
        body: SECRET_VERSIONS_BODY,
        response: { 200: SECRET_VERSIONS, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const path = target(request, '/v1/secrets-undelete/');
      const done = svc.undelete(path, request.body.versions);
      request.vault.detail = { path, versions: done.join(',') };
      return { path, versions: done };
    },
  );

  app.post(
    '/v1/secrets-destroy/*',
    {
      config: { access: ADMIN },
      schema: {
        summary: 'Wipe the envelopes of versions of a secret, irreversibly (admin)',
        tags,
        security,
        body: SECRET_VERSIONS_BODY,
        response: { 200: SECRET_VERSIONS, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const path = target(request, '/v1/secrets-destroy/');
      const done = svc.destroy(path, request.body.versions);
      request.vault.detail = { path, versions: done.join(',') };
      return { path, versions: done };
    },
  );
}

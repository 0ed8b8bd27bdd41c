/**
 * `/v1/secrets`: the versioned secrets API (src/secrets; docs/api.md "Secrets"). Paths are read from the raw URL after the route prefix, never
 * decoded or normalised (src/secrets/path.ts): a `%`, `//`, a trailing `/` or a dot
 * segment is 400 OV_PATH_INVALID before anything else is looked at. The caller's scope
 * must cover the path before its existence is checked, so a denial (403) reveals nothing.
 *
 * Roles (admin > operator > reader): reader reads, lists and sees metadata; operator
 * writes, deletes, undeletes and updates metadata; admin destroys, and only admin may
 * lower max_versions below the versions stored (that prunes them irreversibly).
 *
 * A read answers JSON built around the stored canonical JSON text (no re-serialisation:
 * this is the hot path), `?field=NAME` answers the value as text, and an
 * `x-ontoref-recipient` header makes the answer an armored envelope sealed to that key
 * and signed by the vault; an `x-ontoref-age-recipient` header (age recipients, comma-separated)
 * makes it an armored age v1 file that any age implementation decrypts. Every answer that
 * carries a version sets `x-ontoref-version`.
 * @module
 */
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { decodeAgeRecipient, looksLikeAgeRecipient, parseAgeRecipient, sealAgeFile, type AgeRecipient } from '../../envelope/age.js';
import { armor, decodeKey, seal, type PublicKeyInfo } from '../../envelope/index.js';
import { deriveKeyId } from '../../envelope/keys.js';
import { VaultError, isVaultError } from '../../errors.js';
import { FIELD_NAME, parseSecretPath, rawPathAfter, secretSigner, type SecretMetadata, type SecretValue } from '../../secrets/index.js';
import { ADMIN, ANY_SESSION, audit, callerOf, OPERATOR, iso, type AuditSpec, type RoutePlugin, type VaultApp } from '../context.js';
import {
  AGE_MEDIA_TYPE,
  AGE_RECIPIENT_HEADER,
  ENVELOPE_MEDIA_TYPE,
  MAX_AGE_RECIPIENTS,
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

function rawQuery(url: string): string | undefined {
  const q = url.indexOf('?');
  return q === -1 ? undefined : url.slice(q + 1);
}

/**
 * Canonical base64 only (padded, and the unused bits of the last character zero, so
 * re-encoding gives the same text); OV_INVALID_ARGUMENT otherwise. `AB==` would decode to
 * the same byte as `AA==`: accepting it would store a value other than the one sent.
 */
function fromBase64(text: string, field: string): Uint8Array {
  if (!BASE64.test(text)) throw new VaultError('OV_INVALID_ARGUMENT', { field });
  const b = Buffer.from(text, 'base64');
  if (b.toString('base64') !== text) throw new VaultError('OV_INVALID_ARGUMENT', { field });
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

/**
 * The age recipients of an age-encrypted answer: `age1pq1...` or `age1...` strings, comma
 * separated, in one header or several; all of one kind (OV_AGE_MIXED_RECIPIENTS), at most
 * MAX_AGE_RECIPIENTS. Anything malformed is OV_KEY_INVALID naming the header.
 */
export function parseAgeRecipients(value: string | string[]): AgeRecipient[] {
  const field = `headers/${AGE_RECIPIENT_HEADER}`;
  const list = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((v) => v.trim());
  if (list.length === 0 || list.length > MAX_AGE_RECIPIENTS || list.some((r) => r === '' || r.length > MAX_RECIPIENT)) throw new VaultError('OV_KEY_INVALID', { field });
  let parsed: AgeRecipient[];
  try {
    parsed = list.map((r) => parseAgeRecipient(r));
  } catch (e) {
    if (isVaultError(e)) throw new VaultError('OV_KEY_INVALID', { field });
    throw e;
  }
  if (new Set(parsed.map((r) => r.type)).size > 1) throw new VaultError('OV_AGE_MIXED_RECIPIENTS', { field });
  return parsed;
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

/**
 * The path of a `/v1/<route>/{path}` request, checked (400 OV_PATH_INVALID); the auth
 * plugin then requires it within the caller's scope before anything else is looked at.
 */
const pathAfter =
  (prefix: string) =>
  (request: FastifyRequest): string =>
    parseSecretPath(rawPathAfter(request.url, prefix) ?? '');

/** The checked path (set by the auth plugin from the route's `scopePath`). */
function target(request: { vault: { target: string | undefined } }): string {
  const t = request.vault.target;
  if (t === undefined) throw new VaultError('OV_FORBIDDEN');
  return t;
}

/** Every path route records its path; the path is already in the entry's URL. */
const PATH: AuditSpec = { request: (request) => ({ path: target(request) }) };
/** ... and, on success, the versions it changed. */
const PATH_VERSIONS: AuditSpec = audit<object, { path: string; versions: number[] }>({
  request: (request) => ({ path: target(request) }),
  result: (r) => ({ path: r.path, versions: r.versions.join(',') }),
});

/** Registered under `/v1`: `/secrets`, `/secrets-metadata`, `/secrets-undelete`, `/secrets-destroy`. */
export const secretRoutes: RoutePlugin = (instance, { ctx }, done) => {
  const app = instance as VaultApp;
  const svc = ctx.vault.secrets;

  const tags = ['secrets'];
  const security = [{ bearer: [] }];

  app.put(
    '/secrets/*',
    {
      config: { access: OPERATOR, scopePath: pathAfter('/v1/secrets/'), audit: audit<object, { path: string; version: number }>({ request: (request) => ({ path: target(request) }), result: (r) => ({ path: r.path, version: r.version }) }) },
      schema: {
        summary: 'Write a new version of a secret (operator)',
        tags,
        security,
        body: SECRET_WRITE_BODY,
        response: { 200: SECRET_WRITE_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const path = target(request);
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
      return { path: r.path, version: r.version, created_at: iso(r.createdAt) };
    },
  );

  app.get(
    '/secrets/*',
    {
      config: { access: ANY_SESSION, scopePath: pathAfter('/v1/secrets/'), audit: PATH, read: true },
      schema: {
        summary: 'Read the latest version of a secret, or ?version=N; ?field=NAME answers one field as text (reader)',
        tags,
        security,
        querystring: SECRET_READ_QUERY,
        response: { 200: SECRET_READ_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    // Synchronous, sending rather than returning the reply: an async handler's promise
    // resolving to the reply makes fastify watch the response stream for its end, a cost on
    // every read.
    (request, reply): void => {
      const path = target(request);
      const q = request.query;
      const version = q.version === undefined ? undefined : positive(q.version, 'version');
      if (q.field !== undefined && !FIELD_NAME.test(q.field)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'field' });
      const rawRecipient = request.headers[RECIPIENT_HEADER];
      if (Array.isArray(rawRecipient)) throw new VaultError('OV_KEY_INVALID', { field: `headers/${RECIPIENT_HEADER}` });
      const recipient = rawRecipient === undefined ? undefined : parseRecipient(rawRecipient);
      const rawAge = request.headers[AGE_RECIPIENT_HEADER];
      if (rawAge !== undefined && recipient !== undefined) throw new VaultError('OV_INVALID_ARGUMENT', { field: `headers/${AGE_RECIPIENT_HEADER}`, reason: 'one recipient header at a time' });
      const ageRecipients = rawAge === undefined ? undefined : parseAgeRecipients(rawAge);
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
      if (ageRecipients !== undefined) {
        const file = sealAgeFile(ageRecipients, Buffer.from(body, 'utf8'), { provider: ctx.vault.provider, armor: true });
        void reply.type(AGE_MEDIA_TYPE).send(Buffer.from(file.buffer, file.byteOffset, file.byteLength).toString('utf8') as never);
        return;
      }
      if (recipient === undefined) {
        void reply.type(type).send(body as never);
        return;
      }
      const keyring = svc.keyring();
      const envelope = seal(ctx.vault.provider, { to: recipient, plaintext: Buffer.from(body, 'utf8'), sign: secretSigner(keyring, svc.signature) });
      void reply.type(ENVELOPE_MEDIA_TYPE).send(armor('ENVELOPE', envelope) as never);
    },
  );

  app.delete(
    '/secrets/*',
    {
      config: { access: OPERATOR, scopePath: pathAfter('/v1/secrets/'), audit: PATH_VERSIONS },
      schema: {
        summary: 'Soft-delete the latest version of a secret, or ?versions=1,2 (operator)',
        tags,
        security,
        querystring: SECRET_DELETE_QUERY,
        response: { 200: SECRET_VERSIONS, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const path = target(request);
      const q = request.query.versions;
      let versions: number[] | undefined;
      if (q !== undefined) {
        const parts = q.split(',');
        if (parts.length > 100) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'versions' });
        versions = parts.map((p) => positive(p, 'versions'));
      }
      return { path, versions: svc.delete(path, versions) };
    },
  );

  app.get(
    '/secrets',
    {
      config: { access: ANY_SESSION, audit: audit<object, { paths: string[] }>({ result: (r) => ({ listed: r.paths.length }) }), read: true },
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
      return r;
    },
  );

  app.get(
    '/secrets-metadata/*',
    {
      config: { access: ANY_SESSION, scopePath: pathAfter('/v1/secrets-metadata/'), audit: PATH, read: true },
      schema: {
        summary: 'Metadata and version history of a secret (reader)',
        tags,
        security,
        response: { 200: SECRET_METADATA, ...ERROR_RESPONSES },
      },
    },
    (request) => metadataBody(svc.metadata(target(request))),
  );

  app.put(
    '/secrets-metadata/*',
    {
      config: { access: OPERATOR, scopePath: pathAfter('/v1/secrets-metadata/'), audit: PATH },
      schema: {
        summary: 'Update (or create) the settings of a secret: max_versions, cas_required, custom_metadata (operator; admin to prune stored versions)',
        tags,
        security,
        body: SECRET_METADATA_BODY,
        response: { 200: SECRET_METADATA, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const path = target(request);
      const b = request.body;
      return metadataBody(
        svc.putMetadata(path, {
          ...(b.max_versions === undefined ? {} : { maxVersions: b.max_versions }),
          ...(b.cas_required === undefined ? {} : { casRequired: b.cas_required }),
          ...(b.custom_metadata === undefined ? {} : { customMetadata: b.custom_metadata }),
        }, callerOf(request).role),
      );
    },
  );

  app.delete(
    '/secrets-metadata/*',
    {
      config: { access: ADMIN, scopePath: pathAfter('/v1/secrets-metadata/'), audit: PATH },
      schema: {
        summary: 'Destroy every version of a secret and its metadata (admin)',
        tags,
        security,
        response: { 204: Type.Null({ description: 'destroyed' }), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      svc.destroyAll(target(request));
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/secrets-undelete/*',
    {
      config: { access: OPERATOR, scopePath: pathAfter('/v1/secrets-undelete/'), audit: PATH_VERSIONS },
      schema: {
        summary: 'Restore soft-deleted versions of a secret (operator)',
        tags,
        security,
        body: SECRET_VERSIONS_BODY,
        response: { 200: SECRET_VERSIONS, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const path = target(request);
      return { path, versions: svc.undelete(path, request.body.versions) };
    },
  );

  app.post(
    '/secrets-destroy/*',
    {
      config: { access: ADMIN, scopePath: pathAfter('/v1/secrets-destroy/'), audit: PATH_VERSIONS },
      schema: {
        summary: 'Wipe the envelopes of versions of a secret, irreversibly (admin)',
        tags,
        security,
        body: SECRET_VERSIONS_BODY,
        response: { 200: SECRET_VERSIONS, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const path = target(request);
      return { path, versions: svc.destroy(path, request.body.versions) };
    },
  );
  done();
};

/**
 * `/v1/secrets*` calls: write, read (JSON, one field as text, or sealed to a recipient),
 * list, delete, undelete, destroy, and metadata. Paths are checked locally against the
 * daemon's rule before they go into a URL (src/client/args.ts).
 * @module
 */
import { AGE_ARMOR_BEGIN, AGE_MEDIA_TYPE, AGE_RECIPIENT_HEADER, ENVELOPE_ARMOR_BEGIN, ENVELOPE_MEDIA_TYPE, MAX_AGE_RECIPIENTS, RECIPIENT_HEADER, VERSION_HEADER } from '../api/constants.js';
import type {
  PutSecretRequest,
  SecretDocument,
  SecretList,
  SecretMetadata,
  SecretVersionsResponse,
  SecretWriteResponse,
  UpdateSecretMetadataRequest,
} from '../api/secrets.js';
import { VaultError } from '../errors.js';
import { listPrefix, positiveInt, query, secretPath, versionList } from './args.js';
import { malformedResponse } from './errors.js';
import { mediaType, type RawResponse, type Transport } from './transport.js';

/**
 * What {@link putSecret} writes: string fields, or one binary value (sent as base64). Not
 * the wire body itself ({@link PutSecretRequest}), which carries the bytes as base64 text.
 */
export type SecretInput = { readonly data: Readonly<Record<string, string>> } | { readonly binary: Uint8Array };

/** One field read with `?field=NAME`: the value exactly as stored, and the version it came from. */
export interface SecretField {
  readonly path: string;
  readonly field: string;
  /** From the version header. */
  readonly version: number;
  readonly value: string;
}

/** The version header every secret read carries. */
function versionHeader(r: RawResponse): number {
  const raw = r.headers.get(VERSION_HEADER) ?? '';
  const v = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(v)) throw malformedResponse(r.status, `${VERSION_HEADER} header is missing or invalid`);
  return v;
}

function optionalVersion(version: number | undefined): number | undefined {
  return version === undefined ? undefined : positiveInt(version, 'version', 1, Number.MAX_SAFE_INTEGER);
}

/**
 * `PUT /v1/secrets/{path}` (operator): writes a new version, string fields or one binary
 * value. `cas`: the version that must be current (0: the path must not exist yet); a
 * mismatch is the daemon's 409 (OV_CAS_MISMATCH).
 */
export async function putSecret(t: Transport, path: string, value: SecretInput, opts: { readonly cas?: number } = {}): Promise<SecretWriteResponse> {
  const p = secretPath(path);
  let body: PutSecretRequest;
  if ('binary' in value) {
    if (!(value.binary instanceof Uint8Array)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'binary', reason: 'must be a Uint8Array' });
    body = { binary: Buffer.from(value.binary.buffer, value.binary.byteOffset, value.binary.byteLength).toString('base64') };
  } else {
    const data = (value as { data?: unknown }).data;
    if (typeof data !== 'object' || data === null || Array.isArray(data) || !Object.values(data).every((v) => typeof v === 'string')) {
      throw new VaultError('OV_INVALID_ARGUMENT', { field: 'data', reason: 'must be an object of string fields' });
    }
    body = { data: data as Record<string, string> };
  }
  if (opts.cas !== undefined) body = { ...body, cas: positiveInt(opts.cas, 'cas', 0, Number.MAX_SAFE_INTEGER) };
  return (await t.json('PUT', `v1/secrets/${p}`, 'SECRET_WRITE_RESPONSE', { body })).body;
}

/** `GET /v1/secrets/{path}` (reader): the latest version, or `version`. */
export async function getSecret(t: Transport, path: string, opts: { readonly version?: number } = {}): Promise<SecretDocument> {
  const p = secretPath(path);
  const r = await t.json('GET', `v1/secrets/${p}${query({ version: optionalVersion(opts.version) })}`, 'SECRET_READ_RESPONSE');
  // The schema makes both optional; the route promises exactly one.
  if ((r.body.data === undefined) === (r.body.binary === undefined)) throw malformedResponse(r.status, 'body must hold data (string fields) or binary');
  return r.body;
}

/**
 * `GET /v1/secrets/{path}?field=NAME` (reader): one field, exactly as stored (no added
 * newline), with the version it came from. A binary secret or a missing field is the
 * daemon's 404 (OV_FIELD_NOT_FOUND).
 */
export async function getSecretField(t: Transport, path: string, field: string, opts: { readonly version?: number } = {}): Promise<SecretField> {
  const p = secretPath(path);
  if (typeof field !== 'string' || field.length === 0) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'field', reason: 'must be a non-empty string' });
  const r = await t.request('GET', `v1/secrets/${p}${query({ field, version: optionalVersion(opts.version) })}`, { accept: 'text', headers: { accept: 'text/plain' } });
  if (mediaType(r) !== 'text/plain') throw malformedResponse(r.status, 'a field must come as text/plain');
  return { path, field, version: versionHeader(r), value: typeof r.body === 'string' ? r.body : '' };
}

/**
 * `GET /v1/secrets/{path}` with the recipient header: the daemon seals what it would have
 * answered (the JSON document, or the field value with `field`) to `recipient` (an
 * `age1pq1...` string or the base64 of an ORVK X-Wing / ML-KEM-1024 public key) and signs
 * it; the answer is the armored envelope, which `vault envelope open` reads. An answer
 * that is not an envelope is refused (OV_DAEMON_RESPONSE) rather than returned, so
 * plaintext never comes back where a sealed value was asked for.
 */
export async function getSecretSealed(t: Transport, path: string, recipient: string, opts: { readonly version?: number; readonly field?: string } = {}): Promise<string> {
  const p = secretPath(path);
  if (typeof recipient !== 'string' || !/^[A-Za-z0-9+/=]{1,8192}$/.test(recipient)) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'recipient', reason: 'an age1pq1... recipient or base64 of a public key' });
  }
  const r = await t.request('GET', `v1/secrets/${p}${query({ field: opts.field, version: optionalVersion(opts.version) })}`, {
    accept: 'text',
    headers: { accept: ENVELOPE_MEDIA_TYPE, [RECIPIENT_HEADER]: recipient },
  });
  if (mediaType(r) !== ENVELOPE_MEDIA_TYPE) throw malformedResponse(r.status, 'the answer is not an envelope');
  const text = typeof r.body === 'string' ? r.body : '';
  if (!text.startsWith(ENVELOPE_ARMOR_BEGIN)) throw malformedResponse(r.status, 'the answer is not an armored envelope');
  return text;
}

/**
 * `GET /v1/secrets/{path}` with `x-ontoref-age-recipient` (reader): the answer (the JSON
 * document, or one field) as an armored age v1 file for `recipients` (`age1pq1...` or
 * `age1...`, all of one kind), which any age implementation decrypts.
 */
export async function getSecretAge(t: Transport, path: string, recipients: readonly string[], opts: { readonly version?: number; readonly field?: string } = {}): Promise<string> {
  const p = secretPath(path);
  if (recipients.length === 0 || recipients.length > MAX_AGE_RECIPIENTS || recipients.some((r) => typeof r !== 'string' || !/^age1[0-9a-z]{1,8192}$/.test(r))) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'recipients', reason: 'age1pq1... or age1... recipients' });
  }
  const r = await t.request('GET', `v1/secrets/${p}${query({ field: opts.field, version: optionalVersion(opts.version) })}`, {
    accept: 'text',
    headers: { accept: AGE_MEDIA_TYPE, [AGE_RECIPIENT_HEADER]: recipients.join(',') },
  });
  if (mediaType(r) !== AGE_MEDIA_TYPE) throw malformedResponse(r.status, 'the answer is not an age file');
  const text = typeof r.body === 'string' ? r.body : '';
  if (!text.startsWith(AGE_ARMOR_BEGIN)) throw malformedResponse(r.status, 'the answer is not an armored age file');
  return text;
}

/**
 * `GET /v1/secrets` (reader): one page of paths under `prefix` (default: all in the
 * caller's scope), at most `limit` (1..1000, daemon default 100), after the cursor
 * `after` (the previous page's `next`).
 */
export async function listSecrets(t: Transport, opts: { readonly prefix?: string; readonly limit?: number; readonly after?: string } = {}): Promise<SecretList> {
  const limit = opts.limit === undefined ? undefined : positiveInt(opts.limit, 'limit', 1, 1000);
  const after = opts.after === undefined ? undefined : secretPath(opts.after);
  return (await t.json('GET', `v1/secrets${query({ prefix: listPrefix(opts.prefix), limit, after })}`, 'SECRET_LIST')).body;
}

/**
 * Every path under `prefix`, following the `next` cursor page by page (`pageSize` per
 * request). Pages are fetched lazily, as the caller iterates.
 */
export async function* iterateSecrets(t: Transport, opts: { readonly prefix?: string; readonly pageSize?: number } = {}): AsyncGenerator<string, void, undefined> {
  let after: string | undefined;
  for (;;) {
    const page = await listSecrets(t, {
      ...(opts.prefix === undefined ? {} : { prefix: opts.prefix }),
      ...(opts.pageSize === undefined ? {} : { limit: opts.pageSize }),
      ...(after === undefined ? {} : { after }),
    });
    yield* page.paths;
    if (page.next === null) return;
    // A cursor that does not move would loop forever.
    if (page.next === after || page.paths.length === 0) throw malformedResponse(200, 'the list cursor did not advance');
    after = page.next;
  }
}

/** `DELETE /v1/secrets/{path}` (operator): soft-deletes the latest version, or `versions`. */
export async function deleteSecret(t: Transport, path: string, opts: { readonly versions?: readonly number[] } = {}): Promise<SecretVersionsResponse> {
  const p = secretPath(path);
  const versions = opts.versions === undefined ? undefined : versionList(opts.versions).join(',');
  return (await t.json('DELETE', `v1/secrets/${p}${query({ versions })}`, 'SECRET_VERSIONS')).body;
}

/** `POST /v1/secrets-undelete/{path}` (operator): restores soft-deleted versions. */
export async function undeleteSecret(t: Transport, path: string, versions: readonly number[]): Promise<SecretVersionsResponse> {
  const p = secretPath(path);
  return (await t.json('POST', `v1/secrets-undelete/${p}`, 'SECRET_VERSIONS', { body: { versions: versionList(versions) } })).body;
}

/** `POST /v1/secrets-destroy/{path}` (admin): wipes these versions' envelopes, irreversibly. */
export async function destroySecret(t: Transport, path: string, versions: readonly number[]): Promise<SecretVersionsResponse> {
  const p = secretPath(path);
  return (await t.json('POST', `v1/secrets-destroy/${p}`, 'SECRET_VERSIONS', { body: { versions: versionList(versions) } })).body;
}

/** `DELETE /v1/secrets-metadata/{path}` (admin): destroys every version and the metadata. */
export async function destroyAllSecretVersions(t: Transport, path: string): Promise<void> {
  const p = secretPath(path);
  await t.request('DELETE', `v1/secrets-metadata/${p}`, { accept: 'none' });
}

/** `GET /v1/secrets-metadata/{path}` (reader): settings and the history of every version. */
export async function secretMetadata(t: Transport, path: string): Promise<SecretMetadata> {
  const p = secretPath(path);
  return (await t.json('GET', `v1/secrets-metadata/${p}`, 'SECRET_METADATA')).body;
}

/** `PUT /v1/secrets-metadata/{path}` (operator): creates the metadata if absent. */
export async function updateSecretMetadata(t: Transport, path: string, req: UpdateSecretMetadataRequest): Promise<SecretMetadata> {
  const p = secretPath(path);
  const body: UpdateSecretMetadataRequest = {
    ...(req.max_versions === undefined ? {} : { max_versions: positiveInt(req.max_versions, 'max_versions', 0, 1000) }),
    ...(req.cas_required === undefined ? {} : { cas_required: checkBoolean(req.cas_required, 'cas_required') }),
    ...(req.custom_metadata === undefined ? {} : { custom_metadata: req.custom_metadata }),
  };
  if (Object.keys(body).length === 0) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'metadata', reason: 'nothing to update' });
  return (await t.json('PUT', `v1/secrets-metadata/${p}`, 'SECRET_METADATA', { body })).body;
}

function checkBoolean(v: boolean, field: string): boolean {
  if (typeof v !== 'boolean') throw new VaultError('OV_INVALID_ARGUMENT', { field });
  return v;
}

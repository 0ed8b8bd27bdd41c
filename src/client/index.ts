/**
 * The typed HTTP client of the vault daemon's `/v1` API, used by the `vault` CLI and by
 * users' own scripts. It depends on nothing but the global `fetch` (Node >= 18) and the
 * error registry, so importing it never loads fastify, SQLite or the crypto stack.
 *
 * - Every request carries `Authorization: Bearer <token>` when the client has a token; the
 *   token is never logged and never put in a URL.
 * - Bodies are JSON; answers are read with a size cap and a timeout that covers the whole
 *   exchange, body included.
 * - Redirects are refused rather than followed: a 3xx could send the bearer token to
 *   another origin.
 * - A daemon error `{"error": {"code", "message"}}` becomes a {@link DaemonError} with the
 *   registry code (`fromDaemon: true`); no connection, a DNS failure or a timeout becomes
 *   OV_DAEMON_UNREACHABLE; an unreadable answer OV_DAEMON_RESPONSE (src/client/errors.ts).
 * @module
 */
import { VaultError } from '../errors.js';
import { errorFromResponse, malformedResponse, unreachableError } from './errors.js';
import type {
  ApiKeyInfo,
  ApiKeyWithSecret,
  CreateApiKeyRequest,
  CreateSessionRequest,
  CreateSessionResponse,
  DescribeResponse,
  Health,
  KeyName,
  KeyPolicy,
  KeyVersionInfo,
  PutSecretRequest,
  RewrapResponse,
  SealStatusResponse,
  SecretDocument,
  SecretField,
  SecretList,
  SecretMetadata,
  SecretValue,
  SecretVersionsResponse,
  SecretWriteResponse,
  SessionInfo,
  UnsealRequest,
  UpdateSecretMetadataRequest,
} from './types.js';

export { DaemonError, isDaemonError } from './errors.js';
export type * from './types.js';

/** Where the daemon listens unless ONTOREF_ADDR says otherwise. */
export const DEFAULT_ADDR = 'http://127.0.0.1:8420';
/** Long enough for an argon2id-backed unseal or key exchange on a slow machine. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Cap on an answer's body: the largest (the OpenAPI document, metrics) are far smaller. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface VaultClientOptions {
  /** Base URL of the daemon, `http://host:port` or `https://...` (default {@link DEFAULT_ADDR}). */
  readonly addr?: string;
  /** Session token sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** A fetch implementation (default the global one). */
  readonly fetch?: typeof globalThis.fetch;
  /** Per request, connection to last body byte (default {@link DEFAULT_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
}

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

export interface RequestOptions {
  /** JSON body (sent with `content-type: application/json`). */
  readonly body?: unknown;
  /** How to read a 2xx answer: parsed JSON (default), UTF-8 text, raw bytes, or ignored. */
  readonly accept?: 'json' | 'text' | 'bytes' | 'none';
  /**
   * Extra request headers (e.g. `x-ontoref-recipient`). `authorization` and
   * `content-type` are the client's own and cannot be set here.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** Non-2xx statuses whose answer is returned instead of thrown (health: 501, 503). */
  readonly okStatuses?: readonly number[];
}

export interface RawResponse {
  readonly status: number;
  /** Parsed JSON, text, bytes (Uint8Array), or undefined (204, HEAD, `accept: 'none'`). */
  readonly body: unknown;
  /** The answer's headers (e.g. `x-ontoref-version`). */
  readonly headers: Headers;
}

/**
 * Checks and normalises a daemon address: http or https, no credentials, query or
 * fragment; a trailing slash or path prefix is kept as the base. OV_INVALID_ARGUMENT
 * (field `addr`) otherwise.
 */
export function parseAddr(addr: string): URL {
  let url: URL;
  try {
    url = new URL(addr);
  } catch {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'addr', reason: 'not a URL' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'addr', reason: 'scheme must be http or https' });
  }
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'addr', reason: 'no credentials, query or fragment allowed' });
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/** Extra headers: a token-like name and a value of visible ASCII and spaces (no line breaks). */
const HEADER_NAME_RE = /^[a-z0-9-]{1,64}$/;
const HEADER_VALUE_RE = /^[\x20-\x7e]{0,16384}$/;

/** Header-safe token: visible ASCII only, so it cannot smuggle a header line. */
const TOKEN_RE = /^[\x21-\x7e]{1,4096}$/;

function checkToken(token: string): string {
  if (typeof token !== 'string' || !TOKEN_RE.test(token)) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'token', reason: 'must be 1-4096 visible ASCII characters' });
  }
  return token;
}

function seg(s: string): string {
  return encodeURIComponent(s);
}

const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;

/**
 * True when `path` is a canonical secret path: segments of `A-Z a-z 0-9 . _ -` joined by
 * `/`, no empty, `.` or `..` segment, at most 64 segments and 512 characters. The same
 * rule as src/auth/scope.ts `isValidPath` (a test checks they agree), restated here so the
 * client does not load the daemon's auth code.
 */
export function isSecretPath(path: string): boolean {
  if (typeof path !== 'string' || path.length === 0 || path.length > 512) return false;
  const segments = path.split('/');
  return segments.length <= 64 && segments.every((s) => PATH_SEGMENT.test(s) && s !== '.' && s !== '..');
}

/**
 * A secret path as it goes into a URL. The daemon matches the raw URL and refuses any
 * `%`, so a path is never percent-encoded; instead it is checked here against the same
 * rule as the daemon ({@link isSecretPath}), which also keeps the URL parser from resolving `..` or `.`
 * segments into another path before the request leaves. A bad path is OV_PATH_INVALID,
 * raised locally (not a DaemonError): nothing was sent.
 */
function secretPath(path: string): string {
  if (!isSecretPath(path)) {
    throw new VaultError('OV_PATH_INVALID', {
      field: 'path',
      reason: 'segments of A-Z a-z 0-9 . _ - joined by /, no . or .. segment, no leading or trailing /, at most 64 segments and 512 characters',
    });
  }
  return path;
}

function positiveInt(v: number, field: string, min: number, max: number): number {
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new VaultError('OV_INVALID_ARGUMENT', { field, min, max });
  return v;
}

/** Version lists of delete, undelete and destroy: 1..100 version numbers. */
function versionList(versions: readonly number[]): number[] {
  const list: readonly unknown[] = Array.isArray(versions) ? versions : [];
  if (list.length < 1 || list.length > 100) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'versions', min: 1, max: 100 });
  return list.map((v) => positiveInt(v as number, 'versions', 1, Number.MAX_SAFE_INTEGER));
}

/**
 * A query string. Values made of path characters (`A-Z a-z 0-9 . _ - /` and `,`) go as they
 * are: the daemon refuses any `%` in a listing query, since paths are never decoded.
 * Anything else is percent-encoded.
 */
function query(params: Readonly<Record<string, string | number | undefined>>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    const text = String(v);
    parts.push(`${k}=${/^[A-Za-z0-9._,/-]*$/.test(text) ? text : encodeURIComponent(text)}`);
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/** A listing prefix: path characters only (the daemon checks the segments). */
function listPrefix(prefix: string | undefined): string | undefined {
  if (prefix === undefined) return undefined;
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9._/-]{0,513}$/.test(prefix)) throw new VaultError('OV_PATH_INVALID', { field: 'prefix' });
  return prefix;
}

/** The `x-ontoref-version` header every secret read carries. */
function versionHeader(r: RawResponse): number {
  const raw = r.headers.get('x-ontoref-version') ?? '';
  const v = /^[1-9][0-9]{0,15}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(v)) throw malformedResponse(r.status, 'x-ontoref-version header is missing or invalid');
  return v;
}

function mediaType(r: RawResponse): string {
  return (r.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** The media type of a recipient-sealed answer (an armored ONTOREF ENVELOPE). */
export const ENVELOPE_MEDIA_TYPE = 'application/vnd.ontoref.envelope';

async function readCapped(res: Response, max: number): Promise<Uint8Array> {
  if (res.body === null) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let total = 0;
  // Leaving the loop early (too large) cancels the stream, so the rest is never read.
  for await (const value of res.body as unknown as AsyncIterable<Uint8Array>) {
    total += value.byteLength;
    if (total > max) throw malformedResponse(res.status, 'body too large');
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.byteLength;
  }
  return out;
}

function isJson(res: Response): boolean {
  const ct = res.headers.get('content-type') ?? '';
  return /^application\/(?:[\w.+-]+\+)?json\b/i.test(ct);
}

function parseJson(bytes: Uint8Array, status: number): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch {
    throw malformedResponse(status, 'invalid JSON');
  }
}

type FieldType = 'string' | 'number' | 'boolean' | 'object' | 'array' | 'string|null' | 'number|null';

function typeOk(v: unknown, t: FieldType): boolean {
  switch (t) {
    case 'array':
      return Array.isArray(v);
    case 'object':
      return typeof v === 'object' && v !== null && !Array.isArray(v);
    case 'string|null':
      return v === null || typeof v === 'string';
    case 'number|null':
      return v === null || typeof v === 'number';
    default:
      return typeof v === t;
  }
}

/**
 * Checks the fields the client relies on (not a full schema: the daemon may add fields in
 * a later version without breaking older clients). OV_DAEMON_RESPONSE names the field.
 */
function expectShape<T>(body: unknown, status: number, fields: Readonly<Record<string, FieldType>>, where = 'body'): T {
  if (!typeOk(body, 'object')) throw malformedResponse(status, `${where} is not an object`);
  for (const [k, t] of Object.entries(fields)) {
    if (!typeOk((body as Record<string, unknown>)[k], t)) throw malformedResponse(status, `${where}.${k} is missing or not ${t}`);
  }
  return body as T;
}

function expectList<T>(body: unknown, status: number, key: string, item: Readonly<Record<string, FieldType>>): T[] {
  const list = expectShape<Record<string, unknown[]>>(body, status, { [key]: 'array' })[key] ?? [];
  list.forEach((x, i) => expectShape(x, status, item, `${key}[${i}]`));
  return list as T[];
}

const SEAL_STATUS: Readonly<Record<string, FieldType>> = {
  initialized: 'boolean',
  sealed: 'boolean',
  mode: 'string|null',
  t: 'number|null',
  n: 'number|null',
  progress: 'number',
  nonce: 'string',
};
const SESSION: Readonly<Record<string, FieldType>> = {
  id: 'string',
  api_key_id: 'string',
  role: 'string',
  scope: 'string',
  label: 'string',
  issued_at: 'string',
  expires_at: 'string',
};
const API_KEY: Readonly<Record<string, FieldType>> = {
  id: 'string',
  role: 'string',
  scope: 'string',
  label: 'string',
  created_at: 'string',
  rotated_at: 'string|null',
};
const KEY_VERSION: Readonly<Record<string, FieldType>> = { name: 'string', version: 'number', alg: 'string', key_id: 'string', created_at: 'string' };
const SECRET_WRITE: Readonly<Record<string, FieldType>> = { path: 'string', version: 'number', created_at: 'string' };
const SECRET_VERSIONS: Readonly<Record<string, FieldType>> = { path: 'string', versions: 'array' };
const SECRET_VERSION: Readonly<Record<string, FieldType>> = {
  version: 'number',
  created_at: 'string',
  deleted_at: 'string|null',
  destroyed: 'boolean',
  key_version: 'number',
};
const SECRET_METADATA: Readonly<Record<string, FieldType>> = {
  path: 'string',
  current_version: 'number',
  oldest_version: 'number',
  max_versions: 'number',
  cas_required: 'boolean',
  custom_metadata: 'object',
  created_at: 'string',
  updated_at: 'string',
  versions: 'array',
};
const REWRAP: Readonly<Record<string, FieldType>> = { rewrapped: 'number', remaining: 'number', key_version: 'number', done: 'boolean' };

function checkMetadata(body: unknown, status: number): SecretMetadata {
  const m = expectShape<SecretMetadata>(body, status, SECRET_METADATA);
  m.versions.forEach((v, i) => expectShape(v, status, SECRET_VERSION, `versions[${i}]`));
  return m;
}

function checkVersions(body: unknown, status: number): SecretVersionsResponse {
  const r = expectShape<SecretVersionsResponse>(body, status, SECRET_VERSIONS);
  if (!r.versions.every((v) => Number.isSafeInteger(v))) throw malformedResponse(status, 'body.versions holds a non-integer');
  return r;
}

const KEY_POLICY: Readonly<Record<string, FieldType>> = {
  name: 'string',
  alg: 'string',
  latest_version: 'number',
  min_decrypt_version: 'number',
  versions: 'array',
};

export class VaultClient {
  /** The normalised base URL (always ends with `/`). */
  readonly addr: string;
  readonly #base: URL;
  readonly #token: string | undefined;
  readonly #fetch: typeof globalThis.fetch;
  readonly #timeoutMs: number;

  constructor(opts: VaultClientOptions = {}) {
    this.#base = parseAddr(opts.addr ?? DEFAULT_ADDR);
    this.addr = this.#base.href;
    this.#token = opts.token === undefined ? undefined : checkToken(opts.token);
    const f = opts.fetch ?? globalThis.fetch;
    if (typeof f !== 'function') throw new VaultError('OV_INVALID_ARGUMENT', { field: 'fetch', reason: 'no fetch implementation' });
    this.#fetch = f;
    const t = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isSafeInteger(t) || t < 1 || t > 3_600_000) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'timeoutMs', min: 1, max: 3_600_000 });
    this.#timeoutMs = t;
  }

  /** True when requests carry a bearer token. */
  get hasToken(): boolean {
    return this.#token !== undefined;
  }

  /** The same daemon with another token (e.g. the one `createSession` returned). */
  withToken(token: string | undefined): VaultClient {
    return new VaultClient({
      addr: this.#base.href,
      fetch: this.#fetch,
      timeoutMs: this.#timeoutMs,
      ...(token === undefined ? {} : { token }),
    });
  }

  /**
   * One request. `path` is relative to the address (`v1/sys/health`); a leading `/` is
   * allowed and still resolves under the address's path prefix. Throws DaemonError for
   * non-2xx answers (unless listed in `okStatuses`), OV_DAEMON_UNREACHABLE when no answer
   * arrives.
   */
  async request(method: Method, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    const url = new URL(path.replace(/^\/+/, ''), this.#base);
    const headers: Record<string, string> = { accept: 'application/json' };
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      const name = k.toLowerCase();
      if (name === 'authorization' || name === 'content-type' || !HEADER_NAME_RE.test(name) || !HEADER_VALUE_RE.test(v)) {
        throw new VaultError('OV_INVALID_ARGUMENT', { field: 'headers', reason: 'invalid or reserved header' });
      }
      headers[name] = v;
    }
    if (this.#token !== undefined) headers['authorization'] = `Bearer ${this.#token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.body);
    }
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#timeoutMs);
    // The timer must not keep a CLI process alive after its work is done.
    timer.unref?.();
    try {
      let res: Response;
      try {
        res = await this.#fetch(url, {
          method,
          headers,
          ...(body === undefined ? {} : { body }),
          redirect: 'manual',
          signal: controller.signal,
        });
      } catch (e) {
        throw unreachableError(this.#base.origin, e, timedOut);
      }
      let bytes: Uint8Array;
      try {
        bytes = method === 'HEAD' ? new Uint8Array(0) : await readCapped(res, MAX_RESPONSE_BYTES);
      } catch (e) {
        if (e instanceof VaultError) throw e;
        throw unreachableError(this.#base.origin, e, timedOut);
      }
      const ok = (res.status >= 200 && res.status < 300) || (opts.okStatuses ?? []).includes(res.status);
      if (!ok) {
        if (res.status >= 300 && res.status < 400) throw malformedResponse(res.status, 'redirect refused');
        let parsed: unknown;
        if (isJson(res) && bytes.length > 0) {
          try {
            parsed = parseJson(bytes, res.status);
          } catch {
            parsed = undefined;
          }
        }
        throw errorFromResponse(res.status, parsed);
      }
      const accept = opts.accept ?? 'json';
      const base = { status: res.status, headers: res.headers };
      if (accept === 'none' || res.status === 204 || method === 'HEAD') return { ...base, body: undefined };
      if (accept === 'bytes') return { ...base, body: bytes };
      if (accept === 'text') {
        try {
          return { ...base, body: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
        } catch {
          throw malformedResponse(res.status, 'invalid UTF-8');
        }
      }
      if (!isJson(res)) throw malformedResponse(res.status, 'not JSON');
      return { ...base, body: parseJson(bytes, res.status) };
    } finally {
      clearTimeout(timer);
    }
  }

  async #json(method: Method, path: string, body?: unknown): Promise<RawResponse> {
    return this.request(method, path, body === undefined ? {} : { body });
  }

  // --- sys ---------------------------------------------------------------------------

  /**
   * `GET /v1/sys/health`. Does not throw for a sealed (503) or uninitialised (501) vault:
   * the status is the answer.
   */
  async health(): Promise<Health> {
    const r = await this.request('GET', 'v1/sys/health', { okStatuses: [501, 503] });
    const b = r.body as { error?: { code?: unknown } } | undefined;
    // A 503/501 may come as an error body instead of a health body; both mean the same.
    if (typeof b === 'object' && b !== null && 'error' in b && (r.status === 503 || r.status === 501)) {
      return { status: r.status, initialized: r.status === 503, sealed: true };
    }
    const h = expectShape<{ initialized: boolean; sealed: boolean; version?: unknown }>(r.body, r.status, { initialized: 'boolean', sealed: 'boolean' });
    return {
      status: r.status,
      initialized: h.initialized,
      sealed: h.sealed,
      ...(typeof h.version === 'string' ? { version: h.version } : {}),
    };
  }

  /** `GET /v1/sys/seal-status` (no token needed). */
  async sealStatus(): Promise<SealStatusResponse> {
    const r = await this.#json('GET', 'v1/sys/seal-status');
    return expectShape<SealStatusResponse>(r.body, r.status, SEAL_STATUS);
  }

  /** `POST /v1/sys/unseal`: one share, the passphrase, or `{reset: true}` to drop submitted shares. */
  async unseal(req: UnsealRequest): Promise<SealStatusResponse> {
    const r = await this.#json('POST', 'v1/sys/unseal', req);
    return expectShape<SealStatusResponse>(r.body, r.status, SEAL_STATUS);
  }

  /** `POST /v1/sys/seal` (admin): wipes the root key from the daemon's memory. */
  async seal(): Promise<void> {
    await this.request('POST', 'v1/sys/seal', { accept: 'none' });
  }

  /** `GET /v1/sys/describe`: versions, suites, providers and capabilities. */
  async describe(): Promise<DescribeResponse> {
    const r = await this.#json('GET', 'v1/sys/describe');
    return expectShape<DescribeResponse>(r.body, r.status, { version: 'string' });
  }

  /** `GET /v1/sys/metrics` (admin, operator): Prometheus text format. */
  async metrics(): Promise<string> {
    const r = await this.request('GET', 'v1/sys/metrics', { accept: 'text' });
    return r.body as string;
  }

  /** `GET /v1/sys/openapi`: the OpenAPI document generated from the route schemas. */
  async openapi(): Promise<Record<string, unknown>> {
    const r = await this.#json('GET', 'v1/sys/openapi');
    return expectShape<Record<string, unknown>>(r.body, r.status, {});
  }

  // --- sessions ------------------------------------------------------------------------

  /** `POST /v1/sessions`: trades an API key for a session token (no token needed). */
  async createSession(req: CreateSessionRequest): Promise<CreateSessionResponse> {
    const r = await this.#json('POST', 'v1/sessions', req);
    const s = expectShape<CreateSessionResponse>(r.body, r.status, { token: 'string', id: 'string', expires_at: 'string', role: 'string', scope: 'string' });
    // The token goes into a header, a file and maybe a shell variable: it must be plain.
    if (!TOKEN_RE.test(s.token)) throw malformedResponse(r.status, 'token has an invalid form');
    return s;
  }

  /**
   * `GET /v1/sessions`: the sessions within the caller's scope (all, for the daemon admin),
   * optionally only those of one API key, at most `limit` (daemon default 1000).
   */
  async listSessions(opts: { readonly limit?: number; readonly apiKeyId?: string } = {}): Promise<SessionInfo[]> {
    const q = new URLSearchParams();
    if (opts.limit !== undefined) q.set('limit', String(opts.limit));
    if (opts.apiKeyId !== undefined) q.set('api_key_id', opts.apiKeyId);
    const query = q.toString();
    const r = await this.#json('GET', `v1/sessions${query === '' ? '' : `?${query}`}`);
    return expectList<SessionInfo>(r.body, r.status, 'sessions', SESSION);
  }

  /** `DELETE /v1/sessions/{id}`. */
  async revokeSession(id: string): Promise<void> {
    await this.request('DELETE', `v1/sessions/${seg(id)}`, { accept: 'none' });
  }

  /** `GET /v1/sessions/self`: the caller's own session. */
  async lookupSelf(): Promise<SessionInfo> {
    const r = await this.#json('GET', 'v1/sessions/self');
    return expectShape<SessionInfo>(r.body, r.status, SESSION);
  }

  /** `DELETE /v1/sessions/self`: ends the caller's own session. */
  async revokeSelf(): Promise<void> {
    await this.request('DELETE', 'v1/sessions/self', { accept: 'none' });
  }

  // --- API keys ------------------------------------------------------------------------

  /** `POST /v1/apikeys` (admin): the answer holds the key, shown once. */
  async createApiKey(req: CreateApiKeyRequest): Promise<ApiKeyWithSecret> {
    const r = await this.#json('POST', 'v1/apikeys', req);
    return expectShape<ApiKeyWithSecret>(r.body, r.status, { ...API_KEY, key: 'string' });
  }

  /** `GET /v1/apikeys` (admin). */
  async listApiKeys(): Promise<ApiKeyInfo[]> {
    const r = await this.#json('GET', 'v1/apikeys');
    return expectList<ApiKeyInfo>(r.body, r.status, 'apikeys', API_KEY);
  }

  /** `POST /v1/apikeys/{id}/rotate` (admin): new secret, same id; the key's sessions are revoked. */
  async rotateApiKey(id: string): Promise<ApiKeyWithSecret> {
    const r = await this.#json('POST', `v1/apikeys/${seg(id)}/rotate`);
    return expectShape<ApiKeyWithSecret>(r.body, r.status, { ...API_KEY, key: 'string' });
  }

  /** `DELETE /v1/apikeys/{id}` (admin): the key's sessions are revoked with it. */
  async deleteApiKey(id: string): Promise<void> {
    await this.request('DELETE', `v1/apikeys/${seg(id)}`, { accept: 'none' });
  }

  // --- keyring -------------------------------------------------------------------------

  /** `GET /v1/keys`: public information on every key and its versions. */
  async listKeys(): Promise<KeyPolicy[]> {
    const r = await this.#json('GET', 'v1/keys');
    const keys = expectList<KeyPolicy>(r.body, r.status, 'keys', KEY_POLICY);
    keys.forEach((k, i) => k.versions.forEach((v, j) => expectShape(v, r.status, KEY_VERSION, `keys[${i}].versions[${j}]`)));
    return keys;
  }

  /** `POST /v1/keys/{name}/rotate` (admin): adds a version; older versions stay usable for decryption. */
  async rotateKey(name: KeyName): Promise<KeyVersionInfo> {
    const r = await this.#json('POST', `v1/keys/${seg(name)}/rotate`);
    return expectShape<KeyVersionInfo>(r.body, r.status, KEY_VERSION);
  }

  /** `POST /v1/keys/{name}/min-decrypt-version` (admin): retires older versions (never lowers). */
  async setMinDecryptVersion(name: KeyName, version: number): Promise<KeyPolicy> {
    const r = await this.#json('POST', `v1/keys/${seg(name)}/min-decrypt-version`, { version });
    return expectShape<KeyPolicy>(r.body, r.status, KEY_POLICY);
  }

  /**
   * `POST /v1/keys/{name}/rewrap` (daemon admin): re-seals secret versions still under an
   * older KEM key version with the newest one, `batchSize` per transaction, stopping after
   * `maxVersions` so a caller can drive it in slices and show progress. Resumable: call
   * again until `done`.
   */
  async rewrapKey(name: KeyName, opts: { readonly batchSize?: number; readonly maxVersions?: number } = {}): Promise<RewrapResponse> {
    const body: Record<string, number> = {};
    if (opts.batchSize !== undefined) body['batch_size'] = positiveInt(opts.batchSize, 'batchSize', 1, 1000);
    if (opts.maxVersions !== undefined) body['max_versions'] = positiveInt(opts.maxVersions, 'maxVersions', 1, Number.MAX_SAFE_INTEGER);
    const r = await this.#json('POST', `v1/keys/${seg(name)}/rewrap`, body);
    return expectShape<RewrapResponse>(r.body, r.status, REWRAP);
  }

  // --- secrets -------------------------------------------------------------------------

  /**
   * `PUT /v1/secrets/{path}` (operator): writes a new version, string fields or one binary
   * value. `cas`: the version that must be current (0: the path must not exist yet); a
   * mismatch is the daemon's 409 (OV_CAS_MISMATCH).
   */
  async putSecret(path: string, value: SecretValue, opts: { readonly cas?: number } = {}): Promise<SecretWriteResponse> {
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
    const r = await this.#json('PUT', `v1/secrets/${p}`, body);
    return expectShape<SecretWriteResponse>(r.body, r.status, SECRET_WRITE);
  }

  /** `GET /v1/secrets/{path}` (reader): the latest version, or `version`. */
  async getSecret(path: string, opts: { readonly version?: number } = {}): Promise<SecretDocument> {
    const p = secretPath(path);
    const version = opts.version === undefined ? undefined : positiveInt(opts.version, 'version', 1, Number.MAX_SAFE_INTEGER);
    const r = await this.#json('GET', `v1/secrets/${p}${query({ version })}`);
    const doc = expectShape<SecretDocument>(r.body, r.status, SECRET_WRITE);
    const hasData = typeOk(doc.data, 'object') && Object.values(doc.data as object).every((v) => typeof v === 'string');
    const hasBinary = typeof doc.binary === 'string';
    if (hasData === hasBinary) throw malformedResponse(r.status, 'body must hold data (string fields) or binary');
    return doc;
  }

  /**
   * `GET /v1/secrets/{path}?field=NAME` (reader): one field, exactly as stored (no added
   * newline), with the version it came from. A binary secret or a missing field is the
   * daemon's 404 (OV_FIELD_NOT_FOUND).
   */
  async getSecretField(path: string, field: string, opts: { readonly version?: number } = {}): Promise<SecretField> {
    const p = secretPath(path);
    if (typeof field !== 'string' || field.length === 0) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'field', reason: 'must be a non-empty string' });
    const version = opts.version === undefined ? undefined : positiveInt(opts.version, 'version', 1, Number.MAX_SAFE_INTEGER);
    const r = await this.request('GET', `v1/secrets/${p}${query({ field, version })}`, { accept: 'text', headers: { accept: 'text/plain' } });
    if (mediaType(r) !== 'text/plain') throw malformedResponse(r.status, 'a field must come as text/plain');
    return { path, field, version: versionHeader(r), value: r.body as string };
  }

  /**
   * `GET /v1/secrets/{path}` with `x-ontoref-recipient`: the daemon seals what it would
   * have answered (the JSON document, or the field value with `field`) to `recipient` (an
   * `age1pq1...` string or the base64 of an ORVK X-Wing / ML-KEM-1024 public key) and
   * signs it; the answer is the armored envelope, which `vault envelope open` reads. An
   * answer that is not an envelope is refused (OV_DAEMON_RESPONSE) rather than returned,
   * so plaintext never comes back where a sealed value was asked for.
   */
  async getSecretSealed(path: string, recipient: string, opts: { readonly version?: number; readonly field?: string } = {}): Promise<string> {
    const p = secretPath(path);
    if (typeof recipient !== 'string' || !/^[A-Za-z0-9+/=]{1,8192}$/.test(recipient)) {
      throw new VaultError('OV_INVALID_ARGUMENT', { field: 'recipient', reason: 'an age1pq1... recipient or base64 of a public key' });
    }
    const version = opts.version === undefined ? undefined : positiveInt(opts.version, 'version', 1, Number.MAX_SAFE_INTEGER);
    const r = await this.request('GET', `v1/secrets/${p}${query({ field: opts.field, version })}`, {
      accept: 'text',
      headers: { accept: ENVELOPE_MEDIA_TYPE, 'x-ontoref-recipient': recipient },
    });
    if (mediaType(r) !== ENVELOPE_MEDIA_TYPE) throw malformedResponse(r.status, 'the answer is not an envelope');
    const text = r.body as string;
    if (!text.startsWith('-----BEGIN ONTOREF ENVELOPE-----')) throw malformedResponse(r.status, 'the answer is not an armored envelope');
    return text;
  }

  /**
   * `GET /v1/secrets` (reader): one page of paths under `prefix` (default: all in the
   * caller's scope), at most `limit` (1..1000, daemon default 100), after the cursor
   * `after` (the previous page's `next`).
   */
  async listSecrets(opts: { readonly prefix?: string; readonly limit?: number; readonly after?: string } = {}): Promise<SecretList> {
    const limit = opts.limit === undefined ? undefined : positiveInt(opts.limit, 'limit', 1, 1000);
    const after = opts.after === undefined ? undefined : secretPath(opts.after);
    const r = await this.#json('GET', `v1/secrets${query({ prefix: listPrefix(opts.prefix), limit, after })}`);
    const list = expectShape<SecretList>(r.body, r.status, { paths: 'array', next: 'string|null' });
    if (!list.paths.every((x) => typeof x === 'string')) throw malformedResponse(r.status, 'body.paths holds a non-string');
    return list;
  }

  /**
   * Every path under `prefix`, following the `next` cursor page by page (`pageSize` per
   * request). Pages are fetched lazily, as the caller iterates.
   */
  async *iterateSecrets(opts: { readonly prefix?: string; readonly pageSize?: number } = {}): AsyncGenerator<string, void, undefined> {
    let after: string | undefined;
    for (;;) {
      const page = await this.listSecrets({
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
  async deleteSecret(path: string, opts: { readonly versions?: readonly number[] } = {}): Promise<SecretVersionsResponse> {
    const p = secretPath(path);
    const versions = opts.versions === undefined ? undefined : versionList(opts.versions).join(',');
    const r = await this.#json('DELETE', `v1/secrets/${p}${query({ versions })}`);
    return checkVersions(r.body, r.status);
  }

  /** `POST /v1/secrets-undelete/{path}` (operator): restores soft-deleted versions. */
  async undeleteSecret(path: string, versions: readonly number[]): Promise<SecretVersionsResponse> {
    const p = secretPath(path);
    const r = await this.#json('POST', `v1/secrets-undelete/${p}`, { versions: versionList(versions) });
    return checkVersions(r.body, r.status);
  }

  /** `POST /v1/secrets-destroy/{path}` (admin): wipes these versions' envelopes, irreversibly. */
  async destroySecret(path: string, versions: readonly number[]): Promise<SecretVersionsResponse> {
    const p = secretPath(path);
    const r = await this.#json('POST', `v1/secrets-destroy/${p}`, { versions: versionList(versions) });
    return checkVersions(r.body, r.status);
  }

  /** `DELETE /v1/secrets-metadata/{path}` (admin): destroys every version and the metadata. */
  async destroyAllSecretVersions(path: string): Promise<void> {
    const p = secretPath(path);
    await this.request('DELETE', `v1/secrets-metadata/${p}`, { accept: 'none' });
  }

  /** `GET /v1/secrets-metadata/{path}` (reader): settings and the history of every version. */
  async secretMetadata(path: string): Promise<SecretMetadata> {
    const p = secretPath(path);
    const r = await this.#json('GET', `v1/secrets-metadata/${p}`);
    return checkMetadata(r.body, r.status);
  }

  /** `PUT /v1/secrets-metadata/{path}` (operator): creates the metadata if absent. */
  async updateSecretMetadata(path: string, req: UpdateSecretMetadataRequest): Promise<SecretMetadata> {
    const p = secretPath(path);
    const body: Record<string, unknown> = {};
    if (req.max_versions !== undefined) body['max_versions'] = positiveInt(req.max_versions, 'max_versions', 0, 1000);
    if (req.cas_required !== undefined) {
      if (typeof req.cas_required !== 'boolean') throw new VaultError('OV_INVALID_ARGUMENT', { field: 'cas_required' });
      body['cas_required'] = req.cas_required;
    }
    if (req.custom_metadata !== undefined) body['custom_metadata'] = req.custom_metadata;
    if (Object.keys(body).length === 0) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'metadata', reason: 'nothing to update' });
    const r = await this.#json('PUT', `v1/secrets-metadata/${p}`, body);
    return checkMetadata(r.body, r.status);
  }
}
export * from './validators.js';

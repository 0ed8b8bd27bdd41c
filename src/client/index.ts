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
  SealStatusResponse,
  SessionInfo,
  UnsealRequest,
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
  /** How to read a 2xx answer: parsed JSON (default), text, or ignored. */
  readonly accept?: 'json' | 'text' | 'none';
  /** Non-2xx statuses whose answer is returned instead of thrown (health: 501, 503). */
  readonly okStatuses?: readonly number[];
}

export interface RawResponse {
  readonly status: number;
  /** Parsed JSON, text, or undefined (204, HEAD, `accept: 'none'`). */
  readonly body: unknown;
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
      if (accept === 'none' || res.status === 204 || method === 'HEAD') return { status: res.status, body: undefined };
      if (accept === 'text') {
        try {
          return { status: res.status, body: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
        } catch {
          throw malformedResponse(res.status, 'invalid UTF-8');
        }
      }
      if (!isJson(res)) throw malformedResponse(res.status, 'not JSON');
      return { status: res.status, body: parseJson(bytes, res.status) };
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
}

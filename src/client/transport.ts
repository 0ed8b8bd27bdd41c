/**
 * The client's one way to talk to the daemon: address parsing, the bearer token, one
 * request (node:http for `http://` (./http.ts), node:https for `https://` (./https.ts), or
 * the caller's `fetch`) with a timeout over the whole exchange, a size cap on answers, and
 * the mapping of failures to errors (src/client/errors.ts).
 *
 * - Every request carries `Authorization: Bearer <token>` when there is a token; the
 *   token is never logged and never put in a URL.
 * - Redirects are refused rather than followed: a 3xx could send the bearer token to
 *   another origin.
 * - A JSON answer is only ever handed out by {@link Transport.json}, which takes the name
 *   of the route's response schema in src/api, checks the answer against it and returns
 *   `Static<>` of that schema: a call cannot have a result type of its own making.
 * @module
 */
import type { Static, TSchema } from 'typebox';
import type * as api from '../api/index.js';
import { PLAIN_SCHEMAS, type PlainSchemaName } from '../api/plain-schemas.js';
import { VaultError } from '../errors.js';
import { DEFAULT_ADDR } from '../util/addr.js';
import { checkAnswer } from './check.js';
import { DaemonError, errorFromResponse, malformedResponse, unreachableError } from './errors.js';
import { addrLabel, attemptOrder, isIdempotent, moveOnAfterAnswer, moveOnAfterNetwork, outcomeOf, parseAddrList, rememberAnswer, withTried, type MoveOn } from './failover.js';
import { ExchangeFailure, httpExchange, type HttpAnswer, type HttpExchange, type ResponseHeaders } from './http.js';
import type { HttpsFetch, TlsClientOptions, TlsInfo } from './https.js';

export type { ResponseHeaders } from './http.js';
export { parseAddr, parseAddrList } from './failover.js';

/** Long enough for an argon2id-backed unseal or key exchange on a slow machine. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Cap on an answer's body: the largest (the OpenAPI document, metrics) are far smaller. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export interface VaultClientOptions {
  /**
   * Base URL of the daemon, `http://host:port` or `https://...` (default
   * `http://127.0.0.1:8420`), or several separated by commas, all of one scheme: each
   * request tries them in turn as src/client/failover.ts describes.
   */
  readonly addr?: string;
  /** Session token sent as `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** A fetch implementation (default: node:http, or for https node:https with `tls`). */
  readonly fetch?: typeof globalThis.fetch;
  /** For `https://` addresses: extra CAs, a client certificate, offered groups. */
  readonly tls?: TlsClientOptions;
  /** Per attempt at one address, connection to last body byte (default {@link DEFAULT_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
}

export type Method = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';

export interface RequestOptions {
  /** JSON body (sent with `content-type: application/json`). */
  readonly body?: unknown;
  /**
   * How to read a 2xx answer: UTF-8 text (default), raw bytes, or ignored. JSON answers
   * are read through a typed call instead, which checks them against the route's schema.
   */
  readonly accept?: 'text' | 'bytes' | 'none';
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
  /** Text, bytes (Uint8Array), or undefined (204, HEAD, `accept: 'none'`). */
  readonly body: string | Uint8Array | undefined;
  /** The answer's headers (e.g. `x-ontoref-version`). */
  readonly headers: ResponseHeaders;
}

/** The name of a schema of the wire contract (src/api). */
export type SchemaName = PlainSchemaName & keyof typeof api;

/** `Static<>` of the src/api schema of that name: the only type a JSON answer can have. */
export type Answer<K extends SchemaName> = (typeof api)[K] extends infer S extends TSchema ? Static<S> : never;

/** A checked JSON answer: the body has the type of the schema it was checked against. */
export interface JsonResponse<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: ResponseHeaders;
}

/** Extra headers: a token-like name and a value of visible ASCII and spaces (no line breaks). */
const HEADER_NAME_RE = /^[a-z0-9-]{1,64}$/;
const HEADER_VALUE_RE = /^[\x20-\x7e]{0,16384}$/;

/** Header-safe token: visible ASCII only, so it cannot smuggle a header line. */
export const TOKEN_RE = /^[\x21-\x7e]{1,4096}$/;

function checkToken(token: string): string {
  if (typeof token !== 'string' || !TOKEN_RE.test(token)) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'token', reason: 'must be 1-4096 visible ASCII characters' });
  }
  return token;
}

/** The media type of an answer, lower-case, without parameters. */
export function mediaType(r: { readonly headers: ResponseHeaders }): string {
  return (r.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
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

function isJson(headers: ResponseHeaders): boolean {
  return /^application\/(?:[\w.+-]+\+)?json\b/i.test(headers.get('content-type') ?? '');
}

function parseJson(bytes: Uint8Array, status: number): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch {
    throw malformedResponse(status, 'invalid JSON');
  }
}


/** One attempt at one address: its answer, or its error and what that error allows. */
type Attempt = { readonly ok: HttpAnswer } | { readonly error: VaultError; readonly moveOn: MoveOn };

export class Transport {
  /** The normalised base URL (always ends with `/`); the addresses joined by commas for a list. */
  readonly addr: string;
  /** Each address of the list, normalised. */
  readonly addrs: readonly string[];
  readonly #bases: readonly URL[];
  readonly #token: string | undefined;
  readonly #fetch: typeof globalThis.fetch | undefined;
  readonly #tls: TlsClientOptions | undefined;
  #https: Promise<HttpsFetch> | undefined;
  #httpsDone: HttpsFetch | undefined;
  #http: HttpExchange | undefined;
  readonly #timeoutMs: number;

  constructor(opts: VaultClientOptions = {}) {
    this.#bases = parseAddrList(opts.addr ?? DEFAULT_ADDR);
    this.addrs = Object.freeze(this.#bases.map((u) => u.href));
    this.addr = this.addrs.join(',');
    this.#token = opts.token === undefined ? undefined : checkToken(opts.token);
    this.#tls = opts.tls;
    // Without a fetch of the caller's: node:http, or node:https (loaded on first use).
    const f = opts.fetch;
    if (f !== undefined && typeof f !== 'function') throw new VaultError('OV_INVALID_ARGUMENT', { field: 'fetch', reason: 'no fetch implementation' });
    this.#fetch = f;
    const t = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isSafeInteger(t) || t < 1 || t > 3_600_000) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'timeoutMs', min: 1, max: 3_600_000 });
    this.#timeoutMs = t;
  }

  get hasToken(): boolean {
    return this.#token !== undefined;
  }

  /** The options of the same daemon (or list) with another token. */
  optionsWithToken(token: string | undefined): VaultClientOptions {
    return {
      addr: this.addr,
      ...(this.#fetch === undefined ? {} : { fetch: this.#fetch }),
      ...(this.#tls === undefined ? {} : { tls: this.#tls }),
      timeoutMs: this.#timeoutMs,
      ...(token === undefined ? {} : { token }),
    };
  }

  /** The TLS version and key-exchange group of the last answer (https only, after a request). */
  tlsInfo(): TlsInfo | undefined {
    return this.#httpsDone?.info();
  }

  async #send(url: URL, r: Parameters<HttpExchange>[1]): Promise<HttpAnswer> {
    if (this.#fetch === undefined && url.protocol === 'http:') {
      this.#http ??= httpExchange();
      return this.#http(url, r);
    }
    let doFetch = this.#fetch;
    if (doFetch === undefined) {
      this.#https ??= import('./https.js').then((m) => (this.#httpsDone = m.httpsFetch(this.#tls)));
      doFetch = (await this.#https).fetch;
    }
    const res = await doFetch(url, {
      method: r.method,
      headers: r.headers,
      ...(r.body === undefined ? {} : { body: r.body }),
      redirect: 'manual',
      signal: r.signal,
    });
    if (r.method === 'HEAD') return { status: res.status, headers: res.headers, bytes: new Uint8Array(0) };
    try {
      return { status: res.status, headers: res.headers, bytes: await readCapped(res, r.maxBytes) };
    } catch (e) {
      throw e instanceof VaultError || e instanceof ExchangeFailure ? e : new ExchangeFailure('answer', e);
    }
  }

  /**
   * One request whose answer is text, bytes or nothing. `path` is relative to the address
   * (`v1/sys/health`); a leading `/` still resolves under the address's path prefix.
   * Throws DaemonError for non-2xx answers (unless listed in `okStatuses`),
   * OV_DAEMON_UNREACHABLE when no answer arrives.
   */
  async request(method: Method, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    const accept = opts.accept ?? 'text';
    const x = await this.#exchange(method, path, opts.body, opts.headers, opts.okStatuses);
    const base = { status: x.status, headers: x.headers };
    if (accept === 'none' || x.status === 204 || method === 'HEAD') return { ...base, body: undefined };
    if (accept === 'bytes') return { ...base, body: x.bytes };
    try {
      return { ...base, body: new TextDecoder('utf-8', { fatal: true }).decode(x.bytes) };
    } catch {
      throw malformedResponse(x.status, 'invalid UTF-8');
    }
  }

  /**
   * One request whose answer is JSON, checked against `schema` (the name of the route's
   * response schema in src/api) before it is returned as that schema's `Static<>`; a
   * drifted answer is OV_DAEMON_RESPONSE naming the first part that does not fit.
   */
  async json<K extends SchemaName>(
    method: Method,
    path: string,
    schema: K,
    opts: { readonly body?: unknown; readonly okStatuses?: readonly number[] } = {},
  ): Promise<JsonResponse<Answer<K>>> {
    const x = await this.#exchange(method, path, opts.body, undefined, opts.okStatuses);
    if (!isJson(x.headers)) throw malformedResponse(x.status, 'not JSON');
    const body = checkAnswer(PLAIN_SCHEMAS[schema], parseJson(x.bytes, x.status), x.status) as Answer<K>;
    return { status: x.status, headers: x.headers, body };
  }

  async #exchange(
    method: Method,
    path: string,
    jsonBody: unknown,
    extraHeaders: Readonly<Record<string, string>> | undefined,
    okStatuses: readonly number[] | undefined,
  ): Promise<HttpAnswer> {
    const rel = path.replace(/^\/+/, '');
    const headers: Record<string, string> = { accept: 'application/json' };
    for (const [k, v] of Object.entries(extraHeaders ?? {})) {
      const name = k.toLowerCase();
      if (name === 'authorization' || name === 'content-type' || !HEADER_NAME_RE.test(name) || !HEADER_VALUE_RE.test(v)) {
        throw new VaultError('OV_INVALID_ARGUMENT', { field: 'headers', reason: 'invalid or reserved header' });
      }
      headers[name] = v;
    }
    if (this.#token !== undefined) headers['authorization'] = `Bearer ${this.#token}`;
    let body: string | undefined;
    if (jsonBody !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(jsonBody);
    }
    const bases = this.#bases;
    if (bases.length === 1) {
      const a = await this.#attempt(bases[0] as URL, rel, method, headers, body, okStatuses);
      if ('ok' in a) return a.ok;
      throw a.error;
    }
    const idempotent = isIdempotent(method, rel);
    const tried: string[] = [];
    let last: VaultError | undefined;
    let lastAnswer: VaultError | undefined;
    for (const i of attemptOrder(this.addr, bases.length)) {
      const base = bases[i] as URL;
      const a = await this.#attempt(base, rel, method, headers, body, okStatuses);
      if ('ok' in a) {
        rememberAnswer(this.addr, i);
        return a.ok;
      }
      tried.push(`${addrLabel(base)} ${outcomeOf(a.error)}`);
      if (a.moveOn === 'none' || (a.moveOn === 'idempotent' && !idempotent)) {
        if (a.error instanceof DaemonError) rememberAnswer(this.addr, i);
        throw withTried(a.error, tried, bases.map(addrLabel));
      }
      last = a.error;
      if (a.error instanceof DaemonError) lastAnswer = a.error;
    }
    // Every address failed: a daemon's answer says more than a failure to reach another.
    throw withTried(lastAnswer ?? (last as VaultError), tried, bases.map(addrLabel));
  }

  async #attempt(
    base: URL,
    rel: string,
    method: Method,
    headers: Readonly<Record<string, string>>,
    body: string | undefined,
    okStatuses: readonly number[] | undefined,
  ): Promise<Attempt> {
    const url = new URL(rel, base);
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.#timeoutMs);
    // The timer must not keep a CLI process alive after its work is done.
    timer.unref?.();
    try {
      let res: HttpAnswer;
      try {
        res = await this.#send(url, { method, headers, body, signal: controller.signal, maxBytes: MAX_RESPONSE_BYTES });
      } catch (e) {
        // A VaultError is the client's own verdict (an answer too large); anything else is the network.
        if (e instanceof VaultError) return { error: e, moveOn: 'none' };
        const stage = e instanceof ExchangeFailure ? e.stage : undefined;
        const cause = e instanceof ExchangeFailure ? e.cause : e;
        const error = unreachableError(base.origin, cause, timedOut);
        return { error, moveOn: moveOnAfterNetwork(error, stage, timedOut) };
      }
      const bytes = res.bytes;
      const ok = (res.status >= 200 && res.status < 300) || (okStatuses ?? []).includes(res.status);
      if (ok) return { ok: res };
      if (res.status >= 300 && res.status < 400) return { error: malformedResponse(res.status, 'redirect refused'), moveOn: 'none' };
      let parsed: unknown;
      if (isJson(res.headers) && bytes.length > 0) {
        try {
          parsed = parseJson(bytes, res.status);
        } catch {
          parsed = undefined;
        }
      }
      const error = errorFromResponse(res.status, parsed);
      return { error, moveOn: moveOnAfterAnswer(error) };
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * The transport behind each public client object, kept out of their public surface so a
 * resource client (validators) can share it without a back door on VaultClient.
 */
const transports = new WeakMap<object, Transport>();

export function bindTransport(owner: object, t: Transport): void {
  transports.set(owner, t);
}

export function transportOf(owner: object): Transport {
  const t = transports.get(owner);
  if (t === undefined) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'client', reason: 'not a VaultClient' });
  return t;
}

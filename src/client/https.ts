/**
 * The client's HTTPS: a `fetch`-shaped function over `node:https` with one keep-alive
 * agent that trusts the default roots plus the caller's CA certificates, presents a client
 * certificate when given one, and records the TLS version and key-exchange group of the
 * last answer. Loaded only for `https://` addresses (docs/adr/0011-tls-client-transport.md
 * says why not the global fetch or an undici Agent).
 * @module
 */
import { Agent, request } from 'node:https';
import { Readable } from 'node:stream';
import * as tls from 'node:tls';
import { CLIENT_KEEP_ALIVE_IDLE_MS } from '../api/constants.js';
import { ExchangeFailure, trackStage } from './http.js';

export interface TlsClientOptions {
  /** Extra trusted CA certificates (PEM), on top of the default and system roots. */
  readonly ca?: readonly string[];
  /** Client certificate chain and its key (PEM), for a daemon that asks for one. */
  readonly cert?: string;
  readonly key?: string;
  /** Accept any server certificate: for a one-off diagnosis only; callers must warn loudly. */
  readonly skipVerify?: boolean;
  /** Key-exchange groups to offer (default: the runtime's, which include X25519MLKEM768 on OpenSSL >= 3.5). */
  readonly groups?: readonly string[];
}

/** What the last TLS connection negotiated. */
export interface TlsInfo {
  /** `TLSv1.3`, ... */
  readonly protocol: string;
  /** Key-exchange group (`X25519MLKEM768`, `X25519`); '' when the runtime does not say. */
  readonly group: string;
  readonly cipher: string;
}

export interface HttpsFetch {
  readonly fetch: typeof globalThis.fetch;
  /** The last answer's connection, or undefined before the first. */
  info(): TlsInfo | undefined;
}

let roots: readonly string[] | undefined;

/** Node's bundled roots plus, where the runtime can read it (Node >= 22.15), the system store. */
export function defaultRoots(): readonly string[] {
  if (roots === undefined) {
    const get = (tls as { getCACertificates?: (kind: string) => string[] }).getCACertificates;
    if (typeof get === 'function') {
      let system: string[] = [];
      try {
        system = get('system');
      } catch {
        system = [];
      }
      roots = [...new Set([...get('default'), ...system])];
    } else {
      roots = tls.rootCertificates;
    }
  }
  return roots;
}

export function httpsFetch(opts: TlsClientOptions = {}): HttpsFetch {
  const agent = new Agent({
    keepAlive: true,
    timeout: CLIENT_KEEP_ALIVE_IDLE_MS,
    ca: [...defaultRoots(), ...(opts.ca ?? [])],
    ...(opts.cert === undefined ? {} : { cert: opts.cert }),
    ...(opts.key === undefined ? {} : { key: opts.key }),
    rejectUnauthorized: opts.skipVerify !== true,
    ...(opts.groups === undefined ? {} : { ecdhCurve: opts.groups.join(':') }),
    minVersion: 'TLSv1.2',
  });
  let last: TlsInfo | undefined;

  const fetchImpl = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> =>
    new Promise<Response>((resolve, reject) => {
      const url = new URL(input instanceof Request ? input.url : input);
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((v, k) => {
        headers[k] = v;
      });
      const body = typeof init.body === 'string' ? init.body : undefined;
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const req = request(url, {
        method: init.method ?? 'GET',
        headers,
        agent,
        ...(init.signal ? { signal: init.signal } : {}),
      });
      const t = trackStage(req, 'secureConnect');
      req.once('error', (e) => reject(new ExchangeFailure(t.stage, e)));
      req.once('response', (res) => {
        const sock = res.socket as tls.TLSSocket;
        const key = sock.getEphemeralKeyInfo?.() as { name?: unknown } | null | undefined;
        last = {
          protocol: sock.getProtocol?.() ?? '',
          group: typeof key?.name === 'string' ? key.name : '',
          cipher: sock.getCipher?.()?.name ?? '',
        };
        const h = new Headers();
        const raw = res.rawHeaders;
        for (let i = 0; i + 1 < raw.length; i += 2) h.append(raw[i] as string, raw[i + 1] as string);
        const status = res.statusCode ?? 502;
        const empty = status === 204 || status === 304 || (init.method ?? 'GET') === 'HEAD';
        if (empty) res.resume();
        const stream = empty ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
        try {
          resolve(new Response(stream, { status, headers: h }));
        } catch (e) {
          res.destroy();
          reject(e instanceof Error ? e : new Error('bad response'));
        }
      });
      req.end(body);
    });

  return { fetch: fetchImpl, info: () => last };
}

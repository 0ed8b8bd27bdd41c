/**
 * The client's plain HTTP: one request over `node:http` with a keep-alive agent, the
 * answer read into bytes under a size cap. Used for `http://` addresses unless the caller
 * passes a fetch of their own. Not the global fetch: loading it (undici, with its WASM
 * HTTP parser) cost a `vault secrets get` run 20-30 ms, more than the request itself.
 * Idle keep-alive sockets are unref'd by node's agent, so they never keep a CLI process
 * alive; redirects are never followed (the caller refuses them).
 * @module
 */
import type { ClientRequest } from 'node:http';
import { CLIENT_KEEP_ALIVE_IDLE_MS } from '../api/constants.js';
import { malformedResponse } from './errors.js';

// Not `import ... from 'node:http'`: on Node 24 the ES module view of node:http evaluates
// every export, fetch's WebSocket and friends included, which loads undici after all.
const { Agent, request } = process.getBuiltinModule('node:http');

/** An answer's headers: `get` as on a fetch `Headers` (names case-insensitive, repeats joined). */
export interface ResponseHeaders {
  get(name: string): string | null;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly bytes: Uint8Array;
}

export interface HttpRequest {
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | undefined;
  readonly signal: AbortSignal;
  /** Largest body accepted; a longer one is OV_DAEMON_RESPONSE and is not read further. */
  readonly maxBytes: number;
}

function headersOf(raw: readonly string[]): ResponseHeaders {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    const value = raw[i + 1] as string;
    const prev = map.get(name);
    map.set(name, prev === undefined ? value : `${prev}, ${value}`);
  }
  return { get: (name) => map.get(name.toLowerCase()) ?? null };
}

export type HttpExchange = (url: URL, req: HttpRequest) => Promise<HttpAnswer>;

/**
 * How far a failed exchange got: `connect` (no connection was made, so the server saw no
 * byte of the request), `connected` (the request may have been sent, no answer byte came)
 * or `answer` (the answer had begun). The failover rules (./failover.ts) depend on it.
 */
export type Stage = 'connect' | 'connected' | 'answer';

/** A network failure of one exchange, with the stage it reached; the cause is the runtime's error. */
export class ExchangeFailure extends Error {
  readonly stage: Stage;
  constructor(stage: Stage, cause: unknown) {
    super('exchange failed', { cause });
    this.name = 'ExchangeFailure';
    this.stage = stage;
  }
}

/**
 * Tracks the stage of a node:http(s) request: a reused keep-alive socket is connected
 * already; a new one is once it emits `connectEvent` (`connect`, or `secureConnect` for
 * TLS, before which no request byte leaves).
 */
export function trackStage(req: ClientRequest, connectEvent: 'connect' | 'secureConnect'): { stage: Stage } {
  const t: { stage: Stage } = { stage: 'connect' };
  req.once('socket', (s) => {
    if (req.reusedSocket || !s.connecting) t.stage = 'connected';
    else
      s.once(connectEvent, () => {
        if (t.stage === 'connect') t.stage = 'connected';
      });
  });
  req.once('response', () => {
    t.stage = 'answer';
  });
  return t;
}

/** A function that sends one request over its own keep-alive agent. */
export function httpExchange(): HttpExchange {
  const agent = new Agent({ keepAlive: true, timeout: CLIENT_KEEP_ALIVE_IDLE_MS });
  return (url, r) =>
    new Promise<HttpAnswer>((resolve, reject) => {
      const headers: Record<string, string> = { ...r.headers };
      if (r.body !== undefined) headers['content-length'] = String(Buffer.byteLength(r.body));
      const req = request(url, { method: r.method, headers, agent, signal: r.signal });
      const t = trackStage(req, 'connect');
      req.once('error', (e) => reject(new ExchangeFailure(t.stage, e)));
      req.once('response', (res) => {
        const status = res.statusCode ?? 502;
        const chunks: Buffer[] = [];
        let total = 0;
        let ended = false;
        res.on('data', (c: Buffer) => {
          total += c.byteLength;
          if (total > r.maxBytes) {
            res.destroy();
            reject(malformedResponse(status, 'body too large'));
            return;
          }
          chunks.push(c);
        });
        res.once('error', (e) => reject(new ExchangeFailure('answer', e)));
        res.once('close', () => {
          if (!ended) reject(new ExchangeFailure('answer', new Error('connection closed before the answer was complete')));
        });
        res.once('end', () => {
          ended = true;
          const bytes = new Uint8Array(total);
          let off = 0;
          for (const c of chunks) {
            bytes.set(c, off);
            off += c.byteLength;
          }
          resolve({ status, headers: headersOf(res.rawHeaders), bytes });
        });
      });
      req.end(r.body);
    });
}

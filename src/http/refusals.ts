/**
 * Requests refused below the router: Node's HTTP parser (headers too large 431, a
 * malformed request line or Content-Length 400, a request not complete in time 408) and
 * fastify's URL check (a path that does not percent-decode, 400). Without this they
 * would answer fastify's own body, which quotes the URL, and leave no audit entry. Here
 * they get the house body `{"error":{"code","message"}}` and an audit entry with what
 * is known at that point: address, status, code and a fixed reason (the parser's error
 * code, never the client's bytes), plus method and path once a request line was read.
 * As everywhere, the answer leaves only after its entry is durable; if the append fails
 * the answer is 500 OV_AUDIT_FAILED.
 * @module
 */
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { VaultError, type ErrorCode } from '../errors.js';
import type { Vault } from '../vault.js';
import { errorBody } from './errors.js';
import { pathOnly } from './plugins/audit.js';

// Not `import ... from 'node:http'`: on Node 24 the ES module view of node:http evaluates
// every export, fetch's WebSocket and friends included, which loads undici (~25 ms of start-up).
const { STATUS_CODES } = process.getBuiltinModule('node:http');

interface Refusal {
  readonly code: ErrorCode;
  readonly reason: string;
}

/** The parser's error, as a registry code and a reason taken from a fixed vocabulary. */
function parserRefusal(err: { code?: unknown }): Refusal {
  const c = typeof err.code === 'string' ? err.code : '';
  if (c === 'HPE_HEADER_OVERFLOW') return { code: 'OV_HEADERS_TOO_LARGE', reason: 'header overflow' };
  if (c === 'ERR_HTTP_REQUEST_TIMEOUT') return { code: 'OV_REQUEST_TIMEOUT', reason: 'request timeout' };
  return { code: 'OV_BAD_REQUEST', reason: /^[A-Z][A-Z0-9_]{0,63}$/.test(c) ? c : 'parse error' };
}

async function record(vault: Vault, code: ErrorCode, fields: { remote?: string | undefined; method?: string; path?: string; reason: string }): Promise<VaultError> {
  const e = new VaultError(code);
  try {
    await vault.audit.appendAsync({
      type: 'request',
      ...(fields.method === undefined ? {} : { method: fields.method }),
      ...(fields.path === undefined ? {} : { path: fields.path }),
      status: e.status,
      code,
      ...(fields.remote === undefined ? {} : { remote: fields.remote }),
      detail: { reason: fields.reason },
    });
    return e;
  } catch {
    return new VaultError('OV_AUDIT_FAILED');
  }
}

/** fastify's `clientErrorHandler`: a request Node's parser refused, on its raw socket. */
export function clientErrorHandler(vault: Vault): (err: Error & { code?: unknown }, socket: Socket) => void {
  return (err, socket) => {
    // A reset connection has nobody to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const { code, reason } = parserRefusal(err);
    const remote = socket.remoteAddress;
    void record(vault, code, { remote, reason }).then((e) => {
      if (socket.writable) {
        const body = JSON.stringify(errorBody({ error: e, unexpected: false }));
        socket.write(
          `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      }
      socket.destroy();
    });
  };
}

/** fastify's `frameworkErrors`: a request the router refused before any route or hook ran. */
export function frameworkErrorHandler(vault: Vault): (err: Error & { code?: unknown }, request: FastifyRequest, reply: FastifyReply) => void {
  return (err, request, reply) => {
    const c = typeof err.code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(err.code) ? err.code : 'framework error';
    void record(vault, 'OV_BAD_REQUEST', { remote: request.ip, method: request.method, path: pathOnly(request.url), reason: c }).then((e) => {
      void reply.code(e.status).type('application/json; charset=utf-8').send(errorBody({ error: e, unexpected: false }));
    });
  };
}

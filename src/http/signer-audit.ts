/**
 * The audit entry of a request to the signer listener, built in one place for the
 * listener's audit hook and for the sign route, whose signatures' entries are committed
 * with their watermarks.
 * @module
 */
import type { FastifyRequest } from 'fastify';
import type { AuditEvent } from '../audit/index.js';
import type { AuditDetail } from './context.js';
import { pathOnly } from './plugins/audit.js';

export function signerAuditEvent(request: FastifyRequest, status: number, code: string | undefined, detail: AuditDetail | undefined): AuditEvent {
  const event: AuditEvent = { type: 'request', method: request.method, path: pathOnly(request.url), status, remote: request.socket.remoteAddress ?? '' };
  if (code !== undefined) event.code = code;
  if (detail !== undefined) event.detail = detail;
  return event;
}

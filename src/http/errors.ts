/**
 * One mapping from anything a request can throw to the daemon's error answer,
 * `{"error": {"code", "message", "field"?}}` with the registry's status (src/errors.ts,
 * docs/errors.md).
 *
 * Messages always come from the registry, never from the thrown error: fastify's own
 * messages and a library's exception text may quote the request (a JSON parse error
 * shows the offending text, a validation error the unknown property), and the daemon
 * must never echo what it was sent. `field` is a JSON-pointer-like path built only from
 * our schema's own property names, never from a name the client invented.
 * @module
 */
import { VaultError, type ErrorCode } from '../errors.js';

export interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** Seconds a rate-limited caller should wait, carried to the Retry-After header. */
export const RETRY_AFTER = 'retryAfter';

/** Fastify's own error codes, by what they mean for the caller. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'OV_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'OV_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'OV_BAD_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'OV_BAD_REQUEST',
  FST_ERR_CTP_INVALID_JSON_BODY: 'OV_BAD_REQUEST',
  FST_ERR_VALIDATION: 'OV_BAD_REQUEST',
  FST_ERR_BAD_URL: 'OV_BAD_REQUEST',
  FST_ERR_NOT_FOUND: 'OV_NOT_FOUND',
};

interface ValidationIssue {
  keyword?: string;
  instancePath?: string;
}

/**
 * The path of the first validation problem: `body`, `body/ttl`, `params/id`. An unknown
 * property is reported at its parent, because its own name is the client's text.
 */
function validationField(err: { validation?: unknown; validationContext?: unknown }): string | undefined {
  const issues = Array.isArray(err.validation) ? (err.validation as ValidationIssue[]) : [];
  const first = issues[0];
  const context = typeof err.validationContext === 'string' ? err.validationContext : 'body';
  if (first === undefined) return context;
  let path = typeof first.instancePath === 'string' ? first.instancePath : '';
  if (first.keyword === 'boolean' || first.keyword === 'additionalProperties') {
    // `schema is false` is reported at the unknown key itself; drop that last segment.
    if (first.keyword === 'boolean') path = path.slice(0, Math.max(0, path.lastIndexOf('/')));
  }
  // Only our own property names and array indices can appear above an unknown key, since
  // every object schema forbids additional properties; still, keep the path tame.
  if (!/^(?:\/[A-Za-z0-9_-]{1,64}){0,8}$/.test(path)) path = '';
  return `${context}${path}`;
}

export interface MappedError {
  readonly error: VaultError;
  readonly field?: string;
  /** True for a failure the daemon did not anticipate (logged with its stack, answered OV_INTERNAL). */
  readonly unexpected: boolean;
}

/** Where a request carried its inputs; used to turn a domain field name into a path. */
export interface RequestParts {
  readonly body?: unknown;
  readonly params?: unknown;
  readonly query?: unknown;
}

function hasKey(o: unknown, key: string): boolean {
  return typeof o === 'object' && o !== null && Object.prototype.hasOwnProperty.call(o, key);
}

/**
 * Domain code names the input it rejects by its own name (`scope`, `version`); the API
 * reports the path of the failing part (`body/scope`, `params/id`). A bare name is
 * qualified by the part of the request that carried it; names already holding a path,
 * or found nowhere, pass unchanged. Only the name is used, never the value.
 */
function qualifyField(field: string, parts: RequestParts | undefined): string {
  if (parts === undefined || field.includes('/')) return field;
  for (const where of ['body', 'params', 'query'] as const) {
    if (hasKey(parts[where], field)) return `${where}/${field}`;
  }
  return field;
}

/** Turns any thrown value into the VaultError the caller will see. */
export function mapError(err: unknown, parts?: RequestParts): MappedError {
  if (err instanceof VaultError) {
    const field = err.detail?.field;
    return {
      error: err,
      ...(typeof field === 'string' && /^[A-Za-z0-9_./-]{1,64}$/.test(field) ? { field: qualifyField(field, parts) } : {}),
      unexpected: false,
    };
  }
  const e = (typeof err === 'object' && err !== null ? err : {}) as {
    code?: unknown;
    statusCode?: unknown;
    validation?: unknown;
    validationContext?: unknown;
  };
  if (e.validation !== undefined) {
    const field = validationField(e);
    return { error: new VaultError('OV_BAD_REQUEST'), ...(field === undefined ? {} : { field }), unexpected: false };
  }
  const mapped = typeof e.code === 'string' ? FASTIFY_CODES[e.code] : undefined;
  if (mapped !== undefined) return { error: new VaultError(mapped), unexpected: false };
  // Body parser errors without a fastify code (secure-json-parse's SyntaxError, prototype
  // poisoning) carry statusCode 400.
  if (e.statusCode === 400) return { error: new VaultError('OV_BAD_REQUEST'), field: 'body', unexpected: false };
  if (e.statusCode === 413) return { error: new VaultError('OV_BODY_TOO_LARGE'), unexpected: false };
  if (e.statusCode === 415) return { error: new VaultError('OV_UNSUPPORTED_MEDIA_TYPE'), unexpected: false };
  return { error: new VaultError('OV_INTERNAL'), unexpected: true };
}

export function errorBody(m: MappedError): ErrorBody {
  return { error: { code: m.error.code, message: m.error.message, ...(m.field === undefined ? {} : { field: m.field }) } };
}

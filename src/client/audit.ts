/**
 * `/v1/sys/audit` calls (daemon admin): pages of the audit log and the HMAC it records
 * for a value.
 * @module
 */
import type { AuditList } from '../api/sys.js';
import { positiveInt, query } from './args.js';
import type { Transport } from './transport.js';

export interface AuditListOptions {
  /** The `next` of the previous page. */
  readonly after?: number;
  /** 1..1000 (the daemon's default is 100). */
  readonly limit?: number;
  /** Only entries whose path starts with this. */
  readonly path?: string;
  /** RFC 3339: only entries at or after this time. */
  readonly since?: string;
  /** 'desc' for newest first. */
  readonly order?: 'asc' | 'desc';
}

/** `GET /v1/sys/audit`: one page of entries as stored. */
export async function listAudit(t: Transport, opts: AuditListOptions = {}): Promise<AuditList> {
  const limit = opts.limit === undefined ? undefined : positiveInt(opts.limit, 'limit', 1, 1000);
  const after = opts.after === undefined ? undefined : positiveInt(opts.after, 'after', 0, Number.MAX_SAFE_INTEGER);
  return (await t.json('GET', `v1/sys/audit${query({ after, limit, path: opts.path, since: opts.since, order: opts.order })}`, 'AUDIT_LIST')).body;
}

/** `POST /v1/sys/audit/hash`: the HMAC the audit log would record for `input`. */
export async function auditHash(t: Transport, input: string): Promise<string> {
  return (await t.json('POST', 'v1/sys/audit/hash', 'AUDIT_HASH', { body: { input } })).body.hash;
}

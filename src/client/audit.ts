/**
 * `/v1/sys/audit` calls (daemon admin): pages of the audit log, the HMAC it records for a
 * value, and archiving (fetch the next archive, then prune it once it is on disk).
 * @module
 */
import type { AuditList, AuditPruneResponse } from '../api/sys.js';
import { malformedResponse } from './errors.js';
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

/**
 * `POST /v1/sys/audit/archive`: the next archive file (entries older than `before`, an
 * RFC 3339 time or a duration such as "30d"), or undefined when nothing qualifies.
 * Nothing is pruned: call `pruneAudit` once the file is safely written.
 */
export async function archiveAudit(t: Transport, before: string): Promise<Uint8Array | undefined> {
  const r = await t.request('POST', 'v1/sys/audit/archive', { accept: 'bytes', body: { before } });
  if (r.status === 204) return undefined;
  if (!(r.body instanceof Uint8Array)) throw malformedResponse(r.status, 'an archive answer without a body');
  return r.body;
}

/** `POST /v1/sys/audit/prune`: removes the archived range ending at `through` (hash in hex). */
export async function pruneAudit(t: Transport, through: number, hash: string): Promise<AuditPruneResponse> {
  return (await t.json('POST', 'v1/sys/audit/prune', 'AUDIT_PRUNE', { body: { through, hash } })).body;
}

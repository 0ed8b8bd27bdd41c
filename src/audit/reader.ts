/**
 * The reading half of the audit log: pages of entries as stored (sensitive values in them
 * are already HMACs, and stay so), in seq order either way, by keyset cursor.
 * @module
 */
import { VaultError } from '../errors.js';
import type { AuditEntryRecord, Storage } from '../storage/types.js';

export const DEFAULT_AUDIT_PAGE = 100;
export const MAX_AUDIT_PAGE = 1000;

export interface AuditReadQuery {
  /** Keyset cursor: the `next` of the previous page (a seq). */
  readonly after?: number;
  /** 1..MAX_AUDIT_PAGE, default DEFAULT_AUDIT_PAGE. */
  readonly limit?: number;
  /** 'asc' (oldest first, the default) or 'desc' (newest first). */
  readonly order?: 'asc' | 'desc';
  /** Only entries whose path starts with this. */
  readonly path?: string;
  /** Only entries at or after this time (ms since the epoch). */
  readonly since?: number;
}

export interface AuditPage {
  readonly entries: AuditEntryRecord[];
  /** Pass as `after` for the next page; null once there is none. */
  readonly next: number | null;
}

/** One page of entries; OV_INVALID_ARGUMENT names the bad field. */
export function readAuditPage(storage: Storage, q: AuditReadQuery): AuditPage {
  const limit = q.limit ?? DEFAULT_AUDIT_PAGE;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_AUDIT_PAGE) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'limit', min: 1, max: MAX_AUDIT_PAGE });
  if (q.after !== undefined && (!Number.isSafeInteger(q.after) || q.after < 0)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'after' });
  if (q.since !== undefined && (!Number.isSafeInteger(q.since) || q.since < 0)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'since' });
  const order = q.order ?? 'asc';
  if (order !== 'asc' && order !== 'desc') throw new VaultError('OV_INVALID_ARGUMENT', { field: 'order' });
  // One row more than asked tells whether a next page exists without a second query.
  const rows = storage.audit.page({
    limit: limit + 1,
    order,
    ...(q.after === undefined ? {} : { after: q.after }),
    ...(q.path === undefined || q.path === '' ? {} : { pathPrefix: q.path }),
    ...(q.since === undefined ? {} : { since: q.since }),
  });
  const more = rows.length > limit;
  const entries = more ? rows.slice(0, limit) : rows;
  return { entries, next: more ? (entries[entries.length - 1]?.seq ?? null) : null };
}

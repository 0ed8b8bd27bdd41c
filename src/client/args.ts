/**
 * Checks on a call's arguments, made before anything is sent: a bad argument is a local
 * OV_INVALID_ARGUMENT or OV_PATH_INVALID (not a DaemonError), since nothing reached the
 * daemon.
 * @module
 */
import { VaultError } from '../errors.js';
import { isSecretPath, SECRET_PATH_RULE } from '../util/secret-path.js';

/** A path parameter that is not a secret path (ids, names): percent-encoded. */
export function seg(s: string): string {
  return encodeURIComponent(s);
}

export function positiveInt(v: number, field: string, min: number, max: number): number {
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new VaultError('OV_INVALID_ARGUMENT', { field, min, max });
  return v;
}

/** Version lists of delete, undelete and destroy: 1..100 version numbers. */
export function versionList(versions: readonly number[]): number[] {
  const list: readonly unknown[] = Array.isArray(versions) ? versions : [];
  if (list.length < 1 || list.length > 100) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'versions', min: 1, max: 100 });
  return list.map((v) => positiveInt(v as number, 'versions', 1, Number.MAX_SAFE_INTEGER));
}

/**
 * A query string. Values made of path characters (`A-Z a-z 0-9 . _ - /` and `,`) go as they
 * are: the daemon refuses any `%` in a listing query, since paths are never decoded.
 * Anything else is percent-encoded.
 */
export function query(params: Readonly<Record<string, string | number | undefined>>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    const text = String(v);
    parts.push(`${k}=${/^[A-Za-z0-9._,/-]*$/.test(text) ? text : encodeURIComponent(text)}`);
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/**
 * A secret path as it goes into a URL. The daemon matches the raw URL and refuses any
 * `%`, so a path is never percent-encoded; instead it is checked here against the
 * daemon's own rule (src/util/secret-path.ts), which also keeps the URL parser from
 * resolving `..` or `.` segments into another path before the request leaves.
 */
export function secretPath(path: string, field = 'path'): string {
  if (!isSecretPath(path)) throw new VaultError('OV_PATH_INVALID', { field, reason: SECRET_PATH_RULE });
  return path;
}

/** A listing prefix: path characters only (the daemon checks the segments). */
export function listPrefix(prefix: string | undefined): string | undefined {
  if (prefix === undefined) return undefined;
  if (typeof prefix !== 'string' || !/^[A-Za-z0-9._/-]{0,513}$/.test(prefix)) throw new VaultError('OV_PATH_INVALID', { field: 'prefix' });
  return prefix;
}

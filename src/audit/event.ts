/**
 * Audit events: their shape, the checks an event passes before it is chained (unknown
 * fields refused, long strings cut and marked) and the one error every audit failure
 * becomes. Kept apart from the log so the writer reads as storage and scheduling only.
 * @module
 */
import { VaultError, isVaultError } from '../errors.js';

/**
 * One audited event. Every field is optional except `type`; unknown fields are refused.
 * `detail` carries small, non-secret facts (counts, key names, versions, reasons): NEVER
 * a secret value, token, key, share or passphrase. Strings longer than MAX_FIELD_CHARS
 * are cut and marked, so an oversized request path is still recorded.
 */
export interface AuditEvent {
  type: 'request' | 'auth' | 'sys';
  method?: string;
  path?: string;
  status?: number;
  code?: string;
  /** Public session id (UUID), never the token. */
  session?: string;
  /** API key id, never the key. */
  apiKey?: string;
  remote?: string;
  detail?: Record<string, string | number | boolean>;
}

/** Longest string field kept whole; longer ones are cut to this length plus TRUNCATED_MARK. */
export const MAX_FIELD_CHARS = 2048;
export const TRUNCATED_MARK = '...[truncated]';
export const MAX_DETAIL_KEYS = 64;
const DETAIL_KEY = /^[A-Za-z0-9_.-]{1,64}$/;
const TYPES: readonly string[] = ['request', 'auth', 'sys'];
const STRING_FIELDS = ['method', 'path', 'code', 'session', 'apiKey', 'remote'] as const;
const EVENT_FIELDS: readonly string[] = ['type', 'status', 'detail', ...STRING_FIELDS];

export type EntryFields = Record<string, string | number | boolean | Record<string, string | number | boolean>>;

function invalid(field: string): never {
  throw new VaultError('OV_AUDIT_FAILED', { reason: 'invalid event', field });
}

function cut(s: string): string {
  return s.length <= MAX_FIELD_CHARS ? s : s.slice(0, MAX_FIELD_CHARS) + TRUNCATED_MARK;
}

/** Validates an event and returns its entry fields (without seq and time). */
export function entryFields(event: AuditEvent): EntryFields {
  if (typeof event !== 'object' || event === null) invalid('event');
  for (const k of Object.keys(event)) if (!EVENT_FIELDS.includes(k)) invalid(k);
  if (!TYPES.includes(event.type)) invalid('type');
  const out: EntryFields = { type: event.type };
  for (const f of STRING_FIELDS) {
    const v = event[f];
    if (v === undefined) continue;
    if (typeof v !== 'string') invalid(f);
    out[f] = cut(v);
  }
  if (event.status !== undefined) {
    if (!Number.isInteger(event.status) || event.status < 0 || event.status > 999) invalid('status');
    out['status'] = event.status;
  }
  if (event.detail !== undefined) {
    const d = event.detail as unknown;
    const proto = typeof d === 'object' && d !== null ? (Object.getPrototypeOf(d) as unknown) : undefined;
    if (typeof d !== 'object' || d === null || (proto !== Object.prototype && proto !== null)) invalid('detail');
    const entries = Object.entries(d as Record<string, unknown>);
    if (entries.length > MAX_DETAIL_KEYS) invalid('detail');
    // No prototype: a key such as "__proto__" is then an ordinary member, never a setter.
    const detail = Object.create(null) as Record<string, string | number | boolean>;
    for (const [k, v] of entries) {
      if (!DETAIL_KEY.test(k)) invalid('detail');
      if (typeof v === 'string') detail[k] = cut(v);
      else if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) detail[k] = v;
      else invalid(`detail.${k}`);
    }
    out['detail'] = detail;
  }
  return out;
}

const str = JSON.stringify;

/** A member after the first, or the first: the separator it needs. */
function member(out: string, name: string, value: string): string {
  return out.length === 1 ? `${out}"${name}":${value}` : `${out},"${name}":${value}`;
}

/**
 * The canonical JSON (./canonical.ts) of an entry: `fields` (as entryFields returns them)
 * with its `seq` and `time`. The members are known, so they are written in their sorted
 * order without sorting: the text equals `canonicalJson({ ...fields, seq, time })`, at a
 * fraction of its cost on every request (a property test compares the two).
 */
export function entryText(fields: EntryFields, seq: number, time: number): string {
  const f = fields as Record<string, unknown>;
  let out = '{';
  if (f['apiKey'] !== undefined) out = member(out, 'apiKey', str(f['apiKey']));
  if (f['code'] !== undefined) out = member(out, 'code', str(f['code']));
  const detail = f['detail'] as Record<string, string | number | boolean> | undefined;
  if (detail !== undefined) {
    // Default sort compares UTF-16 code units, as canonicalJson does.
    const keys = Object.keys(detail).sort();
    let d = '{';
    for (const k of keys) d = member(d, k, str(detail[k]));
    out = member(out, 'detail', `${d}}`);
  }
  if (f['method'] !== undefined) out = member(out, 'method', str(f['method']));
  if (f['path'] !== undefined) out = member(out, 'path', str(f['path']));
  if (f['remote'] !== undefined) out = member(out, 'remote', str(f['remote']));
  out = member(out, 'seq', str(seq));
  if (f['session'] !== undefined) out = member(out, 'session', str(f['session']));
  if (f['status'] !== undefined) out = member(out, 'status', str(f['status']));
  out = member(out, 'time', str(time));
  return `${member(out, 'type', str(f['type']))}}`;
}

export function checkClock(t: unknown): number {
  if (typeof t !== 'number' || !Number.isSafeInteger(t) || t < 0) throw new VaultError('OV_AUDIT_FAILED', { reason: 'clock' });
  return t;
}

export function failed(e: unknown): VaultError {
  if (isVaultError(e, 'OV_AUDIT_FAILED')) return e;
  const detail: Record<string, string> = { reason: 'storage' };
  if (e instanceof VaultError) detail['cause'] = e.code;
  return new VaultError('OV_AUDIT_FAILED', detail, { cause: e });
}

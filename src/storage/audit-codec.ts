/**
 * The compact row form of an audit entry. The chain hashes the canonical JSON text of the
 * entry (src/audit/chain.ts); storing that text whole repeats what the row's own columns
 * hold (`seq`, `time`) and spells out every member name. A row keeps instead:
 *
 * - `path`: the entry's top-level `path` (NULL without one), a column of its own so the
 *   path filter can use an index;
 * - `body`: a JSON array `[type, method, status, remote, session, apiKey, code, detail]`
 *   (type as its index in ENTRY_TYPES, absent members as null, trailing nulls dropped).
 *
 * Decoding rebuilds the object and writes it with the same canonical JSON, so the text is
 * the exact bytes that were hashed. `encodeAuditEntry` checks that round trip on every
 * entry and, for any text it would not reproduce byte for byte (a member it does not know,
 * a non-canonical text), stores the text whole instead: `body` then starts with `{`.
 * @module
 */
import { canonicalJson, type JsonValue } from '../util/canonical-json.js';

export const ENTRY_TYPES: readonly string[] = ['request', 'auth', 'sys'];
/** Members in body order, after the type. */
const MEMBERS = ['method', 'status', 'remote', 'session', 'apiKey', 'code', 'detail'] as const;
const KNOWN = new Set<string>(['type', 'path', 'seq', 'time', ...MEMBERS]);

export interface CompactAuditRow {
  readonly path: string | null;
  readonly body: string;
}

/** The row parts of an entry's members (seq and time aside), or undefined when the row cannot hold them. */
function partsOf(f: Readonly<Record<string, JsonValue>>): { readonly path: string | null; readonly parts: JsonValue[] } | undefined {
  for (const k of Object.keys(f)) if (!KNOWN.has(k)) return undefined;
  const type = ENTRY_TYPES.indexOf(f['type'] as string);
  const path = f['path'];
  if (type < 0 || (path !== undefined && typeof path !== 'string')) return undefined;
  const parts: JsonValue[] = [type];
  for (const m of MEMBERS) parts.push(f[m] ?? null);
  while (parts[parts.length - 1] === null) parts.pop();
  return { path: path ?? null, parts };
}

function compact(entry: string): (CompactAuditRow & { readonly parts: JsonValue[] }) | undefined {
  let fields: unknown;
  try {
    fields = JSON.parse(entry);
  } catch {
    return undefined;
  }
  if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) return undefined;
  const p = partsOf(fields as Record<string, JsonValue>);
  return p === undefined ? undefined : { path: p.path, body: JSON.stringify(p.parts), parts: p.parts };
}

/** The row form of `entry` (canonical JSON whose `seq` and `time` equal the row's columns). */
export function encodeAuditEntry(entry: string, seq: number, time: number): CompactAuditRow {
  const row = compact(entry);
  if (row !== undefined) {
    try {
      if (rebuild(seq, time, row.path, row.parts) === entry) return { path: row.path, body: row.body };
    } catch {
      // Falls through to the whole text.
    }
  }
  let path: string | null = null;
  try {
    const p = (JSON.parse(entry) as { path?: unknown }).path;
    if (typeof p === 'string') path = p;
  } catch {
    // Not JSON: stored whole all the same (the store does not judge entries; the verifier does).
  }
  return { path, body: entry };
}

/** A member's JSON text as `rebuild` writes it: canonical for an object or array. */
function valueText(v: JsonValue | undefined): string | undefined {
  return v === undefined ? undefined : typeof v === 'object' && v !== null ? canonicalJson(v) : JSON.stringify(v);
}

/**
 * The canonical text of an entry and its row form, built together from the entry's
 * members (`seq` and `time` apart): the text is what `decodeAuditEntry` rebuilds from the
 * row, by construction, so the writer hashes exactly what a read will give and the store
 * need not parse it back. Each member's JSON text is made once and serves both (the body
 * holds `detail` in canonical order, which decodes to the same text). Undefined for
 * members the compact form does not hold (an unknown member, a null, a `type` it does not
 * know, a `path` that is not a string); the writer then gives the store the text alone.
 * Runs for every request, so it is written out member by member.
 */
export function compactAuditEntry(members: Readonly<Record<string, JsonValue>>, seq: number, time: number): { entry: string; row: CompactAuditRow } | undefined {
  for (const k of Object.keys(members)) if (!KNOWN.has(k) || k === 'seq' || k === 'time' || members[k] === null) return undefined;
  const type = ENTRY_TYPES.indexOf(members['type'] as string);
  const path = members['path'];
  if (type < 0 || (path !== undefined && typeof path !== 'string')) return undefined;
  const method = valueText(members['method']);
  const status = valueText(members['status']);
  const remote = valueText(members['remote']);
  const session = valueText(members['session']);
  const apiKey = valueText(members['apiKey']);
  const code = valueText(members['code']);
  const detail = valueText(members['detail']);
  let entry = '{';
  if (apiKey !== undefined) entry += `"apiKey":${apiKey},`;
  if (code !== undefined) entry += `"code":${code},`;
  if (detail !== undefined) entry += `"detail":${detail},`;
  if (method !== undefined) entry += `"method":${method},`;
  if (path !== undefined) entry += `"path":${JSON.stringify(path)},`;
  if (remote !== undefined) entry += `"remote":${remote},`;
  entry += `"seq":${String(seq)},`;
  if (session !== undefined) entry += `"session":${session},`;
  if (status !== undefined) entry += `"status":${status},`;
  entry += `"time":${String(time)},"type":${JSON.stringify(ENTRY_TYPES[type])}}`;
  // The body: [type, ...MEMBERS], absent members as null, trailing nulls dropped.
  const parts = [method, status, remote, session, apiKey, code, detail];
  let end = parts.length;
  while (end > 0 && parts[end - 1] === undefined) end--;
  let body = `[${String(type)}`;
  for (let i = 0; i < end; i++) body += `,${parts[i] ?? 'null'}`;
  return { entry, row: { path: path ?? null, body: `${body}]` } };
}

/** Members in canonical (sorted) order, with where each comes from: a body index, or a column. */
const CANONICAL_ORDER: readonly (readonly [string, number | 'path' | 'seq' | 'time' | 'type'])[] = [
  ['apiKey', 5],
  ['code', 6],
  ['detail', 7],
  ['method', 1],
  ['path', 'path'],
  ['remote', 3],
  ['seq', 'seq'],
  ['session', 4],
  ['status', 2],
  ['time', 'time'],
  ['type', 'type'],
];

/**
 * The exact entry text a row holds. Written member by member in canonical order (the
 * same text `canonicalJson` gives for the object, without building and sorting it: this
 * runs for every entry read and, as the encoder's check, every entry written). Throws a
 * SyntaxError or TypeError on a body it cannot read.
 */
export function decodeAuditEntry(seq: number, time: number, path: string | null, body: string): string {
  if (!body.startsWith('[')) return body;
  const parts = JSON.parse(body) as JsonValue[];
  if (!Array.isArray(parts)) throw new TypeError('audit row body is not an array');
  return rebuild(seq, time, path, parts);
}

function rebuild(seq: number, time: number, path: string | null, parts: readonly JsonValue[]): string {
  const type = ENTRY_TYPES[parts[0] as number];
  if (type === undefined) throw new TypeError('audit row body has no known type');
  let out = '{';
  for (const [name, from] of CANONICAL_ORDER) {
    let text: string;
    if (from === 'path') {
      if (path === null) continue;
      text = JSON.stringify(path);
    } else if (from === 'seq') text = String(seq);
    else if (from === 'time') text = String(time);
    else if (from === 'type') text = JSON.stringify(type);
    else {
      const v = parts[from];
      if (v === undefined || v === null) continue;
      text = typeof v === 'object' ? canonicalJson(v) : JSON.stringify(v);
    }
    out += `${out.length > 1 ? ',' : ''}"${name}":${text}`;
  }
  return out + '}';
}

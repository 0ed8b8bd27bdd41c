/**
 * Checks a daemon's JSON answer against the route's response schema before the client
 * returns it. The schemas come as plain JSON Schema (src/api/plain-schemas.ts, generated
 * from src/api), and this module checks the keywords they use; a keyword it does not know
 * is refused when the checker is built, so a new kind of schema cannot pass unchecked.
 * Checkers are built on first use, one per schema, and cached: a CLI run makes one or two
 * calls, and neither building every checker up front nor loading typebox (which costs a
 * CLI run more than its whole request) would be paid back.
 * @module
 */
import { malformedResponse } from './errors.js';

/** The first violation: where (`/a/0/b`) and what. */
interface Problem {
  readonly at: string;
  readonly message: string;
}
type Check = (v: unknown, at: string) => Problem | undefined;
type Schema = Readonly<Record<string, unknown>>;

const KNOWN = new Set([
  'type', 'properties', 'required', 'additionalProperties', 'patternProperties', 'maxProperties', 'items', 'minItems', 'maxItems',
  'anyOf', 'enum', 'const', 'pattern', 'minLength', 'maxLength', 'format', 'minimum', 'maximum', 'description',
]);

const DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:[Zz]|[+-](\d\d):(\d\d))$/;

/** RFC 3339 date-time with a zone, calendar-checked (no 30 February). */
function isDateTime(s: string): boolean {
  const m = DATE_TIME.exec(s);
  if (m === null) return false;
  const [y, mo, d, h, mi, se] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1];
  return days !== undefined && d >= 1 && d <= days && h <= 23 && mi <= 59 && se <= 60 && Number(m[7] ?? 0) <= 23 && Number(m[8] ?? 0) <= 59;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Escapes a key for a JSON pointer. */
function step(at: string, key: string | number): string {
  return `${at}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function build(s: Schema): Check {
  for (const k of Object.keys(s)) if (!KNOWN.has(k)) throw new TypeError(`schema keyword ${k} is not supported by the client checker`);
  const checks: Check[] = [];
  const type = s['type'] as string | undefined;
  if (type !== undefined) {
    checks.push((v, at) => {
      const t = typeOf(v);
      return t === type || (type === 'number' && t === 'integer') ? undefined : { at, message: `must be ${type}` };
    });
  }
  if (s['const'] !== undefined) checks.push((v, at) => (v === s['const'] ? undefined : { at, message: `must be ${JSON.stringify(s['const'])}` }));
  if (Array.isArray(s['enum'])) {
    const values = s['enum'] as readonly unknown[];
    checks.push((v, at) => (values.includes(v) ? undefined : { at, message: 'must be one of the allowed values' }));
  }
  if (Array.isArray(s['anyOf'])) {
    const options = (s['anyOf'] as Schema[]).map(build);
    checks.push((v, at) => {
      let first: Problem | undefined;
      for (const o of options) {
        const p = o(v, at);
        if (p === undefined) return undefined;
        first ??= p;
      }
      return { at, message: `matches none of the allowed shapes (${first?.at ?? at} ${first?.message ?? ''})` };
    });
  }
  if (typeof s['pattern'] === 'string') {
    const re = new RegExp(s['pattern']);
    checks.push((v, at) => (typeof v !== 'string' || re.test(v) ? undefined : { at, message: 'must match the pattern' }));
  }
  const [minLength, maxLength] = [s['minLength'], s['maxLength']] as [number | undefined, number | undefined];
  if (minLength !== undefined || maxLength !== undefined) {
    checks.push((v, at) => {
      if (typeof v !== 'string') return undefined;
      const n = [...v].length;
      return (minLength !== undefined && n < minLength) || (maxLength !== undefined && n > maxLength) ? { at, message: 'has the wrong length' } : undefined;
    });
  }
  if (s['format'] !== undefined) {
    if (s['format'] !== 'date-time') throw new TypeError(`format ${JSON.stringify(s['format'])} is not supported by the client checker`);
    checks.push((v, at) => (typeof v !== 'string' || isDateTime(v) ? undefined : { at, message: 'must be an RFC 3339 date-time' }));
  }
  const [minimum, maximum] = [s['minimum'], s['maximum']] as [number | undefined, number | undefined];
  if (minimum !== undefined || maximum !== undefined) {
    checks.push((v, at) =>
      typeof v === 'number' && ((minimum !== undefined && v < minimum) || (maximum !== undefined && v > maximum)) ? { at, message: 'is out of range' } : undefined,
    );
  }
  if (s['items'] !== undefined || s['minItems'] !== undefined || s['maxItems'] !== undefined) {
    const item = s['items'] === undefined ? undefined : build(s['items'] as Schema);
    const [minItems, maxItems] = [s['minItems'], s['maxItems']] as [number | undefined, number | undefined];
    checks.push((v, at) => {
      if (!Array.isArray(v)) return undefined;
      if ((minItems !== undefined && v.length < minItems) || (maxItems !== undefined && v.length > maxItems)) return { at, message: 'has the wrong number of items' };
      if (item === undefined) return undefined;
      for (let i = 0; i < v.length; i++) {
        const p = item(v[i], step(at, i));
        if (p !== undefined) return p;
      }
      return undefined;
    });
  }
  const props = (s['properties'] ?? {}) as Readonly<Record<string, Schema>>;
  const patterns = Object.entries((s['patternProperties'] ?? {}) as Readonly<Record<string, Schema>>).map(([p, sub]) => [new RegExp(p), build(sub)] as const);
  const required = (s['required'] ?? []) as readonly string[];
  const closed = s['additionalProperties'] === false;
  const maxProperties = s['maxProperties'] as number | undefined;
  if (s['properties'] !== undefined || patterns.length > 0 || required.length > 0 || closed || maxProperties !== undefined) {
    const propChecks = Object.entries(props).map(([k, sub]) => [k, build(sub)] as const);
    checks.push((v, at) => {
      if (!isObject(v)) return undefined;
      for (const k of required) if (!Object.hasOwn(v, k)) return { at, message: `must have the property ${k}` };
      const keys = Object.keys(v);
      if (maxProperties !== undefined && keys.length > maxProperties) return { at, message: 'has too many properties' };
      for (const [k, c] of propChecks) {
        if (!Object.hasOwn(v, k)) continue;
        const p = c(v[k], step(at, k));
        if (p !== undefined) return p;
      }
      for (const k of keys) {
        if (Object.hasOwn(props, k)) continue;
        let matched = false;
        for (const [re, c] of patterns) {
          if (!re.test(k)) continue;
          matched = true;
          const p = c(v[k], step(at, k));
          if (p !== undefined) return p;
        }
        if (!matched && closed) return { at, message: `must not have the property ${k}` };
      }
      return undefined;
    });
  }
  return (v, at) => {
    for (const c of checks) {
      const p = c(v, at);
      if (p !== undefined) return p;
    }
    return undefined;
  };
}

const checkers = new WeakMap<object, Check>();

/** Builds (once per schema) the check of a plain JSON schema. */
export function checkerFor(schema: object): (v: unknown) => string | undefined {
  let c = checkers.get(schema);
  if (c === undefined) {
    c = build(schema as Schema);
    checkers.set(schema, c);
  }
  const check = c;
  return (v) => {
    const p = check(v, '');
    // A peer chooses property names: keep the reason printable and short.
    return p === undefined ? undefined : `body${p.at} ${p.message}`.replace(/[^\x20-\x7e]/g, '?').slice(0, 200);
  };
}

/** `body` when it fits `schema`, else OV_DAEMON_RESPONSE naming the first part that does not. */
export function checkAnswer(schema: object, body: unknown, status: number): unknown {
  const problem = checkerFor(schema)(body);
  if (problem !== undefined) throw malformedResponse(status, problem);
  return body;
}

/**
 * Canonical JSON (src/audit/canonical.ts): sorted keys, no whitespace, JCS number and
 * string forms, and refusal of values without a JSON form. Pure; runs on every Node.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, type JsonValue } from '../../../src/audit/canonical.js';
import { entryFields, entryText, type AuditEvent } from '../../../src/audit/event.js';
import { compactAuditEntry, decodeAuditEntry } from '../../../src/storage/audit-codec.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth by UTF-16 code units and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { z: true, y: 'x' }, A: null, é: [2, 1] })).toBe('{"A":null,"a":{"y":"x","z":true},"b":1,"é":[2,1]}');
    // U+10000 (surrogate pair D800 DC00) sorts before U+FFFD in code-unit order (RFC 8785 3.2.3).
    expect(canonicalJson({ '\uFFFD': 1, '\u{10000}': 2 })).toBe('{"\u{10000}":2,"\uFFFD":1}');
  });

  it('writes numbers in shortest round-trip form and -0 as 0', () => {
    expect(canonicalJson([1e21, 1e-7, 0.1, -0, 4.5, 1700000000000])).toBe('[1e+21,1e-7,0.1,0,4.5,1700000000000]');
  });

  it('escapes control characters and lone surrogates so the text is ASCII-safe to hash', () => {
    expect(canonicalJson({ s: 'a"\\\n\u0001\ud800' })).toBe('{"s":"a\\"\\\\\\n\\u0001\\ud800"}');
  });

  it('omits undefined members and refuses values JSON cannot hold', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(() => canonicalJson({ n: Number.NaN })).toThrow(TypeError);
    expect(() => canonicalJson({ n: Infinity })).toThrow(TypeError);
    expect(() => canonicalJson({ d: new Date(0) } as unknown as JsonValue)).toThrow(TypeError);
    expect(() => canonicalJson({ f: (() => 1) as unknown as JsonValue })).toThrow(TypeError);
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect(() => canonicalJson(cyclic as JsonValue)).toThrow(TypeError);
  });

  it('is a fixed point: parsing canonical text and writing it again gives the same text', () => {
    const value: fc.Arbitrary<JsonValue> = fc.jsonValue();
    fc.assert(
      fc.property(value, (v) => {
        const text = canonicalJson(v);
        expect(canonicalJson(JSON.parse(text) as JsonValue)).toBe(text);
        expect(text).not.toMatch(/^\s|\s$/);
      }),
      { numRuns: 300 },
    );
  });
});

describe('entryText', () => {
  const str = fc.string({ unit: 'binary', maxLength: 12 });
  const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });
  const detailKey = fc.stringMatching(/^[A-Za-z0-9_.-]{1,8}$/);
  const detailValue = fc.oneof(str, fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
  const event = fc.record({
    type: fc.constantFrom('request' as const, 'auth' as const, 'sys' as const),
    method: opt(str),
    path: opt(str),
    status: opt(fc.integer({ min: 0, max: 999 })),
    code: opt(str),
    session: opt(str),
    apiKey: opt(str),
    remote: opt(str),
    detail: opt(fc.dictionary(detailKey, detailValue, { maxKeys: 6 })),
  });

  /** The entry fields of a generated event (its undefined members dropped). */
  const fieldsOf = (e: { readonly type: AuditEvent['type'] }): ReturnType<typeof entryFields> => {
    const ev: AuditEvent = { type: e.type };
    for (const [k, val] of Object.entries(e)) if (val !== undefined) (ev as unknown as Record<string, unknown>)[k] = val;
    return entryFields(ev);
  };

  it('writes exactly what canonicalJson writes for every valid event, with seq and time', () => {
    fc.assert(
      fc.property(event, fc.nat(), fc.nat(), (e, seq, time) => {
        const fields = fieldsOf(e);
        expect(entryText(fields, seq, time)).toBe(canonicalJson({ ...fields, seq, time }));
      }),
      { numRuns: 500 },
    );
  });

  it('equals the text the compact row form is built with, and that row decodes to it', () => {
    fc.assert(
      fc.property(event, fc.nat(), fc.nat(), (e, seq, time) => {
        const fields = fieldsOf(e);
        const compact = compactAuditEntry(fields, seq, time);
        expect(compact?.entry).toBe(entryText(fields, seq, time));
        expect(decodeAuditEntry(seq, time, compact?.row.path ?? null, compact?.row.body ?? '')).toBe(compact?.entry);
      }),
      { numRuns: 500 },
    );
  });

  it('writes any JSON member values (objects and arrays included) as canonicalJson, and the row decodes to that text', () => {
    const value = fc.jsonValue({ maxDepth: 3 }).filter((v) => v !== null) as fc.Arbitrary<JsonValue>;
    const members = fc.record(
      { type: fc.constantFrom('request', 'auth', 'sys'), method: value, status: value, remote: value, session: value, apiKey: value, code: value, detail: value, path: str },
      { requiredKeys: ['type'] },
    );
    fc.assert(
      fc.property(members, fc.nat(), fc.nat(), (m, seq, time) => {
        const compact = compactAuditEntry(m, seq, time);
        expect(compact?.entry).toBe(canonicalJson({ ...m, seq, time }));
        expect(decodeAuditEntry(seq, time, compact?.row.path ?? null, compact?.row.body ?? '')).toBe(compact?.entry);
      }),
      { numRuns: 500 },
    );
  });

  it('has no compact form for members the row cannot hold', () => {
    expect(compactAuditEntry({ type: 'request', extra: 'x' }, 1, 1)).toBeUndefined();
    expect(compactAuditEntry({ type: 'request', seq: 1 }, 1, 1)).toBeUndefined();
    expect(compactAuditEntry({ type: 'other' }, 1, 1)).toBeUndefined();
    expect(compactAuditEntry({ type: 'request', path: 7 }, 1, 1)).toBeUndefined();
    expect(compactAuditEntry({ type: 'request', code: null }, 1, 1)).toBeUndefined();
    expect(compactAuditEntry({ type: 'sys' }, 2, 3)).toEqual({ entry: '{"seq":2,"time":3,"type":"sys"}', row: { path: null, body: '[2]' } });
  });
});

/**
 * Canonical JSON for audit entries: object keys sorted by UTF-16 code units, no
 * whitespace, numbers in ECMAScript's shortest round-trip form, strings escaped as
 * `JSON.stringify` does (lone surrogates as `\uXXXX`). For the values audit entries hold
 * (strings, finite numbers, booleans, nested objects) this coincides with the JSON
 * Canonicalization Scheme (RFC 8785), so the text an entry is hashed as is reproducible
 * by any JCS implementation.
 * @module
 */

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue | undefined };

/**
 * The canonical text of `value`. Object members whose value is `undefined` are omitted;
 * non-finite numbers, functions, symbols, bigints and structures nested deeper than
 * MAX_DEPTH (which includes cyclic ones) throw a TypeError
 * (they have no JSON form, and silently writing `null` would hide a caller's bug).
 */
export function canonicalJson(value: JsonValue): string {
  return write(value, 0);
}

/** Deeper nesting than this is refused; it also stops a cyclic value without tracking visits. */
export const MAX_DEPTH = 64;

function write(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
      // -0 prints as 0 in JSON.stringify, as JCS requires.
      return JSON.stringify(value);
    case 'object': {
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) throw new TypeError('canonicalJson: nested too deeply (or cyclic)');
      if (Array.isArray(value)) return `[${value.map((v: unknown) => write(v, depth + 1)).join(',')}]`;
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) throw new TypeError('canonicalJson: not a plain object');
      const obj = value as Record<string, unknown>;
      // Default sort compares UTF-16 code units, the order RFC 8785 section 3.2.3 asks for.
      const keys = Object.keys(obj).sort();
      let out = '{';
      for (const k of keys) {
        const v = obj[k];
        if (v === undefined) continue;
        if (out.length > 1) out += ',';
        out += `${JSON.stringify(k)}:${write(v, depth + 1)}`;
      }
      return out + '}';
    }
    default:
      throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
  }
}

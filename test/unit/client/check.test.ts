/**
 * The client checks answers with its own small JSON Schema checker over the generated
 * plain copy of the contract (src/api/plain-schemas.ts), so a CLI run never loads
 * typebox. Two things keep that honest: the copy must equal what src/api builds, and the
 * checker must agree with typebox's own compiled check on every schema, for a valid value
 * and for many broken ones (each property dropped, retyped or joined by a stranger).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { ALL_SCHEMAS } from '../../../src/api/index.js';
import { plainSchemasSource } from '../../../src/api/plain-source.js';
import { PLAIN_SCHEMAS } from '../../../src/api/plain-schemas.js';
import { checkerFor } from '../../../src/client/check.js';

const ROOT = join(import.meta.dirname, '../../..');

describe('src/api/plain-schemas.ts', () => {
  it('is what src/api builds (regenerate: npm run build && node dist/scripts/gen-wire-schemas.js)', () => {
    expect(readFileSync(join(ROOT, 'src/api/plain-schemas.ts'), 'utf8')).toBe(plainSchemasSource());
    expect(Object.keys(PLAIN_SCHEMAS).sort()).toEqual(Object.keys(ALL_SCHEMAS).sort());
  });

  it('src/api imports nothing of ours but src/util, and src/util nothing but src/errors.ts', () => {
    for (const [dir, allowed] of [
      ['src/api', /^(?:\.\/|\.\.\/util\/|typebox|node:)/],
      ['src/util', /^(?:\.\/|\.\.\/errors\.js$|node:)/],
    ] as const) {
      for (const f of readdirSync(join(ROOT, dir)).filter((x) => x.endsWith('.ts'))) {
        const src = readFileSync(join(ROOT, dir, f), 'utf8');
        const from = [...src.matchAll(/ from '([^']+)';/g)].map((m) => m[1] ?? '');
        expect(from.filter((m) => !allowed.test(m)), `${dir}/${f}`).toEqual([]);
      }
    }
  });

  it('no client module loads typebox or a typebox-built schema at run time', () => {
    for (const f of ['index', 'transport', 'check', 'args', 'errors', 'sys', 'sessions', 'apikeys', 'keys', 'secrets', 'validators']) {
      const src = readFileSync(join(ROOT, `src/client/${f}.ts`), 'utf8');
      const valueImports = [...src.matchAll(/^(?:import|export) (?!type\b)[^;]*? from '([^']+)';/gms)].map((m) => m[1]);
      const bad = valueImports.filter((m) => m === 'typebox' || m?.startsWith('typebox/') || (m?.startsWith('../api/') && m !== '../api/plain-schemas.js' && m !== '../api/constants.js'));
      expect(bad, f).toEqual([]);
    }
  });
});

const STRANGERS: readonly unknown[] = [null, 1, 1.5, -1, 'x', '', true, [], {}, '2026-02-30T00:00:00Z', '2026-01-01T00:00:00.000Z'];

/** A valid value where typebox can make one, then variants that break it in one place. */
function samples(schema: TSchema): unknown[] {
  let base: unknown;
  try {
    base = Value.Create(schema);
  } catch {
    base = {};
  }
  const out: unknown[] = [base, ...STRANGERS];
  if (typeof base === 'object' && base !== null && !Array.isArray(base)) {
    const obj = base as Record<string, unknown>;
    out.push({ ...obj, stranger: 1 });
    for (const k of Object.keys(obj)) {
      out.push(Object.fromEntries(Object.entries(obj).filter(([key]) => key !== k)));
      for (const s of STRANGERS) out.push({ ...obj, [k]: s });
    }
  }
  if (Array.isArray(base)) out.push([...(base as unknown[]), ...STRANGERS]);
  return out;
}

describe('the client checker agrees with typebox', () => {
  for (const [name, schema] of Object.entries(ALL_SCHEMAS)) {
    it(name, () => {
      const typebox = Compile(schema);
      const ours = checkerFor(PLAIN_SCHEMAS[name as keyof typeof PLAIN_SCHEMAS]);
      for (const v of samples(schema)) expect(ours(v) === undefined, JSON.stringify(v)).toBe(typebox.Check(v));
    });
  }

  it('accepts real RFC 3339 times and refuses impossible ones', () => {
    const time = checkerFor(PLAIN_SCHEMAS.TIME);
    for (const ok of ['2026-01-01T00:00:00Z', '2024-02-29T23:59:59.123+02:00', '2026-12-31t10:00:00z']) expect(time(ok), ok).toBeUndefined();
    for (const bad of ['2026-02-29T00:00:00Z', '2026-01-01T24:00:00Z', '2026-01-01', '2026-01-01T00:00:00', 'x']) expect(time(bad), bad).toBe('body must be an RFC 3339 date-time');
  });

  it('refuses to build a checker for a keyword it does not know', () => {
    expect(() => checkerFor({ type: 'object', oneOf: [] })).toThrow(/oneOf/);
  });
});

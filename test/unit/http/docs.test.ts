/**
 * docs/api.md and docs/config.md must not drift from the code: every route in the
 * generated OpenAPI document has a `### METHOD /path` section and every section names a
 * real route; every config key of the schema appears in the key table. Also checks that
 * every object schema of the API is closed (additionalProperties: false).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TSchema } from 'typebox';
import { CONFIG_FILE_SCHEMA } from '../../../src/config.js';
import { ALL_SCHEMAS } from '../../../src/api/index.js';
import { makeVault, type TestVault } from './helpers.js';

const root = resolve(import.meta.dirname, '../../..');

/** Every object schema reachable from `s`, with its path. */
function objects(s: unknown, path: string, out: [string, Record<string, unknown>][] = []): [string, Record<string, unknown>][] {
  if (typeof s !== 'object' || s === null) return out;
  const o = s as Record<string, unknown>;
  if (o.type === 'object' && o.properties !== undefined) out.push([path, o]);
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'object' && v !== null) objects(v, `${path}.${k}`, out);
  }
  return out;
}

describe('schemas', () => {
  it('close every object: request and response bodies, parameters and the config file', () => {
    const all = [...Object.entries(ALL_SCHEMAS), ['CONFIG_FILE_SCHEMA', CONFIG_FILE_SCHEMA] as [string, TSchema]];
    // The keymanager spec's request bodies admit fields it does not name: open on purpose, and only those two.
    const open = ['KEYMANAGER_IMPORT_BODY', 'KEYMANAGER_DELETE_BODY'];
    let n = 0;
    for (const [name, schema] of all) {
      for (const [path, o] of objects(schema, name)) {
        n++;
        expect(o.additionalProperties, path).toBe(open.includes(path) ? true : false);
      }
    }
    expect(n).toBeGreaterThan(20);
  });
});

describe('docs/config.md', () => {
  it('documents every key of the config schema', () => {
    const doc = readFileSync(resolve(root, 'docs/config.md'), 'utf8');
    const keys: string[] = [];
    for (const [k, v] of Object.entries(CONFIG_FILE_SCHEMA.properties)) {
      const props = (v as { properties?: Record<string, unknown> }).properties;
      if (props === undefined) keys.push(k);
      else for (const sub of Object.keys(props)) keys.push(`${k}.${sub}`);
    }
    expect(keys.length).toBeGreaterThan(10);
    for (const k of keys) expect(doc, k).toContain(`| \`${k}\` |`);
  });
});

describe('docs/api.md', () => {
  let v: TestVault;
  beforeAll(async () => {
    v = await makeVault({ mode: null });
  });
  afterAll(async () => {
    await v.cleanup();
  });

  it('has one section per route, and no section for a route that does not exist', async () => {
    const r = await v.app.inject({ method: 'GET', url: '/v1/sys/openapi' });
    const paths = r.json<{ paths: Record<string, Record<string, unknown>> }>().paths;
    const routes = Object.entries(paths).flatMap(([p, ops]) =>
      Object.keys(ops)
        .filter((m) => m !== 'head')
        .map((m) => `${m.toUpperCase()} ${p}`),
    );
    routes.push('GET /v1/sys/openapi');
    const doc = readFileSync(resolve(root, 'docs/api.md'), 'utf8');
    const sections = [...doc.matchAll(/^### ([A-Z]+ \/\S+)$/gm)].map((m) => m[1] as string);
    expect(routes.length).toBeGreaterThanOrEqual(18);
    expect([...sections].sort()).toEqual([...routes].sort());
  });
});

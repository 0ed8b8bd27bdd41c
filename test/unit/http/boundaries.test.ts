/**
 * The shape of the HTTP layer, checked on the source and on a built server:
 * - every route file imports only HTTP-local modules, schemas, errors and domain
 *   modules (services and their types), never storage, and constructs no service (the
 *   composition root, src/vault.ts, builds them once);
 * - every route the server registers declares its access and a response schema (so
 *   nothing is answered unserialised or unchecked), and only data reads declare `read`
 *   (their audit entry's fsync may follow the answer).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../../src/http/server.js';
import { makeVault, type TestVault } from './helpers.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const ROUTES = join(ROOT, 'src/http/routes');
/** Packages a route may import (fastify's types, TypeBox for inline schemas). */
const PACKAGES = new Set(['fastify', 'typebox']);
/** Where a route's imports may lead, relative to src/. */
const ALLOWED = [/^http\//, /^api\//, /^errors\.ts$/, /^auth\//, /^secrets\//, /^validators\//, /^transit\//, /^keyring\//, /^envelope\//, /^seal\//, /^crypto\/types\.ts$/, /^config\.ts$/, /^vault\.ts$/];
const FORBIDDEN = [/^storage\//];
/** Values a route may construct: errors and plain JavaScript containers. */
const CONSTRUCTIBLE = new Set(['VaultError', 'Error', 'Map', 'Set', 'Date', 'TextDecoder', 'TextEncoder', 'Uint8Array']);

interface Import {
  readonly names: readonly string[];
  readonly from: string;
}

function importsOf(source: string): Import[] {
  const out: Import[] = [];
  for (const m of source.matchAll(/^import\s+(?:type\s+)?([\s\S]*?)\s+from\s+'([^']+)';/gm)) {
    const clause = m[1] ?? '';
    const names = [...clause.matchAll(/(?:^|[{,\s])(?:type\s+)?([A-Za-z_$][\w$]*)(?:\s+as\s+([A-Za-z_$][\w$]*))?/g)].map((n) => n[2] ?? n[1] ?? '');
    out.push({ names, from: m[2] ?? '' });
  }
  return out;
}

function target(file: string, spec: string): string {
  return relative(join(ROOT, 'src'), resolve(dirname(file), spec)).replace(/\.js$/, '.ts');
}

describe('route files', () => {
  const files = readdirSync(ROUTES)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(ROUTES, f));

  it('exist', () => {
    expect(files.length).toBeGreaterThanOrEqual(7);
  });

  it.each(files.map((f) => [relative(ROOT, f), f]))('%s imports only services, domain types, schemas, errors and http helpers', (_name, file) => {
    const source = readFileSync(file, 'utf8');
    const imports = importsOf(source);
    expect(imports.length).toBeGreaterThan(0);
    const domainValues = new Set<string>();
    for (const imp of imports) {
      if (!imp.from.startsWith('.')) {
        expect(PACKAGES.has(imp.from), `${file}: package ${imp.from}`).toBe(true);
        continue;
      }
      const to = target(file, imp.from);
      expect(FORBIDDEN.some((re) => re.test(to)), `${file}: imports ${to}`).toBe(false);
      expect(ALLOWED.some((re) => re.test(to)), `${file}: imports ${to}`).toBe(true);
      if (!to.startsWith('http/')) for (const n of imp.names) domainValues.add(n);
    }
    // No service, store or log is built here: `new X(...)` only for errors and containers.
    for (const m of source.matchAll(/\bnew\s+([A-Za-z_$][\w$]*)/g)) {
      const name = m[1] ?? '';
      expect(CONSTRUCTIBLE.has(name) || !domainValues.has(name), `${file}: constructs ${name}`).toBe(true);
      expect(/(Service|Store|Log|Manager|Keyring)$/.test(name), `${file}: constructs ${name}`).toBe(false);
    }
    // Nor is storage reached through an object that holds it.
    expect(source, `${file}: reaches .storage`).not.toMatch(/\.storage\b/);
  });

  it('the import check sees a storage import and a constructed service', () => {
    const file = join(ROUTES, 'example.ts');
    const imps = importsOf("import { SecretService } from '../../secrets/index.js';\nimport type { Storage } from '../../storage/types.js';\n");
    expect(imps.map((i) => target(file, i.from))).toEqual(['secrets/index.ts', 'storage/types.ts']);
    expect(imps[0]?.names).toEqual(['SecretService']);
    expect(FORBIDDEN.some((re) => re.test(target(file, '../../storage/types.js')))).toBe(true);
  });
});

describe('registered routes', () => {
  let v: TestVault;
  const routes: RouteOptions[] = [];

  beforeAll(async () => {
    v = await makeVault();
    const app = await buildServer(v.vault, { onRoute: (r) => routes.push(r) });
    await app.close();
  });
  afterAll(async () => {
    await v.cleanup();
  });

  it('were seen', () => {
    expect(routes.length).toBeGreaterThan(30);
    expect(routes.map((r) => `${String(r.method)} ${r.url}`)).toContain('GET /v1/secrets/*');
  });

  it('each declare access and a response schema with a success status', () => {
    const missing: string[] = [];
    for (const r of routes) {
      const name = `${String(r.method)} ${r.url}`;
      const response = r.schema?.response as Record<string, unknown> | undefined;
      const ok = response !== undefined && Object.keys(response).some((code) => /^2\d\d$/.test(code));
      if (!ok) missing.push(`${name}: no response schema`);
      if (r.config?.access === undefined) missing.push(`${name}: no access`);
    }
    expect(missing).toEqual([]);
  });

  it('declare `read` (audit entry fsynced in the background) only on GET and HEAD routes that change nothing', () => {
    const reads = routes.filter((r) => r.config?.read === true).map((r) => `${String(r.method)} ${r.url}`);
    expect(reads.filter((n) => !/^(GET|HEAD) /.test(n))).toEqual([]);
    expect(reads.filter((n) => n.startsWith('GET ')).sort()).toEqual(['GET /v1/secrets', 'GET /v1/secrets-metadata/*', 'GET /v1/secrets/*', 'GET /v1/sessions', 'GET /v1/sessions/self', 'GET /v1/sys/audit']);
  });
});

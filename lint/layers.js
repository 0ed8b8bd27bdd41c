/**
 * The layer order of the source tree, and the lint rule that enforces it. This table is the
 * single source: docs/architecture.md explains it, and `layers/boundaries` fails on any
 * import (static, re-export or `import()`) that points sideways or upward.
 *
 * A layer may import only the layers named in its `may` list (and itself). Type-only
 * imports are allowed where `types` lists the layer: a route may name the `Config` type
 * without reading configuration.
 */
import { dirname, relative, resolve } from 'node:path';

/** Lowest first. `paths` are repository-relative: a folder ends with '/', a file does not. */
export const LAYERS = [
  { name: 'base', paths: ['src/errors.ts', 'src/util/', 'src/secret-file.ts', 'src/datadir-lock.ts'], may: [] },
  { name: 'crypto', paths: ['src/crypto/'], may: ['base'] },
  { name: 'tls', paths: ['src/tls/'], may: ['base'], types: ['root'] },
  { name: 'envelope', paths: ['src/envelope/'], may: ['base', 'crypto'] },
  { name: 'storage', paths: ['src/storage/'], may: ['base'] },
  { name: 'keyring', paths: ['src/keyring/'], may: ['base', 'crypto', 'envelope', 'storage'] },
  { name: 'seal', paths: ['src/seal/'], may: ['base', 'crypto', 'envelope', 'storage'] },
  { name: 'audit', paths: ['src/audit/'], may: ['base', 'crypto', 'envelope', 'storage'] },
  { name: 'auth', paths: ['src/auth/'], may: ['base', 'crypto', 'envelope', 'storage', 'keyring', 'seal', 'audit'] },
  { name: 'secrets', paths: ['src/secrets/'], may: ['base', 'crypto', 'envelope', 'storage', 'keyring', 'seal', 'audit', 'auth'] },
  { name: 'validators', paths: ['src/validators/'], may: ['base', 'crypto', 'envelope', 'storage', 'keyring', 'seal', 'audit', 'auth'] },
  { name: 'transit', paths: ['src/transit/'], may: ['base', 'crypto', 'envelope', 'storage', 'keyring', 'seal', 'audit', 'auth'] },
  { name: 'snapshot', paths: ['src/snapshot/'], may: ['base', 'crypto', 'envelope', 'storage', 'keyring', 'seal', 'audit', 'auth'] },
  { name: 'cluster', paths: ['src/cluster/'], may: ['base'] },
  {
    name: 'root',
    paths: ['src/vault.ts', 'src/setup.ts', 'src/config.ts'],
    may: ['base', 'crypto', 'tls', 'envelope', 'storage', 'keyring', 'seal', 'audit', 'auth', 'secrets', 'validators', 'transit', 'snapshot', 'cluster'],
  },
  { name: 'api', paths: ['src/api/'], may: ['base'] },
  {
    name: 'http',
    paths: ['src/http/'],
    may: ['base', 'crypto', 'envelope', 'keyring', 'seal', 'audit', 'auth', 'secrets', 'validators', 'transit', 'snapshot', 'api'],
    types: ['root', 'storage', 'cluster'],
  },
  {
    name: 'daemon',
    paths: ['src/daemon.ts', 'src/daemon-flags.ts', 'src/index.ts'],
    may: ['base', 'crypto', 'tls', 'envelope', 'storage', 'keyring', 'seal', 'audit', 'auth', 'secrets', 'validators', 'transit', 'snapshot', 'cluster', 'root', 'api', 'http'],
  },
  { name: 'client', paths: ['src/client/'], may: ['base', 'api'] },
  {
    name: 'cli',
    paths: ['cli/'],
    may: ['base', 'crypto', 'tls', 'envelope', 'storage', 'keyring', 'seal', 'audit', 'validators', 'snapshot', 'root', 'api', 'client', 'daemon'],
  },
];

/** The layer a repository-relative path belongs to, or undefined (tests, benches, scripts). */
export function layerOf(rel) {
  const p = rel.split('\\').join('/');
  for (const layer of LAYERS) {
    for (const prefix of layer.paths) {
      if (prefix.endsWith('/') ? p.startsWith(prefix) : p === prefix || p === prefix.replace(/\.ts$/, '.js')) return layer;
    }
  }
  return undefined;
}

/** Maps an import of `spec` from `file` to a repository-relative source path, or undefined for packages. */
function target(root, file, spec) {
  if (!spec.startsWith('.')) return undefined;
  const abs = resolve(dirname(file), spec);
  return relative(root, abs).replace(/\.js$/, '.ts');
}

export const boundaries = {
  meta: {
    type: 'problem',
    docs: { description: 'imports follow the layer order in lint/layers.js' },
    schema: [],
    messages: {
      upward: "layer '{{from}}' may not import layer '{{to}}' ({{spec}}); see docs/architecture.md",
      unplaced: '{{file}} belongs to no layer: add it to LAYERS in lint/layers.js',
    },
  },
  create(context) {
    const root = context.cwd;
    const file = context.filename;
    const rel = relative(root, file).split('\\').join('/');
    const from = layerOf(rel);
    if (from === undefined) {
      // Every source file has a place; tests, benches and scripts sit outside the layers.
      if (!rel.startsWith('src/') && !rel.startsWith('cli/')) return {};
      return { Program: (node) => context.report({ node, messageId: 'unplaced', data: { file: rel } }) };
    }
    const check = (node, source, typeOnly) => {
      if (source === null || source === undefined || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const rel = target(root, file, source.value);
      if (rel === undefined) return;
      const to = layerOf(rel);
      if (to === undefined || to === from) return;
      if (from.may.includes(to.name)) return;
      if (typeOnly && (from.types ?? []).includes(to.name)) return;
      context.report({ node, messageId: 'upward', data: { from: from.name, to: to.name, spec: source.value } });
    };
    return {
      ImportDeclaration(node) {
        check(node, node.source, node.importKind === 'type' || (node.specifiers.length > 0 && node.specifiers.every((s) => s.importKind === 'type')));
      },
      ExportNamedDeclaration(node) {
        check(node, node.source, node.exportKind === 'type');
      },
      ExportAllDeclaration(node) {
        check(node, node.source, node.exportKind === 'type');
      },
      ImportExpression(node) {
        check(node, node.source, false);
      },
    };
  },
};

export default { rules: { boundaries } };

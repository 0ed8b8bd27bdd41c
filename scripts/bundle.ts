/**
 * Bundles the `vault` command (CLI and daemon, one entry: cli/main.ts) into
 * dist/bundle/vault.js with esbuild, the file `bin` and install.sh run. Loading some 600
 * separate ES modules cost the daemon about half a second before it could listen; one file
 * plus a few chunks costs a fraction of that.
 *
 * Code splitting keeps the CLI's lazy loading: every `import()` of a command module (and of
 * the daemon, the crypto stack, ...) becomes a chunk loaded only when that command runs,
 * so `vault secrets get` never parses fastify. Native addons (better-sqlite3, argon2) stay
 * external and load from node_modules; Falcon is required lazily by path at run time and so
 * loads from node_modules too. Source maps sit beside each file (`node
 * --enable-source-maps` uses them), and dist/bundle/meta.json records which sources each
 * output file holds (tests read it to check what a command loads).
 *
 * Run after `tsc` (npm run build does both): `node dist/scripts/bundle.js`.
 * @module
 */
import { build } from 'esbuild';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      if (pkg.name === 'ontoref-vault') return dir;
    } catch {
      // not here; keep walking
    }
    dir = dirname(dir);
  }
  throw new Error('package root not found');
}

const root = repoRoot();
const outdir = join(root, 'dist/bundle');
rmSync(outdir, { recursive: true, force: true });

const result = await build({
  absWorkingDir: root,
  entryPoints: { vault: 'cli/main.ts' },
  outdir,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.19',
  // Native addons cannot be bundled; both load from node_modules beside dist/.
  external: ['better-sqlite3', 'argon2', '@chainsafe/hashtree'],
  // Bundled CommonJS packages call require() for node: built-ins and the externals above;
  // an ES module has no `require` of its own.
  banner: { js: "import { createRequire as __ovCreateRequire } from 'node:module';\nconst require = __ovCreateRequire(import.meta.url);" },
  // Whitespace only: names stay readable in stack traces and profiles.
  minifyWhitespace: true,
  sourcemap: 'linked',
  sourcesContent: false,
  metafile: true,
  logLevel: 'warning',
});

writeFileSync(join(outdir, 'meta.json'), JSON.stringify(result.metafile));

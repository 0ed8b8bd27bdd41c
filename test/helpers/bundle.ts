/**
 * What a run of the bundled CLI loaded, in source terms. The bundle (dist/bundle, made by
 * `npm run build`) is one entry file plus chunks named by hash; dist/bundle/meta.json
 * (esbuild's metafile) says which sources each of them holds. Tests that check a command
 * loads nothing it does not need record the file URLs it loads and expand them here.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './cli.js';

interface Metafile {
  readonly outputs: Readonly<Record<string, { readonly inputs: Readonly<Record<string, unknown>> }>>;
}

let meta: Metafile | undefined;

/**
 * The repository-relative sources behind the loaded `file:` URLs: a bundle file becomes
 * the sources it holds (`cli/main.ts`, `src/client/transport.ts`,
 * `node_modules/fastify/fastify.js`, ...); any other file (an external addon) is kept as
 * its repository-relative path.
 */
export function loadedSources(urls: readonly string[]): string[] {
  meta ??= JSON.parse(readFileSync(join(repoRoot, 'dist/bundle/meta.json'), 'utf8')) as Metafile;
  const out = new Set<string>();
  for (const url of urls) {
    const rel = relative(repoRoot, fileURLToPath(url)).split('\\').join('/');
    const output = meta.outputs[rel];
    if (output === undefined) out.add(rel);
    else for (const input of Object.keys(output.inputs)) out.add(input);
  }
  return [...out];
}

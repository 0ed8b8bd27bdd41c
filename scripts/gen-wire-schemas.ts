/**
 * Writes src/api/plain-schemas.ts: every schema of src/api as plain JSON Schema, for the
 * client. Checking an answer needs only the JSON, and reading it from this file instead of
 * building it with typebox keeps typebox out of every CLI run (loading typebox costs the
 * CLI more than the whole request does). A test fails when the file and src/api differ.
 *
 * Run after `npm run build`: `node dist/scripts/gen-wire-schemas.js` (`--check` only
 * compares).
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { plainSchemasSource } from '../src/api/plain-source.js';

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

const file = join(repoRoot(), 'src/api/plain-schemas.ts');
const want = plainSchemasSource();
if (process.argv.includes('--check')) {
  const have = readFileSync(file, 'utf8');
  if (have !== want) {
    process.stderr.write('src/api/plain-schemas.ts is out of date: run node dist/scripts/gen-wire-schemas.js\n');
    process.exitCode = 1;
  }
} else {
  writeFileSync(file, want);
}

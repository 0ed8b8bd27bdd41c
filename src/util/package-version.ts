/**
 * The package version, for `vault --version`, health answers and the OpenAPI document.
 * Found by walking up from this file to the package.json named ontoref-vault, since the
 * source (src/util) and the build (dist/src/util) sit at different depths. Read once.
 * @module
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cachedVersion: string | undefined;

export function packageVersion(): string {
  if (cachedVersion !== undefined) return cachedVersion;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'ontoref-vault' && typeof pkg.version === 'string') return (cachedVersion = pkg.version);
    } catch {
      // not here; keep walking
    }
    dir = dirname(dir);
  }
  return (cachedVersion = 'unknown');
}

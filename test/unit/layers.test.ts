/**
 * The layer rule: an import that points sideways or upward is a lint error (static, re-export
 * and `import()` alike), a downward one is not, and docs/architecture.md lists the layers in
 * the order the rule enforces.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import layers, { LAYERS, layerOf } from '../../lint/layers.js';

const root = resolve(import.meta.dirname, '../..');

function lint(file: string, code: string): string[] {
  const linter = new Linter({ cwd: root });
  const config: Linter.Config[] = [
    {
      files: ['**/*.ts'],
      languageOptions: { parser: tseslint.parser },
      plugins: { layers },
      rules: { 'layers/boundaries': 'error' },
    },
  ];
  return linter.verify(code, config, { filename: join(root, file) }).map((m) => m.message);
}

describe('layer boundaries', () => {
  it('allows a downward import', () => {
    expect(lint('src/envelope/x.ts', "import { a } from '../crypto/bytes.js';")).toEqual([]);
    expect(lint('src/http/routes/x.ts', "import { a } from '../../api/secrets.js';")).toEqual([]);
    expect(lint('cli/x/y.ts', "import { a } from '../../src/client/index.js';")).toEqual([]);
  });

  it('refuses an upward import, static, re-exported or dynamic', () => {
    expect(lint('src/crypto/x.ts', "import { a } from '../envelope/index.js';")).toEqual([
      "layer 'crypto' may not import layer 'envelope' (../envelope/index.js); see docs/architecture.md",
    ]);
    expect(lint('src/storage/x.ts', "export * from '../keyring/index.js';")).toHaveLength(1);
    expect(lint('src/client/x.ts', "const m = await import('../http/server.js');")).toHaveLength(1);
  });

  it('refuses a sideways import between layers of one rank', () => {
    expect(lint('src/secrets/x.ts', "import { a } from '../validators/index.js';")).toHaveLength(1);
    expect(lint('src/keyring/x.ts', "import { a } from '../audit/index.js';")).toHaveLength(1);
  });

  it('keeps the wire contract free of our own modules, and routes away from storage', () => {
    expect(lint('src/api/x.ts', "import { a } from '../auth/scope.js';")).toHaveLength(1);
    expect(lint('src/api/x.ts', "import { a } from '../util/secret-path.js';")).toEqual([]);
    expect(lint('src/http/routes/x.ts', "import { openStorage } from '../../storage/index.js';")).toHaveLength(1);
  });

  it('lets http name the Config type but not read configuration', () => {
    expect(lint('src/http/x.ts', "import type { Config } from '../config.js';")).toEqual([]);
    expect(lint('src/http/x.ts', "import { checkConfig } from '../config.js';")).toHaveLength(1);
  });

  it('places every source folder in exactly one layer', () => {
    for (const p of ['src/errors.ts', 'src/crypto/aead.ts', 'src/http/server.ts', 'src/vault.ts', 'cli/main.ts']) {
      expect(layerOf(p), p).toBeDefined();
    }
    const names = LAYERS.map((l) => l.name);
    expect(new Set(names).size).toBe(names.length);
    for (const l of LAYERS) for (const m of l.may) expect(names.indexOf(m), `${l.name} -> ${m}`).toBeLessThan(names.indexOf(l.name));
  });

  it('docs/architecture.md names the layers in the order the rule enforces', () => {
    const doc = readFileSync(join(root, 'docs/architecture.md'), 'utf8');
    const listed = [...doc.matchAll(/^\| `([a-z]+)` \|/gm)].map((m) => m[1]);
    expect(listed).toEqual(LAYERS.map((l) => l.name));
  });
});

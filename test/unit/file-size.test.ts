/**
 * Files stay small enough to read whole: no source, test, bench or script file over 500
 * lines, except the few that docs/architecture.md lists with the one job each does.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/vectors.js';

const MAX_LINES = 500;

function allowList(): string[] {
  const doc = readFileSync(join(repoRoot, 'docs/architecture.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Files over 500 lines'));
  return [...section.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1] as string);
}

describe('file size', () => {
  it('keeps every code file under 500 lines but those on the allow-list', () => {
    const files = execFileSync('git', ['ls-files', '-z', '--', 'src', 'cli', 'test', 'bench', 'scripts', 'lint'], { cwd: repoRoot, encoding: 'utf8' })
      .split('\0')
      .filter((p) => /\.(ts|js)$/.test(p));
    expect(files.length).toBeGreaterThan(100);
    const allowed = new Set(allowList());
    expect(allowed.size).toBeGreaterThan(0);
    const long = files.filter((p) => readFileSync(join(repoRoot, p), 'utf8').split('\n').length > MAX_LINES && !allowed.has(p));
    expect(long).toEqual([]);
  });
});

/**
 * The repository stands alone: no tracked file reads from or points to anything beside the
 * checkout, and comments and docs state their reasons instead of citing planning documents,
 * numbered habits, issue numbers or people. Scans every file git tracks except the vendored
 * upstream files (vectors/external) and package-lock.json, and names file:line for each hit.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/vectors.js';

/**
 * Each pattern is written so that its own source text does not match it, so this file
 * can be scanned like any other.
 */
const FORBIDDEN: readonly { readonly what: string; readonly re: RegExp }[] = [
  { what: 'a path outside the repository', re: /\.\.\/shared\b/ },
  { what: 'a planning document', re: /\bMISSIO[N](\.md)?\b/ },
  { what: 'the style guide', re: /\bSTYLE\.md\b/ },
  { what: 'a numbered habit', re: /\bhabits? \d/i },
  { what: 'an issue number', re: /\bissue #?\d+/i },
  { what: 'a task description', re: /\bthe\sbrief\b/i },
  { what: 'unpublished notes', re: /\bdesign\snotes\b/i },
  { what: 'another engineer', re: /\b[Hh]elper [A-Z]\b/ },
];

const EXCLUDED = (path: string): boolean => path.startsWith('vectors/external/') || path === 'package-lock.json';

function trackedFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8' });
  return out.split('\0').filter((p) => p !== '' && !EXCLUDED(p));
}

/** Every forbidden reference in `text`, as "path:line: what: the line". */
function hygieneHits(path: string, text: string): string[] {
  const hits: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const { what, re } of FORBIDDEN) {
      if (re.test(line)) hits.push(`${path}:${i + 1}: ${what}: ${line.trim()}`);
    }
  });
  return hits;
}

describe('repository hygiene', () => {
  it('finds each kind of forbidden reference and names its line', () => {
    const sample = [
      'clean line',
      ['read from ', '..', '/shared/vectors'].join(''),
      ['see ', 'MISSIO', 'N.md'].join(''),
      ['per ', 'STYLE', '.md'].join(''),
      ['habit', ' 12'].join(''),
      ['fixed in ', 'issue', ' 4'].join(''),
      ['as ', 'the', ' brief', ' says'].join(''),
      ['the daemon ', 'design', ' notes'].join(''),
      ['helper', ' E', "'s section"].join(''),
    ].join('\n');
    const hits = hygieneHits('x.ts', sample);
    expect(hits.map((h) => h.split(':').slice(0, 3).join(':'))).toEqual([
      'x.ts:2: a path outside the repository',
      'x.ts:3: a planning document',
      'x.ts:4: the style guide',
      'x.ts:5: a numbered habit',
      'x.ts:6: an issue number',
      'x.ts:7: a task description',
      'x.ts:8: unpublished notes',
      'x.ts:9: another engineer',
    ]);
    expect(hygieneHits('y.ts', 'a helper function, an issue with this, shared secrets, habitual')).toEqual([]);
  });

  it('no tracked file cites anything outside the repository', () => {
    const files = trackedFiles();
    expect(files.length).toBeGreaterThan(50);
    expect(files).toContain('test/unit/repo-hygiene.test.ts');
    const hits: string[] = [];
    for (const path of files) {
      if (!existsSync(join(repoRoot, path))) continue; // deleted in the working tree, not yet staged
      const bytes = readFileSync(join(repoRoot, path));
      if (bytes.includes(0)) continue; // binary
      hits.push(...hygieneHits(path, bytes.toString('utf8')));
    }
    expect(hits, `${hits.length} forbidden references:\n${hits.join('\n')}`).toEqual([]);
  });
});

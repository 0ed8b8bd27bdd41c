import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidPath, parseScope, pathInScope, SCOPE_ALL, scopeContains } from '../../../src/auth/scope.js';
import { isVaultError } from '../../../src/errors.js';

describe('parseScope', () => {
  it('accepts * and canonical paths, dropping one trailing slash', () => {
    expect(parseScope('*')).toBe(SCOPE_ALL);
    expect(parseScope('app')).toBe('app');
    expect(parseScope('app/')).toBe('app');
    expect(parseScope('team-1/app_db/v1.2')).toBe('team-1/app_db/v1.2');
    expect(parseScope('a/b/')).toBe('a/b');
  });

  it('rejects everything else with OV_INVALID_ARGUMENT', () => {
    const bad = [
      '', '/', '//', 'app//', '/app', 'a//b', '.', '..', 'a/..', '../a', 'a/../b', 'a/./b', './a',
      'app\\x', 'app x', ' app', 'app\n', 'ａpp', '%2e%2e', '*/x', 'app*', '**', 'a\u0000b', 'a/b/c\u202e',
      'a'.repeat(513), Array.from({ length: 65 }, () => 'a').join('/'),
    ];
    for (const s of bad) {
      let code: string | undefined;
      try {
        parseScope(s);
      } catch (e) {
        code = isVaultError(e) ? e.code : 'other';
      }
      expect(code, JSON.stringify(s)).toBe('OV_INVALID_ARGUMENT');
    }
    expect(() => parseScope(undefined as unknown as string)).toThrow(/invalid argument/);
  });
});

describe('scopeContains', () => {
  const table: Array<[string, string, boolean]> = [
    ['*', '*', true],
    ['*', 'app', true],
    ['*', 'app/db/x', true],
    ['app', '*', false],
    ['app', 'app', true],
    ['app', 'app/db', true],
    ['app', 'app/db/deep/er', true],
    ['app', 'apple', false],
    ['app', 'apple/x', false],
    ['app', 'ap', false],
    ['app/db', 'app', false],
    ['a/b', 'a/bc', false],
    ['a/b', 'a/b/c', true],
    ['app', 'app/', false], // not canonical: deny
    ['app/', 'app/x', false], // not canonical: deny
    ['', 'app', false],
    ['app', '', false],
    ['', '', false],
    ['app', 'app/../etc', false],
    ['app', 'app/./x', false],
    ['App', 'app/x', false],
  ];
  it.each(table)('scopeContains(%j, %j) is %s', (parent, child, want) => {
    expect(scopeContains(parent, child)).toBe(want);
  });
});

describe('pathInScope', () => {
  const table: Array<[string, string, boolean]> = [
    ['*', 'anything/at/all', true],
    ['*', '../x', false],
    ['*', '', false],
    ['app', 'app', true],
    ['app', 'app/db', true],
    ['app', 'apple/x', false],
    ['app', 'apple', false],
    ['app', 'app/../secret', false],
    ['app', 'app/./db', false],
    ['app', 'app/', false],
    ['app', 'app//db', false],
    ['app', '/app/db', false],
    ['app/db', 'app/dbx', false],
    ['app/db', 'app/db/password', true],
    ['', 'app', false],
    ['app', '*', false],
  ];
  it.each(table)('pathInScope(%j, %j) is %s', (scope, path, want) => {
    expect(pathInScope(scope, path)).toBe(want);
  });

  it('matches whole-segment prefix semantics on random paths', () => {
    const segment = fc.stringMatching(/^[a-c.]{1,3}$/).filter((s) => s !== '.' && s !== '..');
    fc.assert(
      fc.property(fc.array(segment, { minLength: 1, maxLength: 4 }), fc.array(segment, { minLength: 1, maxLength: 5 }), (s, p) => {
        const scope = s.join('/');
        const path = p.join('/');
        const want = s.length <= p.length && s.every((seg, i) => seg === p[i]);
        expect(isValidPath(path)).toBe(true);
        expect(pathInScope(scope, path)).toBe(want);
        expect(scopeContains(scope, path)).toBe(want);
        expect(pathInScope(SCOPE_ALL, path)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});

/**
 * The vector loaders in test/helpers/vectors.ts refuse to load nothing: an empty or
 * truncated vector file, or a folder without matching files, must fail the suite, never
 * pass it vacuously. Relative names resolve inside the repository's vectors/external.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKeyValueRecords, loadWycheproof, repoRoot, vectorFiles, vectorPath } from '../../helpers/vectors.js';

const dir = mkdtempSync(join(tmpdir(), 'ov-vectors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe('vector loaders', () => {
  it('key = value records: parses records split by blank lines or repeated keys', () => {
    const p = file('kat.rsp', '# comment\ncount = 0\nmsg = 00\n\ncount = 1\nmsg = 01\ncount = 2\nmsg = 02\n');
    expect(loadKeyValueRecords(p)).toEqual([
      { count: '0', msg: '00' },
      { count: '1', msg: '01' },
      { count: '2', msg: '02' },
    ]);
  });

  it('key = value records: zero records throw', () => {
    expect(() => loadKeyValueRecords(file('empty.rsp', '# only a comment\n\n'))).toThrow(/zero cases/);
  });

  it('key = value records: an unparsable line throws', () => {
    expect(() => loadKeyValueRecords(file('bad.rsp', 'count = 0\nthis is not a record\n'))).toThrow(/cannot parse/);
  });

  it('Wycheproof: zero tests, a wrong count, a wrong algorithm or an unknown result throw', () => {
    const empty = file('w0.json', JSON.stringify({ algorithm: 'ML-KEM', numberOfTests: 0, testGroups: [] }));
    expect(() => loadWycheproof(empty, 'ML-KEM')).toThrow(/zero cases/);
    const oneTest = { tcId: 1, result: 'valid' };
    const miscounted = file('w1.json', JSON.stringify({ algorithm: 'ML-KEM', numberOfTests: 2, testGroups: [{ tests: [oneTest] }] }));
    expect(() => loadWycheproof(miscounted, 'ML-KEM')).toThrow(/file says 2/);
    const ok = file('w2.json', JSON.stringify({ algorithm: 'ML-KEM', numberOfTests: 1, testGroups: [{ tests: [oneTest] }] }));
    expect(loadWycheproof(ok, 'ML-KEM')).toHaveLength(1);
    expect(() => loadWycheproof(ok, 'ML-DSA-65')).toThrow(/algorithm/);
    const odd = file('w3.json', JSON.stringify({ algorithm: 'ML-KEM', numberOfTests: 1, testGroups: [{ tests: [{ tcId: 1, result: 'maybe' }] }] }));
    expect(() => loadWycheproof(odd, 'ML-KEM')).toThrow(/result maybe/);
  });

  it('a missing vector file throws', () => {
    expect(() => loadKeyValueRecords(join(dir, 'absent.rsp'))).toThrow(/missing/);
  });

  it('a folder listing with no matching file throws', () => {
    expect(vectorFiles(dir, (n) => n.endsWith('.rsp')).length).toBeGreaterThan(0);
    expect(() => vectorFiles(dir, (n) => n.endsWith('.nothing'))).toThrow(/zero cases/);
    expect(() => vectorFiles(join(dir, 'absent'))).toThrow(/missing/);
  });

  it('relative names resolve inside the repository, under vectors/external', () => {
    expect(relative(repoRoot, vectorPath('README.md'))).toBe(join('vectors', 'external', 'README.md'));
    expect(() => vectorPath('no/such/file.json')).toThrow(/missing/);
  });
});

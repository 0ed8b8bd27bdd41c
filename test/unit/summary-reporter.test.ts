/**
 * The closing line of test/summary-reporter.ts counts every way a run can fail, not only
 * failed tests. Runs vitest as a child process on the fixtures in
 * test/fixtures/summary-reporter (outside the main include glob): a file that throws at
 * import, a suite whose beforeAll throws, one whose afterAll throws, an unhandled
 * rejection, a failing test, and a baseline with one passing and one skipped test.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/vectors.js';

const fixtures = join(repoRoot, 'test/fixtures/summary-reporter');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `vitest run` on the fixtures, optionally filtered to file names containing `filter`. */
function runFixtures(filter?: string): Promise<Run> {
  const env: Record<string, string> = {};
  // The outer vitest's own variables would make the child think it is a worker.
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('VITEST')) env[k] = v;
  const args = [join(repoRoot, 'node_modules/vitest/vitest.mjs'), 'run', '--config', join(fixtures, 'vitest.config.ts')];
  if (filter !== undefined) args.push(filter);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function closingLine(run: Run): string {
  const lines = run.stdout.trimEnd().split('\n');
  return lines[lines.length - 1] ?? '';
}

describe('summary reporter', () => {
  it('counts a test file that fails to load as one failure', async () => {
    const run = await runFixtures('import-error');
    expect(closingLine(run), run.stdout + run.stderr).toBe('tests: 0 passed, 1 failed, 0 skipped');
    expect(run.stdout).toContain('failed outside a test: import-error.fixture.ts: fixture: thrown at import');
    expect(run.code).toBe(1);
  });

  it('counts broken beforeAll/afterAll suites and unhandled errors, and names each', async () => {
    const run = await runFixtures();
    const outside = run.stdout.split('\n').filter((l) => l.startsWith('failed outside a test: ')).sort();
    expect(outside, run.stdout + run.stderr).toEqual([
      'failed outside a test: after-all.fixture.ts > suite with a broken afterAll: fixture: thrown in afterAll',
      'failed outside a test: before-all.fixture.ts > suite with a broken beforeAll: fixture: thrown in beforeAll',
      'failed outside a test: import-error.fixture.ts: fixture: thrown at import',
      'failed outside a test: unhandled error: fixture: unhandled rejection',
    ]);
    const named = run.stdout.split('\n').filter((l) => l.startsWith('failed test: '));
    expect(named).toHaveLength(1);
    expect(named[0]).toMatch(/^failed test: failing\.fixture\.ts > fails on purpose: fixture: arithmetic/);
    // Passed: the baseline, the afterAll suite's test and the leaking test. Skipped: the
    // baseline's skipped test and the test behind the broken beforeAll. Failed: the four
    // above and the failing test.
    expect(closingLine(run)).toBe('tests: 3 passed, 5 failed, 2 skipped');
    expect(run.code).toBe(1);
  });
});

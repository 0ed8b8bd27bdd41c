/**
 * Runs the whole vitest suite under the machine's Node and under Node 24 LTS at the same
 * time, and fails if either fails.
 *
 *   node dist/scripts/test-runtimes.js [vitest filters...]
 *
 * The two runs share nothing but the build in dist/ (built once, before), read-only: every
 * test works in its own temp dir and listens on port 0. Each run's output is buffered and
 * printed whole when it ends, under a header naming its runtime, so the two logs do not
 * interleave. Their closing "tests: N passed, N failed, N skipped" lines are held back and
 * printed last, one per line, Node 24's first and the machine Node's as the very last line
 * of the log. A run that ends without one (vitest could not start) gets a failed count of 1.
 * The lines that name what failed ("failed test: ..." and "failed outside a test: ...") are
 * repeated just above the closing lines, under their runtime, so a log cut to its tail still
 * says which test broke on which runtime.
 * @module
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const VITEST = join('node_modules', 'vitest', 'vitest.mjs');
const SUMMARY = /^tests: \d+ passed, \d+ failed, \d+ skipped$/gm;
const FAILURE = /^failed (?:test|outside a test): .*$/gm;
/** At most this many failure lines per runtime are repeated at the end. */
const MAX_REPEATED = 40;

interface Run {
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
}

interface Outcome {
  readonly label: string;
  readonly ok: boolean;
  readonly summary: string;
  readonly failures: readonly string[];
}

function run(r: Run): Promise<Outcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const child = spawn(r.command, r.args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.stderr.on('data', (c: Buffer) => chunks.push(c));
    const finish = (code: number | null, error?: Error): void => {
      const text = Buffer.concat(chunks).toString('utf8');
      const summaries = text.match(SUMMARY) ?? [];
      const summary = summaries[summaries.length - 1];
      const body = text.replace(SUMMARY, '').trimEnd();
      const status = error !== undefined ? `could not start: ${error.message}` : `exit ${code ?? 'signal'}`;
      process.stdout.write(`\n===== ${r.label}: ${status} =====\n${body}\n`);
      resolve({
        label: r.label,
        ok: error === undefined && code === 0 && summary !== undefined,
        summary: summary ?? 'tests: 0 passed, 1 failed, 0 skipped',
        failures: text.match(FAILURE) ?? [],
      });
    };
    child.on('error', (e) => finish(null, e));
    child.on('close', (code) => finish(code));
  });
}

const filters = process.argv.slice(2);
const outcomes = await Promise.all([
  run({ label: 'Node 24 LTS', command: 'npx', args: ['-y', 'node@24', VITEST, 'run', ...filters] }),
  run({ label: `Node ${process.versions.node} (this machine)`, command: process.execPath, args: [VITEST, 'run', ...filters] }),
]);
for (const o of outcomes) {
  if (o.failures.length === 0) continue;
  process.stdout.write(`\n${o.label}, what failed:\n`);
  for (const line of o.failures.slice(0, MAX_REPEATED)) process.stdout.write(`  ${line.slice(0, 400)}\n`);
  if (o.failures.length > MAX_REPEATED) process.stdout.write(`  ... and ${o.failures.length - MAX_REPEATED} more\n`);
}
process.stdout.write(`\nsummaries, in order: ${outcomes.map((o) => `${o.label} ${o.ok ? 'passed' : 'FAILED'}`).join(', ')}\n`);
for (const o of outcomes) process.stdout.write(`${o.summary}\n`);
process.exitCode = outcomes.every((o) => o.ok) ? 0 : 1;

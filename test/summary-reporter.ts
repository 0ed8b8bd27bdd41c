/**
 * Prints one plain closing line, "tests: N passed, N failed, N skipped", after vitest's own
 * summary, so a CI log states its count in a form any reader can parse.
 *
 * A failure is anything that makes the run fail, not only a failed test: a test file that
 * cannot be loaded or collected, an error in a suite's `beforeAll`/`afterAll`, a test that
 * never finished, and every unhandled error vitest reports. Each of those counts once and
 * is named on a "failed outside a test" line above the closing line, so a run whose suites
 * never started cannot print "0 failed". Each failed test is named on a "failed test" line
 * with the first line of its error, so a log cut to its last lines still says what broke.
 */
import type { SerializedError } from 'vitest';
import type { Reporter, TestModule } from 'vitest/node';

function firstLine(errors: readonly SerializedError[]): string {
  const message = errors[0]?.message ?? 'no error message';
  return message.split('\n', 1)[0] ?? message;
}

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const outside: string[] = [];
    const failedTests: string[] = [];
    for (const mod of modules) {
      let failedHere = 0;
      for (const t of mod.children.allTests()) {
        const result = t.result();
        if (result.state === 'passed') passed++;
        else if (result.state === 'skipped') skipped++;
        else {
          // failed, or still pending when the run ended: it never passed
          failedHere++;
          const why = result.state === 'failed' ? firstLine(result.errors) : 'never finished';
          failedTests.push(`${mod.relativeModuleId} > ${t.fullName}: ${why}`);
        }
      }
      const broken: { where: string; errors: readonly SerializedError[] }[] = [];
      if (mod.errors().length > 0) broken.push({ where: mod.relativeModuleId, errors: mod.errors() });
      for (const suite of mod.children.allSuites()) {
        if (suite.errors().length > 0) broken.push({ where: `${mod.relativeModuleId} > ${suite.fullName}`, errors: suite.errors() });
      }
      for (const b of broken) outside.push(`${b.where}: ${firstLine(b.errors)}`);
      failedHere += broken.length;
      // A file vitest marks failed with nothing above to show for it still fails the run.
      if (mod.state() === 'failed' && failedHere === 0) {
        outside.push(`${mod.relativeModuleId}: the file failed`);
        failedHere = 1;
      }
      failed += failedHere;
    }
    for (const e of unhandledErrors) outside.push(`unhandled error: ${firstLine([e])}`);
    failed += unhandledErrors.length;

    let text = '\n';
    for (const line of failedTests) text += `failed test: ${line}\n`;
    for (const line of outside) text += `failed outside a test: ${line}\n`;
    text += `tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`;
    process.stdout.write(text);
  }
}

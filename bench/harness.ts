/**
 * A small benchmark harness. Every figure the project cares about is a ratio against a
 * baseline measured in the same run on the same machine, so a slower or busier machine
 * moves both sides together; absolute ops/s are printed for context only.
 *
 * Each case is calibrated to run for roughly `minMs`, repeated `rounds` times, and the
 * best round is kept (the least disturbed by other load), which makes ratios stable on
 * a shared two-core machine.
 * @module
 */

export interface Result {
  readonly name: string;
  /** Operations per second (best round). */
  readonly hz: number;
  /** Mean time per operation in milliseconds (best round). */
  readonly ms: number;
}

export interface Options {
  readonly minMs?: number;
  readonly rounds?: number;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

/** Measures a synchronous operation. */
export function measure(name: string, fn: () => unknown, opts: Options = {}): Result {
  const minMs = opts.minMs ?? 300;
  const rounds = opts.rounds ?? 5;
  // Calibrate: how many iterations fill about minMs / rounds.
  let n = 1;
  for (;;) {
    const t0 = now();
    for (let i = 0; i < n; i++) fn();
    const dt = now() - t0;
    if (dt >= minMs / rounds / 4 || n >= 1 << 24) {
      n = Math.max(1, Math.round((n * (minMs / rounds)) / Math.max(dt, 0.001)));
      break;
    }
    n *= 4;
  }
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = now();
    for (let i = 0; i < n; i++) fn();
    best = Math.min(best, (now() - t0) / n);
  }
  return { name, hz: 1000 / best, ms: best };
}

/**
 * Measures several synchronous operations in alternation: each round runs every case once
 * for about `minMs / rounds`, and each case keeps its best round. Load from other processes
 * then falls on all cases alike, which is what a ratio between them needs on a busy machine.
 */
export function measureInterleaved(cases: readonly (readonly [string, () => unknown])[], opts: Options = {}): Result[] {
  const minMs = opts.minMs ?? 600;
  const rounds = opts.rounds ?? 15;
  const counts = cases.map(([, fn]) => {
    let n = 1;
    for (;;) {
      const t0 = now();
      for (let i = 0; i < n; i++) fn();
      const dt = now() - t0;
      if (dt >= minMs / rounds / 4 || n >= 1 << 24) return Math.max(1, Math.round((n * (minMs / rounds)) / Math.max(dt, 0.001)));
      n *= 4;
    }
  });
  const best = cases.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    cases.forEach(([, fn], k) => {
      const n = counts[k] ?? 1;
      const t0 = now();
      for (let i = 0; i < n; i++) fn();
      best[k] = Math.min(best[k] ?? Infinity, (now() - t0) / n);
    });
  }
  return cases.map(([name], k) => {
    const ms = best[k] ?? Infinity;
    return { name, hz: 1000 / ms, ms };
  });
}

/** Measures an asynchronous operation, run sequentially. */
export async function measureAsync(name: string, fn: () => Promise<unknown>, opts: Options = {}): Promise<Result> {
  const minMs = opts.minMs ?? 300;
  const rounds = opts.rounds ?? 5;
  let n = 1;
  for (;;) {
    const t0 = now();
    for (let i = 0; i < n; i++) await fn();
    const dt = now() - t0;
    if (dt >= minMs / rounds / 4 || n >= 1 << 20) {
      n = Math.max(1, Math.round((n * (minMs / rounds)) / Math.max(dt, 0.001)));
      break;
    }
    n *= 4;
  }
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = now();
    for (let i = 0; i < n; i++) await fn();
    best = Math.min(best, (now() - t0) / n);
  }
  return { name, hz: 1000 / best, ms: best };
}

function fmtHz(hz: number): string {
  if (hz >= 1e6) return `${(hz / 1e6).toFixed(2)}M`;
  if (hz >= 1e3) return `${(hz / 1e3).toFixed(2)}k`;
  return hz.toFixed(1);
}

function fmtMs(ms: number): string {
  return ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(1)} µs`;
}

export function printHeader(title: string): void {
  process.stdout.write(`\n## ${title}\n`);
}

export function printResult(r: Result, extra = ''): void {
  process.stdout.write(`  ${r.name.padEnd(52)} ${fmtHz(r.hz).padStart(9)} ops/s  ${fmtMs(r.ms).padStart(10)}${extra ? '  ' + extra : ''}\n`);
}

export interface Target {
  readonly label: string;
  /** The measured ratio. */
  readonly ratio: number;
  /** Pass when ratio <= max (cost ratios) or ratio >= min (speed ratios). */
  readonly max?: number;
  readonly min?: number;
  readonly baseline: string;
}

const targets: Array<Target & { ok: boolean }> = [];

/** Records and prints a ratio against a same-run baseline, with its target. */
export function ratio(t: Target): void {
  const ok = (t.max === undefined || t.ratio <= t.max) && (t.min === undefined || t.ratio >= t.min);
  targets.push({ ...t, ok });
  const goal = t.max !== undefined ? `target <= ${t.max}` : t.min !== undefined ? `target >= ${t.min}` : 'informational';
  process.stdout.write(`  ratio ${t.label.padEnd(46)} ${t.ratio.toFixed(3).padStart(8)}  (${goal}; baseline: ${t.baseline}) ${ok ? 'ok' : 'MISSED'}\n`);
}

/** Prints the summary of all targets; returns the number missed. */
export function summary(): number {
  const missed = targets.filter((t) => !t.ok);
  process.stdout.write(`\n## Targets: ${targets.length - missed.length} met, ${missed.length} missed\n`);
  for (const t of missed) process.stdout.write(`  MISSED ${t.label}: ${t.ratio.toFixed(3)}\n`);
  return missed.length;
}

/**
 * Bulk imports as jobs: the request that starts one is answered at once with the job's
 * id, and the job's status (progress, then every item's result) is read with further
 * requests, so an import of thousands of keystores never outlives a client's timeout.
 *
 * Jobs live in the daemon's memory only: a restart loses the status of the jobs that ran
 * (each item is stored in its own transaction as it is verified, so an interrupted import
 * is resumed by importing the same files again: the finished ones answer `duplicate`).
 * A job is visible only to the API key that started it. At most MAX_JOBS are kept; the
 * oldest finished ones go first, and while MAX_JOBS are still running a new one is refused.
 * @module
 */
import { randomUuid } from '../crypto/validator-kdf.js';
import { VaultError } from '../errors.js';

export const MAX_JOBS = 64;
/** How long a finished job's results stay readable. */
export const JOB_RETENTION_MS = 60 * 60_000;

export interface JobView<R> {
  id: string;
  state: 'running' | 'done' | 'failed';
  total: number;
  done: number;
  created_at: string;
  finished_at: string | null;
  /** Every item's result, in input order, once the job is done. */
  results?: R[];
  /** The error code of a job that failed as a whole. */
  code?: string;
}

interface Job<R> {
  id: string;
  owner: string;
  state: 'running' | 'done' | 'failed';
  total: number;
  done: number;
  createdAt: number;
  finishedAt: number | null;
  results?: R[];
  code?: string;
}

export class JobRegistry<R> {
  readonly #jobs = new Map<string, Job<R>>();
  readonly #now: () => number;

  constructor(now: () => number) {
    this.#now = now;
  }

  /**
   * Starts `run` as a job owned by `owner`; `run` reports progress through its callback
   * and resolves with the results. Returns the job's first view.
   */
  start(owner: string, total: number, run: (progress: (done: number) => void) => Promise<R[]>): JobView<R> {
    this.#prune();
    if (this.#jobs.size >= MAX_JOBS) throw new VaultError('OV_RATE_LIMITED', { reason: 'too many import jobs running' });
    const job: Job<R> = { id: randomUuid(), owner, state: 'running', total, done: 0, createdAt: this.#now(), finishedAt: null };
    this.#jobs.set(job.id, job);
    run((done) => {
      job.done = done;
    }).then(
      (results) => {
        job.results = results;
        job.done = job.total;
        job.state = 'done';
        job.finishedAt = this.#now();
      },
      (e: unknown) => {
        job.state = 'failed';
        job.code = e instanceof VaultError ? e.code : 'OV_INTERNAL';
        job.finishedAt = this.#now();
      },
    );
    return view(job);
  }

  /** The job's view; OV_NOT_FOUND for an unknown id or another owner's job (no existence oracle). */
  get(id: string, owner: string): JobView<R> {
    this.#prune();
    const job = this.#jobs.get(id);
    if (job === undefined || job.owner !== owner) throw new VaultError('OV_NOT_FOUND');
    return view(job);
  }

  #prune(): void {
    const now = this.#now();
    for (const [id, j] of this.#jobs) if (j.finishedAt !== null && now - j.finishedAt > JOB_RETENTION_MS) this.#jobs.delete(id);
    if (this.#jobs.size < MAX_JOBS) return;
    const finished = [...this.#jobs.values()].filter((j) => j.finishedAt !== null).sort((a, b) => (a.finishedAt as number) - (b.finishedAt as number));
    for (const j of finished) {
      if (this.#jobs.size < MAX_JOBS) break;
      this.#jobs.delete(j.id);
    }
  }
}

function view<R>(job: Job<R>): JobView<R> {
  return {
    id: job.id,
    state: job.state,
    total: job.total,
    done: job.done,
    created_at: new Date(job.createdAt).toISOString(),
    finished_at: job.finishedAt === null ? null : new Date(job.finishedAt).toISOString(),
    ...(job.results === undefined ? {} : { results: job.results }),
    ...(job.code === undefined ? {} : { code: job.code }),
  };
}

/**
 * Small in-memory limiters for the daemon: every cost an attacker can choose is capped.
 *
 * - {@link FailureWindow}: failed key exchanges (and failed unseals) per client address
 *   and per API key id over a sliding window. Each argon2id verification costs ~100 ms of
 *   CPU and 48 MiB, so guessing must stop long before it costs anything; a key id under
 *   attack is refused for at most one window, which bounds how long an attacker who knows
 *   an id can lock its owner out.
 * - {@link RequestRate}: `limits.max_request_rate` requests per second per address, a
 *   fixed one-second window (cheap enough for every request).
 *
 * Both track a bounded number of keys: beyond it the oldest-tracked key is forgotten, so
 * a flood of distinct addresses costs a fixed amount of memory. Forgetting errs towards
 * letting a request through; the per-key limit still holds for ids that matter.
 * @module
 */

const DEFAULT_MAX_KEYS = 100_000;

export class FailureWindow {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  /** key -> failure times, oldest first, at most `limit` entries. */
  readonly #hits = new Map<string, number[]>();

  constructor(limit: number, windowMs: number, maxKeys: number = DEFAULT_MAX_KEYS) {
    this.#limit = limit;
    this.#windowMs = windowMs;
    this.#maxKeys = maxKeys;
  }

  #live(key: string, now: number): number[] | undefined {
    const times = this.#hits.get(key);
    if (times === undefined) return undefined;
    while (times.length > 0 && (times[0] as number) <= now - this.#windowMs) times.shift();
    if (times.length === 0) {
      this.#hits.delete(key);
      return undefined;
    }
    return times;
  }

  /**
   * Seconds until `key` may try again (at least 1), or 0 when it is under the limit.
   */
  retryAfter(key: string, now: number): number {
    const times = this.#live(key, now);
    if (times === undefined || times.length < this.#limit) return 0;
    return Math.max(1, Math.ceil(((times[0] as number) + this.#windowMs - now) / 1000));
  }

  /** Records one failure for `key` at `now`. */
  record(key: string, now: number): void {
    let times = this.#live(key, now);
    if (times === undefined) {
      if (this.#hits.size >= this.#maxKeys) {
        const oldest = this.#hits.keys().next();
        if (oldest.done !== true) this.#hits.delete(oldest.value);
      }
      times = [];
      this.#hits.set(key, times);
    }
    times.push(now);
    // Only the newest `limit` matter for the decision.
    if (times.length > this.#limit) times.shift();
  }

  /** Failures recorded for `key` inside the window. */
  count(key: string, now: number): number {
    return this.#live(key, now)?.length ?? 0;
  }
}

export class RequestRate {
  readonly #perSecond: number;
  readonly #maxKeys: number;
  #second = -1;
  #counts = new Map<string, number>();

  constructor(perSecond: number, maxKeys: number = DEFAULT_MAX_KEYS) {
    this.#perSecond = perSecond;
    this.#maxKeys = maxKeys;
  }

  /** Counts one request from `key`; false when it goes over the per-second limit. */
  allow(key: string, now: number): boolean {
    const second = Math.floor(now / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#counts = new Map();
    }
    const n = (this.#counts.get(key) ?? 0) + 1;
    if (n === 1 && this.#counts.size >= this.#maxKeys) return true;
    this.#counts.set(key, n);
    return n <= this.#perSecond;
  }
}

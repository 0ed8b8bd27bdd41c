/**
 * Small in-memory limiters for the daemon: every cost an attacker can choose is capped,
 * and charged to the source that chose it, never to the key it names.
 *
 * - {@link FailureWindow}: failed key exchanges per client address and per (API key id,
 *   address), failed unseals per address, over a sliding window. Each argon2id
 *   verification costs ~100 ms of CPU and 48 MiB, so guessing from one source stops long
 *   before it costs anything. A key id is not secret (it is the key's `ovk_<id>_` prefix),
 *   so failures are never counted per key id alone: that would let anyone lock the key's
 *   owner out. Guessing the 256-bit secret itself is hopeless whatever the rate.
 * - {@link ExchangeGate}: how many argon2id verifications run at once. Beyond that an
 *   exchange waits (bounded queue, bounded wait) instead of being refused, and a few
 *   slots are kept for addresses that exchanged a key successfully of late, which go
 *   first, so a flood from new addresses delays a known client at most by the runs
 *   already in progress.
 * - {@link RequestRate}: `limits.max_request_rate` requests per second per address, a
 *   fixed one-second window (cheap enough for every request).
 *
 * All track a bounded number of keys: beyond it the oldest-tracked key is forgotten, so
 * a flood of distinct addresses costs a fixed amount of memory. Forgetting errs towards
 * letting a request through.
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

export interface ExchangeGateOptions {
  /** Verifications running at once. */
  readonly slots: number;
  /** Of those, kept for trusted callers (recent success from the same address). */
  readonly reserved: number;
  /**
   * Callers allowed to wait in each lane; beyond that an exchange is refused at once. The
   * lanes are bounded apart, so a flood of untrusted callers never fills the trusted lane.
   */
  readonly maxWaiting: number;
  /** Longest wait for a slot, in milliseconds; then the exchange is refused. */
  readonly maxWaitMs: number;
}

interface Waiter {
  readonly resolve: (entered: boolean) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * A counting gate over the argon2id runs of key exchanges, with a priority lane. `enter`
 * resolves true once the caller holds a slot (it must call `leave`), or false when the
 * caller's lane is full or the wait ran out.
 */
export class ExchangeGate {
  readonly #o: ExchangeGateOptions;
  #running = 0;
  readonly #trusted: Waiter[] = [];
  readonly #others: Waiter[] = [];

  constructor(opts: ExchangeGateOptions) {
    this.#o = opts;
  }

  /** Exchanges running now, and waiting. */
  get running(): number {
    return this.#running;
  }

  get waiting(): number {
    return this.#trusted.length + this.#others.length;
  }

  #free(trusted: boolean): boolean {
    return this.#running < (trusted ? this.#o.slots : this.#o.slots - this.#o.reserved);
  }

  enter(trusted: boolean): Promise<boolean> {
    const queue = trusted ? this.#trusted : this.#others;
    if (queue.length === 0 && this.#free(trusted)) {
      this.#running++;
      return Promise.resolve(true);
    }
    if (queue.length >= this.#o.maxWaiting) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const w: Waiter = { resolve, timer: undefined };
      w.timer = setTimeout(() => {
        const i = queue.indexOf(w);
        if (i !== -1) queue.splice(i, 1);
        resolve(false);
      }, this.#o.maxWaitMs);
      // A pending wait must not keep a closing process alive.
      w.timer.unref();
      queue.push(w);
    });
  }

  leave(): void {
    this.#running--;
    for (;;) {
      const next = this.#trusted.length > 0 && this.#free(true) ? this.#trusted.shift() : this.#free(false) ? this.#others.shift() : undefined;
      if (next === undefined) return;
      clearTimeout(next.timer);
      this.#running++;
      next.resolve(true);
    }
  }
}

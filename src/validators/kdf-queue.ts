/**
 * One bounded queue for every keystore key derivation (EIP-2335 scrypt or PBKDF2) the
 * daemon runs for imports: at most `concurrency` derivations at once (default: the
 * machine's cores less one, at least one, so a large import leaves a core for requests),
 * and at most `memoryBudget` bytes of scrypt memory in flight. A keystore's memory is
 * what its parameters declare: scrypt takes 128·r·n bytes (r = 8, n = 2^18 is 256 MiB);
 * PBKDF2 needs next to nothing. A keystore declaring more than the whole budget can never
 * run and is refused before any work starts (OV_KDF_MEMORY_BUDGET); the others wait
 * their turn in arrival order.
 * @module
 */
import { availableParallelism } from 'node:os';
import { VaultError } from '../errors.js';
import { parseKeystore } from './formats/eip2335.js';

/** Default scrypt memory in flight: two standard keystores (n = 2^18, r = 8) at once. */
export const DEFAULT_KDF_MEMORY_BUDGET = 512 * 1024 * 1024;
/** What a PBKDF2 derivation (or a keystore that does not parse, refused before its KDF) is counted as. */
const SMALL_COST = 64 * 1024;

export function defaultKdfConcurrency(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** The memory a keystore's KDF declares, in bytes; a keystore that does not parse counts as small (its import fails before the KDF). */
export function keystoreKdfMemory(keystore: string): number {
  try {
    const kdf = parseKeystore(keystore).kdf;
    return kdf.function === 'scrypt' ? 128 * kdf.r * kdf.n : SMALL_COST;
  } catch {
    return SMALL_COST;
  }
}

interface Waiter {
  cost: number;
  start: () => void;
}

export class KdfQueue {
  readonly concurrency: number;
  readonly memoryBudget: number;
  #active = 0;
  #memory = 0;
  readonly #waiting: Waiter[] = [];

  constructor(opts: { concurrency?: number; memoryBudget?: number } = {}) {
    this.concurrency = opts.concurrency ?? defaultKdfConcurrency();
    this.memoryBudget = opts.memoryBudget ?? DEFAULT_KDF_MEMORY_BUDGET;
    if (!Number.isSafeInteger(this.concurrency) || this.concurrency < 1) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'concurrency', reason: 'must be a positive integer' });
    if (!Number.isSafeInteger(this.memoryBudget) || this.memoryBudget < SMALL_COST) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'memoryBudget', reason: 'too small' });
  }

  /** Derivations running now and waiting (for tests and metrics). */
  get load(): { active: number; waiting: number; memory: number } {
    return { active: this.#active, waiting: this.#waiting.length, memory: this.#memory };
  }

  /**
   * Refuses, before anything runs, a batch holding a keystore whose KDF could never fit
   * the budget. `field(i)` names the item in the error.
   */
  admit(keystores: readonly string[], field: (i: number) => string): number[] {
    return keystores.map((k, i) => {
      const cost = keystoreKdfMemory(k);
      if (cost > this.memoryBudget) throw new VaultError('OV_KDF_MEMORY_BUDGET', { field: field(i), reason: `needs ${cost} bytes, budget ${this.memoryBudget}` });
      return cost;
    });
  }

  /** Runs `fn` once a lane and `cost` bytes of the budget are free. */
  async run<T>(cost: number, fn: () => Promise<T>): Promise<T> {
    await this.#acquire(Math.min(cost, this.memoryBudget));
    try {
      return await fn();
    } finally {
      this.#release(Math.min(cost, this.memoryBudget));
    }
  }

  #fits(cost: number): boolean {
    return this.#active < this.concurrency && this.#memory + cost <= this.memoryBudget;
  }

  #acquire(cost: number): Promise<void> {
    if (this.#waiting.length === 0 && this.#fits(cost)) {
      this.#active++;
      this.#memory += cost;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#waiting.push({
        cost,
        start: () => {
          this.#active++;
          this.#memory += cost;
          resolve();
        },
      });
    });
  }

  #release(cost: number): void {
    this.#active--;
    this.#memory -= cost;
    // First come, first served: a large keystore at the head is not overtaken forever by small ones.
    while (this.#waiting.length > 0 && this.#fits((this.#waiting[0] as Waiter).cost)) (this.#waiting.shift() as Waiter).start();
  }
}

/**
 * Opened signing keys of the remote signer. Opening a key envelope costs a KEM
 * decapsulation and a signature verification, several times the BLS signature itself, so
 * a validator signing every slot would spend most of its time there. An entry holds the
 * 32-byte secret beside a copy of the exact envelope it was opened from, and a lookup is a
 * hit only when the row's envelope and KEM version still equal it: an edited, moved or
 * rewrapped row misses and goes through the full open. Least recently used out past
 * `maxKeys`; secrets are zeroed when evicted, replaced, and all at once when the vault
 * seals.
 * @module
 */
import { wipe } from '../crypto/bytes.js';

/** Default bound: more validator keys than one host runs, at ~3 KiB an entry. */
export const DEFAULT_SIGNER_CACHE_KEYS = 4096;

interface Entry {
  readonly envelope: Buffer;
  readonly kemVersion: number;
  readonly secret: Uint8Array;
}

export class SignerKeyCache {
  readonly #max: number;
  readonly #entries = new Map<string, Entry>();

  /** `maxKeys` 0 disables the cache. */
  constructor(maxKeys: number = DEFAULT_SIGNER_CACHE_KEYS) {
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 0) throw new RangeError('SignerKeyCache: maxKeys must be a non-negative integer');
    this.#max = maxKeys;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The secret of key `id` if it was opened from exactly this envelope; the array belongs
   * to the cache (use it at once, never keep or wipe it).
   */
  get(id: string, envelope: Uint8Array, kemVersion: number): Uint8Array | undefined {
    const e = this.#entries.get(id);
    if (e === undefined) return undefined;
    if (e.kemVersion !== kemVersion || !e.envelope.equals(envelope)) {
      this.#drop(id, e);
      return undefined;
    }
    this.#entries.delete(id);
    this.#entries.set(id, e);
    return e.secret;
  }

  /** Keeps a copy of `secret` (the caller still wipes its own). */
  put(id: string, envelope: Uint8Array, kemVersion: number, secret: Uint8Array): void {
    if (this.#max === 0) return;
    const old = this.#entries.get(id);
    if (old !== undefined) this.#drop(id, old);
    this.#entries.set(id, { envelope: Buffer.from(envelope), kemVersion, secret: secret.slice() });
    while (this.#entries.size > this.#max) {
      const [oldest, e] = this.#entries.entries().next().value as [string, Entry];
      this.#drop(oldest, e);
    }
  }

  /** Zeroes and forgets every secret (on seal). */
  wipe(): void {
    for (const [id, e] of this.#entries) this.#drop(id, e);
  }

  #drop(id: string, e: Entry): void {
    wipe(e.secret);
    this.#entries.delete(id);
  }
}

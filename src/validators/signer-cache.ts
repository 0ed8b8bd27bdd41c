/**
 * Opened signing keys of the remote signer. Opening a key envelope costs a KEM
 * decapsulation and a signature verification, several times the BLS signature itself, so
 * a validator signing every slot would spend most of its time there. Entries are found by
 * public key. The open checked that the secret is the one of that public key, so a cached
 * secret is right for as long as the store has a row with it; a hit needs that row's id and
 * KEM version to equal the ones it was opened from, so a rewrapped row, or another row
 * under that key, goes through the full open again (the caller checks the row's state).
 * Least recently used out past `maxKeys`; secrets are zeroed when evicted, replaced, and
 * all at once when the vault seals.
 * @module
 */
import { wipe } from '../crypto/bytes.js';

/** Default bound: more validator keys than one host runs, at ~3 KiB an entry. */
export const DEFAULT_SIGNER_CACHE_KEYS = 4096;

interface Entry {
  readonly id: string;
  readonly kemVersion: number;
  readonly secret: Uint8Array;
}

/** The key row a lookup is checked against. */
export interface CachedKeyRow {
  readonly id: string;
  readonly kemVersion: number;
}

/** Entries by public key (0x-prefixed lowercase hex), the signer's name for a key. */
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
   * The secret of `pubkey` if it was opened from `row` (same id and KEM version); the array
   * belongs to the cache (use it at once, never keep or wipe it). Another row drops the entry.
   */
  get(pubkey: string, row: CachedKeyRow): Uint8Array | undefined {
    const e = this.#entries.get(pubkey);
    if (e === undefined) return undefined;
    if (e.id !== row.id || e.kemVersion !== row.kemVersion) {
      this.#drop(pubkey, e);
      return undefined;
    }
    this.#entries.delete(pubkey);
    this.#entries.set(pubkey, e);
    return e.secret;
  }

  /** Keeps a copy of `secret` (the caller still wipes its own). */
  put(pubkey: string, row: CachedKeyRow, secret: Uint8Array): void {
    if (this.#max === 0) return;
    const old = this.#entries.get(pubkey);
    if (old !== undefined) this.#drop(pubkey, old);
    this.#entries.set(pubkey, { id: row.id, kemVersion: row.kemVersion, secret: secret.slice() });
    while (this.#entries.size > this.#max) {
      const [oldest, e] = this.#entries.entries().next().value as [string, Entry];
      this.#drop(oldest, e);
    }
  }

  /** Zeroes and forgets every secret (on seal). */
  wipe(): void {
    for (const [pubkey, e] of this.#entries) this.#drop(pubkey, e);
  }

  #drop(pubkey: string, e: Entry): void {
    wipe(e.secret);
    this.#entries.delete(pubkey);
  }
}

/**
 * Identity-keyed cache of prepared keys (expanded secret keys, imported node:crypto
 * KeyObjects), so that opening many envelopes with one key does not redo key expansion
 * or import on every call. Importing an ML-KEM-768 seed into OpenSSL costs about three
 * times the decapsulation itself, which would break the "open costs at most 20% more
 * than raw decapsulation + AES-GCM" target.
 *
 * Entries are keyed by the caller's `Uint8Array` object (a WeakMap: an entry lives no
 * longer than the key array it was made from) and remember a copy of the bytes they
 * were derived from. A caller that mutates or wipes its key array in place therefore
 * never gets a stale prepared key: the bytes are compared (in constant time) on every
 * lookup, and a mismatching entry is disposed (expanded secrets are wiped) and rebuilt.
 *
 * The cache is bounded by the key arrays the caller keeps alive, and no entry outlives
 * its key array: once that array is garbage collected, a FinalizationRegistry callback
 * wipes the copied bytes and disposes the value (wiping expanded secrets; an imported
 * node:crypto KeyObject cannot be wiped and is freed by the collector). Callers that
 * want a secret gone sooner wipe their key array: the next lookup then evicts the entry.
 * @module
 */
import { constantTimeEqual, wipe } from './bytes.js';

interface Entry<V> {
  readonly bytes: Uint8Array;
  readonly value: V;
}

export class KeyCache<V> {
  readonly #entries = new WeakMap<Uint8Array, Entry<V>>();
  readonly #make: (key: Uint8Array) => V;
  readonly #dispose: ((value: V) => void) | undefined;
  readonly #finalizer: FinalizationRegistry<Entry<V>>;

  /**
   * @param make derives the prepared value from the key bytes; it must not keep a
   *   reference to the array it is given (the cache keeps its own copy).
   * @param dispose called on a value evicted because its key bytes changed.
   */
  constructor(make: (key: Uint8Array) => V, dispose?: (value: V) => void) {
    this.#make = make;
    this.#dispose = dispose;
    this.#finalizer = new FinalizationRegistry((entry) => this.#evict(entry));
  }

  #evict(entry: Entry<V>): void {
    wipe(entry.bytes);
    this.#dispose?.(entry.value);
  }

  get(key: Uint8Array): V {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      if (constantTimeEqual(hit.bytes, key)) return hit.value;
      this.#entries.delete(key);
      this.#finalizer.unregister(hit);
      this.#evict(hit);
    }
    const value = this.#make(key);
    const entry = { bytes: new Uint8Array(key), value };
    this.#entries.set(key, entry);
    // The entry is its own unregister token; the registry never references `key` strongly.
    this.#finalizer.register(key, entry, entry);
    return value;
  }
}

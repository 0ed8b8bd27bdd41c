/**
 * An open-addressing hash table from 32-byte digests (SHA-256 of session tokens) to
 * values: the session store's by-token index.
 *
 * Why not a `Map<string, V>`: a string key means building a string from the digest on
 * every request and, at a million sessions, four or five cache misses per lookup (bucket,
 * entry, key string, value). Here the digests live in one flat `Int32Array`, eight words
 * per slot, so a lookup costs no allocation, no hashing and three cache misses whose
 * addresses all come from the slot number, so the processor waits for them together: the
 * slot's value reference, its 32 key bytes (one cache line) and its expiry. That is what
 * keeps lookup time at 1M sessions close to the time at 1k (bench/sessions.ts).
 *
 * Linear probing, load factor between 1/8 and 1/2, backward-shift deletion (no
 * tombstones: Knuth vol. 3, 6.4, Algorithm R), so probe sequences stay short under any
 * mix of inserts and deletes. The home slot is the digest's first word: the digests are
 * SHA-256 outputs of tokens the daemon itself issued, so they are uniformly spread and
 * nobody can choose where an entry lands. A probe with an attacker-chosen digest only
 * walks clusters that the daemon's own entries formed.
 *
 * Each value's slot is tracked through the `slot` accessors given to the constructor, so
 * deleting a value needs neither its digest nor a search. Each value's expiry is copied
 * into a `Float64Array` beside the keys (`expiryAt`), so a lookup tells a live entry from
 * an expired one without loading the value.
 * @module
 */

export interface SlotAccess<V> {
  get(v: V): number;
  set(v: V, slot: number): void;
}

const WORDS = 8;
const MIN_CAPACITY = 1024;

function word(d: Uint8Array, i: number): number {
  const o = i * 4;
  return ((d[o] as number) | ((d[o + 1] as number) << 8) | ((d[o + 2] as number) << 16) | ((d[o + 3] as number) << 24)) | 0;
}

export class DigestTable<V extends object> {
  readonly #slot: SlotAccess<V>;
  #mask = MIN_CAPACITY - 1;
  #keys = new Int32Array(MIN_CAPACITY * WORDS);
  #vals: (V | undefined)[] = new Array<V | undefined>(MIN_CAPACITY).fill(undefined);
  /** Each occupied slot's expiry, as `expiryOf` gave it when the value was inserted. */
  #expiries = new Float64Array(MIN_CAPACITY);
  #size = 0;
  readonly #scratch = new Int32Array(WORDS);
  readonly #expiryOf: (v: V) => number;

  /** `expiryOf` reads a value's expiry, which must not change while the value is in the table. */
  constructor(slot: SlotAccess<V>, expiryOf: (v: V) => number) {
    this.#slot = slot;
    this.#expiryOf = expiryOf;
  }

  get size(): number {
    return this.#size;
  }

  /** The value stored under `digest` (32 bytes), or undefined. */
  get(digest: Uint8Array): V | undefined {
    const i = this.find(digest);
    return i < 0 ? undefined : this.#vals[i];
  }

  /** The value in a slot `find` returned. */
  valueAt(slot: number): V {
    return this.#vals[slot] as V;
  }

  /** The expiry of the value in a slot `find` returned, read without loading the value. */
  expiryAt(slot: number): number {
    return this.#expiries[slot] as number;
  }

  /** The slot holding `digest` (32 bytes), or -1. */
  find(digest: Uint8Array): number {
    if (digest.length !== 32) return -1;
    const w0 = word(digest, 0);
    const w1 = word(digest, 1);
    const w2 = word(digest, 2);
    const w3 = word(digest, 3);
    const w4 = word(digest, 4);
    const w5 = word(digest, 5);
    const w6 = word(digest, 6);
    const w7 = word(digest, 7);
    const keys = this.#keys;
    const vals = this.#vals;
    const mask = this.#mask;
    // Early-exit comparison is fine: the keys are hashes of secrets, not secrets (see
    // session-store.ts), and the probe count depends only on the daemon's own entries.
    for (let i = w0 & mask; ; i = (i + 1) & mask) {
      if (vals[i] === undefined) return -1;
      const b = i * WORDS;
      if (
        keys[b] === w0 &&
        keys[b + 1] === w1 &&
        keys[b + 2] === w2 &&
        keys[b + 3] === w3 &&
        keys[b + 4] === w4 &&
        keys[b + 5] === w5 &&
        keys[b + 6] === w6 &&
        keys[b + 7] === w7
      ) {
        return i;
      }
    }
  }

  has(digest: Uint8Array): boolean {
    return this.get(digest) !== undefined;
  }

  /** Stores `value` under `digest`; the caller has checked that the digest is absent. */
  insert(digest: Uint8Array, value: V): void {
    if (digest.length !== 32) throw new RangeError('digest must be 32 bytes');
    if ((this.#size + 1) * 2 > this.#mask + 1) this.#resize((this.#mask + 1) * 2);
    const words = this.#scratch;
    for (let k = 0; k < WORDS; k++) words[k] = word(digest, k);
    this.#place(words, 0, value);
    this.#size++;
  }

  /** A copy of the digest `value` is stored under (which must be in this table). */
  digestOf(value: V): Uint8Array {
    const i = this.#slot.get(value);
    if (this.#vals[i] !== value) throw new Error('DigestTable: value not in table');
    const out = new Uint8Array(32);
    const k = this.#keys;
    for (let w = 0; w < WORDS; w++) {
      const x = k[i * WORDS + w] as number;
      out[w * 4] = x & 0xff;
      out[w * 4 + 1] = (x >>> 8) & 0xff;
      out[w * 4 + 2] = (x >>> 16) & 0xff;
      out[w * 4 + 3] = (x >>> 24) & 0xff;
    }
    return out;
  }

  /** Removes `value` (which must be in this table). */
  delete(value: V): void {
    let i = this.#slot.get(value);
    const vals = this.#vals;
    if (vals[i] !== value) throw new Error('DigestTable: value not in table');
    const keys = this.#keys;
    const mask = this.#mask;
    vals[i] = undefined;
    this.#slot.set(value, -1);
    this.#size--;
    // Backward shift: pull later members of the cluster into the hole unless their home
    // slot lies cyclically in (hole, j], where they must stay to remain reachable.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const v = vals[j];
      if (v === undefined) break;
      const home = (keys[j * WORDS] as number) & mask;
      const stays = i <= j ? i < home && home <= j : i < home || home <= j;
      if (stays) continue;
      keys.copyWithin(i * WORDS, j * WORDS, j * WORDS + WORDS);
      this.#expiries[i] = this.#expiries[j] as number;
      vals[i] = v;
      this.#slot.set(v, i);
      vals[j] = undefined;
      i = j;
    }
    const capacity = mask + 1;
    if (capacity > MIN_CAPACITY && this.#size * 8 < capacity) this.#resize(capacity / 2);
  }

  /** Puts `value` with key words `src[off..off+8)` into the first free slot of its probe sequence. */
  #place(src: Int32Array, off: number, value: V): void {
    const vals = this.#vals;
    const mask = this.#mask;
    let i = (src[off] as number) & mask;
    while (vals[i] !== undefined) i = (i + 1) & mask;
    this.#keys.set(src.subarray(off, off + WORDS), i * WORDS);
    this.#expiries[i] = this.#expiryOf(value);
    vals[i] = value;
    this.#slot.set(value, i);
  }

  #resize(capacity: number): void {
    const oldKeys = this.#keys;
    const oldVals = this.#vals;
    this.#mask = capacity - 1;
    this.#keys = new Int32Array(capacity * WORDS);
    this.#vals = new Array<V | undefined>(capacity).fill(undefined);
    this.#expiries = new Float64Array(capacity);
    for (let i = 0; i < oldVals.length; i++) {
      const v = oldVals[i];
      if (v !== undefined) this.#place(oldKeys, i * WORDS, v);
    }
  }
}

/**
 * The read cache (docs/adr/0006-secret-versions-and-read-cache.md): opened plaintexts
 * keyed by their binding (path, version, kind), each stored beside a copy of the exact
 * envelope bytes it was opened from, least recently used first out, bounded by total
 * bytes (plaintext, envelope copy and per-entry overhead).
 *
 * Opening a version costs a KEM decapsulation and a signature verification (about 3 ms
 * and 2 ms on the noble provider); comparing bytes is what makes skipping them safe: a
 * lookup is a hit only when the row's envelope equals the stored copy byte for byte, so a
 * row that was edited, moved or swapped misses and goes through the full open, which
 * fails. Every read still fetches the row; the comparison is a memcmp (both sides are
 * ciphertext, so it need not be constant-time), where hashing the 4.7 KB envelope cost
 * ~14 us per read. Entries are zeroed when evicted, when their version is rewrapped,
 * deleted or destroyed, when a lookup finds other bytes, and all at once when the vault
 * seals.
 *
 * Verified reads (`recall` / `remember`): a read that was answered from an entry is
 * remembered by what was asked (path, and version or "latest") with the storage's change
 * mark (SecretStore.changeMark) and the keyring it was read under. While the mark and the
 * keyring are the same, nothing in the secret tables changed, so the row fetch and the
 * byte comparison would give the same answer: a repeat read skips both. Any write,
 * delete, destroy, prune, rewrap or commit by another connection moves the mark; a seal
 * wipes everything; and a remembered read never outlives the entry it points to.
 * @module
 */
import type { SecretBinding } from './sealing.js';

/**
 * Bookkeeping charged per entry on top of the plaintext and envelope: its map slots and key
 * strings, and up to two verified reads pointing at it (the latest, and by number).
 */
const ENTRY_OVERHEAD = 400;

interface Entry {
  readonly value: Uint8Array;
  readonly envelope: Buffer;
  readonly path: string;
  readonly version: number;
  /** Keys of the verified reads that point here, dropped with the entry. */
  readonly reads: string[];
}

/** A read answered from an entry, valid while the change mark and the keyring stay the same. */
interface VerifiedRead {
  readonly entry: Entry;
  readonly key: string;
  readonly binding: SecretBinding;
  readonly createdAt: number;
  readonly mark: number;
  readonly keyring: object;
}

/** What a verified read gives back: the binding, the row's creation time and the cached plaintext. */
export interface RecalledRead {
  readonly binding: SecretBinding;
  readonly createdAt: number;
  /** The cache's own array: read it before the next call, never modify or keep it. */
  readonly value: Uint8Array;
}

function slotOf(path: string, version: number): string {
  return `${path}\u0000${String(version)}`;
}

function cost(e: { value: Uint8Array; envelope: Uint8Array }): number {
  return e.value.length + e.envelope.length + ENTRY_OVERHEAD;
}

export class ReadCache {
  readonly #maxBytes: number;
  /** Insertion order is recency order: a hit moves its entry to the end. */
  readonly #entries = new Map<string, Entry>();
  /** (path, version) -> the key cached for it, so a version's entry can be dropped by name. */
  readonly #slots = new Map<string, string>();
  /** Verified reads by {@link ReadCache.readKey}; at most two per entry (latest and by number). */
  readonly #reads = new Map<string, VerifiedRead>();
  #bytes = 0;

  /** `maxBytes` 0 disables the cache (every read opens its envelope). */
  constructor(maxBytes: number) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError('ReadCache: maxBytes must be a non-negative integer');
    this.#maxBytes = maxBytes;
  }

  get enabled(): boolean {
    return this.#maxBytes > 0;
  }

  /** Bytes currently charged (plaintexts, envelope copies and per-entry overhead). */
  get bytes(): number {
    return this.#bytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Verified reads currently remembered. */
  get reads(): number {
    return this.#reads.size;
  }

  /** The cache key of a binding. NUL cannot occur in a path, so distinct bindings never collide. */
  static key(b: SecretBinding): string {
    return `${b.path}\u0000${String(b.version)}\u0000${b.kind}`;
  }

  /** The key of a read request: the path, and the version asked for (none: the latest). */
  static readKey(path: string, version: number | undefined): string {
    return version === undefined ? path : `${path}\u0000${String(version)}`;
  }

  /**
   * The answer of an earlier read of `readKey`, if it was remembered under the same change
   * `mark` and `keyring` and its entry is still cached (it then counts as used).
   */
  recall(readKey: string, mark: number, keyring: object): RecalledRead | undefined {
    const r = this.#reads.get(readKey);
    if (r === undefined) return undefined;
    if (r.mark !== mark || r.keyring !== keyring || this.#entries.get(r.key) !== r.entry) {
      this.#reads.delete(readKey);
      return undefined;
    }
    this.#entries.delete(r.key);
    this.#entries.set(r.key, r.entry);
    return { binding: r.binding, createdAt: r.createdAt, value: r.entry.value };
  }

  /**
   * Remembers that `readKey` was just answered with the cached entry of `b` (after `get`
   * hit or `set` stored it), under the change `mark` read before the row was fetched.
   * Nothing is remembered when `b` has no entry (a value too large to cache).
   */
  remember(readKey: string, mark: number, keyring: object, b: SecretBinding, createdAt: number): void {
    const key = ReadCache.key(b);
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    const old = this.#reads.get(readKey);
    if (old?.entry === entry && old.mark === mark && old.keyring === keyring) return;
    this.#reads.set(readKey, { entry, key, binding: { path: b.path, version: b.version, kind: b.kind }, createdAt, mark, keyring });
    if (!entry.reads.includes(readKey)) entry.reads.push(readKey);
  }

  /**
   * The plaintext cached for `b`, only if it was opened from exactly `envelope` (the cache's
   * own array: read it, never modify or keep it). Other bytes drop the entry.
   */
  get(b: SecretBinding, envelope: Uint8Array): Uint8Array | undefined {
    const key = ReadCache.key(b);
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (!e.envelope.equals(envelope)) {
      this.#drop(key);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e.value;
  }

  /**
   * Stores copies of `plaintext` and of the `envelope` it was opened from for the version
   * `b`, replacing any older entry of that version (of any kind).
   */
  set(b: SecretBinding, envelope: Uint8Array, plaintext: Uint8Array): void {
    const need = plaintext.length + envelope.length + ENTRY_OVERHEAD;
    if (need > this.#maxBytes) return;
    const key = ReadCache.key(b);
    const previous = this.#slots.get(slotOf(b.path, b.version));
    if (previous !== undefined) this.#drop(previous);
    this.#drop(key);
    while (this.#bytes + need > this.#maxBytes) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#drop(oldest.value);
    }
    this.#entries.set(key, { value: plaintext.slice(), envelope: Buffer.from(envelope), path: b.path, version: b.version, reads: [] });
    this.#slots.set(slotOf(b.path, b.version), key);
    this.#bytes += need;
  }

  /** Drops (and zeroes) the entry of one version, if cached. */
  evict(path: string, version: number): void {
    const key = this.#slots.get(slotOf(path, version));
    if (key !== undefined) this.#drop(key);
  }

  /** Zeroes and drops everything (on seal). */
  wipe(): void {
    for (const e of this.#entries.values()) e.value.fill(0);
    this.#entries.clear();
    this.#slots.clear();
    this.#reads.clear();
    this.#bytes = 0;
  }

  #drop(key: string): void {
    const e = this.#entries.get(key);
    if (e === undefined) return;
    e.value.fill(0);
    this.#entries.delete(key);
    const slot = slotOf(e.path, e.version);
    if (this.#slots.get(slot) === key) this.#slots.delete(slot);
    for (const r of e.reads) if (this.#reads.get(r)?.entry === e) this.#reads.delete(r);
    this.#bytes -= cost(e);
  }
}

/**
 * The cache of opened transit key versions: each version's decoded material, stored beside
 * a copy of the exact sealed envelope it was opened from, least recently used first out,
 * bounded by total bytes (secret key, public key, key id, envelope copy and a per-entry
 * overhead).
 *
 * Opening a version costs a KEM decapsulation and a signature verification (about 5 ms on
 * the noble provider), more than the operation itself; comparing bytes is what makes
 * skipping them safe: a lookup is a hit only when the row's envelope (and the key's type)
 * equals what the entry was opened from, so an edited, moved or rewrapped row misses and
 * goes through the full open, which fails or re-caches. The version checks against the
 * key's minimum versions run on every call before any lookup, so a cached version below a
 * raised minimum is never used. Material is zeroed when evicted, replaced, dropped with its
 * key or version, when a lookup finds other bytes, and all at once when the vault seals.
 * @module
 */
import type { TransitKeyType, TransitMaterial } from './keys.js';

/** Bookkeeping charged per entry on top of the byte arrays (map slot, key string, objects). */
const ENTRY_OVERHEAD = 256;

/** Default bound: 8 MiB, a few hundred versions of the largest key type, thousands of X-Wing ones. */
export const DEFAULT_TRANSIT_CACHE_BYTES = 8 * 1024 * 1024;

interface Entry {
  readonly name: string;
  readonly version: number;
  readonly type: TransitKeyType;
  readonly envelope: Buffer;
  readonly material: TransitMaterial;
  readonly cost: number;
}

/** Counters since the cache was made: lookups that hit, lookups that missed, and what it holds now. */
export interface TransitCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
  readonly bytes: number;
}

function slotOf(name: string, version: number): string {
  return `${name}\u0000${String(version)}`;
}

function secretOf(m: TransitMaterial): Uint8Array {
  return m.kind === 'hmac' ? m.key : m.key.secretKey;
}

function sizeOf(m: TransitMaterial): number {
  return m.kind === 'hmac' ? m.key.length : m.key.secretKey.length + m.key.publicKey.length + m.key.keyId.length;
}

/** A copy of `m` that shares no array with it (the copy's owner wipes it). */
export function copyMaterial(m: TransitMaterial): TransitMaterial {
  if (m.kind === 'hmac') return { kind: 'hmac', key: m.key.slice() };
  const k = m.key;
  return { kind: 'asymmetric', key: { ...k, keyId: k.keyId.slice(), publicKey: k.publicKey.slice(), secretKey: k.secretKey.slice() } };
}

export class TransitKeyCache {
  readonly #maxBytes: number;
  /** Insertion order is recency order: a hit moves its entry to the end. */
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;

  /** `maxBytes` 0 disables the cache (every call opens its key version). */
  constructor(maxBytes: number = DEFAULT_TRANSIT_CACHE_BYTES) {
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new RangeError('TransitKeyCache: maxBytes must be a non-negative integer');
    this.#maxBytes = maxBytes;
  }

  get enabled(): boolean {
    return this.#maxBytes > 0;
  }

  stats(): TransitCacheStats {
    return { hits: this.#hits, misses: this.#misses, entries: this.#entries.size, bytes: this.#bytes };
  }

  /**
   * A fresh copy (the caller wipes it) of the material of version `version` of key `name`,
   * only if it was opened from exactly `envelope` for a key of `type`. Other bytes drop the entry.
   */
  get(name: string, type: TransitKeyType, version: number, envelope: Uint8Array): TransitMaterial | undefined {
    if (!this.enabled) return undefined;
    const slot = slotOf(name, version);
    const e = this.#entries.get(slot);
    if (e === undefined || e.type !== type || !e.envelope.equals(envelope)) {
      if (e !== undefined) this.#drop(slot);
      this.#misses++;
      return undefined;
    }
    this.#entries.delete(slot);
    this.#entries.set(slot, e);
    this.#hits++;
    return copyMaterial(e.material);
  }

  /**
   * Stores `material`, opened from `envelope`, as version `version` of key `name`; the cache
   * owns `material` from then on (it zeroes it when the entry goes, or at once if it does
   * not fit), and keeps its own copy of `envelope`.
   */
  set(name: string, type: TransitKeyType, version: number, envelope: Uint8Array, material: TransitMaterial): void {
    const cost = sizeOf(material) + envelope.length + ENTRY_OVERHEAD;
    const slot = slotOf(name, version);
    this.#drop(slot);
    if (cost > this.#maxBytes) {
      secretOf(material).fill(0);
      return;
    }
    while (this.#bytes + cost > this.#maxBytes) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#drop(oldest.value);
    }
    this.#entries.set(slot, { name, version, type, envelope: Buffer.from(envelope), material, cost });
    this.#bytes += cost;
  }

  /**
   * The cached material itself (not a copy), without counting a lookup or changing recency:
   * for inspecting what is held, never for an operation.
   */
  peek(name: string, version: number): TransitMaterial | undefined {
    return this.#entries.get(slotOf(name, version))?.material;
  }

  /** Drops (and zeroes) one version, if cached. */
  evict(name: string, version: number): void {
    this.#drop(slotOf(name, version));
  }

  /** Drops (and zeroes) every version of key `name` below `below` (every version when omitted). */
  evictKey(name: string, below = Infinity): void {
    for (const [slot, e] of [...this.#entries]) if (e.name === name && e.version < below) this.#drop(slot);
  }

  /** Zeroes and drops everything (on seal). */
  clear(): void {
    for (const e of this.#entries.values()) secretOf(e.material).fill(0);
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** The same as `clear()`, under the name the vault's seal handler uses for every cache. */
  wipe(): void {
    this.clear();
  }

  #drop(slot: string): void {
    const e = this.#entries.get(slot);
    if (e === undefined) return;
    secretOf(e.material).fill(0);
    this.#entries.delete(slot);
    this.#bytes -= e.cost;
  }
}

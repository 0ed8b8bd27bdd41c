/**
 * Transit key versions at rest: the service's shared context, looking a key up, choosing
 * the version an operation may use, and opening or sealing a version's material through
 * the keyring's sealed records, bound to the key's name and version.
 * @module
 */
import { constantTimeEqual, wipe } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/types.js';
import type { SecretKeyInfo } from '../envelope/keys.js';
import { VaultError } from '../errors.js';
import type { SealedBinding, SealedRecords } from '../keyring/sealed-records.js';
import type { TransitKeyRecord, TransitVersionRecord } from '../storage/transit-types.js';
import type { Storage } from '../storage/types.js';
import { copyMaterial, type TransitKeyCache } from './cache.js';
import { checkName, transitKeyContext } from './format.js';
import { decodeMaterial, isTransitKeyType, purposeOf, type TransitKeyType, type TransitMaterial, type TransitPurpose } from './keys.js';
import { invalidCiphertext } from './inputs.js';

/** Binding of version `version` of key `name` at rest. */
export function transitKeyBinding(name: string, version: number): SealedBinding {
  return {
    context: transitKeyContext(name, version),
    unreadable: (cause?: string) => new VaultError('OV_TRANSIT_KEY_UNREADABLE', { name, version, ...(cause === undefined ? {} : { cause }) }),
  };
}

/** A key row whose type has been checked against the known transit key types. */
export type Key = TransitKeyRecord & { type: TransitKeyType };

/** What the per-job modules share with the service: storage, provider, sealed records, clock, opened-version cache. */
export interface TransitContext {
  readonly storage: Storage;
  readonly provider: CryptoProvider;
  readonly sealed: SealedRecords;
  readonly now: () => number;
  readonly cache: TransitKeyCache;
}

/** Per-call cache of opened key versions (a batch opens each version once); wipe when done. */
export class Opened {
  readonly #map = new Map<number, TransitMaterial>();
  readonly #ctx: TransitContext;
  readonly #key: Key;

  constructor(ctx: TransitContext, key: Key) {
    this.#ctx = ctx;
    this.#key = key;
  }

  get(version: number): TransitMaterial {
    let m = this.#map.get(version);
    if (m === undefined) {
      m = openVersion(this.#ctx, this.#key, version);
      this.#map.set(version, m);
    }
    return m;
  }

  wipe(): void {
    for (const m of this.#map.values()) wipe(m.kind === 'hmac' ? m.key : m.key.secretKey);
    this.#map.clear();
  }
}

/**
 * Opens version `version` of `key` from its sealed record, or takes a copy from the cache
 * when the row's envelope is byte for byte the one the cached material came from; the
 * caller wipes the result.
 */
export function openVersion(ctx: TransitContext, key: Key, version: number): TransitMaterial {
  const row = ctx.storage.transit.getVersion(key.name, version);
  if (row === undefined) throw new VaultError('OV_TRANSIT_KEY_NOT_FOUND', { name: key.name, version });
  const binding = transitKeyBinding(key.name, version);
  // A sealed vault refuses even what the cache holds (the seal wipes it too).
  ctx.sealed.keyring();
  const cached = ctx.cache.get(key.name, key.type, version, row.envelope);
  if (cached !== undefined) return checkPublicKey(binding, row, cached);
  const bytes = ctx.sealed.open(binding, row);
  let m: TransitMaterial | undefined;
  try {
    m = decodeMaterial(ctx.provider, key.type, version, bytes);
  } finally {
    wipe(bytes);
  }
  if (m === undefined) throw binding.unreadable('material');
  checkPublicKey(binding, row, m);
  if (ctx.cache.enabled) ctx.cache.set(key.name, key.type, version, row.envelope, copyMaterial(m));
  return m;
}

/** `m`, if the row's clear public key is the sealed one's (or listings would lie); else wiped and refused. */
function checkPublicKey(binding: SealedBinding, row: TransitVersionRecord, m: TransitMaterial): TransitMaterial {
  if (m.kind === 'asymmetric' && (row.publicKey === null || !constantTimeEqual(row.publicKey, m.key.publicKey))) {
    wipeMaterial(m);
    throw binding.unreadable('public key');
  }
  return m;
}

export function insertVersion(ctx: TransitContext, name: string, version: number, material: TransitMaterial, bytes: Uint8Array, now: number): void {
  const { envelope, kemVersion } = ctx.sealed.seal(transitKeyBinding(name, version), bytes);
  ctx.storage.transit.insertVersion({
    name,
    version,
    publicKey: material.kind === 'asymmetric' ? material.key.publicKey : null,
    envelope,
    kemVersion,
    createdAt: now,
  });
}

/** The key row, checked; with `purpose`, OV_TRANSIT_UNSUPPORTED_OPERATION for another type. */
export function keyOf(ctx: TransitContext, name: string, purpose?: TransitPurpose | readonly TransitPurpose[]): Key {
  checkName(name);
  const row = ctx.storage.transit.getKey(name);
  if (row === undefined) throw new VaultError('OV_TRANSIT_KEY_NOT_FOUND', { name });
  if (!isTransitKeyType(row.type)) throw new VaultError('OV_STORAGE_CORRUPT', { table: 'transit_keys', column: 'type' });
  const allowed = purpose === undefined ? undefined : typeof purpose === 'string' ? [purpose] : purpose;
  if (allowed !== undefined && !allowed.includes(purposeOf(row.type))) throw new VaultError('OV_TRANSIT_UNSUPPORTED_OPERATION');
  return row as Key;
}

/** The version new output is made with: `requested` or the latest, at or above min_encryption_version. */
export function encryptionVersion(key: Key, requested: number | undefined): number {
  const v = requested ?? key.latestVersion;
  if (v > key.latestVersion) throw new VaultError('OV_TRANSIT_KEY_NOT_FOUND', { name: key.name, version: v });
  if (v < key.minEncryptionVersion || v < key.minDecryptionVersion) throw new VaultError('OV_TRANSIT_VERSION_RETIRED', { version: v });
  return v;
}

/** The version a ciphertext, signature or HMAC claims, checked against the key. */
export function decryptionVersion(key: Key, version: number): number {
  if (version < key.minDecryptionVersion) throw new VaultError('OV_TRANSIT_VERSION_RETIRED', { version });
  if (version > key.latestVersion) throw invalidCiphertext();
  return version;
}

export function asymmetric(m: TransitMaterial): SecretKeyInfo {
  if (m.kind !== 'asymmetric') throw new VaultError('OV_TRANSIT_UNSUPPORTED_OPERATION');
  return m.key;
}

export function wipeMaterial(m: TransitMaterial): void {
  wipe(m.kind === 'hmac' ? m.key : m.key.secretKey);
}

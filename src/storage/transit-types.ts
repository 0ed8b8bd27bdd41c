/**
 * Storage contract for the transit engine's named keys (src/transit). Same conventions as
 * ./types.ts: synchronous, integer ms times, Uint8Array blobs, VaultError failures. The
 * store checks nothing cryptographic: a version's envelope is opaque here, and src/transit
 * believes a row only once its envelope opens under that row's own binding.
 * @module
 */

/** One transit_keys row: a named key's type and settings. */
export interface TransitKeyRecord {
  name: string;
  /** The key type (`xwing`, `ml-dsa-65`, ...); checked by src/transit on read. */
  type: string;
  latestVersion: number;
  minDecryptionVersion: number;
  /** 0 means "any version". */
  minEncryptionVersion: number;
  deletionAllowed: boolean;
  exportable: boolean;
  allowPlaintextBackup: boolean;
  createdAt: number;
  updatedAt: number;
}

/** One transit_key_versions row: a version's sealed secret material. */
export interface TransitVersionRecord {
  name: string;
  version: number;
  /** Public key bytes (asymmetric types), null for HMAC keys. */
  publicKey: Uint8Array | null;
  /** The sealed key material (src/keyring sealed records). */
  envelope: Uint8Array;
  /** KEM key version of the vault keyring the envelope is sealed under. */
  kemVersion: number;
  createdAt: number;
}

/** Position in the (name, version) order, for keyset walks. */
export interface TransitCursor {
  readonly name: string;
  readonly version: number;
}

export interface TransitStore {
  getKey(name: string): TransitKeyRecord | undefined;
  /** Every key name, in byte order. */
  listKeys(): string[];
  /** `OV_STORAGE_CONSTRAINT` when the name exists or a value is out of range. */
  insertKey(r: TransitKeyRecord): void;
  /** Replaces the settings of an existing key; false when there is no such key. */
  updateKey(r: TransitKeyRecord): boolean;
  /** Removes the key and every version; false when there is no such key. */
  deleteKey(name: string): boolean;
  /** `OV_STORAGE_CONSTRAINT` when the version exists or the key does not. */
  insertVersion(r: TransitVersionRecord): void;
  getVersion(name: string, version: number): TransitVersionRecord | undefined;
  /** The key's versions, oldest first. */
  listVersions(name: string): TransitVersionRecord[];
  /** Deletes the key's versions below `version`; returns how many. */
  deleteVersionsBelow(name: string, version: number): number;
  /**
   * Replaces a version's envelope when the row still holds `expected` (compare-and-swap for
   * a rewrap); false when the row is gone or was changed meanwhile.
   */
  replaceEnvelope(name: string, version: number, expected: Uint8Array, envelope: Uint8Array, kemVersion: number): boolean;
  /** Up to `limit` version rows sealed under a KEM key version below `kemVersion`, after `after` in (name, version) order. */
  staleVersions(kemVersion: number, after: TransitCursor | undefined, limit: number): TransitVersionRecord[];
  /** Number of version rows sealed under a KEM key version below `kemVersion`. */
  countStale(kemVersion: number): number;
}

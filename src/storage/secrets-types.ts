/**
 * Storage contract for the versioned secrets (src/secrets). Same conventions as ./types.ts:
 * synchronous, integer ms times, Uint8Array blobs, VaultError failures. The store checks
 * nothing cryptographic: envelopes are opaque bytes here, and src/secrets treats every row
 * as untrusted (a row is only believed once its envelope opens under its own binding).
 * @module
 */

export type SecretKind = 'data' | 'binary';

/** One secret_meta row. */
export interface SecretMetaRecord {
  path: string;
  /** 0..1000; 0 means the service default. */
  maxVersions: number;
  casRequired: boolean;
  /** JSON text of an object of strings. */
  customMetadata: string;
  /** Highest version ever written (0 before the first write). */
  currentVersion: number;
  createdAt: number;
  updatedAt: number;
}

/** One secret_versions row. */
export interface SecretVersionRecord {
  path: string;
  version: number;
  kind: SecretKind;
  /** null once destroyed. */
  envelope: Uint8Array | null;
  /** KEM key version the envelope is sealed under. */
  kemVersion: number;
  createdAt: number;
  deletedAt: number | null;
  destroyed: boolean;
}

/** A version row without its envelope (history listings). */
export type SecretVersionInfo = Omit<SecretVersionRecord, 'envelope'>;

/** Position in the (path, version) order, for keyset walks. */
export interface SecretCursor {
  readonly path: string;
  readonly version: number;
}

/**
 * Which paths a listing covers: every path in [`from`, `to`) plus `exact` if given.
 * A scope `app` is `{ exact: 'app', from: 'app/', to: 'app0' }`.
 */
export interface PathRange {
  readonly from: string;
  /** Exclusive upper bound. */
  readonly to: string;
  readonly exact?: string;
}

export interface SecretStore {
  getMeta(path: string): SecretMetaRecord | undefined;
  /**
   * Inserts or replaces every field (createdAt included; the versions are kept).
   * `OV_STORAGE_CONSTRAINT` when the path is not 1..512 characters, maxVersions is outside
   * 0..1000, currentVersion is negative, customMetadata is not valid JSON, or an integer
   * field is not an integer. The store never changes currentVersion on its own.
   */
  putMeta(r: SecretMetaRecord): void;
  /**
   * Deletes the metadata and every version row in one step (a backend that can, overwrites
   * the freed envelopes); false when there is no metadata.
   */
  deleteMeta(path: string): boolean;
  getVersion(path: string, version: number): SecretVersionRecord | undefined;
  /**
   * The read path in one query: the path's current version and the row of `version`
   * (default: the current one; undefined when that row does not exist). Undefined when the
   * path has no metadata.
   */
  readVersion(path: string, version?: number): { currentVersion: number; row: SecretVersionRecord | undefined } | undefined;
  /** Every version of `path`, oldest first, without envelopes; empty for an unknown path. */
  listVersions(path: string): SecretVersionInfo[];
  /**
   * `OV_STORAGE_CONSTRAINT` when (path, version) exists, the path has no metadata, the
   * version or kemVersion is below 1, the kind is unknown, or `destroyed` disagrees with
   * `envelope === null`. Does not touch the metadata (the service updates currentVersion).
   */
  insertVersion(r: SecretVersionRecord): void;
  /** Sets or clears deletedAt on a version that is not destroyed; false when no such row changed. */
  setDeleted(path: string, version: number, deletedAt: number | null): boolean;
  /**
   * Drops the envelope and marks the version destroyed (deletedAt is kept); false when
   * absent or already destroyed. A destroyed version never gets an envelope again.
   */
  destroyVersion(path: string, version: number): boolean;
  /** Deletes version rows below `belowVersion` (max_versions pruning); returns how many. */
  pruneBelow(path: string, belowVersion: number): number;
  /**
   * Up to `limit` paths with metadata that are in `range` and greater than `after` (or from
   * the start), ascending: a keyset page. `OV_INVALID_ARGUMENT` unless `limit` is a
   * positive safe integer.
   */
  listPaths(range: PathRange, after: string | undefined, limit: number): string[];
  /**
   * Up to `limit` live (not destroyed) versions sealed under a KEM version below
   * `kemVersion`, strictly after `cursor` in (path, version) order, with their envelopes.
   * `OV_INVALID_ARGUMENT` unless `limit` is a positive safe integer.
   */
  staleVersions(kemVersion: number, cursor: SecretCursor | undefined, limit: number): SecretVersionRecord[];
  /** Live versions sealed under a KEM version below `kemVersion`. */
  countStale(kemVersion: number): number;
  /**
   * Replaces the envelope and KEM version of a live version, only if it still holds
   * exactly `expected` (a concurrent destroy or rewrite wins). True when replaced;
   * `OV_STORAGE_CONSTRAINT` when it would be replaced but `kemVersion` is below 1.
   */
  replaceEnvelope(path: string, version: number, expected: Uint8Array, envelope: Uint8Array, kemVersion: number): boolean;
  /**
   * A number that differs from every earlier answer once any secret row or metadata may
   * have changed since: through this store's own writes (also ones later rolled back) at
   * once, or a commit by another connection to the same database from the next event-loop
   * turn on (SQLite is asked once per turn). Equal answers mean nothing
   * changed in between, so a reader may keep what it verified (the read cache's hits that
   * skip the row fetch).
   */
  changeMark(): number;
}

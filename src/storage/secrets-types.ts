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
  /** Inserts or replaces; `OV_STORAGE_CONSTRAINT` when a value is out of range. */
  putMeta(r: SecretMetaRecord): void;
  /** Deletes the metadata and every version row (their envelopes overwritten); false when absent. */
  deleteMeta(path: string): boolean;
  getVersion(path: string, version: number): SecretVersionRecord | undefined;
  /**
   * The read path in one query: the path's current version and the row of `version`
   * (default: the current one; undefined when that row does not exist). Undefined when the
   * path has no metadata.
   */
  readVersion(path: string, version?: number): { currentVersion: number; row: SecretVersionRecord | undefined } | undefined;
  /** Every version of `path`, oldest first, without envelopes. */
  listVersions(path: string): SecretVersionInfo[];
  /** `OV_STORAGE_CONSTRAINT` when (path, version) exists or the path has no metadata. */
  insertVersion(r: SecretVersionRecord): void;
  /** Sets or clears deleted_at on a version that is not destroyed; false when no such row changed. */
  setDeleted(path: string, version: number, deletedAt: number | null): boolean;
  /** Wipes the envelope and marks the version destroyed; false when absent or already destroyed. */
  destroyVersion(path: string, version: number): boolean;
  /** Deletes version rows below `belowVersion` (max_versions pruning); returns how many. */
  pruneBelow(path: string, belowVersion: number): number;
  /** Up to `limit` paths in `range` greater than `after` (or from the start), ascending. */
  listPaths(range: PathRange, after: string | undefined, limit: number): string[];
  /**
   * Up to `limit` live (not destroyed) versions sealed under a KEM version below
   * `kemVersion`, after `cursor` in (path, version) order, with their envelopes.
   */
  staleVersions(kemVersion: number, cursor: SecretCursor | undefined, limit: number): SecretVersionRecord[];
  /** Live versions sealed under a KEM version below `kemVersion`. */
  countStale(kemVersion: number): number;
  /**
   * Replaces the envelope of a live version, only if it still holds exactly `expected`
   * (a concurrent destroy or rewrite wins). True when replaced.
   */
  replaceEnvelope(path: string, version: number, expected: Uint8Array, envelope: Uint8Array, kemVersion: number): boolean;
}

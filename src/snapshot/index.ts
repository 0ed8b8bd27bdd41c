/**
 * Snapshots of the whole vault: the signed file format (./format.ts), the online save the
 * daemon runs (./service.ts) and the offline, verified restore (./restore.ts).
 * @module
 */
export {
  SNAPSHOT_FORMAT,
  SNAPSHOT_MAGIC,
  encodeSnapshot,
  keyFingerprint,
  manifestJson,
  parseSnapshot,
  verifySnapshot,
  type ParsedSnapshot,
  type SnapshotManifest,
  type SnapshotSigner,
  type SnapshotTrust,
} from './format.js';
export { SnapshotService, snapshotKeyFingerprint, vaultIdOf, type SnapshotServiceDeps, type TakenSnapshot } from './service.js';
export { RESTORE_DB_FILE, WATERMARKS_UNCONFIRMED_META, restoreSnapshot, type RestoreOptions, type RestoreResult } from './restore.js';

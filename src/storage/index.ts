/**
 * Storage entry point. Code above storage (auth, seal, keyring, audit) imports the contract
 * types from here or from ./types.js; only the daemon's wiring calls `openStorage` (SQLite,
 * ./sqlite/; `openPostgresStorage`, ./postgres/, for a cluster). `openMemoryStorage` (./memory/) is the same contract held in memory.
 * @module
 */
export type {
  ApiKeyRecord,
  ApiKeyStore,
  AuditCheckpointRecord,
  AuditEntryRecord,
  AuditStore,
  KeyringKeyRecord,
  KeyringPolicyRecord,
  KeyringStore,
  MetaStore,
  OpenStorageOptions,
  Role,
  SessionPersistence,
  SessionRecord,
  SnapshotInfo,
  SqliteDriverChoice,
  Storage,
} from './types.js';
export type { TransitKeyRecord, TransitStore, TransitVersionRecord } from './transit-types.js';
export { ROLES } from './types.js';
export { LATEST_SCHEMA_VERSION } from './migrations.js';
export { openStorage, type SqliteStorageHandle, type StorageSettings } from './sqlite/index.js';
export { openMemoryStorage, MemorySessionPersistence } from './memory/index.js';
export { openPostgresStorage, type PostgresOptions, type PostgresStorageHandle } from './postgres/index.js';

/**
 * An in-memory implementation of the whole storage contract (../types.ts), with the
 * semantics of the SQLite one: the same constraints (`OV_STORAGE_CONSTRAINT`), orderings,
 * keyset paging, cascades, append-only tables and nested transactions that roll back on
 * throw. Nothing survives `close()` or the process; for tests and `--dev` runs.
 * @module
 */
import { VaultError } from '../../errors.js';
import { LATEST_SCHEMA_VERSION } from '../migrations.js';
import type { Storage } from '../types.js';
import { MemoryApiKeyStore } from './apikeys.js';
import { MemoryAuditStore } from './audit.js';
import { MemoryDb } from './db.js';
import { MemoryKeyringStore } from './keyring.js';
import { MemoryMetaStore } from './meta.js';
import { MemorySecretStore } from './secrets.js';
import { MemorySessionPersistence } from './sessions.js';
import { MemoryTransitStore } from './transit.js';
import { MemoryValidatorStore } from './validators.js';

export { MemorySessionPersistence } from './sessions.js';

/** A new, empty storage, at the latest schema version. */
export function openMemoryStorage(): Storage {
  const db = new MemoryDb();
  // The sessions' foreign key points at the API keys and their cascade points back.
  const cascade = { to: undefined as MemorySessionPersistence | undefined };
  const apiKeys = new MemoryApiKeyStore(db, (id) => cascade.to?.deleteByApiKey(id));
  const sessions = (cascade.to = new MemorySessionPersistence(db, apiKeys));
  const storage: Storage = {
    meta: new MemoryMetaStore(db),
    apiKeys,
    sessions,
    keyring: new MemoryKeyringStore(db),
    audit: new MemoryAuditStore(db),
    secrets: new MemorySecretStore(db),
    validators: new MemoryValidatorStore(db),
    transit: new MemoryTransitStore(db),
    schemaVersion: LATEST_SCHEMA_VERSION,
    transaction: <T>(fn: () => T): T => db.transaction(fn),
    // Nothing is ever on disk, so there is nothing to flush; only a closed storage fails.
    sync: (): void => db.check(),
    syncAsync: (): Promise<void> =>
      db.closed ? Promise.reject(new VaultError('OV_IO', { reason: 'closed' })) : Promise.resolve(),
    snapshot: (): never => {
      db.check();
      throw new VaultError('OV_SNAPSHOT_UNSUPPORTED', { backend: 'memory' });
    },
    close: (): void => db.close(),
  };
  return Object.freeze(storage);
}

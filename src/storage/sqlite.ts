/**
 * Former home of the SQLite backend, now split by job under ./sqlite/; kept so existing
 * imports of this path keep working.
 * @module
 */
export { openStorage, type SqliteStorageHandle, type StorageSettings } from './sqlite/index.js';

/**
 * Shared fixtures for the storage tests only (never imported by crypto or envelope tests:
 * better-sqlite3 is a native addon built for one Node ABI, and those tests also run under
 * Node 24).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage } from '../../../src/storage/sqlite.js';

/**
 * False when the better-sqlite3 addon was compiled for another Node ABI (the Node 24 run of
 * `npm run test:native`); the storage suites then skip instead of failing on dlopen. Any
 * other failure to open an in-memory database is a real failure and is rethrown.
 */
export const sqliteLoads: boolean = (() => {
  try {
    openStorage(':memory:').close();
    return true;
  } catch (e) {
    const msg = e instanceof Error ? e.message : '';
    if (/NODE_MODULE_VERSION|was compiled against a different Node\.js version/.test(msg)) {
      console.warn(`storage tests skipped: better-sqlite3 is built for another Node ABI (running ${process.version})`);
      return false;
    }
    throw e;
  }
})();

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ov-storage-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export { apiKey, digest, session, thrown } from '../../conformance/storage/fixtures.js';

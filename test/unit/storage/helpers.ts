/**
 * Shared fixtures for the storage tests only (never imported by crypto or envelope tests:
 * better-sqlite3 is a native addon built for one Node ABI, and those tests also run under
 * Node 24).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStorage } from '../../../src/storage/sqlite.js';
import type { ApiKeyRecord, SessionRecord } from '../../../src/storage/types.js';

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

export function apiKey(over: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: 'key-1',
    hash: '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo',
    role: 'operator',
    scope: 'apps/',
    label: 'ci deploy',
    createdAt: 1_700_000_000_000,
    rotatedAt: null,
    ...over,
  };
}

/** A distinct, deterministic 32-byte digest per index (stand-in for SHA-256 of a token). */
export function digest(i: number): Uint8Array {
  const d = new Uint8Array(32).fill(0xa5);
  new DataView(d.buffer).setUint32(0, i);
  return d;
}

export function session(i: number, over: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
    digest: digest(i),
    apiKeyId: 'key-1',
    role: 'reader',
    scope: 'apps/web/',
    label: 'ci deploy',
    issuedAt: 1_700_000_000_000 + i,
    expiresAt: 1_700_000_900_000 + i,
    ...over,
  };
}

/** Runs fn and returns the error it throws (fails the test if it does not throw). */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

/**
 * Opening the data file: durability pragmas actually in force, file and directory modes,
 * and every refusal (newer schema, garbage, corruption, another application's database,
 * open permissions, read-only misuse) leaving the file byte-for-byte unchanged.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openRawDb } from '../../helpers/raw-sqlite.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VaultError } from '../../../src/errors.js';
import { APPLICATION_ID, LATEST_SCHEMA_VERSION } from '../../../src/storage/migrations.js';
import { openStorage } from '../../../src/storage/sqlite.js';
import { resolveSqliteDriver } from '../../../src/storage/sqlite/driver.js';
import { apiKey, session, tempDir, thrown } from './helpers.js';

function expectCode(e: unknown, code: string): VaultError {
  expect(e).toBeInstanceOf(VaultError);
  expect((e as VaultError).code).toBe(code);
  return e as VaultError;
}

/** Main file bytes plus the directory listing, to prove a refusal wrote nothing. */
function snapshot(dir: string, file: string): { bytes: Buffer; files: string[] } {
  return { bytes: readFileSync(file), files: readdirSync(dir).sort() };
}

const mode = (p: string): number => statSync(p).mode & 0o777;

describe('openStorage', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    file = join(dir, 'vault.db');
  });
  afterEach(() => cleanup());

  /** A closed database of ours holding one API key and one session. */
  function populated(): void {
    const s = openStorage(file);
    s.apiKeys.insert(apiKey());
    s.sessions.insert(session(1));
    s.close();
  }

  describe('durability settings', () => {
    it('runs with WAL, synchronous=FULL, foreign keys, a 5 s busy timeout and secure_delete', () => {
      const s = openStorage(file);
      try {
        expect(s.settings()).toEqual({
          journalMode: 'wal',
          synchronous: 'full',
          foreignKeys: true,
          busyTimeoutMs: 5000,
          secureDelete: true,
          readonly: false,
          driver: resolveSqliteDriver(),
        });
        expect(s.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      } finally {
        s.close();
      }
    });

    it('records WAL mode, the schema version and our application id in the file header', () => {
      populated();
      const h = readFileSync(file).subarray(0, 100);
      expect(h.subarray(0, 16).toString('latin1')).toBe('SQLite format 3\0');
      expect([h[18], h[19]]).toEqual([2, 2]); // 2 = WAL read/write format
      expect(h.readUInt32BE(60)).toBe(LATEST_SCHEMA_VERSION);
      expect(h.readUInt32BE(68)).toBe(APPLICATION_ID);
    });

    it('sees writes from a second connection on the same file', () => {
      const a = openStorage(file);
      const b = openStorage(file);
      try {
        a.apiKeys.insert(apiKey());
        expect(b.apiKeys.get('key-1')).toEqual(apiKey());
      } finally {
        a.close();
        b.close();
      }
    });

    it('opens a current database while another connection holds the write lock', () => {
      const a = openStorage(file);
      try {
        a.transaction(() => {
          a.apiKeys.insert(apiKey());
          // No migration is due, so opening must not wait for the write lock (it would fail
          // with SQLITE_BUSY after the 5 s busy timeout) and must not see the uncommitted row.
          const b = openStorage(file);
          try {
            expect(b.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
            expect(b.apiKeys.get('key-1')).toBeUndefined();
          } finally {
            b.close();
          }
        });
      } finally {
        a.close();
      }
    });

    it('works in memory for tests', () => {
      const s = openStorage(':memory:');
      s.apiKeys.insert(apiKey());
      expect(s.apiKeys.list()).toHaveLength(1);
      expect(s.settings().foreignKeys).toBe(true);
      s.close();
    });
  });

  describe('file and directory modes', () => {
    it('creates the database, its WAL and shared-memory files 0600', () => {
      const s = openStorage(file);
      try {
        s.meta.put('x', Uint8Array.from([1]));
        expect(mode(file)).toBe(0o600);
        expect(mode(`${file}-wal`)).toBe(0o600);
        expect(mode(`${file}-shm`)).toBe(0o600);
      } finally {
        s.close();
      }
    });

    it('creates missing parent directories 0700', () => {
      const nested = join(dir, 'a', 'b', 'vault.db');
      openStorage(nested).close();
      expect(mode(join(dir, 'a'))).toBe(0o700);
      expect(mode(join(dir, 'a', 'b'))).toBe(0o700);
      expect(mode(nested)).toBe(0o600);
    });

    it('refuses a group- or world-writable directory and creates nothing in it', () => {
      for (const m of [0o770, 0o707, 0o1777]) {
        const d = join(dir, `open-${m.toString(8)}`);
        mkdirSync(d);
        chmodSync(d, m);
        expectCode(thrown(() => openStorage(join(d, 'vault.db'))), 'OV_UNSAFE_PERMISSIONS');
        expect(readdirSync(d)).toEqual([]);
      }
    });

    it('refuses an existing database file readable by group or others, unchanged', () => {
      populated();
      chmodSync(file, 0o640);
      const before = snapshot(dir, file);
      expectCode(thrown(() => openStorage(file)), 'OV_UNSAFE_PERMISSIONS');
      expect(snapshot(dir, file)).toEqual(before);
      expect(mode(file)).toBe(0o640);
    });

    it('initialises an existing empty 0600 file', () => {
      writeFileSync(file, '', { mode: 0o600 });
      const s = openStorage(file);
      expect(s.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
      s.close();
    });

    it('refuses a directory where the file should be', () => {
      mkdirSync(file, { mode: 0o700 });
      expectCode(thrown(() => openStorage(file)), 'OV_IO');
    });
  });

  describe('refusals leave the file unchanged', () => {
    it('a schema newer than this build -> OV_STORAGE_VERSION', () => {
      populated();
      const bytes = readFileSync(file);
      bytes.writeUInt32BE(LATEST_SCHEMA_VERSION + 1, 60); // PRAGMA user_version lives at offset 60
      writeFileSync(file, bytes);
      const before = snapshot(dir, file);
      const e = expectCode(thrown(() => openStorage(file)), 'OV_STORAGE_VERSION');
      expect(e.status).toBe(500);
      expect(e.message).toBe('database schema is newer than this version of ontoref-vault');
      expect(e.detail).toEqual({ found: LATEST_SCHEMA_VERSION + 1, supported: LATEST_SCHEMA_VERSION });
      expect(snapshot(dir, file)).toEqual(before);
      // A read-only connection cannot remove the empty -wal/-shm files SQLite creates to read
      // a WAL database, so only the database itself is compared here.
      expectCode(thrown(() => openStorage(file, { readonly: true })), 'OV_STORAGE_VERSION');
      expect(snapshot(dir, file).bytes).toEqual(before.bytes);
    });

    it('a file that is not SQLite -> OV_STORAGE_CORRUPT (short and page-sized garbage)', () => {
      for (const garbage of [Buffer.from('not a database'), Buffer.alloc(8192, 0x5a)]) {
        writeFileSync(file, garbage, { mode: 0o600 });
        const before = snapshot(dir, file);
        const e = expectCode(thrown(() => openStorage(file)), 'OV_STORAGE_CORRUPT');
        expect(e.message).toBe('database file is unreadable or corrupt');
        expect(snapshot(dir, file)).toEqual(before);
      }
    });

    it('a valid header over a damaged schema page -> OV_STORAGE_CORRUPT', () => {
      populated();
      const bytes = readFileSync(file);
      bytes.fill(0xff, 100, 4096); // the sqlite_schema b-tree on page 1, after the header
      writeFileSync(file, bytes);
      const before = snapshot(dir, file);
      expectCode(thrown(() => openStorage(file)), 'OV_STORAGE_CORRUPT');
      expect(snapshot(dir, file)).toEqual(before);
    });

    it('another application\'s SQLite database -> OV_STORAGE_CORRUPT, not migrated into', () => {
      const raw = openRawDb(file);
      raw.exec('CREATE TABLE notes (body TEXT)');
      raw.close();
      chmodSync(file, 0o600);
      const before = snapshot(dir, file);
      expect(expectCode(thrown(() => openStorage(file)), 'OV_STORAGE_CORRUPT').detail).toEqual({ reason: 'foreign' });
      expect(snapshot(dir, file)).toEqual(before);

      const tagged = openRawDb(file);
      tagged.pragma('application_id = 1234');
      tagged.pragma('user_version = 1');
      tagged.close();
      const before2 = snapshot(dir, file);
      expectCode(thrown(() => openStorage(file)), 'OV_STORAGE_CORRUPT');
      expect(snapshot(dir, file)).toEqual(before2);
    });
  });

  describe('read-only', () => {
    it('reads existing data, refuses writes with OV_IO, and changes nothing', () => {
      populated();
      const before = snapshot(dir, file);
      const s = openStorage(file, { readonly: true });
      try {
        expect(s.settings().readonly).toBe(true);
        expect(s.apiKeys.get('key-1')).toEqual(apiKey());
        expect([...s.sessions.loadAll()]).toEqual([session(1)]);
        expect(expectCode(thrown(() => s.meta.put('x', Uint8Array.from([1]))), 'OV_IO').detail?.['sqlite']).toMatch(/^SQLITE_READONLY/);
        expect(s.transaction(() => s.sessions.count())).toBe(1);
      } finally {
        s.close();
      }
      expect(snapshot(dir, file).bytes).toEqual(before.bytes);
    });

    it('refuses a missing file without creating it or its directory', () => {
      expectCode(thrown(() => openStorage(file, { readonly: true })), 'OV_IO');
      expect(existsSync(file)).toBe(false);
      expectCode(thrown(() => openStorage(join(dir, 'nope', 'vault.db'), { readonly: true })), 'OV_IO');
      expect(existsSync(join(dir, 'nope'))).toBe(false);
    });

    it('refuses a schema that still needs migrating with OV_STORAGE_OUTDATED', () => {
      populated();
      const bytes = readFileSync(file);
      bytes.writeUInt32BE(LATEST_SCHEMA_VERSION - 1, 60);
      writeFileSync(file, bytes);
      const before = snapshot(dir, file);
      expectCode(thrown(() => openStorage(file, { readonly: true })), 'OV_STORAGE_OUTDATED');
      expect(snapshot(dir, file).bytes).toEqual(before.bytes);
    });
  });

  describe('arguments', () => {
    it('rejects unknown options and an empty path', () => {
      expect(expectCode(thrown(() => openStorage(file, { readOnly: true } as never)), 'OV_INVALID_ARGUMENT').detail).toEqual({ option: 'readOnly' });
      expectCode(thrown(() => openStorage('')), 'OV_INVALID_ARGUMENT');
      expect(existsSync(file)).toBe(false);
    });
  });
});

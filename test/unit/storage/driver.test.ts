/**
 * The SQLite driver seam: each driver that loads here opens the vault, reports itself, and
 * maps its errors to the same registry codes and SQLite code names; nested transactions
 * become savepoints; a driver that does not load, or an unknown one, is refused.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VaultError } from '../../../src/errors.js';
import { openStorage } from '../../../src/storage/sqlite.js';
import { resolveSqliteDriver, type SqliteDriverChoice, type SqliteDriverName } from '../../../src/storage/sqlite/driver.js';
import { sqliteCodeName } from '../../../src/storage/sqlite/node-driver.js';
import { apiKey, tempDir, thrown } from './helpers.js';

const { dir, cleanup } = tempDir();
afterAll(cleanup);
let n = 0;
const file = (): string => join(dir, `d-${++n}.db`);

const ALL: SqliteDriverName[] = ['better-sqlite3', 'node'];
const loaded = ALL.filter((d) => resolveSqliteDriver(d) === d);
const missing = ALL.filter((d) => !loaded.includes(d));

function detail(e: unknown): { code: string; detail: unknown } {
  expect(e).toBeInstanceOf(VaultError);
  return { code: (e as VaultError).code, detail: (e as VaultError).detail };
}

it('auto picks better-sqlite3 where it loads, else node:sqlite', () => {
  expect(loaded.length).toBeGreaterThan(0);
  expect(resolveSqliteDriver('auto')).toBe(loaded[0]);
  const s = openStorage(file());
  expect(s.settings().driver).toBe(loaded[0]);
  s.close();
});

it('names result codes as better-sqlite3 does', () => {
  expect(sqliteCodeName(2067)).toBe('SQLITE_CONSTRAINT_UNIQUE');
  expect(sqliteCodeName(1811)).toBe('SQLITE_CONSTRAINT_TRIGGER');
  expect(sqliteCodeName(26)).toBe('SQLITE_NOTADB');
  expect(sqliteCodeName(11)).toBe('SQLITE_CORRUPT');
  // An extended code without a name here falls back to its primary code.
  expect(sqliteCodeName((99 << 8) | 10)).toBe('SQLITE_IOERR');
});

it('refuses an unknown driver', () => {
  const e = thrown(() => openStorage(file(), { sqliteDriver: 'sqlite3' as SqliteDriverChoice }));
  expect(detail(e)).toEqual({ code: 'OV_INVALID_ARGUMENT', detail: { option: 'sqliteDriver' } });
});

for (const driver of missing) {
  it(`refuses ${driver}, which does not load on this runtime, with OV_IO`, () => {
    const e = thrown(() => openStorage(file(), { sqliteDriver: driver }));
    expect(detail(e)).toEqual({ code: 'OV_IO', detail: { reason: 'sqlite_driver_unavailable', driver } });
  });
}

for (const driver of loaded) {
  describe(`driver ${driver}`, () => {
    it('maps a duplicate key, an append-only trigger and a foreign file to the same codes', () => {
      const s = openStorage(file(), { sqliteDriver: driver });
      try {
        s.apiKeys.insert(apiKey());
        expect(detail(thrown(() => s.apiKeys.insert(apiKey())))).toEqual({
          code: 'OV_STORAGE_CONSTRAINT',
          detail: { sqlite: 'SQLITE_CONSTRAINT_PRIMARYKEY' },
        });
      } finally {
        s.close();
      }
      const garbage = file();
      writeFileSync(garbage, Buffer.alloc(4096, 7), { mode: 0o600 });
      expect(detail(thrown(() => openStorage(garbage, { sqliteDriver: driver })))).toEqual({
        code: 'OV_STORAGE_CORRUPT',
        detail: { sqlite: 'SQLITE_NOTADB' },
      });
    });

    it('turns a nested transaction into a savepoint: its failure undoes only its own writes', () => {
      const s = openStorage(file(), { sqliteDriver: driver });
      try {
        s.transaction(() => {
          s.apiKeys.insert(apiKey({ id: 'outer' }));
          thrown(() =>
            s.transaction(() => {
              s.apiKeys.insert(apiKey({ id: 'inner' }));
              throw new Error('inner fails');
            }),
          );
        });
        expect(s.apiKeys.list().map((k) => k.id)).toEqual(['outer']);
        // A failing outer transaction undoes everything, savepoints included.
        thrown(() =>
          s.transaction(() => {
            s.apiKeys.insert(apiKey({ id: 'second' }));
            s.transaction(() => s.apiKeys.insert(apiKey({ id: 'third' })));
            throw new Error('outer fails');
          }),
        );
        expect(s.apiKeys.list().map((k) => k.id)).toEqual(['outer']);
      } finally {
        s.close();
      }
    });
  });
}

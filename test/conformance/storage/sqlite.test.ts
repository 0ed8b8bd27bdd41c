/**
 * The storage conformance suite against SQLite: a real file per storage, in a temp dir,
 * once with each driver that loads on this runtime (better-sqlite3 where its addon was
 * built for this Node, node:sqlite from Node 22.13).
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../../src/storage/index.js';
import { resolveSqliteDriver, type SqliteDriverName } from '../../../src/storage/sqlite/driver.js';
import { openRawDb } from '../../helpers/raw-sqlite.js';
import { tempDir } from '../../unit/storage/helpers.js';
import { describeStorageConformance } from './index.js';

const { dir, cleanup } = tempDir();
let files = 0;
afterAll(cleanup);

const drivers: SqliteDriverName[] = (['better-sqlite3', 'node'] as const).filter((d) => resolveSqliteDriver(d) === d);
const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);

it('runs with every driver this runtime has', () => {
  // node:sqlite is built in from 22.13 on; better-sqlite3 is required where node:sqlite is absent.
  const nodeSqlite = major > 22 || (major === 22 && minor >= 13);
  expect(drivers.includes('node')).toBe(nodeSqlite);
  if (!nodeSqlite) expect(drivers).toEqual(['better-sqlite3']);
});

for (const driver of drivers) {
  describe(`sqlite backend (${driver})`, () => {
    it('opens with the driver asked for', () => {
      const s = openStorage(join(dir, `vault-${++files}.db`), { sqliteDriver: driver });
      expect(s.settings().driver).toBe(driver);
      s.close();
    });
    it('changeMark moves when another connection commits to the secret tables (from the next event-loop turn on; not for its reads)', async () => {
      const file = join(dir, `vault-${++files}.db`);
      const s = openStorage(file, { sqliteDriver: driver });
      const other = openRawDb(file);
      try {
        const before = s.secrets.changeMark();
        other.prepare('SELECT count(*) FROM secret_versions').get();
        await new Promise((r) => setImmediate(r));
        expect(s.secrets.changeMark()).toBe(before);
        other.prepare("INSERT INTO secret_meta (path, max_versions, cas_required, custom_metadata, current_version, created_at, updated_at) VALUES ('x', 0, 0, '{}', 0, 1, 1)").run();
        // Asked once per turn: within the turn it answers as of its first question.
        expect(s.secrets.changeMark()).toBe(before);
        await new Promise((r) => setImmediate(r));
        const after = s.secrets.changeMark();
        expect(after).not.toBe(before);
        expect(s.secrets.changeMark()).toBe(after);
      } finally {
        other.close();
        s.close();
      }
    });
    describeStorageConformance(`sqlite/${driver}`, () => openStorage(join(dir, `vault-${++files}.db`), { sqliteDriver: driver }));
  });
}

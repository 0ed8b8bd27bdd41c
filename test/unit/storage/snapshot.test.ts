/**
 * `Storage.snapshot` on SQLite, with each driver this runtime has: the copy is one
 * self-contained 0600 file holding exactly what was committed, with its own schema
 * version and last audit sequence number; an existing target, a call inside a
 * transaction or after close is refused and leaves no file behind.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStorage } from '../../../src/storage/index.js';
import { resolveSqliteDriver, type SqliteDriverName } from '../../../src/storage/sqlite/driver.js';
import { auditRow, expectCode } from '../../conformance/storage/fixtures.js';
import { apiKey, tempDir, thrown } from './helpers.js';

const { dir, cleanup } = tempDir();
afterAll(cleanup);
let n = 0;
const drivers: SqliteDriverName[] = (['better-sqlite3', 'node'] as const).filter((d) => resolveSqliteDriver(d) === d);

for (const driver of drivers) {
  describe(`snapshot (${driver})`, () => {
    it('copies what was committed into one 0600 file and reads its schema version and audit head from the copy', () => {
      const s = openStorage(join(dir, `src-${++n}.db`), { sqliteDriver: driver, durability: 'async-sync' });
      s.apiKeys.insert(apiKey());
      s.audit.append(auditRow(1));
      s.audit.append(auditRow(2));
      const into = join(dir, `copy-${n}.db`);
      const info = s.snapshot(into);
      s.audit.append(auditRow(3)); // after the copy: not in it
      expect(info).toEqual({ schemaVersion: s.schemaVersion, auditSeq: 2 });
      expect(statSync(into).mode & 0o777).toBe(0o600);
      expect(existsSync(`${into}-wal`)).toBe(false);
      s.close();
      const c = openStorage(into, { readonly: true });
      try {
        expect(c.apiKeys.list()).toEqual([apiKey()]);
        expect(c.audit.last()?.seq).toBe(2);
      } finally {
        c.close();
      }
    });

    it('an empty audit log gives sequence 0', () => {
      const s = openStorage(join(dir, `src-${++n}.db`), { sqliteDriver: driver });
      expect(s.snapshot(join(dir, `copy-${n}.db`)).auditSeq).toBe(0);
      s.close();
    });

    it('refuses an existing target, a call inside a transaction and a closed storage, changing nothing', () => {
      const s = openStorage(join(dir, `src-${++n}.db`), { sqliteDriver: driver });
      const taken = join(dir, `taken-${n}`);
      writeFileSync(taken, 'keep me');
      expectCode(thrown(() => s.snapshot(taken)), 'OV_IO');
      expect(readFileSync(taken, 'utf8')).toBe('keep me');
      const inTx = join(dir, `tx-${n}.db`);
      expectCode(thrown(() => s.transaction(() => s.snapshot(inTx))), 'OV_IO');
      expect(existsSync(inTx)).toBe(false);
      s.close();
      const closed = join(dir, `closed-${n}.db`);
      expectCode(thrown(() => s.snapshot(closed)), 'OV_IO');
      expect(existsSync(closed)).toBe(false);
    });
  });
}

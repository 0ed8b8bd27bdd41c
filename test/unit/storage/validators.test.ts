/**
 * Migration 4 as the database enforces it on its own (the store-level cases every backend
 * shares are in test/conformance/storage): raw SQL on a second connection, bypassing the
 * store, still hits the one-active-key index and the append-only triggers.
 */
import { join } from 'node:path';
import { openRawDb } from '../../helpers/raw-sqlite.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStorage, type SqliteStorageHandle } from '../../../src/storage/sqlite.js';
import { validatorKey as key, validatorSlot as slot } from '../../conformance/storage/fixtures.js';
import { tempDir } from './helpers.js';

describe('validator tables (migration 4)', () => {
  let t: ReturnType<typeof tempDir>;
  let s: SqliteStorageHandle;
  beforeEach(() => {
    t = tempDir();
    s = openStorage(join(t.dir, 'vault.db'));
    s.validators.insertSlot(slot());
  });
  afterEach(() => {
    s.close();
    t.cleanup();
  });

  it('refuses a second active key to raw SQL too', () => {
    s.validators.insertKey(key());
    const pending = key({ state: 'pending', activatedAt: null });
    s.validators.insertKey(pending);
    const db = openRawDb(join(t.dir, 'vault.db'));
    try {
      expect(() => db.prepare("UPDATE validator_keys SET state = 'active' WHERE id = ?").run(pending.id)).toThrow(/UNIQUE/);
    } finally {
      db.close();
    }
    expect(s.validators.keysOf('eth-1').filter((k) => k.state === 'active')).toHaveLength(1);
  });

  it('refuses to edit or delete a record through raw SQL', () => {
    s.validators.appendRecord({ slot: 'eth-1', seq: 1, record: '{}', hash: new Uint8Array(32) });
    const db = openRawDb(join(t.dir, 'vault.db'));
    try {
      expect(() => db.prepare("UPDATE validator_records SET record = '{\"x\":1}'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM validator_records').run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
    expect(s.validators.records('eth-1').map((r) => r.record)).toEqual(['{}']);
  });
});

/**
 * The migration runner: a dense, append-only list; each migration and its user_version bump
 * commit together or not at all; re-running is a no-op.
 */
import { openRawDb, type RawDb } from '../../helpers/raw-sqlite.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  APPLICATION_ID,
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  applyMigrations,
  schemaVersion,
  type Migration,
} from '../../../src/storage/migrations.js';
import { toVaultError } from '../../../src/storage/sqlite/driver.js';
import { thrown } from './helpers.js';

function tables(db: RawDb): string[] {
  return (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all() as string[]);
}

describe('migrations', () => {
  let db: RawDb;
  beforeEach(() => {
    db = openRawDb(':memory:');
  });
  afterEach(() => db.close());

  it('is a dense list numbered from 1, and LATEST_SCHEMA_VERSION is its last entry', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(LATEST_SCHEMA_VERSION).toBe(MIGRATIONS.length);
    expect(Object.isFrozen(MIGRATIONS)).toBe(true);
  });

  it('creates every table STRICT, with the session indexes, and stamps version and application id', () => {
    expect(applyMigrations(db)).toBe(LATEST_SCHEMA_VERSION);
    const all = ['api_keys', 'audit_archives', 'audit_checkpoints', 'audit_log', 'keyring_keys', 'keyring_policy', 'meta', 'secret_meta', 'secret_versions', 'sessions', 'transit_key_versions', 'transit_keys', 'validator_keys', 'validator_records', 'validator_slots'];
    expect(tables(db)).toEqual(all);
    for (const t of all) {
      const sql = db.prepare('SELECT sql FROM sqlite_schema WHERE name = ?').pluck().get(t) as string;
      expect(sql).toMatch(/\)\s*STRICT/);
    }
    const indexes = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'sessions' AND sql IS NOT NULL ORDER BY name").pluck().all();
    expect(indexes).toEqual(['sessions_api_key_id', 'sessions_expires_at']);
    expect(db.pragma('application_id', { simple: true })).toBe(APPLICATION_ID);
  });

  it('does nothing when run again', () => {
    applyMigrations(db);
    db.prepare("INSERT INTO meta VALUES ('k', x'01')").run();
    expect(applyMigrations(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(db.prepare('SELECT count(*) FROM meta').pluck().get()).toBe(1);
  });

  it('commits each migration separately: a failing one is undone whole, earlier ones stay', () => {
    const list: Migration[] = [
      { version: 1, description: 'one', sql: 'CREATE TABLE one (x INTEGER) STRICT;' },
      { version: 2, description: 'two', sql: 'CREATE TABLE two (x INTEGER) STRICT; CREATE TABLE three (oops' },
    ];
    const e = thrown(() => applyMigrations(db, list));
    // A driver error (not one of ours), whichever driver runs.
    expect(toVaultError(e)).toMatchObject({ code: 'OV_IO', detail: { sqlite: 'SQLITE_ERROR' } });
    expect(schemaVersion(db)).toBe(1);
    expect(tables(db)).toEqual(['one']);
    expect(db.inTransaction).toBe(false);
  });

  it('continues from an intermediate version without re-running earlier migrations', () => {
    const first: Migration[] = [{ version: 1, description: 'one', sql: 'CREATE TABLE one (x INTEGER) STRICT;' }];
    applyMigrations(db, first);
    const both: Migration[] = [...first, { version: 2, description: 'two', sql: 'CREATE TABLE two (x INTEGER) STRICT;' }];
    expect(applyMigrations(db, both)).toBe(2);
    expect(tables(db)).toEqual(['one', 'two']);
  });

  it('refuses a list with a gap before touching the database', () => {
    const gap: Migration[] = [
      { version: 1, description: 'one', sql: 'CREATE TABLE one (x INTEGER);' },
      { version: 3, description: 'three', sql: 'CREATE TABLE three (x INTEGER);' },
    ];
    expect(thrown(() => applyMigrations(db, gap))).toBeInstanceOf(TypeError);
    expect(schemaVersion(db)).toBe(0);
    expect(tables(db)).toEqual([]);
  });
});

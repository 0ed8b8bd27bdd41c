/**
 * What the PostgreSQL backend adds to the storage contract: opening and migrating a shared
 * database, the failures a network database has (unreachable, too slow) and the parts of
 * the SQL dialect it rewrites.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { VaultError } from '../../../src/errors.js';
import { SyncPg } from '../../../src/storage/postgres/bridge.js';
import { toPgSql } from '../../../src/storage/postgres/db.js';
import { openPostgresStorage, type PostgresStorageHandle } from '../../../src/storage/postgres/index.js';
import { LATEST_SCHEMA_VERSION } from '../../../src/storage/migrations.js';
import { freshDatabaseSync } from '../../helpers/pg.js';
import { apiKey, thrown } from './helpers.js';

const opened: { close(): void }[] = [];
afterAll(() => {
  for (const s of opened) s.close();
});

function open(url: string, opts: { node?: string; readonly?: boolean; timeoutMs?: number } = {}): PostgresStorageHandle {
  const s = openPostgresStorage({ url, ...opts });
  opened.push(s);
  return s;
}

function raw(url: string): SyncPg {
  const pg = new SyncPg({ url, timeoutMs: 10_000, applicationName: 'test' });
  opened.push(pg);
  return pg;
}

function code(e: unknown): string {
  expect(e).toBeInstanceOf(VaultError);
  return (e as VaultError).code;
}

describe('opening a PostgreSQL database', () => {
  it('creates the schema at the latest version, once, and a second node adds only its audit chain', () => {
    const url = freshDatabaseSync();
    const a = open(url, { node: 'a' });
    expect(a.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    a.apiKeys.insert(apiKey());
    const b = open(url, { node: 'b' });
    expect(b.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    // Shared tables: b sees what a wrote.
    expect(b.apiKeys.get('key-1')?.label).toBe('ci deploy');
    expect(a.auditNodes()).toEqual(['a', 'b']);
    const version = raw(url).query('SELECT count(*) FROM ov_schema').rows[0]?.[0];
    expect(version).toBe(1);
  });

  it('keeps each node on its own audit chain', () => {
    const url = freshDatabaseSync();
    const a = open(url, { node: 'a' });
    const b = open(url, { node: 'b' });
    a.audit.append({ seq: 1, time: 1, entry: '{"op":"a"}', hash: new Uint8Array(32).fill(1) });
    expect(b.audit.head()).toBeUndefined();
    b.audit.append({ seq: 1, time: 2, entry: '{"op":"b"}', hash: new Uint8Array(32).fill(2) });
    expect(a.audit.get(1)?.hash[0]).toBe(1);
    expect(b.audit.get(1)?.hash[0]).toBe(2);
  });

  it('upgrades a version-6 database: each node drops its own path index at its start, entries kept', () => {
    const url = freshDatabaseSync();
    for (const node of ['a', 'b']) {
      const s = open(url, { node });
      s.audit.append({ seq: 1, time: 1, entry: `{"op":"${node}"}`, hash: new Uint8Array(32).fill(1) });
      s.close();
    }
    const pg = raw(url);
    const pathIndex = (node: string): boolean => pg.query('SELECT to_regclass($1) IS NOT NULL', [`ov_audit_${node}.audit_log_path`]).rows[0]?.[0] === true;
    // The index and the version as version 6 wrote them.
    pg.exec('CREATE INDEX audit_log_path ON ov_audit_a.audit_log (path); CREATE INDEX audit_log_path ON ov_audit_b.audit_log (path); UPDATE ov_schema SET version = 6');
    expect(code(thrown(() => open(url, { node: 'a', readonly: true })))).toBe('OV_STORAGE_OUTDATED');
    const a = open(url, { node: 'a' });
    expect(a.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect(LATEST_SCHEMA_VERSION).toBe(7);
    expect([pathIndex('a'), pathIndex('b')]).toEqual([false, true]);
    expect(a.audit.get(1)?.entry).toBe('{"op":"a"}');
    const b = open(url, { node: 'b' });
    expect(b.schemaVersion).toBe(LATEST_SCHEMA_VERSION);
    expect([pathIndex('a'), pathIndex('b')]).toEqual([false, false]);
    expect(b.audit.get(1)?.entry).toBe('{"op":"b"}');
  });

  it('refuses a newer schema version and leaves it as it was', () => {
    const url = freshDatabaseSync();
    open(url).close();
    const pg = raw(url);
    pg.exec(`UPDATE ov_schema SET version = ${LATEST_SCHEMA_VERSION + 1}`);
    expect(code(thrown(() => open(url)))).toBe('OV_STORAGE_VERSION');
    expect(pg.query('SELECT version FROM ov_schema').rows[0]?.[0]).toBe(LATEST_SCHEMA_VERSION + 1);
  });

  it("refuses another application's tables without touching them", () => {
    const url = freshDatabaseSync();
    const pg = raw(url);
    pg.exec('CREATE TABLE meta (x int); INSERT INTO meta VALUES (7)');
    expect(code(thrown(() => open(url)))).toBe('OV_STORAGE_CORRUPT');
    expect(pg.query('SELECT x FROM meta').rows).toEqual([[7]]);
    expect(pg.query("SELECT to_regclass('public.ov_schema') IS NULL").rows[0]?.[0]).toBe(true);
  });

  it('read-only: refuses an empty database (OV_STORAGE_OUTDATED) and creates nothing', () => {
    const url = freshDatabaseSync();
    expect(code(thrown(() => open(url, { readonly: true })))).toBe('OV_STORAGE_OUTDATED');
    expect(raw(url).query("SELECT to_regclass('public.ov_schema') IS NULL").rows[0]?.[0]).toBe(true);
  });

  it('refuses a malformed node name or timeout', () => {
    const url = freshDatabaseSync();
    expect(code(thrown(() => open(url, { node: 'A-1' })))).toBe('OV_INVALID_ARGUMENT');
    expect(code(thrown(() => open(url, { node: '' })))).toBe('OV_INVALID_ARGUMENT');
    expect(code(thrown(() => open(url, { timeoutMs: 10 })))).toBe('OV_INVALID_ARGUMENT');
    expect(raw(url).query("SELECT to_regclass('public.ov_schema') IS NULL").rows[0]?.[0]).toBe(true);
  });

  it('fails fast with OV_STORAGE_UNAVAILABLE when nothing listens', () => {
    const e = thrown(() => openPostgresStorage({ url: 'postgres://postgres@127.0.0.1:1/none', timeoutMs: 2000 }));
    expect(code(e)).toBe('OV_STORAGE_UNAVAILABLE');
  });
});

describe('a statement that outlives the timeout', () => {
  it('fails with OV_STORAGE_UNAVAILABLE, rolls back its transaction, and the next call reconnects', () => {
    const url = freshDatabaseSync();
    const s = open(url, { timeoutMs: 300 });
    const e = thrown(() =>
      s.transaction(() => {
        s.apiKeys.insert(apiKey({ id: 'slow' }));
        s.pg.query('SELECT pg_sleep(5)');
      }),
    );
    expect(code(e)).toBe('OV_STORAGE_UNAVAILABLE');
    expect(s.apiKeys.get('slow')).toBeUndefined();
    s.apiKeys.insert(apiKey({ id: 'after' }));
    expect(s.apiKeys.get('after')?.id).toBe('after');
  });
});

describe('statements prepared on the server', () => {
  it('stay bounded however often a statement is iterated (each cursor is a one-off)', () => {
    const s = open(freshDatabaseSync());
    s.apiKeys.insert(apiKey());
    const count = (): unknown => s.pg.query('SELECT count(*) FROM pg_prepared_statements').rows[0]?.[0];
    const walk = (n: number): void => {
      for (let i = 0; i < n; i++) expect([...s.sessions.loadAll()]).toEqual([]);
    };
    walk(3);
    const after3 = count();
    walk(30);
    expect(count()).toBe(after3);
  });
});

describe('toPgSql', () => {
  it('numbers ? parameters and leaves quoted text alone', () => {
    expect(toPgSql("SELECT a FROM t WHERE b = ? AND c = '?' AND d = ?").sql).toBe("SELECT a FROM t WHERE b = $1 AND c = '?' AND d = $2");
  });
  it('maps named parameters to one number each, in first-use order', () => {
    const r = toPgSql('SELECT x FROM t WHERE a > @after AND b = @limit AND c < @after');
    expect(r.sql).toBe('SELECT x FROM t WHERE a > $1 AND b = $2 AND c < $1');
    expect(r.names).toEqual(['after', 'limit']);
  });
  it('rewrites the SQLite spellings the stores use', () => {
    expect(toPgSql('SELECT x FROM t INDEXED BY t_time WHERE a = ?').sql).toBe('SELECT x FROM t WHERE a = $1');
    expect(toPgSql('SELECT max((SELECT 1), (SELECT 2))').sql).toBe('SELECT greatest((SELECT 1), (SELECT 2))');
    expect(toPgSql('SELECT substr(p, 1, length(@prefix)) = @prefix').sql).toBe('SELECT substr(p, 1, length(CAST($1 AS text))) = $1');
  });
  it('refuses SQL that mixes ? and @name, or leaves a string open', () => {
    expect(() => toPgSql('SELECT ? + @a')).toThrow(TypeError);
    expect(() => toPgSql("SELECT 'open")).toThrow(TypeError);
  });
});

/**
 * `vault setup --gen-keys` with `[storage] backend = "postgres"`, as the real CLI against
 * a new database on the test server: the vault's rows go to the database, the files stay
 * in the data dir; a second run is refused with OV_STORAGE_EXISTS and `--force` with
 * OV_CLUSTER_MEMBERS_LIVE while a node holds a live lease, both leaving the database and
 * the files exactly as they were; `--force` with no live lease drops and recreates.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/errors.js';
import { assertBuilt, expectOk, makeSandbox, type Sandbox } from '../helpers/cli.js';
import { freshDatabase } from '../helpers/pg.js';
import { databaseDigest, pgQuery, writePgConfig } from '../helpers/pg-vault.js';

let sb: Sandbox;
let url: string;
let dir: string;

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

beforeAll(async () => {
  assertBuilt();
  sb = makeSandbox('vault-pg-setup-');
  url = await freshDatabase();
  dir = sb.path('vault');
  writePgConfig(dir, url, { unsealKeyFile: join(dir, 'unseal.key') });
});

afterAll(() => {
  sb.cleanup();
});

describe('vault setup on PostgreSQL', () => {
  it('creates the vault in the database and keeps only the files in the data dir', async () => {
    const r = await sb.run(['setup', '--gen-keys', '--unseal-key-file', join(dir, 'unseal.key'), '--data-dir', dir, '--json']);
    expectOk(r);
    const doc = JSON.parse(r.out) as Record<string, unknown>;
    expect(doc['backend']).toBe('postgres');
    expect(String(doc['database'])).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/ov_t_/);
    expect(existsSync(join(dir, 'vault.db'))).toBe(false);
    expect(existsSync(join(dir, 'admin.token'))).toBe(true);
    const keys = await pgQuery(url, 'SELECT id FROM api_keys');
    expect(keys.map((k) => k[0])).toEqual([doc['admin_key_id']]);
    const audit = await pgQuery(url, 'SELECT count(*) FROM ov_audit_main.audit_log');
    expect(Number(audit[0]?.[0])).toBeGreaterThanOrEqual(1);
  });

  it('refuses a second run with OV_STORAGE_EXISTS: exit 1, nothing changed', async () => {
    const before = { db: await databaseDigest(url), token: sha(join(dir, 'admin.token')), key: sha(join(dir, 'unseal.key')) };
    const r = await sb.run(['setup', '--gen-keys', '--unseal-key-file', join(dir, 'unseal.key'), '--data-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^vault: error: ${ERRORS.OV_STORAGE_EXISTS.message}: postgres://postgres@127\\.0\\.0\\.1:\\d+/ov_t_\\w+\\n`));
    expect(r.stderr).toContain('vault: hint: nothing was changed');
    expect(r.stderr).not.toContain(':postgres@'); // no password in a message, and none here to show
    expect({ db: await databaseDigest(url), token: sha(join(dir, 'admin.token')), key: sha(join(dir, 'unseal.key')) }).toEqual(before);
  });

  it('refuses --force with OV_CLUSTER_MEMBERS_LIVE while a node holds a live lease: nothing changed', async () => {
    await pgQuery(url, 'CREATE TABLE IF NOT EXISTS ov_cluster_nodes (node text PRIMARY KEY, addr text, lease_until bigint)');
    await pgQuery(url, "INSERT INTO ov_cluster_nodes (node, addr, started_at, lease_until, renewed_at) VALUES ('other', 'http://10.0.0.2:8420', 0, $1, 0)", [Date.now() + 3_600_000]);
    const before = { db: await databaseDigest(url), token: sha(join(dir, 'admin.token')), key: sha(join(dir, 'unseal.key')) };
    const r = await sb.run(['setup', '--gen-keys', '--force', '--unseal-key-file', join(dir, 'unseal.key'), '--data-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.stderr).toMatch(new RegExp(`^vault: error: ${ERRORS.OV_CLUSTER_MEMBERS_LIVE.message}: live lease held by other\\n`));
    expect(r.stderr).toContain('vault: hint: nothing was changed');
    expect({ db: await databaseDigest(url), token: sha(join(dir, 'admin.token')), key: sha(join(dir, 'unseal.key')) }).toEqual(before);
  });

  it('--force with every lease expired drops the vault (audit schemas included) and creates a new one', async () => {
    await pgQuery(url, 'UPDATE ov_cluster_nodes SET lease_until = $1', [Date.now() - 1000]);
    // Another node's audit chain, which the drop must take too.
    await pgQuery(url, 'CREATE SCHEMA ov_audit_other; CREATE TABLE ov_audit_other.audit_log (seq bigint)');
    const oldKey = (await pgQuery(url, 'SELECT id FROM api_keys'))[0]?.[0];
    const r = await sb.run(['setup', '--gen-keys', '--force', '--unseal-key-file', join(dir, 'unseal.key'), '--data-dir', dir, '--json']);
    expectOk(r);
    const doc = JSON.parse(r.out) as Record<string, unknown>;
    expect(doc['dropped_schemas']).toEqual(['ov_audit_main', 'ov_audit_other']);
    expect(doc['admin_key_id']).not.toBe(oldKey);
    expect((await pgQuery(url, 'SELECT id FROM api_keys')).map((k) => k[0])).toEqual([doc['admin_key_id']]);
    const schemas = await pgQuery(url, "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ov\\_audit\\_%' ORDER BY 1");
    expect(schemas.map((s) => s[0])).toEqual(['ov_audit_main']);
    expect((doc['backups'] as unknown[]).length).toBeGreaterThanOrEqual(2);
  });

  it('refuses a postgres backend without a URL (OV_CONFIG_INVALID) and creates nothing', async () => {
    const other = sb.path('no-url');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'config.toml'), '[storage]\nbackend = "postgres"\n');
    const r = await sb.run(['setup', '--gen-keys', '--data-dir', other]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^vault: error: ${ERRORS.OV_CONFIG_INVALID.message}`));
    expect(existsSync(join(other, 'vault.db'))).toBe(false);
    expect(existsSync(join(other, 'admin.token'))).toBe(false);
  });
});

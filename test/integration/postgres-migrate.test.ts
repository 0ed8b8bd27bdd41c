/**
 * `vault operator migrate` with real processes: a SQLite vault with secrets, transit keys,
 * sessions, a validator and audit entries is copied into a new PostgreSQL database; the
 * command refuses while the source's daemon runs and when the target holds a vault
 * (without --force), both with nothing changed; after the copy, a daemon on PostgreSQL
 * (the same data dir, its config pointed at the database) reads the secrets, and
 * `vault audit verify` passes on the migrated chain.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/errors.js';
import { assertBuilt, expectOk, hasScript, makeSandbox, type CliResult, type RunOptions, type Sandbox } from '../helpers/cli.js';
import { logSources, SecretSet, setupVault, startDaemon, type Daemon } from '../helpers/daemon.js';
import { freshDatabase } from '../helpers/pg.js';
import { databaseDigest, pgQuery, writePgConfig } from '../helpers/pg-vault.js';
import { fastKeystore } from './validator-fixture.js';

let sb: Sandbox;
let url: string;
let dir: string;
let daemon: Daemon;
const secrets = new SecretSet();
const PASSWORD = secrets.add('db password', 'migrate-db-password-71f0aa2c');
const logDir = (): string => join(sb.dir, 'logs');

function cli(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return sb.run(args, { ...opts, env: { ONTOREF_ADDR: daemon.addr, ONTOREF_DATA_DIR: dir, ...(opts.env ?? {}) } });
}

beforeAll(async () => {
  assertBuilt();
  sb = makeSandbox('vault-pg-migrate-');
  url = await freshDatabase();
  dir = sb.path('vault');
  await setupVault(sb, dir, ['--unseal-key-file', join(dir, 'unseal.key')]);
  daemon = await startDaemon({ home: sb.home, logDir: logDir(), env: { ONTOREF_DATA_DIR: dir } });
  expectOk(await cli(['login', '--admin']));
  expectOk(await cli(['secrets', 'put', 'app/db', 'password=-'], { stdin: PASSWORD }));
  expectOk(await cli(['secrets', 'put', 'app/db', 'password=-'], { stdin: `${PASSWORD}-v2` }));
  secrets.add('db password v2', `${PASSWORD}-v2`);
  expectOk(await cli(['transit', 'create', 'orders']));
  const ks = await fastKeystore(secrets, 'keystore-password-1234');
  writeFileSync(sb.path('ks.json'), ks.text, { mode: 0o600 });
  writeFileSync(sb.path('pw.txt'), 'keystore-password-1234', { mode: 0o600 });
  secrets.add('keystore password', 'keystore-password-1234');
  expectOk(await cli(['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--keystore', sb.path('ks.json'), '--password-file', sb.path('pw.txt')]));
}, 120_000);

afterAll(async () => {
  await daemon?.stop('SIGKILL');
  sb.cleanup();
});

describe('vault operator migrate', () => {
  it('refuses while the source daemon runs: exit 1, the target untouched', async () => {
    const r = await sb.run(['operator', 'migrate', '--from', `sqlite:${dir}`, '--to', 'postgres'], { env: { ONTOREF_PG_URL: url } });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^vault: error: ${ERRORS.OV_DATADIR_LOCKED.message}`));
    expect(await databaseDigest(url)).toEqual({});
  });

  it('copies every table, verifies every row, and prints the counts', async () => {
    await daemon.stop();
    const r = await sb.run(['operator', 'migrate', '--from', `sqlite:${dir}`, '--to', 'postgres', '--node', 'alpha', '--json'], { env: { ONTOREF_PG_URL: url } });
    expectOk(r);
    const doc = JSON.parse(r.out) as { node: string; verified: boolean; tables: { table: string; rows: number }[] };
    expect(doc.node).toBe('alpha');
    expect(doc.verified).toBe(true);
    const rows = Object.fromEntries(doc.tables.map((t) => [t.table, t.rows]));
    for (const t of ['meta', 'api_keys', 'sessions', 'keyring_policy', 'keyring_keys', 'secret_meta', 'transit_keys', 'validator_slots', 'validator_keys', 'audit_log', 'audit_checkpoints']) {
      expect(rows[t], t).toBeGreaterThan(0);
    }
    expect(rows['secret_versions']).toBe(2);
    const audit = await pgQuery(url, 'SELECT count(*) FROM ov_audit_alpha.audit_log');
    expect(Number(audit[0]?.[0])).toBe(rows['audit_log']);
    // Quiet when piped: no progress lines.
    expect(r.stderr).toBe('');
  });

  it('refuses a target that holds a vault without --force: exit 1, nothing changed', async () => {
    const before = await databaseDigest(url);
    const r = await sb.run(['operator', 'migrate', '--from', `sqlite:${dir}`, '--to', 'postgres', '--node', 'alpha'], { env: { ONTOREF_PG_URL: url } });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(new RegExp(`^vault: error: ${ERRORS.OV_STORAGE_EXISTS.message}: postgres://`));
    expect(await databaseDigest(url)).toEqual(before);
  });

  it('refuses a bad --from and --to with usage errors', async () => {
    const a = await sb.run(['operator', 'migrate', '--from', dir, '--to', 'postgres'], { env: { ONTOREF_PG_URL: url } });
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('--from takes sqlite:PATH');
    const b = await sb.run(['operator', 'migrate', '--from', `sqlite:${dir}`, '--to', 'mysql://x']);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('--to takes postgres or postgres:URL');
  });

  it('with --force, copies again over the old copy', async () => {
    const r = await sb.run(['operator', 'migrate', '--from', `sqlite:${dir}`, '--to', 'postgres', '--node', 'alpha', '--force'], { env: { ONTOREF_PG_URL: url } });
    expectOk(r);
    expect(r.out).toMatch(/^secret_versions +2$/m);
  });

  it.runIf(hasScript())('shows its progress on a terminal', async () => {
    const r = await sb.run(['operator', 'migrate', '--from', `sqlite:${dir}`, '--to', 'postgres', '--node', 'alpha', '--force'], { env: { ONTOREF_PG_URL: url }, tty: true });
    expectOk(r);
    expect(r.out).toContain('copying audit_log: ');
    expect(r.out).toMatch(/every row verified/);
  });

  it('serves the migrated vault from PostgreSQL: secrets read back, the audit chain verifies', async () => {
    writePgConfig(dir, url, { unsealKeyFile: join(dir, 'unseal.key'), node: 'alpha' });
    daemon = await startDaemon({ home: sb.home, logDir: logDir(), env: { ONTOREF_DATA_DIR: dir } });
    expectOk(await cli(['login', '--admin']));
    const g = await cli(['secrets', 'get', 'app/db', '--field', 'password', '--version', '1']);
    expectOk(g);
    expect(g.out.trim()).toBe(PASSWORD);
    expect((await cli(['transit', 'list'])).out).toBe('orders\n');
    await daemon.stop();
    expectOk(await sb.run(['audit', 'verify', '--data-dir', dir]));
  });

  it('never logs a secret value', () => {
    expect(secrets.findIn(logSources(logDir()))).toEqual([]);
  });
});

/**
 * Snapshots of a daemon on PostgreSQL, with real processes: `vault snapshot save` taken
 * while writes go on gives the same signed format as on SQLite (the vault's rows in a
 * SQLite file), `vault snapshot inspect` verifies it against the database's keys, it
 * restores into a SQLite data dir whose audit chain then verifies, and `vault snapshot
 * restore` into the PostgreSQL data dir itself is refused with nothing changed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/errors.js';
import { LATEST_SCHEMA_VERSION } from '../../src/storage/migrations.js';
import { openStorage } from '../../src/storage/sqlite.js';
import { parseSnapshot } from '../../src/snapshot/index.js';
import { assertBuilt, expectOk, makeSandbox, type CliResult, type RunOptions, type Sandbox } from '../helpers/cli.js';
import { api, logSources, SecretSet, setupVault, sleep, startDaemon, type Daemon } from '../helpers/daemon.js';
import { freshDatabase } from '../helpers/pg.js';
import { databaseDigest, pgQuery, writePgConfig } from '../helpers/pg-vault.js';

let sb: Sandbox;
let url: string;
let dir: string;
let daemon: Daemon;
let fingerprint: string;
const secrets = new SecretSet();
const VALUE = secrets.add('snapshot secret', 'pg-snapshot-secret-value-5d3c');

function cli(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return sb.run(args, { ...opts, env: { ONTOREF_ADDR: daemon.addr, ONTOREF_DATA_DIR: dir, ...(opts.env ?? {}) } });
}

beforeAll(async () => {
  assertBuilt();
  sb = makeSandbox('vault-pg-snapshot-');
  url = await freshDatabase();
  dir = sb.path('vault');
  writePgConfig(dir, url, { unsealKeyFile: join(dir, 'unseal.key') });
  const setup = await setupVault(sb, dir, ['--unseal-key-file', join(dir, 'unseal.key')]);
  fingerprint = String((JSON.parse(setup.result.out) as Record<string, unknown>)['signing_key_fingerprint']);
  daemon = await startDaemon({ home: sb.home, logDir: join(sb.dir, 'logs'), env: { ONTOREF_DATA_DIR: dir } });
  expectOk(await cli(['login', '--admin']));
  expectOk(await cli(['secrets', 'put', 'app/db', 'password=-'], { stdin: VALUE }));
}, 60_000);

afterAll(async () => {
  await daemon?.stop('SIGKILL');
  sb.cleanup();
});

describe('snapshots on PostgreSQL', () => {
  const file = (): string => sb.path('vault.snap');

  it('saves a signed snapshot while writes go on; inspect verifies it against the database keys', async () => {
    const key = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
    const s = await api(daemon.addr, 'POST', '/v1/sessions', { json: { key } });
    const token = (s.json as { token: string }).token;
    let stop = false;
    let written = 0;
    const load = (async () => {
      while (!stop) {
        const r = await api(daemon.addr, 'PUT', `/v1/secrets/load/n${written}`, { token, json: { data: { v: 'load-value' } } });
        if (r.status === 200) written++;
        await sleep(5);
      }
    })();
    let save: CliResult;
    try {
      while (written < 5) await sleep(20);
      save = await cli(['snapshot', 'save', file()]);
    } finally {
      stop = true;
      await load;
    }
    expectOk(save);
    const inspect = await cli(['snapshot', 'inspect', file(), '--json']);
    expectOk(inspect);
    const doc = JSON.parse(inspect.out) as { verified: boolean; key_fingerprint: string; manifest: Record<string, unknown> };
    expect(doc.verified).toBe(true);
    expect(doc.key_fingerprint).toBe(fingerprint);
    expect(doc.manifest['schema_version'] ?? doc.manifest['schemaVersion']).toBe(LATEST_SCHEMA_VERSION);

    // The data is a SQLite vault with the database's rows in it, sealed as they were.
    const snap = parseSnapshot(new Uint8Array(readFileSync(file())));
    const copy = sb.path('copy.db');
    writeFileSync(copy, snap.data, { mode: 0o600 });
    const st = openStorage(copy, { readonly: true });
    try {
      const paths = (await pgQuery(url, 'SELECT path FROM secret_meta ORDER BY path')).map((r) => String(r[0]));
      expect(paths).toContain('app/db');
      const inCopy = st.secrets.listPaths({ from: '', to: '\u{10ffff}' }, undefined, 100_000);
      expect(inCopy).toContain('app/db');
      // Consistent: taken during the load, it holds a prefix of what the database holds now.
      for (const p of inCopy) expect(paths).toContain(p);
      const head = st.audit.head()?.seq ?? 0;
      expect(head).toBe(snap.manifest.auditSeq);
      expect(head).toBeGreaterThan(0);
    } finally {
      st.close();
    }
    expect(Buffer.from(snap.data).includes(VALUE)).toBe(false);
  });

  it('restores into a SQLite data dir, whose audit chain verifies', async () => {
    const other = sb.path('restored');
    const r = await sb.run(['snapshot', 'restore', file(), '--expect-key', fingerprint, '--data-dir', other]);
    expectOk(r);
    const v = await sb.run(['audit', 'verify', '--data-dir', other]);
    expectOk(v);
  });

  it('refuses to restore into the PostgreSQL data dir: exit 1, nothing changed', async () => {
    const before = await databaseDigest(url);
    const r = await cli(['snapshot', 'restore', file(), '--expect-key', fingerprint]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(`vault: error: ${ERRORS.OV_INVALID_ARGUMENT.message}: snapshot restore replaces vault.db, and ${dir} keeps its vault in PostgreSQL`);
    expect(r.stderr).toContain('vault: hint: nothing was changed');
    expect(await databaseDigest(url)).toEqual(before);
  });

  it('never logs a secret value', async () => {
    await daemon.stop();
    expect(secrets.findIn(logSources(join(sb.dir, 'logs')))).toEqual([]);
  });
});

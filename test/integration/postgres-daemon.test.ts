/**
 * One daemon on PostgreSQL, end to end with real processes: `vault setup` into a new
 * database, `vault server` with `[storage] backend = "postgres"` (unsealing itself from its
 * key file), login, secrets put/get/list/delete, a transit key and an encryption, the audit
 * list, then a stop and a restart on the same database: everything is still there. The
 * daemon's logs never hold a secret value used here.
 *
 * Tests run in order and share one database.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, expectOk, makeSandbox, type CliResult, type RunOptions, type Sandbox } from '../helpers/cli.js';
import { api, logSources, logEveryRequest, SecretSet, setupVault, startDaemon, type Daemon } from '../helpers/daemon.js';
import { freshDatabase } from '../helpers/pg.js';
import { pgQuery, writePgConfig } from '../helpers/pg-vault.js';

let sb: Sandbox;
let url: string;
let dir: string;
let daemon: Daemon;
const logDir = (): string => join(sb.dir, 'logs');
const secrets = new SecretSet();
const PASSWORD = secrets.add('db password', 'pg-flow-password-7c1e0b9a4d');
const API_KEY = secrets.add('api key', 'pg-flow-apikey-e55f02c81b3a');
const PLAIN = secrets.add('transit plaintext', 'pg-flow-transit-plaintext-39aa');

function cli(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return sb.run(args, { ...opts, env: { ONTOREF_ADDR: daemon.addr, ONTOREF_DATA_DIR: dir, ...(opts.env ?? {}) } });
}

async function start(port?: number): Promise<Daemon> {
  return startDaemon({ home: sb.home, logDir: logDir(), env: { ONTOREF_DATA_DIR: dir }, ...(port === undefined ? {} : { port }) });
}

beforeAll(async () => {
  assertBuilt();
  sb = makeSandbox('vault-pg-daemon-');
  url = await freshDatabase();
  dir = sb.path('vault');
  writePgConfig(dir, url, { unsealKeyFile: join(dir, 'unseal.key') });
  logEveryRequest(dir);
  await setupVault(sb, dir, ['--unseal-key-file', join(dir, 'unseal.key')]);
  daemon = await start();
  expectOk(await cli(['login', '--admin']));
}, 60_000);

afterAll(async () => {
  await daemon?.stop('SIGKILL');
  sb.cleanup();
});

describe('a daemon on PostgreSQL', () => {
  it('is healthy and unsealed, on the database', async () => {
    const h = await api(daemon.addr, 'GET', '/v1/sys/health');
    expect(h.status).toBe(200);
    expect(h.json).toMatchObject({ initialized: true, sealed: false });
  });

  it('puts, gets, lists and deletes secrets; the rows are in the database, sealed', async () => {
    expectOk(await cli(['secrets', 'put', 'app/db', 'password=-'], { stdin: PASSWORD }));
    expectOk(await cli(['secrets', 'put', 'app/api', 'key=-'], { stdin: API_KEY }));
    expectOk(await cli(['secrets', 'put', 'app/tmp', 'x=-'], { stdin: 'short-lived-value-0001' }));
    const g = await cli(['secrets', 'get', 'app/db', '--field', 'password']);
    expectOk(g);
    expect(g.out.trim()).toBe(PASSWORD);
    const l = await cli(['secrets', 'list', 'app/']);
    expectOk(l);
    expect(l.out.trim().split('\n').sort()).toEqual(['app/api', 'app/db', 'app/tmp']);
    expectOk(await cli(['secrets', 'delete', 'app/tmp']));
    const gone = await cli(['secrets', 'get', 'app/tmp']);
    expect(gone.code).toBe(2);
    const rows = await pgQuery(url, 'SELECT path, envelope FROM secret_versions ORDER BY path');
    expect(rows.map((r) => r[0])).toEqual(['app/api', 'app/db', 'app/tmp']);
    for (const r of rows) expect(Buffer.from(r[1] as Uint8Array).includes(Buffer.from(PASSWORD))).toBe(false);
  });

  it('creates a transit key and encrypts; the audit list shows the requests', async () => {
    expectOk(await cli(['transit', 'create', 'orders']));
    const e = await cli(['transit', 'encrypt', 'orders'], { stdin: PLAIN });
    expectOk(e);
    expect(e.out.trim()).toMatch(/^ontoref:v1:/);
    const d = await cli(['transit', 'decrypt', 'orders'], { stdin: e.out });
    expect(d.out).toBe(PLAIN);
    const a = await cli(['audit', 'list', '--json']);
    expectOk(a);
    expect(a.out).toContain('/v1/transit/keys/orders');
    expect(a.out).toContain('/v1/secrets/app/db');
  });

  it('keeps everything over a stop and a restart on the same database', async () => {
    const exit = await daemon.stop();
    expect(exit.code).toBe(0);
    daemon = await start(daemon.port);
    const h = await api(daemon.addr, 'GET', '/v1/sys/health');
    expect(h.status).toBe(200);
    const g = await cli(['secrets', 'get', 'app/api', '--field', 'key']);
    expectOk(g);
    expect(g.out.trim()).toBe(API_KEY);
    expect((await cli(['transit', 'list'])).out).toBe('orders\n');
    expectOk(await cli(['audit', 'verify']));
  });

  it('never logs a secret value', async () => {
    await daemon.stop();
    const sources = logSources(logDir());
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.some((s) => s.text.includes('/v1/secrets/app/db'))).toBe(true);
    expect(secrets.findIn(sources)).toEqual([]);
  });
});

/**
 * Failover with real daemons: vault A set up and unsealed, vault B set up and left sealed
 * (both `vault server` child processes), a loopback port nothing listens on, and a TCP
 * server that reads a request and closes the connection without answering. The client
 * library and the built CLI are given address lists: a dead address then A serves GET and
 * POST alike; the closing server makes a write fail without reaching A while a read goes on
 * to A; sealed B passes GETs and POSTs on to A; every malformed ONTOREF_ADDR is exit 1 with
 * its message and no request; a list of dead addresses names each of them.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultClient } from '../../src/client/index.js';
import { VaultError } from '../../src/errors.js';
import { assertBuilt, makeSandbox, type CliResult, type Sandbox } from '../helpers/cli.js';
import { api, daemonBuilt, freePort, readAudit, setupVault, startDaemon, unsealOverHttp, type Daemon, type SetupResult } from '../helpers/daemon.js';

const RUN = daemonBuilt;
const VALUE = 'failover-value-Qm7#p2';

let sb: Sandbox;
let vaultA: SetupResult;
let vaultB: SetupResult;
let a: Daemon;
let b: Daemon;
let token = '';
let dead = '';
/** The closing server: its address and how many request bytes reached it. */
let cut: { server: Server; url: string; bytes: number; sockets: Set<Socket> };

async function caught(p: Promise<unknown>): Promise<VaultError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof VaultError) return e;
    throw e;
  }
  throw new Error('expected a VaultError');
}

async function versionOnA(path: string): Promise<number> {
  const r = await api(a.addr, 'GET', `/v1/secrets-metadata/${path}`, { token });
  if (r.status === 404) return 0;
  expect(r.status, r.text).toBe(200);
  return (r.json as { current_version: number }).current_version;
}

function cli(addr: string, args: readonly string[]): Promise<CliResult> {
  return sb.run(args, { env: { ONTOREF_ADDR: addr, ONTOREF_TOKEN: token } });
}

beforeAll(async () => {
  if (!RUN) return;
  assertBuilt();
  sb = makeSandbox('vault-failover-');
  const logDir = join(sb.dir, 'logs');
  vaultA = await setupVault(sb, sb.path('a'));
  vaultB = await setupVault(sb, sb.path('b'));
  a = await startDaemon({ home: sb.home, logDir, name: 'a', env: { ONTOREF_DATA_DIR: vaultA.dataDir } });
  b = await startDaemon({ home: sb.home, logDir, name: 'b', env: { ONTOREF_DATA_DIR: vaultB.dataDir } });
  await unsealOverHttp(a, vaultA.shares);
  const login = await api(a.addr, 'POST', '/v1/sessions', { json: { key: vaultA.adminKey } });
  expect(login.status, login.text).toBe(200);
  token = (login.json as { token: string }).token;
  const put = await api(a.addr, 'PUT', '/v1/secrets/app/db', { token, json: { data: { password: VALUE } } });
  expect(put.status, put.text).toBe(200);
  dead = `http://127.0.0.1:${await freePort()}`;
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    sock.once('data', (d: Buffer) => {
      cut.bytes += d.byteLength;
      sock.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cut = { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bytes: 0, sockets };
}, 120_000);

afterAll(async () => {
  if (!RUN) return;
  for (const s of cut?.sockets ?? []) s.destroy();
  await new Promise<void>((r) => (cut === undefined ? r() : cut.server.close(() => r())));
  await a?.stop('SIGKILL');
  await b?.stop('SIGKILL');
  sb.cleanup();
});

describe.skipIf(!RUN)('clients with an address list against real daemons', () => {
  it('a dead first address, then a live daemon: reads, logins and writes all go through, each once', async () => {
    // A list answered once is tried from that address on, so each call gets a list of its own.
    const [dead2, dead3] = [`http://127.0.0.1:${await freePort()}`, `http://127.0.0.1:${await freePort()}`];
    const s = await new VaultClient({ addr: `${dead},${a.addr}` }).createSession({ key: vaultA.adminKey });
    expect(s.role).toBe('admin');
    const before = await versionOnA('app/dead');
    await new VaultClient({ addr: `${dead2},${a.addr}`, token }).putSecret('app/dead', { data: { v: 'one' } });
    expect(await versionOnA('app/dead')).toBe(before + 1);
    expect((await new VaultClient({ addr: `${dead3},${a.addr}`, token }).getSecret('app/db')).data).toEqual({ password: VALUE });
  });

  it('a connection closed without an answer: the write fails and never reaches A; the read goes on to A', async () => {
    const addr = `${cut.url},${a.addr}`;
    const put = await caught(new VaultClient({ addr, token }).putSecret('app/cut', { data: { v: 'one' } }));
    expect(put.code).toBe('OV_DAEMON_UNREACHABLE');
    expect(cut.bytes).toBeGreaterThan(0);
    expect(await versionOnA('app/cut')).toBe(0);
    const login = await caught(new VaultClient({ addr }).createSession({ key: vaultA.adminKey }));
    expect(login.code).toBe('OV_DAEMON_UNREACHABLE');
    expect((await new VaultClient({ addr, token }).getSecret('app/db')).data).toEqual({ password: VALUE });
  });

  it('sealed B refuses with 503 OV_SEALED before any handler: a read and a login both go on to A', async () => {
    const direct = await api(b.addr, 'GET', '/v1/secrets/app/db', { token });
    expect(direct.status).toBe(503);
    expect((await new VaultClient({ addr: `${b.addr},${a.addr}`, token }).getSecret('app/db')).data).toEqual({ password: VALUE });
    const s = await new VaultClient({ addr: `${b.addr},${dead},${a.addr}` }).createSession({ key: vaultA.adminKey });
    expect(s.role).toBe('admin');
    // B did see both requests, and refused them.
    const seenByB = readAudit(vaultB.dataDir).filter((e) => e.status === 503 && e.code === 'OV_SEALED').map((e) => `${e.method ?? ''} ${e.path ?? ''}`);
    expect(seenByB).toEqual(['GET /v1/secrets/app/db', 'GET /v1/secrets/app/db', 'POST /v1/sessions']);
  });

  it('vault secrets get through the CLI with a list whose first address is dead', async () => {
    const r = await cli(`${dead},${a.addr}`, ['secrets', 'get', 'app/db', '-field=password']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.out).toBe(VALUE);
    expect(r.stderr).toBe('');
  });

  it('every address unreachable: exit 1, the error names each address tried', async () => {
    const other = `http://127.0.0.1:${await freePort()}`;
    const r = await cli(`${dead},${other}`, ['secrets', 'get', 'app/db', '-field=password']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe('vault: error: cannot reach the vault daemon');
    expect(r.stderr).toContain(`vault: hint: tried ${dead} ECONNREFUSED, ${other} ECONNREFUSED`);
    expect(r.out).toBe('');
  });

  it.each([
    ['a,,b', 'address 2 of the list is empty'],
    ['LIVE,', 'address 2 of the list is empty'],
    ['LIVE,ftp://127.0.0.1:1', 'address 2 of the list: scheme must be http or https'],
    ['LIVE,http://u:p@127.0.0.1:1', 'address 2 of the list: no credentials, query or fragment allowed'],
    ['LIVE,https://127.0.0.1:1', 'every address of the list must use the same scheme'],
    ['LIVE,LIVE/', 'address 2 of the list repeats an earlier one'],
    ['not a url', 'not a URL'],
  ])('ONTOREF_ADDR=%j is exit 1 with OV_INVALID_ARGUMENT, before any request', async (text, reason) => {
    const before = cut.bytes;
    const r = await sb.run(['secrets', 'get', 'app/db', '-field=password'], { env: { ONTOREF_ADDR: text.replaceAll('LIVE', cut.url), ONTOREF_TOKEN: token, ONTOREF_DEBUG: '1' } });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(`vault: error: invalid argument: ONTOREF_ADDR must be an http:// or https:// URL, or several separated by commas (${reason})`);
    expect(r.stderr).toContain('vault: debug: code OV_INVALID_ARGUMENT');
    expect(r.out).toBe('');
    expect(cut.bytes).toBe(before);
  });
});

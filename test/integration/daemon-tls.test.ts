/**
 * The daemon over HTTPS end to end: `vault setup --gen-keys --tls` makes a local CA and a
 * server certificate, `vault server` serves HTTPS only, and the CLI (login, secrets
 * put/get, run) and curl reach it when they trust the CA; a client without the CA fails
 * with OV_TLS_HANDSHAKE (`unknown CA`) and exit code 1; plain HTTP on a non-loopback
 * address is refused at start with a message saying what to set.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, expectOk, cleanEnv, cliPath, makeSandbox, type CliResult, type RunOptions, type Sandbox } from '../helpers/cli.js';
import { daemonBuilt, freePort, sleep } from '../helpers/daemon.js';

const RUN = daemonBuilt;
const SECRET = 'tls-pw-7c1e9a0b3d5f2e4a';

let sb: Sandbox;
let dataDir: string;
let caFile: string;
let port: number;
let server: ChildProcess | undefined;
let serverErr = '';

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { ONTOREF_ADDR: `https://127.0.0.1:${port}`, ONTOREF_DATA_DIR: dataDir, ONTOREF_CACERT: caFile, ...extra };
}

function cli(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return sb.run(args, { ...opts, env: env(opts.env ?? {}) });
}

/** GET over https trusting only `ca`; resolves with the status, or rejects. */
function httpsStatus(path: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, method: 'GET', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The serial number of the certificate a new connection is served. */
function peerSerial(): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/sys/health', ca: readFileSync(caFile, 'utf8'), agent: false }, (res) => {
      res.resume();
      resolve((res.socket as unknown as { getPeerCertificate(): { serialNumber: string } }).getPeerCertificate().serialNumber);
    });
    req.on('error', reject);
    req.end();
  });
}

function startServer(configFile: string): ChildProcess {
  const child = spawn(process.execPath, [cliPath, 'server', '--config', configFile], {
    cwd: sb.home,
    env: cleanEnv(sb.home, { ONTOREF_DATA_DIR: dataDir }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (b: Buffer) => (serverErr += b.toString('utf8')));
  return child;
}

beforeAll(async () => {
  if (!RUN) return;
  assertBuilt();
  sb = makeSandbox('vault-tls-');
  dataDir = join(sb.dir, 'data');
  port = await freePort();
  const r = await sb.run(['setup', '--gen-keys', '--data-dir', dataDir, '--unseal-key-file', join(dataDir, 'unseal.key'), '--tls', '--tls-san', 'vault.test', '--json']);
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.out) as { tls: { ca_cert: string; sans: string[] }; config_file: string };
  caFile = doc.tls.ca_cert;
  expect(doc.tls.sans).toEqual(expect.arrayContaining(['localhost', '127.0.0.1', '::1', 'vault.test']));
  const configFile = join(dataDir, 'config.toml');
  writeFileSync(configFile, `listen = "127.0.0.1:${port}"\n${readFileSync(configFile, 'utf8')}`);
  server = startServer(configFile);
  const ca = readFileSync(caFile, 'utf8');
  for (let i = 0; ; i++) {
    try {
      await httpsStatus('/v1/sys/health', ca);
      break;
    } catch {
      if (i > 400 || server.exitCode !== null) throw new Error(`vault server not ready:\n${serverErr}`);
      await sleep(50);
    }
  }
  expectOk(await cli(['login', '--admin']));
}, 60_000);

afterAll(async () => {
  if (server !== undefined && server.exitCode === null) {
    const exited = new Promise((resolve) => server?.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  sb?.cleanup();
});

describe.runIf(RUN)('daemon over HTTPS', () => {
  it('writes the CA and server key files with their modes', () => {
    const mode = (f: string): number => spawnSync('stat', ['-c', '%a', f]).stdout.toString().trim() === '600' ? 0o600 : -1;
    expect(mode(join(dataDir, 'tls/server.key'))).toBe(0o600);
    expect(mode(join(dataDir, 'tls/ca.key'))).toBe(0o600);
    expect(readFileSync(join(dataDir, 'config.toml'), 'utf8')).toMatch(/\[tls\]\ncert_file = ".*server\.pem"\nkey_file = ".*server\.key"/);
  });

  it('serves secrets put/get and vault run to a client that trusts the CA', async () => {
    writeFileSync(sb.path('pw.txt'), SECRET);
    expectOk(await cli(['secrets', 'put', 'app/db', `password=@${sb.path('pw.txt')}`]));
    const got = await cli(['secrets', 'get', 'app/db', '--field', 'password']);
    expectOk(got);
    expect(got.out.trim()).toBe(SECRET);
    const hash = createHash('sha256').update(SECRET, 'utf8').digest('hex');
    const run = await cli(['run', '--secret', 'PW=app/db#password', '--', process.execPath, '-e', "console.log(require('crypto').createHash('sha256').update(process.env.PW,'utf8').digest('hex'))"]);
    expectOk(run);
    expect(run.out.trim()).toBe(hash);
  });

  it('reports TLS 1.3 and the negotiated group in vault status --json', async () => {
    const r = await cli(['status', '--json']);
    expectOk(r);
    const doc = JSON.parse(r.out) as { tls?: { protocol: string; key_exchange_group: string } };
    expect(doc.tls?.protocol).toBe('TLSv1.3');
    expect(doc.tls?.key_exchange_group).toMatch(/^(X25519MLKEM768|X25519)$/);
  });

  it('answers curl --cacert, with no-store on answers and the offered groups described', () => {
    const r = spawnSync('curl', ['-sS', '-i', '--cacert', caFile, `https://127.0.0.1:${port}/v1/sys/describe`], { encoding: 'utf8' });
    if (r.error !== undefined && (r.error as { code?: string }).code === 'ENOENT') return;
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 200/);
    expect(r.stdout.toLowerCase()).toContain('cache-control: no-store');
    const doc = JSON.parse(r.stdout.slice(r.stdout.indexOf('\r\n\r\n') + 4)) as { tls: { enabled: boolean; key_exchange_groups: string[] } };
    expect(doc.tls.enabled).toBe(true);
    expect(doc.tls.key_exchange_groups).toContain('X25519');
  });

  it('refuses plain HTTP on the TLS port', async () => {
    const r = await cli(['status'], { env: { ONTOREF_ADDR: `http://127.0.0.1:${port}` } });
    expect(r.code).toBe(1);
  });

  it('fails with OV_TLS_HANDSHAKE (unknown CA) and exit 1 without the CA', async () => {
    const r = await sb.run(['status', '--json'], { env: { ONTOREF_ADDR: `https://127.0.0.1:${port}`, ONTOREF_DATA_DIR: dataDir } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the TLS connection to the vault daemon failed');
    expect(r.stderr).toContain('unknown CA');
    expect(r.stderr).toContain('ONTOREF_CACERT');
    expect(r.out).toBe('');
  });

  it('serves a renewed certificate after SIGHUP, keeping the daemon up', async () => {
    const before = await peerSerial();
    const r = await sb.run(['tls', 'gen', '--data-dir', dataDir, '--json'], { env: { ONTOREF_DATA_DIR: dataDir } });
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.out) as { config_changed: boolean }).config_changed).toBe(false);
    server?.kill('SIGHUP');
    let after = before;
    for (let i = 0; i < 100 && after === before; i++) {
      await sleep(50);
      after = await peerSerial();
    }
    expect(after).not.toBe(before);
    expect(server?.exitCode).toBeNull();
    expectOk(await cli(['status']));
  });

  it('warns on every call when verification is skipped', async () => {
    const r = await sb.run(['status'], { env: { ONTOREF_ADDR: `https://127.0.0.1:${port}`, ONTOREF_DATA_DIR: dataDir, ONTOREF_SKIP_VERIFY: 'true' } });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('ONTOREF_SKIP_VERIFY=true: the server certificate is NOT verified');
  });
});

describe.runIf(RUN)('plain HTTP off loopback', () => {
  it('refuses to start on 0.0.0.0 without [tls] and says what to set', async () => {
    const p = await freePort();
    const file = join(sb.dir, 'open.toml');
    writeFileSync(file, `listen = "0.0.0.0:${p}"\ndata_dir = ${JSON.stringify(join(sb.dir, 'data2'))}\n`);
    const r = await sb.run(['server', '--config', file]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('plain HTTP on a non-loopback address is refused');
    expect(r.stderr).toContain('tls.cert_file');
    expect(r.stderr).toContain('tls.disable = true');
    // Nothing was created: the check runs before the database is opened.
    expect(existsSync(join(sb.dir, 'data2', 'vault.db'))).toBe(false);
  });
});

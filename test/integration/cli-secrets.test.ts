/**
 * `vault secrets ...` end to end: the built CLI as child processes against a real daemon
 * (`vault server` on a loopback port, set up and unsealed with 3 of 5 shares). Covers login
 * with the token file and with ONTOREF_TOKEN (which wins), put from files, stdin and a JSON
 * document, the refusal of values in argv, get as JSON / table / one exact field (`-field=`
 * and `--field`), a raw HTTP GET with `?field=` and the bearer header (node:http and curl),
 * recipient-sealed answers opened with `vault envelope open`, list with paging, history,
 * delete / undelete / destroy, metadata, CAS conflicts, scope and role denials, and the
 * errors for an unreachable daemon, a bad session and a sealed vault. The last test greps
 * every argv, every stderr, the daemon's output and the audit log for the secret values.
 *
 * Tests run in order and share one daemon.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, expectOk, hasScript, makeSandbox, transcript, type CliResult, type RunOptions, type Sandbox } from '../helpers/cli.js';
import {
  api,
  daemonBuilt,
  freePort,
  logSources,
  rawRequest,
  readAudit,
  SecretSet,
  setupVault,
  startDaemon,
  unsealOverHttp,
  type Daemon,
  type SetupResult,
} from '../helpers/daemon.js';

const RUN = daemonBuilt;

let sb: Sandbox;
let logDir: string;
let vault: SetupResult;
let daemon: Daemon;
let adminToken = '';
const secrets = new SecretSet();

// Values with edges a careless CLI would lose: trailing spaces and newline, inner newlines.
const PASSWORD = secrets.add('db password', 'pw-Zq8#vT1-Lm4 x  \n');
const USER = secrets.add('db user', 'svc-reporting-user-01');
const PEM = secrets.add('tls key', '-----BEGIN KEY-----\nAAECAwQFBgcICQoLDA0ODw==\n-----END KEY-----\n');
const API_TOKEN = secrets.add('api token', 'tok_9f8e7d6c5b4a39281706f5e4');
const BINARY = Uint8Array.from({ length: 300 }, (_, i) => (i * 37 + 11) & 0xff);

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { ONTOREF_ADDR: daemon.addr, ONTOREF_DATA_DIR: vault.dataDir, ...extra };
}

function cli(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return sb.run(args, { ...opts, env: env(opts.env ?? {}) });
}

function expectFail(r: CliResult, code: 1 | 2, firstLine: string): void {
  expect({ code: r.code, first: r.stderr.split('\n')[0] }, r.stderr).toEqual({ code, first: firstLine });
}

function file(name: string, data: string | Uint8Array, mode = 0o600): string {
  const p = sb.path(name);
  writeFileSync(p, data, { mode });
  return p;
}

interface History {
  current_version: number;
  oldest_version: number;
  versions: { version: number; deleted_at: string | null; destroyed: boolean }[];
}

async function history(path: string): Promise<History> {
  const r = await api(daemon.addr, 'GET', `/v1/secrets-metadata/${path}`, { token: adminToken });
  expect(r.status, r.text).toBe(200);
  return r.json as History;
}

async function createKey(role: string, scope: string, label: string): Promise<string> {
  const r = await api(daemon.addr, 'POST', '/v1/apikeys', { token: adminToken, json: { role, scope, label } });
  expect(r.status, r.text).toBe(201);
  return secrets.add(`${label} key`, (r.json as { key: string }).key);
}

async function tokenFor(key: string): Promise<string> {
  const r = await cli(['login', '--print-token', '--key-file', '-'], { stdin: `${key}\n` });
  expectOk(r);
  return secrets.add(`token of ${key.slice(0, 20)}`, r.out.trim());
}

beforeAll(async () => {
  if (!RUN) return;
  assertBuilt();
  sb = makeSandbox('vault-secrets-');
  logDir = join(sb.dir, 'logs');
  vault = await setupVault(sb, sb.path('vault'));
  vault.shares.forEach((s, i) => secrets.add(`share ${i + 1}`, s));
  secrets.add('admin key', vault.adminKey);
  daemon = await startDaemon({ home: sb.home, logDir, env: { ONTOREF_DATA_DIR: vault.dataDir } });
  await unsealOverHttp(daemon, vault.shares);
}, 60_000);

afterAll(async () => {
  if (!RUN) return;
  await daemon?.stop('SIGKILL');
  sb.cleanup();
});

describe.skipIf(!RUN)('vault secrets against a real daemon', () => {
  it('login --admin writes the token file; later commands use it', async () => {
    const r = await cli(['login', '--admin', '--json']);
    expectOk(r);
    const tokenFile = (JSON.parse(r.out) as { token_file: string }).token_file;
    expect(tokenFile).toBe(join(sb.home, '.config/ontoref/token'));
    adminToken = secrets.add('admin session token', readFileSync(tokenFile, 'utf8').trim());
    const put = await cli(['secrets', 'put', 'app/db', `password=@${file('pw.txt', PASSWORD)}`, 'user=-'], { stdin: USER });
    expectOk(put);
    expect(put.out).toBe('app/db: version 1 written\n');
  });

  it('get on a pipe prints the JSON document; --field and -field=NAME print the exact bytes', async () => {
    const doc = await cli(['secrets', 'get', 'app/db']);
    expectOk(doc);
    expect(JSON.parse(doc.out)).toEqual({ path: 'app/db', version: 1, created_at: expect.any(String) as string, data: { password: PASSWORD, user: USER } });
    for (const args of [['-field=password'], ['--field', 'password'], ['--field=password'], ['-f', 'password']]) {
      const r = await cli(['secrets', 'get', 'app/db', ...args]);
      expectOk(r);
      expect(r.stdout.equals(Buffer.from(PASSWORD, 'utf8')), args.join(' ')).toBe(true);
      expect(r.stderr).toBe('');
    }
    const u = await cli(['secrets', 'get', '-field=user', 'app/db']);
    expect(u.stdout.toString('utf8')).toBe(USER);
  });

  it.runIf(hasScript())('get on a terminal prints a table of the fields', async () => {
    const r = await cli(['secrets', 'get', 'app/db', '-field=user'], { tty: true });
    expectOk(r);
    const t = await cli(['secrets', 'get', 'app/db'], { tty: true });
    expectOk(t);
    expect(t.out).toMatch(/^Path +app\/db\r?$/m);
    expect(t.out).toMatch(/^Version +1\r?$/m);
    expect(t.out).toMatch(/^FIELD +VALUE\r?$/m);
    expect(t.out).toMatch(new RegExp(`^user +${USER}\\r?$`, 'm'));
  });

  it('put reads a JSON object of fields from stdin, and a binary value with --binary', async () => {
    const r = await cli(['secrets', 'put', 'app/tls', '--json'], { stdin: JSON.stringify({ key: PEM, token: API_TOKEN }) });
    expectOk(r);
    expect(JSON.parse(r.out)).toEqual({ path: 'app/tls', version: 1, created_at: expect.any(String) as string });
    const pem = await cli(['secrets', 'get', 'app/tls', '-field=key']);
    expect(pem.out).toBe(PEM);

    const b = await cli(['secrets', 'put', 'app/blob', '--binary', `@${file('blob.bin', BINARY)}`]);
    expectOk(b);
    const got = await cli(['secrets', 'get', 'app/blob', '--json']);
    expectOk(got);
    expect(Buffer.from((JSON.parse(got.out) as { binary: string }).binary, 'base64').equals(Buffer.from(BINARY))).toBe(true);
    // A binary secret has no fields.
    expectFail(await cli(['secrets', 'get', 'app/blob', '-field=x']), 2, 'vault: error: secret field not found');
  });

  it('refuses a value given in argv (exit 1), naming the field but not the value; nothing is written', async () => {
    const r = await cli(['secrets', 'put', 'app/argv', 'password=not-a-real-secret-but-refused']);
    expectFail(r, 1, "vault: error: invalid usage: the value of 'password' was given on the command line");
    expect(r.stderr).not.toContain('not-a-real-secret');
    expect(r.stderr).toContain('password=@FILE');
    expectFail(await cli(['secrets', 'get', 'app/argv']), 2, 'vault: error: secret not found');
    // Stdin may feed one field at most; bad JSON is refused without echoing it.
    expectFail(await cli(['secrets', 'put', 'app/argv', 'a=-', 'b=-'], { stdin: 'x' }), 1, 'vault: error: invalid usage: only one field can come from stdin (KEY=-)');
    const bad = await cli(['secrets', 'put', 'app/argv'], { stdin: '["not-an-object-secretish"]' });
    expectFail(bad, 1, 'vault: error: invalid argument: stdin is not a JSON object of string fields');
    expect(bad.stderr).not.toContain('secretish');
    expectFail(await cli(['secrets', 'put', '/app/../x', 'a=-'], { stdin: 'x' }), 1, 'vault: error: secret path is invalid');
    expectFail(await cli(['secrets', 'get', 'app/argv']), 2, 'vault: error: secret not found');
  });

  it('CAS: --cas 0 creates only, --cas N must be current; a conflict is exit 2 with its code and writes nothing', async () => {
    expectOk(await cli(['secrets', 'put', 'app/cas', '--cas', '0'], { stdin: '{"v":"one"}' }));
    const dup = await cli(['secrets', 'put', 'app/cas', '--cas', '0'], { stdin: '{"v":"two"}' });
    expectFail(dup, 2, 'vault: error: check-and-set version does not match');
    expect(dup.stderr).toContain('OV_CAS_MISMATCH');
    expectOk(await cli(['secrets', 'put', 'app/cas', '--cas', '1'], { stdin: '{"v":"two"}' }));
    expectFail(await cli(['secrets', 'put', 'app/cas', '--cas', '1'], { stdin: '{"v":"three"}' }), 2, 'vault: error: check-and-set version does not match');
    expect((await history('app/cas')).current_version).toBe(2);
    expect((await cli(['secrets', 'get', 'app/cas', '-field=v'])).out).toBe('two');
    expectFail(await cli(['secrets', 'put', 'app/cas', '--cas', '-1']), 1, 'vault: error: invalid usage: option --cas needs a value (write --cas=-VALUE for one starting with -)');
  });

  it('list follows the cursor to the end; --limit gives one page and the next cursor', async () => {
    for (const n of ['a', 'b', 'c', 'd']) expectOk(await cli(['secrets', 'put', `list/${n}`, 'v=-'], { stdin: n }));
    const all = await cli(['secrets', 'list', 'list/']);
    expectOk(all);
    expect(all.out).toBe('list/a\nlist/b\nlist/c\nlist/d\n');
    const page = await cli(['secrets', 'list', 'list/', '--limit', '3', '--json']);
    expectOk(page);
    expect(JSON.parse(page.out)).toEqual({ paths: ['list/a', 'list/b', 'list/c'], next: 'list/c' });
    const rest = await cli(['secrets', 'list', 'list/', '--limit', '3', '--after', 'list/c', '--json']);
    expect(JSON.parse(rest.out)).toEqual({ paths: ['list/d'], next: null });
    const json = await cli(['secrets', 'list', '--json']);
    expect((JSON.parse(json.out) as { paths: string[] }).paths).toEqual(expect.arrayContaining(['app/db', 'app/tls', 'list/d']));
    expectFail(await cli(['secrets', 'list', '--limit', '0']), 1, 'vault: error: invalid argument: --limit must be a whole number from 1 to 1000');
  });

  it('history, delete, undelete and destroy move versions through their states', async () => {
    expectOk(await cli(['secrets', 'put', 'app/db', `password=@${file('pw2.txt', `${PASSWORD}2`)}`, 'user=-'], { stdin: USER }));
    const del = await cli(['secrets', 'delete', 'app/db']);
    expectOk(del);
    expect(del.out).toBe('app/db: deleted version 2\n');
    expectFail(await cli(['secrets', 'get', 'app/db']), 2, 'vault: error: secret version is deleted');
    expect((await cli(['secrets', 'get', 'app/db', '--version', '1', '-field=password'])).out).toBe(PASSWORD);

    const h = await cli(['secrets', 'history', 'app/db']);
    expectOk(h);
    expect(h.out.split('\n')[0]).toMatch(/^VERSION +CREATED +STATE +DELETED +KEY VERSION$/);
    expect(h.out).toMatch(/^2 \* +\S+ +deleted +\S+ +1$/m);
    expect(h.out).toMatch(/^1 +\S+ +live +- +1$/m);

    const un = await cli(['secrets', 'undelete', 'app/db', '--versions', '2', '--json']);
    expectOk(un);
    expect(JSON.parse(un.out)).toEqual({ path: 'app/db', versions: [2] });
    expect((await cli(['secrets', 'get', 'app/db', '-field=password'])).out).toBe(`${PASSWORD}2`);

    // Not a terminal: no question asked.
    const d = await cli(['secrets', 'destroy', 'app/db', '--versions', '1']);
    expectOk(d);
    expect(d.out).toBe('app/db: destroyed version 1\n');
    expectFail(await cli(['secrets', 'get', 'app/db', '--version', '1']), 2, 'vault: error: secret version is destroyed');
    expect((await history('app/db')).versions.find((v) => v.version === 1)).toMatchObject({ destroyed: true });
    const hj = await cli(['secrets', 'history', 'app/db', '--json']);
    expect(JSON.parse(hj.out)).toMatchObject({ path: 'app/db', current_version: 2 });

    expectFail(await cli(['secrets', 'undelete', 'app/db']), 1, 'vault: error: invalid usage: missing required option --versions');
    expectFail(await cli(['secrets', 'destroy', 'app/db']), 1, 'vault: error: invalid usage: give either --versions LIST or --all');
    expectFail(await cli(['secrets', 'delete', 'app/db', '--versions', '1,x']), 1, 'vault: error: invalid argument: --versions must be version numbers separated by commas, e.g. 1,2');
  });

  it.runIf(hasScript())('destroy asks on a terminal and destroys nothing without a yes', async () => {
    expectOk(await cli(['secrets', 'put', 'app/ask', 'v=-'], { stdin: 'x' }));
    const r = await cli(['secrets', 'destroy', 'app/ask', '--all'], { tty: true, stdin: 'n\n' });
    expect(r.code).toBe(1);
    expect(r.out).toContain('destroy every version of app/ask and its metadata? this cannot be undone [y/N]');
    expect((await history('app/ask')).versions[0]).toMatchObject({ destroyed: false });
    const all = await cli(['secrets', 'destroy', 'app/ask', '--all', '--yes', '--json']);
    expectOk(all);
    expect(JSON.parse(all.out)).toEqual({ path: 'app/ask', destroyed: 'all' });
    expectFail(await cli(['secrets', 'get', 'app/ask']), 2, 'vault: error: secret not found');
  });

  it('metadata shows and changes max versions and CAS-required', async () => {
    const m = await cli(['secrets', 'metadata', 'app/cas', '--max-versions', '2', '--cas-required', 'true', '--json']);
    expectOk(m);
    expect(JSON.parse(m.out)).toMatchObject({ path: 'app/cas', max_versions: 2, cas_required: true, current_version: 2 });
    const noCas = await cli(['secrets', 'put', 'app/cas'], { stdin: '{"v":"three"}' });
    expectFail(noCas, 2, 'vault: error: check-and-set version does not match');
    expect(noCas.stderr).toContain('requires --cas N');
    expectOk(await cli(['secrets', 'put', 'app/cas', '--cas', '2'], { stdin: '{"v":"three"}' }));
    // max_versions 2: the third write pushes version 1 out (its envelope is wiped).
    expect(await history('app/cas')).toMatchObject({ current_version: 3, oldest_version: 2 });
    expect((await cli(['secrets', 'get', 'app/cas', '--version', '1'])).code).toBe(2);
    const text = await cli(['secrets', 'metadata', 'app/cas']);
    expect(text.out).toMatch(/^Max versions +2$/m);
    expect(text.out).toMatch(/^CAS required +true$/m);
    expectFail(await cli(['secrets', 'metadata', 'app/cas', '--cas-required', 'maybe']), 1, 'vault: error: invalid argument: --cas-required must be true or false');
  });

  it('ONTOREF_TOKEN wins over the token file; a scoped reader is denied outside its scope and cannot write', async () => {
    expectOk(await cli(['secrets', 'put', 'team-b/db', 'v=-'], { stdin: 'b' }));
    expectOk(await cli(['secrets', 'put', 'team-a/db', 'v=-'], { stdin: 'a' }));
    const reader = await tokenFor(await createKey('reader', 'team-a', 'team-a reader'));
    const as = { env: { ONTOREF_TOKEN: reader } };
    expect((await cli(['secrets', 'get', 'team-a/db', '-field=v'], as)).out).toBe('a');
    expectFail(await cli(['secrets', 'get', 'team-b/db', '-field=v'], as), 2, 'vault: error: permission denied');
    // Same answer for a path that does not exist: no existence oracle.
    expectFail(await cli(['secrets', 'get', 'team-b/nothing'], as), 2, 'vault: error: permission denied');
    expectFail(await cli(['secrets', 'put', 'team-a/db', 'v=-'], { ...as, stdin: 'x' }), 2, 'vault: error: permission denied');
    expectFail(await cli(['secrets', 'list', 'team-b/'], as), 2, 'vault: error: permission denied');
    expect((await cli(['secrets', 'list', '--json'], as)).out).toBe(`${JSON.stringify({ paths: ['team-a/db'] }, null, 2)}\n`);
    // The token file (admin) was not used, and is still valid.
    expect((await cli(['secrets', 'get', 'team-b/db', '-field=v'])).out).toBe('b');

    const operator = await tokenFor(await createKey('operator', 'team-a', 'team-a operator'));
    expectOk(await cli(['secrets', 'put', 'team-a/db', 'v=-'], { env: { ONTOREF_TOKEN: operator }, stdin: 'a2' }));
    expectFail(await cli(['secrets', 'destroy', 'team-a/db', '--all'], { env: { ONTOREF_TOKEN: operator } }), 2, 'vault: error: permission denied');
  });

  it('a raw HTTP GET with ?field= and the bearer header returns the exact value (node:http and curl)', async () => {
    const r = await rawRequest(daemon.addr, { method: 'GET', path: '/v1/secrets/app/db?field=password&version=2', headers: { authorization: `Bearer ${adminToken}` } });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.headers['x-ontoref-version']).toBe('2');
    expect(r.text).toBe(`${PASSWORD}2`);

    const curl = ['/usr/bin/curl', '/bin/curl'].find((p) => existsSync(p));
    if (curl === undefined) return;
    // The header goes through a file, so the token is not in curl's argv either.
    const headerFile = file('curl-headers', `Authorization: Bearer ${adminToken}\n`);
    const out = await new Promise<Buffer>((resolve, reject) => {
      execFile(curl, ['-sS', '--fail', '-H', `@${headerFile}`, `${daemon.addr}/v1/secrets/app/tls?field=key`], { encoding: 'buffer' }, (err, stdout) => {
        if (err instanceof Error) reject(err);
        else resolve(stdout);
      });
    });
    expect(out.toString('utf8')).toBe(PEM);
  });

  it('--recipient: the daemon seals the answer to a key file or an age1pq1 recipient; vault envelope open reads it', async () => {
    expectOk(await cli(['envelope', 'keygen', '-o', sb.path('alice.key')]));
    const sealed = await cli(['secrets', 'get', 'app/tls', '--recipient', sb.path('alice.key.pub')]);
    expectOk(sealed);
    expect(sealed.out).toMatch(/^-----BEGIN ONTOREF ENVELOPE-----\n/);
    expect(sealed.out).not.toContain(API_TOKEN);
    const opened = await cli(['envelope', 'open', '--key', sb.path('alice.key')], { stdin: sealed.stdout });
    expectOk(opened);
    expect(JSON.parse(opened.out)).toMatchObject({ path: 'app/tls', version: 1, data: { key: PEM, token: API_TOKEN } });

    const age = (await cli(['envelope', 'pubkey', '-i', sb.path('alice.key'), '--age'])).out.trim();
    expect(age).toMatch(/^age1pq1/);
    const field = await cli(['secrets', 'get', 'app/tls', '-field=token', '--recipient', age]);
    expectOk(field);
    const f = await cli(['envelope', 'open', '--key', sb.path('alice.key')], { stdin: field.stdout });
    expect(f.out).toBe(API_TOKEN);
  });

  it('errors: unreachable daemon (exit 1), unknown session (exit 2, vault login hint)', async () => {
    const closed = await freePort();
    const r = await cli(['secrets', 'get', 'app/db'], { env: { ONTOREF_ADDR: `http://127.0.0.1:${closed}` } });
    expectFail(r, 1, 'vault: error: cannot reach the vault daemon');
    expect(r.stderr).toContain("vault: hint: check ONTOREF_ADDR, or start the daemon with 'vault server'");
    const bad = await cli(['secrets', 'list'], { env: { ONTOREF_TOKEN: 'not-a-session-token' } });
    expectFail(bad, 2, 'vault: error: invalid credentials');
    expect(bad.stderr).toContain("vault: hint: run 'vault login' to start a new session");
  });

  it('a sealed vault: exit 2 with the vault unseal hint', async () => {
    expectOk(await cli(['seal']));
    const r = await cli(['secrets', 'get', 'app/db']);
    expectFail(r, 2, 'vault: error: vault is sealed');
    expect(r.stderr).toContain("vault: hint: run 'vault unseal' to unseal it");
  });

  it('no secret value appears in any argv, stderr, the daemon output or the audit log', () => {
    const sources: { name: string; text: string }[] = [];
    for (const r of transcript) {
      const name = `vault ${r.args.join(' ')}`;
      sources.push({ name: `${name} (argv)`, text: r.args.join(' ') }, { name: `${name} (stderr)`, text: r.stderr });
      // stdout may hold a value only where one was asked for: get (not sealed), login --print-token, setup.
      const printsValue = (r.args[0] === 'secrets' && r.args[1] === 'get' && !r.args.includes('--recipient')) || r.args[0] === 'setup' || r.args.includes('--print-token') || r.args[1] === 'open';
      if (!printsValue) sources.push({ name: `${name} (stdout)`, text: r.out });
    }
    sources.push(...logSources(logDir));
    sources.push({ name: 'audit log', text: readAudit(vault.dataDir).map((e) => e.raw).join('\n') });
    expect(secrets.size).toBeGreaterThan(8);
    expect(secrets.findIn(sources)).toEqual([]);
  });
});

/**
 * Operator safety on the CLI side, with the built CLI as child processes and, where it
 * matters, a real daemon (`vault server`): the daemon's data dir lock (setup --force
 * refused while it runs and its data intact afterwards, a SIGKILLed daemon's stale lock
 * blocking nothing, --force keeping the old files), output files checked before the
 * daemon is asked (apikeys create and rotate), the token file's directory checked like
 * ssh does, Vault's single-dash long flags, `vault run --env-file` reaching the CLI rather
 * than the runtime, the login --ttl refusal, and a config naming a missing key file.
 *
 * Tests run in order and share one daemon.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAEMON_NODE_FLAGS } from '../../src/daemon-flags.js';
import { assertBuilt, expectOk, cleanEnv, cliPath, makeSandbox, repoRoot, type CliResult, type RunOptions, type Sandbox } from '../helpers/cli.js';
import { api, daemonBuilt, freePort, setupVault, startDaemon, unsealOverHttp, type Daemon, type SetupResult } from '../helpers/daemon.js';

const RUN = daemonBuilt;

let sb: Sandbox;
let logDir: string;
let vault: SetupResult;
let daemon: Daemon;
let adminToken = '';

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { ONTOREF_ADDR: daemon.addr, ONTOREF_DATA_DIR: vault.dataDir, ONTOREF_TOKEN: adminToken, ...extra };
}

function cli(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return sb.run(args, { ...opts, env: env(opts.env ?? {}) });
}

function expectFail(r: CliResult, code: 1 | 2, firstLine: string): void {
  expect({ code: r.code, first: r.stderr.split('\n')[0] }, r.stderr).toEqual({ code, first: firstLine });
}

async function login(key: string): Promise<string> {
  const r = await api(daemon.addr, 'POST', '/v1/sessions', { json: { key } });
  expect(r.status, r.text).toBe(200);
  return (r.json as { token: string }).token;
}

async function put(path: string, value: string): Promise<void> {
  const r = await api(daemon.addr, 'PUT', `/v1/secrets/${path}`, { token: adminToken, json: { data: { v: value } } });
  expect(r.status, r.text).toBe(200);
}

async function read(path: string): Promise<string> {
  const r = await api(daemon.addr, 'GET', `/v1/secrets/${path}`, { token: adminToken });
  expect(r.status, r.text).toBe(200);
  return (r.json as { data: { v: string } }).data.v;
}

/** The daemon's API keys as it lists them (ids, roles, labels, rotated_at). */
async function apiKeyIds(): Promise<unknown[]> {
  const r = await api(daemon.addr, 'GET', '/v1/apikeys', { token: adminToken });
  expect(r.status, r.text).toBe(200);
  const keys = (r.json as { apikeys: { id: string }[] }).apikeys;
  expect(keys.length).toBeGreaterThan(0);
  return keys;
}

async function start(port?: number): Promise<void> {
  daemon = await startDaemon({ home: sb.home, logDir, env: { ONTOREF_DATA_DIR: vault.dataDir }, ...(port === undefined ? {} : { port }) });
  await unsealOverHttp(daemon, vault.shares);
  adminToken = await login(vault.adminKey);
}

beforeAll(async () => {
  assertBuilt();
  sb = makeSandbox('vault-opsafety-');
  if (!RUN) return;
  logDir = join(sb.dir, 'logs');
  vault = await setupVault(sb, sb.path('data'));
  await start();
}, 120_000);

afterAll(async () => {
  if (RUN) await daemon.stop();
  sb.cleanup();
});

describe.runIf(RUN)('the data dir lock', () => {
  it('setup --gen-keys --force against a running daemon is refused with its pid, and the daemon data survives', async () => {
    const dir = vault.dataDir;
    await put('ops/before', 'written-before-the-setup');
    const files = readdirSync(dir).sort();
    const token = readFileSync(join(dir, 'admin.token'), 'utf8');
    const r = await sb.run(['setup', '--gen-keys', '--force', '--data-dir', dir]);
    expectFail(r, 1, `vault: error: data dir is in use by another process: ${dir} is held by pid ${daemon.pid}`);
    expect(r.stderr).toContain('vault: hint: nothing was changed');
    expect(r.stderr).toContain(`vault: hint: stop the daemon first (pid ${daemon.pid})`);
    expect(r.out).toBe(''); // no shares of a vault that was never made
    expect(readdirSync(dir).sort()).toEqual(files);
    expect(readFileSync(join(dir, 'admin.token'), 'utf8')).toBe(token);

    // The daemon still serves the same file: a write now survives a restart.
    await put('ops/after', 'written-after-the-refusal');
    await daemon.stop();
    await start(daemon.port);
    expect(await read('ops/before')).toBe('written-before-the-setup');
    expect(await read('ops/after')).toBe('written-after-the-refusal');
  }, 60_000);

  it('read-only tools still work while the daemon runs: audit verify', async () => {
    const r = await sb.run(['audit', 'verify', '--data-dir', vault.dataDir]);
    expectOk(r);
  });

  it('a second vault server on the same data dir is refused with the first one\'s pid', async () => {
    const r = await sb.run(['server'], { env: { ONTOREF_DATA_DIR: vault.dataDir, ONTOREF_ADDR: `http://127.0.0.1:${await freePort()}` } });
    expectFail(r, 1, `vault: error: data dir is in use by another process: ${vault.dataDir} is held by pid ${daemon.pid}`);
  });

  it('a SIGKILLed daemon leaves a stale lock that blocks neither the next start nor setup; --force keeps the old files', async () => {
    const killedPid = daemon.pid;
    await daemon.stop('SIGKILL');
    const lock = join(vault.dataDir, 'vault.lock');
    expect((JSON.parse(readFileSync(lock, 'utf8')) as { pid: number }).pid).toBe(killedPid);

    await start(daemon.port);
    expect(await read('ops/after')).toBe('written-after-the-refusal');
    expect((JSON.parse(readFileSync(lock, 'utf8')) as { pid: number }).pid).toBe(daemon.pid);
    await daemon.stop('SIGKILL');

    const oldToken = readFileSync(join(vault.dataDir, 'admin.token'), 'utf8');
    const r = await sb.run(['setup', '--gen-keys', '--force', '--data-dir', vault.dataDir, '--json']);
    expectOk(r);
    const doc = JSON.parse(r.out) as { backups: { file: string; backup: string }[]; shares: string[] };
    const moved = new Map(doc.backups.map((b) => [b.file, b.backup]));
    const dbBak = moved.get(join(vault.dataDir, 'vault.db')) ?? '';
    const tokenBak = moved.get(join(vault.dataDir, 'admin.token')) ?? '';
    expect(dbBak).toMatch(/vault\.db\.\d{8}T\d{6}Z(-\d+)?\.bak$/);
    expect(readFileSync(tokenBak, 'utf8')).toBe(oldToken);
    expect(existsSync(lock)).toBe(false); // setup released it
    // The old vault, moved aside, still opens and still holds what the daemon acknowledged.
    const { openStorage } = await import('../../src/storage/index.js');
    const old = openStorage(dbBak, { readonly: true });
    try {
      expect([...old.audit.entries()].length).toBeGreaterThan(0);
    } finally {
      old.close();
    }

    // Back to a running daemon on the new vault for the next tests.
    vault = { ...vault, shares: doc.shares, adminKey: readFileSync(join(vault.dataDir, 'admin.token'), 'utf8').trim() };
    await start(daemon.port);
  }, 90_000);
});

describe.runIf(RUN)('commands that change the daemon check their output file first', () => {
  it('apikeys create -o an existing file: refused before the key is created', async () => {
    const file = sb.path('ci.key');
    writeFileSync(file, 'keep me\n', { mode: 0o600 });
    const before = await apiKeyIds();
    const r = await cli(['apikeys', 'create', '--role', 'reader', '--label', 'ci', '-o', file]);
    expect(await apiKeyIds()).toEqual(before);
    expectFail(r, 1, `vault: error: file or stream error: ${file} already exists`);
    expect(r.stderr).toContain('vault: hint: nothing was changed');
    expect(readFileSync(file, 'utf8')).toBe('keep me\n');
  });

  it('apikeys create -o into a missing directory: refused, nothing created', async () => {
    const file = join(sb.path('no-such-dir'), 'ci.key');
    const before = await apiKeyIds();
    const r = await cli(['apikeys', 'create', '--role', 'reader', '--label', 'ci', '-o', file]);
    expectFail(r, 1, `vault: error: file or stream error: cannot write ${file}: directory ${dirname(file)} does not exist`);
    expect(await apiKeyIds()).toEqual(before);
  });

  it('apikeys rotate ID -o an existing file: refused before the rotation, the old key still works', async () => {
    const made = await api(daemon.addr, 'POST', '/v1/apikeys', { token: adminToken, json: { role: 'reader', label: 'rotate-me' } });
    expect(made.status, made.text).toBe(201);
    const { id, key } = made.json as { id: string; key: string };
    const file = sb.path('rotated.key');
    writeFileSync(file, 'keep me too\n', { mode: 0o600 });
    const before = await apiKeyIds();

    const r = await cli(['apikeys', 'rotate', id, '-o', file]);
    expectFail(r, 1, `vault: error: file or stream error: ${file} already exists`);
    expect(readFileSync(file, 'utf8')).toBe('keep me too\n');
    expect(await apiKeyIds()).toEqual(before);
    await login(key); // not rotated

    // With --force the rotation happens and the new key lands in the file.
    const ok = await cli(['apikeys', 'rotate', id, '-o', file, '--force']);
    expectOk(ok);
    const fresh = readFileSync(file, 'utf8').trim();
    expect(fresh).not.toBe(key);
    await login(fresh);
    const old = await api(daemon.addr, 'POST', '/v1/sessions', { json: { key } });
    expect(old.status).toBe(401);
  });
});

describe.runIf(RUN)('the token file and the CLI surface', () => {
  it('refuses a token file in a group- or world-writable directory, with a chmod hint', async () => {
    const dir = join(sb.home, '.config', 'ontoref');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'token'), `${adminToken}\n`, { mode: 0o600 });
    const noEnvToken = { ONTOREF_TOKEN: '' };
    expectOk(await cli(['token', 'lookup'], { env: noEnvToken }));
    chmodSync(dir, 0o777);
    try {
      const r = await cli(['token', 'lookup'], { env: noEnvToken });
      expectFail(r, 1, `vault: error: file permissions are too open: ${dir} (holding the token file) is writable by group or others`);
      expect(r.stderr).toContain(`vault: hint: chmod go-w ${dir}`);
      // login refuses to write a new token there, too
      const l = await cli(['login', '--admin'], { env: noEnvToken });
      expect(l.code).toBe(1);
      expect(l.stderr).toContain('is writable by group or others');
    } finally {
      chmodSync(dir, 0o700);
    }
    expectOk(await cli(['token', 'lookup'], { env: noEnvToken }));
  });

  it('accepts Vault\'s single-dash long flags: -json, -field=NAME; -format=json is an unknown option, not -f ormat=json', async () => {
    const j = await cli(['token', 'lookup', '-json']);
    expectOk(j);
    expect((JSON.parse(j.out) as { role: string }).role).toBe('admin');
    await put('ops/flags', 'single-dash-value');
    const f = await cli(['secrets', 'get', 'ops/flags', '-field=v']);
    expectOk(f);
    expect(f.out).toBe('single-dash-value');
    const bad = await cli(['secrets', 'get', 'ops/flags', '-format=json']);
    expectFail(bad, 1, 'vault: error: invalid usage: unknown option --format');
  });

  it('login --ttl above the daemon\'s sessions.max_ttl: a clear refusal naming it; out of any range: refused locally', async () => {
    const tokenFile = join(sb.home, '.config', 'ontoref', 'token');
    const before = readFileSync(tokenFile, 'utf8');
    const r = await cli(['login', '--admin', '--ttl', '7d'], { env: { ONTOREF_TOKEN: '' } });
    expectFail(r, 2, "vault: error: request is malformed or fails validation: the daemon refused --ttl 7d: it is longer than the daemon's sessions.max_ttl");
    expect(r.stderr).toContain('sessions.max_ttl (at most 31d)');
    expect(readFileSync(tokenFile, 'utf8')).toBe(before);
    const local = await cli(['login', '--admin', '--ttl', '40d'], { env: { ONTOREF_TOKEN: '' } });
    expectFail(local, 1, 'vault: error: invalid argument: --ttl must be between 1s and 31d');
    expectOk(await cli(['login', '--admin', '--ttl', '1h'], { env: { ONTOREF_TOKEN: '' } }));
  });
});

describe('without a daemon', () => {
  it('vault run --env-file reaches the CLI, not the runtime (the shebang ends node\'s options)', async () => {
    const shebang = readFileSync(cliPath, 'utf8').split('\n')[0] ?? '';
    expect(shebang).toBe(`#!/usr/bin/env -S node ${DAEMON_NODE_FLAGS.join(' ')} --`);
    // What the kernel runs for `vault run --env-file .env -- cmd`: the interpreter, its one
    // argument, the script, then the user's arguments.
    const [interp, arg] = [shebang.slice(2).split(' ')[0] ?? '', shebang.slice(2).split(' ').slice(1).join(' ')];
    const child = spawn(interp, [arg, cliPath, 'run', '--env-file', '.env', '--', 'true'], {
      cwd: sb.path(''),
      env: { ...cleanEnv(sb.home, {}), PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(stderr).not.toContain('node:');
    expect({ code, first: stderr.split('\n')[0] }).toEqual({ code: 1, first: 'vault: error: invalid usage: unknown option --env-file' });
  });

  it('install.sh starts the daemon, in the foreground and from its systemd unit, with the bundle\'s Node options', () => {
    const script = readFileSync(join(repoRoot, 'install.sh'), 'utf8');
    expect(script).toContain(`\ndaemon_flags="${DAEMON_NODE_FLAGS.join(' ')}"\n`);
    const launches = script.split('\n').filter((l) => /\bserver$/.test(l) && /\$\{?cli\b|"\$cli"/.test(l));
    expect(launches).toEqual(['ExecStart=$node_bin $daemon_flags $cli server', 'exec node $daemon_flags "$cli" server']);
  });

  it('vault server --config naming a missing unseal key file names the file and the key', async () => {
    const dir = sb.path('cfg');
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'config.toml');
    writeFileSync(config, `listen = "127.0.0.1:${await freePort()}"\ndata_dir = "data"\n[seal]\nunseal_key_file = "unseal.key"\n`);
    const r = await sb.run(['server', '--config', config]);
    expectFail(r, 1, `vault: error: configuration is invalid: 1 problem in ${config}`);
    expect(r.stderr).toContain(`vault: error: seal.unseal_key_file: ${join(dir, 'unseal.key')} does not exist (resolved against ${dir})`);
  });
});

/**
 * The daemon-facing `vault` commands run as real child processes of the built CLI
 * (dist/bundle/vault.js) in a temporary HOME, for everything that needs no running daemon:
 * `setup --gen-keys` (files, modes, refusal without --force, --json, key-file mode),
 * `config validate`, `audit verify` on a fresh vault, `status` with no daemon, token file
 * permission checks, and that help and client commands stay light (no fastify, SQLite or
 * crypto loaded). What the CLI sends to a daemon and how it maps answers is in
 * cli-client-peer.test.ts; the real daemon flow lives in the daemon integration tests.
 * When src/daemon.ts is built, one smoke test starts `vault server` for real.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadedSources } from '../helpers/bundle.js';
import { assertBuilt, expectOk, cliPath, makeSandbox, transcript, type CliResult, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

beforeAll(() => {
  assertBuilt();
  sb = makeSandbox('vault-cli-daemon-');
});

afterAll(() => {
  sb.cleanup();
});

describe('vault setup --gen-keys', () => {
  it('creates the data dir 0700, vault.db 0600 and admin.token 0600, and prints 5 shares once on stdout', async () => {
    const dir = sb.path('vault-a');
    const r = await sb.run(['setup', '--gen-keys', '--data-dir', dir]);
    expectOk(r);
    expect(mode(dir)).toBe(0o700);
    expect(mode(join(dir, 'vault.db'))).toBe(0o600);
    expect(mode(join(dir, 'admin.token'))).toBe(0o600);
    const shares = r.out.trimEnd().split('\n');
    expect(shares).toHaveLength(5);
    for (const s of shares) expect(s).toMatch(/^ovs1-/);
    expect(new Set(shares).size).toBe(5);
    // The warning box and the summary go to stderr; the shares never do.
    expect(r.stderr).toContain('UNSEAL SHARES');
    expect(r.stderr).toContain('Any 3 of these 5 shares');
    expect(r.stderr).toContain(join(dir, 'admin.token'));
    for (const s of shares) expect(r.stderr).not.toContain(s);
    // The admin key is an API key, and it is not printed anywhere.
    const adminKey = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
    expect(adminKey).toMatch(/^ovk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(r.out + r.stderr).not.toContain(adminKey);
  });

  it('refuses a second run without --force: exit 1, the right message, nothing changed', async () => {
    const dir = sb.path('vault-a');
    const before = [sha(join(dir, 'vault.db')), sha(join(dir, 'admin.token'))];
    const r = await sb.run(['setup', '--gen-keys', '--data-dir', dir]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.stderr).toBe(
      `vault: error: vault is already initialised: ${dir}\n` +
        'vault: hint: nothing was changed\n' +
        'vault: hint: pass --force to move this vault aside (renamed to *.bak) and create a new one\n',
    );
    expect([sha(join(dir, 'vault.db')), sha(join(dir, 'admin.token'))]).toEqual(before);
  });

  it('--json prints one document with the shares, the admin key id and the files', async () => {
    const dir = sb.path('vault-json');
    const r = await sb.run(['setup', '--gen-keys', '--shares', '4', '--threshold', '2', '--json'], { env: { ONTOREF_DATA_DIR: dir } });
    expectOk(r);
    const doc = JSON.parse(r.out) as Record<string, unknown>;
    expect(doc).toMatchObject({ data_dir: dir, mode: 'shamir', threshold: 2, admin_token_file: join(dir, 'admin.token'), backups: [] });
    expect(doc['admin_key_id']).toMatch(/^[0-9a-f]{16}$/);
    expect(readFileSync(join(dir, 'admin.token'), 'utf8')).toContain(`ovk_${String(doc['admin_key_id'])}_`);
    const shares = doc['shares'] as string[];
    expect(shares).toHaveLength(4);
    for (const s of shares) expect(s).toMatch(/^ovs1-/);
    expect(doc).toHaveProperty('keyring');
    // Machine output only: no warning box on stderr to parse around.
    expect(r.stderr).not.toContain('UNSEAL SHARES');
  });

  it('--unseal-key-file writes a 32-byte key file 0600 and prints no shares', async () => {
    const dir = sb.path('vault-keyfile');
    const keyFile = join(dir, 'unseal.key');
    const r = await sb.run(['setup', '--gen-keys', '--unseal-key-file', keyFile, '--data-dir', dir]);
    expectOk(r);
    expect(r.out).toBe('');
    expect(mode(keyFile)).toBe(0o600);
    expect(readFileSync(keyFile)).toHaveLength(32);
    expect(r.stderr).toContain('single-operator');
  });

  it('--force moves the old vault aside, says where, and writes a new admin key', async () => {
    const dir = sb.path('vault-a');
    const oldKey = readFileSync(join(dir, 'admin.token'), 'utf8');
    const oldDb = sha(join(dir, 'vault.db'));
    const r = await sb.run(['setup', '--gen-keys', '--force', '--data-dir', dir, '--json']);
    expectOk(r);
    const doc = JSON.parse(r.out) as { backups: { file: string; backup: string }[] };
    const moved = new Map(doc.backups.map((b) => [b.file, b.backup]));
    const tokenBak = moved.get(join(dir, 'admin.token'));
    const dbBak = moved.get(join(dir, 'vault.db'));
    expect(tokenBak).toMatch(/admin\.token\.\d{8}T\d{6}Z(-\d+)?\.bak$/);
    expect(readFileSync(tokenBak ?? '', 'utf8')).toBe(oldKey);
    expect(sha(dbBak ?? '')).toBe(oldDb);
    expect(readFileSync(join(dir, 'admin.token'), 'utf8')).not.toBe(oldKey);
    expect(mode(join(dir, 'admin.token'))).toBe(0o600);
  });

  it('usage errors: no --gen-keys, two seal modes, a bad share count; nothing is created', async () => {
    const dir = sb.path('vault-never');
    const cases: [string[], string][] = [
      [['setup', '--data-dir', dir], "vault: error: invalid usage: setup needs --gen-keys (it generates the vault's keys)\n"],
      [['setup', '--gen-keys', '--shares', '5', '--unseal-key-file', join(dir, 'k'), '--data-dir', dir], 'vault: error: invalid usage: choose one of --shares/--threshold, --unseal-key-file, --passphrase-file\n'],
      [['setup', '--gen-keys', '--shares', 'five', '--data-dir', dir], 'vault: error: invalid argument: --shares must be a whole number from 1 to 255\n'],
      [['setup', '--gen-keys', '--shares', '2', '--threshold', '3', '--data-dir', dir], 'vault: error: invalid argument: --threshold cannot exceed --shares\n'],
    ];
    for (const [args, first] of cases) {
      const r = await sb.run(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.startsWith(first), r.stderr).toBe(true);
    }
    expect(existsSync(dir)).toBe(false);
  });
});

describe('vault config validate', () => {
  it('accepts a good file', async () => {
    const f = sb.path('good.toml');
    writeFileSync(f, 'listen = "127.0.0.1:9999"\nlog_level = "warn"\n[sessions]\ndefault_ttl = "15m"\nmax_ttl = "2h"\n');
    const r = await sb.run(['config', 'validate', f]);
    expectOk(r);
    expect(r.out).toBe(`config ok: ${f}\n`);
    const j = await sb.run(['config', 'validate', f, '--json']);
    expectOk(j);
    const doc = JSON.parse(j.out) as { ok: boolean; problems: unknown[]; config: { listen: { port: number }; sessions: { defaultTtlMs: number } } };
    expect(doc.ok).toBe(true);
    expect(doc.problems).toEqual([]);
    expect(doc.config.listen.port).toBe(9999);
    expect(doc.config.sessions.defaultTtlMs).toBe(15 * 60 * 1000);
  });

  it('lists every problem of a bad file at once, exit 1', async () => {
    const f = sb.path('bad.toml');
    writeFileSync(f, 'listen = "nowhere"\nlog_level = "loud"\n[sessions]\nmax_tll = "1h"\n[crypto]\nprovider = "openssl"\n');
    const r = await sb.run(['config', 'validate', f]);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`vault: error: configuration is invalid: 4 problems in ${f}`);
    const rest = lines.slice(1).sort();
    expect(rest).toHaveLength(4);
    expect(rest.some((l) => l.startsWith('vault: error: listen: '))).toBe(true);
    expect(rest.some((l) => l.startsWith('vault: error: log_level: '))).toBe(true);
    expect(rest).toContain('vault: error: sessions.max_tll: unknown key');
    expect(rest.some((l) => l.startsWith('vault: error: crypto.provider: '))).toBe(true);

    const j = await sb.run(['config', 'validate', f, '--json']);
    expect(j.code).toBe(1);
    const doc = JSON.parse(j.out) as { ok: boolean; problems: { path: string }[] };
    expect(doc.ok).toBe(false);
    expect(doc.problems.map((p) => p.path).sort()).toEqual(['crypto.provider', 'listen', 'log_level', 'sessions.max_tll']);
  });

  it('reports a TOML syntax error and a missing named file', async () => {
    const f = sb.path('syntax.toml');
    writeFileSync(f, 'listen = \n');
    const r = await sb.run(['config', 'validate', f]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vault: error: configuration is invalid: 1 problem in .*\nvault: error: invalid TOML at line 1/);
    const m = await sb.run(['config', 'validate', sb.path('missing.toml')]);
    expect(m.code).toBe(1);
    expect(m.stderr).toContain('does not exist');
  });

  it('checks the environment too (ONTOREF_ADDR)', async () => {
    const r = await sb.run(['config', 'validate'], { env: { ONTOREF_ADDR: 'ftp://x', ONTOREF_DATA_DIR: sb.path('no-vault-needed') } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('vault: error: env.ONTOREF_ADDR: ');
  });
});

describe('vault audit verify', () => {
  it('verifies the audit log of a fresh vault offline', async () => {
    const dir = sb.path('vault-json');
    const r = await sb.run(['audit', 'verify', '--data-dir', dir]);
    expectOk(r);
    expect(r.out).toMatch(/^audit log ok: \d+ entries, \d+ checkpoints/);
    const j = await sb.run(['audit', 'verify', '--json'], { env: { ONTOREF_DATA_DIR: dir } });
    expectOk(j);
    expect(JSON.parse(j.out)).toMatchObject({ ok: true, first_bad: null, data_dir: dir });
  });

  it('a data dir without a vault is a local error with a hint', async () => {
    const r = await sb.run(['audit', 'verify', '--data-dir', sb.path('nothing-here')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('vault: error: file or stream error: no vault.db in');
  });
});

describe('client commands without a daemon', () => {
  it('vault status: exit 1 and the unreachable hint naming ONTOREF_ADDR', async () => {
    const addr = `http://127.0.0.1:${await closedPort()}`;
    const r = await sb.run(['status'], { env: { ONTOREF_ADDR: addr } });
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.stderr).toBe(
      'vault: error: cannot reach the vault daemon\n' +
        `vault: hint: no answer from ${addr} (ECONNREFUSED)\n` +
        "vault: hint: check ONTOREF_ADDR, or start the daemon with 'vault server'\n",
    );
  });

  it('an invalid ONTOREF_ADDR is a local error', async () => {
    const r = await sb.run(['status'], { env: { ONTOREF_ADDR: 'localhost:8420' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vault: error: invalid argument: ONTOREF_ADDR must be an http/);
  });

  it('refuses a token file that group or others can read, before any request', async () => {
    const home = sb.home;
    const tokenDir = join(home, '.config', 'ontoref');
    mkdirSync(tokenDir, { recursive: true, mode: 0o700 });
    const tokenFile = join(tokenDir, 'token');
    writeFileSync(tokenFile, 'some.session.token\n');
    chmodSync(tokenFile, 0o644);
    try {
      const r = await sb.run(['token', 'lookup'], { env: { ONTOREF_ADDR: `http://127.0.0.1:${await closedPort()}` } });
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`vault: error: file permissions are too open: ${tokenFile} is accessible by group or others\nvault: hint: chmod 600 ${tokenFile}\n`);
    } finally {
      // Leave no trace: `vault login` below must create the directory itself.
      rmSync(tokenDir, { recursive: true, force: true });
    }
  });

  it('refuses an API key file that group or others can read', async () => {
    const key = sb.path('loose.key');
    writeFileSync(key, 'ovk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n');
    chmodSync(key, 0o644);
    const r = await sb.run(['login', '--key-file', key], { env: { ONTOREF_ADDR: `http://127.0.0.1:${await closedPort()}` } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('vault: error: file permissions are too open');
  });

  it('local argument checks come before any request', async () => {
    const env = { ONTOREF_ADDR: `http://127.0.0.1:${await closedPort()}` };
    const cases: [string[], string][] = [
      [['apikeys', 'create', '--label', 'x'], 'vault: error: invalid usage: missing required option --role\n'],
      [['apikeys', 'create', '--role', 'root', '--label', 'x'], 'vault: error: invalid argument: --role must be admin, operator or reader\n'],
      [['apikeys', 'rotate', 'not-an-id'], 'vault: error: invalid argument: an API key id is 16 hex digits (see vault apikeys list)\n'],
      [['sessions', 'revoke', '42'], 'vault: error: invalid argument: a session id is a UUID (see vault sessions list)\n'],
      [['keys', 'rotate', 'root'], 'vault: error: invalid argument: key name must be one of kem, sign, sign-falcon, token, audit\n'],
      [['login', '--ttl', 'forever'], 'vault: error: invalid argument: --ttl must be a duration such as 15m, 1h or 1h30m (units d, h, m, s, ms)\n'],
      [['login', '--admin', '--key-file', 'k'], 'vault: error: invalid usage: --admin and --key-file exclude each other\n'],
    ];
    for (const [args, first] of cases) {
      const r = await sb.run(args, { env });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.startsWith(first), r.stderr).toBe(true);
    }
  });

  it('help and client commands load neither fastify, SQLite nor the crypto stack', async () => {
    const log = sb.path('loaded.txt');
    const hooks = sb.path('hooks.mjs');
    const register = sb.path('register.mjs');
    writeFileSync(hooks, `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }\n`);
    writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${hooks}`)});\n`);
    const addr = `http://127.0.0.1:${await closedPort()}`;
    const runs: [string[], number, boolean][] = [
      [['--help'], 0, false],
      [['status', '--help'], 0, false],
      [['help', 'apikeys'], 0, false],
      [['apikeys', 'create', '--bogus'], 1, false],
      [['status'], 1, true],
    ];
    for (const [args, code, client] of runs) {
      writeFileSync(log, '');
      const r = await sb.run(args, { env: { NODE_OPTIONS: `--import ${register}`, ONTOREF_ADDR: addr } });
      expect(r.code, args.join(' ')).toBe(code);
      const loaded = loadedSources(readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith('file:')));
      expect(loaded).toContain('cli/main.ts');
      expect(loaded.filter((u) => /fastify|better-sqlite3|^src\/(crypto|envelope|storage|http|seal|auth)\/|@noble|argon2/.test(u)), args.join(' ')).toEqual([]);
      expect(loaded.some((u) => u.startsWith('src/client/')), args.join(' ')).toBe(client);
    }
  });
});

// --- a stand-in for the daemon's network peer ------------------------------------------

describe('vault server (smoke test)', () => {
  const daemonBuilt = existsSync(cliPath);
  it.skipIf(!daemonBuilt)('setup, server on a free port, status 0, SIGTERM exits 0', async () => {
    const { spawn } = await import('node:child_process');
    const dir = sb.path('vault-server');
    const keyFile = join(dir, 'unseal.key');
    expectOk(await sb.run(['setup', '--gen-keys', '--unseal-key-file', keyFile, '--data-dir', dir]));
    const port = await closedPort();
    const config = sb.path('server.toml');
    writeFileSync(config, `listen = "127.0.0.1:${port}"\ndata_dir = ${JSON.stringify(dir)}\nlog_level = "warn"\n[seal]\nunseal_key_file = ${JSON.stringify(keyFile)}\n`);
    const child = spawn(process.execPath, [cliPath, 'server', '--config', config], {
      env: { PATH: process.env['PATH'] ?? '', HOME: sb.home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const env = { ONTOREF_ADDR: `http://127.0.0.1:${port}` };
      let status: CliResult | undefined;
      for (let i = 0; i < 100; i++) {
        status = await sb.run(['status'], { env });
        if (status.code !== 1) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(status?.code, `${status?.stderr ?? ''}\n${stderr}`).toBe(0);
      expect(status?.out).toMatch(/^Sealed +false$/m);
      // The client's shapes match the real daemon's: one session round trip.
      const login = await sb.run(['login', '--admin', '--json'], { env: { ...env, ONTOREF_DATA_DIR: dir } });
      expectOk(login);
      expect(JSON.parse(login.out)).toMatchObject({ role: 'admin', scope: '*' });
      const keys = await sb.run(['keys', 'list', '--json'], { env });
      expectOk(keys);
      expect((JSON.parse(keys.out) as { keys: { name: string }[] }).keys.map((k) => k.name)).toEqual(expect.arrayContaining(['kem', 'sign', 'token', 'audit']));
      expectOk(await sb.run(['logout'], { env }));
      const after = await sb.run(['keys', 'list'], { env: { ...env, ONTOREF_TOKEN: 'not.a.session' } });
      expect(after.code).toBe(2);
      expect(after.stderr).toContain("vault: hint: run 'vault login' to start a new session");
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

describe('leaks', () => {
  it('no admin key from any admin.token file appeared on any stream', () => {
    const keys: string[] = [];
    for (const d of ['vault-a', 'vault-json', 'vault-keyfile']) {
      const f = join(sb.path(d), 'admin.token');
      if (existsSync(f)) keys.push(readFileSync(f, 'utf8').trim());
    }
    expect(keys.length).toBeGreaterThan(0);
    for (const r of transcript) for (const k of keys) expect(r.out + r.stderr).not.toContain(k);
  });
});

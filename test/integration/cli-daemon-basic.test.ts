/**
 * The daemon-facing `vault` commands run as real child processes of the built CLI
 * (dist/cli/main.js) in a temporary HOME, for everything that needs no running daemon:
 * `setup --gen-keys` (files, modes, refusal without --force, --json, key-file mode),
 * `config validate`, `audit verify` on a fresh vault, `status` with no daemon, token file
 * permission checks, and that help and client commands stay light (no fastify, SQLite or
 * crypto loaded). A small node:http server stands in for the daemon's network peer to
 * check what the CLI sends and how it maps answers to output and exit codes; the real
 * daemon flow lives in the daemon integration tests. When src/daemon.ts is built, one
 * smoke test starts `vault server` for real.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, makeSandbox, repoRoot, transcript, type CliResult, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function expectOk(r: CliResult): void {
  expect(r.code, `vault ${r.args.join(' ')}\n${r.stderr}`).toBe(0);
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
      const loaded = readFileSync(log, 'utf8').split('\n').filter((u) => u.startsWith('file:'));
      expect(loaded.some((u) => u.endsWith('/dist/cli/main.js'))).toBe(true);
      expect(loaded.filter((u) => /fastify|better-sqlite3|\/dist\/src\/(crypto|envelope|storage|http|seal|auth)\/|@noble|argon2/.test(u)), args.join(' ')).toEqual([]);
      expect(loaded.some((u) => u.includes('/dist/src/client/')), args.join(' ')).toBe(client);
    }
  });
});

// --- a stand-in for the daemon's network peer ------------------------------------------

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: string;
}

describe('client commands against a stand-in HTTP peer', () => {
  let server: Server;
  let addr: string;
  const seen: Seen[] = [];
  let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void = () => undefined;

  function json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
        handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    addr = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const STATUS = { initialized: true, sealed: true, mode: 'shamir', t: 2, n: 3, progress: 0, nonce: '', version: '0.1.0' };
  const SESSION = {
    id: '8a4c7d3e-1f2b-4c5d-8e9f-0a1b2c3d4e5f',
    api_key_id: '0123456789abcdef',
    role: 'admin',
    scope: '*',
    label: 'daemon admin',
    issued_at: '2025-01-01T00:00:00.000Z',
    expires_at: '2025-01-01T01:00:00.000Z',
  };

  it('vault status exits 0 unsealed and 2 sealed, with --json', async () => {
    seen.length = 0;
    let sealed = true;
    handler = (_req, res) => json(res, 200, { ...STATUS, sealed });
    const s = await sb.run(['status'], { env: { ONTOREF_ADDR: addr } });
    expect(s.code).toBe(2);
    expect(s.out).toMatch(/^Sealed +true$/m);
    expect(s.out).toMatch(/^Unseal progress +0\/2$/m);
    sealed = false;
    const u = await sb.run(['status', '--json'], { env: { ONTOREF_ADDR: addr } });
    expect(u.code).toBe(0);
    expect(JSON.parse(u.out)).toEqual({ addr, ...STATUS, sealed: false });
    expect(seen.map((x) => `${x.method} ${x.url} ${String(x.auth)}`)).toEqual(['GET /v1/sys/seal-status undefined', 'GET /v1/sys/seal-status undefined']);
  });

  it('vault unseal submits the shares from stdin one per line until unsealed', async () => {
    seen.length = 0;
    let progress = 0;
    handler = (req, res, body) => {
      if (req.url === '/v1/sys/seal-status') return json(res, 200, STATUS);
      const share = (JSON.parse(body) as { share: string }).share;
      if (share === 'ovs1-bad') return json(res, 400, { error: { code: 'OV_UNSEAL_INVALID_SHARE', message: 'x' } });
      progress++;
      json(res, 200, { ...STATUS, progress: progress % 2, sealed: progress < 2 });
    };
    const r = await sb.run(['unseal'], { env: { ONTOREF_ADDR: addr }, stdin: '# shares\novs1-one\n\novs1-two\novs1-three\n' });
    expectOk(r);
    expect(r.out).toBe('vault unsealed\n');
    expect(r.stderr).toBe('vault sealed: unseal progress 1/2\n');
    expect(seen.map((x) => x.body)).toEqual(['', '{"share":"ovs1-one"}', '{"share":"ovs1-two"}']);
    // A share the daemon rejects: exit 2, its message.
    const bad = await sb.run(['unseal'], { env: { ONTOREF_ADDR: addr }, stdin: 'ovs1-bad\n' });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('vault: error: unseal share is malformed or mistyped\n');
  });

  it('vault login writes the token file 0600 in a 0700 dir; later commands send it as a bearer token', async () => {
    seen.length = 0;
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
    const key = 'ovk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    handler = (req, res) => {
      if (req.url === '/v1/sessions') return json(res, 200, { token, id: SESSION.id, expires_at: SESSION.expires_at, role: 'admin', scope: '*' });
      if (req.url === '/v1/sessions/self' && req.method === 'GET') return json(res, 200, SESSION);
      res.writeHead(204);
      res.end();
    };
    const env = { ONTOREF_ADDR: addr };
    const login = await sb.run(['login', '--ttl', '1h30m'], { env, stdin: `${key}\n` });
    expectOk(login);
    expect(login.out).toBe(`logged in: session ${SESSION.id}, role admin, scope *, expires ${SESSION.expires_at}\n`);
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ key, ttl: '1h30m' });
    expect(seen[0]?.auth).toBeUndefined();
    const tokenFile = join(sb.home, '.config', 'ontoref', 'token');
    expect(readFileSync(tokenFile, 'utf8')).toBe(`${token}\n`);
    expect(mode(tokenFile)).toBe(0o600);
    expect(mode(join(sb.home, '.config', 'ontoref'))).toBe(0o700);
    expect(login.out + login.stderr).not.toContain(token);
    expect(login.out + login.stderr).not.toContain(key);

    const lookup = await sb.run(['token', 'lookup', '--json'], { env });
    expectOk(lookup);
    expect(JSON.parse(lookup.out)).toEqual({ ...SESSION, token_source: tokenFile });
    expect(seen[1]).toMatchObject({ method: 'GET', url: '/v1/sessions/self', auth: `Bearer ${token}` });

    // ONTOREF_TOKEN wins over the file.
    await sb.run(['token', 'lookup'], { env: { ...env, ONTOREF_TOKEN: 'from.the.env' } });
    expect(seen[2]?.auth).toBe('Bearer from.the.env');

    const logout = await sb.run(['logout'], { env });
    expectOk(logout);
    expect(seen[3]).toMatchObject({ method: 'DELETE', url: '/v1/sessions/self', auth: `Bearer ${token}` });
    expect(existsSync(tokenFile)).toBe(false);
  });

  it('an expired session: exit 2 with the login hint; a rotated key at login: exit 2 with its own hint', async () => {
    handler = (_req, res) => json(res, 401, { error: { code: 'OV_AUTH_INVALID', message: 'invalid credentials' } });
    const env = { ONTOREF_ADDR: addr, ONTOREF_TOKEN: 'old.session.token' };
    const r = await sb.run(['sessions', 'list'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("vault: error: invalid credentials\nvault: hint: run 'vault login' to start a new session\n");
    const key = sb.path('old.key');
    writeFileSync(key, 'ovk_0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n', { mode: 0o600 });
    const l = await sb.run(['login', '--key-file', key], { env: { ONTOREF_ADDR: addr } });
    expect(l.code).toBe(2);
    expect(l.stderr).toBe('vault: error: invalid credentials\nvault: hint: check the API key: a rotated or deleted key no longer works\n');
  });

  it('a sealed daemon: exit 2 with the unseal hint', async () => {
    handler = (_req, res) => json(res, 503, { error: { code: 'OV_SEALED', message: 'vault is sealed' } });
    const r = await sb.run(['keys', 'list'], { env: { ONTOREF_ADDR: addr, ONTOREF_TOKEN: 't.o.k' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("vault: error: vault is sealed\nvault: hint: run 'vault unseal' to unseal it\n");
  });

  it('vault apikeys create prints the key once on stdout and its id on stderr; -o writes it 0600', async () => {
    const created = { id: '0123456789abcdef', role: 'reader', scope: 'apps/web', label: 'web', created_at: '2025-01-01T00:00:00.000Z', rotated_at: null };
    const key = 'ovk_0123456789abcdef_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB';
    seen.length = 0;
    handler = (_req, res) => json(res, 200, { ...created, key });
    const env = { ONTOREF_ADDR: addr, ONTOREF_TOKEN: 'admin.session.token' };
    const r = await sb.run(['apikeys', 'create', '--role', 'reader', '--scope', 'apps/web', '--label', 'web'], { env });
    expectOk(r);
    expect(r.out).toBe(`${key}\n`);
    expect(r.stderr).toContain('key id: 0123456789abcdef');
    expect(r.stderr).not.toContain(key);
    expect(JSON.parse(seen[0]?.body ?? '')).toEqual({ role: 'reader', label: 'web', scope: 'apps/web' });

    const out = sb.path('web.key');
    const f = await sb.run(['apikeys', 'create', '--role', 'reader', '--label', 'web', '-o', out], { env });
    expectOk(f);
    expect(f.out).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(`${key}\n`);
    expect(mode(out)).toBe(0o600);
    // Never replaced without --force.
    const again = await sb.run(['apikeys', 'create', '--role', 'reader', '--label', 'web', '-o', out], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');

    const j = await sb.run(['apikeys', 'rotate', '0123456789abcdef', '--json'], { env });
    expectOk(j);
    expect(JSON.parse(j.out)).toEqual({ ...created, key });
  });

  it('an unknown error code from a newer daemon is exit 2, not a crash', async () => {
    handler = (_req, res) => json(res, 400, { error: { code: 'OV_SOMETHING_NEW', message: 'x' } });
    const r = await sb.run(['keys', 'list'], { env: { ONTOREF_ADDR: addr, ONTOREF_TOKEN: 't' }, });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'vault: error: unexpected response from the vault daemon\n' +
        'vault: hint: check that ONTOREF_ADDR points at an ontoref-vault daemon of a compatible version\n',
    );
  });
});

describe('vault server (smoke test)', () => {
  const daemonBuilt = existsSync(join(repoRoot, 'dist/src/daemon.js'));
  it.skipIf(!daemonBuilt)('setup, server on a free port, status 0, SIGTERM exits 0', async () => {
    const { spawn } = await import('node:child_process');
    const dir = sb.path('vault-server');
    const keyFile = join(dir, 'unseal.key');
    expectOk(await sb.run(['setup', '--gen-keys', '--unseal-key-file', keyFile, '--data-dir', dir]));
    const port = await closedPort();
    const config = sb.path('server.toml');
    writeFileSync(config, `listen = "127.0.0.1:${port}"\ndata_dir = ${JSON.stringify(dir)}\nlog_level = "warn"\n[seal]\nunseal_key_file = ${JSON.stringify(keyFile)}\n`);
    const child = spawn(process.execPath, [join(repoRoot, 'dist/cli/main.js'), 'server', '--config', config], {
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

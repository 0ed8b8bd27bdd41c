/**
 * The daemon-facing `vault` commands against a small node:http server standing in for the
 * daemon, run as real child processes of the built CLI (dist/bundle/vault.js) in a temporary
 * HOME: what the CLI sends (method, path, headers, body) and how it maps answers to output
 * and exit codes.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, expectOk, makeSandbox, type Sandbox } from '../helpers/cli.js';

let sb: Sandbox;

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: string;
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

beforeAll(() => {
  assertBuilt();
  sb = makeSandbox('vault-cli-peer-');
});

afterAll(() => {
  sb.cleanup();
});

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
    expect(seen.map((x) => `${x.method} ${x.url} ${String(x.auth)}`)).toEqual([
      'GET /v1/sys/seal-status undefined',
      'GET /v1/sys/health undefined',
      'GET /v1/sys/seal-status undefined',
      'GET /v1/sys/health undefined',
    ]);
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

/**
 * The daemon's whole session life cycle against a real `vault server` on a loopback port
 * with a temporary data dir, driven with fetch and with the built CLI: setup, unseal with
 * 3 of 5 shares, the admin key exchanged for a token, a reader key and a scoped admin key
 * created and exchanged, two-tier session listing, revoke by id (401 on the very next
 * request), a restart (sessions survive; sealed until unsealed with another 3 shares),
 * API key rotation (its sessions die at once), seal (everything outside the status routes
 * answers 503), and a final `vault audit verify`. The last test greps the daemon's
 * captured output, the CLI's output and the audit log for every secret this file handled.
 *
 * Tests in this file run in order and share one daemon.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/errors.js';
import { assertBuilt, expectOk, makeSandbox, type Sandbox } from '../helpers/cli.js';
import {
  api,
  cliSources,
  daemonBuilt,
  errorCode,
  logEveryRequest,
  logSources,
  readAudit,
  SecretSet,
  setupVault,
  startDaemon,
  type ApiResponse,
  type Daemon,
  type SetupResult,
} from '../helpers/daemon.js';

interface SessionInfo {
  id: string;
  api_key_id: string;
  role: string;
  scope: string;
  label: string;
  issued_at: string;
  expires_at: string;
}
interface Exchange {
  token: string;
  id: string;
  expires_at: string;
  role: string;
  scope: string;
}
interface KeyWithSecret {
  id: string;
  role: string;
  scope: string;
  label: string;
  created_at: string;
  rotated_at: string | null;
  key: string;
}

let sb: Sandbox;
let logDir: string;
let dataDir: string;
let vault: SetupResult;
let daemon: Daemon;
let addr: string;
const secrets = new SecretSet();

// Filled in as the flow goes.
let adminToken = '';
let adminSid = '';
let reader: KeyWithSecret;
let appsAdmin: KeyWithSecret;
let readerSession: Exchange;
let appsSession: Exchange;
let readerSession2: Exchange;

function expectError(r: ApiResponse, status: number, code: keyof typeof ERRORS): void {
  expect({ status: r.status, code: errorCode(r) }, r.text).toEqual({ status, code });
  expect((r.json as { error: { message: string } }).error.message).toBe(ERRORS[code].message);
}

async function exchange(key: string, ttl?: string): Promise<Exchange> {
  const r = await api(addr, 'POST', '/v1/sessions', { json: ttl === undefined ? { key } : { key, ttl } });
  expect(r.status, r.text).toBe(200);
  const s = r.json as Exchange;
  secrets.add(`token of session ${s.id}`, s.token);
  return s;
}

async function listIds(token: string, query = ''): Promise<string[]> {
  const r = await api(addr, 'GET', `/v1/sessions${query}`, { token });
  expect(r.status, r.text).toBe(200);
  return (r.json as { sessions: SessionInfo[] }).sessions.map((s) => s.id).sort();
}

async function selfStatus(token: string): Promise<number> {
  return (await api(addr, 'GET', '/v1/sessions/self', { token })).status;
}

async function submitShare(share: string): Promise<ApiResponse> {
  return api(addr, 'POST', '/v1/sys/unseal', { json: { share } });
}

/** The environment of a CLI command talking to this daemon (token: the file `vault login` wrote). */
function cliEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { ONTOREF_ADDR: addr, ...extra };
}

const RUN = daemonBuilt;

beforeAll(() => {
  if (!RUN) return;
  assertBuilt();
  sb = makeSandbox('vault-flow-');
  logDir = join(sb.dir, 'logs');
  dataDir = sb.path('vault');
});

afterAll(async () => {
  if (!RUN) return;
  await daemon?.stop('SIGKILL');
  sb.cleanup();
});

describe.skipIf(!RUN)('daemon flow: setup, unseal, sessions, revoke, restart, rotate, seal', () => {
  it('setup gives 5 shares with threshold 3 and an admin key; the daemon starts sealed and refuses exchanges with 503', async () => {
    vault = await setupVault(sb, dataDir);
    logEveryRequest(dataDir);
    expect(vault.shares).toHaveLength(5);
    vault.shares.forEach((s, i) => secrets.add(`unseal share ${i + 1}`, s));
    secrets.add('admin key', vault.adminKey);

    daemon = await startDaemon({ home: sb.home, logDir, env: { ONTOREF_DATA_DIR: dataDir } });
    addr = daemon.addr;
    const health = await api(addr, 'GET', '/v1/sys/health');
    expect(health.status).toBe(503);
    expect(health.json).toEqual({ initialized: true, sealed: true, version: expect.any(String) as string, database: 'ok' });
    const status = await api(addr, 'GET', '/v1/sys/seal-status');
    expect(status.json).toMatchObject({ initialized: true, sealed: true, mode: 'shamir', t: 3, n: 5, progress: 0, nonce: '' });
    expectError(await api(addr, 'POST', '/v1/sessions', { json: { key: vault.adminKey } }), 503, 'OV_SEALED');
    const cli = await sb.run(['status'], { env: cliEnv() });
    expect(cli.code).toBe(2);
    expect(cli.out).toMatch(/^Sealed +true$/m);
  });

  it('unseals with 3 of the 5 shares (one over HTTP, two through vault unseal on stdin)', async () => {
    const first = await submitShare(vault.shares[0] as string);
    expect(first.status, first.text).toBe(200);
    expect(first.json).toMatchObject({ sealed: true, progress: 1 });
    const nonce = (first.json as { nonce: string }).nonce;
    expect(nonce).toMatch(/^[0-9a-f]{32}$/);
    expect((await api(addr, 'GET', '/v1/sys/seal-status')).json).toMatchObject({ sealed: true, progress: 1, nonce });
    expect((await api(addr, 'GET', '/v1/sys/health')).status).toBe(503);

    const r = await sb.run(['unseal'], { env: cliEnv(), stdin: `${vault.shares[2] as string}\n${vault.shares[4] as string}\n` });
    expectOk(r);
    expect(r.out).toBe('vault unsealed\n');
    expect((await api(addr, 'GET', '/v1/sys/health')).status).toBe(200);
    expect((await api(addr, 'GET', '/v1/sys/seal-status')).json).toMatchObject({ sealed: false, progress: 0, nonce: '' });
    expectOk(await sb.run(['status'], { env: cliEnv() }));
  });

  it('vault login --admin exchanges the admin key for a daemon-admin session token', async () => {
    const r = await sb.run(['login', '--admin', '--json'], { env: cliEnv({ ONTOREF_DATA_DIR: dataDir }) });
    expectOk(r);
    const doc = JSON.parse(r.out) as { id: string; role: string; scope: string; token_file: string };
    expect(doc).toMatchObject({ role: 'admin', scope: '*' });
    adminToken = readFileSync(doc.token_file, 'utf8').trim();
    secrets.add('admin session token', adminToken);
    adminSid = doc.id;
    const self = await api(addr, 'GET', '/v1/sessions/self', { token: adminToken });
    expect(self.status).toBe(200);
    expect(self.json).toMatchObject({ id: adminSid, api_key_id: vault.adminKeyId, role: 'admin', scope: '*', label: 'daemon admin' });
  });

  it('creates a reader key (CLI) and a scoped admin key (HTTP); both are exchanged for sessions', async () => {
    const c = await sb.run(['apikeys', 'create', '--role', 'reader', '--scope', 'apps/web', '--label', 'web reader', '--json'], { env: cliEnv() });
    expectOk(c);
    reader = JSON.parse(c.out) as KeyWithSecret;
    expect(reader).toMatchObject({ role: 'reader', scope: 'apps/web', label: 'web reader', rotated_at: null });
    expect(reader.key).toMatch(new RegExp(`^ovk_${reader.id}_[A-Za-z0-9_-]{43}$`));
    secrets.add('reader key', reader.key);

    const a = await api(addr, 'POST', '/v1/apikeys', { token: adminToken, json: { role: 'admin', scope: 'apps', label: 'apps admin' } });
    expect(a.status, a.text).toBe(201);
    appsAdmin = a.json as KeyWithSecret;
    secrets.add('apps admin key', appsAdmin.key);

    readerSession = await exchange(reader.key, '15m');
    expect(readerSession).toMatchObject({ role: 'reader', scope: 'apps/web' });
    const ttl = Date.parse(readerSession.expires_at) - Date.now();
    expect(ttl).toBeGreaterThan(10 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);
    appsSession = await exchange(appsAdmin.key);
    expect(appsSession).toMatchObject({ role: 'admin', scope: 'apps' });

    const list = await sb.run(['apikeys', 'list', '--json'], { env: cliEnv() });
    expectOk(list);
    const ids = (JSON.parse(list.out) as { apikeys: { id: string }[] }).apikeys.map((k) => k.id);
    expect(ids).toEqual([vault.adminKeyId, reader.id, appsAdmin.id]);
  });

  it('lists sessions two-tier: the daemon admin sees all, the scoped admin its scope, the reader only itself', async () => {
    expect(await listIds(adminToken)).toEqual([adminSid, readerSession.id, appsSession.id].sort());
    const cli = await sb.run(['sessions', 'list', '--json'], { env: cliEnv() });
    expectOk(cli);
    const listed = (JSON.parse(cli.out) as { sessions: SessionInfo[] }).sessions;
    expect(listed.map((s) => s.id).sort()).toEqual([adminSid, readerSession.id, appsSession.id].sort());
    expect(listed.find((s) => s.id === readerSession.id)).toMatchObject({ api_key_id: reader.id, role: 'reader', scope: 'apps/web', label: 'web reader' });
    expect(JSON.stringify(listed)).not.toContain('token');

    // The scoped admin (scope apps) sees the apps/web reader and itself, not the daemon admin.
    expect(await listIds(appsSession.token)).toEqual([readerSession.id, appsSession.id].sort());
    // ... and the daemon admin's session does not exist for it.
    expectError(await api(addr, 'DELETE', `/v1/sessions/${adminSid}`, { token: appsSession.token }), 404, 'OV_NOT_FOUND');

    // A reader lists nothing and revokes nobody else, but sees its own session.
    expectError(await api(addr, 'GET', '/v1/sessions', { token: readerSession.token }), 403, 'OV_FORBIDDEN');
    expectError(await api(addr, 'DELETE', `/v1/sessions/${appsSession.id}`, { token: readerSession.token }), 403, 'OV_FORBIDDEN');
    const self = await api(addr, 'GET', '/v1/sessions/self', { token: readerSession.token });
    expect(self.json).toMatchObject({ id: readerSession.id, api_key_id: reader.id, role: 'reader', scope: 'apps/web' });
    expect((await api(addr, 'GET', '/v1/keys', { token: readerSession.token })).status).toBe(200);

    // The refused revocations changed nothing.
    expect(await listIds(adminToken)).toEqual([adminSid, readerSession.id, appsSession.id].sort());
  });

  it('revokes a session by id: the very next request with its token gets 401', async () => {
    expect(await selfStatus(readerSession.token)).toBe(200);
    const r = await sb.run(['sessions', 'revoke', readerSession.id], { env: cliEnv() });
    expectOk(r);
    expect(r.out).toBe(`session ${readerSession.id} revoked\n`);
    const after = await api(addr, 'GET', '/v1/sessions/self', { token: readerSession.token });
    expectError(after, 401, 'OV_AUTH_INVALID');
    expect(after.headers.get('www-authenticate')).toBe('Bearer');
    expectError(await api(addr, 'GET', '/v1/keys', { token: readerSession.token }), 401, 'OV_AUTH_INVALID');
    // Revoking it again: it no longer exists.
    expectError(await api(addr, 'DELETE', `/v1/sessions/${readerSession.id}`, { token: adminToken }), 404, 'OV_NOT_FOUND');
    expect(await listIds(adminToken)).toEqual([adminSid, appsSession.id].sort());
    expect(await selfStatus(appsSession.token)).toBe(200);
    // The key itself still works: a new session for the restart test.
    readerSession2 = await exchange(reader.key);
  });

  it('restart: the daemon comes back sealed, sessions wait with 503, then work again after unsealing with another 3 shares', async () => {
    expect(await daemon.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    daemon = await startDaemon({ home: sb.home, logDir, port: daemon.port, env: { ONTOREF_DATA_DIR: dataDir } });
    expect(daemon.addr).toBe(addr);

    expect((await api(addr, 'GET', '/v1/sys/health')).status).toBe(503);
    expect((await api(addr, 'GET', '/v1/sys/seal-status')).json).toMatchObject({ sealed: true, progress: 0 });
    expectError(await api(addr, 'GET', '/v1/sessions/self', { token: readerSession2.token }), 503, 'OV_SEALED');
    expectError(await api(addr, 'GET', '/v1/sessions', { token: adminToken }), 503, 'OV_SEALED');

    // Shares 2, 4 and 1 this time: any 3 of the 5.
    expect((await submitShare(vault.shares[1] as string)).json).toMatchObject({ sealed: true, progress: 1 });
    expect((await submitShare(vault.shares[3] as string)).json).toMatchObject({ sealed: true, progress: 2 });
    const last = await submitShare(vault.shares[0] as string);
    expect(last.status, last.text).toBe(200);
    expect(last.json).toMatchObject({ sealed: false, progress: 0 });

    expect((await api(addr, 'GET', '/v1/sessions/self', { token: readerSession2.token })).json).toMatchObject({ id: readerSession2.id });
    expect((await api(addr, 'GET', '/v1/sessions/self', { token: adminToken })).json).toMatchObject({ id: adminSid });
    expect(await selfStatus(appsSession.token)).toBe(200);
    // Revoked before the restart, still revoked after it.
    expectError(await api(addr, 'GET', '/v1/sessions/self', { token: readerSession.token }), 401, 'OV_AUTH_INVALID');
    expect(await listIds(adminToken)).toEqual([adminSid, appsSession.id, readerSession2.id].sort());
  });

  it("rotating the reader key ends all of its sessions at once; the old secret stops working, the new one works", async () => {
    const readerSession3 = await exchange(reader.key);
    expect(await listIds(adminToken, `?api_key_id=${reader.id}`)).toEqual([readerSession2.id, readerSession3.id].sort());

    const r = await sb.run(['apikeys', 'rotate', reader.id, '--json'], { env: cliEnv() });
    expectOk(r);
    const rotated = JSON.parse(r.out) as KeyWithSecret;
    secrets.add('rotated reader key', rotated.key);
    expect(rotated).toMatchObject({ id: reader.id, role: 'reader', scope: 'apps/web', label: 'web reader', created_at: reader.created_at });
    expect(rotated.rotated_at).not.toBeNull();
    expect(rotated.key).not.toBe(reader.key);

    for (const t of [readerSession2.token, readerSession3.token]) expectError(await api(addr, 'GET', '/v1/sessions/self', { token: t }), 401, 'OV_AUTH_INVALID');
    expect(await listIds(adminToken, `?api_key_id=${reader.id}`)).toEqual([]);
    expectError(await api(addr, 'POST', '/v1/sessions', { json: { key: reader.key } }), 401, 'OV_AUTH_INVALID');
    const fresh = await exchange(rotated.key);
    expect(fresh).toMatchObject({ role: 'reader', scope: 'apps/web' });
    expect(await listIds(adminToken, `?api_key_id=${reader.id}`)).toEqual([fresh.id]);
    // Other keys' sessions are untouched.
    expect(await selfStatus(adminToken)).toBe(200);
    expect(await selfStatus(appsSession.token)).toBe(200);
  });

  it('deleting the scoped admin key ends its session at once and removes it from the list', async () => {
    expect(await selfStatus(appsSession.token)).toBe(200);
    const r = await sb.run(['apikeys', 'delete', appsAdmin.id], { env: cliEnv() });
    expectOk(r);
    expectError(await api(addr, 'GET', '/v1/sessions/self', { token: appsSession.token }), 401, 'OV_AUTH_INVALID');
    expectError(await api(addr, 'POST', '/v1/sessions', { json: { key: appsAdmin.key } }), 401, 'OV_AUTH_INVALID');
    const keys = await api(addr, 'GET', '/v1/apikeys', { token: adminToken });
    expect((keys.json as { apikeys: { id: string }[] }).apikeys.map((k) => k.id)).toEqual([vault.adminKeyId, reader.id]);
    expect(await listIds(adminToken, `?api_key_id=${appsAdmin.id}`)).toEqual([]);
  });

  it('seal: everything outside the status routes answers 503 OV_SEALED, with or without a token', async () => {
    const r = await sb.run(['seal'], { env: cliEnv() });
    expectOk(r);
    expect(r.out).toBe('vault sealed\n');

    const health = await api(addr, 'GET', '/v1/sys/health');
    expect(health.status).toBe(503);
    expect(health.json).toMatchObject({ initialized: true, sealed: true });
    const status = await api(addr, 'GET', '/v1/sys/seal-status');
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({ sealed: true, progress: 0 });

    const calls: [string, string, { token?: string; json?: unknown }][] = [
      ['GET', '/v1/sessions/self', { token: adminToken }],
      ['DELETE', '/v1/sessions/self', { token: adminToken }],
      ['GET', '/v1/sessions', { token: adminToken }],
      ['DELETE', `/v1/sessions/${adminSid}`, { token: adminToken }],
      ['POST', '/v1/sessions', { json: { key: vault.adminKey } }],
      ['GET', '/v1/apikeys', { token: adminToken }],
      ['GET', '/v1/apikeys', {}],
      ['POST', '/v1/apikeys', { token: adminToken, json: { role: 'reader', label: 'sealed' } }],
      ['POST', `/v1/apikeys/${reader.id}/rotate`, { token: adminToken }],
      ['DELETE', `/v1/apikeys/${reader.id}`, { token: adminToken }],
      ['GET', '/v1/keys', { token: adminToken }],
      ['POST', '/v1/keys/token/rotate', { token: adminToken }],
      ['POST', '/v1/sys/seal', { token: adminToken }],
      ['GET', '/v1/sys/metrics', { token: adminToken }],
    ];
    for (const [method, path, opts] of calls) {
      const res = await api(addr, method, path, opts);
      expect({ call: `${method} ${path}`, status: res.status, code: errorCode(res) }).toEqual({ call: `${method} ${path}`, status: 503, code: 'OV_SEALED' });
    }
    const cli = await sb.run(['status'], { env: cliEnv() });
    expect(cli.code).toBe(2);
    const keys = await sb.run(['keys', 'list'], { env: cliEnv() });
    expect(keys.code).toBe(2);
    expect(keys.stderr).toBe("vault: error: vault is sealed\nvault: hint: run 'vault unseal' to unseal it\n");
  });

  it('stops cleanly; vault audit verify passes over the whole run, signed by the checkpoint seal wrote', async () => {
    expect(await daemon.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    const v = await sb.run(['audit', 'verify', '--data-dir', dataDir, '--json']);
    expectOk(v);
    const doc = JSON.parse(v.out) as { ok: boolean; entries: number; checkpoints: number; first_bad: unknown };
    expect(doc.ok).toBe(true);
    expect(doc.first_bad).toBeNull();
    expect(doc.checkpoints).toBeGreaterThanOrEqual(1);

    const audit = readAudit(dataDir);
    expect(doc.entries).toBe(audit.length);
    // The revocation and the rotation are on record with the ids they touched.
    expect(audit.some((e) => e.method === 'DELETE' && e.status === 204 && e.detail?.['revoked'] === readerSession.id)).toBe(true);
    expect(audit.some((e) => e.path === `/v1/apikeys/${reader.id}/rotate` && e.status === 200 && e.detail?.['revoked'] === 2)).toBe(true);
    // Refused while sealed is still on record: every one of the 14 calls above.
    expect(audit.filter((e) => e.status === 503 && e.code === 'OV_SEALED').length).toBeGreaterThanOrEqual(14 + 3);
    // The refused request after the revocation is an auth failure.
    expect(audit.some((e) => e.type === 'auth' && e.status === 401 && e.path === '/v1/sessions/self')).toBe(true);
    expect(existsSync(join(dataDir, 'vault.db'))).toBe(true);
    // Two starts, no runtime warnings (a deprecated fastify option prints one at every start).
    const stderr = logSources(logDir).filter((s) => s.name.endsWith('.stderr.log')).map((s) => s.text).join('');
    expect(stderr).not.toMatch(/Warning|Deprecation|FSTDEP/);
  });

  it('no secret of this run (shares, keys, tokens) appears in daemon output, CLI argv/stderr/stdout or the audit log', () => {
    expect(secrets.size).toBeGreaterThanOrEqual(14);
    const logs = logSources(logDir);
    expect(logs.map((l) => l.name).sort()).toEqual(['daemon.stderr.log', 'daemon.stdout.log']);
    // The logs are real: requests were logged (so an empty file cannot pass this check).
    expect(logs.find((l) => l.name === 'daemon.stdout.log')?.text).toContain('/v1/sessions');
    const audit = readAudit(dataDir).map((e) => ({ name: `audit entry ${e.seq}`, text: e.raw }));
    expect(secrets.findIn([...logs, ...cliSources(), ...audit])).toEqual([]);
  });
});

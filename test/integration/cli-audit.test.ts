/**
 * `vault audit list | tail | hash` end to end: the built CLI as child processes against a
 * real daemon. list pages and filters, tail -n prints the newest entries oldest first,
 * tail --follow prints a new entry and exits 0 on SIGINT, and `vault audit hash` of a
 * token equals the HMAC the log recorded for a failed request with that token. The last
 * test greps the daemon's log, every CLI argv and output and the audit log for the hashed
 * input.
 *
 * Tests run in order and share one daemon.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, expectOk, cleanEnv, cliPath, makeSandbox, transcript, type CliResult, type RunOptions, type Sandbox } from '../helpers/cli.js';
import { api, daemonBuilt, logEveryRequest, logSources, readAudit, SecretSet, setupVault, startDaemon, unsealOverHttp, type Daemon, type SetupResult } from '../helpers/daemon.js';

const RUN = daemonBuilt;

let sb: Sandbox;
let logDir: string;
let vault: SetupResult;
let daemon: Daemon;
let adminToken = '';
const secrets = new SecretSet();
const HASHED = secrets.add('hashed input', 'audit-hash-input-5c0ffee-never-logged');
// Shaped like a token (three base64url parts), so the daemon records its HMAC.
const WRONG_TOKEN = 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJzb21lb25lIn0.bm90LWEtcmVhbC1zaWduYXR1cmU';

interface Entry {
  seq: number;
  time: string;
  hash: string;
  entry: Record<string, unknown>;
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { ONTOREF_ADDR: daemon.addr, ONTOREF_DATA_DIR: vault.dataDir, ...(adminToken === '' ? {} : { ONTOREF_TOKEN: adminToken }), ...extra };
}

function cli(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return sb.run(args, { ...opts, env: env(opts.env ?? {}) });
}

beforeAll(async () => {
  if (!RUN) return;
  assertBuilt();
  sb = makeSandbox('vault-audit-');
  logDir = join(sb.dir, 'logs');
  vault = await setupVault(sb, sb.path('vault'));
  vault.shares.forEach((s, i) => secrets.add(`share ${i + 1}`, s));
  logEveryRequest(vault.dataDir);
  daemon = await startDaemon({ home: sb.home, logDir, env: { ONTOREF_DATA_DIR: vault.dataDir } });
  await unsealOverHttp(daemon, vault.shares);
  const r = await cli(['login', '--admin', '--print-token']);
  expectOk(r);
  adminToken = secrets.add('admin session token', r.out.trim());
}, 60_000);

afterAll(async () => {
  if (!RUN) return;
  await daemon?.stop('SIGKILL');
  sb.cleanup();
});

describe.skipIf(!RUN)('vault audit against a real daemon', () => {
  it('list prints one page, filters by path and since, and pages with --after', async () => {
    for (const p of ['one', 'two', 'three']) {
      const r = await api(daemon.addr, 'PUT', `/v1/secrets/audited/${p}`, { token: adminToken, json: { data: { v: `value-${p}` } } });
      expect(r.status, r.text).toBe(200);
    }
    const all = await cli(['audit', 'list', '--path', '/v1/secrets/audited/', '--json']);
    expectOk(all);
    const page = JSON.parse(all.out) as { entries: Entry[]; next: number | null };
    expect(page.entries.map((e) => e.entry['path'])).toEqual(['/v1/secrets/audited/one', '/v1/secrets/audited/two', '/v1/secrets/audited/three']);
    expect(page.next).toBeNull();
    const stored = readAudit(vault.dataDir).filter((e) => e.path?.startsWith('/v1/secrets/audited/'));
    expect(page.entries.map((e) => e.seq)).toEqual(stored.map((e) => e.seq));

    const first = await cli(['audit', 'list', '--path', '/v1/secrets/audited/', '--limit', '2']);
    expectOk(first);
    const lines = first.out.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^\\S+Z #${stored[0]?.seq} request PUT /v1/secrets/audited/one 200 `));
    expect(first.stderr).toContain(`--after ${stored[1]?.seq}`);
    const rest = await cli(['audit', 'list', '--path', '/v1/secrets/audited/', '--after', String(stored[1]?.seq), '--json']);
    expect((JSON.parse(rest.out) as { entries: Entry[] }).entries.map((e) => e.seq)).toEqual([stored[2]?.seq]);

    const since = page.entries[2]?.time ?? '';
    const recent = await cli(['audit', 'list', '--path', '/v1/secrets/audited/', '--since', since, '--json']);
    expect((JSON.parse(recent.out) as { entries: Entry[] }).entries.every((e) => Date.parse(e.time) >= Date.parse(since))).toBe(true);
    const bad = await cli(['audit', 'list', '--since', 'yesterday']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--since must be an RFC 3339 time');
  });

  it('tail -n prints the newest entries, oldest of them first', async () => {
    const r = await cli(['audit', 'tail', '-n', '2', '--path', '/v1/secrets/audited/', '--json']);
    expectOk(r);
    const entries = r.out.trimEnd().split('\n').map((l) => JSON.parse(l) as Entry);
    expect(entries.map((e) => e.entry['path'])).toEqual(['/v1/secrets/audited/two', '/v1/secrets/audited/three']);
    const text = await cli(['audit', 'tail', '-n', '1']);
    expectOk(text);
    expect(text.out.trimEnd().split('\n')).toHaveLength(1);
  });

  it('tail --follow prints new entries and exits 0 on SIGINT', async () => {
    const child = spawn(process.execPath, [cliPath, 'audit', 'tail', '--follow', '-n', '1', '--path', '/v1/secrets/followed/', '--json'], {
      cwd: sb.home,
      env: cleanEnv(sb.home, env()),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const waiters: (() => void)[] = [];
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
      for (const w of waiters.splice(0)) w();
    });
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const outputContains = async (text: string): Promise<void> => {
      while (!out.includes(text)) await new Promise<void>((resolve) => waiters.push(resolve));
    };
    // The tail's read and a first poll (each audited, finding nothing) show the follower
    // has its starting point before the write.
    while (readAudit(vault.dataDir).filter((e) => e.path === '/v1/sys/audit' && e.detail?.['listed'] === 0).length < 2) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const w = await api(daemon.addr, 'PUT', '/v1/secrets/followed/x', { token: adminToken, json: { data: { v: 'followed-value' } } });
    expect(w.status, w.text).toBe(200);
    await outputContains('/v1/secrets/followed/x');
    child.kill('SIGINT');
    expect(await exited, err).toBe(0);
    const lines = out.trimEnd().split('\n').map((l) => JSON.parse(l) as Entry);
    expect(lines.map((e) => e.entry['path'])).toEqual(['/v1/secrets/followed/x']);
  }, 30_000);

  it('hash of a token equals what the log recorded for a failed request with it', async () => {
    const failed = await api(daemon.addr, 'GET', '/v1/secrets', { token: WRONG_TOKEN });
    expect(failed.status).toBe(401);
    const recorded = readAudit(vault.dataDir).filter((e) => e.status === 401).at(-1)?.detail?.['token'];
    expect(recorded).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    const r = await cli(['audit', 'hash'], { stdin: WRONG_TOKEN });
    expectOk(r);
    expect(r.out).toBe(`${String(recorded)}\n`);
    // The entry is findable through the API by that hash.
    const list = await cli(['audit', 'list', '--path', '/v1/secrets', '--limit', '1000', '--json']);
    expect((JSON.parse(list.out) as { entries: Entry[] }).entries.some((e) => (e.entry['detail'] as Record<string, unknown> | undefined)?.['token'] === recorded)).toBe(true);
    const extra = await cli(['audit', 'hash', 'VALUE-ON-ARGV']);
    expect(extra.code).toBe(1);
  });

  it('never logs or records the hashed input anywhere', async () => {
    const r = await cli(['audit', 'hash'], { stdin: HASHED });
    expectOk(r);
    expect(r.out).toMatch(/^hmac-sha256:[0-9a-f]{64}\n$/);
    const hash = r.out.trim();
    const audit = readAudit(vault.dataDir);
    const hashEntries = audit.filter((e) => e.path === '/v1/sys/audit/hash');
    expect(hashEntries.length).toBe(2);
    for (const e of hashEntries) expect(e.detail).toBeUndefined();
    expect(audit.some((e) => e.raw.includes(HASHED) || e.raw.includes(hash))).toBe(false);
    const logs = logSources(logDir);
    expect(logs.map((l) => l.text).join('').length).toBeGreaterThan(0);
    expect(logs.some((l) => l.text.includes('/v1/sys/audit/hash'))).toBe(true);
    const cliText = transcript.map((t) => ({ name: `vault ${t.args.join(' ')}`, text: `${t.args.join(' ')}\n${t.stderr}` }));
    expect(secrets.findIn([...logs, ...cliText])).toEqual([]);
  });
});

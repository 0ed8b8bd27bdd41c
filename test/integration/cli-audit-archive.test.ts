/**
 * `vault audit archive` and `vault audit verify` across archives, end to end: the built CLI
 * as child processes against a real daemon. Bad inputs (a malformed --before, an existing
 * output file without --force, a non-admin session) are refused with their exact codes
 * and change nothing; an archive ends on the checkpoint signed at seal, is written 0600,
 * pruned from the live log and verifies with it; an archive written but not pruned (a
 * crash between the two steps) still verifies, and running the command again writes the
 * same bytes and finishes the prune; damaged, missing and misordered archives fail verify
 * with their own codes. A second daemon with `[audit] retain` archives on its own into
 * archive_dir, and verify accepts that directory.
 *
 * Tests run in order and share one daemon.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, expectOk, makeSandbox, type CliResult, type RunOptions, type Sandbox } from '../helpers/cli.js';
import { api, daemonBuilt, readAudit, setupVault, startDaemon, unsealOverHttp, type Daemon, type SetupResult } from '../helpers/daemon.js';

const RUN = daemonBuilt;

let sb: Sandbox;
let vault: SetupResult;
let daemon: Daemon;
let adminToken = '';
let operatorToken = '';

function env(token = adminToken): Record<string, string> {
  return { ONTOREF_ADDR: daemon.addr, ONTOREF_DATA_DIR: vault.dataDir, ONTOREF_TOKEN: token };
}

function cli(args: readonly string[], opts: RunOptions & { token?: string } = {}): Promise<CliResult> {
  return sb.run(args, { ...opts, env: { ...env(opts.token), ...(opts.env ?? {}) } });
}

/** Some audited requests, then a seal (which signs a checkpoint over the head) and an unseal. */
async function activityThenCheckpoint(tag: string): Promise<void> {
  for (const p of ['a', 'b', 'c']) {
    const r = await api(daemon.addr, 'PUT', `/v1/secrets/archived/${tag}-${p}`, { token: adminToken, json: { data: { v: p } } });
    expect(r.status, r.text).toBe(200);
  }
  expect((await api(daemon.addr, 'POST', '/v1/sys/seal', { token: adminToken })).status).toBe(204);
  await unsealOverHttp(daemon, vault.shares);
}

const FUTURE = '2999-01-01T00:00:00Z';

beforeAll(async () => {
  if (!RUN) return;
  assertBuilt();
  sb = makeSandbox('vault-audit-archive-');
  vault = await setupVault(sb, sb.path('vault'));
  daemon = await startDaemon({ home: sb.home, logDir: join(sb.dir, 'logs'), env: { ONTOREF_DATA_DIR: vault.dataDir } });
  await unsealOverHttp(daemon, vault.shares);
  const r = await sb.run(['login', '--admin', '--print-token'], { env: { ONTOREF_ADDR: daemon.addr, ONTOREF_DATA_DIR: vault.dataDir } });
  expectOk(r);
  adminToken = r.out.trim();
  const created = await cli(['apikeys', 'create', '--role', 'operator', '--label', 'ops', '--json']);
  expectOk(created);
  const key = (JSON.parse(created.out) as { key: string }).key;
  const login = await sb.run(['login', '--print-token'], { env: { ONTOREF_ADDR: daemon.addr }, stdin: `${key}\n` });
  expectOk(login);
  operatorToken = login.out.trim();
}, 60_000);

afterAll(async () => {
  if (!RUN) return;
  await daemon?.stop('SIGKILL');
  sb.cleanup();
});

describe.skipIf(!RUN)('vault audit archive and verify across archives', () => {
  const first = (): string => sb.path('first.ovaudit');
  const second = (): string => sb.path('second.ovaudit');

  it('refuses a malformed --before, an existing file without --force and a non-admin, changing nothing', async () => {
    await activityThenCheckpoint('one');
    const before = readAudit(vault.dataDir).length;

    const bad = await cli(['audit', 'archive', '--before', 'last tuesday', '-o', first()]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('vault: error: invalid argument');
    expect(bad.stderr).toContain('--before must be a duration');

    writeFileSync(sb.path('taken.ovaudit'), 'keep me');
    const taken = await cli(['audit', 'archive', '--before', '1s', '-o', sb.path('taken.ovaudit')]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('already exists');
    expect(readFileSync(sb.path('taken.ovaudit'), 'utf8')).toBe('keep me');
    // Neither reached the daemon: no entry was added, nothing was archived.
    expect(readAudit(vault.dataDir).length).toBe(before);

    const op = await cli(['audit', 'archive', '--before', FUTURE, '-o', first()], { token: operatorToken });
    expect(op.code).toBe(2);
    expect(op.stderr).toContain('vault: error: permission denied');
    expect(existsSync(first())).toBe(false);
    const prune = await api(daemon.addr, 'POST', '/v1/sys/audit/prune', { token: operatorToken, json: { through: 1, hash: '00'.repeat(32) } });
    expect(prune.status).toBe(403);
    const stale = await api(daemon.addr, 'POST', '/v1/sys/audit/prune', { token: adminToken, json: { through: 1, hash: '00'.repeat(32) } });
    expect([stale.status, (stale.json as { error: { code: string } }).error.code]).toEqual([409, 'OV_AUDIT_ARCHIVE_STALE']);
    // Everything is still in the live log.
    expect(readAudit(vault.dataDir)[0]?.seq).toBe(1);
  });

  it('archives up to the seal checkpoint, prunes it from the live log, and verify passes with and without the archive', async () => {
    const r = await cli(['audit', 'archive', '--before', FUTURE, '-o', first(), '--json']);
    expectOk(r);
    const doc = JSON.parse(r.out) as { first_seq: number; last_seq: number; entries: number; pruned: number };
    expect(doc.first_seq).toBe(1);
    expect(doc.pruned).toBe(doc.last_seq);
    expect(doc.entries).toBe(doc.last_seq);
    expect(statSync(first()).mode & 0o777).toBe(0o600);
    expect(readFileSync(first(), 'utf8').startsWith('ontoref-vault-audit-archive/v1 ')).toBe(true);
    const live = readAudit(vault.dataDir);
    expect(live[0]?.seq).toBe(doc.last_seq + 1);
    // The archiving is itself on record, after the range it moved out.
    expect(live.some((e) => e.path === '/v1/sys/audit/prune' && e.detail?.['through'] === doc.last_seq)).toBe(true);
    expect(live.some((e) => e.path === '/v1/sys/audit/archive' && e.detail?.['last_seq'] === doc.last_seq)).toBe(true);

    const v = await cli(['audit', 'verify', first(), '--data-dir', vault.dataDir, '--json']);
    expectOk(v);
    expect(JSON.parse(v.out)).toMatchObject({ ok: true, first_seq: 1, archives: [{ first_seq: 1, last_seq: doc.last_seq }], overlap: 0, problem: null });
    const text = await cli(['audit', 'verify', first(), '--data-dir', vault.dataDir]);
    expectOk(text);
    expect(text.out).toContain(`archive ok: ${first()}: entries 1-${doc.last_seq}`);
    const alone = await cli(['audit', 'verify', '--data-dir', vault.dataDir]);
    expectOk(alone);
    expect(alone.out).toContain(`audit log ok from entry ${doc.last_seq + 1}`);
  });

  it('an archive written but not pruned verifies; running the command again writes the same bytes and finishes the prune', async () => {
    await activityThenCheckpoint('two');
    // The first step alone, as a crash after the write would leave it.
    const got = await api(daemon.addr, 'POST', '/v1/sys/audit/archive', { token: adminToken, json: { before: FUTURE } });
    expect(got.status).toBe(200);
    writeFileSync(second(), got.text, { mode: 0o600 });
    const pending = await cli(['audit', 'verify', first(), second(), '--data-dir', vault.dataDir, '--json']);
    expectOk(pending);
    const p = JSON.parse(pending.out) as { overlap: number; archives: { last_seq: number }[] };
    expect(p.overlap).toBeGreaterThan(0);

    const again = await cli(['audit', 'archive', '--before', FUTURE, '-o', second(), '--force', '--json']);
    expectOk(again);
    expect(readFileSync(second(), 'utf8')).toBe(got.text);
    expect((JSON.parse(again.out) as { pruned: number }).pruned).toBe(p.overlap);
    const done = await cli(['audit', 'verify', first(), second(), '--data-dir', vault.dataDir, '--json']);
    expectOk(done);
    expect(JSON.parse(done.out)).toMatchObject({ ok: true, overlap: 0 });
    // Nothing left that qualifies: exit 0, no file written.
    const none = await cli(['audit', 'archive', '--before', FUTURE, '-o', sb.path('none.ovaudit')]);
    expectOk(none);
    expect(none.stderr).toContain('nothing to archive');
    expect(existsSync(sb.path('none.ovaudit'))).toBe(false);
  });

  it('an edited, missing or misplaced archive fails verify with its own code and exit 1', async () => {
    const edited = sb.path('edited.ovaudit');
    const text = readFileSync(second(), 'utf8');
    const changed = text.replace('"status":200', '"status":201');
    expect(changed).not.toBe(text);
    writeFileSync(edited, changed);
    const cases: [string[], string, string][] = [
      [[first(), edited], 'OV_AUDIT_ENTRY_MODIFIED', 'vault: error: audit entry does not match its hash chain'],
      [[second()], 'OV_AUDIT_ARCHIVE_MISSING', 'vault: error: an audit archive is missing from the chain'],
      [[second(), first()], 'OV_AUDIT_ARCHIVE_ORDER', 'vault: error: audit archives are out of order or overlap'],
      [[first()], 'OV_AUDIT_ARCHIVE_MISSING', 'vault: error: an audit archive is missing from the chain'],
    ];
    for (const [files, code, message] of cases) {
      const j = await cli(['audit', 'verify', ...files, '--data-dir', vault.dataDir, '--json']);
      expect(j.code, files.join(' ')).toBe(1);
      expect((JSON.parse(j.out) as { problem: { code: string } }).problem.code).toBe(code);
      const t = await cli(['audit', 'verify', ...files, '--data-dir', vault.dataDir]);
      expect(t.code).toBe(1);
      expect(t.stderr.startsWith(message)).toBe(true);
    }
    copyFileSync(first(), sb.path('copy.ovaudit'));
    expectOk(await cli(['audit', 'verify', sb.path('copy.ovaudit'), second(), '--data-dir', vault.dataDir]));
  });
});

describe.skipIf(!RUN)('[audit] retain: the daemon archives on its own', () => {
  it('archives what qualifies into archive_dir, named by seq range, and verify accepts the directory', async () => {
    const rsb = makeSandbox('vault-retain-');
    try {
      const v = await setupVault(rsb, rsb.path('vault'));
      const archiveDir = rsb.path('archives');
      writeFileSync(join(v.dataDir, 'config.toml'), `[audit]\nretain = "1s"\narchive_dir = "${archiveDir}"\narchive_interval = "1s"\n`, { mode: 0o600 });
      const d = await startDaemon({ home: rsb.home, logDir: join(rsb.dir, 'logs'), env: { ONTOREF_DATA_DIR: v.dataDir } });
      try {
        await unsealOverHttp(d, v.shares);
        // A seal signs a checkpoint; once it is more than 1s old the next run archives up to it.
        const login = await rsb.run(['login', '--admin', '--print-token'], { env: { ONTOREF_ADDR: d.addr, ONTOREF_DATA_DIR: v.dataDir } });
        expectOk(login);
        expect((await api(d.addr, 'POST', '/v1/sys/seal', { token: login.out.trim() })).status).toBe(204);
        const files = await waitFor(() => (existsSync(archiveDir) ? readdirSync(archiveDir).filter((f) => f.endsWith('.ovaudit')) : []));
        expect(files[0]).toMatch(/^audit-0000000000000001-\d{16}\.ovaudit$/);
        expect(statSync(archiveDir).mode & 0o777).toBe(0o700);
        const r = await rsb.run(['audit', 'verify', archiveDir, '--data-dir', v.dataDir, '--json']);
        expectOk(r);
        const doc = JSON.parse(r.out) as { ok: boolean; archives: { first_seq: number; last_seq: number }[]; first_seq: number };
        expect(doc.archives[0]?.first_seq).toBe(1);
        expect(readAudit(v.dataDir)[0]?.seq).toBeGreaterThan(doc.archives[doc.archives.length - 1]?.last_seq ?? 0);
        expect(readAudit(v.dataDir).some((e) => e.type === 'sys' && e.detail?.['event'] === 'audit.archive')).toBe(true);
      } finally {
        await d.stop('SIGKILL');
      }
    } finally {
      rsb.cleanup();
    }
  }, 60_000);
});

/** Polls (every 100 ms, up to 30 s) until `fn` returns a non-empty list. */
async function waitFor(fn: () => string[]): Promise<string[]> {
  for (let i = 0; i < 300; i++) {
    const got = fn();
    if (got.length > 0) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not reached');
}

/**
 * `vault run` end to end against a real daemon: the secret reaches the child only through
 * its environment (the child prints the SHA-256 of the variable; the test compares hashes
 * and greps every output for the value), a template file, arguments passed without a
 * shell, the child's exit code, 128 + signo when it dies of a signal, SIGTERM / SIGINT /
 * SIGHUP forwarded to the child, and CMD never started (checked with a marker file) when
 * any secret cannot be fetched.
 *
 * Tests run in order and share one daemon.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, expectOk, cleanEnv, cliPath, makeSandbox, transcript, type CliResult, type RunOptions, type Sandbox } from '../helpers/cli.js';
import { daemonBuilt, freePort, logSources, readAudit, SecretSet, setupVault, startDaemon, unsealOverHttp, type Daemon, type SetupResult } from '../helpers/daemon.js';

const RUN = daemonBuilt;
const NODE = process.execPath;

let sb: Sandbox;
let logDir: string;
let vault: SetupResult;
let daemon: Daemon;
const secrets = new SecretSet();
const DB_PASSWORD = secrets.add('db password', 'run-pw-4f1b9c2e8d7a6b5c $HOME `x` "q"');
const API_KEY = secrets.add('api key', 'run-api-0a9b8c7d6e5f4a3b2c1d');

function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/** A node child that prints `NAME=<sha256 of $NAME>` for each name (never the value). */
function hashScript(...names: string[]): string[] {
  return [NODE, '-e', `const c=require('crypto');for(const n of ${JSON.stringify(names)}){const v=process.env[n];console.log(n+'='+(v===undefined?'unset':c.createHash('sha256').update(v,'utf8').digest('hex')))}`];
}

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { ONTOREF_ADDR: daemon.addr, ONTOREF_DATA_DIR: vault.dataDir, ...extra };
}

function cli(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return sb.run(args, { ...opts, env: env(opts.env ?? {}) });
}

/** `vault run` as a child we can signal: resolves once the child printed `ready`. */
function startRun(args: readonly string[]): { pid: number; ready: Promise<void>; done: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> } {
  const child = spawn(NODE, [cliPath, 'run', ...args], { cwd: sb.path(''), env: cleanEnv(sb.home, env()), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString('utf8');
    if (out.includes('ready\n')) onReady();
  });
  child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) => {
    child.on('close', (code, signal) => {
      transcript.push({ args: ['run', ...args], code: code ?? -1, stdout: Buffer.from(out), stderr: err, out });
      resolve({ code, signal, out, err });
    });
  });
  return { pid: child.pid ?? 0, ready, done };
}

beforeAll(async () => {
  if (!RUN) return;
  assertBuilt();
  sb = makeSandbox('vault-run-');
  logDir = join(sb.dir, 'logs');
  vault = await setupVault(sb, sb.path('vault'));
  vault.shares.forEach((s, i) => secrets.add(`share ${i + 1}`, s));
  secrets.add('admin key', vault.adminKey);
  daemon = await startDaemon({ home: sb.home, logDir, env: { ONTOREF_DATA_DIR: vault.dataDir } });
  await unsealOverHttp(daemon, vault.shares);
  expectOk(await cli(['login', '--admin']));
  writeFileSync(sb.path('pw.txt'), DB_PASSWORD, { mode: 0o600 });
  expectOk(await cli(['secrets', 'put', 'app/db', `password=@${sb.path('pw.txt')}`, 'user=-'], { stdin: 'reporting' }));
  expectOk(await cli(['secrets', 'put', 'app/api', 'key=-'], { stdin: API_KEY }));
}, 60_000);

afterAll(async () => {
  if (!RUN) return;
  await daemon?.stop('SIGKILL');
  sb.cleanup();
});

describe.skipIf(!RUN)('vault run', () => {
  it('passes secrets to the child in its environment only; the child sees the exact value', async () => {
    const r = await cli(['run', '--secret', 'DB_PASSWORD=app/db#password', '--secret', 'DB_USER=app/db#user', '--', ...hashScript('DB_PASSWORD', 'DB_USER', 'HOME')]);
    expectOk(r);
    expect(r.out).toBe(`DB_PASSWORD=${sha256(DB_PASSWORD)}\nDB_USER=${sha256('reporting')}\nHOME=${sha256(sb.home)}\n`);
    expect(r.stderr).toBe('');
  });

  it('does not hand the vault session token to the child', async () => {
    const token = (await cli(['login', '--admin', '--print-token'])).out.trim();
    expect(token.length).toBeGreaterThan(20);
    secrets.add('session token', token);
    const r = await cli(['run', '--secret', 'DB_USER=app/db#user', '--', ...hashScript('ONTOREF_TOKEN', 'DB_USER')], { env: { ONTOREF_TOKEN: token } });
    expectOk(r);
    expect(r.out).toBe(`ONTOREF_TOKEN=unset\nDB_USER=${sha256('reporting')}\n`);
  });

  it('reads NAME={{ path#field }} lines from a template file (comments and blank lines skipped)', async () => {
    const tpl = sb.path('app.env.tpl');
    writeFileSync(tpl, '# the app\n\nDB_PASSWORD={{ app/db#password }}\n  API_KEY = {{app/api#key}}\n');
    const r = await cli(['run', '--env-file-template', tpl, '--secret', 'U=app/db#user', '--', ...hashScript('DB_PASSWORD', 'API_KEY', 'U')]);
    expectOk(r);
    expect(r.out).toBe(`DB_PASSWORD=${sha256(DB_PASSWORD)}\nAPI_KEY=${sha256(API_KEY)}\nU=${sha256('reporting')}\n`);

    writeFileSync(tpl, 'A={{ app/db#password }}\nB=literal-value\n');
    const bad = await cli(['run', '--env-file-template', tpl, '--', NODE, '-e', '0']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`line 2: expected NAME={{ path#field }}`);
    expect(bad.stderr).not.toContain('literal-value');
  });

  it('runs CMD without a shell: arguments arrive exactly as given', async () => {
    const args = ['a b', '$HOME', '*', "it's", ''];
    const r = await cli(['run', '--secret', 'X=app/db#user', '--', NODE, '-e', 'console.log(JSON.stringify(process.argv.slice(1)))', ...args]);
    expectOk(r);
    expect(JSON.parse(r.out)).toEqual(args);
  });

  it("exits with the child's code, or 128 + signo when it is killed by a signal", async () => {
    expect((await cli(['run', '--secret', 'X=app/db#user', '--', NODE, '-e', 'process.exit(7)'])).code).toBe(7);
    expect((await cli(['run', '--secret', 'X=app/db#user', '--', NODE, '-e', "process.kill(process.pid, 'SIGKILL')"])).code).toBe(137);
    expect((await cli(['run', '--secret', 'X=app/db#user', '--', NODE, '-e', "process.kill(process.pid, 'SIGTERM')"])).code).toBe(143);
    const missing = await cli(['run', '--secret', 'X=app/db#user', '--', 'no-such-command-xyz']);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toBe('vault: error: file or stream error: cannot run no-such-command-xyz: command not found\n');
  });

  it.each([
    ['SIGTERM', 42],
    ['SIGINT', 43],
    ['SIGHUP', 44],
  ] as const)('forwards %s to the child (which traps it and exits %i)', async (sig, code) => {
    const script = `process.on('${sig}', () => { console.log('got ${sig}'); process.exit(${code}); }); console.log('ready'); setInterval(() => {}, 1000);`;
    const run = startRun(['--secret', 'DB_PASSWORD=app/db#password', '--', NODE, '-e', script]);
    await run.ready;
    process.kill(run.pid, sig);
    const r = await run.done;
    expect(r.out).toBe(`ready\ngot ${sig}\n`);
    expect({ code: r.code, signal: r.signal }).toEqual({ code, signal: null });
  });

  it('never starts CMD when a secret cannot be fetched (missing field or path: exit 2; no daemon: exit 1)', async () => {
    const marker = sb.path('started');
    const touch = [NODE, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, 'x')`];
    const field = await cli(['run', '--secret', 'A=app/db#password', '--secret', 'B=app/db#nope', '--', ...touch]);
    expect(field.code).toBe(2);
    expect(field.stderr).toBe(
      'vault: error: secret field not found\nvault: hint: while fetching B=app/db#nope (--secret)\nvault: hint: CMD was not started\n',
    );
    const path = await cli(['run', '--secret', 'A=app/none#password', '--', ...touch]);
    expect(path.code).toBe(2);
    expect(path.stderr.split('\n')[0]).toBe('vault: error: secret not found');
    const closed = await freePort();
    const down = await cli(['run', '--secret', 'A=app/db#password', '--', ...touch], { env: { ONTOREF_ADDR: `http://127.0.0.1:${closed}` } });
    expect(down.code).toBe(1);
    expect(down.stderr.split('\n')[0]).toBe('vault: error: cannot reach the vault daemon');
    const unauth = await cli(['run', '--secret', 'A=app/db#password', '--', ...touch], { env: { ONTOREF_TOKEN: 'expired-or-bogus-token' } });
    expect(unauth.code).toBe(2);
    expect(unauth.stderr).toContain("vault: hint: run 'vault login' to start a new session");
    expect(existsSync(marker)).toBe(false);
    // Sanity: the same command does run when everything is there.
    expectOk(await cli(['run', '--secret', 'A=app/db#password', '--', ...touch]));
    expect(existsSync(marker)).toBe(true);
  });

  it('usage errors: no secrets, a malformed --secret, a name set twice (exit 1)', async () => {
    const cases: [string[], string][] = [
      [['run', '--', NODE, '-e', '0'], 'vault: error: invalid usage: no secrets given: pass --secret ENV=path#field or --env-file-template FILE'],
      [['run', '--secret', 'A=app/db', '--', NODE], 'vault: error: invalid usage: --secret takes ENV=path#field, e.g. DB_PASSWORD=apps/web/db#password'],
      [['run', '--secret', '1A=app/db#x', '--', NODE], 'vault: error: invalid usage: --secret takes ENV=path#field, e.g. DB_PASSWORD=apps/web/db#password'],
      [['run', '--secret', 'A=../db#x', '--', NODE], 'vault: error: invalid usage: --secret takes ENV=path#field, e.g. DB_PASSWORD=apps/web/db#password'],
      [['run', '--secret', 'A=app/db#user', '--secret', 'A=app/db#password', '--', NODE], 'vault: error: invalid usage: A is set twice'],
      [['run', '--secret', 'A=app/db#user'], 'vault: error: invalid usage: missing CMD'],
    ];
    for (const [args, first] of cases) {
      const r = await cli(args);
      expect({ code: r.code, first: r.stderr.split('\n')[0] }, args.join(' ')).toEqual({ code: 1, first });
    }
  });

  it('no secret value appears in any argv, stdout, stderr, the daemon output or the audit log', () => {
    const sources: { name: string; text: string }[] = [];
    for (const r of transcript) {
      const name = `vault ${r.args.join(' ')}`;
      sources.push({ name: `${name} (argv)`, text: r.args.join(' ') }, { name: `${name} (stderr)`, text: r.stderr });
      // stdout may hold a secret only where one was asked for: setup (shares, admin key), login --print-token.
      if (r.args[0] !== 'setup' && !r.args.includes('--print-token')) sources.push({ name: `${name} (stdout)`, text: r.out });
    }
    sources.push(...logSources(logDir));
    sources.push({ name: 'audit log', text: readAudit(vault.dataDir).map((e) => e.raw).join('\n') });
    expect(transcript.filter((r) => r.args[0] === 'run').length).toBeGreaterThan(10);
    expect(secrets.findIn(sources)).toEqual([]);
  });
});

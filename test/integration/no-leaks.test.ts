/**
 * No secret value ever appears in a log line, an error message or a process listing. A real
 * daemon runs at log level `trace`, the most talkative there is, while the CLI handles
 * every kind of secret the way operators do (shares and keys on stdin or in files, tokens
 * in the token file, new keys written with `-o`), including the error paths (a mistyped
 * share, a rotated key, a wrong key), and raw HTTP requests try to provoke an echo: secrets
 * inside malformed JSON, as unknown field names and values, in the wrong content type, in
 * oversized bodies, in the wrong field, as a bearer token. Then every byte the daemon wrote
 * (stdout, stderr), every CLI argv (what `ps` shows), stderr and stdout (except the
 * commands whose job is to print a secret once), every HTTP error answer and every audit
 * entry is searched for each secret: none may appear.
 *
 * Each daemon suite (daemon-flow, daemon-crash, daemon-bad-input) also ends with the same
 * check over its own output, since vitest runs files in separate processes.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, expectOk, makeSandbox, type Sandbox } from '../helpers/cli.js';
import {
  api,
  cliSources,
  daemonBuilt,
  logSources,
  rawRequest,
  readAudit,
  SecretSet,
  setupVault,
  startDaemon,
  type ApiOptions,
  type Daemon,
  type SetupResult,
} from '../helpers/daemon.js';

const BODY_LIMIT = 4096;

let sb: Sandbox;
let logDir: string;
let dataDir: string;
let vault: SetupResult;
let daemon: Daemon;
let addr: string;
const secrets = new SecretSet();
/** Every HTTP error answer of this file: none may echo what was sent. */
const answers: { name: string; text: string }[] = [];
let tokenFile = '';
let adminToken = '';
let readerId = '';
/** The reader's session token from before its key was rotated (revoked by the rotation). */
let revokedToken = '';

function env(extra: Record<string, string> = {}): Record<string, string> {
  return { ONTOREF_ADDR: addr, ONTOREF_DATA_DIR: dataDir, ...extra };
}

async function provoke(name: string, method: string, path: string, opts: ApiOptions, status: number): Promise<void> {
  const r = await api(addr, method, path, opts);
  expect({ name, status: r.status }).toEqual({ name, status });
  answers.push({ name: `answer to ${name}`, text: `${[...r.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n${r.text}` });
}

const RUN = daemonBuilt;

beforeAll(async () => {
  if (!RUN) return;
  assertBuilt();
  sb = makeSandbox('vault-no-leaks-');
  logDir = join(sb.dir, 'logs');
  dataDir = sb.path('vault');
  tokenFile = join(sb.home, '.config', 'ontoref', 'token');
  const config = sb.path('server.toml');
  writeFileSync(config, `log_level = "trace"\n[limits]\nbody_limit = ${BODY_LIMIT}\n`);
  vault = await setupVault(sb, dataDir);
  vault.shares.forEach((s, i) => secrets.add(`unseal share ${i + 1}`, s));
  secrets.add('admin key', vault.adminKey);
  daemon = await startDaemon({ home: sb.home, logDir, env: { ONTOREF_DATA_DIR: dataDir, ONTOREF_CONFIG: config } });
  addr = daemon.addr;
});

afterAll(async () => {
  if (!RUN) return;
  await daemon?.stop('SIGKILL');
  sb.cleanup();
});

describe.skipIf(!RUN)('no secret leaks from a trace-level daemon or the CLI', () => {
  it('the CLI handles shares, keys and tokens through stdin, files and the token file, error paths included', async () => {
    const share = (i: number): string => vault.shares[i - 1] as string;
    // A mistyped share: refused, and the refusal does not quote it.
    const typo = share(1).slice(0, 20) + (share(1)[20] === 'a' ? 'b' : 'a') + share(1).slice(21);
    secrets.add('mistyped share', typo);
    const bad = await sb.run(['unseal'], { env: env(), stdin: `${typo}\n` });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe('vault: error: unseal share is malformed or mistyped\n');
    expectOk(await sb.run(['unseal'], { env: env(), stdin: `${share(1)}\n${share(2)}\n${share(3)}\n` }));

    expectOk(await sb.run(['login', '--admin'], { env: env() }));
    adminToken = secrets.add('admin session token', readFileSync(tokenFile, 'utf8').trim());

    const readerFile = sb.path('reader.key');
    const created = await sb.run(['apikeys', 'create', '--role', 'reader', '--scope', 'apps', '--label', 'reader', '-o', readerFile], { env: env() });
    expectOk(created);
    expect(created.out).toBe('');
    const readerKey = secrets.add('reader key', readFileSync(readerFile, 'utf8').trim());
    readerId = readerKey.slice(4, 20);
    const json = await sb.run(['apikeys', 'create', '--role', 'operator', '--label', 'ops', '--json'], { env: env() });
    expectOk(json);
    secrets.add('operator key', (JSON.parse(json.out) as { key: string }).key);

    for (const args of [['token', 'lookup', '--json'], ['sessions', 'list'], ['apikeys', 'list', '--json'], ['keys', 'list'], ['status']]) {
      expectOk(await sb.run(args, { env: env() }));
    }

    // The reader logs in from its key file; its token replaces the admin's in the token file.
    expectOk(await sb.run(['login', '--key-file', readerFile], { env: env() }));
    revokedToken = secrets.add('reader session token', readFileSync(tokenFile, 'utf8').trim());
    const refused = await sb.run(['apikeys', 'create', '--role', 'admin', '--label', 'escalate'], { env: env() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe("vault: error: permission denied\nvault: hint: 'vault token lookup' shows this session's role and scope\n");

    const rotatedFile = sb.path('reader-rotated.key');
    expectOk(await sb.run(['apikeys', 'rotate', readerId, '-o', rotatedFile], { env: env({ ONTOREF_TOKEN: adminToken }) }));
    secrets.add('rotated reader key', readFileSync(rotatedFile, 'utf8').trim());
    // The old key and a wrong one (on stdin) are refused without being quoted.
    const old = await sb.run(['login', '--key-file', readerFile], { env: env() });
    expect(old.code).toBe(2);
    expect(old.stderr).toContain('vault: error: invalid credentials\n');
    const wrong = secrets.add('wrong key', `ovk_${readerId}_${randomBytes(32).toString('base64url')}`);
    expect((await sb.run(['login'], { env: env(), stdin: `${wrong}\n` })).code).toBe(2);
    // The revoked reader session (rotation) is refused too.
    expect((await sb.run(['token', 'lookup'], { env: env() })).code).toBe(2);

    expectOk(await sb.run(['login', '--key-file', rotatedFile, '--json'], { env: env() }));
    secrets.add('rotated reader session token', readFileSync(tokenFile, 'utf8').trim());
    expectOk(await sb.run(['logout'], { env: env() }));
  });

  it('raw requests carrying secrets in the wrong places are refused without echoing them', async () => {
    const key = vault.adminKey;
    const share = vault.shares[3] as string;
    await provoke('malformed JSON holding the admin key', 'POST', '/v1/sessions', { body: `{"key": "${key}"`, contentType: 'application/json' }, 400);
    await provoke('the admin key as an unknown field name', 'POST', '/v1/sessions', { json: { key: 'ovk_0', [key]: 1 } }, 400);
    await provoke('a share as an unknown field value', 'POST', '/v1/sys/unseal', { json: { share: 'x', note: share } }, 400);
    await provoke('a share as the ttl', 'POST', '/v1/sessions', { json: { key, ttl: share } }, 400);
    await provoke('the admin key in an array', 'POST', '/v1/sessions', { json: { key: [key] } }, 400);
    await provoke('a share as text/plain', 'POST', '/v1/sys/unseal', { body: JSON.stringify({ share }), contentType: 'text/plain' }, 415);
    await provoke('the admin key form-encoded', 'POST', '/v1/sessions', { body: `key=${key}`, contentType: 'application/x-www-form-urlencoded' }, 415);
    await provoke('an oversized body holding the admin key', 'POST', '/v1/sessions', { json: { key, pad: 'p'.repeat(BODY_LIMIT) } }, 413);
    await provoke('a share as a passphrase', 'POST', '/v1/sys/unseal', { json: { passphrase: share } }, 400);
    await provoke('a label holding the admin key and a control character', 'POST', '/v1/apikeys', { token: adminToken, json: { role: 'reader', label: `${key}\u0001` } }, 400);
    await provoke('a scope holding a share', 'POST', '/v1/apikeys', { token: adminToken, json: { role: 'reader', label: 'x', scope: `../${share}` } }, 400);
    await provoke('the admin key as a bearer token', 'GET', '/v1/sessions/self', { headers: { authorization: `Bearer ${key}` } }, 401);
    await provoke('the admin key as a basic credential', 'GET', '/v1/apikeys', { headers: { authorization: `Basic ${Buffer.from(`admin:${key}`).toString('base64')}` } }, 401);
    const forged = `${adminToken.slice(0, adminToken.lastIndexOf('.'))}.${randomBytes(32).toString('base64url')}`;
    secrets.add('admin token with a forged signature', forged);
    await provoke('a forged token', 'GET', '/v1/apikeys', { token: forged }, 401);
    await provoke('a revoked token', 'GET', '/v1/sessions/self', { token: revokedToken }, 401);
    await provoke('a rotated API key as a bearer token', 'GET', '/v1/apikeys', { token: readFileSync(sb.path('reader.key'), 'utf8').trim() }, 401);
    // A guessed key, five times over: the per-key limit answers 429, still without an echo.
    const wrong = `ovk_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
    secrets.add('guessed key', wrong);
    for (let i = 0; i < 5; i++) await provoke(`guess ${i}`, 'POST', '/v1/sessions', { json: { key: wrong } }, 401);
    await provoke('guess after the limit', 'POST', '/v1/sessions', { json: { key: wrong } }, 429);
    // Chunked, without Content-Length, a share in every chunk.
    const chunked = await rawRequest(addr, { method: 'POST', path: '/v1/sys/unseal', headers: { 'content-type': 'application/json' }, chunks: [`{"share":"`, ...Array.from({ length: 80 }, () => share), '"}'] });
    expect(chunked.status).toBe(413);
    answers.push({ name: 'answer to a chunked oversized body', text: chunked.text });
  });

  it('stops; nothing anywhere holds a secret: daemon output, CLI argv/stderr/stdout, error answers, the audit log', async () => {
    expect(await daemon.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    const logs = logSources(logDir);
    const stdout = logs.find((l) => l.name === 'daemon.stdout.log')?.text ?? '';
    // The requests above were logged (an empty log cannot pass this check).
    expect(stdout).toContain('"url":"/v1/sys/unseal"');
    expect(stdout).toContain('"statusCode":413');
    const audit = readAudit(dataDir).map((e) => ({ name: `audit entry ${e.seq}`, text: e.raw }));
    expect(audit.length).toBeGreaterThan(30);
    expect(answers.length).toBeGreaterThanOrEqual(20);
    expect(secrets.size).toBeGreaterThanOrEqual(16);
    expect(secrets.findIn([...logs, ...cliSources(), ...answers, ...audit])).toEqual([]);
  });
});

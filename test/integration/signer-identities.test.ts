/**
 * Remote-signer identities end to end: a real daemon (child process) serves the signer
 * over TLS with `client_auth = "require"`; `vault signer identity create` writes a PKCS #12
 * keystore; a client holding it (node https with `pfx` and `passphrase`) signs for its
 * slot and is refused for another slot's key, a revoked identity is refused at once (on
 * an open keep-alive connection too), and a certificate from another CA or none at all is
 * refused. Bad inputs fail with their exact codes and change nothing.
 *
 * Tests in this file run in order.
 */
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request, type AgentOptions } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/errors.js';
import { generateTlsFiles, issueClientCert } from '../../src/tls/certs.js';
import { assertBuilt, makeSandbox, type CliResult, type Sandbox } from '../helpers/cli.js';
import { api, daemonBuilt, errorCode, freePort, readAudit, setupVault, sleep, startDaemon, type Daemon } from '../helpers/daemon.js';

const RUN = daemonBuilt;
const GVR = `0x${'04'.repeat(32)}`;
const FORK_INFO = { fork: { previous_version: '0x00000000', current_version: '0x00000000', epoch: '0' }, genesis_validators_root: GVR };
const RANDAO = JSON.stringify({ type: 'RANDAO_REVEAL', fork_info: FORK_INFO, randao_reveal: { epoch: '3' } });
const PASSWORD = 'lighthouse keystore pw';

let sb: Sandbox;
let dataDir: string;
let daemon: Daemon;
let token = '';
let signerPort = 0;
let ca: Buffer;
let generatedStderr = '';
const pub: Record<string, string> = {};

interface Reply {
  status: number;
  body: string;
}

/** One request to the signer listener; `tls` adds the client's keystore or certificate. */
function signer(method: string, path: string, tls: AgentOptions & { agent?: Agent } = {}, body?: string): Promise<Reply> {
  const { agent, ...rest } = tls;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: signerPort,
        method,
        path,
        ca,
        ...(agent === undefined ? { agent: false, ...rest } : { agent }),
        headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The signer listener binds right after the main one, which startDaemon waits for. */
async function signerUp(): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if ((await signer('GET', '/upcheck').catch(() => undefined))?.status === 200) return;
    await sleep(25);
  }
  throw new Error('signer listener did not come up');
}

const sign = (pubkey: string, tls: AgentOptions & { agent?: Agent } = {}): Promise<Reply> => signer('POST', `/api/v1/eth2/sign/${pubkey}`, tls, RANDAO);
/** A daemon error: exit 2 and the registry message of `code` on stderr. */
function daemonError(r: CliResult, code: keyof typeof ERRORS): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr).toContain(`vault: error: ${ERRORS[code].message}`);
}

const code = (r: Reply): string | undefined => (JSON.parse(r.body) as { error?: { code?: string } }).error?.code;

function cli(args: readonly string[], stdin?: string): Promise<CliResult> {
  return sb.run(args, { env: { ONTOREF_ADDR: daemon.addr, ONTOREF_TOKEN: token }, ...(stdin === undefined ? {} : { stdin }) });
}

async function identities(): Promise<{ name: string; revoked_at: string | null }[]> {
  const r = await api(daemon.addr, 'GET', '/v1/signer/identities', { token });
  expect(r.status, r.text).toBe(200);
  return (r.json as { identities: { name: string; revoked_at: string | null }[] }).identities;
}

beforeAll(() => {
  if (!RUN) return;
  assertBuilt();
  sb = makeSandbox('vault-signer-identities-');
  dataDir = sb.path('vault');
});

afterAll(async () => {
  if (!RUN) return;
  await daemon?.stop();
  sb.cleanup();
});

describe.skipIf(!RUN)('signer identities over TLS', () => {
  it('starts a daemon whose signer listener speaks TLS and requires identities', async () => {
    const v = await setupVault(sb, dataDir, ['--unseal-key-file', join(dataDir, 'unseal.key')]);
    const files = await generateTlsFiles(dataDir);
    ca = readFileSync(files.caCert);
    signerPort = await freePort();
    appendFileSync(
      join(dataDir, 'config.toml'),
      `\n[signer]\nlisten = "127.0.0.1:${signerPort}"\ntls = true\ncert_file = ${JSON.stringify(files.cert)}\nkey_file = ${JSON.stringify(files.key)}\nclient_auth = "require"\n`,
    );
    daemon = await startDaemon({ home: sb.home, logDir: join(sb.dir, 'logs'), env: { ONTOREF_DATA_DIR: dataDir } });
    await signerUp();
    const s = await api(daemon.addr, 'POST', '/v1/sessions', { json: { key: v.adminKey } });
    token = (s.json as { token: string }).token;
    for (const name of ['a', 'b']) {
      const c = await api(daemon.addr, 'POST', '/v1/validators', { token, json: { name, chain: 'ethereum', format: 'generate' } });
      expect(c.status, c.text).toBe(201);
      pub[name] = (c.json as { keys: { public_key: string }[] }).keys[0]!.public_key;
    }
    const up = await signer('GET', '/upcheck');
    expect([up.status, up.body]).toEqual([200, 'OK']);
  });

  it('refuses clients without a certificate on the eth2 routes', async () => {
    expect(code(await signer('GET', '/api/v1/eth2/publicKeys'))).toBe('OV_SIGNER_FORBIDDEN');
    const r = await sign(pub.a!);
    expect([r.status, code(r)]).toEqual([403, 'OV_SIGNER_FORBIDDEN']);
  });

  it('identity create refuses an existing output file before anything is created', async () => {
    writeFileSync(sb.path('lh.p12'), 'keep me');
    writeFileSync(sb.path('pw.txt'), `${PASSWORD}\n`, { mode: 0o600 });
    const r = await cli(['signer', 'identity', 'create', 'lh', '--slots', 'a', '-o', sb.path('lh.p12'), '--password-file', sb.path('pw.txt')]);
    expect([r.code, r.stderr]).toEqual([1, expect.stringContaining('already exists')]);
    expect(readFileSync(sb.path('lh.p12'), 'utf8')).toBe('keep me');
    expect(await identities()).toEqual([]);
  });

  it('refuses bad inputs with their codes and changes nothing', async () => {
    writeFileSync(sb.path('short.txt'), 'short\n', { mode: 0o600 });
    const short = await cli(['signer', 'identity', 'create', 'x', '--slots', 'a', '-o', sb.path('x.p12'), '--password-file', sb.path('short.txt')]);
    expect([short.code, short.stderr]).toEqual([1, expect.stringContaining('printable ASCII')]);
    const noSlot = await cli(['signer', 'identity', 'create', 'x', '--slots', 'nope', '-o', sb.path('x.p12'), '--password-file', sb.path('pw.txt')]);
    daemonError(noSlot, 'OV_VALIDATOR_NOT_FOUND');
    const badKey = await api(daemon.addr, 'POST', '/v1/signer/identities', { token, json: { name: 'x', slots: ['a'], public_key: Buffer.from('not a key').toString('base64') } });
    expect([badKey.status, errorCode(badKey)]).toEqual([400, 'OV_INVALID_ARGUMENT']);
    const badName = await api(daemon.addr, 'POST', '/v1/signer/identities', { token, json: { name: 'Bad Name', slots: ['a'], public_key: 'AAAA' } });
    expect([badName.status, errorCode(badName)]).toEqual([400, 'OV_BAD_REQUEST']);
    const extra = await api(daemon.addr, 'POST', '/v1/signer/identities', { token, json: { name: 'x', slots: ['a'], public_key: 'AAAA', admin: true } });
    expect(errorCode(extra)).toBe('OV_BAD_REQUEST');
    const unknown = await cli(['signer', 'identity', 'revoke', 'ghost']);
    daemonError(unknown, 'OV_SIGNER_IDENTITY_NOT_FOUND');
    expect(() => statSync(sb.path('x.p12'))).toThrow();
    expect(await identities()).toEqual([]);
  });

  it('identity create writes a 0600 PKCS #12 keystore that signs for its slot only', async () => {
    const r = await cli(['signer', 'identity', 'create', 'lh', '--slots', 'a', '-o', sb.path('lh.p12'), '--password-file', sb.path('pw.txt'), '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain(PASSWORD);
    expect(statSync(sb.path('lh.p12')).mode & 0o777).toBe(0o600);
    const pfx = readFileSync(sb.path('lh.p12'));
    const ok = await sign(pub.a!, { pfx, passphrase: PASSWORD });
    expect(ok.status, ok.body).toBe(200);
    expect(ok.body).toMatch(/"signature":"0x[0-9a-f]{192}"/);
    const other = await sign(pub.b!, { pfx, passphrase: PASSWORD });
    expect([other.status, code(other)]).toEqual([403, 'OV_SIGNER_FORBIDDEN']);
    const keys = await signer('GET', '/api/v1/eth2/publicKeys', { pfx, passphrase: PASSWORD });
    expect(JSON.parse(keys.body)).toEqual([pub.a]);
    const again = await cli(['signer', 'identity', 'create', 'lh', '--slots', 'b', '-o', sb.path('lh2.p12'), '--password-file', sb.path('pw.txt')]);
    daemonError(again, 'OV_SIGNER_IDENTITY_EXISTS');
    expect(() => statSync(sb.path('lh2.p12'))).toThrow();
  });

  it('a generated password is printed once on stderr and opens the keystore', async () => {
    const r = await cli(['signer', 'identity', 'create', 'tk', '--slots', 'a,b', '-o', sb.path('tk.p12'), '--json']);
    expect(r.code, r.stderr).toBe(0);
    generatedStderr = r.stderr;
    const password = /keystore password \(shown once\): (\S+)/.exec(r.stderr)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(r.out).not.toContain(password!);
    const pfx = readFileSync(sb.path('tk.p12'));
    expect((await sign(pub.b!, { pfx, passphrase: password! })).status).toBe(200);
    const daemonLogs = readFileSync(daemon.stdoutFile, 'utf8') + readFileSync(daemon.stderrFile, 'utf8');
    expect(daemonLogs).not.toContain(password!);
    expect(daemonLogs).not.toContain(PASSWORD);
    const audit = readAudit(dataDir);
    const signed = audit.filter((e) => e.path === `/api/v1/eth2/sign/${pub.b!}` && e.status === 200);
    expect(signed.map((e) => e.detail?.identity)).toEqual(['tk']);
    const created = audit.filter((e) => e.path === '/v1/signer/identities' && e.method === 'POST' && e.status === 201);
    expect(created.map((e) => e.detail?.identity)).toEqual(['lh', 'tk']);
    for (const e of audit) {
      expect(e.raw).not.toContain(password!);
      expect(e.raw).not.toContain(PASSWORD);
    }
  });

  it('refuses a certificate from another CA', async () => {
    const other = await generateTlsFiles(sb.path('other'));
    const client = await issueClientCert(other.dir, 'lh');
    const r = await sign(pub.a!, { cert: client.cert, key: client.key });
    expect([r.status, code(r)]).toEqual([403, 'OV_SIGNER_FORBIDDEN']);
  });

  it('refuses a revoked identity at once, on an open connection too', async () => {
    const pfx = readFileSync(sb.path('lh.p12'));
    const agent = new Agent({ keepAlive: true, maxSockets: 1, pfx, passphrase: PASSWORD, ca });
    try {
      expect((await sign(pub.a!, { agent })).status).toBe(200);
      const r = await cli(['signer', 'identity', 'revoke', 'lh']);
      expect(r.code, r.stderr).toBe(0);
      const refused = await sign(pub.a!, { agent });
      expect([refused.status, code(refused)]).toEqual([403, 'OV_SIGNER_FORBIDDEN']);
    } finally {
      agent.destroy();
    }
    const tk = readFileSync(sb.path('tk.p12'));
    const list = await identities();
    expect(list.map((i) => [i.name, i.revoked_at !== null])).toEqual([
      ['lh', true],
      ['tk', false],
    ]);
    expect(tk.length).toBeGreaterThan(0);
  });

  it('keeps identities and the signer CA across a restart', async () => {
    await daemon.stop();
    daemon = await startDaemon({ home: sb.home, logDir: join(sb.dir, 'logs'), env: { ONTOREF_DATA_DIR: dataDir }, port: daemon.port });
    await signerUp();
    const tk = readFileSync(sb.path('tk.p12'));
    const password = /keystore password \(shown once\): (\S+)/.exec(generatedStderr)?.[1] ?? '';
    expect((await sign(pub.b!, { pfx: tk, passphrase: password })).status).toBe(200);
    const lh = await sign(pub.a!, { pfx: readFileSync(sb.path('lh.p12')), passphrase: PASSWORD });
    expect([lh.status, code(lh)]).toEqual([403, 'OV_SIGNER_FORBIDDEN']);
  });
});

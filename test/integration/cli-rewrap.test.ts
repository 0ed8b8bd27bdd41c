/**
 * `vault keys rewrap` end to end against a real daemon: secrets written under KEM key
 * version 1, the key rotated, more written, then the CLI drives the rewrap in slices;
 * afterwards every live version is sealed under the newest key version and still reads
 * back exactly, the old version can be retired (refused before the rewrap), a second run
 * finds nothing to do, the progress bar appears only on a terminal, and bad arguments and
 * a non-admin caller are refused.
 *
 * Tests run in order and share one daemon.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, expectOk, hasScript, makeSandbox, type CliResult, type RunOptions, type Sandbox } from '../helpers/cli.js';
import { api, daemonBuilt, errorCode, setupVault, startDaemon, unsealOverHttp, type Daemon, type SetupResult } from '../helpers/daemon.js';

const RUN = daemonBuilt;

let sb: Sandbox;
let vault: SetupResult;
let daemon: Daemon;
let token = '';
/** path -> version -> value of field v */
const written = new Map<string, Map<number, string>>();

function cli(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return sb.run(args, { ...opts, env: { ONTOREF_ADDR: daemon.addr, ONTOREF_DATA_DIR: vault.dataDir, ...opts.env } });
}

async function put(path: string, value: string): Promise<void> {
  const r = await api(daemon.addr, 'PUT', `/v1/secrets/${path}`, { token, json: { data: { v: value } } });
  expect(r.status, r.text).toBe(200);
  const version = (r.json as { version: number }).version;
  if (!written.has(path)) written.set(path, new Map());
  written.get(path)?.set(version, value);
}

interface Meta {
  versions: { version: number; destroyed: boolean; key_version: number }[];
}

async function keyVersions(): Promise<number[]> {
  const out: number[] = [];
  for (const path of written.keys()) {
    const r = await api(daemon.addr, 'GET', `/v1/secrets-metadata/${path}`, { token });
    expect(r.status, r.text).toBe(200);
    for (const v of (r.json as Meta).versions) if (!v.destroyed) out.push(v.key_version);
  }
  return out;
}

async function expectAllReadable(): Promise<void> {
  for (const [path, versions] of written) {
    for (const [version, value] of versions) {
      const r = await api(daemon.addr, 'GET', `/v1/secrets/${path}?field=v&version=${version}`, { token });
      expect({ path, version, status: r.status, text: r.text }).toEqual({ path, version, status: 200, text: value });
    }
  }
}

beforeAll(async () => {
  if (!RUN) return;
  assertBuilt();
  sb = makeSandbox('vault-rewrap-');
  vault = await setupVault(sb, sb.path('vault'));
  daemon = await startDaemon({ home: sb.home, logDir: join(sb.dir, 'logs'), env: { ONTOREF_DATA_DIR: vault.dataDir } });
  await unsealOverHttp(daemon, vault.shares);
  // Writes the token file the CLI commands use; the HTTP calls use the same token.
  const login = await cli(['login', '--admin', '--json']);
  expectOk(login);
  token = readFileSync((JSON.parse(login.out) as { token_file: string }).token_file, 'utf8').trim();
}, 60_000);

afterAll(async () => {
  if (!RUN) return;
  await daemon?.stop('SIGKILL');
  sb.cleanup();
});

describe.skipIf(!RUN)('vault keys rewrap', () => {
  it('refuses to retire the old KEM version while secrets are sealed under it', async () => {
    for (let i = 0; i < 20; i++) await put(`rw/a${String(i).padStart(2, '0')}`, `value-a-${i}`);
    await put('rw/a00', 'value-a-0-second');
    expectOk(await cli(['keys', 'rotate', 'kem']));
    for (let i = 0; i < 5; i++) await put(`rw/b${i}`, `value-b-${i}`);
    const kv = await keyVersions();
    expect(kv.filter((v) => v === 1)).toHaveLength(21);
    expect(kv.filter((v) => v === 2)).toHaveLength(5);
    const r = await api(daemon.addr, 'POST', '/v1/keys/kem/min-decrypt-version', { token, json: { version: 2 } });
    expect({ status: r.status, code: errorCode(r) }).toEqual({ status: 409, code: 'OV_REWRAP_REQUIRED' });
  });

  it('rewrap --json in slices re-seals every version under the newest key; every secret still reads back', async () => {
    const r = await cli(['keys', 'rewrap', 'kem', '--batch-size', '4', '--json']);
    expectOk(r);
    expect(JSON.parse(r.out)).toEqual({ rewrapped: 21, remaining: 0, key_version: 2, done: true, interrupted: false });
    // Not a terminal: no progress output at all.
    expect(r.stderr).toBe('');
    expect(new Set(await keyVersions())).toEqual(new Set([2]));
    await expectAllReadable();
  });

  it('the old version can now be retired, secrets stay readable, and a second run has nothing to do', async () => {
    const r = await api(daemon.addr, 'POST', '/v1/keys/kem/min-decrypt-version', { token, json: { version: 2 } });
    expect(r.status, r.text).toBe(200);
    await expectAllReadable();
    const again = await cli(['keys', 'rewrap']);
    expectOk(again);
    expect(again.out).toBe('rewrapped 0 versions; every secret is sealed under kem version 2\n');
  });

  it.runIf(hasScript())('shows a progress bar on a terminal', async () => {
    expectOk(await cli(['keys', 'rotate', 'kem']));
    const r = await cli(['keys', 'rewrap', '--batch-size', '10'], { tty: true });
    expectOk(r);
    // script(1) merges stderr into the terminal output.
    expect(r.out).toMatch(/\rrewrap kem \[#{24}\] 26\/26 100% \d+ versions\/s/);
    expect(r.out).toContain('rewrapped 26 versions; every secret is sealed under kem version 3');
    await expectAllReadable();
  });

  it('refuses other key names, bad batch sizes and non-admin callers', async () => {
    const cases: [string[], number, string][] = [
      [['keys', 'rewrap', 'sign'], 1, 'vault: error: invalid argument: only the kem key seals secrets: NAME must be kem'],
      [['keys', 'rewrap', '--batch-size', '0'], 1, 'vault: error: invalid argument: --batch-size must be a whole number from 1 to 1000'],
      [['keys', 'rewrap', '--batch-size', '1001'], 1, 'vault: error: invalid argument: --batch-size must be a whole number from 1 to 1000'],
    ];
    for (const [args, code, first] of cases) {
      const r = await cli(args);
      expect({ code: r.code, first: r.stderr.split('\n')[0] }, args.join(' ')).toEqual({ code, first });
    }
    const k = await api(daemon.addr, 'POST', '/v1/apikeys', { token, json: { role: 'operator', scope: '*', label: 'ops' } });
    expect(k.status, k.text).toBe(201);
    const login = await cli(['login', '--print-token', '--key-file', '-'], { stdin: `${(k.json as { key: string }).key}\n` });
    expectOk(login);
    const r = await cli(['keys', 'rewrap'], { env: { ONTOREF_TOKEN: login.out.trim() } });
    expect({ code: r.code, first: r.stderr.split('\n')[0] }).toEqual({ code: 2, first: 'vault: error: permission denied' });
  });
});

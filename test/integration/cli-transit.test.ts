/**
 * `vault transit ...` end to end: the built CLI as child processes against a real daemon.
 * Creates an exportable key, encrypts a file and stdin, decrypts, encrypts a batch,
 * signs and verifies (and a tampered input is `invalid`, exit 1); then opens a transit
 * ciphertext offline: the exported key file, the body after `ontoref:v1:` decoded, and
 * `vault envelope open --context-hex` with the documented context.
 *
 * Tests run in order and share one daemon.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as typage from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, expectOk, makeSandbox, transcript, type CliResult, type RunOptions, type Sandbox } from '../helpers/cli.js';
import { daemonBuilt, readAudit, SecretSet, setupVault, startDaemon, unsealOverHttp, type Daemon, type SetupResult } from '../helpers/daemon.js';

const RUN = daemonBuilt;

let sb: Sandbox;
let vault: SetupResult;
let daemon: Daemon;
const secrets = new SecretSet();
const PLAIN = secrets.add('transit plaintext', 'card 4111-1111-1111-1111\n\u0000end');

function cli(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return sb.run(args, { ...opts, env: { ONTOREF_ADDR: daemon.addr, ONTOREF_DATA_DIR: vault.dataDir, ...(opts.env ?? {}) } });
}

beforeAll(async () => {
  if (!RUN) return;
  assertBuilt();
  sb = makeSandbox('vault-transit-');
  vault = await setupVault(sb, sb.path('vault'));
  vault.shares.forEach((s, i) => secrets.add(`share ${i + 1}`, s));
  daemon = await startDaemon({ home: sb.home, logDir: join(sb.dir, 'logs'), env: { ONTOREF_DATA_DIR: vault.dataDir } });
  await unsealOverHttp(daemon, vault.shares);
  expectOk(await cli(['login', '--admin']));
}, 60_000);

afterAll(async () => {
  if (!RUN) return;
  await daemon?.stop('SIGKILL');
  sb.cleanup();
});

describe.skipIf(!RUN)('vault transit against a real daemon', () => {
  let ciphertext = '';

  it('creates a key, encrypts from a file and stdin, decrypts to the exact bytes', async () => {
    const c = await cli(['transit', 'create', 'orders', '--exportable', '--json']);
    expectOk(c);
    expect(JSON.parse(c.out)).toMatchObject({ name: 'orders', type: 'xwing', latest_version: 1, exportable: true });
    expect((await cli(['transit', 'list'])).out).toBe('orders\n');

    const input = sb.path('card.txt');
    writeFileSync(input, PLAIN, { mode: 0o600 });
    const e = await cli(['transit', 'encrypt', 'orders', '-i', input]);
    expectOk(e);
    ciphertext = e.out.trim();
    expect(ciphertext).toMatch(/^ontoref:v1:[A-Za-z0-9+/=]+$/);
    const d = await cli(['transit', 'decrypt', 'orders'], { stdin: `${ciphertext}\n` });
    expectOk(d);
    expect(d.stdout.equals(Buffer.from(PLAIN, 'utf8'))).toBe(true);

    const withAd = await cli(['transit', 'encrypt', 'orders', '--associated-data', 'row 7'], { stdin: PLAIN });
    expectOk(withAd);
    const wrongAd = await cli(['transit', 'decrypt', 'orders', '--associated-data', 'row 8'], { stdin: withAd.out });
    expect({ code: wrongAd.code, first: wrongAd.stderr.split('\n')[0] }).toEqual({ code: 2, first: 'vault: error: transit ciphertext is malformed or cannot be decrypted' });
  });

  it('encrypts a batch, keeping order and per-item errors', async () => {
    const batch = sb.path('batch.json');
    writeFileSync(batch, JSON.stringify([{ plaintext: Buffer.from('one').toString('base64') }, { plaintext: '!!' }, { plaintext: Buffer.from('three').toString('base64') }]));
    const r = await cli(['transit', 'encrypt', 'orders', '--batch', batch]);
    expectOk(r);
    const results = (JSON.parse(r.out) as { batch_results: { ciphertext?: string; error?: { code: string } }[] }).batch_results;
    expect(results.map((x) => x.error?.code ?? 'ok')).toEqual(['ok', 'OV_INVALID_ARGUMENT', 'ok']);
    const d = await cli(['transit', 'decrypt', 'orders'], { stdin: results[2]?.ciphertext as string });
    expect(d.out).toBe('three');
  });

  it('signs and verifies; a changed input is invalid with exit 1', async () => {
    expectOk(await cli(['transit', 'create', 'release', '--type', 'ml-dsa-65']));
    const artefact = sb.path('app.tar');
    writeFileSync(artefact, Buffer.alloc(200_000, 7));
    for (const mode of [[], ['--prehash']]) {
      const s = await cli(['transit', 'sign', 'release', '-i', artefact, ...mode]);
      expectOk(s);
      const sig = sb.path('app.sig');
      writeFileSync(sig, s.out);
      const ok = await cli(['transit', 'verify', 'release', '-i', artefact, '--signature', `@${sig}`, ...mode]);
      expect({ code: ok.code, out: ok.out }).toEqual({ code: 0, out: 'valid\n' });
      const bad = await cli(['transit', 'verify', 'release', '--signature', s.out.trim(), ...mode], { stdin: 'another file' });
      expect({ code: bad.code, out: bad.out }).toEqual({ code: 1, out: 'invalid\n' });
    }
  });

  it('opens a transit ciphertext offline with the exported key and --context-hex', async () => {
    const keyFile = sb.path('orders.v1.key');
    expectOk(await cli(['transit', 'export', 'orders', '--kind', 'encryption-key', '--version', '1', '-o', keyFile]));
    const body = sb.path('body.bin');
    writeFileSync(body, Buffer.from(ciphertext.slice('ontoref:v1:'.length), 'base64'));
    const context = Buffer.from('ontoref-vault/transit/v1\u0000orders\u00001', 'utf8').toString('hex');
    const r = await cli(['envelope', 'open', '--key', keyFile, '--context-hex', context, '-i', body]);
    expectOk(r);
    expect(r.stdout.equals(Buffer.from(PLAIN, 'utf8'))).toBe(true);
    // Another context (another key name) does not open it.
    const other = Buffer.from('ontoref-vault/transit/v1\u0000orderz\u00001', 'utf8').toString('hex');
    const bad = await cli(['envelope', 'open', '--key', keyFile, '--context-hex', other, '-i', body]);
    expect({ code: bad.code, first: bad.stderr.split('\n')[0] }).toEqual({ code: 1, first: 'vault: error: envelope cannot be opened' });
    const odd = await cli(['envelope', 'open', '--key', keyFile, '--context-hex', 'abc', '-i', body]);
    expect(odd.code).toBe(1);
    expect(odd.stderr).toContain('--context-hex must be an even number of hex digits');
  });

  it('never puts the plaintext in argv, stderr or the audit log', () => {
    const audit = readAudit(vault.dataDir).map((r) => r.raw).join('\n');
    expect(audit).toContain('"transit_key":"orders"');
    const sources = [{ name: 'audit log', text: audit }, ...transcript.map((r) => ({ name: `vault ${r.args.join(' ')}`, text: `${r.args.join(' ')}\n${r.stderr}` }))];
    expect(secrets.findIn(sources)).toEqual([]);
    expect(audit).not.toContain(Buffer.from(PLAIN).toString('base64'));
  });
});

describe.skipIf(!RUN)('vault secrets get --age-recipient against a real daemon', () => {
  it('writes an armored age file that typage decrypts, for post-quantum and X25519 recipients', async () => {
    const put = await cli(['secrets', 'put', 'app/age', 'password=-'], { stdin: PLAIN });
    expectOk(put);
    for (const identity of [await typage.generateHybridIdentity(), await typage.generateX25519Identity()]) {
      const r = await cli(['secrets', 'get', 'app/age', '-field=password', '--age-recipient', await typage.identityToRecipient(identity)]);
      expectOk(r);
      expect(r.out.startsWith('-----BEGIN AGE ENCRYPTED FILE-----')).toBe(true);
      const d = new typage.Decrypter();
      d.addIdentity(identity);
      expect(await d.decrypt(typage.armor.decode(r.out), 'text')).toBe(PLAIN);
    }
  });
});

/**
 * Bulk imports as jobs and chain-bound slashing protection, end to end: a real daemon on
 * loopback driven by the built CLI as child processes. A directory of 100 keystores
 * (scrypt n = 2^10) imports to the end through one job, with a progress bar on a terminal
 * and none when piped; a keystore declaring scrypt n = 2^20 (1 GiB) is refused before any
 * KDF runs and nothing is stored; a secret read is served while an import job runs (its
 * KDFs are on the bounded queue, off the event loop); and the slashing-protection
 * commands: export per chain, a refused import of another chain, bind, confirm, and the
 * keymanager token written to a 0600 file.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidatorsClient, VaultClient } from '../../src/client/index.js';
import { encryptKeystore, generateKey, formatPublicKey, NETWORK_ROOTS } from '../../src/validators/index.js';
import { assertBuilt, makeSandbox, type CliResult, type RunOptions, type Sandbox } from '../helpers/cli.js';
import { daemonBuilt, SecretSet } from '../helpers/daemon.js';
import { expectDaemonError, expectOk, fastKeystore, startVault, type Vault } from './validator-fixture.js';

const RUN = daemonBuilt;
let sb: Sandbox;
let A: Vault;
const secrets = new SecretSet();

function run(args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return sb.run(args, { ...opts, env: { ONTOREF_ADDR: A.daemon.addr, ONTOREF_TOKEN: A.token, ...opts.env } });
}

function secretFile(name: string, text: string): string {
  const p = sb.path(name);
  writeFileSync(p, text, { mode: 0o600 });
  return p;
}

async function count(): Promise<number> {
  const r = await run(['validator', 'list', '--json']);
  expectOk(r);
  return (JSON.parse(r.out) as { validators: unknown[] }).validators.length;
}

beforeAll(async () => {
  if (!RUN) return;
  assertBuilt();
  sb = makeSandbox('vault-validator-jobs-');
  A = await startVault(sb, join(sb.dir, 'logs'), secrets, 'a');
}, 120_000);

afterAll(async () => {
  if (!RUN) return;
  await A?.daemon.stop('SIGKILL');
  sb.cleanup();
});

describe.skipIf(!RUN)('import jobs and slashing protection (real daemon, CLI child processes)', () => {
  const pubs: string[] = [];

  it('imports 100 keystores through one job, with a progress bar on a terminal', async () => {
    const dir = sb.path('hundred');
    mkdirSync(dir);
    const pw = secrets.add('bulk password', 'bulk-password-0123456789');
    for (let i = 0; i < 100; i++) {
      const ks = await fastKeystore(secrets, pw);
      pubs.push(ks.pubkey);
      writeFileSync(join(dir, `keystore-${String(i).padStart(3, '0')}.json`), ks.text);
    }
    const r = await run(['validator', 'import', '--chain', 'ethereum', '--network', 'mainnet', '--dir', dir, '--password-file', secretFile('hundred.pw', pw)], { tty: true });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('importing [');
    expect(r.out).toContain('100/100');
    expect(r.out).toContain('100 imported, 0 duplicate, 0 failed');
    expect(await count()).toBe(100);
    // Piped: no progress bar, the same results (now all duplicates).
    const again = await run(['validator', 'import', '--chain', 'ethereum', '--network', 'mainnet', '--dir', dir, '--password-file', sb.path('hundred.pw'), '--json']);
    expectOk(again);
    expect(again.stderr).not.toContain('importing [');
    expect(JSON.parse(again.out)).toMatchObject({ imported: 0, duplicate: 100, error: 0 });
    const show = await run(['validator', 'show', `eth-${(pubs[0] as string).slice(2, 10)}`, '--json']);
    expect((JSON.parse(show.out) as { metadata: Record<string, string> }).metadata.genesis_validators_root).toBe(NETWORK_ROOTS.mainnet);
  }, 300_000);

  it('refuses a keystore beyond the KDF memory budget before any work, storing nothing', async () => {
    const dir = sb.path('big');
    mkdirSync(dir);
    const pw = 'big-password-0123456789';
    const ok = await fastKeystore(secrets, pw);
    const big = JSON.parse(ok.text) as { crypto: { kdf: { params: { n: number } } } };
    big.crypto.kdf.params.n = 2 ** 20;
    writeFileSync(join(dir, 'a-ok.json'), ok.text);
    writeFileSync(join(dir, 'b-big.json'), JSON.stringify(big));
    const before = await count();
    const r = await run(['validator', 'import', '--chain', 'ethereum', '--network', 'mainnet', '--dir', dir, '--password-file', secretFile('big.pw', pw)]);
    expectDaemonError(r, 'OV_KDF_MEMORY_BUDGET');
    expect(await count()).toBe(before);
  });

  it('serves a secret read while an import job runs', async () => {
    const client = new VaultClient({ addr: A.daemon.addr, token: A.token });
    await client.putSecret('apps/during-import', { data: { k: 'v' } });
    // Heavier keystores (n = 2^14, 16 MiB each) so the job is still running when the read returns.
    const pw = 'concurrent-password-0123456789';
    const items = await Promise.all(Array.from({ length: 40 }, async () => ({ keystore: await encryptKeystore(generateKey('ethereum'), pw, { kdf: 'scrypt', scryptN: 2 ** 14 }), password: pw })));
    const v = new ValidatorsClient(client);
    const job = await v.startImport({ chain: 'ethereum', items, genesis_validators_root: NETWORK_ROOTS.mainnet });
    expect(job.state).toBe('running');
    const read = await client.getSecret('apps/during-import');
    expect(read.data).toEqual({ k: 'v' });
    const status = await v.importJob(job.id);
    expect(status.state).toBe('running');
    expect(status.done).toBeLessThan(40);
    let last = status;
    for (let i = 0; i < 6000 && last.state === 'running'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      last = await v.importJob(job.id);
    }
    expect(last.state).toBe('done');
    expect(last.results?.filter((x) => x.status === 'imported')).toHaveLength(40);
  }, 300_000);

  it('exports per chain, refuses an interchange of another chain, binds and confirms', async () => {
    // A key with no chain, as before keys were bound: export refuses until it is bound.
    const ks = await fastKeystore(secrets, 'unbound-password-0123');
    const created = await new ValidatorsClient(new VaultClient({ addr: A.daemon.addr, token: A.token })).create({ name: 'old-key', chain: 'ethereum', format: 'eip2335', keystore: ks.text, password: 'unbound-password-0123' });
    expect(created.metadata.genesis_validators_root).toBeUndefined();
    expectDaemonError(await run(['validator', 'slashing-protection', 'export', '-o', sb.path('all.json')]), 'OV_VALIDATOR_UNBOUND');
    expectOk(await run(['validator', 'slashing-protection', 'bind', 'old-key', '--network', 'hoodi']));
    expectDaemonError(await run(['validator', 'slashing-protection', 'export', '-o', sb.path('all.json')]), 'OV_INTERCHANGE_MIXED_CHAINS');

    const out = sb.path('mainnet.json');
    expectOk(await run(['validator', 'slashing-protection', 'export', '--network', 'mainnet', '-o', out]));
    const doc = JSON.parse(readFileSync(out, 'utf8')) as { metadata: { genesis_validators_root: string }; data: { pubkey: string }[] };
    expect(doc.metadata.genesis_validators_root).toBe(NETWORK_ROOTS.mainnet);
    expect(doc.data.map((d) => d.pubkey)).toContain(pubs[0]);
    expect(doc.data.map((d) => d.pubkey)).not.toContain(ks.pubkey);

    // An interchange of hoodi listing a mainnet key is refused whole; nothing rises.
    const name0 = `eth-${(pubs[0] as string).slice(2, 10)}`;
    const hoodi = { metadata: { interchange_format_version: '5', genesis_validators_root: NETWORK_ROOTS.hoodi }, data: [{ pubkey: ks.pubkey, signed_blocks: [{ slot: '10' }], signed_attestations: [] }, { pubkey: pubs[0], signed_blocks: [{ slot: '999' }], signed_attestations: [] }] };
    writeFileSync(sb.path('hoodi.json'), JSON.stringify(hoodi));
    expectDaemonError(await run(['validator', 'slashing-protection', 'import', sb.path('hoodi.json')]), 'OV_INTERCHANGE_CHAIN_MISMATCH');
    const shown = JSON.parse((await run(['validator', 'show', 'old-key', '--json'])).out) as { signing_state: Record<string, unknown> };
    expect(shown.signing_state.max_block_slot).toBeNull();

    // The right chain: raised.
    hoodi.data = [{ pubkey: ks.pubkey, signed_blocks: [{ slot: '10' }], signed_attestations: [] }];
    writeFileSync(sb.path('hoodi-ok.json'), JSON.stringify(hoodi));
    const imp = await run(['validator', 'slashing-protection', 'import', sb.path('hoodi-ok.json'), '--json']);
    expectOk(imp);
    expect(JSON.parse(imp.out)).toEqual({ genesis_validators_root: NETWORK_ROOTS.hoodi, results: [{ pubkey: ks.pubkey, status: 'raised', name: 'old-key' }] });

    // confirm raises to at least the given values, never lowers.
    const c = await run(['validator', 'slashing-protection', 'confirm', name0, '--max-block-slot', '77', '--json']);
    expectOk(c);
    expect((JSON.parse(c.out) as { signing_state: Record<string, unknown> }).signing_state.max_block_slot).toBe('77');
    const lower = await run(['validator', 'slashing-protection', 'confirm', name0, '--max-block-slot', '5', '--json']);
    expect((JSON.parse(lower.out) as { signing_state: Record<string, unknown> }).signing_state.max_block_slot).toBe('77');
    expect((await run(['validator', 'slashing-protection', 'confirm', name0, '--max-block-slot', 'x'])).code).toBe(1);
    const unknown = await run(['validator', 'slashing-protection', 'frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('ACTION must be one of import, export, bind, confirm');
    expect(formatPublicKey('ethereum', ks.key.publicKey)).toBe(ks.pubkey);
  });

  it('writes a new keymanager token to a 0600 file; the old one stops working', async () => {
    const first = readFileSync(join(A.setup.dataDir, 'keymanager.token'), 'utf8').trim();
    const list = (token: string) => fetch(`${A.daemon.addr}/eth/v1/keystores`, { headers: { authorization: `Bearer ${token}` } });
    expect((await list(first)).status).toBe(200);
    const file = sb.path('km.token');
    expectOk(await run(['validator', 'keymanager-token', '-o', file]));
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const fresh = readFileSync(file, 'utf8').trim();
    expect((await list(first)).status).toBe(403);
    const r = await list(fresh);
    expect(r.status).toBe(200);
    expect(((await r.json()) as { data: unknown[] }).data.length).toBeGreaterThanOrEqual(100);
  });
});

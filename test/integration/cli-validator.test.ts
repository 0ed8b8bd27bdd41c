/**
 * `vault validator` end to end: two real daemons (vault A and a fresh vault B) on
 * loopback ports, driven by the built CLI as child processes. Covers the two ERC-2335
 * vectors imported from files; wrong password, bad checksum, truncated file and pubkey
 * mismatch each refused with its own code and nothing stored; a bulk import of a
 * directory mixing good, duplicate and broken keystores (per-item statuses, exit 2); round
 * trips per chain (import into A, export, import into B: same public key; the exported
 * EIP-2335 file decrypts with @chainsafe/bls-keystore); a full rotation (exactly one
 * active key at each step, retired key kept, signing state carried, `history --verify`
 * passes, then one byte of a stored record is edited in SQLite and it fails); destroy
 * with confirmation; and a final leak grep of every password and secret this file
 * handled.
 *
 * Keystores made here for speed use scrypt n = 2^10 (our own encryptKeystore); the ERC
 * vectors use their own n = 2^18 (about 1 s each) and PBKDF2 c = 2^18.
 *
 * Tests in this file run in order and share the daemons.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decrypt as chainsafeDecrypt, type IKeystore } from '@chainsafe/bls-keystore';
import { openRawDb } from '../helpers/raw-sqlite.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERRORS } from '../../src/errors.js';
import { exportCosmosKey, exportCosmosState } from '../../src/validators/formats/cosmos.js';
import { formatPublicKey } from '../../src/validators/formats/pubkey.js';
import { exportSolanaKeypair } from '../../src/validators/formats/solana.js';
import { generateKey } from '../../src/validators/keygen.js';
import { assertBuilt, hasScript, makeSandbox, type CliResult, type RunOptions, type Sandbox } from '../helpers/cli.js';
import { cliSources, daemonBuilt, logSources, readAudit, SecretSet } from '../helpers/daemon.js';
import { loadJson } from '../helpers/vectors.js';
import { activeOf, expectDaemonError, expectOk, fastKeystore, startVault, states, type Key, type Slot, type Vault, type Vector } from './validator-fixture.js';

const vectors = (loadJson('eip2335/test-vectors.json') as { cases: Vector[] }).cases;
const RUN = daemonBuilt;

let sb: Sandbox;
let logDir: string;
let A: Vault;
let B: Vault;
const secrets = new SecretSet();

function run(v: Vault, args: readonly string[], opts: RunOptions = {}): Promise<CliResult> {
  return sb.run(args, { ...opts, env: { ONTOREF_ADDR: v.daemon.addr, ONTOREF_TOKEN: v.token, ...opts.env } });
}

async function slot(v: Vault, name: string): Promise<Slot> {
  const r = await run(v, ['validator', 'show', name, '--json']);
  expectOk(r);
  return JSON.parse(r.out) as Slot;
}

async function listJson(v: Vault): Promise<string> {
  const r = await run(v, ['validator', 'list', '--json']);
  expectOk(r);
  return r.out;
}

/** Writes a file only its owner may read (password and key files must be 0600). */
function secretFile(name: string, text: string): string {
  const p = sb.path(name);
  writeFileSync(p, text, { mode: 0o600 });
  chmodSync(p, 0o600);
  return p;
}

function plainFile(name: string, text: string): string {
  const p = sb.path(name);
  writeFileSync(p, text);
  return p;
}

function longPassword(label: string): string {
  return secrets.add(`password ${label}`, `pw-${label}-${randomBytes(12).toString('hex')}`);
}

beforeAll(async () => {
  if (!RUN) return;
  assertBuilt();
  sb = makeSandbox('vault-validator-');
  logDir = join(sb.dir, 'logs');
  [A, B] = await Promise.all([startVault(sb, logDir, secrets, 'a'), startVault(sb, logDir, secrets, 'b')]);
}, 120_000);

afterAll(async () => {
  if (!RUN) return;
  await Promise.all([A?.daemon.stop('SIGKILL'), B?.daemon.stop('SIGKILL')]);
  sb.cleanup();
});

describe.skipIf(!RUN)('vault validator (real daemons, CLI child processes)', () => {
  const v1 = vectors[0] as Vector;
  const v2 = vectors[1] as Vector;
  const vectorPub = `0x${v1.keystore.pubkey}`;

  it('loads the two ERC-2335 vectors (scrypt and pbkdf2, same key)', () => {
    expect(vectors).toHaveLength(2);
    expect(v2.keystore.pubkey).toBe(v1.keystore.pubkey);
    secrets.add('ERC-2335 vector password', v1.password);
    secrets.add('ERC-2335 vector secret', v1.secret_hex);
  });

  it('imports ERC vector 1 (scrypt) from files into A; vector 2 (pbkdf2, same key) is a duplicate in A and imports into B', async () => {
    const ks1 = plainFile('erc-scrypt.json', JSON.stringify(v1.keystore));
    const ks2 = plainFile('erc-pbkdf2.json', JSON.stringify(v2.keystore));
    const pw = secretFile('erc.pw', `${v1.password}\n`);
    const r = await run(A, ['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--keystore', ks1, '--password-file', pw, '--json']);
    expectOk(r);
    const s = JSON.parse(r.out) as Slot;
    expect(s).toMatchObject({ name: `eth-${v1.keystore.pubkey.slice(0, 8)}`, chain: 'ethereum' });
    expect(s.keys).toHaveLength(1);
    expect(s.keys[0]).toMatchObject({ state: 'active', key_type: 'BLS12-381', public_key: vectorPub, source: 'imported-eip2335', address: null });

    const before = await listJson(A);
    const dup = await run(A, ['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--keystore', ks2, '--password-file', pw, '--name', 'erc-two']);
    expectDaemonError(dup, 'OV_VALIDATOR_DUPLICATE');
    expect(await listJson(A)).toBe(before);

    const b = await run(B, ['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--keystore', ks2, '--password-file', pw, '--name', 'erc-two', '--json']);
    expectOk(b);
    expect(activeOf(JSON.parse(b.out) as Slot)?.public_key).toBe(vectorPub);
  });

  it('the imported vector yields the expected secret: exported as EIP-2335 (0600), it decrypts with @chainsafe/bls-keystore', async () => {
    const pw = longPassword('export-erc');
    const pwFile = secretFile('export-erc.pw', pw);
    const out = sb.path('exported-erc.json');
    const r = await run(A, ['validator', 'export', `eth-${v1.keystore.pubkey.slice(0, 8)}`, '--password-file', pwFile, '-o', out]);
    expectOk(r);
    expect(r.out).toBe('');
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const ks = JSON.parse(readFileSync(out, 'utf8')) as IKeystore;
    expect(ks.pubkey).toBe(v1.keystore.pubkey);
    const secret = await chainsafeDecrypt(ks, pw);
    expect(Buffer.from(secret).toString('hex')).toBe(v1.secret_hex);
    // Without -o/--out-dir the key is never printed.
    const none = await run(A, ['validator', 'export', `eth-${v1.keystore.pubkey.slice(0, 8)}`, '--password-file', pwFile]);
    expect(none.code).toBe(1);
    expect(none.out).toBe('');
  });

  it('wrong password, bad checksum, malformed checksum, truncated file and pubkey mismatch: each its own code, nothing stored', async () => {
    const pw = secretFile('erc.pw', v1.password);
    const wrongPw = secretFile('wrong.pw', 'not the password at all');
    const before = await listJson(A);

    // Wrong password on a fresh key (not a duplicate): the checksum does not match.
    const fresh = await fastKeystore(secrets, v1.password);
    const freshFile = plainFile('fresh.json', fresh.text);
    expectDaemonError(await run(A, ['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--keystore', freshFile, '--password-file', wrongPw]), 'OV_KEYSTORE_PASSWORD');

    // A checksum edited to another well-formed value: indistinguishable from a wrong password by design.
    const doc = JSON.parse(fresh.text) as Vector['keystore'];
    const m = doc.crypto.checksum.message;
    doc.crypto.checksum.message = `${m.slice(0, -1)}${m.endsWith('0') ? '1' : '0'}`;
    const badSum = plainFile('bad-checksum.json', JSON.stringify(doc));
    expectDaemonError(await run(A, ['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--keystore', badSum, '--password-file', pw]), 'OV_KEYSTORE_PASSWORD');

    // A malformed checksum (wrong length) is refused before any KDF runs.
    doc.crypto.checksum.message = m.slice(0, 10);
    const shortSum = plainFile('short-checksum.json', JSON.stringify(doc));
    expectDaemonError(await run(A, ['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--keystore', shortSum, '--password-file', pw, '--name', 'short-sum']), 'OV_KEYSTORE_INVALID');

    // Truncated: the daemon refuses it (with --name the CLI forwards it as is) ...
    const truncated = plainFile('truncated.json', fresh.text.slice(0, Math.floor(fresh.text.length / 2)));
    expectDaemonError(await run(A, ['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--keystore', truncated, '--password-file', pw, '--name', 'trunc']), 'OV_KEYSTORE_INVALID');
    // ... and without --name the CLI cannot even name the slot: a local error, exit 1.
    const local = await run(A, ['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--keystore', truncated, '--password-file', pw]);
    expect(local.code).toBe(1);
    expect(local.stderr).toContain(`vault: error: ${ERRORS.OV_KEYSTORE_INVALID.message}`);

    // Pubkey mismatch: a valid keystore whose pubkey field names another key.
    const other = generateKey('ethereum');
    const mism = JSON.parse(fresh.text) as Vector['keystore'];
    mism.pubkey = Buffer.from(other.publicKey).toString('hex');
    const mismatch = plainFile('mismatch.json', JSON.stringify(mism));
    expectDaemonError(await run(A, ['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--keystore', mismatch, '--password-file', pw]), 'OV_KEYSTORE_PUBKEY_MISMATCH');

    expect(await listJson(A)).toBe(before);
    // The refused key can still be imported afterwards: nothing half-stored blocks it.
    expectOk(await run(A, ['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--keystore', freshFile, '--password-file', pw, '--name', 'fresh-ok']));
  });

  it('bulk: a directory with good, duplicate and broken keystores gives per-item statuses and exit 2; deposit_data is skipped', async () => {
    const dir = sb.path('bulk');
    const pwDir = sb.path('bulk-pw');
    mkdirSync(dir);
    mkdirSync(pwDir);
    const good: { pubkey: string; file: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const p = longPassword(`bulk-${i}`);
      const ks = await fastKeystore(secrets, p);
      const file = `keystore-good-${i}.json`;
      writeFileSync(join(dir, file), ks.text);
      secretFile(`bulk-pw/keystore-good-${i}.txt`, `${p}\n`);
      good.push({ pubkey: ks.pubkey, file });
    }
    copyFileSync(sb.path('erc-scrypt.json'), join(dir, 'keystore-dup.json'));
    secretFile('bulk-pw/keystore-dup.txt', v1.password);
    const wrong = await fastKeystore(secrets, longPassword('bulk-wrong'));
    writeFileSync(join(dir, 'keystore-wrongpw.json'), wrong.text);
    secretFile('bulk-pw/keystore-wrongpw.txt', 'definitely not it');
    writeFileSync(join(dir, 'keystore-truncated.json'), wrong.text.slice(0, 100));
    secretFile('bulk-pw/keystore-truncated.txt', 'whatever-password');
    writeFileSync(join(dir, 'deposit_data-1700000000.json'), '[]');
    writeFileSync(join(dir, 'README.txt'), 'not a keystore');

    const r = await run(A, ['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--dir', dir, '--passwords-dir', pwDir, '--json']);
    expect(r.code, r.stderr).toBe(2);
    const doc = JSON.parse(r.out) as { results: { file: string; status: string; name?: string; public_key?: string; code?: string }[]; imported: number; duplicate: number; error: number };
    const byFile = Object.fromEntries(doc.results.map((x) => [x.file, x]));
    expect(Object.keys(byFile).sort()).toEqual(['keystore-dup.json', 'keystore-good-0.json', 'keystore-good-1.json', 'keystore-good-2.json', 'keystore-truncated.json', 'keystore-wrongpw.json']);
    for (const g of good) expect(byFile[g.file]).toMatchObject({ status: 'imported', public_key: g.pubkey, name: `eth-${g.pubkey.slice(2, 10)}` });
    expect(byFile['keystore-dup.json']).toMatchObject({ status: 'duplicate' });
    expect(byFile['keystore-wrongpw.json']).toMatchObject({ status: 'error', code: 'OV_KEYSTORE_PASSWORD' });
    expect(byFile['keystore-truncated.json']).toMatchObject({ status: 'error', code: 'OV_KEYSTORE_INVALID' });
    expect({ imported: doc.imported, duplicate: doc.duplicate, error: doc.error }).toEqual({ imported: 3, duplicate: 1, error: 2 });
    for (const g of good) expect(activeOf(await slot(A, `eth-${g.pubkey.slice(2, 10)}`))?.public_key).toBe(g.pubkey);

    // One password for a whole directory, table output, exit 0 when nothing failed.
    const dir2 = sb.path('bulk2');
    mkdirSync(dir2);
    const shared = longPassword('bulk-shared');
    const keys = [await fastKeystore(secrets, shared), await fastKeystore(secrets, shared)];
    keys.forEach((k, i) => writeFileSync(join(dir2, `k${i}.json`), k.text));
    const t = await run(A, ['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--dir', dir2, '--password-file', secretFile('shared.pw', shared)]);
    expectOk(t);
    expect(t.out).toMatch(/^FILE +STATUS +NAME +PUBLIC KEY/);
    for (const k of keys) expect(t.out).toContain(k.pubkey);
    expect(t.stderr).toContain('2 imported, 0 duplicate, 0 failed');
  });

  it('round trip ethereum: import into A, export, import into fresh B: same public key', async () => {
    const pw = longPassword('rt-eth');
    const ks = await fastKeystore(secrets, pw);
    const pwFile = secretFile('rt-eth.pw', pw);
    expectOk(await run(A, ['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--keystore', plainFile('rt-eth.json', ks.text), '--password-file', pwFile, '--name', 'rt-eth']));
    const out = sb.path('rt-eth-export.json');
    expectOk(await run(A, ['validator', 'export', 'rt-eth', '--format', 'eip2335', '--password-file', pwFile, '-o', out]));
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const r = await run(B, ['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--keystore', out, '--password-file', pwFile, '--json']);
    expectOk(r);
    expect(activeOf(JSON.parse(r.out) as Slot)?.public_key).toBe(ks.pubkey);
    // An existing file is kept without --force.
    const again = await run(A, ['validator', 'export', 'rt-eth', '--password-file', pwFile, '-o', out]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already exists');
  });

  it('round trip cosmos: key + state file into A, export two 0600 files, import into B: same public key, address and height', async () => {
    const key = generateKey('cosmos');
    const keyText = exportCosmosKey(key);
    secrets.add('cosmos priv_key', (JSON.parse(keyText) as { priv_key: { value: string } }).priv_key.value);
    const keyFile = secretFile('priv_validator_key.json', keyText);
    const stateFile = plainFile('priv_validator_state.json', exportCosmosState({ height: '1200', round: 0, step: 3 }));
    const r = await run(A, ['validator', 'import', '--chain', 'cosmos', '--key-file', keyFile, '--state-file', stateFile, '--name', 'cosmos-val', '--json']);
    expectOk(r);
    const s = JSON.parse(r.out) as Slot;
    const pub = formatPublicKey('cosmos', key.publicKey);
    expect(activeOf(s)).toMatchObject({ public_key: pub, key_type: 'Ed25519', source: 'imported-cosmos' });
    expect(s.signing_state).toMatchObject({ height: '1200', round: 0, step: 3 });

    const outDir = sb.path('cosmos-export');
    mkdirSync(outDir);
    expectOk(await run(A, ['validator', 'export', 'cosmos-val', '--out-dir', outDir]));
    for (const f of ['priv_validator_key.json', 'priv_validator_state.json']) expect(statSync(join(outDir, f)).mode & 0o777).toBe(0o600);
    const exportedState = JSON.parse(readFileSync(join(outDir, 'priv_validator_state.json'), 'utf8')) as { height: string };
    expect(exportedState.height).toBe('1200');

    const b = await run(B, ['validator', 'import', '--chain', 'cosmos', '--key-file', join(outDir, 'priv_validator_key.json'), '--state-file', join(outDir, 'priv_validator_state.json'), '--json']);
    expectOk(b);
    const sb2 = JSON.parse(b.out) as Slot;
    expect(activeOf(sb2)).toMatchObject({ public_key: pub, address: activeOf(s)?.address });
    expect(sb2.signing_state).toMatchObject({ height: '1200' });
    // A cosmos export is two files: -o is refused.
    expect((await run(A, ['validator', 'export', 'cosmos-val', '-o', sb.path('one.json')])).code).toBe(1);
  });

  it('round trip solana: keypair into A, export, import into B: same public key and the same 64 bytes', async () => {
    const key = generateKey('solana');
    const text = exportSolanaKeypair(key);
    secrets.add('solana keypair', text.replace(/\s+/g, '').slice(1, 80));
    const r = await run(A, ['validator', 'import', '--chain', 'solana', '--keypair', secretFile('sol.json', text), '--name', 'sol-main', '--json']);
    expectOk(r);
    const pub = formatPublicKey('solana', key.publicKey);
    expect(activeOf(JSON.parse(r.out) as Slot)).toMatchObject({ public_key: pub, address: pub, source: 'imported-solana' });
    const out = sb.path('sol-export.json');
    expectOk(await run(A, ['validator', 'export', 'sol-main', '-o', out]));
    expect(statSync(out).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(JSON.parse(text));
    const b = await run(B, ['validator', 'import', '--chain', 'solana', '--keypair', out, '--json']);
    expectOk(b);
    expect(activeOf(JSON.parse(b.out) as Slot)?.public_key).toBe(pub);
  });

  it('a key file others may read is refused before anything is sent', async () => {
    const p = sb.path('open.json');
    writeFileSync(p, exportSolanaKeypair(generateKey('solana')), { mode: 0o644 });
    chmodSync(p, 0o644);
    const before = await listJson(A);
    const r = await run(A, ['validator', 'import', '--chain', 'solana', '--keypair', p, '--name', 'open']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(ERRORS.OV_UNSAFE_PERMISSIONS.message);
    expect(await listJson(A)).toBe(before);
  });

  let retiredId = '';
  let retiredPub = '';

  it('full rotation: rotate (pending), promote (one active at every step), retired key kept, signing state carried over', async () => {
    const name = 'cosmos-val';
    const s0 = await slot(A, name);
    expect(states(s0)).toEqual(['active']);
    const first = activeOf(s0) as Key;

    const raised = await run(A, ['validator', 'signing-state', name, '--height', '1500', '--round', '2', '--step', '1', '--json']);
    expectOk(raised);
    expect((JSON.parse(raised.out) as Slot).signing_state).toMatchObject({ height: '1500', round: 2, step: 1 });
    expectDaemonError(await run(A, ['validator', 'signing-state', name, '--height', '1000']), 'OV_SIGNING_STATE_REGRESSION');

    const rot = await run(A, ['validator', 'rotate', name, '--generate', '--json']);
    expectOk(rot);
    const s1 = JSON.parse(rot.out) as Slot;
    expect(states(s1)).toEqual(['active', 'pending']);
    expect(activeOf(s1)?.id).toBe(first.id);
    const pending = s1.keys.find((k) => k.state === 'pending') as Key;
    expect(pending).toMatchObject({ source: 'generated', key_type: 'Ed25519' });
    // A second pending key is refused while one waits.
    expectDaemonError(await run(A, ['validator', 'rotate', name, '--generate']), 'OV_VALIDATOR_STATE');

    const pro = await run(A, ['validator', 'promote', name, '--json']);
    expectOk(pro);
    const s2 = JSON.parse(pro.out) as Slot;
    expect(states(s2)).toEqual(['active', 'retired']);
    expect(activeOf(s2)?.id).toBe(pending.id);
    expect(s2.keys.find((k) => k.id === first.id)?.state).toBe('retired');
    expect(s2.signing_state).toMatchObject({ height: '1500', round: 2, step: 1 });
    expectDaemonError(await run(A, ['validator', 'promote', name]), 'OV_VALIDATOR_STATE');

    // The retired key is still listed and still exportable.
    const retired = await run(A, ['validator', 'list', '--state', 'retired', '--json']);
    expectOk(retired);
    expect((JSON.parse(retired.out) as { validators: Slot[] }).validators.map((x) => x.name)).toContain(name);
    const outDir = sb.path('cosmos-retired');
    mkdirSync(outDir);
    expectOk(await run(A, ['validator', 'export', name, '--key-id', first.id, '--out-dir', outDir]));
    const exported = JSON.parse(readFileSync(join(outDir, 'priv_validator_key.json'), 'utf8')) as { pub_key: { value: string } };
    expect(exported.pub_key.value).toBe(first.public_key);

    // Rotate again by importing a key file, promote, then retire: no active key left.
    const next = generateKey('cosmos');
    expectOk(await run(A, ['validator', 'rotate', name, '--key-file', secretFile('next_key.json', exportCosmosKey(next))]));
    const s3 = await slot(A, name);
    expect(states(s3)).toEqual(['active', 'pending', 'retired']);
    expectOk(await run(A, ['validator', 'promote', name]));
    const s4 = await slot(A, name);
    expect(states(s4)).toEqual(['active', 'retired', 'retired']);
    expect(activeOf(s4)?.public_key).toBe(formatPublicKey('cosmos', next.publicKey));
    expectOk(await run(A, ['validator', 'retire', name]));
    const s5 = await slot(A, name);
    expect(states(s5)).toEqual(['retired', 'retired', 'retired']);
    expect(s5.signing_state).toMatchObject({ height: '1500' });
    retiredId = first.id;
    retiredPub = first.public_key;
  });

  it('ethereum rotation by keystore: the watermarks carry over to the new key', async () => {
    const name = 'rt-eth';
    expectOk(await run(A, ['validator', 'signing-state', name, '--max-block-slot', '9000', '--max-source-epoch', '280', '--max-target-epoch', '281']));
    const pw = longPassword('eth-next');
    const ks = await fastKeystore(secrets, pw);
    expectOk(await run(A, ['validator', 'rotate', name, '--keystore', plainFile('eth-next.json', ks.text), '--password-file', secretFile('eth-next.pw', pw)]));
    expectOk(await run(A, ['validator', 'promote', name]));
    const s = await slot(A, name);
    expect(activeOf(s)?.public_key).toBe(ks.pubkey);
    expect(s.keys.filter((k) => k.state === 'active')).toHaveLength(1);
    expect(s.signing_state).toEqual({ max_block_slot: '9000', max_source_epoch: '280', max_target_epoch: '281' });
  });

  it('destroy needs the public key: refused without a terminal or with a wrong one, then done with --confirm', async () => {
    const name = 'cosmos-val';
    const noTty = await run(A, ['validator', 'destroy', name, retiredId]);
    expect(noTty.code).toBe(1);
    expect(noTty.stderr).toContain('--confirm');
    expectDaemonError(await run(A, ['validator', 'destroy', name, retiredId, '--confirm', 'AAAA']), 'OV_CONFIRMATION_REQUIRED');
    expect((await slot(A, name)).keys.find((k) => k.id === retiredId)?.state).toBe('retired');
    // An active key cannot be destroyed.
    const eth = await slot(A, 'rt-eth');
    const act = activeOf(eth) as Key;
    expectDaemonError(await run(A, ['validator', 'destroy', 'rt-eth', act.id, '--confirm', act.public_key]), 'OV_VALIDATOR_STATE');

    const r = await run(A, ['validator', 'destroy', name, retiredId, '--confirm', retiredPub, '--json']);
    expectOk(r);
    expect(JSON.parse(r.out)).toEqual({ destroyed: retiredId });
    const after = await slot(A, name);
    expect(after.keys.map((k) => k.id)).not.toContain(retiredId);
  });

  it.runIf(hasScript())('on a terminal: destroy asks for the public key to be typed; a bulk import draws a progress bar', async () => {
    const name = 'cosmos-val';
    const target = (await slot(A, name)).keys.find((k) => k.state === 'retired') as Key;
    const wrong = await run(A, ['validator', 'destroy', name, target.id], { tty: true, stdin: 'not-the-key\n' });
    expect(wrong.code).toBe(2);
    expect(wrong.out).toContain('type its public key to confirm');
    expect((await slot(A, name)).keys.find((k) => k.id === target.id)?.state).toBe('retired');
    const typed = await run(A, ['validator', 'destroy', name, target.id], { tty: true, stdin: `${target.public_key}\n` });
    expect(typed.code, typed.out).toBe(0);
    expect(typed.out).toContain(`destroyed key ${target.id}`);
    expect((await slot(A, name)).keys.map((k) => k.id)).not.toContain(target.id);

    const dir = sb.path('bulk-tty');
    mkdirSync(dir);
    const pw = longPassword('bulk-tty');
    writeFileSync(join(dir, 'k.json'), (await fastKeystore(secrets, pw)).text);
    const bulk = await run(A, ['validator', 'import', '--chain', 'ethereum', '--network', 'hoodi', '--dir', dir, '--password-file', secretFile('bulk-tty.pw', pw)], { tty: true });
    expect(bulk.code, bulk.out).toBe(0);
    expect(bulk.out).toContain('importing [');
    expect(bulk.out).toContain('1/1');
  });

  it('history --verify passes for every slot touched; the records name each step', async () => {
    const r = await run(A, ['validator', 'history', 'cosmos-val', '--verify', '--json']);
    expectOk(r);
    const doc = JSON.parse(r.out) as { records: { seq: number; action: string }[]; verified: { ok: boolean } };
    expect(doc.verified).toEqual({ ok: true });
    const actions = doc.records.map((x) => x.action);
    expect(actions[0]).toBe('import');
    for (const a of ['signing-state', 'rotate', 'promote', 'retire', 'destroy']) expect(actions).toContain(a);
    expect(doc.records.map((x) => x.seq)).toEqual(doc.records.map((_, i) => i + 1));
    // Pinned out of band: the vault's signature public key from `keys list`, not from the history answer.
    const keys = await run(A, ['keys', 'list', '--json']);
    expectOk(keys);
    const sign = (JSON.parse(keys.out) as { keys: { name: string; versions: { public_key?: string }[] }[] }).keys.find((k) => k.name === 'sign');
    const pinned = plainFile('vault-sign.pub', sign?.versions[0]?.public_key ?? '');
    expectOk(await run(A, ['validator', 'history', 'cosmos-val', '--verify', '--key', pinned]));
    // Another ML-DSA-65 key of the same version: no record verifies under it.
    expectOk(await sb.run(['envelope', 'keygen', '--alg', 'ml-dsa-65', '-o', sb.path('other.key')]));
    const wrongKey = await run(A, ['validator', 'history', 'cosmos-val', '--verify', '--key', sb.path('other.key.pub')]);
    expect(wrongKey.code).toBe(2);
    expect(wrongKey.stderr).toContain(`${ERRORS.OV_VALIDATOR_HISTORY_INVALID.message}: record 1: bad signature`);
    const text = await run(A, ['validator', 'history', 'rt-eth', '--verify']);
    expectOk(text);
    expect(text.out).toMatch(/^SEQ +TIME +ACTION/);
    expect(text.stderr).toMatch(/history ok: \d+ record\(s\) verified/);
  });

  it('one byte of a stored record changed in the SQLite file: history --verify fails (exit 2) naming the record', async () => {
    const db = openRawDb(join(A.setup.dataDir, 'vault.db'));
    try {
      const row = db.prepare("SELECT seq, record FROM validator_records WHERE slot = 'cosmos-val' AND seq = 2").get() as { seq: number; record: string };
      // One byte of the signed time: a digit changed to another digit keeps the JSON valid.
      const at = row.record.indexOf('"time":"') + '"time":"'.length + 3;
      const ch = row.record[at] as string;
      const edited = `${row.record.slice(0, at)}${ch === '1' ? '2' : '1'}${row.record.slice(at + 1)}`;
      expect(Buffer.byteLength(edited)).toBe(Buffer.byteLength(row.record));
      // Whoever can write the file can drop the append-only trigger: the signature still catches it.
      db.exec('DROP TRIGGER validator_records_no_update');
      db.prepare("UPDATE validator_records SET record = ? WHERE slot = 'cosmos-val' AND seq = 2").run(edited);
    } finally {
      db.close();
    }
    const r = await run(A, ['validator', 'history', 'cosmos-val', '--verify']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`vault: error: ${ERRORS.OV_VALIDATOR_HISTORY_INVALID.message}: record 2:`);
    const j = await run(A, ['validator', 'history', 'cosmos-val', '--verify', '--json']);
    expect(j.code).toBe(2);
    expect((JSON.parse(j.out) as { verified: { ok: boolean; seq: number } }).verified).toMatchObject({ ok: false, seq: 2 });
    // Another slot's history is untouched.
    expectOk(await run(A, ['validator', 'history', 'rt-eth', '--verify']));
  });

  it('no password, secret key or token in the daemon logs, the CLI output, argv or the audit log', () => {
    expect(secrets.size).toBeGreaterThan(10);
    const audit = [...readAudit(A.setup.dataDir), ...readAudit(B.setup.dataDir)].map((e) => e.raw).join('\n');
    const leaks = secrets.findIn([...logSources(logDir), ...cliSources(), { name: 'audit log', text: audit }]);
    expect(leaks).toEqual([]);
  });
});

/**
 * `vault envelope seal --age` and `vault envelope open` on age files, as real child
 * processes of the built CLI in a temporary HOME, with typage (the `age-encryption`
 * package) as the independent reader and writer: recipients as strings, recipient files
 * and X-Wing public key files; identities as age identity files and X-Wing key files;
 * binary and armored output; the mixed-recipient refusal; the one decryption error with
 * its class; permission checks on identity files; nothing written with -o on failure.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as typage from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, makeSandbox, type CliResult, type Sandbox } from '../helpers/cli.js';

const PLAINTEXT = 'plaintext-marker-0Ag3 for an age file\n';

let sb: Sandbox;

function expectOk(r: CliResult): void {
  expect(r.stderr, `vault ${r.args.join(' ')}`).toBe('');
  expect(r.code).toBe(0);
}

async function typageDecrypt(identity: string, file: Uint8Array): Promise<string> {
  const d = new typage.Decrypter();
  d.addIdentity(identity);
  return d.decrypt(file, 'text');
}

async function typageEncrypt(recipients: string[], text: string): Promise<Uint8Array> {
  const e = new typage.Encrypter();
  for (const r of recipients) e.addRecipient(r);
  return e.encrypt(text);
}

function writeSecret(name: string, text: string): string {
  const path = sb.path(name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

beforeAll(() => {
  assertBuilt();
  sb = makeSandbox('vault-cli-age-');
});

afterAll(() => {
  sb.cleanup();
});

describe('vault envelope seal --age', () => {
  it('writes a binary age file typage opens, for a post-quantum and for an X25519 recipient string', async () => {
    for (const identity of [await typage.generateHybridIdentity(), await typage.generateX25519Identity()]) {
      const r = await sb.run(['envelope', 'seal', '--age', '-r', await typage.identityToRecipient(identity)], { stdin: PLAINTEXT });
      expectOk(r);
      expect(r.stdout.subarray(0, 22).toString('latin1')).toBe('age-encryption.org/v1\n');
      expect(await typageDecrypt(identity, r.stdout)).toBe(PLAINTEXT);
    }
  });

  it('armors with -a; takes recipients files (age -R style) and X-Wing public key files', async () => {
    const a = await typage.generateHybridIdentity();
    const b = await typage.generateHybridIdentity();
    const list = sb.path('recipients.txt');
    writeFileSync(list, `# team\n${await typage.identityToRecipient(a)}\r\n\n${await typage.identityToRecipient(b)}\n`);
    const key = sb.path('carol.key');
    expectOk(await sb.run(['envelope', 'keygen', '--age', '-o', key]));
    const input = sb.path('in.txt');
    writeFileSync(input, PLAINTEXT);
    const out = sb.path('out.age');
    expectOk(await sb.run(['envelope', 'seal', '--age', '-r', list, '-r', `${key}.pub`, '-i', input, '-o', out, '-a']));
    const text = readFileSync(out, 'utf8');
    expect(text.startsWith('-----BEGIN AGE ENCRYPTED FILE-----\n')).toBe(true);
    const file = typage.armor.decode(text);
    expect(await typageDecrypt(a, file)).toBe(PLAINTEXT);
    expect(await typageDecrypt(b, file)).toBe(PLAINTEXT);
    // The vault key's age identity file (written by keygen --age) opens it with typage too.
    const identity = readFileSync(`${key}.age`, 'utf8').split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-PQ-1'));
    expect(await typageDecrypt(identity ?? '', file)).toBe(PLAINTEXT);
  });

  it('refuses to mix post-quantum and X25519 recipients unless --allow-mixed', async () => {
    const pq = await typage.identityToRecipient(await typage.generateHybridIdentity());
    const x = await typage.generateX25519Identity();
    const r = await sb.run(['envelope', 'seal', '--age', '-r', pq, '-r', await typage.identityToRecipient(x)], { stdin: PLAINTEXT });
    expect(r.code).toBe(1);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).toBe(
      'vault: error: post-quantum and classic age recipients cannot be mixed\nvault: hint: use only age1pq1... recipients, or pass --allow-mixed to accept X25519 protection for the file\n',
    );
    const ok = await sb.run(['envelope', 'seal', '--age', '--allow-mixed', '-r', pq, '-r', await typage.identityToRecipient(x)], { stdin: PLAINTEXT });
    expectOk(ok);
    expect(await typageDecrypt(x, ok.stdout)).toBe(PLAINTEXT);
  });

  it('usage errors: --age without -r, -r without --age, --to/--sign/--context with --age, bad recipients', async () => {
    const pq = await typage.identityToRecipient(await typage.generateHybridIdentity());
    const cases: [string[], string][] = [
      [['envelope', 'seal', '--age'], 'vault: error: invalid usage: --age needs at least one -r RECIPIENT\n'],
      [['envelope', 'seal', '-r', pq], 'vault: error: invalid usage: -r and --allow-mixed need --age\n'],
      [['envelope', 'seal', '--age', '-r', pq, '--context', 'x'], 'vault: error: invalid usage: --to, --sign and --context do not apply to --age (use -r)\n'],
    ];
    for (const [args, first] of cases) {
      const r = await sb.run(args, { stdin: PLAINTEXT });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr.startsWith(first), r.stderr).toBe(true);
    }
    // One checksum character changed (to another one: 'q' may already be the last).
    const bad = await sb.run(['envelope', 'seal', '--age', '-r', `${pq.slice(0, -1)}${pq.endsWith('q') ? 'p' : 'q'}`], { stdin: PLAINTEXT });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe('vault: error: key is malformed or of the wrong type\n');
    const notList = sb.path('not-recipients.txt');
    writeFileSync(notList, 'hello\n');
    const r = await sb.run(['envelope', 'seal', '--age', '-r', notList], { stdin: PLAINTEXT });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not an x-wing public key or an age recipients file');
  });
});

describe('vault envelope open on age files', () => {
  it('opens typage files, binary and armored, with an age identity file of either type', async () => {
    for (const identity of [await typage.generateHybridIdentity(), await typage.generateX25519Identity()]) {
      const idFile = writeSecret('id.txt', `# created by typage\n${identity}\n`);
      const file = await typageEncrypt([await typage.identityToRecipient(identity)], PLAINTEXT);
      const bin = await sb.run(['envelope', 'open', '--key', idFile], { stdin: file });
      expectOk(bin);
      expect(bin.out).toBe(PLAINTEXT);
      const armored = await sb.run(['envelope', 'open', '--key', idFile], { stdin: typage.armor.encode(file) });
      expectOk(armored);
      expect(armored.out).toBe(PLAINTEXT);
    }
  });

  it('opens an age file with the X-Wing vault key file whose recipient it was sealed to', async () => {
    const key = sb.path('dave.key');
    const gen = await sb.run(['envelope', 'keygen', '--age', '-o', key]);
    expectOk(gen);
    const recipient = /age recipient: (age1pq1\S+)/.exec(gen.out)?.[1] ?? '';
    const file = await typageEncrypt([recipient], PLAINTEXT);
    const r = await sb.run(['envelope', 'open', '--key', key], { stdin: file });
    expectOk(r);
    expect(r.out).toBe(PLAINTEXT);
    // A round trip through the vault alone, with -i/-o files.
    const input = sb.path('plain.txt');
    const sealed = sb.path('plain.txt.age');
    const opened = sb.path('plain.out');
    writeFileSync(input, PLAINTEXT);
    expectOk(await sb.run(['envelope', 'seal', '--age', '-r', `${key}.pub`, '-i', input, '-o', sealed]));
    expectOk(await sb.run(['envelope', 'open', '--key', `${key}.age`, '-i', sealed, '-o', opened]));
    expect(readFileSync(opened, 'utf8')).toBe(PLAINTEXT);
  });

  it('one error with its class; nothing written with -o; --verify/--context refused', async () => {
    const mine = await typage.generateHybridIdentity();
    const idFile = writeSecret('mine.txt', `${mine}\n`);
    const other = await typageEncrypt([await typage.identityToRecipient(await typage.generateHybridIdentity())], PLAINTEXT);
    const out = sb.path('never.txt');
    const r = await sb.run(['envelope', 'open', '--key', idFile, '-o', out], { stdin: other });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('vault: error: age file cannot be decrypted: no identity matched any of the recipients\n');
    expect(existsSync(out)).toBe(false);
    const mineFile = await typageEncrypt([await typage.identityToRecipient(mine)], PLAINTEXT);
    const truncated = await sb.run(['envelope', 'open', '--key', idFile], { stdin: mineFile.subarray(0, mineFile.length - 1) });
    expect(truncated.stderr).toBe('vault: error: age file cannot be decrypted: damaged or truncated payload\n');
    expect(truncated.stdout.length).toBe(0);
    const ctx = await sb.run(['envelope', 'open', '--key', idFile, '--context', 'x'], { stdin: mineFile });
    expect(ctx.code).toBe(1);
    expect(ctx.stderr.startsWith('vault: error: invalid usage: --verify and --context do not apply to an age file\n')).toBe(true);
  });

  it('refuses an identity file readable by others, and an age identity for a vault envelope', async () => {
    const identity = await typage.generateX25519Identity();
    const loose = writeSecret('loose.txt', `${identity}\n`);
    chmodSync(loose, 0o644);
    const file = await typageEncrypt([await typage.identityToRecipient(identity)], PLAINTEXT);
    const r = await sb.run(['envelope', 'open', '--key', loose], { stdin: file });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('vault: error: file permissions are too open');
    const key = sb.path('erin.key');
    expectOk(await sb.run(['envelope', 'keygen', '-o', key]));
    const env = await sb.run(['envelope', 'seal', '--to', `${key}.pub`], { stdin: PLAINTEXT });
    expectOk(env);
    const strict = writeSecret('strict.txt', `${identity}\n`);
    const wrong = await sb.run(['envelope', 'open', '--key', strict], { stdin: env.stdout });
    expect(wrong.stderr).toBe('vault: error: key is malformed or of the wrong type: an age identity file opens age files only\n');
  });
});

/**
 * How the daemon commands read secrets (cli/connect/secret-input.ts): the no-echo prompt
 * on a terminal (raw mode on while reading and off afterwards, nothing but the prompt and
 * a newline written, backspace and Ctrl-U editing, Ctrl-C aborting), stdin when it is not
 * a terminal, and files with the same permission rule as key files. The "terminal" is a
 * PassThrough stream with a setRawMode that records its calls.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import type { CommandContext } from '../../../cli/command.js';
import { CliError } from '../../../cli/errors.js';
import { firstLine, promptNoEcho, readSecretInput, withoutNewline } from '../../../cli/connect/secret-input.js';

const dir = mkdtempSync(join(tmpdir(), 'vault-secret-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Fake {
  ctx: CommandContext<unknown>;
  stdin: PassThrough & { isTTY?: boolean; setRawMode?: (m: boolean) => void };
  stderrText(): string;
  raw: boolean[];
}

function fake(tty: boolean): Fake {
  const stdin = new PassThrough() as Fake['stdin'];
  const raw: boolean[] = [];
  if (tty) {
    stdin.isTTY = true;
    stdin.setRawMode = (m: boolean) => void raw.push(m);
  }
  const stderr = new PassThrough();
  const chunks: Buffer[] = [];
  stderr.on('data', (b: Buffer) => chunks.push(b));
  const stdout = new PassThrough();
  const ctx = {
    values: {},
    positionals: [],
    commandPath: 'vault test',
    env: { cryptoProvider: undefined, debug: false, vars: {} },
    streams: { stdin, stdout, stderr },
    provider: () => Promise.reject(new Error('unused')),
    out: () => Promise.resolve(),
    info: () => undefined,
    warn: () => undefined,
  } satisfies CommandContext<unknown>;
  return { ctx, stdin, raw, stderrText: () => Buffer.concat(chunks).toString('utf8') };
}

describe('promptNoEcho', () => {
  it('reads one line in raw mode, writes only the prompt and a newline, and restores the mode', async () => {
    const f = fake(true);
    const p = promptNoEcho(f.ctx, 'API key: ');
    f.stdin.write('ovk_sec');
    f.stdin.write('ret\r');
    expect(await p).toBe('ovk_secret');
    expect(f.raw).toEqual([true, false]);
    await new Promise((r) => setImmediate(r));
    expect(f.stderrText()).toBe('API key: \n');
  });

  it('handles backspace and Ctrl-U, and stops at the first line end', async () => {
    const f = fake(true);
    const p = promptNoEcho(f.ctx, '> ');
    f.stdin.write('wrong\u0015abcx\u007fd\nrest-is-ignored');
    expect(await p).toBe('abcd');
  });

  it('Ctrl-C aborts with a usage error and still restores the terminal', async () => {
    const f = fake(true);
    const p = promptNoEcho(f.ctx, '> ');
    f.stdin.write('half\u0003');
    await expect(p).rejects.toSatisfy((e: unknown) => e instanceof CliError && e.code === 'OV_USAGE' && e.reason === 'interrupted');
    expect(f.raw).toEqual([true, false]);
  });

  it('Ctrl-D on an empty line aborts; end of input ends the line', async () => {
    const f = fake(true);
    const p = promptNoEcho(f.ctx, '> ');
    f.stdin.write('\u0004');
    await expect(p).rejects.toBeInstanceOf(CliError);
    const g = fake(true);
    const q = promptNoEcho(g.ctx, '> ');
    g.stdin.end('no-newline');
    expect(await q).toBe('no-newline');
  });
});

describe('readSecretInput', () => {
  it('prompts on a terminal', async () => {
    const f = fake(true);
    const p = readSecretInput(f.ctx, { file: undefined, prompt: 'share: ', what: 'unseal share' });
    f.stdin.write('ovs1-abc\r');
    expect(await p).toEqual({ text: 'ovs1-abc', from: 'prompt' });
  });

  it('reads all of stdin when it is not a terminal, without touching raw mode', async () => {
    const f = fake(false);
    f.stdin.end('line one\nline two\n');
    expect(await readSecretInput(f.ctx, { file: undefined, prompt: 'x: ', what: 'share' })).toEqual({ text: 'line one\nline two\n', from: 'stdin' });
    expect(f.raw).toEqual([]);
    expect(f.stderrText()).toBe('');
  });

  it('reads a 0600 file, refuses a group-readable one, and refuses empty input', async () => {
    const good = join(dir, 'good.key');
    writeFileSync(good, 'ovk_key\n', { mode: 0o600 });
    expect(await readSecretInput(fake(false).ctx, { file: good, prompt: '', what: 'API key' })).toEqual({ text: 'ovk_key\n', from: 'file' });

    const loose = join(dir, 'loose.key');
    writeFileSync(loose, 'ovk_key\n');
    chmodSync(loose, 0o640);
    await expect(readSecretInput(fake(false).ctx, { file: loose, prompt: '', what: 'API key' })).rejects.toSatisfy(
      (e: unknown) => e instanceof CliError && e.code === 'OV_UNSAFE_PERMISSIONS',
    );

    const f = fake(false);
    f.stdin.end('  \n');
    await expect(readSecretInput(f.ctx, { file: '-', prompt: '', what: 'API key' })).rejects.toSatisfy(
      (e: unknown) => e instanceof CliError && e.code === 'OV_USAGE' && e.reason === 'no API key given',
    );
  });

  it('caps stdin', async () => {
    const f = fake(false);
    f.stdin.end(Buffer.alloc(64 * 1024 + 1, 0x61));
    await expect(readSecretInput(f.ctx, { file: undefined, prompt: '', what: 'x' })).rejects.toSatisfy(
      (e: unknown) => e instanceof CliError && e.code === 'OV_INPUT_TOO_LARGE',
    );
  });
});

describe('line helpers', () => {
  it('firstLine trims a key file; withoutNewline keeps a passphrase intact but for one line end', () => {
    expect(firstLine('  ovk_abc \r\nsecond\n')).toBe('ovk_abc');
    expect(withoutNewline(' pass phrase  \n')).toBe(' pass phrase  ');
    expect(withoutNewline('pass\r\n')).toBe('pass');
    expect(withoutNewline('pass\n\n')).toBe('pass\n');
  });
});

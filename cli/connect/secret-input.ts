/**
 * Reading a secret the user types or pipes in (API keys, unseal shares, passphrases):
 * from a file given by a flag (permission-checked like a key file), else from a prompt on
 * the terminal with echo off, else from stdin. Never from argv, which `ps` and shell
 * history show to everyone.
 * @module
 */
import type { CommandContext } from '../command.js';
import { CliError } from '../errors.js';
import { isStdio, readSecretFile } from '../io.js';

/** Cap for typed or piped secrets: shares, keys and passphrases are far shorter. */
export const MAX_SECRET_INPUT_BYTES = 64 * 1024;

type Stdin = CommandContext<unknown>['streams']['stdin'] & {
  setRawMode?: (mode: boolean) => unknown;
};

/**
 * Reads one line from a terminal without echoing it. Backspace edits, Enter ends, Ctrl-C
 * and Ctrl-D (on an empty line) abort. The prompt goes to stderr so stdout stays clean.
 */
export function promptNoEcho(ctx: CommandContext<unknown>, prompt: string): Promise<string> {
  const stdin = ctx.streams.stdin as Stdin;
  return new Promise((resolvePromise, reject) => {
    ctx.streams.stderr.write(prompt);
    let buf = '';
    const raw = typeof stdin.setRawMode === 'function';
    if (raw) stdin.setRawMode?.(true);
    stdin.setEncoding('utf8');
    const finish = (err: CliError | undefined): void => {
      stdin.removeListener('data', onData);
      stdin.removeListener('end', onEnd);
      if (raw) stdin.setRawMode?.(false);
      stdin.pause();
      ctx.streams.stderr.write('\n');
      if (err === undefined) resolvePromise(buf);
      else {
        buf = '';
        reject(err);
      }
    };
    const onEnd = (): void => finish(undefined);
    const onData = (chunk: string | Buffer): void => {
      for (const ch of typeof chunk === 'string' ? chunk : chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(undefined);
        if (ch === '\u0003') return finish(new CliError('OV_USAGE', { reason: 'interrupted' }));
        if (ch === '\u0004') {
          if (buf === '') return finish(new CliError('OV_USAGE', { reason: 'no input' }));
          return finish(undefined);
        }
        if (ch === '\u007f' || ch === '\b') {
          buf = Array.from(buf).slice(0, -1).join('');
          continue;
        }
        if (ch === '\u0015') {
          buf = ''; // Ctrl-U: kill the line
          continue;
        }
        buf += ch;
        if (buf.length > MAX_SECRET_INPUT_BYTES) return finish(new CliError('OV_INPUT_TOO_LARGE', { reason: `the limit is ${MAX_SECRET_INPUT_BYTES} bytes` }));
      }
    };
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.resume();
  });
}

async function readAllStdin(ctx: CommandContext<unknown>): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of ctx.streams.stdin as AsyncIterable<Uint8Array | string>) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk);
    total += b.length;
    if (total > MAX_SECRET_INPUT_BYTES) throw new CliError('OV_INPUT_TOO_LARGE', { reason: `the limit is ${MAX_SECRET_INPUT_BYTES} bytes` });
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export interface SecretSource {
  /** The text read (for a file or stdin, the whole input; for a prompt, one line). */
  readonly text: string;
  readonly from: 'file' | 'prompt' | 'stdin';
}

/**
 * `file` (a path, or `-` for stdin) wins; else a no-echo prompt when stdin is a terminal;
 * else all of stdin. Throws OV_USAGE when the input is empty.
 */
export async function readSecretInput(
  ctx: CommandContext<unknown>,
  opts: { readonly file: string | undefined; readonly prompt: string; readonly what: string },
): Promise<SecretSource> {
  let src: SecretSource;
  if (opts.file !== undefined && !isStdio(opts.file)) {
    const data = await readSecretFile(ctx, opts.file);
    src = { text: Buffer.from(data).toString('utf8'), from: 'file' };
    data.fill(0);
  } else if (opts.file === undefined && ctx.streams.stdin.isTTY === true) {
    src = { text: await promptNoEcho(ctx, opts.prompt), from: 'prompt' };
  } else {
    src = { text: await readAllStdin(ctx), from: 'stdin' };
  }
  if (src.text.trim() === '') throw new CliError('OV_USAGE', { reason: `no ${opts.what} given`, hints: [`run '${ctx.commandPath} --help' for the ways to pass it`] });
  return src;
}

/** The first line without its line ending (a key or token file ends with a newline). */
export function firstLine(text: string): string {
  const nl = text.search(/\r?\n/);
  return (nl < 0 ? text : text.slice(0, nl)).trim();
}

/** The text without one trailing line ending (a passphrase keeps its inner and edge spaces). */
export function withoutNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/**
 * File and stream I/O for the CLI, with the guarantees a key tool owes its users:
 *
 * - every read is size-capped while reading (the size is a cost the input chooses);
 * - output files are written to a temporary file in the same directory, flushed, then
 *   renamed (or hard-linked, for no-clobber files) into place, so a failed command leaves
 *   no partial output behind;
 * - secret key files are created 0600 and never overwrite an existing file unless the
 *   user passes `--force` (an O_EXCL-like commit via link(2), which fails on EEXIST);
 * - a command that changes the daemon and then writes the result checks its output path
 *   first ({@link checkOutputFile}), so a refusal never comes after the change (a key
 *   created or rotated whose only copy could not be written);
 * - a secret key file that group or others may access is refused, like ssh and age do,
 *   with a `chmod 600 FILE` hint.
 *
 * Secret values are only ever read from files or stdin, never from argv.
 * @module
 */
import { constants as fsc } from 'node:fs';
import { access, copyFile, link, lstat, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { CommandContext } from './command.js';
import { CliError } from './errors.js';

/** Cap for plaintexts, messages and envelopes: envelopes are single-shot, held in memory. */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;
/** Cap for envelope input: an armored envelope of a maximal (64 MiB) plaintext is ~87 MiB. */
export const MAX_ENVELOPE_INPUT_BYTES = 96 * 1024 * 1024;
/** Cap for key and signature files: the largest (Falcon-1024, armored) is under 8 KiB. */
export const MAX_KEY_FILE_BYTES = 64 * 1024;

type TooLargeCode = 'OV_INPUT_TOO_LARGE' | 'OV_ENVELOPE_TOO_LARGE';

/** `-` or no path means stdin / stdout. */
export function isStdio(path: string | undefined): path is undefined | '-' {
  return path === undefined || path === '-';
}

/** Shell-safe rendering of a path for messages and hints. */
export function quotePath(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`;
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EEXIST: 'file exists',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EPIPE: 'broken pipe',
  ELOOP: 'too many symbolic links',
};

function errnoCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Maps a node fs error to OV_IO with a short reason naming the file (never file contents). */
export function ioError(e: unknown, verb: 'read' | 'write', path: string): CliError {
  if (e instanceof CliError) return e;
  const code = errnoCode(e);
  const why = code === undefined ? 'failed' : (ERRNO_TEXT[code] ?? code.toLowerCase());
  return new CliError('OV_IO', { reason: `cannot ${verb} ${quotePath(path)}: ${why}` });
}

function tooLarge(code: TooLargeCode, max: number): CliError {
  return new CliError(code, { reason: `the limit is ${max} bytes` });
}

async function readHandle(fh: FileHandle, max: number, code: TooLargeCode): Promise<Uint8Array> {
  // Read in chunks up to max + 1 bytes rather than trusting fstat: the file may be a pipe
  // (process substitution) or grow while we read.
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const buf = new Uint8Array(Math.min(1 << 20, max + 1 - total));
    const { bytesRead } = await fh.read(buf, 0, buf.length, null);
    if (bytesRead === 0) break;
    total += bytesRead;
    if (total > max) throw tooLarge(code, max);
    chunks.push(buf.subarray(0, bytesRead));
  }
  return Buffer.concat(chunks, total);
}

async function readStdin(ctx: CommandContext<unknown>, max: number, code: TooLargeCode): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for await (const chunk of ctx.streams.stdin as AsyncIterable<Uint8Array | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      total += bytes.length;
      if (total > max) throw tooLarge(code, max);
      chunks.push(bytes);
    }
  } catch (e) {
    throw ioError(e, 'read', 'stdin');
  }
  return Buffer.concat(chunks, total);
}

/** Reads a whole file, capped. */
export async function readFileCapped(path: string, max: number, code: TooLargeCode = 'OV_INPUT_TOO_LARGE'): Promise<Uint8Array> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    return await readHandle(fh, max, code);
  } catch (e) {
    throw ioError(e, 'read', path);
  } finally {
    await fh?.close();
  }
}

/** `-i FILE` or stdin. */
export async function readInput(
  ctx: CommandContext<unknown>,
  path: string | undefined,
  opts: { max?: number; code?: TooLargeCode } = {},
): Promise<Uint8Array> {
  const max = opts.max ?? MAX_INPUT_BYTES;
  const code = opts.code ?? 'OV_INPUT_TOO_LARGE';
  return isStdio(path) ? readStdin(ctx, max, code) : readFileCapped(path, max, code);
}

/**
 * Reads a secret key file, refusing one that group or others may access: whoever else can
 * read it holds the key. The mode is taken from the open descriptor, so a rename between
 * the check and the read cannot swap the file.
 */
export async function readSecretFile(
  ctx: CommandContext<unknown>,
  path: string | undefined,
  opts: {
    /**
     * Called with the contents of a file whose mode is too open: may return a better error
     * (say, the file is a public key, where `chmod 600` would be the wrong advice).
     */
    explainUnsafe?: (data: Uint8Array) => CliError | undefined;
  } = {},
): Promise<Uint8Array> {
  if (isStdio(path)) return readStdin(ctx, MAX_KEY_FILE_BYTES, 'OV_INPUT_TOO_LARGE');
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    const st = await fh.stat();
    const unsafe = process.platform !== 'win32' && st.isFile() && (st.mode & 0o077) !== 0;
    const data = await readHandle(fh, MAX_KEY_FILE_BYTES, 'OV_INPUT_TOO_LARGE');
    if (unsafe) {
      const better = opts.explainUnsafe?.(data);
      data.fill(0);
      throw (
        better ??
        new CliError('OV_UNSAFE_PERMISSIONS', {
          reason: `${quotePath(path)} is accessible by group or others`,
          hints: [`chmod 600 ${quotePath(path)}`],
        })
      );
    }
    return data;
  } catch (e) {
    throw ioError(e, 'read', path);
  } finally {
    await fh?.close();
  }
}

/** A file written to a temporary name, not yet visible under its final path. */
export interface PreparedFile {
  readonly path: string;
  /** Moves it into place; with `exclusive`, fails with OV_IO if `path` exists. */
  commit(): Promise<void>;
  /** Removes the temporary file (no-op after commit). */
  discard(): Promise<void>;
}

let tmpCounter = 0;

/**
 * Writes `data` to a fresh temporary file next to `path` (same directory, so the final
 * rename or link cannot cross file systems) and fsyncs it.
 */
export async function prepareFile(
  path: string,
  data: Uint8Array | string,
  opts: { secret?: boolean; exclusive?: boolean } = {},
): Promise<PreparedFile> {
  const mode = opts.secret === true ? 0o600 : 0o666; // the umask applies on top
  let tmp = '';
  let fh: FileHandle | undefined;
  try {
    for (let attempt = 0; fh === undefined; attempt++) {
      tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.${tmpCounter++}.tmp`);
      try {
        // 'wx' = O_CREAT|O_EXCL: never follows a planted symlink, never reuses a file.
        fh = await open(tmp, 'wx', mode);
      } catch (e) {
        if (errnoCode(e) !== 'EEXIST' || attempt > 8) throw e;
      }
    }
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh?.close().catch(() => undefined);
    if (fh !== undefined) await unlink(tmp).catch(() => undefined);
    throw ioError(e, 'write', path);
  }
  await fh.close();

  let done = false;
  const discard = async (): Promise<void> => {
    if (done) return;
    done = true;
    await unlink(tmp).catch(() => undefined);
  };
  const commit = async (): Promise<void> => {
    if (done) throw new Error('prepared file already committed or discarded');
    try {
      if (opts.exclusive === true) {
        try {
          await link(tmp, path); // atomic, and EEXIST if the target exists
        } catch (e) {
          const code = errnoCode(e);
          if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
          // File systems without hard links: still exclusive, not atomic.
          await copyFile(tmp, path, fsc.COPYFILE_EXCL);
        }
        await discard();
      } else {
        await rename(tmp, path);
      }
      done = true;
    } catch (e) {
      await discard();
      if (errnoCode(e) === 'EEXIST') {
        throw new CliError('OV_IO', {
          reason: `${quotePath(path)} already exists`,
          hints: ['remove it first, or pass --force to overwrite it'],
        });
      }
      throw ioError(e, 'write', path);
    }
  };
  return { path, commit, discard };
}

/**
 * Writes several files all-or-nothing as far as the file system allows: all are prepared
 * first; if one commit fails, files this call created exclusively are removed again.
 */
export async function writeFiles(
  files: readonly { path: string; data: Uint8Array | string; secret?: boolean; exclusive?: boolean }[],
): Promise<void> {
  const prepared: PreparedFile[] = [];
  try {
    for (const f of files) {
      prepared.push(await prepareFile(f.path, f.data, { secret: f.secret ?? false, exclusive: f.exclusive ?? false }));
    }
  } catch (e) {
    await Promise.all(prepared.map((p) => p.discard()));
    throw e;
  }
  const created: string[] = [];
  for (let i = 0; i < prepared.length; i++) {
    const p = prepared[i]!;
    try {
      await p.commit();
      if (files[i]!.exclusive === true) created.push(p.path);
    } catch (e) {
      await Promise.all(prepared.slice(i + 1).map((q) => q.discard()));
      await Promise.all(created.map((c) => unlink(c).catch(() => undefined)));
      throw e;
    }
  }
}

/** `-o FILE` (atomic) or stdout. */
export async function writeOutput(
  ctx: CommandContext<unknown>,
  path: string | undefined,
  data: Uint8Array | string,
  opts: { secret?: boolean; exclusive?: boolean } = {},
): Promise<void> {
  if (isStdio(path)) {
    await ctx.out(data);
    return;
  }
  await writeFiles([{ path, data, ...opts }]);
}

/** True when bytes written to this output would land on a terminal. */
export function outputIsTerminal(ctx: CommandContext<unknown>, path: string | undefined): boolean {
  return isStdio(path) && ctx.streams.stdout.isTTY === true;
}

/**
 * Checks, before a command changes anything, that `path` can be written: it must not exist
 * unless `force` (and then must not be a directory), and its directory must exist and be
 * writable. The final write still commits atomically and exclusively; this only moves the
 * likely refusals in front of the change.
 */
export async function checkOutputFile(path: string, opts: { readonly force: boolean }): Promise<void> {
  try {
    const st = await lstat(path);
    if (!opts.force) {
      throw new CliError('OV_IO', {
        reason: `${quotePath(path)} already exists`,
        hints: ['nothing was changed', 'remove it first, or pass --force to overwrite it'],
      });
    }
    if (st.isDirectory()) throw new CliError('OV_IO', { reason: `cannot write ${quotePath(path)}: is a directory`, hints: ['nothing was changed'] });
  } catch (e) {
    if (e instanceof CliError) throw e;
    if (errnoCode(e) !== 'ENOENT') throw withNothingChanged(ioError(e, 'write', path));
  }
  await checkOutputDir(dirname(path), path);
}

/** Checks that `dir` exists, is a directory and is writable (for `--out-dir DIR`). */
export async function checkOutputDir(dir: string, forPath: string = dir): Promise<void> {
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
    await access(dir, fsc.W_OK | fsc.X_OK);
  } catch (e) {
    const code = errnoCode(e);
    const why = code === 'ENOENT' ? `directory ${quotePath(dir)} does not exist` : code === 'ENOTDIR' ? `${quotePath(dir)} is not a directory` : code === 'EACCES' || code === 'EPERM' || code === 'EROFS' ? `directory ${quotePath(dir)} is not writable` : `${quotePath(dir)}: ${code === undefined ? 'failed' : (ERRNO_TEXT[code] ?? code.toLowerCase())}`;
    throw new CliError('OV_IO', { reason: `cannot write ${quotePath(forPath)}: ${why}`, hints: ['nothing was changed'] });
  }
}

function withNothingChanged(e: CliError): CliError {
  return new CliError(e.code, { ...(e.reason === undefined ? {} : { reason: e.reason }), hints: ['nothing was changed', ...e.hints] });
}

/**
 * Writing an archive file durably: a temporary file in the same directory (mode 0600,
 * exclusive), fsynced, renamed over the final name, and the directory fsynced, so that
 * once this returns the archive survives a crash; only then may the store be pruned.
 * An archive already there with the same bytes counts as written (a retention run that
 * crashed between the write and the prune redoes both).
 * @module
 */
import { closeSync, constants, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from '../crypto/bytes.js';
import { VaultError } from '../errors.js';
import { toHex } from '../util/bytes.js';
import { ioError, syncDirOf } from '../secret-file.js';

/** Creates `dir` (0700) if it is missing. */
export function ensureArchiveDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (!statSync(dir).isDirectory()) throw new VaultError('OV_IO', { reason: 'archive_dir is not a directory' });
  } catch (e) {
    throw e instanceof VaultError ? e : ioError('mkdir', e);
  }
}

function sameBytes(path: string, bytes: Uint8Array): boolean | undefined {
  try {
    return Buffer.from(readFileSync(path)).equals(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw ioError('read', e);
  }
}

/** Writes `bytes` to `path` durably; OV_IO when another file already has that name. */
export function writeArchiveFile(path: string, bytes: Uint8Array): void {
  const same = sameBytes(path, bytes);
  if (same === true) return;
  if (same === false) throw new VaultError('OV_IO', { reason: 'a different file has the archive name', file: basename(path) });
  const tmp = join(dirname(path), `.${basename(path)}.${toHex(randomBytes(6))}.tmp`);
  let fd: number;
  try {
    fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
  } catch (e) {
    throw ioError('create', e);
  }
  try {
    try {
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // Already renamed or never created: nothing to clean.
    }
    throw ioError('write', e);
  }
  syncDirOf(path);
}

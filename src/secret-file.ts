/**
 * Durable creation of small secret files (the unseal key file, the admin token file):
 * exclusive create with mode 0600, no symlink followed, data and directory entry synced,
 * so a crash right after setup cannot lose the only copy and an existing file is never
 * replaced. Errors are OV_IO naming the step and the system error code, never the data.
 * @module
 */
import { closeSync, constants, fchmodSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { VaultError } from './errors.js';

export function ioError(op: string, e: unknown): VaultError {
  const code = (e as { code?: unknown }).code;
  return new VaultError('OV_IO', { op, ...(typeof code === 'string' ? { cause: code } : {}) }, { cause: e });
}

/** Creates `path` holding `data`, mode 0600; OV_IO when it exists or cannot be written. */
export function createSecretFile(path: string, data: Uint8Array): void {
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
  } catch (e) {
    throw ioError('create', e);
  }
  try {
    fchmodSync(fd, 0o600); // the umask may have narrowed it further, never widened; be exact
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } catch (e) {
    throw ioError('write', e);
  } finally {
    closeSync(fd);
  }
  syncDirOf(path);
}

/**
 * Makes a just-created or renamed file's directory entry durable (fsync of its directory).
 * Some filesystems refuse fsync on a directory; the file itself is already synced then.
 */
export function syncDirOf(path: string): void {
  try {
    const dfd = openSync(dirname(path), constants.O_RDONLY);
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Refused by the filesystem: nothing more to do.
  }
}

/**
 * The unseal key file of the `keyfile` seal mode: exactly 32 random bytes, created with
 * mode 0600 and never overwritten. Reading refuses a file that group or others can access
 * (as ssh does for private keys) and any size but 32 bytes, checked on the open file
 * descriptor so the file cannot be swapped between the check and the read.
 * @module
 */
import { closeSync, constants, fstatSync, openSync, readSync, rmSync } from 'node:fs';
import { VaultError } from '../errors.js';
import { createSecretFile, ioError } from '../secret-file.js';
import { wipe } from '../crypto/bytes.js';
import { ROOT_KEY_BYTES } from './rootkey.js';

export const KEY_FILE_BYTES = ROOT_KEY_BYTES;


/**
 * Creates `path` holding `key` (32 bytes), mode 0600, and syncs it and its directory.
 * Fails with OV_IO if the file already exists: an existing key file is never replaced.
 */
export function writeUnsealKeyFile(path: string, key: Uint8Array): void {
  if (key.length !== KEY_FILE_BYTES) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'key', expected: KEY_FILE_BYTES });
  createSecretFile(path, key);
}

/**
 * Removes a key file this process has just created, when the seal configuration it
 * belongs to could not be written (so a retry can create it again). Never throws.
 */
export function removeUnsealKeyFile(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // Best effort: the caller is already reporting the original failure.
  }
}

/**
 * Reads an unseal key file. OV_IO when it cannot be opened, OV_UNSAFE_PERMISSIONS when
 * group or others have any access or it is not a regular file, OV_KEY_INVALID when it is
 * not exactly 32 bytes. The caller owns (and should wipe) the result.
 */
export function readUnsealKeyFile(path: string): Uint8Array {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (e) {
    throw ioError('open', e);
  }
  const out = new Uint8Array(KEY_FILE_BYTES + 1);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new VaultError('OV_UNSAFE_PERMISSIONS', { reason: 'not a regular file' });
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
      throw new VaultError('OV_UNSAFE_PERMISSIONS', { mode: (st.mode & 0o777).toString(8) });
    }
    if (st.size !== KEY_FILE_BYTES) throw new VaultError('OV_KEY_INVALID', { field: 'keyFile', expected: KEY_FILE_BYTES });
    // Read one byte more than expected, so a file that grew after fstat is noticed.
    let got = 0;
    while (got < out.length) {
      const n = readSync(fd, out, got, out.length - got, got);
      if (n === 0) break;
      got += n;
    }
    if (got !== KEY_FILE_BYTES) throw new VaultError('OV_KEY_INVALID', { field: 'keyFile', expected: KEY_FILE_BYTES });
    return out.slice(0, KEY_FILE_BYTES);
  } catch (e) {
    if (e instanceof VaultError) throw e;
    throw ioError('read', e);
  } finally {
    wipe(out);
    closeSync(fd);
  }
}

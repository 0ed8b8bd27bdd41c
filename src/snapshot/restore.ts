/**
 * Offline restore of a snapshot into a data dir, with the daemon stopped: it holds the
 * data dir lock throughout (a running daemon, sealed or not, holds the file open and
 * would go on serving a database that no longer has a name), and checks everything
 * before it touches anything: the framing, the signature against a fingerprint kept out
 * of band (or the current vault's signing keys), the data's hash, and that the snapshot
 * is of this vault (unless `force`). Then it writes the data beside vault.db, opens it
 * (migrating an older schema), marks every validator key as needing its signing
 * watermarks confirmed (the snapshot's watermarks may be behind what was signed since),
 * moves the current database aside (`vault.db.<UTC time>.bak`, never deleted) and renames
 * the new one into place.
 *
 * The root key is not in a snapshot: the first unseal opens the restored keyring with the
 * root key of the seal configuration inside the snapshot, and refuses to serve when it
 * cannot.
 * @module
 */
import { fsyncSync, openSync, closeSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { CryptoProvider } from '../crypto/types.js';
import { acquireDataDirLock } from '../datadir-lock.js';
import { VaultError } from '../errors.js';
import { keyringPublicKeys } from '../keyring/index.js';
import { createSecretFile } from '../secret-file.js';
import { openStorage } from '../storage/index.js';
import { WATERMARKS_UNCONFIRMED_META } from '../storage/validators-types.js';
import { parseSnapshot, verifySnapshot, type SnapshotManifest, type SnapshotTrust } from './format.js';
import { vaultIdOf } from './service.js';

export const RESTORE_DB_FILE = 'vault.db';
export { WATERMARKS_UNCONFIRMED_META };

export interface RestoreOptions {
  readonly dataDir: string;
  readonly bytes: Uint8Array;
  readonly provider: CryptoProvider;
  /** Hex SHA-256 fingerprint of the signing key; default: the current vault's keys. */
  readonly expectKey?: string;
  /** Restore a snapshot of another vault. */
  readonly force?: boolean;
  /** ms since the epoch (backup names, the watermark mark). */
  readonly now: number;
}

export interface RestoreResult {
  readonly manifest: SnapshotManifest;
  readonly database: string;
  /** Files moved aside: `file` is now at `backup`. */
  readonly backups: readonly { readonly file: string; readonly backup: string }[];
  /** Validator keys (not destroyed) now marked as needing watermark confirmation. */
  readonly validatorKeysMarked: number;
  /** The snapshot was of another vault (restored under `force`). */
  readonly foreign: boolean;
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new VaultError('OV_IO', { op: 'stat' }, { cause: e });
  }
}

function removeQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // absent
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** `20261206T120501Z`: sorts by time, no characters a shell or a file system minds. */
function stamp(now: number): string {
  return new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z').replaceAll('-', '').replaceAll(':', '');
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The current vault's id and signing keys, read without the root key; undefined when there is none. */
function currentVault(dbPath: string): { vaultId: string | undefined; trust: SnapshotTrust } | undefined {
  if (!exists(dbPath)) return undefined;
  const s = openStorage(dbPath, { readonly: true });
  try {
    const id = vaultIdOf(s);
    return { vaultId: id === undefined ? undefined : hex(id), trust: { keys: keyringPublicKeys(s) } };
  } finally {
    s.close();
  }
}

/**
 * Checks and installs a snapshot. Codes: `OV_DATADIR_LOCKED` (a daemon holds the data
 * dir), `OV_SNAPSHOT_INVALID`, `OV_SNAPSHOT_UNTRUSTED` (also when there is neither
 * `expectKey` nor a current vault to check against), `OV_SNAPSHOT_FOREIGN`,
 * `OV_INVALID_ARGUMENT` (a malformed fingerprint). In every refusal the data dir is unchanged.
 */
export function restoreSnapshot(opts: RestoreOptions): RestoreResult {
  if (opts.expectKey !== undefined && !/^[0-9a-fA-F]{64}$/.test(opts.expectKey)) {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'expect_key', reason: 'a fingerprint is 64 hex digits' });
  }
  const lock = acquireDataDirLock(opts.dataDir);
  const dbPath = join(opts.dataDir, RESTORE_DB_FILE);
  const tmp = join(opts.dataDir, `${RESTORE_DB_FILE}.restore-${stamp(opts.now)}.tmp`);
  let installed = false;
  try {
    const snap = parseSnapshot(opts.bytes);
    const current = currentVault(dbPath);
    const trust: SnapshotTrust | undefined = opts.expectKey !== undefined ? { fingerprint: opts.expectKey } : current?.trust;
    if (trust === undefined) throw new VaultError('OV_SNAPSHOT_UNTRUSTED', { reason: 'no expected key and no current vault' });
    verifySnapshot(opts.provider, snap, trust);
    const foreign = current?.vaultId !== undefined && current.vaultId !== snap.manifest.vaultId;
    if (foreign && opts.force !== true) throw new VaultError('OV_SNAPSHOT_FOREIGN');

    removeQuiet(tmp);
    createSecretFile(tmp, snap.data);
    let marked = 0;
    const s = openStorage(tmp);
    try {
      const id = vaultIdOf(s);
      // The signed manifest names the vault; the data must be of that same vault.
      if (id === undefined || hex(id) !== snap.manifest.vaultId) throw new VaultError('OV_SNAPSHOT_INVALID', { reason: 'vault id' });
      s.transaction(() => {
        marked = s.validators.listKeys().filter((k) => k.state !== 'destroyed').length;
        const mark = { restored_at: new Date(opts.now).toISOString(), audit_seq: snap.manifest.auditSeq };
        s.meta.put(WATERMARKS_UNCONFIRMED_META, new TextEncoder().encode(JSON.stringify(mark)));
      });
    } finally {
      s.close();
    }
    removeQuiet(`${tmp}-wal`);
    removeQuiet(`${tmp}-shm`);

    // Move the current database aside under SQLite's naming, so the backup opens with its
    // last transactions.
    const backups: { file: string; backup: string }[] = [];
    try {
      for (let n = 0; ; n++) {
        const suffix = n === 0 ? `.${stamp(opts.now)}.bak` : `.${stamp(opts.now)}-${n}.bak`;
        const plan = ['', '-wal', '-shm'].map((ext) => ({ file: `${dbPath}${ext}`, backup: `${dbPath}${suffix}${ext}` }));
        if (plan.some((p) => exists(p.backup))) continue;
        for (const p of plan) {
          if (!exists(p.file)) continue;
          renameSync(p.file, p.backup);
          backups.push(p);
        }
        break;
      }
      renameSync(tmp, dbPath);
      installed = true;
    } catch (e) {
      // Put the previous database back rather than leave the data dir without one.
      for (const p of backups.reverse()) {
        try {
          renameSync(p.backup, p.file);
        } catch {
          // the backup keeps its name: the error below tells the operator where to look
        }
      }
      throw new VaultError('OV_IO', { op: 'install snapshot' }, { cause: e });
    }
    syncDir(opts.dataDir);
    return { manifest: snap.manifest, database: dbPath, backups, validatorKeysMarked: marked, foreign };
  } finally {
    if (!installed) {
      removeQuiet(tmp);
      removeQuiet(`${tmp}-wal`);
      removeQuiet(`${tmp}-shm`);
    }
    lock.release();
  }
}

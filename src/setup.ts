/**
 * `vault setup --gen-keys`: creates a vault in a data dir: the root key and its protection
 * at rest (Shamir shares, a passphrase, or an unseal key file), the keyring wrapped under
 * it, and the daemon admin API key (role admin, scope `*`, label "daemon admin") written
 * once to `admin.token` (0600, created with O_EXCL).
 *
 * It holds the data dir lock (src/datadir-lock.ts) while it works, so it refuses with
 * OV_DATADIR_LOCKED while a daemon serves the data dir, and no daemon can start on a
 * half-written vault. Everything is checked before anything is written: an initialised
 * vault, a leftover admin token file or unseal key file is refused with
 * OV_ALREADY_INITIALIZED unless `force`, which first moves them aside (renamed to
 * `<name>.<UTC time>.bak`, never deleted) and reports where. A failure part-way
 * undoes this run's writes (seal configuration, keyring, admin key, files), so a retry
 * starts clean. The shares are returned once and stored nowhere. The vault is left sealed
 * (the root key is wiped); the daemon unseals it.
 *
 * With `postgres`, the vault's rows go to that database instead of vault.db (the files stay
 * in the data dir). A database that already holds a vault is refused with OV_STORAGE_EXISTS
 * unless `force`, which drops the vault's tables and every node's audit schema (nothing to
 * move aside: a database is backed up by its own tools) and is itself refused with
 * OV_CLUSTER_MEMBERS_LIVE while a node of the cluster holds a live lease.
 * @module
 */
import { mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AuditLog } from './audit/index.js';
import type { Config, ConfigCheck } from './config.js';
import { generateApiKey } from './auth/apikeys.js';
import { SCOPE_ALL } from './auth/scope.js';
import { utf8, wipe } from './crypto/bytes.js';
import type { CryptoProvider } from './crypto/types.js';
import { VaultError } from './errors.js';
import { acquireDataDirLock } from './datadir-lock.js';
import { createSecretFile } from './secret-file.js';
import { KEYMANAGER_TOKEN_FILE, replaceKeymanagerToken } from './auth/keymanager-token.js';
import { Keyring, type KeyPolicy } from './keyring/index.js';
import { SEAL_META_NAME, SealManager, type InitOptions } from './seal/index.js';
import { openPostgresStorage, openStorage, type PostgresOptions } from './storage/index.js';
import { connectPg, dropVault, holdsVault, redactPgUrl } from './storage/postgres/admin.js';
import type { Storage } from './storage/types.js';

export const DB_FILE = 'vault.db';
export const ADMIN_TOKEN_FILE = 'admin.token';
export { KEYMANAGER_TOKEN_FILE };
export const ADMIN_KEY_LABEL = 'daemon admin';

export type SetupMode =
  | { readonly shamir: { readonly n?: number; readonly t?: number } }
  | { readonly passphrase: string }
  | { readonly keyFile: string };

export interface SetupOptions {
  readonly dataDir: string;
  readonly provider: CryptoProvider;
  readonly mode: SetupMode;
  /** Also create a Falcon-512 (round 3) signing key. */
  readonly falcon?: boolean;
  /** Move an existing vault (database, admin token file, unseal key file) aside first. */
  readonly force?: boolean;
  /** Where the admin API key goes; default `<dataDir>/admin.token`. */
  readonly adminTokenFile?: string;
  /** Create the vault in this PostgreSQL database instead of `<dataDir>/vault.db`. */
  readonly postgres?: PostgresOptions;
  /** Creation time, ms since the epoch. */
  readonly now: number;
}

export interface SetupResult {
  readonly dataDir: string;
  /** vault.db's path, or the PostgreSQL URL without its password. */
  readonly database: string;
  readonly backend: 'sqlite' | 'postgres';
  readonly mode: 'shamir' | 'passphrase' | 'keyfile';
  /** Shamir shares (share i is number i + 1): shown once, never stored. */
  readonly shares?: readonly string[];
  readonly threshold?: number;
  /** The unseal key file (keyfile mode). */
  readonly keyFile?: string;
  readonly adminKeyId: string;
  readonly adminTokenFile: string;
  /** The keymanager API's static token (`/eth/v1/*`), `<dataDir>/keymanager.token`. */
  readonly keymanagerTokenFile: string;
  /** Public description of the new keyring. */
  readonly keyring: readonly KeyPolicy[];
  /** With `force`: the files that were moved aside first, and where to. */
  readonly backups?: readonly SetupBackup[];
  /** With `force` on PostgreSQL: the audit schemas that were dropped (one per node). */
  readonly droppedSchemas?: readonly string[];
}

/** A file `force` moved aside: `file` is now at `backup`. */
export interface SetupBackup {
  readonly file: string;
  readonly backup: string;
}

/** `20261206T120501Z`: sorts by time, no characters a shell or a file system minds. */
function backupStamp(now: number): string {
  return new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z').replaceAll('-', '').replaceAll(':', '');
}

/**
 * Where `force` moves each file: `<path>.<stamp>.bak`, and the database's `-wal` and
 * `-shm` next to the moved database under SQLite's own naming (`vault.db.<stamp>.bak-wal`),
 * so the backup still opens with its last transactions. A name already taken (two runs in
 * one second) gets a counter.
 */
function backupPlan(dbPath: string | undefined, others: readonly string[], now: number): SetupBackup[] {
  const stamp = backupStamp(now);
  for (let n = 0; ; n++) {
    const suffix = n === 0 ? `.${stamp}.bak` : `.${stamp}-${n}.bak`;
    const plan: SetupBackup[] = [
      ...(dbPath === undefined
        ? []
        : ['', '-wal', '-shm'].map((ext) => ({ file: `${dbPath}${ext}`, backup: `${dbPath}${suffix}${ext}` }))),
      ...others.map((f) => ({ file: f, backup: `${f}${suffix}` })),
    ];
    if (!plan.some((p) => exists(p.backup))) return plan;
  }
}

const OPTION_KEYS = ['dataDir', 'provider', 'mode', 'falcon', 'force', 'adminTokenFile', 'postgres', 'now'];

function badOption(field: string): VaultError {
  return new VaultError('OV_INVALID_ARGUMENT', { field });
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

function initOptions(mode: SetupMode): InitOptions {
  if (typeof mode !== 'object' || mode === null) throw badOption('mode');
  const keys = Object.keys(mode);
  if (keys.length !== 1) throw badOption('mode');
  if ('shamir' in mode) {
    const s = mode.shamir;
    if (typeof s !== 'object' || s === null) throw badOption('mode.shamir');
    for (const k of Object.keys(s)) if (k !== 'n' && k !== 't') throw badOption(`mode.shamir.${k}`);
    return { mode: 'shamir', ...(s.n === undefined ? {} : { shares: s.n }), ...(s.t === undefined ? {} : { threshold: s.t }) };
  }
  if ('passphrase' in mode) return { mode: 'passphrase', passphrase: mode.passphrase };
  if ('keyFile' in mode) {
    if (typeof mode.keyFile !== 'string' || mode.keyFile === '') throw badOption('mode.keyFile');
    return { mode: 'keyfile', keyFilePath: resolve(mode.keyFile) };
  }
  throw badOption('mode');
}

/** Writes `text` to a new file (O_EXCL, 0600) and syncs it and its directory. */
function writeSecretFile(path: string, text: string): void {
  const bytes = utf8(text);
  try {
    createSecretFile(path, bytes);
  } finally {
    wipe(bytes);
  }
}

function isInitialised(dbPath: string): boolean {
  if (!exists(dbPath)) return false;
  const s = openStorage(dbPath);
  try {
    return s.meta.get(SEAL_META_NAME) !== undefined || s.keyring.listPolicies().length > 0;
  } finally {
    s.close();
  }
}

/**
 * The PostgreSQL options a config names (its TLS files read), or undefined for SQLite.
 * `OV_IO` when a TLS file cannot be read.
 */
export function pgOptionsOf(config: Config): PostgresOptions | undefined {
  const pg = config.storage.backend === 'postgres' ? config.storage.postgres : null;
  if (pg === null) return undefined;
  const read = (f: string | null): string | undefined => {
    if (f === null) return undefined;
    try {
      return readFileSync(f, 'utf8');
    } catch (e) {
      throw new VaultError('OV_IO', { op: 'read storage TLS file' }, { cause: e });
    }
  };
  const tls = pg.tlsCaFile === null && pg.tlsCertFile === null ? undefined : { ca: read(pg.tlsCaFile), cert: read(pg.tlsCertFile), key: read(pg.tlsKeyFile) };
  return { url: pg.url, node: pg.node, timeoutMs: pg.timeoutMs, ...(tls === undefined ? {} : { tls }) };
}

/**
 * {@link pgOptionsOf} for a checked config: `OV_CONFIG_INVALID` when its `[storage]` part
 * has a problem (a broken section must never fall back to `vault.db`).
 */
export function postgresOptions(check: ConfigCheck): PostgresOptions | undefined {
  const bad = check.problems.find((p) => p.path === 'storage' || p.path.startsWith('storage.'));
  if (bad !== undefined) throw new VaultError('OV_CONFIG_INVALID', { path: bad.path, reason: bad.message });
  return check.config === undefined ? undefined : pgOptionsOf(check.config);
}

function pgHoldsVault(opts: PostgresOptions): boolean {
  const pg = connectPg(opts);
  try {
    return holdsVault(pg, SEAL_META_NAME);
  } finally {
    pg.close();
  }
}

/**
 * Creates a vault. Throws OV_ALREADY_INITIALIZED (nothing changed) when the data dir
 * holds a vault, an admin token file or the requested unseal key file, unless `force`;
 * OV_INVALID_ARGUMENT for bad options (unknown keys included); errors of the seal,
 * keyring and storage layers otherwise, after undoing this run's writes. On PostgreSQL:
 * OV_STORAGE_EXISTS instead when the database holds a vault, OV_CLUSTER_MEMBERS_LIVE for
 * `force` while a node holds a live lease, OV_STORAGE_UNAVAILABLE when it cannot be reached.
 */
export async function setupVault(opts: SetupOptions): Promise<SetupResult> {
  if (typeof opts !== 'object' || opts === null) throw badOption('options');
  for (const k of Object.keys(opts)) if (!OPTION_KEYS.includes(k)) throw badOption(k);
  if (typeof opts.dataDir !== 'string' || opts.dataDir === '') throw badOption('dataDir');
  if (!Number.isSafeInteger(opts.now) || opts.now < 0) throw badOption('now');
  if (opts.falcon !== undefined && typeof opts.falcon !== 'boolean') throw badOption('falcon');
  if (opts.force !== undefined && typeof opts.force !== 'boolean') throw badOption('force');
  const init = initOptions(opts.mode);
  const dataDir = resolve(opts.dataDir);
  const dbPath = join(dataDir, DB_FILE);
  const tokenPath = resolve(opts.adminTokenFile ?? join(dataDir, ADMIN_TOKEN_FILE));
  const keyFile = init.mode === 'keyfile' ? init.keyFilePath : undefined;

  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw new VaultError('OV_IO', { op: 'mkdir' }, { cause: e });
  }
  const lock = acquireDataDirLock(dataDir);
  try {
    return await setupLocked(opts, init, dataDir, dbPath, tokenPath, keyFile);
  } finally {
    lock.release();
  }
}

async function setupLocked(
  opts: SetupOptions,
  init: InitOptions,
  dataDir: string,
  dbPath: string,
  tokenPath: string,
  keyFile: string | undefined,
): Promise<SetupResult> {

  // Everything that would be overwritten, checked before any write.
  const pgOpts = opts.postgres;
  let initialised: boolean;
  try {
    initialised = pgOpts === undefined ? isInitialised(dbPath) : pgHoldsVault(pgOpts);
  } catch (e) {
    // Another application's tables, or a database that cannot be reached, are never dropped.
    if (pgOpts !== undefined) throw e;
    // A database that cannot even be opened (corrupt, newer schema) is still a vault to destroy.
    if (opts.force !== true) throw e;
    initialised = true;
  }
  const keymanagerPath = join(dataDir, KEYMANAGER_TOKEN_FILE);
  const leftovers = [tokenPath, keymanagerPath, ...(keyFile === undefined ? [] : [keyFile])].filter(exists);
  if (opts.force !== true) {
    if (initialised) throw new VaultError(pgOpts === undefined ? 'OV_ALREADY_INITIALIZED' : 'OV_STORAGE_EXISTS', pgOpts === undefined ? {} : { database: redactPgUrl(pgOpts.url) });
    if (leftovers.length > 0) throw new VaultError('OV_ALREADY_INITIALIZED', { reason: leftovers[0] === tokenPath ? 'admin token file exists' : leftovers[0] === keymanagerPath ? 'keymanager token file exists' : 'unseal key file exists' });
  }
  const backups: SetupBackup[] = [];
  let droppedSchemas: string[] | undefined;
  if (opts.force === true && pgOpts !== undefined) {
    // First, so a live cluster refuses before any file moves.
    const pg = connectPg(pgOpts);
    try {
      droppedSchemas = dropVault(pg).schemas;
    } finally {
      pg.close();
    }
  }
  if (opts.force === true) {
    const plan = backupPlan(initialised && pgOpts === undefined ? dbPath : undefined, leftovers, opts.now).filter((p) => exists(p.file));
    for (const p of plan) {
      try {
        renameSync(p.file, p.backup);
      } catch (e) {
        throw new VaultError('OV_IO', { op: 'move aside' }, { cause: e });
      }
      backups.push(p);
    }
  }

  const storage = pgOpts === undefined ? openStorage(dbPath) : openPostgresStorage(pgOpts);
  const seal = new SealManager(storage.meta);
  let keyring: Keyring | undefined;
  let adminKeyId: string | undefined;
  const createdFiles: string[] = [];
  try {
    const sealed = await seal.initialise(init);
    if (sealed.mode === 'keyfile') createdFiles.push(sealed.keyFilePath);
    const root = seal.rootKey();
    try {
      keyring = Keyring.create(storage, opts.provider, root, { falcon: opts.falcon === true, now: opts.now });
    } finally {
      wipe(root);
    }
    const { key, record } = await generateApiKey('admin', SCOPE_ALL, ADMIN_KEY_LABEL, { now: opts.now });
    storage.apiKeys.insert(record);
    adminKeyId = record.id;
    writeSecretFile(tokenPath, `${key}\n`);
    createdFiles.push(tokenPath);
    writeSecretFile(keymanagerPath, `${replaceKeymanagerToken(storage.meta)}\n`);
    createdFiles.push(keymanagerPath);

    const ring = keyring;
    const audit = new AuditLog(storage, {
      hmacKey: () => ring.secret('audit').key,
      signer: () => ring.current('sign'),
      provider: opts.provider,
      now: () => opts.now,
    });
    audit.append({ type: 'sys', detail: { action: 'setup', mode: sealed.mode, falcon: opts.falcon === true, admin_key: record.id } });
    // Sign the chain from its first entry, so even a vault that never restarts has a checkpoint.
    audit.checkpoint();

    return {
      dataDir,
      database: pgOpts === undefined ? dbPath : redactPgUrl(pgOpts.url),
      backend: pgOpts === undefined ? 'sqlite' : 'postgres',
      mode: sealed.mode,
      ...(sealed.mode === 'shamir' ? { shares: sealed.shares, threshold: sealed.threshold } : {}),
      ...(sealed.mode === 'keyfile' ? { keyFile: sealed.keyFilePath } : {}),
      adminKeyId: record.id,
      adminTokenFile: tokenPath,
      keymanagerTokenFile: keymanagerPath,
      keyring: ring.list(),
      ...(opts.force === true ? { backups } : {}),
      ...(droppedSchemas === undefined ? {} : { droppedSchemas }),
    };
  } catch (e) {
    undo(storage, adminKeyId, createdFiles);
    throw e;
  } finally {
    keyring?.wipe();
    seal.seal();
    storage.close();
  }
}

/** Best effort: removes what this run wrote, so a retry finds the data dir as it was. */
function undo(storage: Storage, adminKeyId: string | undefined, files: readonly string[]): void {
  try {
    storage.transaction(() => {
      if (adminKeyId !== undefined) storage.apiKeys.delete(adminKeyId);
      storage.keyring.clear();
      storage.meta.delete(SEAL_META_NAME);
    });
  } catch {
    // The original error is what the caller needs; a half-written vault stays refused as initialised.
  }
  for (const f of files) {
    try {
      rmSync(f, { force: true });
    } catch {
      // as above
    }
  }
}

/**
 * The composition root: `createVault` builds every service of one vault over one open
 * storage, once, and owns their start and stop. The HTTP layer (`buildServer(vault)`)
 * and any other caller reach the vault only through what this returns, never storage.
 *
 * The keyring follows the seal: every unseal (an HTTP unseal, the key file at start)
 * opens it with the root key, and every seal first signs an audit checkpoint over the
 * chain head with the still-open signing key, then wipes the keyring and the secrets'
 * read cache. A keyring that cannot be opened (a corrupt or foreign key row) makes the
 * unseal fail and re-seals.
 *
 * On a PostgreSQL database shared with other daemons, a cluster node (src/cluster/) keeps
 * this daemon's lease and applies the other daemons' changes to what this one holds in
 * memory: sessions, the keyring, the transit and signer caches (docs/ha.md).
 *
 * The session store may still be loading when requests arrive: without a `sessions`
 * option it is loaded a page at a time by `loadSessions()` (yielding to the event loop
 * between pages), and `sessions()` makes whoever needs it wait for the load.
 * @module
 */
import { basename } from 'node:path';
import { AuditArchiver, AuditLog, type ArchiveSelection } from './audit/index.js';
import { ApiKeyService } from './auth/apikey-service.js';
import { SessionService } from './auth/session-service.js';
import { SessionStore, type LoadReport } from './auth/session-store.js';
import { ClusterNode, type ClusterEvent } from './cluster/index.js';
import { CONFIG_FILE_SCHEMA, type Config } from './config.js';
import { wipe } from './crypto/bytes.js';
import type { CryptoProvider } from './crypto/types.js';
import type { SecretKeyInfo } from './envelope/keys.js';
import { VaultError } from './errors.js';
import { KeyRotation, Keyring, SealedRecords, keyringPublicKeys, vaultSigner } from './keyring/index.js';
import { SealManager } from './seal/index.js';
import { SecretService, parseSecretPath, secretRewrapSource } from './secrets/index.js';
import { SnapshotService } from './snapshot/index.js';
import type { PostgresStorageHandle } from './storage/postgres/index.js';
import type { Storage } from './storage/types.js';
import { TransitService, transitRewrapSource } from './transit/index.js';
import { ValidatorService, validatorRewrapSource } from './validators/index.js';
import { SignerService } from './validators/signer.js';
import { SignerIdentityService, signerIdentityRewrapSource } from './validators/signer-identities.js';
import { issueIdentityCert, newSignerCa } from './tls/identity-certs.js';

/** Expired sessions are swept from memory and storage this often (after `start()`). */
export const SWEEP_INTERVAL_MS = 60_000;

export interface VaultOptions {
  readonly config: Config;
  /** Open storage; the caller opened it and closes it after `close()`. */
  readonly storage: Storage;
  readonly provider: CryptoProvider;
  /** Clock, ms since the epoch (default Date.now). */
  readonly now?: () => number;
  /** The session store, or the promise of it; default: loaded by `loadSessions()`. */
  readonly sessions?: SessionStore | Promise<SessionStore>;
  readonly audit?: {
    /** Checkpoint every this many entries (default: the audit log's). */
    readonly checkpointEvery?: number;
    /** At most one checkpoint per this many ms (default: none). */
    readonly checkpointIntervalMs?: number;
    /** The audit log's own clock (default: `now`). */
    readonly now?: () => number;
  };
  /** Told about failures no caller is waiting for (a checkpoint, a sweep). */
  readonly onError?: (what: string, err: unknown) => void;
  /** Read a PEM file named in `[storage]` (the cluster's own connection); default: none. */
  readonly readTlsFile?: (path: string) => string;
}

export interface Vault {
  readonly config: Config;
  /** The JSON Schema of config.toml, for the daemon's self-description. */
  readonly configSchema: typeof CONFIG_FILE_SCHEMA;
  readonly provider: CryptoProvider;
  readonly now: () => number;
  readonly seal: SealManager;
  readonly audit: AuditLog;
  /** The open keyring; undefined while sealed. */
  readonly keyring: () => Keyring | undefined;
  /** The session store, waiting for its load if needed. */
  readonly sessions: () => Promise<SessionStore>;
  /** The store if already loaded (for callers that must not wait). */
  loadedSessions(): SessionStore | undefined;
  readonly apiKeys: ApiKeyService;
  /** Session rules: lifetimes, issue, listing and revocation within scope. */
  readonly sessionService: SessionService;
  readonly secrets: SecretService;
  readonly validators: ValidatorService;
  /** The remote signer (Web3Signer eth2 API) over the active Ethereum validator keys. */
  readonly signer: SignerService;
  /** Who may sign for which slots on the signer listener, by client certificate. */
  readonly signerIdentities: SignerIdentityService;
  /** Encryption as a service: named keys that never leave the vault. */
  readonly transit: TransitService;
  /** Keyring policies, rotation, minimum decryption versions and rewrap over every sealed store. */
  readonly keys: KeyRotation;
  /** Signed, consistent copies of the whole database, taken while the vault serves. */
  readonly snapshots: SnapshotService;
  /** Moves closed ranges of the audit chain out to archive files (docs/adr/0012-audit-archives.md). */
  readonly archiver: AuditArchiver;
  /**
   * One retention run now (`[audit] retain`): archives what qualifies into `archive_dir`
   * and records each archive in the log. Resolves with the files written ([] without
   * `retain`, or while another run is in progress).
   */
  runRetention(): Promise<string[]>;
  /** Audit entries written so far; undefined when the log cannot be read. */
  auditEntries(): number | undefined;
  /** This daemon's membership of a cluster (PostgreSQL storage only). */
  readonly cluster: ClusterNode | undefined;
  /** Starts loading the session store (once; only without a `sessions` option). */
  loadSessions(): Promise<LoadReport>;
  /** Starts the background work: the session sweep, and audit retention when configured. */
  start(): void;
  /** Stops the background work (sweep, a session load in progress); idempotent. */
  stop(): void;
  /** Stops, then seals (checkpoint, wipe). The storage stays open. */
  close(): void;
}

export function createVault(opts: VaultOptions): Vault {
  const { storage, provider, config } = opts;
  const now = opts.now ?? Date.now;
  const seal = new SealManager(storage.meta);
  let keyring: Keyring | undefined;
  const currentKeyring = (): Keyring | undefined => keyring;

  // The one signing-key rule, shared with sealed records and validator records.
  const signer = (): SecretKeyInfo | undefined => (keyring === undefined ? undefined : vaultSigner(keyring, config.crypto.signature));
  const a = opts.audit ?? {};
  const audit = new AuditLog(storage, {
    hmacKey: () => keyring?.secret('audit').key,
    signer,
    provider,
    now: a.now ?? now,
    ...(a.checkpointEvery === undefined ? {} : { checkpointEvery: a.checkpointEvery }),
    ...(a.checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs: a.checkpointIntervalMs }),
    // A checkpoint scheduled after a group commit has no request to fail: report it here.
    ...(opts.onError === undefined ? {} : { onError: opts.onError }),
  });

  // Sessions: given, or loaded later by loadSessions().
  let loaded: SessionStore | undefined = opts.sessions instanceof SessionStore ? opts.sessions : undefined;
  let loadDone!: (store: SessionStore) => void;
  let loadFailed!: (err: unknown) => void;
  const sessionsPromise: Promise<SessionStore> =
    opts.sessions === undefined
      ? new Promise<SessionStore>((resolve, reject) => {
          loadDone = resolve;
          loadFailed = reject;
        })
      : Promise.resolve(opts.sessions);
  // A failed load is reported to each caller that needs the store; do not leave it unhandled.
  sessionsPromise.then(
    (s) => {
      loaded = s;
    },
    () => undefined,
  );
  let loading: Promise<LoadReport> | undefined;
  let stopping = false;
  let sweeper: NodeJS.Timeout | undefined;
  // Filled by an incremental load before it is done: cluster events apply to it already.
  let filling: SessionStore | undefined;
  const shuttingDown = (): VaultError => new VaultError('OV_IO', { reason: 'shutting down' });

  // One sealed-records layer for every kind of row: one signing-key rule, one set of open checks.
  const sealed = new SealedRecords({ provider, keyring: currentKeyring, signature: config.crypto.signature });
  const secrets = new SecretService({
    sealed,
    storage,
    provider,
    keyring: currentKeyring,
    signature: config.crypto.signature,
    now,
    maxValueBytes: config.secrets.maxValueBytes,
    cacheBytes: config.secrets.cacheBytes,
  });
  // Only for EIP-2333 derivation from a slot's mnemonic_ref. No read cache: a mnemonic is
  // read once per derivation and should not linger in the cache's memory.
  const mnemonics = new SecretService({ sealed, storage, provider, keyring: currentKeyring, signature: config.crypto.signature, now, cacheBytes: 0 });
  const readSecretField = (path: string, field: string): string => {
    const r = mnemonics.get(parseSecretPath(path, 'mnemonic_ref'));
    if (r.kind !== 'data') throw new VaultError('OV_FIELD_NOT_FOUND');
    const fields = JSON.parse(new TextDecoder().decode(r.plaintext)) as Record<string, unknown>;
    const value = Object.prototype.hasOwnProperty.call(fields, field) ? fields[field] : undefined;
    if (typeof value !== 'string') throw new VaultError('OV_FIELD_NOT_FOUND');
    return value;
  };
  const validators = new ValidatorService({ sealed, storage, provider, keyring: currentKeyring, signature: config.crypto.signature, now, readSecretField });
  const signerService = new SignerService({
    sealed,
    storage,
    provider,
    keyring: currentKeyring,
    signature: config.crypto.signature,
    now,
    genesisForkVersion: Uint8Array.from(Buffer.from((config.signer?.genesisForkVersion ?? '0x00000000').slice(2), 'hex')),
    audit,
  });
  const sessions = (): Promise<SessionStore> => (loaded !== undefined ? Promise.resolve(loaded) : sessionsPromise);
  const signerIdentities = new SignerIdentityService({ storage, sealed, now, certificates: { newCa: newSignerCa, issue: issueIdentityCert } });
  const apiKeys = new ApiKeyService({ store: storage.apiKeys, sessions, now });
  const pgStorage = (storage as Partial<PostgresStorageHandle>).backend === 'postgres' ? (storage as PostgresStorageHandle) : undefined;
  const pgConfig = config.storage.postgres;
  const clustered = pgStorage !== undefined && pgConfig !== null;
  const sessionService = new SessionService({ sessions, now, defaultTtlMs: config.sessions.defaultTtlMs, maxTtlMs: config.sessions.maxTtlMs, shared: clustered });
  const transit = new TransitService({ sealed, storage, provider, keyring: currentKeyring, signature: config.crypto.signature, now });
  // Validator keys and transit key versions first (few, so a sliced rewrap finishes them
  // early), then secret versions.
  const keys = new KeyRotation({
    sealed,
    now,
    sources: () => [validatorRewrapSource(storage), signerIdentityRewrapSource(storage), transitRewrapSource(transit), secretRewrapSource(secrets)],
  });

  const archiver = new AuditArchiver({ storage, provider, publicKeys: () => keyringPublicKeys(storage), now, sync: () => storage.syncAsync() });
  let retainTimer: NodeJS.Timeout | undefined;
  let retaining = false;
  const runRetention = async (): Promise<string[]> => {
    const retain = config.audit.retain;
    if (retain === null || retaining) return [];
    retaining = true;
    try {
      const sel: ArchiveSelection = 'ms' in retain ? { before: now() - retain.ms } : { keepBytes: retain.bytes };
      const files = await archiver.archiveInto(config.audit.archiveDir, sel);
      // The archiving itself is on record, after the range it moved out.
      if (files.length > 0) await audit.appendAsync({ type: 'sys', detail: { event: 'audit.archive', archives: files.length, last: basename(files[files.length - 1] ?? '') } });
      return files;
    } finally {
      retaining = false;
    }
  };

  const snapshots = new SnapshotService({ storage, provider, keyring: currentKeyring, dir: config.dataDir, now });

  const offUnseal = seal.onUnseal(() => {
    const root = seal.rootKey();
    try {
      keyring?.wipe();
      keyring = Keyring.open(storage, provider, root);
    } finally {
      wipe(root);
    }
  });
  // With a signer listener configured, its keys are opened right after an unseal, in the
  // background, so a reconnecting validator client's first signatures are not late.
  const offWarm = seal.onUnseal(() => {
    if (config.signer === null) return;
    signerService.warm().catch((e: unknown) => opts.onError?.('signer key warm-up', e));
  });
  const offSeal = seal.onSeal(() => {
    secrets.cache.wipe();
    transit.cache.wipe();
    signerService.cache.wipe();
    signerIdentities.wipeCache();
    const k = keyring;
    if (k === undefined) return;
    try {
      if (signer() !== undefined) audit.checkpoint();
    } catch (e) {
      opts.onError?.('audit checkpoint on seal', e);
    } finally {
      keyring = undefined;
      k.wipe();
    }
  });

  // Another daemon's change, applied here. Keys and caches are reloaded whole: they are
  // few, and a reload cannot get a partial change wrong.
  const applyEvents = (events: readonly ClusterEvent[]): void => {
    const store = loaded ?? filling;
    let reload = false;
    for (const e of events) {
      if (e.kind === 'resync') {
        // Events were pruned before this node applied them: drop what memory holds
        // (sessions come back from the database on their next use) and reload the rest.
        store?.forgetAll();
        transit.cache.wipe();
        signerIdentities.wipeCache();
        reload = true;
      } else if (e.kind === 'session') store?.forget(e.subject);
      else if (e.kind === 'apikey') store?.forgetKey(e.subject);
      else if (e.kind === 'keyring') reload = true;
      else if (e.kind === 'transit') transit.cache.wipe();
      else if (e.kind === 'meta') signerIdentities.wipeCache();
    }
    if (!reload || keyring === undefined || seal.status().sealed) return;
    const root = seal.rootKey();
    try {
      const old = keyring;
      keyring = Keyring.open(storage, provider, root);
      secrets.cache.wipe();
      transit.cache.wipe();
      signerService.cache.wipe();
      // A request may still hold the old keyring across an await: wipe it a little later.
      setTimeout(() => old.wipe(), 5000).unref();
    } finally {
      wipe(root);
    }
  };
  const read = (f: string | null): string | undefined => (f === null || opts.readTlsFile === undefined ? undefined : opts.readTlsFile(f));
  const cluster =
    pgStorage === undefined || pgConfig === null
      ? undefined
      : new ClusterNode({
          url: pgConfig.url,
          ...(pgConfig.tlsCaFile === null && pgConfig.tlsCertFile === null
            ? {}
            : { tls: { ca: read(pgConfig.tlsCaFile), cert: read(pgConfig.tlsCertFile), key: read(pgConfig.tlsKeyFile) } }),
          node: pgStorage.node,
          addr: config.apiAddr ?? null,
          leaseMs: config.cluster.leaseMs,
          renewMs: config.cluster.renewMs,
          apply: applyEvents,
          ...(opts.onError === undefined ? {} : { onError: opts.onError }),
        });

  const stop = (): void => {
    stopping = true;
    if (cluster !== undefined) void cluster.stop();
    if (sweeper !== undefined) clearInterval(sweeper);
    sweeper = undefined;
    if (retainTimer !== undefined) clearInterval(retainTimer);
    retainTimer = undefined;
    // A load never started: whoever waits for the store learns it will not come.
    if (opts.sessions === undefined && loading === undefined) loadFailed(shuttingDown());
  };

  return {
    config,
    configSchema: CONFIG_FILE_SCHEMA,
    provider,
    now,
    seal,
    audit,
    keyring: currentKeyring,
    sessions,
    loadedSessions: () => loaded,
    apiKeys,
    sessionService,
    secrets,
    validators,
    signer: signerService,
    signerIdentities,
    transit,
    keys,
    snapshots,
    archiver,
    cluster,
    runRetention,
    auditEntries(): number | undefined {
      try {
        return storage.audit.head()?.seq ?? 0;
      } catch {
        return undefined;
      }
    },
    loadSessions(): Promise<LoadReport> {
      if (loading !== undefined) return loading;
      if (opts.sessions !== undefined) throw new VaultError('OV_INVALID_ARGUMENT', { option: 'sessions' });
      if (stopping) return (loading = Promise.reject(shuttingDown()));
      try {
        const { store, loaded: report } = SessionStore.loadIncrementally(storage.sessions, now(), {
          yield: () =>
            new Promise<void>((resolve, reject) => {
              setImmediate(() => (stopping ? reject(shuttingDown()) : resolve()));
            }),
        });
        filling = store;
        loading = report.then(
          (r) => {
            loadDone(store);
            return r;
          },
          (err: unknown) => {
            loadFailed(err);
            throw err;
          },
        );
      } catch (err) {
        loadFailed(err);
        loading = Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      return loading;
    },
    start(): void {
      if (sweeper !== undefined || stopping) return;
      // A failed first renewal is reported and retried on the renewal timer.
      cluster?.start().catch(() => undefined);
      sweeper = setInterval(() => {
        void sessions()
          .then((store) => store.sweep(now()))
          .catch((err: unknown) => opts.onError?.('session sweep', err));
      }, SWEEP_INTERVAL_MS);
      sweeper.unref();
      if (config.audit.retain !== null) {
        const run = (): void => {
          runRetention().catch((err: unknown) => opts.onError?.('audit retention', err));
        };
        setImmediate(run);
        retainTimer = setInterval(run, config.audit.archiveIntervalMs);
        retainTimer.unref();
      }
    },
    stop,
    close(): void {
      stop();
      try {
        // Entries of reads may still wait for their background fsync.
        audit.sync();
      } catch (e) {
        opts.onError?.('audit sync on close', e);
      }
      try {
        seal.seal();
      } finally {
        offUnseal();
        offWarm();
        offSeal();
        keyring?.wipe();
        keyring = undefined;
        secrets.cache.wipe();
        signerService.cache.wipe();
      }
    },
  };
}

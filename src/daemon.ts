/**
 * `vault server`: opens the data dir's database, builds the vault over it (createVault,
 * src/vault.ts) and its HTTP server, optionally unseals itself from the
 * configured unseal key file, serves src/http on the configured address, sweeps expired
 * sessions every minute, and shuts down cleanly on SIGTERM / SIGINT.
 *
 * Readiness: the product target is health 200 in under a second. Loading the session
 * store is the only step that grows with the data (about 10-15 us per session on a busy
 * 2-core machine: seconds for a million). So it starts once the socket is bound and runs
 * a page at a time (SessionStore.loadIncrementally), yielding to the event loop between
 * pages (Vault.loadSessions): health and seal status answer at once, while requests that need the store
 * (authentication, session and API-key routes) wait for the load to finish (measured
 * with 1M sessions: health 200 at 0.8 s, as with none; the load done at 7-8 s). A shutdown
 * during the load stops it at the next page; requests still waiting then fail.
 *
 * Shutdown: stop accepting connections, let requests in flight finish (fastify `close`),
 * seal (which signs an audit checkpoint over the chain head, then wipes the keyring and
 * the root key), close the database. Every acknowledged write was already durable, so
 * nothing is lost.
 *
 * Durability point (docs/adr/0005-audit-chain.md, amendment): the database is opened with
 * `durability: 'async-sync'`, so commits are not fsynced on the event loop. Every answer
 * waits for its audit entry, which resolves only after an fdatasync of the WAL (on libuv's
 * threadpool, shared by concurrent requests) that also covers the request's own earlier
 * writes, since the WAL is written in commit order. This module never calls
 * `process.exit`: the caller awaits `closed` and returns its exit code.
 * @module
 */
import { join } from 'node:path';
import type { Server as TlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Config } from './config.js';
import { wipe } from './crypto/bytes.js';
import { acquireDataDirLock } from './datadir-lock.js';
import type { CryptoProvider } from './crypto/types.js';
import type { LoggerSettings, VaultApp } from './http/context.js';
import { buildServer } from './http/server.js';
import { buildSignerServer } from './http/signer-server.js';
import { readUnsealKeyFile } from './seal/index.js';
import { DB_FILE, pgOptionsOf } from './setup.js';
import { openPostgresStorage, openStorage, type Storage } from './storage/index.js';
import { VaultError } from './errors.js';
import {
  hybridKeyExchangeSupported,
  isLoopbackHost,
  offeredGroups,
  secureContextOptions,
  signerSecureContextOptions,
  signerTlsServerOptions,
  tlsServerOptions,
} from './tls/server.js';
import { useFastestSszHasher } from './validators/ssz-hasher.js';
import { createVault } from './vault.js';

export { SWEEP_INTERVAL_MS } from './vault.js';
/**
 * At most one audit checkpoint signature per second under load (ADR 0005, amendment of
 * 2026-12-02): the unsigned tail is then at most 1,000 entries or one second of traffic,
 * whichever is longer, and signing costs ~1% of the event loop instead of ~10%.
 */
export const AUDIT_CHECKPOINT_INTERVAL_MS = 1000;

export interface DaemonOptions {
  readonly config: Config;
  readonly provider: CryptoProvider;
  /** Default: JSON lines on stdout at `config.logLevel`; false for none. */
  readonly logger?: LoggerSettings | false;
  /** Close on SIGTERM and SIGINT (default true). */
  readonly handleSignals?: boolean;
  /** Clock, ms since the epoch (default Date.now). */
  readonly now?: () => number;
}

export interface Daemon {
  /** `http(s)://host:port` actually bound (port 0 in the config picks a free one). */
  readonly url: string;
  /** The remote-signer listener's `http(s)://host:port`, or undefined without `[signer]`. */
  readonly signerUrl: string | undefined;
  /**
   * Re-reads the TLS certificate and key (SIGHUP does the same) for new connections; open
   * ones keep theirs. A file that cannot be used keeps the old pair; false then, and the
   * reason is logged. False without TLS.
   */
  reloadTls(): boolean;
  readonly app: VaultApp;
  /** Graceful shutdown; idempotent. */
  close(): Promise<void>;
  /** Resolves once the daemon has shut down (after close(), or a signal). */
  readonly closed: Promise<void>;
}

/**
 * Starts the daemon. Throws (after releasing what it opened) when the database cannot be
 * opened, the configured unseal key file cannot unseal this vault, or the address
 * cannot be bound.
 */
export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const { config, provider } = opts;
  const now = opts.now ?? Date.now;
  // Checked before anything is opened: a bearer token must not cross a network in the clear.
  if (config.tls === null && !config.tlsDisable && !isLoopbackHost(config.listen.host)) {
    throw new VaultError('OV_TLS_REQUIRED', {
      listen: config.listen.host,
      hint: 'set tls.cert_file and tls.key_file in the config (vault tls gen makes them), or tls.disable = true to serve plain HTTP anyway',
    });
  }
  if (config.signer !== null && config.signer.tls === null && !config.tlsDisable && !isLoopbackHost(config.signer.listen.host)) {
    // The signer answers without tokens; off loopback it must speak TLS.
    throw new VaultError('OV_TLS_REQUIRED', { listen: config.signer.listen.host, hint: 'set [signer] tls = true, or serve [signer] listen on a loopback address' });
  }
  const groups = offeredGroups();
  const https = config.tls === null ? undefined : tlsServerOptions(config.tls, groups);
  const signerTls = config.signer?.tls ?? null;
  // Checked before anything is opened, like the main listener's files (the CA comes later).
  if (signerTls !== null) signerTlsServerOptions(signerTls, undefined, groups);
  const lock = acquireDataDirLock(config.dataDir);
  const storage = openConfiguredStorage(config);
  let app: VaultApp | undefined;
  let signerApp: Awaited<ReturnType<typeof buildSignerServer>> | undefined;
  const vault = createVault({
    config,
    storage,
    provider,
    now,
    audit: { checkpointIntervalMs: AUDIT_CHECKPOINT_INTERVAL_MS },
    onError: (what, err) => app?.log.error({ err }, `${what} failed`),
    readTlsFile: (f) => readFileSync(f, 'utf8'),
  });
  const signalHandlers: [NodeJS.Signals, () => void][] = [];
  let closing: Promise<void> | undefined;
  let stopping = false;
  let reloadTls = (): boolean => false;
  let offCa = (): void => undefined;
  let resolveClosed!: () => void;
  const closed = new Promise<void>((resolve) => {
    resolveClosed = resolve;
  });

  const shutdown = async (): Promise<void> => {
    stopping = true;
    for (const [sig, fn] of signalHandlers) process.removeListener(sig, fn);
    offCa();
    // The sweep and a session load in progress stop first; requests waiting for the load then fail.
    vault.stop();
    try {
      if (signerApp !== undefined) await signerApp.close();
      if (app !== undefined) await app.close();
    } finally {
      try {
        vault.close();
      } finally {
        storage.close();
        lock.release();
        resolveClosed();
      }
    }
  };
  const close = (): Promise<void> => (closing ??= shutdown());

  try {
    if (config.seal.unsealKeyFile !== null) {
      const key = readUnsealKeyFile(config.seal.unsealKeyFile);
      try {
        await vault.seal.unsealWithKeyFile(key);
      } finally {
        wipe(key);
      }
    }

    app = await buildServer(vault, {
      logger: opts.logger ?? { level: config.logLevel },
      ...(https === undefined ? {} : { https, tlsGroups: groups }),
    });
    const server = app;
    await server.listen({ host: config.listen.host, port: config.listen.port });
    if (config.tls === null && config.tlsDisable && !isLoopbackHost(config.listen.host)) {
      server.log.warn({ listen: config.listen.host }, 'TLS is disabled: tokens and secrets cross the network in the clear');
    }
    if (config.tls !== null && !hybridKeyExchangeSupported()) {
      server.log.info({ groups, openssl: process.versions.openssl }, 'TLS key exchange is classical only: this runtime has no X25519MLKEM768 (Node >= 24.7 has)');
    }
    let signerUrl: string | undefined;
    if (config.signer !== null) {
      const { host, port } = config.signer.listen;
      const signerHttps = signerTls === null ? undefined : signerTlsServerOptions(signerTls, vault.signerIdentities.caCertPem(), groups);
      // Before the first request: every signing root hashes with the fastest SHA-256 here.
      const sszHasher = await useFastestSszHasher();
      signerApp = await buildSignerServer(vault, { logger: opts.logger ?? { level: config.logLevel }, ...(signerHttps === undefined ? {} : { https: signerHttps }) });
      await signerApp.listen({ host, port });
      const a = signerApp.server.address();
      signerUrl = `${signerTls === null ? 'http' : 'https'}://${host.includes(':') ? `[${host}]` : host}:${typeof a === 'object' && a !== null ? a.port : port}`;
      server.log.info({ signer: signerUrl, sszHasher }, 'remote signer listening');
    }
    const tlsConfig = config.tls;
    const signerServer = signerApp?.server as unknown as TlsServer | undefined;
    const reloadSigner = (): boolean => {
      if (signerTls === null || signerServer === undefined) return true;
      try {
        signerServer.setSecureContext(signerSecureContextOptions(signerTls, vault.signerIdentities.caCertPem(), groups));
        return true;
      } catch (err) {
        server.log.error({ err }, 'signer TLS certificate not reloaded; the previous one stays in use');
        return false;
      }
    };
    // The signer CA is made by the first identity: new handshakes name it from then on.
    offCa = vault.signerIdentities.onCaChange(() => reloadSigner());
    reloadTls = (): boolean => {
      if (tlsConfig === null && signerTls === null) return false;
      const signerOk = reloadSigner();
      if (tlsConfig === null) return signerOk;
      try {
        (server.server as unknown as TlsServer).setSecureContext(secureContextOptions(tlsConfig, groups));
        server.log.info({ cert: tlsConfig.certFile }, 'TLS certificate reloaded');
        return signerOk;
      } catch (err) {
        server.log.error({ err }, 'TLS certificate not reloaded; the previous one stays in use');
        return false;
      }
    };

    // After the first turn of the event loop, so the listening socket is up first.
    setImmediate(() => {
      vault.loadSessions().then(
        (report) => server.log.info({ sessions: report }, 'sessions loaded'),
        (err: unknown) => {
          if (!stopping) server.log.error({ err }, 'session store could not be loaded');
        },
      );
    });
    vault.start();

    if (opts.handleSignals !== false) {
      for (const sig of ['SIGTERM', 'SIGINT'] as const) {
        const fn = (): void => {
          server.log.info({ signal: sig }, 'shutting down');
          close().catch((err: unknown) => server.log.error({ err }, 'shutdown failed'));
        };
        process.once(sig, fn);
        signalHandlers.push([sig, fn]);
      }
      if (tlsConfig !== null || signerTls !== null) {
        const hup = (): void => {
          reloadTls();
        };
        process.on('SIGHUP', hup);
        signalHandlers.push(['SIGHUP', hup]);
      }
    }

    const addr = server.server.address();
    const port = typeof addr === 'object' && addr !== null ? addr.port : config.listen.port;
    const host = config.listen.host.includes(':') ? `[${config.listen.host}]` : config.listen.host;
    server.log.info({ sealed: vault.keyring() === undefined, initialized: vault.seal.status().initialized }, 'vault daemon ready');
    return { url: `${https === undefined ? 'http' : 'https'}://${host}:${port}`, signerUrl, app: server, close, closed, reloadTls: () => reloadTls() };
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
}

/** The storage the config names: vault.db in the data dir, or the cluster's PostgreSQL database. */
export function openConfiguredStorage(config: Config, opts: { readonly?: boolean } = {}): Storage {
  const pg = pgOptionsOf(config);
  if (pg === undefined) {
    return openStorage(join(config.dataDir, DB_FILE), opts.readonly === true ? { readonly: true, sqliteDriver: config.storage.sqliteDriver } : { durability: 'async-sync', sqliteDriver: config.storage.sqliteDriver });
  }
  return openPostgresStorage({ ...pg, readonly: opts.readonly === true });
}

/**
 * The daemon's configuration: one TOML file (`ONTOREF_CONFIG`, default
 * `<data dir>/config.toml`) plus the fixed `ONTOREF_*` environment variables, parsed once
 * at the boundary, checked as a whole and frozen, so nothing downstream sees a half-valid
 * or changing config (docs/config.md is the reference).
 *
 * One typebox schema ({@link CONFIG_FILE_SCHEMA}) is both the TypeScript type of the file
 * and its runtime check; `vault server` and `vault config validate` use the same code, and
 * `GET /v1/sys/describe` publishes the schema. Every problem is collected with its key
 * path (`sessions.default_ttl`, `env.ONTOREF_ADDR`) and reported together, never one at a
 * time; unknown keys are problems, so a typo such as `max_tll` cannot silently leave a
 * default in place.
 *
 * Precedence, the same for every setting: a value in the file wins; an environment
 * variable supplies what the file leaves unset (`ONTOREF_ADDR` -> `listen`,
 * `ONTOREF_DATA_DIR` -> `data_dir`, `ONTOREF_CRYPTO_PROVIDER` -> `crypto.provider`); then
 * the built-in default. This module never reads `process.env`: callers pass the
 * environment, so tests and the CLI decide what it holds.
 * @module
 */
import { DURATION_PATTERN, formatDuration, parseDuration } from './util/duration.js';
import { splitAddrList } from './util/addr.js';
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { homedir, hostname } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import { Type, type Static } from 'typebox';
import { Compile } from 'typebox/compile';
import { Settings } from 'typebox/system';
import { MAX_SESSION_TTL_MS } from './auth/session-store.js';
import { VaultError } from './errors.js';
import type { SqliteDriverChoice } from './storage/types.js';

export const DEFAULT_LISTEN = '127.0.0.1:8420';
/** Largest config file read: a config is a few hundred bytes; anything huge is a mistake. */
const MAX_CONFIG_BYTES = 1024 * 1024;

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const PROVIDER_CHOICES = ['auto', 'noble', 'native'] as const;
export type ProviderChoice = (typeof PROVIDER_CHOICES)[number];
export const TLS_CLIENT_AUTH = ['require', 'request'] as const;
export const TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'] as const;
export type TlsVersion = (typeof TLS_VERSIONS)[number];
export const SIGNATURE_CHOICES = ['ML-DSA-65', 'Falcon-512-r3'] as const;
export type SignatureChoice = (typeof SIGNATURE_CHOICES)[number];
export const SQLITE_DRIVER_CHOICES = ['auto', 'better-sqlite3', 'node'] as const satisfies readonly SqliteDriverChoice[];

const SIZE_PATTERN = '^[0-9]+(?:B|KiB|MiB|GiB|KB|MB|GB)?$';

const Duration = (description: string) =>
  Type.String({ pattern: DURATION_PATTERN, minLength: 2, description: `${description}; a duration such as "15m", "1h30m", "90s"` });

/** The config file (TOML), every key optional. Also published by `GET /v1/sys/describe`. */
export const CONFIG_FILE_SCHEMA = Type.Object(
  {
    listen: Type.Optional(Type.String({ description: 'host:port to listen on, e.g. "127.0.0.1:8420" or "[::1]:8420"' })),
    data_dir: Type.Optional(Type.String({ minLength: 1, description: 'directory holding vault.db and admin.token (0700)' })),
    log_level: Type.Optional(Type.Enum([...LOG_LEVELS], { description: 'pino log level' })),
    log: Type.Optional(
      Type.Object(
        {
          slow_request_ms: Type.Optional(
            Type.Integer({ description: 'a request taking at least this many ms is logged at warn (default 1000, 1..3600000)' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    seal: Type.Optional(
      Type.Object(
        {
          unseal_key_file: Type.Optional(
            Type.String({ minLength: 1, description: 'unseal key file (keyfile seal mode): the daemon unseals itself at start' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    sessions: Type.Optional(
      Type.Object(
        {
          default_ttl: Type.Optional(Duration('session lifetime when the exchange does not ask for one (default 1h)')),
          max_ttl: Type.Optional(Duration('longest session an exchange may ask for (default 24h, at most 31d)')),
        },
        { additionalProperties: false },
      ),
    ),
    cluster: Type.Optional(
      Type.Object(
        {
          lease: Type.Optional(Duration("how long a node's lease lasts without a renewal, PostgreSQL only (default 2s, 200ms..60s)")),
          renew: Type.Optional(Duration('how often a node renews its lease and applies other nodes\' changes (default 500ms, at most half the lease)')),
          expected_nodes: Type.Optional(
            Type.Integer({ description: 'daemons sharing the database: each enforces limits.* divided by this, so the cluster as a whole keeps the configured budget (default 1)' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    limits: Type.Optional(
      Type.Object(
        {
          body_limit: Type.Optional(
            Type.Union([Type.Integer(), Type.String({ pattern: SIZE_PATTERN })], {
              description: 'largest request body: bytes, or a size such as "2MiB" (default 2MiB, 1KiB..64MiB)',
            }),
          ),
          max_request_rate: Type.Optional(Type.Integer({ description: 'requests per second per client address (default: no limit)' })),
          auth_failures_per_key: Type.Optional(Type.Integer({ description: 'failed key exchanges per API key id per minute before 429 (default 5)' })),
          auth_failures_per_address: Type.Optional(
            Type.Integer({ description: 'failed key exchanges per client address per minute before 429 (default 20)' }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    secrets: Type.Optional(
      Type.Object(
        {
          max_value_bytes: Type.Optional(
            Type.Union([Type.Integer(), Type.String({ pattern: SIZE_PATTERN })], {
              description: 'largest secret value (plaintext): bytes, or a size such as "64KiB" (default 64KiB, 1B..16MiB)',
            }),
          ),
          cache_bytes: Type.Optional(
            Type.Union([Type.Integer(), Type.String({ pattern: SIZE_PATTERN })], {
              description: 'read cache of opened secret versions: bytes, or a size such as "32MiB" (default 32MiB, 0 disables, at most 4GiB)',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    storage: Type.Optional(
      Type.Object(
        {
          sqlite_driver: Type.Optional(
            Type.Enum([...SQLITE_DRIVER_CHOICES], { description: 'SQLite driver (default auto: better-sqlite3 where its addon loads, else node:sqlite)' }),
          ),
          backend: Type.Optional(Type.Enum(['sqlite', 'postgres'], { description: 'storage engine (default sqlite: vault.db in the data dir)' })),
          url: Type.Optional(Type.String({ minLength: 1, description: 'PostgreSQL URL, postgres://user:password@host:port/db (or ONTOREF_PG_URL)' })),
          node: Type.Optional(Type.String({ pattern: '^[a-z0-9_]{1,32}$', description: "this daemon's name in a cluster (default the host name, cleaned)" })),
          timeout: Type.Optional(Type.String({ description: 'how long one database call may take before the request fails with 503 (default 5s)' })),
          tls_ca_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM CA to verify the PostgreSQL server with; setting it turns TLS on' })),
          tls_cert_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM client certificate for PostgreSQL' })),
          tls_key_file: Type.Optional(Type.String({ minLength: 1, description: 'PEM key of tls_cert_file' })),
        },
        { additionalProperties: false },
      ),
    ),
    audit: Type.Optional(
      Type.Object(
        {
          retain: Type.Optional(
            Type.String({
              minLength: 2,
              description: 'archive audit entries older than a duration ("30d") or beyond a size kept live ("1GiB") into archive_dir (default: keep everything)',
            }),
          ),
          archive_dir: Type.Optional(Type.String({ minLength: 1, description: 'where retention writes audit archive files (default <data_dir>/audit-archive, created 0700)' })),
          archive_interval: Type.Optional(Duration('how often retention runs, after a run at start (default 1h, 1s..7d)')),
        },
        { additionalProperties: false },
      ),
    ),
    api_addr: Type.Optional(
      Type.String({ minLength: 1, description: 'the URL clients use to reach the daemon (e.g. "https://vault.example.net:8420"); its host name is accepted for unseal' }),
    ),
    trusted_proxies: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        maxItems: 64,
        description: 'CIDRs of reverse proxies whose X-Forwarded-For names the client (rate limits, audit log); from any other peer it is ignored',
      }),
    ),
    tls: Type.Optional(
      Type.Object(
        {
          cert_file: Type.Optional(Type.String({ minLength: 1, description: 'server certificate chain (PEM); with key_file, the daemon serves HTTPS only' })),
          key_file: Type.Optional(Type.String({ minLength: 1, description: 'private key of the server certificate (PEM, 0600)' })),
          client_ca_file: Type.Optional(Type.String({ minLength: 1, description: 'CA certificates (PEM) that sign client certificates' })),
          client_auth: Type.Optional(
            Type.Enum([...TLS_CLIENT_AUTH], { description: 'with client_ca_file: "require" (default) refuses clients without a certificate, "request" asks for one' }),
          ),
          min_version: Type.Optional(Type.Enum([...TLS_VERSIONS], { description: 'lowest TLS version accepted (default TLSv1.3)' })),
          disable: Type.Optional(Type.Boolean({ description: 'serve plain HTTP on a non-loopback address (a warning is logged at every start)' })),
        },
        { additionalProperties: false },
      ),
    ),
    signer: Type.Optional(
      Type.Object(
        {
          listen: Type.Optional(Type.String({ description: 'host:port of the remote-signer listener (Web3Signer eth2 API only; default "127.0.0.1:9000")' })),
          allow: Type.Optional(
            Type.Array(Type.String({ minLength: 1 }), {
              maxItems: 64,
              description: 'client addresses or CIDRs that may ask for signatures (default ["127.0.0.1", "::1"])',
            }),
          ),
          genesis_fork_version: Type.Optional(
            Type.String({ pattern: '^0x[0-9a-fA-F]{8}$', description: 'the network genesis fork version, for VALIDATOR_REGISTRATION (default mainnet "0x00000000")' }),
          ),
          tls: Type.Optional(Type.Boolean({ description: 'serve the signer over HTTPS, asking clients for a certificate (default false)' })),
          cert_file: Type.Optional(Type.String({ minLength: 1, description: "with tls: the signer's certificate chain (PEM; default [tls] cert_file)" })),
          key_file: Type.Optional(Type.String({ minLength: 1, description: "with tls: the signer's private key (PEM, 0600; default [tls] key_file)" })),
          client_auth: Type.Optional(
            Type.Enum([...TLS_CLIENT_AUTH], {
              description: 'with tls: "request" (default) narrows a client that shows an identity certificate to its slots, "require" refuses signing to clients without one',
            }),
          ),
        },
        { additionalProperties: false, description: 'present: the daemon also serves the remote signer on its own listener' },
      ),
    ),
    crypto: Type.Optional(
      Type.Object(
        {
          provider: Type.Optional(Type.Enum([...PROVIDER_CHOICES], { description: 'crypto provider (default auto: native where available)' })),
          signature: Type.Optional(Type.Enum([...SIGNATURE_CHOICES], { description: 'vault signature scheme (default ML-DSA-65)' })),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, title: 'ontoref-vault config.toml' },
);

export type ConfigFile = Static<typeof CONFIG_FILE_SCHEMA>;

/** The resolved configuration: every default applied, durations and sizes in numbers, paths absolute. Deep-frozen. */
/** Where the vault's rows live: SQLite in the data dir, or a PostgreSQL database shared by a cluster. */
export interface StorageConfig {
  readonly backend: 'sqlite' | 'postgres';
  readonly sqliteDriver: SqliteDriverChoice;
  /** Set when backend is postgres. */
  readonly postgres: {
    readonly url: string;
    readonly node: string;
    readonly timeoutMs: number;
    readonly tlsCaFile: string | null;
    readonly tlsCertFile: string | null;
    readonly tlsKeyFile: string | null;
  } | null;
}

export interface Config {
  readonly listen: { readonly host: string; readonly port: number };
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  /** Requests taking at least `slowRequestMs` are logged; the audit log records every request. */
  readonly log: { readonly slowRequestMs: number };
  readonly seal: { readonly unsealKeyFile: string | null };
  readonly sessions: { readonly defaultTtlMs: number; readonly maxTtlMs: number };
  readonly limits: {
    readonly bodyLimit: number;
    readonly maxRequestRate: number | null;
    readonly authFailuresPerKey: number;
    readonly authFailuresPerAddress: number;
  };
  readonly crypto: { readonly provider: ProviderChoice; readonly signature: SignatureChoice };
  readonly storage: StorageConfig;
  /** Leases of a PostgreSQL cluster (docs/ha.md); unused on SQLite. */
  readonly cluster: { readonly leaseMs: number; readonly renewMs: number; readonly expectedNodes: number };
  /** Audit retention: what to archive (null: keep everything), where, and how often. */
  readonly audit: AuditRetentionConfig;
  /** Secret values: plaintext cap and read cache size, in bytes (0 disables the cache). */
  readonly secrets: { readonly maxValueBytes: number; readonly cacheBytes: number };
  /** HTTPS settings (paths absolute), or null for plain HTTP. */
  readonly tls: TlsConfig | null;
  /** `tls.disable`: plain HTTP on a non-loopback address was asked for explicitly. */
  readonly tlsDisable: boolean;
  /** CIDRs whose X-Forwarded-For is believed (empty: the socket address is the client). */
  readonly trustedProxies: readonly string[];
  /** `api_addr`, normalised, or null. */
  readonly apiAddr: string | null;
  /** The remote-signer listener, or null when `[signer]` is absent. */
  readonly signer: SignerConfig | null;
  /** The file the values came from, or null when none was read. */
  readonly file: string | null;
}

export interface AuditRetentionConfig {
  /** Entries older than `ms`, or beyond `bytes` of live entries, are archived; null: none. */
  readonly retain: { readonly ms: number } | { readonly bytes: number } | null;
  readonly archiveDir: string;
  readonly archiveIntervalMs: number;
}

export interface TlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile: string | null;
  /** Whether a client certificate is required or only asked for (meaningful with clientCaFile). */
  readonly clientAuth: (typeof TLS_CLIENT_AUTH)[number];
  readonly minVersion: TlsVersion;
}

export interface SignerConfig {
  readonly listen: { readonly host: string; readonly port: number };
  /** Canonical CIDRs (a bare address as /32 or /128). */
  readonly allow: readonly string[];
  /** 0x-prefixed 4-byte hex. */
  readonly genesisForkVersion: string;
  /** HTTPS on the signer listener (paths absolute), or null for plain HTTP. */
  readonly tls: SignerTlsConfig | null;
}

export interface SignerTlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  /** "require": eth2 routes refuse clients without a signer identity certificate. */
  readonly clientAuth: (typeof TLS_CLIENT_AUTH)[number];
  readonly minVersion: TlsVersion;
}

export const DEFAULT_SIGNER_LISTEN = '127.0.0.1:9000';
export const DEFAULT_SIGNER_ALLOW: readonly string[] = ['127.0.0.1', '::1'];

export interface ConfigProblem {
  /** Key path: `sessions.max_ttl`, `env.ONTOREF_ADDR`, or `` for the file as a whole. */
  readonly path: string;
  readonly message: string;
}

export interface ConfigInput {
  /** The environment to read `ONTOREF_*`, `XDG_DATA_HOME` and `HOME` from (normally process.env). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Config file; default `ONTOREF_CONFIG`, else `<data dir>/config.toml` (optional when implicit). */
  readonly path?: string;
  /** Base for relative paths in the environment; default process.cwd(). */
  readonly cwd?: string;
}

export interface ConfigCheck {
  /** Present exactly when `problems` is empty. */
  readonly config: Config | undefined;
  readonly problems: readonly ConfigProblem[];
  /** The file that was (or would have been) read. */
  readonly file: string;
}

const DEFAULTS = {
  defaultTtl: '1h',
  maxTtl: '24h',
  bodyLimit: 2 * 1024 * 1024,
  authFailuresPerKey: 5,
  authFailuresPerAddress: 20,
  secretMaxValueBytes: 64 * 1024,
  secretCacheBytes: 32 * 1024 * 1024,
} as const;
const SECRET_VALUE_MAX = 16 * 1024 * 1024;
const SECRET_CACHE_MAX = 4 * 1024 * 1024 * 1024;

const DEFAULT_TTL_MS = 3_600_000;
const DEFAULT_SLOW_REQUEST_MS = 1000;
const MAX_SLOW_REQUEST_MS = 3_600_000;
const BODY_LIMIT_MIN = 1024;
const BODY_LIMIT_MAX = 64 * 1024 * 1024;
const MIN_TTL_MS = 1000;

const checkFile = Compile(CONFIG_FILE_SCHEMA);

// ---------------------------------------------------------------------------------------
// Value parsers (durations live in src/util/duration.ts, re-exported here for callers of the config)

export { formatDuration, parseDuration };

const SIZE_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  KB: 1000,
  MB: 1000 ** 2,
  GB: 1000 ** 3,
};

/** Bytes in a size: an integer, or a string like "512KiB", "2MiB", "1MB"; undefined otherwise. */
export function parseSize(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^([0-9]{1,15})(B|KiB|MiB|GiB|KB|MB|GB)?$/.exec(value);
  if (m === null) return undefined;
  const n = Number(m[1]) * (SIZE_UNITS[m[2] ?? 'B'] as number);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * `host:port` (`[v6]:port` for IPv6) into its parts; undefined when malformed. Port 0
 * means "any free port" (tests); hosts are names or IP literals, nothing else.
 */
export function parseListen(text: string): { host: string; port: number } | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9](?:[A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)):([0-9]{1,5})$/.exec(text);
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: (m[1] ?? m[2]) as string, port };
}

/**
 * The listen address an `ONTOREF_ADDR` URL names; a problem message when it cannot be one.
 * A comma-separated list (the clients' failover list) gives the first address: every
 * entry must still be a URL, so a typo is caught here as well as in the clients.
 */
function listenFromAddr(addr: string): { host: string; port: number } | string {
  const parts = splitAddrList(addr);
  if (!Array.isArray(parts)) return (parts as { problem: string }).problem;
  const list = parts as readonly string[];
  let first: { host: string; port: number } | undefined;
  for (const [i, one] of list.entries()) {
    const l = listenFromOneAddr(one);
    if (typeof l === 'string') return list.length === 1 ? l : `address ${i + 1} of the list: ${l}`;
    first ??= l;
  }
  return first as { host: string; port: number };
}

function listenFromOneAddr(addr: string): { host: string; port: number } | string {
  let url: URL;
  try {
    url = new URL(addr);
  } catch {
    return 'must be an http:// URL such as http://127.0.0.1:8420';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http:// or https:// URL';
  if (url.username !== '' || url.password !== '') return 'must not carry credentials';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  const parsed = parseListen(`${host.includes(':') ? `[${host}]` : host}:${port}`);
  return parsed ?? 'names no usable host and port';
}

/** `addr` or `addr/prefix` as a canonical CIDR (a bare address gets its full length); undefined when malformed. */
export function normaliseCidr(text: string): string | undefined {
  const m = /^([0-9A-Fa-f:.]{2,45})(?:\/([0-9]{1,3}))?$/.exec(text);
  if (m === null) return undefined;
  const ip = m[1] as string;
  const family = isIP(ip);
  if (family === 0) return undefined;
  const max = family === 4 ? 32 : 128;
  const bits = m[2] === undefined ? max : Number(m[2]);
  if (bits > max) return undefined;
  return `${ip.toLowerCase()}/${bits}`;
}

/** The default data dir: `$XDG_DATA_HOME/ontoref-vault`, else `~/.local/share/ontoref-vault`. */
export function defaultDataDir(env: Readonly<Record<string, string | undefined>>): string {
  const xdg = env.XDG_DATA_HOME;
  if (xdg !== undefined && xdg !== '' && isAbsolute(xdg)) return join(xdg, 'ontoref-vault');
  const home = env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir();
  return join(home, '.local', 'share', 'ontoref-vault');
}

/** The data dir the environment alone names (`ONTOREF_DATA_DIR`, else the default). */
export function envDataDir(env: Readonly<Record<string, string | undefined>>, cwd: string = process.cwd()): string {
  const d = env.ONTOREF_DATA_DIR;
  return d !== undefined && d !== '' ? resolve(cwd, d) : defaultDataDir(env);
}

/** The config file to read and whether it was named explicitly (then it must exist). */
export function configFilePath(input: ConfigInput): { path: string; explicit: boolean } {
  const cwd = input.cwd ?? process.cwd();
  if (input.path !== undefined) return { path: resolve(cwd, input.path), explicit: true };
  const fromEnv = input.env.ONTOREF_CONFIG;
  if (fromEnv !== undefined && fromEnv !== '') return { path: resolve(cwd, fromEnv), explicit: true };
  return { path: join(envDataDir(input.env, cwd), 'config.toml'), explicit: false };
}

// ---------------------------------------------------------------------------------------
// Checking

function keyPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

/** Problems from the schema check, one per path, in words a config author understands. */
function schemaProblems(value: unknown): ConfigProblem[] {
  const byPath = new Map<string, string>();
  // typebox stops collecting at 8 errors by default (a process-wide setting); a config
  // check must report everything, so lift the cap for this synchronous call only.
  const previous = Settings.Get().maxErrors;
  let errors: ReturnType<typeof checkFile.Errors>;
  try {
    Settings.Set({ maxErrors: 1000 });
    errors = checkFile.Errors(value);
  } finally {
    Settings.Set({ maxErrors: previous });
  }
  for (const e of errors) {
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'additionalProperties') {
      const extra = Array.isArray(params.additionalProperties) ? (params.additionalProperties as unknown[]) : [];
      for (const k of extra) {
        const p = keyPath(e.instancePath);
        const path = p === '' ? String(k) : `${p}.${String(k)}`;
        byPath.set(path, 'unknown key');
      }
      continue;
    }
    const path = keyPath(e.instancePath);
    // `schema is false` repeats an unknown key already reported above.
    if (e.keyword === 'boolean' || byPath.has(path)) continue;
    byPath.set(path, describeSchemaError(path, e.keyword, params, e.message));
  }
  return [...byPath].map(([path, message]) => ({ path, message }));
}

const EXPECTED: Readonly<Record<string, string>> = {
  log_level: `one of ${LOG_LEVELS.join(', ')}`,
  'crypto.provider': `one of ${PROVIDER_CHOICES.join(', ')}`,
  'crypto.signature': `one of ${SIGNATURE_CHOICES.join(', ')}`,
  'storage.sqlite_driver': `one of ${SQLITE_DRIVER_CHOICES.join(', ')}`,
  'tls.client_auth': `one of ${TLS_CLIENT_AUTH.join(', ')}`,
  'tls.min_version': `one of ${TLS_VERSIONS.join(', ')}`,
  'sessions.default_ttl': 'a duration such as "15m" or "1h"',
  'sessions.max_ttl': 'a duration such as "15m" or "1h"',
  'cluster.lease': 'a duration such as "2s"',
  'cluster.renew': 'a duration such as "500ms"',
  'limits.body_limit': 'a byte count or a size such as "2MiB"',
  'secrets.max_value_bytes': 'a byte count or a size such as "64KiB"',
  'secrets.cache_bytes': 'a byte count or a size such as "32MiB"',
  'audit.archive_interval': 'a duration such as "1h" or "30m"',
};

const DEFAULT_ARCHIVE_INTERVAL_MS = 3_600_000;
const MIN_ARCHIVE_INTERVAL_MS = 1000;
const MAX_ARCHIVE_INTERVAL_MS = 7 * 86_400_000;
/** A retain size needs a unit: a bare number could be read as either kind. */
const RETAIN_SIZE = /^[0-9]{1,15}(B|KiB|MiB|GiB|KB|MB|GB)$/;

/** `audit.retain`: a duration (older entries go) or a size (live entries kept); a message when neither. */
export function parseRetain(text: string): { ms: number } | { bytes: number } | string {
  if (RETAIN_SIZE.test(text)) {
    const bytes = parseSize(text);
    return bytes !== undefined && bytes >= 1024 ? { bytes } : 'a size must be at least 1KiB';
  }
  const ms = parseDuration(text);
  if (ms === undefined) return 'must be a duration such as "30d" or a size such as "1GiB"';
  return ms >= 1000 ? { ms } : 'a duration must be at least 1s';
}

function describeSchemaError(path: string, keyword: string, params: Record<string, unknown>, fallback: string): string {
  const expected = EXPECTED[path];
  if (expected !== undefined) return `must be ${expected}`;
  switch (keyword) {
    case 'type':
      return `must be ${params.type === 'object' ? 'a table' : `a${String(params.type) === 'integer' ? 'n' : ''} ${String(params.type)}`}`;
    case 'minLength':
      return 'must not be empty';
    default:
      return fallback;
  }
}

function readConfigFile(path: string, explicit: boolean, problems: ConfigProblem[]): unknown {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) {
      problems.push({ path: '', message: `${path} is not a regular file` });
      return undefined;
    }
    size = st.size;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ENOENT' && !explicit) return {};
    problems.push({ path: '', message: code === 'ENOENT' ? `${path} does not exist` : `${path} cannot be read` });
    return undefined;
  }
  if (size > MAX_CONFIG_BYTES) {
    problems.push({ path: '', message: `${path} is larger than ${MAX_CONFIG_BYTES} bytes` });
    return undefined;
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(readFileSync(path));
  } catch {
    problems.push({ path: '', message: `${path} cannot be read as UTF-8 text` });
    return undefined;
  }
  try {
    return parseToml(text);
  } catch (e) {
    if (e instanceof TomlError) {
      const first = e.message.split('\n')[0]?.replace(/^Invalid TOML document: /, '') ?? 'syntax error';
      problems.push({ path: '', message: `invalid TOML at line ${e.line}, column ${e.column}: ${first}` });
    } else {
      problems.push({ path: '', message: 'invalid TOML' });
    }
    return undefined;
  }
}

/** Recursively freezes plain objects, so a resolved config can be shared without copies. */
function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/**
 * Checks a parsed config document (the TOML file's content, or `{}`) together with the
 * environment. `baseDir` resolves relative paths written in the file. Exported for tests
 * and callers that build the document themselves.
 */
export function resolveConfig(
  doc: unknown,
  env: Readonly<Record<string, string | undefined>>,
  opts: { baseDir: string; cwd?: string; file?: string | null },
): { config: Config | undefined; problems: ConfigProblem[] } {
  const cwd = opts.cwd ?? process.cwd();
  const problems = schemaProblems(doc);
  const bad = (path: string): boolean => problems.some((p) => p.path === path || p.path.startsWith(`${path}.`));
  // Values the schema rejected are skipped below (`bad`), so a wrong type never reaches a parser.
  const f: ConfigFile = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? doc : {};

  // listen: file, else ONTOREF_ADDR, else the default.
  let listen: { host: string; port: number } = parseListen(DEFAULT_LISTEN) as { host: string; port: number };
  if (f.listen !== undefined && !bad('listen')) {
    const l = parseListen(f.listen);
    if (l === undefined) problems.push({ path: 'listen', message: 'must be host:port, e.g. "127.0.0.1:8420" or "[::1]:8420"' });
    else listen = l;
  } else if (f.listen === undefined && env.ONTOREF_ADDR !== undefined && env.ONTOREF_ADDR !== '') {
    const l = listenFromAddr(env.ONTOREF_ADDR);
    if (typeof l === 'string') problems.push({ path: 'env.ONTOREF_ADDR', message: l });
    else listen = l;
  }

  // data_dir: file (relative to the file), else the environment.
  let dataDir = envDataDir(env, cwd);
  if (f.data_dir !== undefined && !bad('data_dir')) dataDir = resolve(opts.baseDir, f.data_dir);

  const logLevel: LogLevel = !bad('log_level') && f.log_level !== undefined ? f.log_level : 'info';
  let slowRequestMs = DEFAULT_SLOW_REQUEST_MS;
  const slow = f.log?.slow_request_ms;
  if (slow !== undefined && !bad('log.slow_request_ms')) {
    if (slow < 1 || slow > MAX_SLOW_REQUEST_MS) problems.push({ path: 'log.slow_request_ms', message: `must be between 1 and ${MAX_SLOW_REQUEST_MS}` });
    else slowRequestMs = slow;
  }

  const unsealKeyFile = !bad('seal') && f.seal?.unseal_key_file !== undefined ? resolve(opts.baseDir, f.seal.unseal_key_file) : null;

  // Sessions: durations in range and default <= max.
  const ttl = (key: 'default_ttl' | 'max_ttl', fallback: string): number | undefined => {
    const path = `sessions.${key}`;
    if (bad(path)) return undefined;
    const text = f.sessions?.[key] ?? fallback;
    const ms = parseDuration(text);
    if (ms === undefined) {
      problems.push({ path, message: 'must be a duration such as "15m" or "1h"' });
      return undefined;
    }
    if (ms < MIN_TTL_MS || ms > MAX_SESSION_TTL_MS) {
      problems.push({ path, message: `must be between 1s and ${formatDuration(MAX_SESSION_TTL_MS)}` });
      return undefined;
    }
    return ms;
  };
  const maxTtlMs = ttl('max_ttl', DEFAULTS.maxTtl);
  // An unset default_ttl follows a max_ttl set below it, rather than failing on a default nobody wrote.
  const defaultFallback = maxTtlMs !== undefined && maxTtlMs < DEFAULT_TTL_MS ? formatDuration(maxTtlMs) : DEFAULTS.defaultTtl;
  const defaultTtlMs = ttl('default_ttl', defaultFallback);
  if (defaultTtlMs !== undefined && maxTtlMs !== undefined && defaultTtlMs > maxTtlMs) {
    problems.push({ path: 'sessions.default_ttl', message: `must not exceed sessions.max_ttl (${formatDuration(maxTtlMs)})` });
  }

  // Limits.
  let bodyLimit: number = DEFAULTS.bodyLimit;
  if (f.limits?.body_limit !== undefined && !bad('limits.body_limit')) {
    const n = parseSize(f.limits.body_limit);
    if (n === undefined || n < BODY_LIMIT_MIN || n > BODY_LIMIT_MAX) {
      problems.push({ path: 'limits.body_limit', message: 'must be between 1KiB and 64MiB' });
    } else {
      bodyLimit = n;
    }
  }
  const intIn = (key: 'max_request_rate' | 'auth_failures_per_key' | 'auth_failures_per_address', min: number, max: number): number | undefined => {
    const v = f.limits?.[key];
    if (v === undefined || bad(`limits.${key}`)) return undefined;
    if (v < min || v > max) {
      problems.push({ path: `limits.${key}`, message: `must be between ${min} and ${max}` });
      return undefined;
    }
    return v;
  };
  // Cluster: every node keeps its own counters, so each enforces its share of the budget.
  const cl = !bad('cluster') ? f.cluster : undefined;
  const clusterMs = (key: 'lease' | 'renew', fallback: number, min: number, max: number, range: string): number => {
    const text = cl?.[key];
    if (text === undefined || bad(`cluster.${key}`)) return fallback;
    const ms = parseDuration(text);
    if (ms === undefined || ms < min || ms > max) {
      problems.push({ path: `cluster.${key}`, message: `must be between ${range}` });
      return fallback;
    }
    return ms;
  };
  const leaseMs = clusterMs('lease', 2000, 200, 60_000, '200ms and 60s');
  const renewMs = clusterMs('renew', Math.min(500, Math.floor(leaseMs / 4)), 10, 30_000, '10ms and 30s');
  if (renewMs * 2 > leaseMs) problems.push({ path: 'cluster.renew', message: 'must be at most half of cluster.lease' });
  let expectedNodes = 1;
  if (cl?.expected_nodes !== undefined && !bad('cluster.expected_nodes')) {
    if (cl.expected_nodes < 1 || cl.expected_nodes > 64) problems.push({ path: 'cluster.expected_nodes', message: 'must be between 1 and 64' });
    else expectedNodes = cl.expected_nodes;
  }
  const share = (n: number): number => Math.max(1, Math.ceil(n / expectedNodes));
  const rate = intIn('max_request_rate', 1, 1_000_000);
  const maxRequestRate = rate === undefined ? null : share(rate);
  const authFailuresPerKey = share(intIn('auth_failures_per_key', 1, 1000) ?? DEFAULTS.authFailuresPerKey);
  const authFailuresPerAddress = share(intIn('auth_failures_per_address', 1, 100_000) ?? DEFAULTS.authFailuresPerAddress);

  // Secrets: sizes in range.
  const size = (key: 'max_value_bytes' | 'cache_bytes', fallback: number, min: number, max: number, range: string): number => {
    const v = f.secrets?.[key];
    if (v === undefined || bad(`secrets.${key}`)) return fallback;
    const n = parseSize(v);
    if (n === undefined || n < min || n > max) {
      problems.push({ path: `secrets.${key}`, message: `must be between ${range}` });
      return fallback;
    }
    return n;
  };
  const maxValueBytes = size('max_value_bytes', DEFAULTS.secretMaxValueBytes, 1, SECRET_VALUE_MAX, '1B and 16MiB');
  const cacheBytes = size('cache_bytes', DEFAULTS.secretCacheBytes, 0, SECRET_CACHE_MAX, '0 and 4GiB');

  // Crypto: file, else ONTOREF_CRYPTO_PROVIDER, else auto.
  let provider: ProviderChoice = 'auto';
  if (f.crypto?.provider !== undefined && !bad('crypto.provider')) {
    provider = f.crypto.provider;
  } else if (f.crypto?.provider === undefined && env.ONTOREF_CRYPTO_PROVIDER !== undefined && env.ONTOREF_CRYPTO_PROVIDER !== '') {
    const p = env.ONTOREF_CRYPTO_PROVIDER;
    if ((PROVIDER_CHOICES as readonly string[]).includes(p)) provider = p as ProviderChoice;
    else problems.push({ path: 'env.ONTOREF_CRYPTO_PROVIDER', message: `must be one of ${PROVIDER_CHOICES.join(', ')}` });
  }
  const signature: SignatureChoice = !bad('crypto.signature') && f.crypto?.signature !== undefined ? f.crypto.signature : 'ML-DSA-65';

  let retain: AuditRetentionConfig['retain'] = null;
  if (f.audit?.retain !== undefined && !bad('audit.retain')) {
    const r = parseRetain(f.audit.retain);
    if (typeof r === 'string') problems.push({ path: 'audit.retain', message: r });
    else retain = r;
  }
  const archiveDir = !bad('audit.archive_dir') && f.audit?.archive_dir !== undefined ? resolve(opts.baseDir, f.audit.archive_dir) : join(dataDir, 'audit-archive');
  let archiveIntervalMs = DEFAULT_ARCHIVE_INTERVAL_MS;
  if (f.audit?.archive_interval !== undefined && !bad('audit.archive_interval')) {
    const ms = parseDuration(f.audit.archive_interval);
    if (ms === undefined || ms < MIN_ARCHIVE_INTERVAL_MS || ms > MAX_ARCHIVE_INTERVAL_MS) problems.push({ path: 'audit.archive_interval', message: 'must be between 1s and 7d' });
    else archiveIntervalMs = ms;
  }

  const sqliteDriver: SqliteDriverChoice = !bad('storage.sqlite_driver') && f.storage?.sqlite_driver !== undefined ? f.storage.sqlite_driver : 'auto';
  const st = !bad('storage') ? f.storage : undefined;
  const backend = st?.backend ?? 'sqlite';
  let postgres: StorageConfig['postgres'] = null;
  if (backend === 'postgres') {
    const url = env.ONTOREF_PG_URL !== undefined && env.ONTOREF_PG_URL !== '' ? env.ONTOREF_PG_URL : st?.url;
    let timeoutMs = 5000;
    if (st?.timeout !== undefined) {
      const ms = parseDuration(st.timeout);
      if (ms === undefined || ms < 100 || ms > 60_000) problems.push({ path: 'storage.timeout', message: 'must be between 100ms and 60s' });
      else timeoutMs = ms;
    }
    if (url === undefined) problems.push({ path: 'storage.url', message: 'is required with backend = "postgres" (or set ONTOREF_PG_URL)' });
    else if (!/^postgres(ql)?:\/\//.test(url)) problems.push({ path: 'storage.url', message: 'must be a postgres:// URL' });
    if ((st?.tls_cert_file === undefined) !== (st?.tls_key_file === undefined)) problems.push({ path: 'storage.tls_key_file', message: 'must be set together with storage.tls_cert_file' });
    const file = (v: string | undefined): string | null => (v === undefined ? null : resolve(opts.baseDir, v));
    postgres = {
      url: url ?? '',
      node: st?.node ?? defaultNodeName(),
      timeoutMs,
      tlsCaFile: file(st?.tls_ca_file),
      tlsCertFile: file(st?.tls_cert_file),
      tlsKeyFile: file(st?.tls_key_file),
    };
  } else if (st?.url !== undefined || st?.node !== undefined || st?.tls_ca_file !== undefined) {
    problems.push({ path: 'storage.backend', message: 'must be "postgres" when storage.url, node or tls files are set' });
  }
  // TLS: a certificate and its key together; client settings only with them.
  let tls: TlsConfig | null = null;
  const t = !bad('tls') ? f.tls : undefined;
  const tlsDisable = t?.disable === true;
  if (t !== undefined) {
    const has = (k: keyof NonNullable<ConfigFile['tls']>): boolean => t[k] !== undefined;
    if (tlsDisable && (has('cert_file') || has('key_file'))) {
      problems.push({ path: 'tls.disable', message: 'must not be set together with tls.cert_file and tls.key_file' });
    } else if (has('cert_file') !== has('key_file')) {
      problems.push({ path: has('cert_file') ? 'tls.key_file' : 'tls.cert_file', message: 'must be set together with the other of tls.cert_file and tls.key_file' });
    } else if (!has('cert_file') && (has('client_ca_file') || has('client_auth') || has('min_version'))) {
      problems.push({ path: 'tls', message: 'client_ca_file, client_auth and min_version need tls.cert_file and tls.key_file' });
    } else if (has('client_auth') && !has('client_ca_file')) {
      problems.push({ path: 'tls.client_auth', message: 'needs tls.client_ca_file (the CA that signs client certificates)' });
    } else if (t.cert_file !== undefined && t.key_file !== undefined) {
      tls = {
        certFile: resolve(opts.baseDir, t.cert_file),
        keyFile: resolve(opts.baseDir, t.key_file),
        clientCaFile: t.client_ca_file === undefined ? null : resolve(opts.baseDir, t.client_ca_file),
        clientAuth: t.client_auth ?? 'require',
        minVersion: t.min_version ?? 'TLSv1.3',
      };
    }
  }

  const trustedProxies: string[] = [];
  if (f.trusted_proxies !== undefined && !bad('trusted_proxies')) {
    f.trusted_proxies.forEach((c, i) => {
      const n = normaliseCidr(c);
      if (n === undefined) problems.push({ path: `trusted_proxies.${i}`, message: 'must be an IP address or CIDR such as "10.0.0.0/8" or "fd00::/8"' });
      else trustedProxies.push(n);
    });
  }

  let apiAddr: string | null = null;
  if (f.api_addr !== undefined && !bad('api_addr')) {
    let u: URL | undefined;
    try {
      u = new URL(f.api_addr);
    } catch {
      u = undefined;
    }
    if (u === undefined || (u.protocol !== 'http:' && u.protocol !== 'https:') || u.hostname === '' || u.username !== '' || u.password !== '') {
      problems.push({ path: 'api_addr', message: 'must be an http:// or https:// URL such as "https://vault.example.net:8420"' });
    } else {
      apiAddr = u.origin;
    }
  }

  let signer: SignerConfig | null = null;
  if (f.signer !== undefined && !bad('signer')) {
    const l = parseListen(f.signer.listen ?? DEFAULT_SIGNER_LISTEN);
    if (l === undefined) problems.push({ path: 'signer.listen', message: 'must be host:port, e.g. "127.0.0.1:9000"' });
    const allow: string[] = [];
    (f.signer.allow ?? DEFAULT_SIGNER_ALLOW).forEach((c, i) => {
      const n = normaliseCidr(c);
      if (n === undefined) problems.push({ path: `signer.allow.${i}`, message: 'must be an IP address or CIDR such as "127.0.0.1" or "10.0.0.0/8"' });
      else allow.push(n);
    });
    const st = f.signer;
    let signerTls: SignerTlsConfig | null = null;
    if (st.tls !== true) {
      if (st.cert_file !== undefined || st.key_file !== undefined || st.client_auth !== undefined) {
        problems.push({ path: 'signer.tls', message: 'must be true for signer.cert_file, signer.key_file and signer.client_auth' });
      }
    } else if ((st.cert_file === undefined) !== (st.key_file === undefined)) {
      problems.push({ path: st.cert_file === undefined ? 'signer.cert_file' : 'signer.key_file', message: 'must be set together with the other of signer.cert_file and signer.key_file' });
    } else if (st.cert_file === undefined && tls === null) {
      problems.push({ path: 'signer.tls', message: 'needs signer.cert_file and signer.key_file, or a [tls] table to share' });
    } else {
      signerTls = {
        certFile: st.cert_file === undefined ? (tls as TlsConfig).certFile : resolve(opts.baseDir, st.cert_file),
        keyFile: st.key_file === undefined ? (tls as TlsConfig).keyFile : resolve(opts.baseDir, st.key_file),
        clientAuth: st.client_auth ?? 'request',
        minVersion: tls?.minVersion ?? 'TLSv1.3',
      };
    }
    if (l !== undefined) signer = { listen: l, allow, genesisForkVersion: (st.genesis_fork_version ?? '0x00000000').toLowerCase(), tls: signerTls };
  }

  if (problems.length > 0) return { config: undefined, problems };
  const config: Config = {
    listen,
    dataDir,
    logLevel,
    log: { slowRequestMs },
    seal: { unsealKeyFile },
    sessions: { defaultTtlMs: defaultTtlMs as number, maxTtlMs: maxTtlMs as number },
    limits: { bodyLimit, maxRequestRate, authFailuresPerKey, authFailuresPerAddress },
    crypto: { provider, signature },
    storage: { backend, sqliteDriver, postgres },
    cluster: { leaseMs, renewMs, expectedNodes },
    audit: { retain, archiveDir, archiveIntervalMs },
    secrets: { maxValueBytes, cacheBytes },
    tls,
    tlsDisable,
    trustedProxies,
    apiAddr,
    signer,
    file: opts.file ?? null,
  };
  return { config: deepFreeze(config), problems: [] };
}

/**
 * Reads and checks the configuration; never throws for a bad config, returns every
 * problem instead (`vault config validate`).
 */
export function checkConfig(input: ConfigInput): ConfigCheck {
  const cwd = input.cwd ?? process.cwd();
  const { path, explicit } = configFilePath(input);
  const problems: ConfigProblem[] = [];
  const doc = readConfigFile(path, explicit, problems);
  if (doc === undefined) return { config: undefined, problems, file: path };
  let existed = explicit;
  if (!explicit) {
    try {
      existed = statSync(path).isFile();
    } catch {
      existed = false;
    }
  }
  const r = resolveConfig(doc, input.env, { baseDir: dirname(path), cwd, file: existed ? path : null });
  return { config: r.config, problems: r.problems, file: path };
}

/**
 * Problems with the files a valid config points to (`seal.unseal_key_file`), each under
 * the key that named the file and with the resolved path, so a daemon never fails at start
 * with a bare file error. Checked where the files are about to be used (`vault server`,
 * `vault config validate`), not while parsing: a config may be written before its files.
 */
export function checkConfigFiles(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const file = config.seal.unsealKeyFile;
  if (file !== null) {
    const path = 'seal.unseal_key_file';
    const from = config.file === null ? '' : ` (resolved against ${dirname(config.file)})`;
    try {
      const st = statSync(file);
      if (!st.isFile()) problems.push({ path, message: `${file} is not a regular file` });
      else if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) problems.push({ path, message: `${file} is accessible by group or others (chmod 600 it)` });
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      problems.push({ path, message: code === 'ENOENT' ? `${file} does not exist${from}` : `${file} cannot be read${from}` });
    }
  }
  return problems;
}

/** One line per problem: `path: message` (the file itself has the empty path). */
export function formatProblems(problems: readonly ConfigProblem[]): string[] {
  return problems.map((p) => (p.path === '' ? p.message : `${p.path}: ${p.message}`));
}

/**
 * The daemon's configuration. Throws `OV_CONFIG_INVALID` whose detail holds every
 * problem (`detail.problems`, one `path: message` per line) and their number.
 */
export function loadConfig(input: ConfigInput): Config {
  const r = checkConfig(input);
  if (r.config === undefined) {
    throw new VaultError('OV_CONFIG_INVALID', { file: r.file, count: r.problems.length, problems: formatProblems(r.problems).join('\n') });
  }
  return r.config;
}

/** The host name, lower-cased, with every character a node name cannot hold made `_`. */
function defaultNodeName(): string {
  const name = hostname().toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 32);
  return name === '' ? 'main' : name;
}

/**
 * How the CLI reports errors, in age's voice (`age/cmd/age/tui.go`): one
 * `vault: error: <message>` line on stderr, lowercase, no trailing period, then optional
 * `vault: hint: ...` lines with a next step. Messages come from the registry in
 * src/errors.ts; a CLI-raised error may add a short `reason` (an option or file name,
 * never a secret value).
 *
 * Exit codes: 0 ok, 1 usage or local error, 2 error reported by the daemon. A VaultError
 * counts as a daemon error when its detail carries `origin: 'daemon'`: the HTTP client
 * (src/client/errors.ts, DaemonError) sets that when it rebuilds an error from a daemon
 * response, since it cannot import this module (imports point downward).
 * @module
 */
import { VaultError, type ErrorCode } from '../src/errors.js';

export const EXIT_OK = 0;
export const EXIT_LOCAL = 1;
export const EXIT_DAEMON = 2;

/** A VaultError raised by the CLI itself, with an optional reason and hints. */
export class CliError extends VaultError {
  readonly reason: string | undefined;
  readonly hints: readonly string[];

  /**
   * `fromDaemon`: the daemon refused and the CLI words it better than the registry
   * message alone (exit code 2, as for any daemon error).
   */
  constructor(code: ErrorCode, opts: { reason?: string; hints?: readonly string[]; fromDaemon?: boolean } = {}) {
    super(code, opts.fromDaemon === true ? { origin: 'daemon' } : undefined);
    this.name = 'CliError';
    this.reason = opts.reason;
    this.hints = opts.hints ?? [];
  }
}

/** Usage error (exit 1) pointing at the command's help. */
export function usageError(reason: string, commandPath = 'vault'): CliError {
  return new CliError('OV_USAGE', { reason, hints: [`run '${commandPath} --help' for usage`] });
}

/** Next steps shown for registry errors wherever they come from. */
const DEFAULT_HINTS: Partial<Record<ErrorCode, readonly string[]>> = {
  OV_TLS_REQUIRED: [
    'set tls.cert_file and tls.key_file in the config (vault tls gen makes a local CA and certificate)',
    'or set tls.disable = true to serve plain HTTP anyway (tokens and secrets then cross the network in the clear)',
    'or listen on a loopback address such as 127.0.0.1:8420',
  ],
  OV_PROVIDER_UNKNOWN: ['set ONTOREF_CRYPTO_PROVIDER to auto, noble or native, or unset it'],
  OV_AGE_MIXED_RECIPIENTS: ['use only age1pq1... recipients, or pass --allow-mixed to accept X25519 protection for the file'],
  OV_PROVIDER_UNAVAILABLE: [
    'native ML-KEM and ML-DSA need Node >= 24.7 with OpenSSL >= 3.5',
    'unset ONTOREF_CRYPTO_PROVIDER or set it to noble',
  ],
};

/** OV_DATADIR_LOCKED in the CLI's words: who holds the data dir and what to do about it. */
export function dataDirLocked(e: VaultError, dataDir: string): CliError {
  const pid = e.detail?.['pid'];
  const file = e.detail?.['file'];
  if (typeof file === 'string') {
    return new CliError('OV_DATADIR_LOCKED', {
      reason: `${dataDir}: a process died while taking over its lock`,
      hints: ['nothing was changed', `make sure no 'vault server' runs on it, then remove ${file}`],
    });
  }
  return new CliError('OV_DATADIR_LOCKED', {
    reason: `${dataDir} is held by pid ${typeof pid === 'number' ? pid : '?'}`,
    hints: ['nothing was changed', `stop the daemon first (pid ${typeof pid === 'number' ? pid : '?'}), then run this again`],
  });
}

export function isFromDaemon(e: VaultError): boolean {
  return e.detail?.['origin'] === 'daemon';
}

/**
 * Hints for errors the daemon reported, by code: the next step differs from the same code
 * raised locally (a daemon's 401 means the session is gone; a local one would not).
 */
const DAEMON_HINTS: Partial<Record<ErrorCode, readonly string[]>> = {
  OV_AUTH_INVALID: ["run 'vault login' to start a new session"],
  OV_FORBIDDEN: ["'vault token lookup' shows this session's role and scope"],
  OV_SEALED: ["run 'vault unseal' to unseal it"],
  OV_NOT_INITIALIZED: ["run 'vault setup --gen-keys' on the daemon's host"],
  OV_DAEMON_RESPONSE: ['check that ONTOREF_ADDR points at an ontoref-vault daemon of a compatible version'],
};

/** Hints a command attached to an error it did not create (see {@link withHints}). */
const attached = new WeakMap<VaultError, readonly string[]>();

/**
 * Attaches hints to an error (e.g. one the HTTP client raised) without changing its class,
 * code or detail, so its exit code stays what it was. Returns the same error.
 */
export function withHints<E extends VaultError>(e: E, hints: readonly string[]): E {
  attached.set(e, hints);
  return e;
}

function hintsFor(e: VaultError): readonly string[] {
  const tried = e.detail?.['tried'];
  // A request that failed over: every address it tried, and what each came to.
  return typeof tried === 'string' ? [`tried ${tried}`, ...ownHints(e)] : ownHints(e);
}

function ownHints(e: VaultError): readonly string[] {
  const own = attached.get(e);
  if (own !== undefined) return own;
  if (e instanceof CliError && e.hints.length > 0) return e.hints;
  if (isFromDaemon(e)) return DAEMON_HINTS[e.code] ?? [];
  if (e.code === 'OV_DAEMON_UNREACHABLE') {
    const addr = e.detail?.['addr'];
    const reason = e.detail?.['reason'];
    return [
      `no answer from ${typeof addr === 'string' ? addr : 'the daemon'}${typeof reason === 'string' ? ` (${reason})` : ''}`,
      "check ONTOREF_ADDR, or start the daemon with 'vault server'",
    ];
  }
  if (e.code === 'OV_TLS_CONFIG') {
    const file = e.detail?.['file'];
    const reason = e.detail?.['reason'];
    return [`${typeof file === 'string' ? file : '[tls]'}: ${typeof reason === 'string' ? reason : 'unusable'}`, 'vault tls gen makes a local CA and a server certificate'];
  }
  if (e.code === 'OV_TLS_HANDSHAKE') {
    const addr = e.detail?.['addr'];
    const reason = e.detail?.['reason'];
    const fix: Readonly<Record<string, string>> = {
      'unknown CA': 'trust the daemon\'s CA: ONTOREF_CACERT=<data dir>/tls/ca.pem (or ONTOREF_CAPATH=DIR)',
      'name mismatch': 'use a host name the certificate names (vault tls gen --tls-san NAME adds one)',
      'certificate expired': "renew it on the daemon's host: vault tls gen, then SIGHUP the daemon",
      'client certificate required': 'set ONTOREF_CLIENT_CERT and ONTOREF_CLIENT_KEY to a certificate signed by the client CA',
    };
    const hint = typeof reason === 'string' ? fix[reason] : undefined;
    return [`${typeof addr === 'string' ? addr : 'the daemon'}: ${typeof reason === 'string' ? reason : 'handshake failed'}`, ...(hint === undefined ? [] : [hint])];
  }
  return DEFAULT_HINTS[e.code] ?? [];
}

export function exitCodeFor(e: unknown): number {
  return e instanceof VaultError && isFromDaemon(e) ? EXIT_DAEMON : EXIT_LOCAL;
}

/**
 * The stderr lines for an error. Unexpected exceptions print a fixed line: their messages
 * come from code we do not control and could quote input, so the message and stack are
 * shown only with ONTOREF_DEBUG=1.
 */
export function formatError(e: unknown, debug: boolean): string[] {
  if (!(e instanceof VaultError)) {
    const lines = ['vault: error: internal error'];
    if (debug) {
      const text = e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
      for (const l of text.split('\n')) lines.push(`vault: debug: ${l}`);
    } else {
      lines.push('vault: hint: set ONTOREF_DEBUG=1 to see the details');
    }
    return lines;
  }
  const reason = e instanceof CliError ? e.reason : undefined;
  const lines = [`vault: error: ${e.message}${reason === undefined ? '' : `: ${reason}`}`];
  for (const h of hintsFor(e)) lines.push(`vault: hint: ${h}`);
  if (debug) {
    // Registry messages and details are secret-free by contract; causes are not printed.
    lines.push(`vault: debug: code ${e.code}`);
    if (e.detail !== undefined) lines.push(`vault: debug: detail ${JSON.stringify(e.detail)}`);
    for (const l of (e.stack ?? '').split('\n').slice(1)) lines.push(`vault: debug: ${l}`);
  }
  return lines;
}

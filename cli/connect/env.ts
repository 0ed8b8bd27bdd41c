/**
 * The fixed environment names, as the commands that talk to the daemon read them from
 * the snapshot cli/main.ts takes at start-up: the daemon address, the session token and
 * its file, the admin key file, the data dir and the config file.
 * An empty variable counts as unset, as in most shells' `${VAR:-default}`.
 * @module
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { DEFAULT_ADDR } from '../../src/util/addr.js';
import type { CommandContext } from '../command.js';


function v(ctx: CommandContext<unknown>, name: string): string | undefined {
  const x = ctx.env.vars[name];
  return x === undefined || x === '' ? undefined : x;
}

function home(ctx: CommandContext<unknown>): string {
  return v(ctx, 'HOME') ?? homedir();
}

/** XDG base directories must be absolute; a relative value is ignored (the spec says so). */
function xdg(ctx: CommandContext<unknown>, name: string, fallback: string): string {
  const x = v(ctx, name);
  return x !== undefined && isAbsolute(x) ? x : join(home(ctx), fallback);
}

/** ONTOREF_ADDR (one address or a comma-separated list), default http://127.0.0.1:8420. */
export function daemonAddr(ctx: CommandContext<unknown>): string {
  return v(ctx, 'ONTOREF_ADDR') ?? DEFAULT_ADDR;
}

/** How to trust and authenticate to an https daemon: file paths from the environment. */
export interface TlsEnv {
  /** ONTOREF_CACERT: a PEM file of CA certificates. */
  readonly caCert: string | undefined;
  /** ONTOREF_CAPATH: a directory of PEM files (`*.pem`, `*.crt`, OpenSSL's hashed `*.0`). */
  readonly caPath: string | undefined;
  readonly clientCert: string | undefined;
  readonly clientKey: string | undefined;
  /** ONTOREF_SKIP_VERIFY=true: any server certificate is accepted (warned on every call). */
  readonly skipVerify: boolean;
}

export function tlsEnv(ctx: CommandContext<unknown>): TlsEnv {
  const path = (name: string): string | undefined => {
    const x = v(ctx, name);
    return x === undefined ? undefined : resolve(x);
  };
  return {
    caCert: path('ONTOREF_CACERT'),
    caPath: path('ONTOREF_CAPATH'),
    clientCert: path('ONTOREF_CLIENT_CERT'),
    clientKey: path('ONTOREF_CLIENT_KEY'),
    skipVerify: v(ctx, 'ONTOREF_SKIP_VERIFY') === 'true',
  };
}

/** ONTOREF_TOKEN, when set. */
export function envToken(ctx: CommandContext<unknown>): string | undefined {
  return v(ctx, 'ONTOREF_TOKEN');
}

/** The token file `vault login` writes: $XDG_CONFIG_HOME/ontoref/token (default ~/.config/ontoref/token). */
export function tokenFile(ctx: CommandContext<unknown>): string {
  return join(xdg(ctx, 'XDG_CONFIG_HOME', '.config'), 'ontoref', 'token');
}

/** ONTOREF_DATA_DIR, else $XDG_DATA_HOME/ontoref-vault, else ~/.local/share/ontoref-vault. */
export function dataDir(ctx: CommandContext<unknown>, flag?: string): string {
  if (flag !== undefined) return resolve(flag);
  const d = v(ctx, 'ONTOREF_DATA_DIR');
  return d !== undefined ? resolve(d) : join(xdg(ctx, 'XDG_DATA_HOME', '.local/share'), 'ontoref-vault');
}

/** ONTOREF_CONFIG, else <data dir>/config.toml. */
export function configPath(ctx: CommandContext<unknown>): string {
  const c = v(ctx, 'ONTOREF_CONFIG');
  return c !== undefined ? resolve(c) : join(dataDir(ctx), 'config.toml');
}

/** Where the daemon admin key lives: ONTOREF_ADMIN_TOKEN_FILE, else <data dir>/admin.token. */
export function adminTokenFile(ctx: CommandContext<unknown>, dir?: string): string {
  const f = v(ctx, 'ONTOREF_ADMIN_TOKEN_FILE');
  return f !== undefined ? resolve(f) : join(dir ?? dataDir(ctx), 'admin.token');
}

/** ONTOREF_ADMIN_TOKEN (discouraged: visible in the environment of every child process). */
export function envAdminToken(ctx: CommandContext<unknown>): string | undefined {
  return v(ctx, 'ONTOREF_ADMIN_TOKEN');
}

/** The snapshot as a plain record, for loadConfig({ env }). */
export function envRecord(ctx: CommandContext<unknown>): Record<string, string | undefined> {
  return { ...ctx.env.vars };
}

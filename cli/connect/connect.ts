/**
 * How a daemon command gets its client: the address from ONTOREF_ADDR and the session
 * token from ONTOREF_TOKEN, else from the token file `vault login` wrote
 * ($XDG_CONFIG_HOME/ontoref/token, mode 0600; a file others may read is refused, since
 * anyone who read it holds the session; so is one in a directory that another user owns
 * or that group or others may write, as ssh does, since whoever can write the directory
 * can swap the file for one naming their own session). The client module is imported lazily so that
 * `--help` and usage errors stay fast.
 * @module
 */
import { lstat, mkdir, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type * as ClientIndex from '../../src/client/index.js';
import type { TlsClientOptions, VaultClient } from '../../src/client/index.js';
import type { CommandContext } from '../command.js';
import { CliError } from '../errors.js';
import { ioError, prepareFile, quotePath, readSecretFile } from '../io.js';
import { daemonAddr, envToken, tlsEnv, tokenFile } from './env.js';
import { firstLine } from './secret-input.js';

export type ClientLib = typeof ClientIndex;

let lib: Promise<ClientLib> | undefined;
export function clientLib(): Promise<ClientLib> {
  lib ??= import('../../src/client/index.js');
  return lib;
}

function errnoCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
}

/**
 * Refuses a token file directory that another user owns or that group or others may
 * write (root-owned directories are fine, as for ssh). No-op where there are no uids.
 */
export async function checkTokenDir(path: string, opts: { readonly missingOk?: boolean } = {}): Promise<void> {
  if (typeof process.getuid !== 'function') return;
  const dir = dirname(path);
  let st;
  try {
    st = await stat(dir);
  } catch (e) {
    if (opts.missingOk === true && errnoCode(e) === 'ENOENT') return;
    throw ioError(e, 'read', dir);
  }
  const uid = process.getuid();
  if (st.uid !== uid && st.uid !== 0) {
    throw new CliError('OV_UNSAFE_PERMISSIONS', {
      reason: `${quotePath(dir)} (holding the token file) is owned by another user`,
      hints: [`keep the token file in a directory you own, e.g. set XDG_CONFIG_HOME, or chown ${uid} ${quotePath(dir)}`],
    });
  }
  if ((st.mode & 0o022) !== 0) {
    throw new CliError('OV_UNSAFE_PERMISSIONS', {
      reason: `${quotePath(dir)} (holding the token file) is writable by group or others`,
      hints: [`chmod go-w ${quotePath(dir)} (or chmod 700), then run 'vault login' again`],
    });
  }
}

/** The token in `path`, or undefined when there is no such file. */
export async function readTokenFile(ctx: CommandContext<unknown>, path: string): Promise<string | undefined> {
  try {
    await lstat(path);
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw ioError(e, 'read', path);
  }
  await checkTokenDir(path);
  const data = await readSecretFile(ctx, path);
  const token = firstLine(Buffer.from(data).toString('utf8'));
  data.fill(0);
  return token === '' ? undefined : token;
}

/** Writes the token file (0600, replacing an older one atomically) in a 0700 directory. */
export async function writeTokenFile(path: string, token: string): Promise<void> {
  try {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  } catch (e) {
    throw ioError(e, 'write', dirname(path));
  }
  await checkTokenDir(path);
  const f = await prepareFile(path, `${token}\n`, { secret: true });
  await f.commit();
}

/** Removes the token file; false when there was none. */
export async function removeTokenFile(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return false;
    throw ioError(e, 'write', path);
  }
}

export interface ResolvedToken {
  readonly token: string | undefined;
  readonly source: 'ONTOREF_TOKEN' | 'file' | 'none';
  /** The token file path (whether or not it exists). */
  readonly file: string;
}

/** ONTOREF_TOKEN, else the token file, else none. */
export async function resolveToken(ctx: CommandContext<unknown>): Promise<ResolvedToken> {
  const file = tokenFile(ctx);
  const env = envToken(ctx);
  if (env !== undefined) return { token: env.trim(), source: 'ONTOREF_TOKEN', file };
  const t = await readTokenFile(ctx, file);
  return t === undefined ? { token: undefined, source: 'none', file } : { token: t, source: 'file', file };
}

async function readPemFile(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError('OV_INVALID_ARGUMENT', { reason: `${what} ${path} cannot be read (${errnoCode(e) ?? 'error'})` });
  }
}

/** The TLS settings for an https address, from ONTOREF_CACERT, _CAPATH, _CLIENT_CERT, _CLIENT_KEY. */
export async function tlsOptions(ctx: CommandContext<unknown>): Promise<TlsClientOptions> {
  const env = tlsEnv(ctx);
  const ca: string[] = [];
  if (env.caCert !== undefined) ca.push(await readPemFile(env.caCert, 'ONTOREF_CACERT'));
  if (env.caPath !== undefined) {
    let names: string[];
    try {
      names = await readdir(env.caPath);
    } catch (e) {
      throw new CliError('OV_INVALID_ARGUMENT', { reason: `ONTOREF_CAPATH ${env.caPath} cannot be read (${errnoCode(e) ?? 'error'})` });
    }
    for (const n of names.sort()) {
      if (/\.(pem|crt)$|\.[0-9]+$/.test(n)) ca.push(await readPemFile(join(env.caPath, n), 'ONTOREF_CAPATH file'));
    }
  }
  if ((env.clientCert === undefined) !== (env.clientKey === undefined)) {
    throw new CliError('OV_INVALID_ARGUMENT', { reason: 'ONTOREF_CLIENT_CERT and ONTOREF_CLIENT_KEY must be set together' });
  }
  const client =
    env.clientCert !== undefined && env.clientKey !== undefined
      ? { cert: await readPemFile(env.clientCert, 'ONTOREF_CLIENT_CERT'), key: await readPemFile(env.clientKey, 'ONTOREF_CLIENT_KEY') }
      : {};
  if (env.skipVerify) {
    ctx.warn('ONTOREF_SKIP_VERIFY=true: the server certificate is NOT verified; anyone on the network path can read and change this session');
  }
  return { ca, ...client, ...(env.skipVerify ? { skipVerify: true } : {}) };
}

/**
 * A client for ONTOREF_ADDR (one address, or several separated by commas that each
 * request tries in turn). With `auth` (the default) it carries the resolved session
 * token; without one the request still goes out and the daemon's 401 explains the rest
 * (with the `vault login` hint).
 */
export async function connect(ctx: CommandContext<unknown>, opts: { auth?: boolean } = {}): Promise<VaultClient> {
  const { VaultClient } = await clientLib();
  const addr = daemonAddr(ctx);
  const token = opts.auth === false ? undefined : (await resolveToken(ctx)).token;
  try {
    // TLS files are read only for an https address, so plain-http start-up does no more work.
    const tls = /^\s*https:/i.test(addr) ? await tlsOptions(ctx) : undefined;
    return new VaultClient({ addr, ...(token === undefined ? {} : { token }), ...(tls === undefined ? {} : { tls }) });
  } catch (e) {
    const field = (e as { detail?: Record<string, unknown> }).detail?.['field'];
    if (e instanceof CliError) throw e;
    if (field === 'addr') {
      // The reason is the client's own wording (a position in the list, never the text).
      const why = (e as { detail?: Record<string, unknown> }).detail?.['reason'];
      throw new CliError('OV_INVALID_ARGUMENT', {
        reason: `ONTOREF_ADDR must be an http:// or https:// URL, or several separated by commas${typeof why === 'string' ? ` (${why})` : ''}`,
        hints: [`unset it to use the default, http://127.0.0.1:8420`],
      });
    }
    if (field === 'token') throw new CliError('OV_INVALID_ARGUMENT', { reason: 'the session token has an invalid form', hints: ["run 'vault login' to start a new session"] });
    throw e;
  }
}

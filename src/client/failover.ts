/**
 * Several daemons behind one client: `ONTOREF_ADDR=https://a:8420,https://b:8420`. The
 * address list, the order a request tries it in (the address that last answered first, for
 * the rest of the process, then the others in list order), and when a failed attempt may
 * move on to the next address.
 *
 * Idempotent requests (GET, HEAD, DELETE, and PUT except `PUT /v1/secrets/*`: repeating
 * them leaves the same state) move on after a failure to connect, a reset or timeout
 * before any answer byte, a timeout while the answer is read, or any 503.
 *
 * Other requests (POST, secret writes) move on only when the daemon cannot have acted on
 * them: no connection was made (refused, unknown host, a connect that timed out), the TLS
 * handshake failed (the daemon reads no request before it), or a 503 OV_SEALED or
 * OV_CLUSTER_LEASE, which the auth plugin's onRequest hook answers before the body is even
 * parsed. Not after OV_STORAGE_UNAVAILABLE: the storage raises that from inside the route
 * handler, possibly after an earlier statement committed (or with its COMMIT's outcome
 * unknown), so a second daemon could apply the write twice. Never after the request may
 * have been sent and the connection died without an answer.
 * @module
 */
import { VaultError } from '../errors.js';
import { splitAddrList } from '../util/addr.js';
import { DaemonError } from './errors.js';
import type { Stage } from './http.js';

/** The daemon codes that say the request was refused before its handler ran. */
const REFUSED_BEFORE_HANDLER: ReadonlySet<string> = new Set(['OV_SEALED', 'OV_CLUSTER_LEASE']);

/** Network codes that can only mean no connection was made (for a caller's own fetch, which reports no stage). */
const NEVER_CONNECTED: ReadonlySet<string> = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);

/** Which later attempts one failure allows: every request, idempotent ones only, or none. */
export type MoveOn = 'any' | 'idempotent' | 'none';

function addrError(reason: string): VaultError {
  return new VaultError('OV_INVALID_ARGUMENT', { field: 'addr', reason });
}

/**
 * Checks and normalises one daemon address: http or https, no credentials, query or
 * fragment; a trailing slash or path prefix is kept as the base. OV_INVALID_ARGUMENT
 * (field `addr`) otherwise.
 */
export function parseAddr(addr: string): URL {
  let url: URL;
  try {
    url = new URL(addr);
  } catch {
    throw addrError('not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw addrError('scheme must be http or https');
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw addrError('no credentials, query or fragment allowed');
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

/**
 * A comma-separated list of daemon addresses, each as {@link parseAddr} takes it. One
 * scheme for all of them (failing over from https to http would send the token in the
 * clear), and no address twice. OV_INVALID_ARGUMENT (field `addr`, a reason naming the
 * entry's position, never its text) otherwise.
 */
export function parseAddrList(text: string): readonly URL[] {
  if (typeof text !== 'string') throw addrError('not a URL');
  const parts = splitAddrList(text);
  if (!Array.isArray(parts)) throw addrError((parts as { problem: string }).problem);
  const list = parts as readonly string[];
  const urls = list.map((p, i) => {
    try {
      return parseAddr(p);
    } catch (e) {
      const reason = (e as VaultError).detail?.['reason'];
      throw list.length === 1 ? e : addrError(`address ${i + 1} of the list: ${String(reason)}`);
    }
  });
  const first = urls[0] as URL;
  if (urls.some((u) => u.protocol !== first.protocol)) throw addrError('every address of the list must use the same scheme');
  const seen = new Set<string>();
  for (const [i, u] of urls.entries()) {
    if (seen.has(u.href)) throw addrError(`address ${i + 1} of the list repeats an earlier one`);
    seen.add(u.href);
  }
  return urls;
}

/** The address that last answered, per address list, for the rest of the process. */
const answered = new Map<string, number>();

/** The order one request tries the list in: the address that last answered, then the rest in list order. */
export function attemptOrder(key: string, n: number): number[] {
  const first = answered.get(key) ?? 0;
  const rest: number[] = [];
  for (let i = 0; i < n; i++) if (i !== first) rest.push(i);
  return [first, ...rest];
}

export function rememberAnswer(key: string, index: number): void {
  answered.set(key, index);
}

/** What a network failure allows. `stage` is undefined for a caller's fetch (known by its code only). */
export function moveOnAfterNetwork(err: VaultError, stage: Stage | undefined, timedOut: boolean): MoveOn {
  if (err.code === 'OV_TLS_HANDSHAKE') return 'any';
  const reason = err.detail?.['reason'];
  const never = stage === undefined ? typeof reason === 'string' && NEVER_CONNECTED.has(reason) : stage === 'connect';
  if (never) return 'any';
  if (stage === 'answer' && !timedOut) return 'none';
  return 'idempotent';
}

/** What a daemon's error answer allows. */
export function moveOnAfterAnswer(err: DaemonError): MoveOn {
  if (err.httpStatus !== 503) return 'none';
  return REFUSED_BEFORE_HANDLER.has(err.code) ? 'any' : 'idempotent';
}

/**
 * Whether repeating the request leaves the same state: GET, HEAD, DELETE, and PUT except
 * a secret write (`PUT v1/secrets/...` adds a version each time).
 */
export function isIdempotent(method: string, path: string): boolean {
  if (method === 'GET' || method === 'HEAD' || method === 'DELETE') return true;
  return method === 'PUT' && !/^\/*v1\/secrets\//.test(path);
}

/** One address as shown in an error: origin and path prefix, without the trailing slash. */
export function addrLabel(u: URL): string {
  return u.pathname === '/' ? u.origin : `${u.origin}${u.pathname.replace(/\/$/, '')}`;
}

/** What one attempt came to, for the `tried` detail: the network reason, or the status and code. */
export function outcomeOf(e: VaultError): string {
  if (e instanceof DaemonError) return `${e.httpStatus} ${e.code}`;
  const reason = e.detail?.['reason'];
  return typeof reason === 'string' ? reason : e.code;
}

/**
 * The error for a request that tried more than one address: the same code (and class, so
 * a daemon's answer keeps its exit code), with `detail.tried` naming every address tried
 * and what each came to, and for an unreachable list `detail.addr` naming them all.
 */
export function withTried(e: VaultError, tried: readonly string[], addrs: readonly string[]): VaultError {
  if (tried.length < 2) return e;
  const text = tried.join(', ');
  // DaemonError adds its `origin` mark itself.
  const detail = Object.fromEntries(Object.entries(e.detail ?? {}).filter(([k]) => k !== 'origin'));
  if (e instanceof DaemonError) return new DaemonError(e.code, e.httpStatus, { ...detail, tried: text });
  return new VaultError(e.code, { ...detail, ...(e.code === 'OV_DAEMON_UNREACHABLE' || e.code === 'OV_TLS_HANDSHAKE' ? { addr: addrs.join(', ') } : {}), tried: text }, { cause: e.cause });
}

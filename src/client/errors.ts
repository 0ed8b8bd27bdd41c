/**
 * Errors of the HTTP client. An error the daemon reports (`{"error": {"code", "message"}}`)
 * is rebuilt as a {@link DaemonError}: a VaultError with the same registry code, marked
 * `fromDaemon` and carrying `origin: 'daemon'` in its detail (the mark cli/errors.ts turns
 * into exit code 2). The daemon's message text is not shown: the registry message for the
 * code is, so nothing a peer sends is echoed verbatim into a terminal or a log.
 *
 * Failures to talk to the daemon at all (connection refused, unknown host, timeout) are
 * local errors, OV_DAEMON_UNREACHABLE; an answer the client cannot read is a daemon error
 * with OV_DAEMON_RESPONSE, also used for codes this client version does not know.
 * @module
 */
import { ERRORS, VaultError, type ErrorCode } from '../errors.js';

type Detail = Record<string, string | number | boolean>;

/** An error reported by the daemon in an HTTP response. */
export class DaemonError extends VaultError {
  /** Always true: the daemon, not this process, reported the error. */
  readonly fromDaemon = true as const;
  /** The HTTP status the daemon answered with (the registry status for known codes). */
  readonly httpStatus: number;

  constructor(code: ErrorCode, httpStatus: number, detail: Detail = {}) {
    super(code, { ...detail, origin: 'daemon' });
    this.name = 'DaemonError';
    this.httpStatus = httpStatus;
  }
}

export function isDaemonError(e: unknown, code?: ErrorCode): e is DaemonError {
  return e instanceof DaemonError && (code === undefined || e.code === code);
}

const CODE_RE = /^OV_[A-Z0-9_]{1,64}$/;
const DETAIL_KEY_RE = /^[A-Za-z][A-Za-z0-9_.]{0,63}$/;
const MAX_DETAIL_ENTRIES = 16;
const MAX_DETAIL_STRING = 256;

/**
 * Keeps the daemon's `detail` only where it is small and flat (field names, limits): a
 * reference to a field is useful in a message, a peer-chosen blob is not. Control
 * characters are dropped so a value cannot rewrite the terminal line it is printed on.
 */
function safeDetail(raw: unknown): Detail {
  const out: Detail = {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return out;
  let n = 0;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (n >= MAX_DETAIL_ENTRIES) break;
    if (!DETAIL_KEY_RE.test(k) || k === 'origin') continue;
    if (typeof v === 'string') {
      out[k] = v.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '').slice(0, MAX_DETAIL_STRING);
    } else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') {
      out[k] = v;
    } else {
      continue;
    }
    n++;
  }
  return out;
}

/**
 * The error for a non-2xx answer. `body` is the parsed JSON (or undefined when it was not
 * JSON). A known code keeps its registry identity; anything else becomes
 * OV_DAEMON_RESPONSE, naming the unknown code when it looks like one.
 */
export function errorFromResponse(httpStatus: number, body: unknown): DaemonError {
  // The keymanager routes (`/eth/v1/*`) answer in that spec's shape, `{code: <status>, message: "OV_...: ..."}`.
  const km = body as { code?: unknown; message?: unknown } | null | undefined;
  if (typeof km?.code === 'number' && typeof km.message === 'string') {
    const m = /^(OV_[A-Z0-9_]{1,60}):/.exec(km.message);
    if (m !== null && Object.hasOwn(ERRORS, m[1] as string)) return new DaemonError(m[1] as ErrorCode, httpStatus, {});
  }
  const err = (body as { error?: unknown } | null | undefined)?.error;
  const code = (err as { code?: unknown } | null | undefined)?.code;
  if (typeof code !== 'string') {
    return new DaemonError('OV_DAEMON_RESPONSE', httpStatus, { reason: 'no error code', httpStatus });
  }
  // `field` names the request part that failed validation; `detail` is accepted too.
  const { field, detail: rawDetail } = err as { field?: unknown; detail?: unknown };
  const detail = safeDetail({ ...(typeof rawDetail === 'object' && rawDetail !== null ? rawDetail : {}), ...(typeof field === 'string' ? { field } : {}) });
  if (Object.hasOwn(ERRORS, code)) return new DaemonError(code as ErrorCode, httpStatus, detail);
  return new DaemonError('OV_DAEMON_RESPONSE', httpStatus, {
    reason: 'unknown error code',
    httpStatus,
    ...(CODE_RE.test(code) ? { daemonCode: code } : {}),
  });
}

/** A 2xx answer whose body is not what the route promises. */
export function malformedResponse(httpStatus: number, reason: string): DaemonError {
  return new DaemonError('OV_DAEMON_RESPONSE', httpStatus, { reason, httpStatus });
}

/** Network-level errors carry a `code` (ECONNREFUSED, ENOTFOUND, UND_ERR_SOCKET ...) somewhere in their cause chain. */
function networkCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && typeof cur === 'object' && cur !== null; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z][A-Z0-9_]{1,40}$/.test(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

function errorMessages(e: unknown): string {
  const out: string[] = [];
  let cur: unknown = e;
  for (let i = 0; i < 4 && typeof cur === 'object' && cur !== null; i++) {
    const m = (cur as { message?: unknown }).message;
    if (typeof m === 'string') out.push(m);
    cur = (cur as { cause?: unknown }).cause;
  }
  return out.join('\n');
}

/** OpenSSL and node codes of a failed handshake, by the cause a user can act on. */
const TLS_CAUSES: readonly (readonly [RegExp, string])[] = [
  [/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_UNTRUSTED|ERR_SSL_TLSV1_ALERT_UNKNOWN_CA)$/, 'unknown CA'],
  [/^ERR_TLS_CERT_ALTNAME_INVALID$/, 'name mismatch'],
  [/^CERT_HAS_EXPIRED$/, 'certificate expired'],
  [/^CERT_NOT_YET_VALID$/, 'certificate not yet valid'],
  [/^ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED$|^ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE$/, 'client certificate required'],
  [/^ERR_SSL_(SSLV3_ALERT_HANDSHAKE_FAILURE|NO_SUITABLE_KEY_SHARE|NO_SHARED_GROUPS?)$/, 'no common key exchange group or cipher'],
  [/^ERR_SSL_(WRONG_VERSION_NUMBER|PACKET_LENGTH_TOO_LONG)$/, 'not a TLS server'],
  [/^ERR_SSL_/, 'handshake failed'],
];

/**
 * OV_TLS_HANDSHAKE naming the cause (unknown CA, name mismatch, ...) for a failed TLS
 * handshake, else OV_DAEMON_UNREACHABLE for `addr`, with the cause (`timeout`, an errno
 * code) when known.
 */
export function unreachableError(addr: string, cause: unknown, timedOut: boolean): VaultError {
  const code = networkCode(cause);
  if (!timedOut && code === 'EPROTO') {
    // OpenSSL reports a peer's alert as EPROTO with the alert named in the message.
    const msg = errorMessages(cause);
    const reason = /certificate required/i.test(msg)
      ? 'client certificate required'
      : /handshake failure/i.test(msg)
        ? 'no common key exchange group or cipher'
        : /wrong version number|packet length too long/i.test(msg)
          ? 'not a TLS server'
          : 'handshake failed';
    return new VaultError('OV_TLS_HANDSHAKE', { addr, reason, code }, { cause });
  }
  if (!timedOut && code !== undefined) {
    const hit = TLS_CAUSES.find(([re]) => re.test(code));
    if (hit !== undefined) return new VaultError('OV_TLS_HANDSHAKE', { addr, reason: hit[1], code }, { cause });
  }
  const reason = timedOut ? 'timeout' : (code ?? 'network error');
  return new VaultError('OV_DAEMON_UNREACHABLE', { addr, reason }, { cause });
}

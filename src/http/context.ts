/**
 * What the route plugins share: the vault, per-request state (who is calling, what to
 * audit), the access and audit declarations a route makes in its config, and small
 * helpers (the caller's session, times as RFC 3339).
 * @module
 */
import type { FastifyBaseLogger, FastifyInstance, FastifyPluginCallback, FastifyRequest, RouteGenericInterface, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault, RouteOptions } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { TlsOptions } from 'node:tls';
import type { SessionTokenClaims } from '../auth/session-service.js';
import type { Session } from '../auth/session-store.js';
import { VaultError } from '../errors.js';
import type { Role } from '../storage/types.js';
import type { Vault } from '../vault.js';
import type { Metrics } from './metrics.js';
import type { FailureWindow } from './ratelimit.js';

/** Who may call a route. `public` routes need no token (health, unseal, the key exchange). */
export type Access =
  | { readonly kind: 'public' }
  | {
      readonly kind: 'session';
      /** Least powerful role allowed (admin > operator > reader). */
      readonly role: Role;
      /** Vault-wide operations (seal, keyring changes): only a session with scope `*`. */
      readonly unscoped?: boolean;
    };

export const PUBLIC: Access = { kind: 'public' };
export const ANY_SESSION: Access = { kind: 'session', role: 'reader' };
export const OPERATOR: Access = { kind: 'session', role: 'operator' };
export const ADMIN: Access = { kind: 'session', role: 'admin' };
export const DAEMON_ADMIN: Access = { kind: 'session', role: 'admin', unscoped: true };

export interface RequestState {
  /** The authenticated session, once the auth hook accepted the token. */
  session: Session | undefined;
  /** 'auth' for a failed or rate-limited authentication, else 'request'. */
  auditType: 'request' | 'auth';
  /** API key id for the audit entry (from the session, or parsed from a failed exchange). */
  apiKey: string | undefined;
  /** Error code answered, for the audit entry. */
  errorCode: string | undefined;
  /** Small, non-secret facts for the audit entry (see AuditSpec). */
  detail: AuditDetail | undefined;
  /** The route's `scopePath`, once the auth plugin found it within the caller's scope. */
  target: string | undefined;
  /** Undo for a side effect whose answer must not leave if its audit entry cannot be written. */
  onAuditFailure: (() => void) | undefined;
  /** The answer's audit entry was committed with the change it records: the audit hook writes none. */
  audited: boolean;
  /** The route's options, once read (./context.ts `routeOf`). */
  route: FastifyRequest['routeOptions'] | undefined;
}

export type AuditDetail = Record<string, string | number | boolean>;

/**
 * What a route records in its audit entry's detail, declared with the route
 * (`config.audit`) and applied by the audit plugin. `request` runs once the request is
 * authorised and validated, just before the handler (its detail stays when the handler
 * then fails); `result` runs on success with the value the handler returns and replaces
 * it, before the answer is sent, so a route with `result` returns its value rather than
 * calling `reply.send` itself. Either may return undefined for "no change".
 */
export interface AuditSpec {
  readonly request?: (request: FastifyRequest) => AuditDetail | undefined;
  readonly result?: (result: unknown, request: FastifyRequest) => AuditDetail | undefined;
}

/**
 * Typed `AuditSpec`: `Req` names the route's validated request parts, `Res` the value its
 * handler returns (the route's schema guarantees both by the time these run).
 */
export function audit<Req extends RouteGenericInterface = RouteGenericInterface, Res = unknown>(spec: {
  readonly request?: (request: FastifyRequest<Req>) => AuditDetail | undefined;
  readonly result?: (result: Res, request: FastifyRequest<Req>) => AuditDetail | undefined;
}): AuditSpec {
  return spec as AuditSpec;
}

declare module 'fastify' {
  interface FastifyRequest {
    vault: RequestState;
  }
  interface FastifyContextConfig {
    access?: Access;
    audit?: AuditSpec;
    /**
     * The route changes no state (a GET of data): its audit entry is written to the log
     * before the answer leaves, and fsynced in the background within a bound
     * (docs/adr/0010-audit-durability-of-reads.md). Only honoured for GET and HEAD;
     * without it an entry is durable before the answer, so a new route is safe.
     */
    read?: boolean;
    /**
     * The scope path the caller's session must cover (`pathInScope`), checked by the auth
     * plugin after validation and before the handler: 403 whether the target exists or not.
     */
    scopePath?: (request: FastifyRequest) => string;
  }
}

export function newRequestState(): RequestState {
  return { session: undefined, auditType: 'request', apiKey: undefined, errorCode: undefined, detail: undefined, target: undefined, onAuditFailure: undefined, audited: false, route: undefined };
}

/**
 * The request's route options, read once: fastify builds a new object on every access of
 * `request.routeOptions`, and the auth, audit and metrics hooks each need them.
 */
export function routeOf(request: FastifyRequest): FastifyRequest['routeOptions'] {
  const st = request.vault as RequestState | null;
  return st === null ? request.routeOptions : (st.route ??= request.routeOptions);
}

/** Pino logger settings the server accepts; redaction is always added by buildServer. */
export interface LoggerSettings {
  readonly level?: string;
  /** Where JSON lines go (default stdout). */
  readonly stream?: { write(msg: string): void };
}

export interface ServerOptions {
  /** false (default) for no logging. */
  readonly logger?: LoggerSettings | false;
  /** Observer told about every route as it is registered (tests check schemas with it). */
  readonly onRoute?: (route: RouteOptions) => void;
  /** Serve HTTPS with these options (src/tls/server.ts builds them); plain HTTP without. */
  readonly https?: TlsOptions;
  /** The key-exchange groups the TLS listener offers, for the self-description. */
  readonly tlsGroups?: readonly string[];
}

/** How the daemon is reached, as `GET /v1/sys/describe` reports it. */
export interface TransportInfo {
  readonly tls: boolean;
  /** Key-exchange groups offered, best first (empty without TLS). */
  readonly groups: readonly string[];
}

export type VaultApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

/** The claims of a session token (issued by the session service, signed by the server). */
export type TokenClaims = SessionTokenClaims;

/** What every route plugin is registered with: the vault and the server's own HTTP state. */
export interface RouteContext {
  readonly vault: Vault;
  readonly version: string;
  readonly metrics: Metrics;
  readonly startedAt: number;
  /**
   * Failed exchanges per client address and per (API key id, address) (keyed
   * {@link keyAddress}); failed unseals per address; addresses with a successful exchange
   * of late (`succeeded`, one entry each).
   */
  readonly limits: { readonly address: FailureWindow; readonly key: FailureWindow; readonly unseal: FailureWindow; readonly succeeded: FailureWindow };
  readonly transport: TransportInfo;
  /** Whether a `Host` header names this daemon (listen address, loopback, api_addr). */
  hostAllowed(host: string | undefined): boolean;
  signToken(claims: TokenClaims): string;
  /**
   * Resolves true once a token-exchange slot is held (release it with `leaveExchange`),
   * false when the wait queue is full or the wait ran out. `trusted` callers (a recent
   * success from their address) have slots of their own and go first.
   */
  enterExchange(trusted: boolean): Promise<boolean>;
  leaveExchange(): void;
}

/** A route group: an encapsulated plugin registered under its prefix with the route context. */
export type RoutePlugin = FastifyPluginCallback<{ readonly ctx: RouteContext }>;

/** The session the auth plugin accepted; every non-public route has one. */
export function callerOf(request: { vault: { session: Session | undefined } }): Session {
  const s = request.vault.session;
  // The auth plugin guarantees a session on every non-public route; this is a backstop.
  if (s === undefined) throw new VaultError('OV_AUTH_INVALID');
  return s;
}

/** The last two times formatted, and which slot the next new one replaces. */
const isoMs = [Number.NaN, Number.NaN];
const isoText = ['', ''];
let isoNext = 0;

/**
 * RFC 3339 (UTC, milliseconds). The last two answers are kept: repeated reads of one
 * secret ask for the same creation time, a session's own view for the same issue and
 * expiry times, and a Date plus its formatting cost more than the rest of the answer's
 * text.
 */
export function iso(ms: number): string {
  if (ms === isoMs[0]) return isoText[0] as string;
  if (ms === isoMs[1]) return isoText[1] as string;
  const text = new Date(ms).toISOString();
  isoMs[isoNext] = ms;
  isoText[isoNext] = text;
  isoNext ^= 1;
  return text;
}

/** The `limits.key` entry of an API key id tried from an address. */
export function keyAddress(keyId: string, address: string): string {
  return `${keyId} ${address}`;
}

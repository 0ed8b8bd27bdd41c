/**
 * What the routes share: the server's dependencies, per-request state (who is calling,
 * what to audit), access rules, and the small helpers every route uses (times as RFC 3339,
 * the session store that may still be loading).
 * @module
 */
import type { FastifyBaseLogger, FastifyInstance, RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AuditLog } from '../audit/index.js';
import type { Session, SessionStore } from '../auth/session-store.js';
import type { Config } from '../config.js';
import type { CryptoProvider } from '../crypto/types.js';
import type { Keyring } from '../keyring/index.js';
import type { SealManager } from '../seal/index.js';
import type { Role, Storage } from '../storage/types.js';
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
  /** Small, non-secret facts for the audit entry. */
  detail: Record<string, string | number | boolean> | undefined;
  /** Undo for a side effect whose answer must not leave if its audit entry cannot be written. */
  onAuditFailure: (() => void) | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    vault: RequestState;
  }
  interface FastifyContextConfig {
    access?: Access;
  }
}

export function newRequestState(): RequestState {
  return { session: undefined, auditType: 'request', apiKey: undefined, errorCode: undefined, detail: undefined, onAuditFailure: undefined };
}

/** Pino logger settings the server accepts; redaction is always added by buildServer. */
export interface LoggerSettings {
  readonly level?: string;
  /** Where JSON lines go (default stdout). */
  readonly stream?: { write(msg: string): void };
}

export interface ServerDeps {
  readonly storage: Storage;
  readonly seal: SealManager;
  /** The session store, or the promise of it while it loads (requests that need it wait). */
  readonly sessions: SessionStore | Promise<SessionStore>;
  /** The open keyring; undefined while sealed. */
  readonly keyring: () => Keyring | undefined;
  readonly audit: AuditLog;
  readonly provider: CryptoProvider;
  readonly config: Config;
  /** Clock, ms since the epoch (default Date.now). */
  readonly now?: () => number;
  /** false (default) for no logging. */
  readonly logger?: LoggerSettings | false;
}

export type VaultApp = FastifyInstance<RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, FastifyBaseLogger, TypeBoxTypeProvider>;

export interface TokenClaims {
  readonly sub: string;
  readonly jti: string;
  readonly role: Role;
  readonly scope: string;
  readonly iat: number;
  readonly exp: number;
}

export interface RouteContext {
  readonly deps: ServerDeps;
  readonly now: () => number;
  readonly version: string;
  readonly metrics: Metrics;
  readonly startedAt: number;
  /** Failed exchanges per client address and per API key id; failed unseals per address. */
  readonly limits: { readonly address: FailureWindow; readonly key: FailureWindow; readonly unseal: FailureWindow };
  sessions(): Promise<SessionStore>;
  /** The store if already loaded (metrics must not wait). */
  loadedSessions(): SessionStore | undefined;
  signToken(claims: TokenClaims): string;
  /** True while a token-exchange slot is free; take it with `enterExchange`. */
  enterExchange(): boolean;
  leaveExchange(): void;
}

/** RFC 3339 (UTC, milliseconds). */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

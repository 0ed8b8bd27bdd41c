/**
 * Request and response bodies of the daemon's `/v1` HTTP API, as the client sees them
 * (docs/api.md and the OpenAPI document at `GET /v1/sys/openapi` are the reference; the
 * daemon validates every request body with `additionalProperties: false`). JSON field
 * names are snake_case and times are RFC 3339 strings, as on the wire.
 * @module
 */

export type Role = 'admin' | 'operator' | 'reader';
export type SealMode = 'shamir' | 'passphrase' | 'keyfile';
export type KeyName = 'kem' | 'sign' | 'sign-falcon' | 'token' | 'audit';

/** `GET /v1/sys/health`: also answered (with this body) as 503 sealed and 501 not initialised. */
export interface HealthResponse {
  readonly initialized: boolean;
  readonly sealed: boolean;
  readonly version?: string;
}

/** What {@link VaultClient.health} returns: the body plus the status, which is the verdict. */
export interface Health extends HealthResponse {
  /** 200 unsealed, 503 sealed, 501 not initialised. */
  readonly status: number;
}

/** `GET /v1/sys/seal-status` and the answer of `POST /v1/sys/unseal`. */
export interface SealStatusResponse {
  readonly initialized: boolean;
  readonly sealed: boolean;
  readonly mode: SealMode | null;
  /** Shares needed (shamir mode), else null. */
  readonly t: number | null;
  /** Shares issued (shamir mode), else null. */
  readonly n: number | null;
  /** Valid shares submitted in the current attempt. */
  readonly progress: number;
  /** Id of the current unseal attempt; '' when none is pending. */
  readonly nonce: string;
  readonly version?: string;
}

/** `POST /v1/sys/unseal`: exactly one of the three. */
export type UnsealRequest = { readonly share: string } | { readonly passphrase: string } | { readonly reset: true };

/** `GET /v1/sys/describe`: versions, suites, providers, capabilities (kept open: it grows). */
export interface DescribeResponse {
  readonly name?: string;
  readonly version: string;
  readonly api?: string;
  readonly node?: string;
  readonly initialized?: boolean;
  readonly sealed?: boolean;
  /** The active crypto provider and, per algorithm, its implementation (noble | native). */
  readonly provider?: { readonly name: string; readonly algorithms: Readonly<Record<string, string>> };
  readonly suites?: readonly { readonly id: number; readonly name: string; readonly kem: string; readonly kdf_id: number; readonly aead_id: number }[];
  readonly signature?: string;
  readonly capabilities?: readonly string[];
  /** JSON schema of config.toml. */
  readonly config_schema?: unknown;
  readonly [key: string]: unknown;
}

/** `POST /v1/sessions`. `ttl` is a duration string such as "15m" or "1h". */
export interface CreateSessionRequest {
  readonly key: string;
  readonly ttl?: string;
}

/** Answer of `POST /v1/sessions`: the token is shown once. */
export interface CreateSessionResponse {
  readonly token: string;
  readonly id: string;
  readonly expires_at: string;
  readonly role: Role;
  readonly scope: string;
}

/** A session as listed (`GET /v1/sessions`, `GET /v1/sessions/self`); never the token. */
export interface SessionInfo {
  readonly id: string;
  readonly api_key_id: string;
  readonly role: Role;
  readonly scope: string;
  readonly label: string;
  readonly issued_at: string;
  readonly expires_at: string;
}

export interface SessionList {
  readonly sessions: readonly SessionInfo[];
}

/** `POST /v1/apikeys`. `scope` defaults to `*` on the daemon. */
export interface CreateApiKeyRequest {
  readonly role: Role;
  readonly label: string;
  readonly scope?: string;
}

/** An API key as listed; never the key or its hash. */
export interface ApiKeyInfo {
  readonly id: string;
  readonly role: Role;
  readonly scope: string;
  readonly label: string;
  readonly created_at: string;
  readonly rotated_at: string | null;
}

/** Answer of create and rotate: the key itself, shown once. */
export interface ApiKeyWithSecret extends ApiKeyInfo {
  readonly key: string;
}

export interface ApiKeyList {
  readonly apikeys: readonly ApiKeyInfo[];
}

export interface KeyVersionInfo {
  readonly name: KeyName;
  readonly version: number;
  readonly alg: string;
  readonly key_id: string;
  /** Armored public key (KEM and signature keys only). */
  readonly public_key?: string;
  readonly created_at: string;
}

export interface KeyPolicy {
  readonly name: KeyName;
  readonly alg: string;
  readonly latest_version: number;
  readonly min_decrypt_version: number;
  readonly versions: readonly KeyVersionInfo[];
}

export interface KeyList {
  readonly keys: readonly KeyPolicy[];
}

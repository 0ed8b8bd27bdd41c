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

// --- secrets (docs/api.md, "Secrets") ---------------------------------------------------

/** The value of one secret version: string fields, or one binary value (base64 on the wire). */
export type SecretValue = { readonly data: Readonly<Record<string, string>> } | { readonly binary: Uint8Array };

/** `PUT /v1/secrets/{path}` body. `cas`: the current version required (0 = create only). */
export type PutSecretRequest = ({ readonly data: Readonly<Record<string, string>> } | { readonly binary: string }) & { readonly cas?: number };

/** Answer of `PUT /v1/secrets/{path}`. */
export interface SecretWriteResponse {
  readonly path: string;
  readonly version: number;
  readonly created_at: string;
}

/** `GET /v1/secrets/{path}`: one version, with `data` (string fields) or `binary` (base64). */
export interface SecretDocument {
  readonly path: string;
  readonly version: number;
  readonly created_at: string;
  readonly data?: Readonly<Record<string, string>>;
  readonly binary?: string;
}

/** One field read with `?field=NAME` (the value is exactly the stored string). */
export interface SecretField {
  readonly path: string;
  readonly field: string;
  /** From the `x-ontoref-version` header. */
  readonly version: number;
  readonly value: string;
}

/** `GET /v1/secrets`: one page of paths; `next` is the cursor for the following page. */
export interface SecretList {
  readonly paths: readonly string[];
  readonly next: string | null;
}

/** Answer of delete, undelete and destroy: the versions the call affected. */
export interface SecretVersionsResponse {
  readonly path: string;
  readonly versions: readonly number[];
}

/** One entry of a secret's history. */
export interface SecretVersionInfo {
  readonly version: number;
  readonly created_at: string;
  readonly deleted_at: string | null;
  readonly destroyed: boolean;
  /** The KEM key version the envelope is sealed under. */
  readonly key_version: number;
}

/** `GET|PUT /v1/secrets-metadata/{path}`. */
export interface SecretMetadata {
  readonly path: string;
  readonly current_version: number;
  readonly oldest_version: number;
  readonly max_versions: number;
  readonly cas_required: boolean;
  readonly custom_metadata: Readonly<Record<string, string>>;
  readonly created_at: string;
  readonly updated_at: string;
  readonly versions: readonly SecretVersionInfo[];
}

/** `PUT /v1/secrets-metadata/{path}` body: any of the three. */
export interface UpdateSecretMetadataRequest {
  /** 0 = the daemon default (10); at most 1000. */
  readonly max_versions?: number;
  readonly cas_required?: boolean;
  readonly custom_metadata?: Readonly<Record<string, string>>;
}

/** Answer of `POST /v1/keys/{name}/rewrap`. */
export interface RewrapResponse {
  /** Versions re-sealed by this call. */
  readonly rewrapped: number;
  /** Versions still sealed under an older key version. */
  readonly remaining: number;
  /** The key version everything is being re-sealed under. */
  readonly key_version: number;
  readonly done: boolean;
}

/**
 * The typed HTTP client of the vault daemon's API, used by the `vault` CLI and by users'
 * own scripts. It loads neither fastify, SQLite nor the crypto stack: only the global
 * `fetch`, the error registry and the wire contract (src/api).
 *
 * Every call's result type is `Static<>` of the route's response schema in src/api, and
 * every JSON answer is checked against that schema before it is returned
 * (src/client/transport.ts), so a daemon that drifted from the contract is a clear
 * OV_DAEMON_RESPONSE rather than a surprise later. A daemon error
 * `{"error": {"code", "message"}}` becomes a {@link DaemonError} with the registry code;
 * no connection, a DNS failure or a timeout is OV_DAEMON_UNREACHABLE
 * (src/client/errors.ts). Given several addresses, a request fails over between them
 * (src/client/failover.ts). The calls live in one module per resource; this class only
 * gathers them behind one object.
 * @module
 */
import type { KeyName } from '../api/common.js';
import type { ApiKeyInfo, ApiKeyWithSecret, CreateApiKeyRequest } from '../api/apikeys.js';
import type { KeyPolicy, KeyVersionInfo, RewrapResponse } from '../api/keys.js';
import type { SecretDocument, SecretList, SecretMetadata, SecretVersionsResponse, SecretWriteResponse, UpdateSecretMetadataRequest } from '../api/secrets.js';
import type { SignerIdentityCreateRequest, SignerIdentityInfo, SignerIdentityIssued } from '../api/signer-identities.js';
import type { CreateSessionRequest, CreateSessionResponse, SessionInfo } from '../api/sessions.js';
import type { AuditList, AuditPruneResponse, DescribeResponse, OpenApiDocument, SealStatusResponse, UnsealRequest } from '../api/sys.js';
import * as apikeys from './apikeys.js';
import * as auditApi from './audit.js';
import * as keys from './keys.js';
import * as secrets from './secrets.js';
import * as sessions from './sessions.js';
import * as signerIdentities from './signer-identities.js';
import * as sys from './sys.js';
import { bindTransport, Transport, type Method, type RawResponse, type RequestOptions, type VaultClientOptions } from './transport.js';

export type * from '../api/index.js';
export { ENVELOPE_MEDIA_TYPE, RECIPIENT_HEADER, VERSION_HEADER } from '../api/constants.js';
export { DEFAULT_ADDR } from '../util/addr.js';
export { isSecretPath } from '../util/secret-path.js';
export { DaemonError, isDaemonError } from './errors.js';
import type { TlsInfo } from './https.js';
export type { SecretField, SecretInput } from './secrets.js';
export type { AuditListOptions } from './audit.js';
export type { Health } from './sys.js';
export { DEFAULT_TIMEOUT_MS, MAX_RESPONSE_BYTES, parseAddr, parseAddrList } from './transport.js';
export type { JsonResponse, Method, RawResponse, RequestOptions, ResponseHeaders, VaultClientOptions } from './transport.js';
export type { TlsClientOptions, TlsInfo } from './https.js';
export { MAX_BULK_ITEMS, ValidatorsClient, type ValidatorKeyMaterial } from './validators.js';
export { TransitClient, toBase64, type BatchEntry, type DecryptItem, type EncryptItem, type ExportKind, type HmacItem, type RewrapItem, type SignItem, type VerifyItem } from './transit.js';

export class VaultClient {
  /** The normalised base URL (always ends with `/`); for a list, the addresses joined by commas. */
  readonly addr: string;
  /** Each address the client may try, normalised, in list order. */
  readonly addrs: readonly string[];
  readonly #t: Transport;

  constructor(opts: VaultClientOptions = {}) {
    this.#t = new Transport(opts);
    this.addr = this.#t.addr;
    this.addrs = this.#t.addrs;
    bindTransport(this, this.#t);
  }

  /** https only: the TLS version and key-exchange group of the last answer. */
  tlsInfo(): TlsInfo | undefined {
    return this.#t.tlsInfo();
  }

  /** True when requests carry a bearer token. */
  get hasToken(): boolean {
    return this.#t.hasToken;
  }

  /** The same daemon with another token (e.g. the one `createSession` returned). */
  withToken(token: string | undefined): VaultClient {
    return new VaultClient(this.#t.optionsWithToken(token));
  }

  /**
   * One request whose answer is text, bytes or nothing (for routes without a typed call).
   * JSON answers come only through the typed calls, checked against their schema.
   */
  request(method: Method, path: string, opts: RequestOptions = {}): Promise<RawResponse> {
    return this.#t.request(method, path, opts);
  }

  // --- sys (src/client/sys.ts) ---------------------------------------------------------

  health(): Promise<sys.Health> {
    return sys.health(this.#t);
  }
  sealStatus(): Promise<SealStatusResponse> {
    return sys.sealStatus(this.#t);
  }
  unseal(req: UnsealRequest): Promise<SealStatusResponse> {
    return sys.unseal(this.#t, req);
  }
  seal(): Promise<void> {
    return sys.seal(this.#t);
  }
  /** `GET /v1/sys/audit` (daemon admin): one page of audit entries as stored. */
  listAudit(opts: auditApi.AuditListOptions = {}): Promise<AuditList> {
    return auditApi.listAudit(this.#t, opts);
  }
  /** `POST /v1/sys/audit/archive` (daemon admin): the next archive file, or undefined when nothing qualifies. */
  archiveAudit(before: string): Promise<Uint8Array | undefined> {
    return auditApi.archiveAudit(this.#t, before);
  }
  /** `POST /v1/sys/audit/prune` (daemon admin): removes an archived range once its file is on disk. */
  pruneAudit(through: number, hash: string): Promise<AuditPruneResponse> {
    return auditApi.pruneAudit(this.#t, through, hash);
  }
  /** `POST /v1/sys/audit/hash` (daemon admin): the HMAC the audit log records for `input`. */
  auditHash(input: string): Promise<string> {
    return auditApi.auditHash(this.#t, input);
  }
  /** `POST /v1/sys/snapshot` (daemon admin): a signed, consistent snapshot file. */
  snapshot(): Promise<Uint8Array> {
    return sys.snapshot(this.#t);
  }
  describe(): Promise<DescribeResponse> {
    return sys.describe(this.#t);
  }
  metrics(): Promise<string> {
    return sys.metrics(this.#t);
  }
  openapi(): Promise<OpenApiDocument> {
    return sys.openapi(this.#t);
  }

  // --- sessions (src/client/sessions.ts) -----------------------------------------------

  createSession(req: CreateSessionRequest): Promise<CreateSessionResponse> {
    return sessions.createSession(this.#t, req);
  }
  listSessions(opts: { readonly limit?: number; readonly apiKeyId?: string } = {}): Promise<SessionInfo[]> {
    return sessions.listSessions(this.#t, opts);
  }
  revokeSession(id: string): Promise<void> {
    return sessions.revokeSession(this.#t, id);
  }
  lookupSelf(): Promise<SessionInfo> {
    return sessions.lookupSelf(this.#t);
  }
  revokeSelf(): Promise<void> {
    return sessions.revokeSelf(this.#t);
  }

  // --- API keys (src/client/apikeys.ts) ------------------------------------------------

  createApiKey(req: CreateApiKeyRequest): Promise<ApiKeyWithSecret> {
    return apikeys.createApiKey(this.#t, req);
  }
  listApiKeys(): Promise<ApiKeyInfo[]> {
    return apikeys.listApiKeys(this.#t);
  }
  rotateApiKey(id: string): Promise<ApiKeyWithSecret> {
    return apikeys.rotateApiKey(this.#t, id);
  }
  deleteApiKey(id: string): Promise<void> {
    return apikeys.deleteApiKey(this.#t, id);
  }

  // --- signer identities (src/client/signer-identities.ts) -------------------------------

  createSignerIdentity(req: SignerIdentityCreateRequest): Promise<SignerIdentityIssued> {
    return signerIdentities.createSignerIdentity(this.#t, req);
  }
  listSignerIdentities(): Promise<SignerIdentityInfo[]> {
    return signerIdentities.listSignerIdentities(this.#t);
  }
  revokeSignerIdentity(name: string): Promise<SignerIdentityInfo> {
    return signerIdentities.revokeSignerIdentity(this.#t, name);
  }

  // --- keyring (src/client/keys.ts) ----------------------------------------------------

  listKeys(): Promise<KeyPolicy[]> {
    return keys.listKeys(this.#t);
  }
  rotateKey(name: KeyName): Promise<KeyVersionInfo> {
    return keys.rotateKey(this.#t, name);
  }
  setMinDecryptVersion(name: KeyName, version: number): Promise<KeyPolicy> {
    return keys.setMinDecryptVersion(this.#t, name, version);
  }
  rewrapKey(name: KeyName, opts: { readonly batchSize?: number; readonly maxVersions?: number } = {}): Promise<RewrapResponse> {
    return keys.rewrapKey(this.#t, name, opts);
  }

  // --- secrets (src/client/secrets.ts) -------------------------------------------------

  putSecret(path: string, value: secrets.SecretInput, opts: { readonly cas?: number } = {}): Promise<SecretWriteResponse> {
    return secrets.putSecret(this.#t, path, value, opts);
  }
  getSecret(path: string, opts: { readonly version?: number } = {}): Promise<SecretDocument> {
    return secrets.getSecret(this.#t, path, opts);
  }
  getSecretField(path: string, field: string, opts: { readonly version?: number } = {}): Promise<secrets.SecretField> {
    return secrets.getSecretField(this.#t, path, field, opts);
  }
  getSecretSealed(path: string, recipient: string, opts: { readonly version?: number; readonly field?: string } = {}): Promise<string> {
    return secrets.getSecretSealed(this.#t, path, recipient, opts);
  }
  getSecretAge(path: string, recipients: readonly string[], opts: { readonly version?: number; readonly field?: string } = {}): Promise<string> {
    return secrets.getSecretAge(this.#t, path, recipients, opts);
  }
  listSecrets(opts: { readonly prefix?: string; readonly limit?: number; readonly after?: string } = {}): Promise<SecretList> {
    return secrets.listSecrets(this.#t, opts);
  }
  iterateSecrets(opts: { readonly prefix?: string; readonly pageSize?: number } = {}): AsyncGenerator<string, void, undefined> {
    return secrets.iterateSecrets(this.#t, opts);
  }
  deleteSecret(path: string, opts: { readonly versions?: readonly number[] } = {}): Promise<SecretVersionsResponse> {
    return secrets.deleteSecret(this.#t, path, opts);
  }
  undeleteSecret(path: string, versions: readonly number[]): Promise<SecretVersionsResponse> {
    return secrets.undeleteSecret(this.#t, path, versions);
  }
  destroySecret(path: string, versions: readonly number[]): Promise<SecretVersionsResponse> {
    return secrets.destroySecret(this.#t, path, versions);
  }
  destroyAllSecretVersions(path: string): Promise<void> {
    return secrets.destroyAllSecretVersions(this.#t, path);
  }
  secretMetadata(path: string): Promise<SecretMetadata> {
    return secrets.secretMetadata(this.#t, path);
  }
  updateSecretMetadata(path: string, req: UpdateSecretMetadataRequest): Promise<SecretMetadata> {
    return secrets.updateSecretMetadata(this.#t, path, req);
  }
}

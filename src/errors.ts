/**
 * The one registry of errors. Every error the project raises has a permanent code,
 * an HTTP status (for the daemon) and a row in docs/errors.md; a test fails when the
 * three drift apart. Codes are never reused or renamed: retire a code by leaving its
 * row in place and marking it retired in the docs.
 *
 * Messages follow the CLI house style: lowercase, no trailing period, and never a
 * secret value. `detail` may carry safe, structured context (a field name, a limit).
 * @module
 */

export interface ErrorSpec {
  /** HTTP status the daemon answers with. */
  readonly status: number;
  /** Fixed human message; never includes caller-supplied values. */
  readonly message: string;
}

export const ERRORS = {
  // usage and local input (CLI exit code 1)
  OV_USAGE: { status: 400, message: 'invalid usage' },
  OV_INVALID_ARGUMENT: { status: 400, message: 'invalid argument' },
  OV_IO: { status: 500, message: 'file or stream error' },
  OV_UNSAFE_PERMISSIONS: { status: 500, message: 'file permissions are too open' },
  OV_INPUT_TOO_LARGE: { status: 413, message: 'input exceeds the size limit' },

  // crypto providers
  OV_PROVIDER_UNAVAILABLE: { status: 500, message: 'requested crypto provider is not available on this runtime' },
  OV_PROVIDER_UNKNOWN: { status: 500, message: 'unknown crypto provider' },
  OV_ALGORITHM_UNSUPPORTED: { status: 400, message: 'algorithm is not supported' },
  OV_KEY_INVALID: { status: 400, message: 'key is malformed or of the wrong type' },

  // envelopes: one indistinguishable error for every failure to open
  OV_ENVELOPE_OPEN: { status: 400, message: 'envelope cannot be opened' },
  OV_ENVELOPE_TOO_LARGE: { status: 413, message: 'envelope exceeds the size limit' },
  OV_ENVELOPE_CONTEXT: { status: 400, message: 'envelope context is too long' },
  OV_SIGNATURE_INVALID: { status: 400, message: 'signature verification failed' },
  OV_SIGNATURE_MISSING: { status: 400, message: 'envelope is not signed' },
  OV_ARMOR_INVALID: { status: 400, message: 'armored data is malformed' },
  // age v1 files: one error for every failure to decrypt, the class in detail.reason
  OV_AGE_OPEN: { status: 400, message: 'age file cannot be decrypted' },
  OV_AGE_MIXED_RECIPIENTS: { status: 400, message: 'post-quantum and classic age recipients cannot be mixed' },

  // storage (SQLite data file)
  OV_STORAGE_VERSION: { status: 500, message: 'database schema is newer than this version of ontoref-vault' },
  OV_STORAGE_CORRUPT: { status: 500, message: 'database file is unreadable or corrupt' },
  OV_STORAGE_OUTDATED: { status: 500, message: 'database schema must be migrated before read-only use' },
  OV_STORAGE_CONSTRAINT: { status: 500, message: 'write rejected by a storage constraint' },
  // authentication: one indistinguishable error for every failed authentication
  OV_AUTH_INVALID: { status: 401, message: 'invalid credentials' },
  OV_ARGON2_PARAMS: { status: 500, message: 'stored argon2 parameters are outside the allowed bounds' },
  // seal: initialisation, unsealing, the root key
  OV_SEALED: { status: 503, message: 'vault is sealed' },
  OV_NOT_INITIALIZED: { status: 501, message: 'vault is not initialised' },
  OV_ALREADY_INITIALIZED: { status: 409, message: 'vault is already initialised' },
  OV_UNSEAL_INVALID_SHARE: { status: 400, message: 'unseal share is malformed or mistyped' },
  OV_UNSEAL_DUPLICATE_SHARE: { status: 400, message: 'unseal share was already submitted' },
  OV_UNSEAL_FAILED: { status: 400, message: 'unseal failed: the shares, passphrase or key file do not open this vault' },
  OV_UNSEAL_MODE: { status: 400, message: 'unseal method does not match the seal mode' },
  OV_DATADIR_LOCKED: { status: 409, message: 'data dir is in use by another process' },
  OV_SEAL_CONFIG_INVALID: { status: 500, message: 'stored seal configuration is corrupt or of an unknown version' },
  // keyring and audit log
  OV_KEYRING_CORRUPT: { status: 500, message: 'keyring key material cannot be unwrapped or is inconsistent' },
  OV_KEY_NOT_FOUND: { status: 404, message: 'key not found' },
  OV_KEY_VERSION_RETIRED: { status: 400, message: 'key version is below the minimum decryption version' },
  OV_AUDIT_FAILED: { status: 500, message: 'audit log could not be written' },
  OV_AUDIT_INVALID: { status: 500, message: 'audit log verification failed' },
  // secrets: the versioned secrets API (src/secrets)
  OV_PATH_INVALID: { status: 400, message: 'secret path is invalid' },
  OV_SECRET_NOT_FOUND: { status: 404, message: 'secret not found' },
  OV_SECRET_DELETED: { status: 404, message: 'secret version is deleted' },
  OV_SECRET_DESTROYED: { status: 404, message: 'secret version is destroyed' },
  OV_FIELD_NOT_FOUND: { status: 404, message: 'secret field not found' },
  OV_CAS_MISMATCH: { status: 409, message: 'check-and-set version does not match' },
  OV_SECRET_TOO_LARGE: { status: 413, message: 'secret value exceeds the size limit' },
  OV_SECRET_UNREADABLE: { status: 500, message: 'stored secret cannot be opened' },
  OV_REWRAP_REQUIRED: { status: 409, message: 'secret versions are still sealed under an older key version; rewrap first' },
  // client: talking to the daemon over HTTP (src/client)
  OV_DAEMON_UNREACHABLE: { status: 503, message: 'cannot reach the vault daemon' },
  OV_DAEMON_RESPONSE: { status: 502, message: 'unexpected response from the vault daemon' },
  // daemon: configuration and the HTTP surface (src/config.ts, src/http)
  OV_CONFIG_INVALID: { status: 500, message: 'configuration is invalid' },
  OV_BAD_REQUEST: { status: 400, message: 'request is malformed or fails validation' },
  OV_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'unsupported content type' },
  OV_BODY_TOO_LARGE: { status: 413, message: 'request body exceeds the size limit' },
  OV_NOT_FOUND: { status: 404, message: 'not found' },
  OV_FORBIDDEN: { status: 403, message: 'permission denied' },
  OV_RATE_LIMITED: { status: 429, message: 'too many requests' },
  OV_INTERNAL: { status: 500, message: 'internal error' },
  // validators: key file formats (src/validators/formats, interchange)
  OV_KEYSTORE_INVALID: { status: 400, message: 'keystore is malformed or unsupported' },
  OV_KEYSTORE_PASSWORD: { status: 400, message: 'wrong keystore password' },
  OV_KEYSTORE_PUBKEY_MISMATCH: { status: 400, message: 'keystore public key does not match its secret key' },
  OV_VALIDATOR_KEY_INVALID: { status: 400, message: 'validator key is malformed or inconsistent' },
  // validators: slots, rotation and the keymanager API (src/validators, storage, routes)
  OV_VALIDATOR_NOT_FOUND: { status: 404, message: 'validator not found' },
  OV_VALIDATOR_EXISTS: { status: 409, message: 'validator already exists' },
  OV_VALIDATOR_STATE: { status: 409, message: 'validator key is not in a state that allows this operation' },
  OV_SIGNING_STATE_REGRESSION: { status: 409, message: 'signing state can only be raised' },
  OV_VALIDATOR_DUPLICATE: { status: 409, message: 'validator public key is already in the vault' },
  OV_CONFIRMATION_REQUIRED: { status: 400, message: 'confirmation is missing or does not match' },
  OV_VALIDATOR_UNREADABLE: { status: 500, message: 'stored validator key cannot be opened' },
  OV_INTERCHANGE_INVALID: { status: 400, message: 'slashing protection interchange is malformed' },
  OV_VALIDATOR_HISTORY_INVALID: { status: 500, message: 'validator rotation history verification failed' },
  // transit: encryption as a service with named keys (src/transit)
  OV_TRANSIT_NAME_INVALID: { status: 400, message: 'transit key name is invalid' },
  OV_TRANSIT_KEY_NOT_FOUND: { status: 404, message: 'transit key not found' },
  OV_TRANSIT_KEY_EXISTS: { status: 409, message: 'transit key already exists' },
  OV_TRANSIT_UNSUPPORTED_OPERATION: { status: 400, message: 'operation is not supported by this transit key type' },
  OV_TRANSIT_VERSION_RETIRED: { status: 400, message: 'transit key version is below the minimum allowed for this operation' },
  OV_TRANSIT_CIPHERTEXT_INVALID: { status: 400, message: 'transit ciphertext is malformed or cannot be decrypted' },
  OV_TRANSIT_PREHASH_UNSUPPORTED: { status: 400, message: 'pre-hashed signing is not supported by this transit key type' },
  OV_TRANSIT_DELETION_NOT_ALLOWED: { status: 400, message: 'transit key deletion is not allowed' },
  OV_TRANSIT_EXPORT_NOT_ALLOWED: { status: 403, message: 'transit key export or backup is not allowed' },
  OV_TRANSIT_BACKUP_INVALID: { status: 400, message: 'transit key backup cannot be opened' },
  OV_TRANSIT_KEY_UNREADABLE: { status: 500, message: 'stored transit key cannot be opened' },
  OV_HEADERS_TOO_LARGE: { status: 431, message: 'request headers exceed the size limit' },
  OV_REQUEST_TIMEOUT: { status: 408, message: 'request was not received in time' },
  OV_TLS_CONFIG: { status: 500, message: 'the TLS certificate or key cannot be used' },
  OV_TLS_REQUIRED: { status: 500, message: 'plain HTTP on a non-loopback address is refused' },
  OV_TLS_HANDSHAKE: { status: 503, message: 'the TLS connection to the vault daemon failed' },
  OV_HOST_REFUSED: { status: 421, message: 'request Host is not an address of this daemon' },
  // snapshots: online save, offline verified restore
  OV_SNAPSHOT_INVALID: { status: 400, message: 'snapshot file is malformed or its data does not match its manifest' },
  OV_SNAPSHOT_UNTRUSTED: { status: 400, message: 'snapshot manifest is not signed by the expected vault signing key' },
  OV_SNAPSHOT_FOREIGN: { status: 409, message: 'snapshot belongs to another vault' },
  OV_SNAPSHOT_UNSUPPORTED: { status: 501, message: 'this storage backend cannot take snapshots' },
  // audit archives and verification across them (src/audit/archive.ts, archive-chain.ts)
  OV_AUDIT_ARCHIVE_MALFORMED: { status: 400, message: 'audit archive file is malformed' },
  OV_AUDIT_ENTRY_MODIFIED: { status: 500, message: 'audit entry does not match its hash chain' },
  OV_AUDIT_ENTRY_MISSING: { status: 500, message: 'audit entries are missing from the chain' },
  OV_AUDIT_ENTRY_REORDERED: { status: 500, message: 'audit entries are out of order' },
  OV_AUDIT_CHECKPOINT_INVALID: { status: 500, message: 'audit checkpoint signature does not verify' },
  OV_AUDIT_ARCHIVE_MISSING: { status: 500, message: 'an audit archive is missing from the chain' },
  OV_AUDIT_ARCHIVE_ORDER: { status: 500, message: 'audit archives are out of order or overlap' },
  OV_AUDIT_ARCHIVE_STALE: { status: 409, message: 'audit archive boundary does not match the stored log' },
  // remote signer (Web3Signer eth2 API)
  OV_SIGNER_KEY_NOT_FOUND: { status: 404, message: 'no active validator key has this public key' },
  OV_SLASHING_REFUSED: { status: 412, message: 'signing refused by slashing protection' },
  OV_SIGNER_FORBIDDEN: { status: 403, message: 'this client may not use the signer' },
  // validators: chain binding of slashing protection, and the bounded KDF queue of imports
  OV_INTERCHANGE_CHAIN_MISMATCH: { status: 409, message: 'slashing protection is for another chain than the key' },
  OV_INTERCHANGE_MIXED_CHAINS: { status: 409, message: 'the keys belong to more than one chain' },
  OV_VALIDATOR_UNBOUND: { status: 409, message: 'validator key is not bound to a chain' },
  OV_KDF_MEMORY_BUDGET: { status: 400, message: 'keystore key derivation needs more memory than the import budget allows' },
  // remote-signer identities (client certificates)
  OV_SIGNER_IDENTITY_EXISTS: { status: 409, message: 'a signer identity with this name exists' },
  OV_SIGNER_IDENTITY_NOT_FOUND: { status: 404, message: 'signer identity not found' },
  OV_SIGNER_IDENTITY_UNREADABLE: { status: 500, message: 'the stored signer identities cannot be opened' },
  // PostgreSQL and the cluster of daemons on it
  OV_STORAGE_UNAVAILABLE: { status: 503, message: 'the database cannot be reached' },
  OV_CLUSTER_LEASE: { status: 503, message: 'this node has no live cluster lease' },
  OV_CLUSTER_MEMBERS_LIVE: { status: 409, message: 'a node of the cluster holds a live lease' },
  OV_STORAGE_EXISTS: { status: 409, message: 'the database already holds a vault' },
  OV_CLUSTER_UNACKNOWLEDGED: { status: 503, message: 'the change was made, but not every node of the cluster has acknowledged it' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class VaultError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: Readonly<Record<string, string | number | boolean>> | undefined;

  constructor(code: ErrorCode, detail?: Record<string, string | number | boolean>, options?: { cause?: unknown }) {
    super(ERRORS[code].message, options);
    this.name = 'VaultError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.detail = detail === undefined ? undefined : Object.freeze({ ...detail });
  }
}

export function isVaultError(e: unknown, code?: ErrorCode): e is VaultError {
  return e instanceof VaultError && (code === undefined || e.code === code);
}

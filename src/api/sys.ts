/**
 * `/v1/sys`: health, seal status, unseal, describe and the OpenAPI document.
 * @module
 */
import { Type, type Static } from 'typebox';
import { closed, ERROR_BODY } from './common.js';

/** Also the body of the 503 (sealed) and 501 (not initialised) answers. */
/** One daemon of a cluster as the database shows it (times: ms since the epoch, database clock). */
export const CLUSTER_MEMBER = Type.Object(
  {
    node: Type.String(),
    addr: Type.Union([Type.String(), Type.Null()]),
    lease_until: Type.Integer(),
    renewed_at: Type.Integer(),
    caught_up_seq: Type.Integer(),
    live: Type.Boolean(),
  },
  closed,
);

/** This daemon's place in a cluster (PostgreSQL storage only). */
export const CLUSTER_HEALTH = Type.Object(
  {
    node: Type.String(),
    role: Type.Enum(['active', 'lapsed'], { description: "'active': lease live, serving; 'lapsed': refusing authenticated requests until renewed" }),
    database_reachable: Type.Boolean(),
    lease_age_ms: Type.Union([Type.Integer(), Type.Null()], { description: 'since the last successful renewal' }),
    caught_up_seq: Type.Integer(),
    members: Type.Array(CLUSTER_MEMBER),
  },
  closed,
);

export const HEALTH = Type.Object(
  {
    initialized: Type.Boolean(),
    sealed: Type.Boolean(),
    version: Type.String(),
    database: Type.Optional(
      Type.Enum(['ok', 'unreachable'], { description: 'whether the storage answers; unreachable makes the answer 503, with the last known seal state' }),
    ),
    cluster: Type.Optional(CLUSTER_HEALTH),
  },
  closed,
);

/**
 * What `GET /v1/sys/health` may answer: the health body, or (503, 501) an error body when
 * a hook answered before the route; both mean the same to a caller.
 */
export const HEALTH_ANSWER = Type.Union([HEALTH, ERROR_BODY]);

export const SEAL_MODE = Type.Enum(['shamir', 'passphrase', 'keyfile']);

/** `GET /v1/sys/seal-status` and the answer of `POST /v1/sys/unseal`. */
export const SEAL_STATUS = Type.Object(
  {
    initialized: Type.Boolean(),
    sealed: Type.Boolean(),
    mode: Type.Union([SEAL_MODE, Type.Null()]),
    t: Type.Union([Type.Integer(), Type.Null()], { description: 'shares needed (shamir mode)' }),
    n: Type.Union([Type.Integer(), Type.Null()], { description: 'shares issued (shamir mode)' }),
    progress: Type.Integer({ description: 'valid shares submitted in the current attempt' }),
    nonce: Type.String({ description: "id of the current unseal attempt; '' when none is pending" }),
    version: Type.String(),
  },
  closed,
);

export const UNSEAL_BODY = Type.Union(
  [
    Type.Object({ share: Type.String({ minLength: 1, maxLength: 1024 }) }, closed),
    Type.Object({ passphrase: Type.String({ minLength: 1, maxLength: 4096 }) }, closed),
    Type.Object({ reset: Type.Literal(true) }, closed),
  ],
  { description: 'exactly one of: a share, the passphrase, or {"reset": true}' },
);

/** `GET /v1/sys/describe`: closed, so nothing unplanned is published. */
export const DESCRIBE = Type.Object(
  {
    name: Type.String(),
    version: Type.String(),
    api: Type.String(),
    node: Type.String(),
    initialized: Type.Boolean(),
    sealed: Type.Boolean(),
    provider: Type.Object(
      {
        name: Type.String(),
        algorithms: Type.Record(Type.String(), Type.String(), { description: 'algorithm -> implementation (noble | native)' }),
      },
      closed,
    ),
    suites: Type.Array(
      Type.Object({ id: Type.Integer(), name: Type.String(), kem: Type.String(), kdf_id: Type.Integer(), aead_id: Type.Integer() }, closed),
    ),
    signature: Type.String({ description: 'configured vault signature scheme' }),
    capabilities: Type.Array(Type.String()),
    tls: Type.Object(
      {
        enabled: Type.Boolean({ description: 'the daemon serves HTTPS' }),
        key_exchange_groups: Type.Array(Type.String(), { description: 'groups offered, best first (X25519MLKEM768 where the runtime has it)' }),
      },
      closed,
    ),
    config_schema: Type.Unknown({ description: 'JSON schema of config.toml' }),
  },
  closed,
);

/**
 * `GET /v1/sys/openapi`: generated from the route schemas by @fastify/swagger, so its
 * inside is that tool's, not ours; the contract is only that it is a JSON object.
 */
export const OPENAPI_DOCUMENT = Type.Record(Type.String(), Type.Unknown());

export const AUDIT_LIST_QUERY = Type.Object(
  {
    after: Type.Optional(Type.String({ description: 'keyset cursor: the `next` of the previous page (a seq)' })),
    limit: Type.Optional(Type.String({ description: 'page size, 1..1000 (default 100)' })),
    path: Type.Optional(Type.String({ maxLength: 2048, description: 'only entries whose path starts with this' })),
    since: Type.Optional(Type.String({ description: 'only entries at or after this RFC 3339 time' })),
    order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { description: 'asc (oldest first, default) or desc (newest first)' })),
  },
  closed,
);

/** One audit entry as stored: `entry` is the chained canonical JSON, parsed (its values already HMAC'd). */
export const AUDIT_ENTRY = Type.Object(
  {
    seq: Type.Integer({ minimum: 1 }),
    time: Type.String({ format: 'date-time', description: 'RFC 3339' }),
    hash: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'entry hash, hex' }),
    entry: Type.Record(Type.String(), Type.Unknown()),
  },
  closed,
);

export const AUDIT_LIST = Type.Object({ entries: Type.Array(AUDIT_ENTRY), next: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]) }, closed);

export const AUDIT_HASH_BODY = Type.Object({ input: Type.String({ maxLength: 65536, description: 'the value to hash; never logged or audited' }) }, closed);

export const AUDIT_HASH = Type.Object({ hash: Type.String({ description: "hmac-sha256:<hex>, as the audit log records such a value" }) }, closed);

/** `POST /v1/sys/audit/archive`: what to archive. */
export const AUDIT_ARCHIVE_BODY = Type.Object(
  {
    before: Type.String({
      maxLength: 64,
      description: 'archive entries older than this: an RFC 3339 time, or a duration back from now such as "30d"; the archive ends on the last checkpoint signed before it',
    }),
  },
  closed,
);

/** `POST /v1/sys/audit/prune`: the end of an archive written and synced by the caller. */
export const AUDIT_PRUNE_BODY = Type.Object(
  {
    through: Type.Integer({ minimum: 1, description: 'last_seq of the archive: a stored checkpoint after the live start' }),
    hash: Type.String({ pattern: '^[0-9a-f]{64}$', description: "that checkpoint's entry hash, hex" }),
  },
  closed,
);

export const AUDIT_PRUNE = Type.Object(
  {
    pruned: Type.Integer({ minimum: 0, description: 'entries removed (0: this boundary was already pruned)' }),
    first_seq: Type.Integer({ minimum: 1, description: 'first entry of the range' }),
    last_seq: Type.Integer({ minimum: 1, description: 'last entry of the range; the live log now starts after it' }),
  },
  closed,
);

export type HealthResponse = Static<typeof HEALTH>;
export type SealMode = Static<typeof SEAL_MODE>;
export type SealStatusResponse = Static<typeof SEAL_STATUS>;
export type UnsealRequest = Static<typeof UNSEAL_BODY>;
export type DescribeResponse = Static<typeof DESCRIBE>;
export type OpenApiDocument = Static<typeof OPENAPI_DOCUMENT>;
export type AuditListQuery = Static<typeof AUDIT_LIST_QUERY>;
export type AuditEntry = Static<typeof AUDIT_ENTRY>;
export type AuditList = Static<typeof AUDIT_LIST>;
export type AuditHashRequest = Static<typeof AUDIT_HASH_BODY>;
export type AuditHashResponse = Static<typeof AUDIT_HASH>;
export type AuditArchiveRequest = Static<typeof AUDIT_ARCHIVE_BODY>;
export type AuditPruneRequest = Static<typeof AUDIT_PRUNE_BODY>;
export type AuditPruneResponse = Static<typeof AUDIT_PRUNE>;

/**
 * JSON schemas (typebox) of every request and response body of the `/v1` API. They are
 * the single source for validation (TypeBoxValidatorCompiler), serialisation
 * (fast-json-stringify writes only the properties a response schema names, so an extra
 * field on an internal object can never leak) and the OpenAPI document
 * (`GET /v1/sys/openapi`). Every object schema sets `additionalProperties: false`
 * (STYLE.md habit 2). Field names are snake_case; times are RFC 3339 strings.
 * @module
 */
import { Type, type TSchema } from 'typebox';

const closed = { additionalProperties: false } as const;

export const ROLE = Type.Enum(['admin', 'operator', 'reader'], { description: 'admin > operator > reader' });
export const KEY_NAME = Type.Enum(['kem', 'sign', 'sign-falcon', 'token', 'audit']);
const TIME = Type.String({ format: 'date-time', description: 'RFC 3339' });
const SESSION_ID = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$', description: 'public session id (UUID v4)' });
const API_KEY_ID = Type.String({ pattern: '^[0-9a-f]{16}$', description: 'public API key id' });
const SCOPE = Type.String({ minLength: 1, maxLength: 513, description: '`*` (everything) or a path such as `apps/web`' });
const DURATION = Type.String({
  pattern: '^(?:[0-9]+d)?(?:[0-9]+h)?(?:[0-9]+m)?(?:[0-9]+s)?(?:[0-9]+ms)?$',
  minLength: 2,
  maxLength: 32,
  description: 'a duration such as "15m" or "1h"',
});

export const ERROR_BODY = Type.Object(
  {
    error: Type.Object(
      {
        code: Type.String({ description: 'permanent error code, see docs/errors.md' }),
        message: Type.String(),
        field: Type.Optional(Type.String({ description: 'path of the request part that failed validation' })),
      },
      closed,
    ),
  },
  closed,
);

/** Error answers every route may give, for the OpenAPI document and the serializer. */
export const ERROR_RESPONSES = { '4xx': ERROR_BODY, '5xx': ERROR_BODY } as const;

// --- sys ---------------------------------------------------------------------------------

export const HEALTH = Type.Object(
  {
    initialized: Type.Boolean(),
    sealed: Type.Boolean(),
    version: Type.String(),
  },
  closed,
);

export const SEAL_STATUS = Type.Object(
  {
    initialized: Type.Boolean(),
    sealed: Type.Boolean(),
    mode: Type.Union([Type.Enum(['shamir', 'passphrase', 'keyfile']), Type.Null()]),
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

/** `GET /v1/sys/describe`: kept open-ended in the client, closed here so nothing unplanned is published. */
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
    config_schema: Type.Unknown({ description: 'JSON schema of config.toml' }),
  },
  closed,
);

// --- sessions ----------------------------------------------------------------------------

export const CREATE_SESSION_BODY = Type.Object(
  {
    key: Type.String({ minLength: 1, maxLength: 256, description: 'the API key, `ovk_<id>_<secret>`' }),
    ttl: Type.Optional(DURATION),
  },
  closed,
);

export const CREATE_SESSION_RESPONSE = Type.Object(
  {
    token: Type.String({ description: 'bearer token, shown once' }),
    id: SESSION_ID,
    expires_at: TIME,
    role: ROLE,
    scope: SCOPE,
  },
  closed,
);

export const SESSION_INFO = Type.Object(
  {
    id: SESSION_ID,
    api_key_id: Type.String(),
    role: ROLE,
    scope: SCOPE,
    label: Type.String(),
    issued_at: TIME,
    expires_at: TIME,
  },
  closed,
);

export const SESSION_LIST = Type.Object({ sessions: Type.Array(SESSION_INFO) }, closed);

export const SESSION_LIST_QUERY = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, description: 'at most this many (default 1000)' })),
    api_key_id: Type.Optional(API_KEY_ID),
  },
  closed,
);

export const SESSION_ID_PARAMS = Type.Object({ id: SESSION_ID }, closed);

// --- API keys ----------------------------------------------------------------------------

export const CREATE_API_KEY_BODY = Type.Object(
  {
    role: ROLE,
    label: Type.String({ minLength: 1, maxLength: 128, description: 'audit label, 1-128 characters, no control characters' }),
    scope: Type.Optional(Type.String({ minLength: 1, maxLength: 513, description: "default: the caller's own scope" })),
  },
  closed,
);

export const API_KEY_INFO = Type.Object(
  {
    id: API_KEY_ID,
    role: ROLE,
    scope: SCOPE,
    label: Type.String(),
    created_at: TIME,
    rotated_at: Type.Union([TIME, Type.Null()]),
  },
  closed,
);

export const API_KEY_WITH_SECRET = Type.Object(
  {
    id: API_KEY_ID,
    role: ROLE,
    scope: SCOPE,
    label: Type.String(),
    created_at: TIME,
    rotated_at: Type.Union([TIME, Type.Null()]),
    key: Type.String({ description: 'the API key, shown once' }),
  },
  closed,
);

export const API_KEY_LIST = Type.Object({ apikeys: Type.Array(API_KEY_INFO) }, closed);
export const API_KEY_ID_PARAMS = Type.Object({ id: API_KEY_ID }, closed);

// --- keyring -----------------------------------------------------------------------------

export const KEY_VERSION_INFO = Type.Object(
  {
    name: KEY_NAME,
    version: Type.Integer(),
    alg: Type.String(),
    key_id: Type.String(),
    public_key: Type.Optional(Type.String({ description: 'armored public key (KEM and signature keys)' })),
    created_at: TIME,
  },
  closed,
);

export const KEY_POLICY = Type.Object(
  {
    name: KEY_NAME,
    alg: Type.String(),
    latest_version: Type.Integer(),
    min_decrypt_version: Type.Integer(),
    versions: Type.Array(KEY_VERSION_INFO),
  },
  closed,
);

export const KEY_LIST = Type.Object({ keys: Type.Array(KEY_POLICY) }, closed);
export const KEY_NAME_PARAMS = Type.Object({ name: KEY_NAME }, closed);
export const MIN_DECRYPT_BODY = Type.Object({ version: Type.Integer({ minimum: 1 }) }, closed);

/** Every named schema, for tests that check each object schema is closed. */
export const ALL_SCHEMAS: Readonly<Record<string, TSchema>> = {
  ERROR_BODY,
  HEALTH,
  SEAL_STATUS,
  UNSEAL_BODY,
  DESCRIBE,
  CREATE_SESSION_BODY,
  CREATE_SESSION_RESPONSE,
  SESSION_INFO,
  SESSION_LIST,
  SESSION_LIST_QUERY,
  SESSION_ID_PARAMS,
  CREATE_API_KEY_BODY,
  API_KEY_INFO,
  API_KEY_WITH_SECRET,
  API_KEY_LIST,
  API_KEY_ID_PARAMS,
  KEY_VERSION_INFO,
  KEY_POLICY,
  KEY_LIST,
  KEY_NAME_PARAMS,
  MIN_DECRYPT_BODY,
};

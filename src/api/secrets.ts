/**
 * `/v1/secrets`, `/v1/secrets-metadata`, `/v1/secrets-undelete`, `/v1/secrets-destroy`:
 * versioned secrets. A read answers JSON, or with `?field=NAME` the value as text/plain,
 * or with the recipient header an armored envelope (media types and header names in
 * ./common.ts). Query values arrive as strings and are parsed by the route, since a
 * path-like value must never be decoded.
 * @module
 */
import { Type, type Static } from 'typebox';
import { closed, TIME } from './common.js';

const VERSION_LIST = Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 100 });

export const SECRET_WRITE_BODY = Type.Object(
  {
    data: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'string fields; names match ^[A-Za-z_][A-Za-z0-9_.-]{0,127}$, at most 256' })),
    binary: Type.Optional(Type.String({ description: 'the value as base64 (instead of data)' })),
    cas: Type.Optional(Type.Integer({ minimum: 0, description: 'check-and-set: the current version required (0 = create only)' })),
  },
  { ...closed, description: 'exactly one of data or binary' },
);

export const SECRET_WRITE_RESPONSE = Type.Object({ path: Type.String(), version: Type.Integer(), created_at: TIME }, closed);

export const SECRET_READ_RESPONSE = Type.Object(
  {
    path: Type.String(),
    version: Type.Integer(),
    created_at: TIME,
    data: Type.Optional(Type.Record(Type.String(), Type.String())),
    binary: Type.Optional(Type.String({ description: 'base64' })),
  },
  closed,
);

export const SECRET_READ_QUERY = Type.Object(
  {
    version: Type.Optional(Type.String({ description: 'a version number (default: the latest)' })),
    field: Type.Optional(Type.String({ description: 'answer only this field, as text/plain' })),
  },
  closed,
);

export const SECRET_DELETE_QUERY = Type.Object(
  { versions: Type.Optional(Type.String({ description: 'comma-separated versions (default: the latest)' })) },
  closed,
);

export const SECRET_LIST_QUERY = Type.Object(
  {
    prefix: Type.Optional(Type.String({ description: "path prefix (default: everything in the caller's scope)" })),
    limit: Type.Optional(Type.String({ description: 'page size, 1..1000 (default 100)' })),
    after: Type.Optional(Type.String({ description: 'keyset cursor: the `next` of the previous page' })),
  },
  closed,
);

export const SECRET_LIST = Type.Object({ paths: Type.Array(Type.String()), next: Type.Union([Type.String(), Type.Null()]) }, closed);

export const SECRET_VERSIONS = Type.Object({ path: Type.String(), versions: Type.Array(Type.Integer()) }, closed);
export const SECRET_VERSIONS_BODY = Type.Object({ versions: VERSION_LIST }, closed);

export const SECRET_METADATA = Type.Object(
  {
    path: Type.String(),
    current_version: Type.Integer(),
    oldest_version: Type.Integer(),
    max_versions: Type.Integer({ description: '0 = the default (10)' }),
    cas_required: Type.Boolean(),
    custom_metadata: Type.Record(Type.String(), Type.String()),
    created_at: TIME,
    updated_at: TIME,
    versions: Type.Array(
      Type.Object(
        {
          version: Type.Integer(),
          created_at: TIME,
          deleted_at: Type.Union([TIME, Type.Null()]),
          destroyed: Type.Boolean(),
          key_version: Type.Integer({ description: 'KEM key version the envelope is sealed under' }),
        },
        closed,
      ),
    ),
  },
  closed,
);

export const SECRET_METADATA_BODY = Type.Object(
  {
    max_versions: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, description: '0 = the default (10)' })),
    cas_required: Type.Optional(Type.Boolean()),
    custom_metadata: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'at most 64 entries; replaces the stored map' })),
  },
  closed,
);

/** Every schema of this module, for the closed-object check. */
export const SECRET_SCHEMAS = {
  SECRET_WRITE_BODY,
  SECRET_WRITE_RESPONSE,
  SECRET_READ_RESPONSE,
  SECRET_READ_QUERY,
  SECRET_DELETE_QUERY,
  SECRET_LIST_QUERY,
  SECRET_LIST,
  SECRET_VERSIONS,
  SECRET_VERSIONS_BODY,
  SECRET_METADATA,
  SECRET_METADATA_BODY,
} as const;

export type PutSecretRequest = Static<typeof SECRET_WRITE_BODY>;
export type SecretWriteResponse = Static<typeof SECRET_WRITE_RESPONSE>;
/** One version, with `data` (string fields) or `binary` (base64). */
export type SecretDocument = Static<typeof SECRET_READ_RESPONSE>;
export type SecretList = Static<typeof SECRET_LIST>;
/** Answer of delete, undelete and destroy: the versions the call affected. */
export type SecretVersionsResponse = Static<typeof SECRET_VERSIONS>;
export type SecretVersionsRequest = Static<typeof SECRET_VERSIONS_BODY>;
export type SecretMetadata = Static<typeof SECRET_METADATA>;
/** One entry of a secret's history. */
export type SecretVersionInfo = SecretMetadata['versions'][number];
export type UpdateSecretMetadataRequest = Static<typeof SECRET_METADATA_BODY>;

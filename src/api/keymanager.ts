/**
 * `/eth/v1/keystores`: the local-keystore part of Ethereum's keymanager API
 * (ethereum/keymanager-APIs, `apis/local_keystores.yaml`), field for field.
 *
 * The two request bodies are the only open objects of the wire contract: the spec's
 * schemas do not forbid other fields, and validator tooling sends some, so unknown
 * fields are accepted and ignored here (every other body refuses them). Errors have
 * the spec's shape, `{"code": <HTTP status>, "message": ...}`.
 * @module
 */
import { Type, type Static } from 'typebox';
import { closed } from './common.js';

/** Request bodies here tolerate fields the spec does not name (see the module comment). */
const open = { additionalProperties: true } as const;

const PUBKEY = Type.String({ pattern: '^0x[a-fA-F0-9]{96}$', description: 'BLS public key, 0x-hex' });

export const KEYMANAGER_LIST = Type.Object(
  {
    data: Type.Array(
      Type.Object(
        {
          validating_pubkey: PUBKEY,
          derivation_path: Type.Optional(Type.String({ description: 'EIP-2334 path, when the keystore had one' })),
          readonly: Type.Boolean(),
        },
        closed,
      ),
    ),
  },
  closed,
);

export const KEYMANAGER_IMPORT_BODY = Type.Object(
  {
    keystores: Type.Array(Type.String({ minLength: 1, maxLength: 64 * 1024, description: 'EIP-2335 keystore, JSON text' }), { maxItems: 1000 }),
    passwords: Type.Array(Type.String({ maxLength: 4096 }), { maxItems: 1000 }),
    slashing_protection: Type.Optional(Type.String({ description: 'EIP-3076 interchange (format version 5), JSON text' })),
  },
  open,
);

const STATUS_MESSAGE = { message: Type.Optional(Type.String()) };

export const KEYMANAGER_IMPORT_RESPONSE = Type.Object(
  { data: Type.Array(Type.Object({ status: Type.Enum(['imported', 'duplicate', 'error']), ...STATUS_MESSAGE }, closed)) },
  closed,
);

export const KEYMANAGER_DELETE_BODY = Type.Object({ pubkeys: Type.Array(PUBKEY, { maxItems: 1000 }) }, open);

export const KEYMANAGER_DELETE_RESPONSE = Type.Object(
  {
    data: Type.Array(Type.Object({ status: Type.Enum(['deleted', 'not_active', 'not_found', 'error']), ...STATUS_MESSAGE }, closed)),
    slashing_protection: Type.String({ description: 'EIP-3076 interchange of the deleted and not_active keys' }),
  },
  closed,
);

/** The spec's error body (`types/http.yaml`): the HTTP status and a message. */
export const KEYMANAGER_ERROR = Type.Object(
  {
    code: Type.Integer({ description: 'the HTTP status' }),
    message: Type.String({ description: 'the error code and its registry message, as `OV_...: message`' }),
  },
  closed,
);

/** Error answers of the keymanager routes. */
export const KEYMANAGER_ERROR_RESPONSES = { '4xx': KEYMANAGER_ERROR, '5xx': KEYMANAGER_ERROR } as const;

export const KEYMANAGER_SCHEMAS = { KEYMANAGER_ERROR, KEYMANAGER_LIST, KEYMANAGER_IMPORT_BODY, KEYMANAGER_IMPORT_RESPONSE, KEYMANAGER_DELETE_BODY, KEYMANAGER_DELETE_RESPONSE };

export type KeymanagerList = Static<typeof KEYMANAGER_LIST>;
export type KeymanagerKeystore = KeymanagerList['data'][number];
export type KeymanagerImportRequest = Static<typeof KEYMANAGER_IMPORT_BODY>;
export type KeymanagerImportResponse = Static<typeof KEYMANAGER_IMPORT_RESPONSE>;
export type KeymanagerDeleteRequest = Static<typeof KEYMANAGER_DELETE_BODY>;
export type KeymanagerDeleteResponse = Static<typeof KEYMANAGER_DELETE_RESPONSE>;
export type KeymanagerError = Static<typeof KEYMANAGER_ERROR>;
export type KeymanagerStatus = KeymanagerImportResponse['data'][number] | KeymanagerDeleteResponse['data'][number];

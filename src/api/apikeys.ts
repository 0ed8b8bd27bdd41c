/**
 * `/v1/apikeys`: API keys (admin). A key's secret appears once, in the answer of create
 * and rotate; listings never carry it.
 * @module
 */
import { Type, type Static } from 'typebox';
import { API_KEY_ID, closed, ROLE, SCOPE, TIME } from './common.js';

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

export type CreateApiKeyRequest = Static<typeof CREATE_API_KEY_BODY>;
export type ApiKeyInfo = Static<typeof API_KEY_INFO>;
export type ApiKeyWithSecret = Static<typeof API_KEY_WITH_SECRET>;
export type ApiKeyList = Static<typeof API_KEY_LIST>;

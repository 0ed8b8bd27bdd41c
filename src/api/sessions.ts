/**
 * `/v1/sessions`: the API key -> session token exchange, listing and revocation.
 * @module
 */
import { Type, type Static } from 'typebox';
import { API_KEY_ID, closed, DURATION, ROLE, SCOPE, SESSION_ID, TIME } from './common.js';

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

/** A session as listed; never the token. */
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

export type CreateSessionRequest = Static<typeof CREATE_SESSION_BODY>;
export type CreateSessionResponse = Static<typeof CREATE_SESSION_RESPONSE>;
export type SessionInfo = Static<typeof SESSION_INFO>;
export type SessionList = Static<typeof SESSION_LIST>;
export type SessionListQuery = Static<typeof SESSION_LIST_QUERY>;

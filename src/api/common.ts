/**
 * Pieces every part of the `/v1` wire contract shares: the error body, roles, key names,
 * id and time formats. Every object schema sets `additionalProperties: false`, so an unknown
 * key is refused on the way in and a drifted answer is caught on the way back. Field
 * names are snake_case; times are RFC 3339 strings. Header names, media types and limits
 * are in ./constants.ts.
 * @module
 */
import { Type, type Static } from 'typebox';

export const closed = { additionalProperties: false } as const;

export const ROLE = Type.Enum(['admin', 'operator', 'reader'], { description: 'admin > operator > reader' });
export const KEY_NAME = Type.Enum(['kem', 'sign', 'sign-falcon', 'token', 'audit']);
export const TIME = Type.String({ format: 'date-time', description: 'RFC 3339' });
export const SESSION_ID = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$', description: 'public session id (UUID v4)' });
export const API_KEY_ID = Type.String({ pattern: '^[0-9a-f]{16}$', description: 'public API key id' });
export const SCOPE = Type.String({ minLength: 1, maxLength: 513, description: '`*` (everything) or a path such as `apps/web`' });
export const DURATION = Type.String({
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

export type Role = Static<typeof ROLE>;
export type KeyName = Static<typeof KEY_NAME>;
export type ErrorBody = Static<typeof ERROR_BODY>;

/**
 * `/v1/keys`: the vault keyring (public information only), rotation, the minimum
 * decryption version and rewrap.
 * @module
 */
import { Type, type Static } from 'typebox';
import { closed, KEY_NAME, TIME } from './common.js';

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

export const REWRAP_BODY = Type.Object(
  {
    batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'versions per transaction (default 100)' })),
    max_versions: Type.Optional(Type.Integer({ minimum: 1, description: 'stop after this many versions (progress in slices)' })),
  },
  closed,
);

export const REWRAP_RESPONSE = Type.Object(
  {
    rewrapped: Type.Integer(),
    remaining: Type.Integer({ description: 'live secret versions still sealed under an older key version' }),
    key_version: Type.Integer({ description: 'the current KEM key version' }),
    done: Type.Boolean(),
  },
  closed,
);

export type KeyVersionInfo = Static<typeof KEY_VERSION_INFO>;
export type KeyPolicy = Static<typeof KEY_POLICY>;
export type KeyList = Static<typeof KEY_LIST>;
export type MinDecryptRequest = Static<typeof MIN_DECRYPT_BODY>;
export type RewrapRequest = Static<typeof REWRAP_BODY>;
export type RewrapResponse = Static<typeof REWRAP_RESPONSE>;

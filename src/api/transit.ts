/**
 * `/v1/transit`: the transit engine's keys and operations, with Vault's field names
 * (docs/transit.md). Plaintexts, inputs, associated data and data keys are base64.
 * Item fields are all optional here: the engine checks each one, so a bad item of a batch
 * becomes that item's error instead of failing the whole batch.
 * @module
 */
import { Type, type Static, type TObject, type TProperties } from 'typebox';
import { closed } from './common.js';
import { MAX_BULK_ITEMS } from './constants.js';

/** Checked by the engine (OV_TRANSIT_NAME_INVALID), not here, so the code is the engine's. */
const NAME = Type.String({ minLength: 1, maxLength: 256, description: 'transit key name, ^[a-z0-9][a-z0-9_.-]{0,127}$' });
const VERSION = Type.Integer({ minimum: 1 });
const B64 = Type.String({ maxLength: 64 * 1024 * 1024, description: 'base64' });
const VALUE = Type.String({ description: '`ontoref:v<N>:<base64>`' });
const ARMORED = Type.String({ maxLength: 64 * 1024, description: 'armored ONTOREF PUBLIC KEY' });

export const TRANSIT_NAME_PARAMS = Type.Object({ name: NAME }, closed);
export const TRANSIT_DATAKEY_PARAMS = Type.Object({ kind: Type.Enum(['plaintext', 'wrapped']), name: NAME }, closed);
const EXPORT_TYPE = Type.Enum(['encryption-key', 'signing-key', 'hmac-key']);
export const TRANSIT_EXPORT_PARAMS = Type.Object({ type: EXPORT_TYPE, name: NAME }, closed);
export const TRANSIT_EXPORT_VERSION_PARAMS = Type.Object({ type: EXPORT_TYPE, name: NAME, version: Type.String({ pattern: '^[1-9][0-9]{0,15}$' }) }, closed);

export const TRANSIT_KEY = Type.Object(
  {
    name: Type.String(),
    type: Type.String(),
    latest_version: Type.Integer(),
    min_decryption_version: Type.Integer(),
    min_encryption_version: Type.Integer(),
    min_available_version: Type.Integer(),
    deletion_allowed: Type.Boolean(),
    exportable: Type.Boolean(),
    allow_plaintext_backup: Type.Boolean(),
    supports_encryption: Type.Boolean(),
    supports_decryption: Type.Boolean(),
    supports_signing: Type.Boolean(),
    supports_derivation: Type.Boolean(),
    keys: Type.Record(
      Type.String({ pattern: '^[1-9][0-9]*$' }),
      Type.Object({ creation_time: Type.Integer({ description: 'ms since the epoch' }), public_key: Type.Optional(ARMORED) }, closed),
      { description: 'version -> creation time and, for asymmetric types, the public key' },
    ),
  },
  closed,
);

export const TRANSIT_KEY_LIST = Type.Object({ keys: Type.Array(Type.String()) }, closed);

export const TRANSIT_CREATE_BODY = Type.Object(
  {
    type: Type.Optional(Type.String({ maxLength: 64, description: 'xwing (default), ml-kem-1024, ml-dsa-65, ml-dsa-87, falcon-512, hmac-sha256, hmac-sha3-256' })),
    exportable: Type.Optional(Type.Boolean()),
    allow_plaintext_backup: Type.Optional(Type.Boolean()),
    deletion_allowed: Type.Optional(Type.Boolean()),
  },
  closed,
);

export const TRANSIT_CONFIG_BODY = Type.Object(
  {
    min_decryption_version: Type.Optional(VERSION),
    min_encryption_version: Type.Optional(Type.Integer({ minimum: 0 })),
    deletion_allowed: Type.Optional(Type.Boolean()),
    exportable: Type.Optional(Type.Boolean()),
    allow_plaintext_backup: Type.Optional(Type.Boolean()),
  },
  closed,
);

export const TRANSIT_TRIM_BODY = Type.Object({ min_available_version: VERSION }, closed);
export const TRANSIT_TRIM_RESPONSE = Type.Object({ trimmed: Type.Integer() }, closed);

/** One failed item of a batch, in its place. */
export const TRANSIT_BATCH_ERROR = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }, closed) }, closed);

const batch = <P extends TProperties>(item: TObject<P>) =>
  Type.Object({ ...item.properties, batch_input: Type.Optional(Type.Array(item, { minItems: 1, maxItems: MAX_BULK_ITEMS })) }, { ...closed, description: 'one item, or batch_input alone' });
const opt = <P extends TProperties>(fields: P) => {
  const partial = Type.Partial(Type.Object(fields));
  return { ...partial, ...closed } as typeof partial;
};
const results = <P extends TProperties>(one: TObject<P>) =>
  Type.Union([one, Type.Object({ batch_results: Type.Array(Type.Union([one, TRANSIT_BATCH_ERROR])) }, closed)]);

export const TRANSIT_ENCRYPT_BODY = batch(opt({ plaintext: B64, associated_data: B64, key_version: VERSION }));
export const TRANSIT_DECRYPT_BODY = batch(opt({ ciphertext: VALUE, associated_data: B64 }));
export const TRANSIT_REWRAP_BODY = batch(opt({ ciphertext: VALUE, associated_data: B64, key_version: VERSION }));
export const TRANSIT_SIGN_BODY = batch(opt({ input: B64, key_version: VERSION, prehashed: Type.Boolean(), hash_algorithm: Type.String({ maxLength: 32 }) }));
export const TRANSIT_VERIFY_BODY = batch(opt({ input: B64, signature: VALUE, hmac: VALUE, prehashed: Type.Boolean(), hash_algorithm: Type.String({ maxLength: 32 }) }));
export const TRANSIT_HMAC_BODY = batch(opt({ input: B64, key_version: VERSION }));

export const TRANSIT_CIPHERTEXT = Type.Object({ ciphertext: VALUE, key_version: Type.Integer() }, closed);
export const TRANSIT_PLAINTEXT = Type.Object({ plaintext: B64 }, closed);
export const TRANSIT_SIGNATURE = Type.Object({ signature: VALUE, key_version: Type.Integer() }, closed);
export const TRANSIT_HMAC = Type.Object({ hmac: VALUE, key_version: Type.Integer() }, closed);
export const TRANSIT_VALID = Type.Object({ valid: Type.Boolean() }, closed);

export const TRANSIT_CIPHERTEXT_RESULTS = results(TRANSIT_CIPHERTEXT);
export const TRANSIT_PLAINTEXT_RESULTS = results(TRANSIT_PLAINTEXT);
export const TRANSIT_SIGNATURE_RESULTS = results(TRANSIT_SIGNATURE);
export const TRANSIT_HMAC_RESULTS = results(TRANSIT_HMAC);
export const TRANSIT_VALID_RESULTS = results(TRANSIT_VALID);

export const TRANSIT_DATAKEY_BODY = Type.Object(
  { bits: Type.Optional(Type.Integer({ description: '128, 256 (default) or 512' })), associated_data: Type.Optional(B64), key_version: Type.Optional(VERSION) },
  closed,
);
export const TRANSIT_DATAKEY = Type.Object({ ciphertext: VALUE, key_version: Type.Integer(), plaintext: Type.Optional(B64) }, closed);

export const TRANSIT_EXPORT = Type.Object(
  { name: Type.String(), type: Type.String(), keys: Type.Record(Type.String({ pattern: '^[1-9][0-9]*$' }), Type.String(), { description: 'version -> armored ONTOREF SECRET KEY, or base64 (HMAC)' }) },
  closed,
);

export const TRANSIT_BACKUP_BODY = Type.Object({ recipient: Type.String({ minLength: 1, maxLength: 64 * 1024, description: "the receiving vault's armored KEM public key" }) }, closed);
export const TRANSIT_BACKUP = Type.Object({ backup: Type.String({ description: 'base64 envelope' }) }, closed);
export const TRANSIT_RESTORE_BODY = Type.Object(
  {
    backup: Type.String({ minLength: 1, maxLength: 64 * 1024 * 1024 }),
    force: Type.Optional(Type.Boolean()),
    trusted: Type.Optional(Type.Array(ARMORED, { minItems: 1, maxItems: 16, description: "the sending vault's armored signature public keys" })),
  },
  closed,
);

export const TRANSIT_SCHEMAS = {
  TRANSIT_NAME_PARAMS,
  TRANSIT_DATAKEY_PARAMS,
  TRANSIT_EXPORT_PARAMS,
  TRANSIT_EXPORT_VERSION_PARAMS,
  TRANSIT_KEY,
  TRANSIT_KEY_LIST,
  TRANSIT_CREATE_BODY,
  TRANSIT_CONFIG_BODY,
  TRANSIT_TRIM_BODY,
  TRANSIT_TRIM_RESPONSE,
  TRANSIT_BATCH_ERROR,
  TRANSIT_ENCRYPT_BODY,
  TRANSIT_DECRYPT_BODY,
  TRANSIT_REWRAP_BODY,
  TRANSIT_SIGN_BODY,
  TRANSIT_VERIFY_BODY,
  TRANSIT_HMAC_BODY,
  TRANSIT_CIPHERTEXT,
  TRANSIT_PLAINTEXT,
  TRANSIT_SIGNATURE,
  TRANSIT_HMAC,
  TRANSIT_VALID,
  TRANSIT_CIPHERTEXT_RESULTS,
  TRANSIT_PLAINTEXT_RESULTS,
  TRANSIT_SIGNATURE_RESULTS,
  TRANSIT_HMAC_RESULTS,
  TRANSIT_VALID_RESULTS,
  TRANSIT_DATAKEY_BODY,
  TRANSIT_DATAKEY,
  TRANSIT_EXPORT,
  TRANSIT_BACKUP_BODY,
  TRANSIT_BACKUP,
  TRANSIT_RESTORE_BODY,
};

export type TransitKey = Static<typeof TRANSIT_KEY>;
export type TransitCreateRequest = Static<typeof TRANSIT_CREATE_BODY>;
export type TransitConfigRequest = Static<typeof TRANSIT_CONFIG_BODY>;
export type TransitEncryptRequest = Static<typeof TRANSIT_ENCRYPT_BODY>;
export type TransitDecryptRequest = Static<typeof TRANSIT_DECRYPT_BODY>;
export type TransitRewrapRequest = Static<typeof TRANSIT_REWRAP_BODY>;
export type TransitSignRequest = Static<typeof TRANSIT_SIGN_BODY>;
export type TransitVerifyRequest = Static<typeof TRANSIT_VERIFY_BODY>;
export type TransitHmacRequest = Static<typeof TRANSIT_HMAC_BODY>;
export type TransitDatakeyRequest = Static<typeof TRANSIT_DATAKEY_BODY>;
export type TransitDatakey = Static<typeof TRANSIT_DATAKEY>;
export type TransitExport = Static<typeof TRANSIT_EXPORT>;
export type TransitBatchError = Static<typeof TRANSIT_BATCH_ERROR>;
export type TransitRestoreRequest = Static<typeof TRANSIT_RESTORE_BODY>;

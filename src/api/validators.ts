/**
 * `/v1/validators`: validator slots, their keys, the rotation workflow, export and the
 * signed rotation history. Key material travels only in request bodies, never in a URL.
 * @module
 */
import { Type, type Static } from 'typebox';
import { closed, TIME } from './common.js';
import { MAX_BULK_ITEMS } from './constants.js';

const NAME = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', description: 'slot name' });
const CHAIN = Type.Enum(['ethereum', 'cosmos', 'solana']);
const KEY_STATE = Type.Enum(['pending', 'active', 'retired']);
const UINT64 = Type.String({ pattern: '^(0|[1-9][0-9]{0,19})$', description: 'uint64 as a decimal string' });
const KEY_ID = Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$', description: 'key id (UUID v4)' });
const STRING_MAP = Type.Record(Type.String({ pattern: '^[A-Za-z0-9._/-]{1,64}$' }), Type.String({ maxLength: 1024 }), {
  maxProperties: 32,
  description: 'string map, at most 32 entries',
});
const KEYSTORE_TEXT = Type.String({ minLength: 1, maxLength: 64 * 1024, description: 'EIP-2335 keystore (JSON text)' });
const PASSWORD = Type.String({ maxLength: 4096 });
const KEY_FILE = Type.String({ minLength: 1, maxLength: 64 * 1024, description: 'priv_validator_key.json or Solana keypair JSON (text)' });
const STATE_FILE = Type.String({ minLength: 1, maxLength: 1024 * 1024, description: 'priv_validator_state.json (text)' });

export const SIGNING_STATE = Type.Object(
  {
    height: Type.Optional(UINT64),
    round: Type.Optional(Type.Integer({ minimum: 0 })),
    step: Type.Optional(Type.Integer({ minimum: 0, maximum: 3 })),
    max_block_slot: Type.Optional(Type.Union([UINT64, Type.Null()])),
    max_source_epoch: Type.Optional(Type.Union([UINT64, Type.Null()])),
    max_target_epoch: Type.Optional(Type.Union([UINT64, Type.Null()])),
  },
  { ...closed, description: 'cosmos {height, round, step}; ethereum watermarks; solana {}' },
);

export const VALIDATOR_KEY = Type.Object(
  {
    id: KEY_ID,
    key_type: Type.Enum(['BLS12-381', 'Ed25519']),
    public_key: Type.String({ description: 'ethereum 0x-hex, cosmos base64, solana base58' }),
    address: Type.Union([Type.String(), Type.Null()]),
    state: KEY_STATE,
    created_at: TIME,
    activated_at: Type.Union([TIME, Type.Null()]),
    retired_at: Type.Union([TIME, Type.Null()]),
    source: Type.Enum(['imported-eip2335', 'imported-cosmos', 'imported-solana', 'generated', 'derived']),
    derivation_path: Type.Union([Type.String(), Type.Null()]),
  },
  closed,
);

export const VALIDATOR_SLOT = Type.Object(
  {
    name: NAME,
    chain: CHAIN,
    labels: STRING_MAP,
    metadata: STRING_MAP,
    signing_state: SIGNING_STATE,
    created_at: TIME,
    keys: Type.Array(VALIDATOR_KEY),
    watermarks_unconfirmed: Type.Optional(
      Type.Literal(true, { description: 'present after a snapshot restore: the keys must not sign until their signing watermarks are confirmed' }),
    ),
  },
  closed,
);

const MATERIAL = {
  format: Type.Enum(['eip2335', 'cosmos', 'solana', 'generate']),
  keystore: Type.Optional(KEYSTORE_TEXT),
  password: Type.Optional(PASSWORD),
  key_file: Type.Optional(KEY_FILE),
  state_file: Type.Optional(STATE_FILE),
};

export const CREATE_VALIDATOR_BODY = Type.Object(
  { name: NAME, chain: CHAIN, ...MATERIAL, labels: Type.Optional(STRING_MAP), metadata: Type.Optional(STRING_MAP) },
  closed,
);

export const ROTATE_VALIDATOR_BODY = Type.Object({ ...MATERIAL, derive_index: Type.Optional(Type.Integer({ minimum: 0, maximum: 0xffffffff, description: 'EIP-2334 index: derive m/12381/3600/i/0/0 from the mnemonic at the slot metadata mnemonic_ref (with format generate)' })) }, closed);

export const BULK_IMPORT_BODY = Type.Object(
  {
    chain: Type.Literal('ethereum'),
    items: Type.Array(Type.Object({ name: Type.Optional(NAME), keystore: KEYSTORE_TEXT, password: PASSWORD }, closed), { minItems: 1, maxItems: MAX_BULK_ITEMS }),
    state: Type.Optional(Type.Literal('active')),
    genesis_validators_root: Type.Optional(Type.String({ pattern: '^0x[0-9a-fA-F]{64}$', description: "the keys' chain (EIP-3076 genesis validators root)" })),
  },
  closed,
);

export const BULK_IMPORT_RESPONSE = Type.Object(
  {
    results: Type.Array(
      Type.Object(
        {
          index: Type.Integer(),
          status: Type.Enum(['imported', 'duplicate', 'error']),
          name: Type.Optional(Type.String()),
          public_key: Type.Optional(Type.String()),
          code: Type.Optional(Type.String()),
          message: Type.Optional(Type.String()),
        },
        closed,
      ),
    ),
  },
  closed,
);

export const EXPORT_VALIDATOR_BODY = Type.Object(
  { key_id: Type.Optional(KEY_ID), format: Type.Enum(['eip2335', 'cosmos', 'solana']), password: Type.Optional(PASSWORD) },
  closed,
);

export const EXPORT_VALIDATOR_RESPONSE = Type.Object(
  // Closed: a file name the pattern does not admit (a path, say) is refused, not passed through.
  { files: Type.Record(Type.String({ pattern: '^[a-z_]+\\.json$' }), Type.String(), { ...closed, description: 'file name -> contents' }) },
  closed,
);

export const VALIDATOR_RECORD = Type.Object(
  {
    seq: Type.Integer(),
    slot: Type.String(),
    action: Type.Enum(['import', 'rotate', 'promote', 'retire', 'destroy', 'signing-state', 'reactivate']),
    key_id: Type.String(),
    public_key: Type.String(),
    prev_key_id: Type.Union([Type.String(), Type.Null()]),
    signing_state: SIGNING_STATE,
    time: Type.String(),
    prev_hash: Type.String(),
    alg: Type.String(),
    key_version: Type.Integer(),
    signature: Type.String({ description: 'base64' }),
  },
  closed,
);

export const VALIDATOR_HISTORY = Type.Object(
  {
    records: Type.Array(VALIDATOR_RECORD),
    public_keys: Type.Array(Type.String({ description: 'armored ONTOREF PUBLIC KEY' })),
  },
  closed,
);

export const NAME_PARAMS = Type.Object({ name: NAME }, closed);
export const KEY_PARAMS = Type.Object({ name: NAME, id: KEY_ID }, closed);
export const LIST_QUERY = Type.Object({ chain: Type.Optional(CHAIN), state: Type.Optional(KEY_STATE) }, closed);
export const DESTROY_QUERY = Type.Object({ confirm: Type.Optional(Type.String({ maxLength: 256, description: 'the key\'s public key as shown' })) }, closed);

/** `GET /v1/validators`. */
export const VALIDATOR_LIST = Type.Object({ validators: Type.Array(VALIDATOR_SLOT) }, closed);
/** `DELETE /v1/validators/{name}/keys/{id}`: the id of the key whose material is gone. */
export const DESTROY_KEY_RESPONSE = Type.Object({ destroyed: KEY_ID }, closed);

export const VALIDATOR_SCHEMAS = {
  VALIDATOR_LIST,
  DESTROY_KEY_RESPONSE,
  SIGNING_STATE,
  VALIDATOR_KEY,
  VALIDATOR_SLOT,
  CREATE_VALIDATOR_BODY,
  ROTATE_VALIDATOR_BODY,
  BULK_IMPORT_BODY,
  BULK_IMPORT_RESPONSE,
  EXPORT_VALIDATOR_BODY,
  EXPORT_VALIDATOR_RESPONSE,
  VALIDATOR_RECORD,
  VALIDATOR_HISTORY,
  NAME_PARAMS,
  KEY_PARAMS,
  LIST_QUERY,
  DESTROY_QUERY,
};

export type ValidatorChain = Static<typeof CHAIN>;
export type ValidatorKeyState = Static<typeof KEY_STATE>;
export type SigningState = Static<typeof SIGNING_STATE>;
export type ValidatorKeyInfo = Static<typeof VALIDATOR_KEY>;
export type ValidatorKeyType = ValidatorKeyInfo['key_type'];
export type ValidatorKeySource = ValidatorKeyInfo['source'];
export type ValidatorSlot = Static<typeof VALIDATOR_SLOT>;
export type ValidatorList = Static<typeof VALIDATOR_LIST>;
export type ValidatorListQuery = Static<typeof LIST_QUERY>;
export type CreateValidatorRequest = Static<typeof CREATE_VALIDATOR_BODY>;
/** How a key reaches the daemon: a file format, or generated inside it. */
export type ValidatorImportFormat = CreateValidatorRequest['format'];
export type RotateValidatorRequest = Static<typeof ROTATE_VALIDATOR_BODY>;
export type BulkImportRequest = Static<typeof BULK_IMPORT_BODY>;
export type BulkImportItem = BulkImportRequest['items'][number];
export type BulkImportResponse = Static<typeof BULK_IMPORT_RESPONSE>;
export type BulkImportResult = BulkImportResponse['results'][number];
export type ExportValidatorRequest = Static<typeof EXPORT_VALIDATOR_BODY>;
export type ValidatorExportFormat = ExportValidatorRequest['format'];
export type ExportValidatorResponse = Static<typeof EXPORT_VALIDATOR_RESPONSE>;
export type ValidatorRecord = Static<typeof VALIDATOR_RECORD>;
export type ValidatorHistory = Static<typeof VALIDATOR_HISTORY>;
export type DestroyValidatorKeyResponse = Static<typeof DESTROY_KEY_RESPONSE>;

/**
 * Wire schemas of slashing protection bound to chains (EIP-3076 interchange import and
 * export, chain binding, watermark confirmation) and of bulk import jobs, under
 * `/v1/validators`.
 * @module
 */
import { Type, type Static } from 'typebox';
import { closed, TIME } from './common.js';
import { BULK_IMPORT_RESPONSE } from './validators.js';

const ROOT = Type.String({ pattern: '^0x[0-9a-fA-F]{64}$', description: 'genesis validators root, 0x-hex of 32 bytes' });
const PUBKEY = Type.String({ pattern: '^0x[a-fA-F0-9]{96}$', description: 'BLS public key, 0x-hex' });
const UINT64 = Type.String({ pattern: '^(0|[1-9][0-9]{0,19})$', description: 'uint64 as a decimal string' });

export const INTERCHANGE_IMPORT_BODY = Type.Object(
  { interchange: Type.String({ minLength: 2, description: 'EIP-3076 interchange (format version 5), JSON text' }) },
  closed,
);

export const INTERCHANGE_IMPORT_RESPONSE = Type.Object(
  {
    genesis_validators_root: ROOT,
    results: Type.Array(
      Type.Object(
        {
          pubkey: PUBKEY,
          status: Type.Enum(['raised', 'unchanged', 'not_found']),
          name: Type.Optional(Type.String({ description: 'the slot holding the key' })),
        },
        closed,
      ),
    ),
  },
  closed,
);

export const INTERCHANGE_EXPORT_BODY = Type.Object(
  {
    pubkeys: Type.Optional(Type.Array(PUBKEY, { maxItems: 10_000 })),
    genesis_validators_root: Type.Optional(ROOT),
  },
  closed,
);

export const INTERCHANGE_EXPORT_RESPONSE = Type.Object({ interchange: Type.String({ description: 'EIP-3076 interchange, JSON text' }) }, closed);

export const BIND_CHAIN_BODY = Type.Object({ genesis_validators_root: ROOT }, closed);

export const CONFIRM_WATERMARKS_BODY = Type.Object(
  {
    height: Type.Optional(UINT64),
    round: Type.Optional(Type.Integer({ minimum: 0 })),
    step: Type.Optional(Type.Integer({ minimum: 0, maximum: 3 })),
    max_block_slot: Type.Optional(UINT64),
    max_source_epoch: Type.Optional(UINT64),
    max_target_epoch: Type.Optional(UINT64),
  },
  { ...closed, description: 'the least watermarks to hold: cosmos {height, round, step}; ethereum any of the three; solana {}' },
);

const RESULT = BULK_IMPORT_RESPONSE.properties.results.items;

export const IMPORT_JOB = Type.Object(
  {
    id: Type.String({ pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$', description: 'job id' }),
    state: Type.Enum(['running', 'done', 'failed']),
    total: Type.Integer({ minimum: 0 }),
    done: Type.Integer({ minimum: 0 }),
    created_at: TIME,
    finished_at: Type.Union([TIME, Type.Null()]),
    results: Type.Optional(Type.Array(RESULT, { description: 'every item, in input order, once done' })),
    code: Type.Optional(Type.String({ description: 'why a failed job failed as a whole' })),
  },
  closed,
);

export const JOB_PARAMS = Type.Object({ id: IMPORT_JOB.properties.id }, closed);

export type InterchangeImportRequest = Static<typeof INTERCHANGE_IMPORT_BODY>;
export type InterchangeImportResponse = Static<typeof INTERCHANGE_IMPORT_RESPONSE>;
export type InterchangeExportRequest = Static<typeof INTERCHANGE_EXPORT_BODY>;
export type InterchangeExportResponse = Static<typeof INTERCHANGE_EXPORT_RESPONSE>;
export type BindChainRequest = Static<typeof BIND_CHAIN_BODY>;
export type ConfirmWatermarksRequest = Static<typeof CONFIRM_WATERMARKS_BODY>;
export type ImportJob = Static<typeof IMPORT_JOB>;

/** `POST /v1/validators/keymanager-token`: the new token, shown once. */
export const KEYMANAGER_TOKEN_RESPONSE = Type.Object({ token: Type.String({ pattern: '^ovkm_[A-Za-z0-9_-]{43}$' }) }, closed);
export type KeymanagerTokenResponse = Static<typeof KEYMANAGER_TOKEN_RESPONSE>;

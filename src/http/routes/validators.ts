/**
 * `/v1/validators`: typed validator slots, their keys and the rotation workflow
 * (src/validators/service.ts; docs/api.md, docs/validators.md).
 *
 * Access: the scope path of a slot is `validators/<name>` (`pathInScope`); a slot outside
 * the caller's scope is 403 whether it exists or not (no existence oracle), and lists
 * only show slots in scope. reader: list, show, history; operator: import, rotate,
 * promote, retire, signing-state; admin: export, destroy.
 *
 * Key material arrives only in request bodies (keystore, password, key_file), which are
 * never logged (LOG_REDACT_PATHS is the backstop) and never echoed: errors carry the
 * registry message only. Audit entries get the slot name, the action and key ids.
 * @module
 */
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { pathInScope } from '../../auth/scope.js';
import { VaultError } from '../../errors.js';
import { ADMIN, ANY_SESSION, audit, callerOf, OPERATOR, type AuditDetail, type RoutePlugin, type VaultApp } from '../context.js';
import { ERROR_RESPONSES } from '../schemas.js';

const closed = { additionalProperties: false } as const;
/** Bulk imports carry up to 1000 keystores (~1 KiB each) and keymanager interchanges can be large. */
export const VALIDATOR_BULK_BODY_LIMIT = 16 * 1024 * 1024;

const NAME = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', description: 'slot name' });
const CHAIN = Type.Enum(['ethereum', 'cosmos', 'solana']);
const KEY_STATE = Type.Enum(['pending', 'active', 'retired']);
const TIME = Type.String({ format: 'date-time', description: 'RFC 3339' });
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
    items: Type.Array(Type.Object({ name: Type.Optional(NAME), keystore: KEYSTORE_TEXT, password: PASSWORD }, closed), { minItems: 1, maxItems: 1000 }),
    state: Type.Optional(Type.Literal('active')),
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
  { files: Type.Record(Type.String({ pattern: '^[a-z_]+\\.json$' }), Type.String(), { description: 'file name -> contents' }) },
  closed,
);

export const VALIDATOR_RECORD = Type.Object(
  {
    seq: Type.Integer(),
    slot: Type.String(),
    action: Type.Enum(['import', 'rotate', 'promote', 'retire', 'destroy', 'signing-state']),
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

const NAME_PARAMS = Type.Object({ name: NAME }, closed);
const KEY_PARAMS = Type.Object({ name: NAME, id: KEY_ID }, closed);
const LIST_QUERY = Type.Object({ chain: Type.Optional(CHAIN), state: Type.Optional(KEY_STATE) }, closed);
const DESTROY_QUERY = Type.Object({ confirm: Type.Optional(Type.String({ maxLength: 256, description: 'the key\'s public key as shown' })) }, closed);

export const VALIDATOR_SCHEMAS = {
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

/** promote and retire take no input: no body, or `{}`; anything else is refused (unknown keys). */
function emptyBody(request: FastifyRequest, _reply: unknown, done: (err?: Error) => void): void {
  const body = request.body;
  const empty = body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0);
  done(empty ? undefined : new VaultError('OV_BAD_REQUEST', { field: 'body' }));
}

/** A slot's scope path (`validators/<name>`): out of scope is 403 whether it exists or not. */
const slotPath = (request: FastifyRequest): string => `validators/${(request.params as { name: string }).name}`;

const createDetail = (b: { name: string; chain: string; format: string }): AuditDetail => ({ validator: b.name, action: 'import', chain: b.chain, format: b.format });
const rotateDetail = (r: { params: { name: string }; body: { format: string } }): AuditDetail => ({ validator: r.params.name, action: 'rotate', format: r.body.format });
/** Slot operations whose detail is the slot and the action. */
const action = (name: string) => audit<{ Params: { name: string } }>({ request: (request) => ({ validator: request.params.name, action: name }) });

type Slot = { keys: readonly { id: string; state: string }[] };
/** The detail plus the id of the slot's first key in `state` (or its first key), when there is one. */
const withKey = (detail: AuditDetail | undefined, slot: Slot, state?: string): AuditDetail | undefined => {
  const key = state === undefined ? slot.keys[0] : slot.keys.find((k) => k.state === state);
  return key === undefined ? undefined : { ...detail, key_id: key.id };
};
const counts = (items: readonly { status: string }[], statuses: readonly string[]): AuditDetail => {
  const out: AuditDetail = { items: items.length };
  for (const st of statuses) out[st] = items.filter((r) => r.status === st).length;
  return out;
};

/** Registered under `/v1/validators`. */
export const validatorRoutes: RoutePlugin = (instance, { ctx }, done) => {
  const app = instance as VaultApp;
  const service = ctx.vault.validators;
  const common = { tags: ['validators'], security: [{ bearer: [] }] };

  app.get(
    '',
    {
      config: { access: ANY_SESSION },
      schema: {
        ...common,
        summary: 'List validator slots in scope, optionally by chain or by a key state',
        querystring: LIST_QUERY,
        response: { 200: Type.Object({ validators: Type.Array(VALIDATOR_SLOT) }, closed), ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const scope = callerOf(request).scope;
      const q = request.query;
      return {
        validators: service.list({
          ...(q.chain === undefined ? {} : { chain: q.chain }),
          ...(q.state === undefined ? {} : { state: q.state }),
          visible: (name) => pathInScope(scope, `validators/${name}`),
        }),
      };
    },
  );

  app.post(
    '',
    {
      config: {
        access: OPERATOR,
        scopePath: (request) => `validators/${(request.body as { name: string }).name}`,
        audit: audit<{ Body: { name: string; chain: string; format: string } }, Slot>({
          request: (request) => createDetail(request.body),
          result: (slot, request) => withKey(createDetail(request.body), slot),
        }),
      },
      schema: {
        ...common,
        summary: 'Create a slot with its first key (imported or generated), active',
        body: CREATE_VALIDATOR_BODY,
        response: { 201: VALIDATOR_SLOT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const slot = await service.create(request.body);
      void reply.code(201);
      return slot;
    },
  );

  app.post(
    '/import',
    {
      bodyLimit: Math.max(ctx.vault.config.limits.bodyLimit, VALIDATOR_BULK_BODY_LIMIT),
      config: {
        access: OPERATOR,
        audit: audit<object, { results: { status: string }[] }>({
          result: (r) => ({ action: 'bulk-import', ...counts(r.results, ['imported', 'duplicate', 'error']) }),
        }),
      },
      schema: {
        ...common,
        summary: 'Bulk import of EIP-2335 keystores, one active slot each; per-item results in input order',
        body: BULK_IMPORT_BODY,
        response: { 200: BULK_IMPORT_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const scope = callerOf(request).scope;
      const results = await service.importBulk(request.body.items, { allowed: (name) => pathInScope(scope, `validators/${name}`) });
      return { results };
    },
  );

  app.get(
    '/:name',
    {
      config: { access: ANY_SESSION, scopePath: slotPath },
      schema: { ...common, summary: 'One slot with its keys', params: NAME_PARAMS, response: { 200: VALIDATOR_SLOT, ...ERROR_RESPONSES } },
    },
    (request) => service.get(request.params.name),
  );

  app.put(
    '/:name/signing-state',
    {
      config: { access: OPERATOR, scopePath: slotPath, audit: action('signing-state') },
      schema: {
        ...common,
        summary: 'Raise the slot signing state (never lowers)',
        params: NAME_PARAMS,
        body: SIGNING_STATE,
        response: { 200: VALIDATOR_SLOT, ...ERROR_RESPONSES },
      },
    },
    (request) => service.setSigningState(request.params.name, request.body),
  );

  app.post(
    '/:name/rotate',
    {
      config: {
        access: OPERATOR,
        scopePath: slotPath,
        audit: audit<{ Params: { name: string }; Body: { format: string } }, Slot>({
          request: (request) => rotateDetail(request),
          result: (slot, request) => withKey(rotateDetail(request), slot, 'pending'),
        }),
      },
      schema: {
        ...common,
        summary: 'Add the next key (generated or imported) as pending',
        params: NAME_PARAMS,
        body: ROTATE_VALIDATOR_BODY,
        response: { 201: VALIDATOR_SLOT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const scope = callerOf(request).scope;
      const slot = await service.rotate(request.params.name, request.body, { secretAllowed: (path) => pathInScope(scope, path) });
      void reply.code(201);
      return slot;
    },
  );

  app.post(
    '/:name/promote',
    {
      config: {
        access: OPERATOR,
        scopePath: slotPath,
        audit: audit<{ Params: { name: string } }, Slot>({
          request: (request) => ({ validator: request.params.name, action: 'promote' }),
          result: (slot, request) => withKey({ validator: request.params.name, action: 'promote' }, slot, 'active'),
        }),
      },
      preHandler: emptyBody,
      schema: {
        ...common,
        summary: 'pending -> active, active -> retired, in one transaction',
        params: NAME_PARAMS,
        response: { 200: VALIDATOR_SLOT, ...ERROR_RESPONSES },
      },
    },
    (request) => service.promote(request.params.name),
  );

  app.post(
    '/:name/retire',
    {
      config: { access: OPERATOR, scopePath: slotPath, audit: action('retire') },
      preHandler: emptyBody,
      schema: {
        ...common,
        summary: 'active -> retired (no active key left)',
        params: NAME_PARAMS,
        response: { 200: VALIDATOR_SLOT, ...ERROR_RESPONSES },
      },
    },
    (request) => service.retire(request.params.name),
  );

  app.post(
    '/:name/export',
    {
      config: {
        access: ADMIN,
        scopePath: slotPath,
        audit: audit<{ Params: { name: string }; Body: { format: string } }>({
          request: (request) => ({ validator: request.params.name, action: 'export', format: request.body.format }),
        }),
      },
      schema: {
        ...common,
        summary: "Export a key (default: the active one) in its chain's file format (admin)",
        params: NAME_PARAMS,
        body: EXPORT_VALIDATOR_BODY,
        response: { 200: EXPORT_VALIDATOR_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const b = request.body;
      const { files, key_id } = await service.export(request.params.name, {
        format: b.format,
        ...(b.key_id === undefined ? {} : { key_id: b.key_id }),
        ...(b.password === undefined ? {} : { password: b.password }),
      });
      // The exported key's id is not in the answer: recorded here.
      request.vault.detail = { ...request.vault.detail, key_id };
      return { files };
    },
  );

  app.get(
    '/:name/history',
    {
      config: { access: ANY_SESSION, scopePath: slotPath },
      schema: {
        ...common,
        summary: 'Signed rotation records and the vault signature public keys that verify them',
        params: NAME_PARAMS,
        response: { 200: VALIDATOR_HISTORY, ...ERROR_RESPONSES },
      },
    },
    (request) => service.history(request.params.name),
  );

  app.delete(
    '/:name/keys/:id',
    {
      config: {
        access: ADMIN,
        scopePath: slotPath,
        audit: audit<{ Params: { name: string; id: string } }>({
          request: (request) => ({ validator: request.params.name, action: 'destroy', key_id: request.params.id }),
        }),
      },
      schema: {
        ...common,
        summary: 'Destroy a retired key (admin); ?confirm= must be its public key',
        params: KEY_PARAMS,
        querystring: DESTROY_QUERY,
        response: { 200: Type.Object({ destroyed: KEY_ID }, closed), ...ERROR_RESPONSES },
      },
    },
    (request) => service.destroy(request.params.name, request.params.id, request.query.confirm),
  );
  done();
};

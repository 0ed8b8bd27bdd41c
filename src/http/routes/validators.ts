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
import { pathInScope } from '../../auth/scope.js';
import type { Session } from '../../auth/session-store.js';
import { VaultError } from '../../errors.js';
import { SecretService, parseSecretPath } from '../../secrets/index.js';
import { ValidatorService } from '../../validators/service.js';
import { ADMIN, ANY_SESSION, OPERATOR, type RouteContext, type VaultApp } from '../context.js';
import {
  BULK_IMPORT_BODY,
  BULK_IMPORT_RESPONSE,
  CREATE_VALIDATOR_BODY,
  DESTROY_KEY_RESPONSE,
  DESTROY_QUERY,
  ERROR_RESPONSES,
  EXPORT_VALIDATOR_BODY,
  EXPORT_VALIDATOR_RESPONSE,
  KEY_PARAMS,
  LIST_QUERY,
  NAME_PARAMS,
  ROTATE_VALIDATOR_BODY,
  SIGNING_STATE,
  VALIDATOR_HISTORY,
  VALIDATOR_LIST,
  VALIDATOR_SLOT,
} from '../../api/index.js';

/** Bulk imports carry up to 1000 keystores (~1 KiB each) and keymanager interchanges can be large. */
export const VALIDATOR_BULK_BODY_LIMIT = 16 * 1024 * 1024;

/** promote and retire take no input: no body, or `{}`; anything else is refused (unknown keys). */
function emptyBody(body: unknown): void {
  const empty = body === undefined || body === null || (typeof body === 'object' && !Array.isArray(body) && Object.keys(body).length === 0);
  if (!empty) throw new VaultError('OV_BAD_REQUEST', { field: 'body' });
}

function caller(request: { vault: { session: Session | undefined } }): Session {
  const s = request.vault.session;
  if (s === undefined) throw new VaultError('OV_AUTH_INVALID');
  return s;
}

/** The service a server's routes share (stateless apart from its dependencies). */
export function validatorService(ctx: RouteContext): ValidatorService {
  const { deps } = ctx;
  // Only for EIP-2333 derivation from a slot's mnemonic_ref. No read cache: a mnemonic is
  // read once per derivation and should not linger in the cache's memory.
  const secrets = new SecretService({ storage: deps.storage, provider: deps.provider, keyring: deps.keyring, signature: deps.config.crypto.signature, now: ctx.now, cacheBytes: 0 });
  const readSecretField = (path: string, field: string): string => {
    const r = secrets.get(parseSecretPath(path, 'mnemonic_ref'));
    if (r.kind !== 'data') throw new VaultError('OV_FIELD_NOT_FOUND');
    const fields = JSON.parse(new TextDecoder().decode(r.plaintext)) as Record<string, unknown>;
    const value = Object.prototype.hasOwnProperty.call(fields, field) ? fields[field] : undefined;
    if (typeof value !== 'string') throw new VaultError('OV_FIELD_NOT_FOUND');
    return value;
  };
  return new ValidatorService({
    storage: deps.storage,
    provider: deps.provider,
    keyring: deps.keyring,
    signature: deps.config.crypto.signature,
    now: ctx.now,
    readSecretField,
  });
}

export function registerValidatorRoutes(app: VaultApp, ctx: RouteContext): void {
  const service = validatorService(ctx);

  /** 403 unless the caller's scope covers the slot (checked before existence). */
  const inScope = (request: { vault: { session: Session | undefined } }, name: string): void => {
    if (!pathInScope(caller(request).scope, `validators/${name}`)) throw new VaultError('OV_FORBIDDEN');
  };
  const common = { tags: ['validators'], security: [{ bearer: [] }] };

  app.get(
    '/v1/validators',
    {
      config: { access: ANY_SESSION },
      schema: {
        ...common,
        summary: 'List validator slots in scope, optionally by chain or by a key state',
        querystring: LIST_QUERY,
        response: { 200: VALIDATOR_LIST, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const scope = caller(request).scope;
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
    '/v1/validators',
    {
      config: { access: OPERATOR },
      schema: {
        ...common,
        summary: 'Create a slot with its first key (imported or generated), active',
        body: CREATE_VALIDATOR_BODY,
        response: { 201: VALIDATOR_SLOT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const b = request.body;
      inScope(request, b.name);
      request.vault.detail = { validator: b.name, action: 'import', chain: b.chain, format: b.format };
      const slot = await service.create(b);
      const key = slot.keys[0];
      if (key !== undefined) request.vault.detail = { ...request.vault.detail, key_id: key.id };
      return reply.code(201).send(slot);
    },
  );

  app.post(
    '/v1/validators/import',
    {
      bodyLimit: Math.max(ctx.deps.config.limits.bodyLimit, VALIDATOR_BULK_BODY_LIMIT),
      config: { access: OPERATOR },
      schema: {
        ...common,
        summary: 'Bulk import of EIP-2335 keystores, one active slot each; per-item results in input order',
        body: BULK_IMPORT_BODY,
        response: { 200: BULK_IMPORT_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const scope = caller(request).scope;
      const results = await service.importBulk(request.body.items, { allowed: (name) => pathInScope(scope, `validators/${name}`) });
      const count = (s: string): number => results.filter((r) => r.status === s).length;
      request.vault.detail = { action: 'bulk-import', items: results.length, imported: count('imported'), duplicate: count('duplicate'), error: count('error') };
      return { results };
    },
  );

  app.get(
    '/v1/validators/:name',
    {
      config: { access: ANY_SESSION },
      schema: { ...common, summary: 'One slot with its keys', params: NAME_PARAMS, response: { 200: VALIDATOR_SLOT, ...ERROR_RESPONSES } },
    },
    (request) => {
      inScope(request, request.params.name);
      return service.get(request.params.name);
    },
  );

  app.put(
    '/v1/validators/:name/signing-state',
    {
      config: { access: OPERATOR },
      schema: {
        ...common,
        summary: 'Raise the slot signing state (never lowers)',
        params: NAME_PARAMS,
        body: SIGNING_STATE,
        response: { 200: VALIDATOR_SLOT, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const name = request.params.name;
      inScope(request, name);
      request.vault.detail = { validator: name, action: 'signing-state' };
      return service.setSigningState(name, request.body);
    },
  );

  app.post(
    '/v1/validators/:name/rotate',
    {
      config: { access: OPERATOR },
      schema: {
        ...common,
        summary: 'Add the next key (generated or imported) as pending',
        params: NAME_PARAMS,
        body: ROTATE_VALIDATOR_BODY,
        response: { 201: VALIDATOR_SLOT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const name = request.params.name;
      inScope(request, name);
      request.vault.detail = { validator: name, action: 'rotate', format: request.body.format };
      const scope = caller(request).scope;
      const slot = await service.rotate(name, request.body, { secretAllowed: (path) => pathInScope(scope, path) });
      const pending = slot.keys.find((k) => k.state === 'pending');
      if (pending !== undefined) request.vault.detail = { ...request.vault.detail, key_id: pending.id };
      return reply.code(201).send(slot);
    },
  );

  app.post(
    '/v1/validators/:name/promote',
    {
      config: { access: OPERATOR },
      schema: {
        ...common,
        summary: 'pending -> active, active -> retired, in one transaction',
        params: NAME_PARAMS,
        response: { 200: VALIDATOR_SLOT, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const name = request.params.name;
      inScope(request, name);
      emptyBody(request.body);
      request.vault.detail = { validator: name, action: 'promote' };
      const slot = service.promote(name);
      const active = slot.keys.find((k) => k.state === 'active');
      if (active !== undefined) request.vault.detail = { ...request.vault.detail, key_id: active.id };
      return slot;
    },
  );

  app.post(
    '/v1/validators/:name/retire',
    {
      config: { access: OPERATOR },
      schema: {
        ...common,
        summary: 'active -> retired (no active key left)',
        params: NAME_PARAMS,
        response: { 200: VALIDATOR_SLOT, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const name = request.params.name;
      inScope(request, name);
      emptyBody(request.body);
      request.vault.detail = { validator: name, action: 'retire' };
      return service.retire(name);
    },
  );

  app.post(
    '/v1/validators/:name/export',
    {
      config: { access: ADMIN },
      schema: {
        ...common,
        summary: "Export a key (default: the active one) in its chain's file format (admin)",
        params: NAME_PARAMS,
        body: EXPORT_VALIDATOR_BODY,
        response: { 200: EXPORT_VALIDATOR_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const name = request.params.name;
      inScope(request, name);
      const b = request.body;
      request.vault.detail = { validator: name, action: 'export', format: b.format };
      const { files, key_id } = await service.export(name, {
        format: b.format,
        ...(b.key_id === undefined ? {} : { key_id: b.key_id }),
        ...(b.password === undefined ? {} : { password: b.password }),
      });
      request.vault.detail = { ...request.vault.detail, key_id };
      return { files };
    },
  );

  app.get(
    '/v1/validators/:name/history',
    {
      config: { access: ANY_SESSION },
      schema: {
        ...common,
        summary: 'Signed rotation records and the vault signature public keys that verify them',
        params: NAME_PARAMS,
        response: { 200: VALIDATOR_HISTORY, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      inScope(request, request.params.name);
      return service.history(request.params.name);
    },
  );

  app.delete(
    '/v1/validators/:name/keys/:id',
    {
      config: { access: ADMIN },
      schema: {
        ...common,
        summary: 'Destroy a retired key (admin); ?confirm= must be its public key',
        params: KEY_PARAMS,
        querystring: DESTROY_QUERY,
        response: { 200: DESTROY_KEY_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const { name, id } = request.params;
      inScope(request, name);
      request.vault.detail = { validator: name, action: 'destroy', key_id: id };
      return service.destroy(name, id, request.query.confirm);
    },
  );
}

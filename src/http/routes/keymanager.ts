/**
 * `/eth/v1/keystores`: the local-keystore part of Ethereum's keymanager API
 * (ethereum/keymanager-APIs, `apis/local_keystores.yaml`: ListKeys, ImportKeystores,
 * DeleteKeys), so validator clients and staking tools work unchanged. Request and
 * response fields and per-item statuses follow the spec; errors keep the daemon's
 * `{"error": {...}}` shape.
 *
 * Bearer-protected through the same session layer as `/v1` (the onRequest hook): list
 * needs a reader, import and delete an operator, and the session's scope must cover the
 * whole `validators` tree, since these endpoints address keys by public key, not by slot.
 *
 * Delete follows the spec's order: in one transaction every listed active key is
 * disabled (retired, with its signed record) before the EIP-3076 interchange is built
 * from the slots' watermarks; keys are kept, never erased (destruction stays the
 * explicit, confirmed `/v1` operation).
 * @module
 */
import { scopeContains } from '../../auth/scope.js';
import type { Session } from '../../auth/session-store.js';
import { VaultError } from '../../errors.js';
import { ANY_SESSION, OPERATOR, type RouteContext, type VaultApp } from '../context.js';
import { ERROR_RESPONSES, KEYMANAGER_DELETE_BODY, KEYMANAGER_DELETE_RESPONSE, KEYMANAGER_IMPORT_BODY, KEYMANAGER_IMPORT_RESPONSE, KEYMANAGER_LIST } from '../../api/index.js';
import { VALIDATOR_BULK_BODY_LIMIT, validatorService } from './validators.js';

/** The scope these routes need: all of `validators`. */
const SCOPE = 'validators';

function session(request: { vault: { session: Session | undefined } }): Session {
  const s = request.vault.session;
  if (s === undefined) throw new VaultError('OV_AUTH_INVALID');
  if (!scopeContains(s.scope, SCOPE)) throw new VaultError('OV_FORBIDDEN');
  return s;
}

export function registerKeymanagerRoutes(app: VaultApp, ctx: RouteContext): void {
  const service = validatorService(ctx);
  const common = { tags: ['keymanager'], security: [{ bearer: [] }] };

  app.get(
    '/eth/v1/keystores',
    {
      config: { access: ANY_SESSION },
      schema: { ...common, summary: 'Keymanager ListKeys: the active Ethereum keys', response: { 200: KEYMANAGER_LIST, ...ERROR_RESPONSES } },
    },
    (request) => {
      session(request);
      return { data: service.keymanagerList() };
    },
  );

  app.post(
    '/eth/v1/keystores',
    {
      bodyLimit: Math.max(ctx.deps.config.limits.bodyLimit, VALIDATOR_BULK_BODY_LIMIT),
      config: { access: OPERATOR },
      schema: {
        ...common,
        summary: 'Keymanager ImportKeystores: per-item imported | duplicate | error; slashing protection raises watermarks',
        body: KEYMANAGER_IMPORT_BODY,
        response: { 200: KEYMANAGER_IMPORT_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      session(request);
      const b = request.body;
      const data = await service.keymanagerImport(b.keystores, b.passwords, b.slashing_protection);
      const count = (s: string): number => data.filter((d) => d.status === s).length;
      request.vault.detail = { action: 'keymanager-import', items: data.length, imported: count('imported'), duplicate: count('duplicate'), error: count('error') };
      return { data };
    },
  );

  app.delete(
    '/eth/v1/keystores',
    {
      config: { access: OPERATOR },
      schema: {
        ...common,
        summary: 'Keymanager DeleteKeys: disable (retire) first, then return the EIP-3076 interchange',
        body: KEYMANAGER_DELETE_BODY,
        response: { 200: KEYMANAGER_DELETE_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      session(request);
      const out = service.keymanagerDelete(request.body.pubkeys);
      const count = (s: string): number => out.data.filter((d) => d.status === s).length;
      request.vault.detail = { action: 'keymanager-delete', items: out.data.length, deleted: count('deleted'), not_active: count('not_active'), not_found: count('not_found') };
      return out;
    },
  );
}

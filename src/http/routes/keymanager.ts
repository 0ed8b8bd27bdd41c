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
import { ANY_SESSION, audit, callerOf, OPERATOR, type AuditDetail, type RoutePlugin, type VaultApp } from '../context.js';
import { ERROR_RESPONSES, KEYMANAGER_DELETE_BODY, KEYMANAGER_DELETE_RESPONSE, KEYMANAGER_IMPORT_BODY, KEYMANAGER_IMPORT_RESPONSE, KEYMANAGER_LIST } from '../../api/index.js';
import { VALIDATOR_BULK_BODY_LIMIT } from './validators.js';

/** The scope these routes need: all of `validators`. */
const SCOPE = 'validators';

/**
 * Every route here addresses keys by public key, not by slot: the session's scope must
 * cover the whole `validators` tree (checked before the handler).
 */
function wholeTree(request: { vault: { session: Session | undefined } }, _reply: unknown, done: (err?: Error) => void): void {
  let err: Error | undefined;
  try {
    if (!scopeContains(callerOf(request).scope, SCOPE)) err = new VaultError('OV_FORBIDDEN');
  } catch (e) {
    err = e as Error;
  }
  done(err);
}

const counts = (kind: string, data: readonly { status: string }[], statuses: readonly string[]): AuditDetail => {
  const out: AuditDetail = { action: kind, items: data.length };
  for (const st of statuses) out[st] = data.filter((d) => d.status === st).length;
  return out;
};

/** Registered under `/eth/v1/keystores`. */
export const keymanagerRoutes: RoutePlugin = (instance, { ctx }, done) => {
  const app = instance as VaultApp;
  const service = ctx.vault.validators;
  const common = { tags: ['keymanager'], security: [{ bearer: [] }] };

  app.get(
    '',
    {
      config: { access: ANY_SESSION },
      preHandler: wholeTree,
      schema: { ...common, summary: 'Keymanager ListKeys: the active Ethereum keys', response: { 200: KEYMANAGER_LIST, ...ERROR_RESPONSES } },
    },
    () => ({ data: service.keymanagerList() }),
  );

  app.post(
    '',
    {
      bodyLimit: Math.max(ctx.vault.config.limits.bodyLimit, VALIDATOR_BULK_BODY_LIMIT),
      config: {
        access: OPERATOR,
        audit: audit<object, { data: { status: string }[] }>({ result: (r) => counts('keymanager-import', r.data, ['imported', 'duplicate', 'error']) }),
      },
      preHandler: wholeTree,
      schema: {
        ...common,
        summary: 'Keymanager ImportKeystores: per-item imported | duplicate | error; slashing protection raises watermarks',
        body: KEYMANAGER_IMPORT_BODY,
        response: { 200: KEYMANAGER_IMPORT_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const b = request.body;
      return { data: await service.keymanagerImport(b.keystores, b.passwords, b.slashing_protection) };
    },
  );

  app.delete(
    '',
    {
      config: {
        access: OPERATOR,
        audit: audit<object, { data: { status: string }[] }>({ result: (r) => counts('keymanager-delete', r.data, ['deleted', 'not_active', 'not_found']) }),
      },
      preHandler: wholeTree,
      schema: {
        ...common,
        summary: 'Keymanager DeleteKeys: disable (retire) first, then return the EIP-3076 interchange',
        body: KEYMANAGER_DELETE_BODY,
        response: { 200: KEYMANAGER_DELETE_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    (request) => service.keymanagerDelete(request.body.pubkeys),
  );
  done();
};

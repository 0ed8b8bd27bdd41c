/**
 * `/v1/keys`: the vault keyring (src/keyring). Listing shows public information only
 * (algorithms, versions, key ids, armored public keys) to any session; rotating a key and
 * raising its minimum decryption version change the whole vault, so they need the
 * daemon admin (role admin, scope `*`). Rotation only adds versions.
 *
 * The rules (rewrap before retiring a KEM version, OV_REWRAP_REQUIRED while anything is
 * still sealed below it) belong to the key rotation service (src/keyring/rotation.ts);
 * these routes only translate HTTP to its calls.
 * @module
 */
import { isVaultError } from '../../errors.js';
import type { KeyPolicy, KeyVersionInfo } from '../../keyring/index.js';
import { ANY_SESSION, audit, DAEMON_ADMIN, iso, type RoutePlugin, type VaultApp } from '../context.js';
import { ERROR_RESPONSES, KEY_LIST, KEY_NAME_PARAMS, KEY_POLICY, KEY_VERSION_INFO, MIN_DECRYPT_BODY, REWRAP_BODY, REWRAP_RESPONSE } from '../../api/index.js';

function versionInfo(v: KeyVersionInfo) {
  return {
    name: v.name,
    version: v.version,
    alg: v.alg,
    key_id: v.keyId,
    ...(v.publicKey === undefined ? {} : { public_key: v.publicKey }),
    created_at: iso(v.createdAt),
  };
}

function policyInfo(p: KeyPolicy) {
  return {
    name: p.name,
    alg: p.alg,
    latest_version: p.latestVersion,
    min_decrypt_version: p.minDecryptVersion,
    versions: p.versions.map(versionInfo),
  };
}

/** Registered under `/v1/keys`. */
export const keyRoutes: RoutePlugin = (instance, { ctx }, done) => {
  const app = instance as VaultApp;
  const { vault } = ctx;
  const keys = vault.keys;

  app.get(
    '',
    {
      config: { access: ANY_SESSION },
      schema: {
        summary: 'Public information on every keyring key and its versions',
        tags: ['keys'],
        security: [{ bearer: [] }],
        response: { 200: KEY_LIST, ...ERROR_RESPONSES },
      },
    },
    () => ({ keys: keys.policies().map(policyInfo) }),
  );

  app.post(
    '/:name/rotate',
    {
      config: {
        access: DAEMON_ADMIN,
        audit: audit<object, { name: string; version: number }>({ result: (info) => ({ key: info.name, version: info.version }) }),
      },
      schema: {
        summary: 'Add a new version of a key and make it current (daemon admin)',
        tags: ['keys'],
        security: [{ bearer: [] }],
        params: KEY_NAME_PARAMS,
        response: { 200: KEY_VERSION_INFO, ...ERROR_RESPONSES },
      },
    },
    (request) => versionInfo(keys.rotate(request.params.name)),
  );

  app.post(
    '/:name/min-decrypt-version',
    {
      config: {
        access: DAEMON_ADMIN,
        audit: audit<{ Params: { name: string }; Body: { version: number } }>({
          result: (_policy, request) => ({ key: request.params.name, min_decrypt_version: request.body.version }),
        }),
      },
      schema: {
        summary: 'Retire the versions below `version` (never lowers; daemon admin)',
        tags: ['keys'],
        security: [{ bearer: [] }],
        params: KEY_NAME_PARAMS,
        body: MIN_DECRYPT_BODY,
        response: { 200: KEY_POLICY, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const { name } = request.params;
      const wanted = request.body.version;
      try {
        return policyInfo(keys.setMinDecryptVersion(name, wanted));
      } catch (e) {
        // How much is left to rewrap is not in the error answer: recorded here.
        if (isVaultError(e, 'OV_REWRAP_REQUIRED')) request.vault.detail = { key: name, min_decrypt_version: wanted, remaining: e.detail?.remaining ?? 0 };
        throw e;
      }
    },
  );

  app.post(
    '/:name/rewrap',
    {
      config: { access: DAEMON_ADMIN },
      // The body is optional: a bare POST means all defaults.
      preValidation: (request, _reply, done) => {
        if (request.body === undefined || request.body === null) request.body = {};
        done();
      },
      schema: {
        summary: 'Re-seal secret versions under the current KEM key version, in batches; resumable (daemon admin)',
        tags: ['keys'],
        security: [{ bearer: [] }],
        params: KEY_NAME_PARAMS,
        body: REWRAP_BODY,
        response: { 200: REWRAP_RESPONSE, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const b = request.body;
      const r = keys.rewrap(request.params.name, {
        ...(b.batch_size === undefined ? {} : { batchSize: b.batch_size }),
        ...(b.max_versions === undefined ? {} : { maxVersions: b.max_versions }),
      });
      // The failure count is not in the answer: recorded here.
      request.vault.detail = { key: 'kem', rewrapped: r.rewrapped, remaining: r.remaining, failed: r.failed, key_version: r.keyVersion };
      return { rewrapped: r.rewrapped, remaining: r.remaining, key_version: r.keyVersion, done: r.done };
    },
  );
  done();
};

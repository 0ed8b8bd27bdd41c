/**
 * `/v1/keys`: the vault keyring (src/keyring). Listing shows public information only
 * (algorithms, versions, key ids, armored public keys) to any session; rotating a key and
 * raising its minimum decryption version change the whole vault, so they need the
 * daemon admin (role admin, scope `*`). Rotation only adds versions.
 *
 * The handlers call the key rotation service (src/keyring/rotation.ts): `rewrap`
 * re-seals every validator key envelope and every secret version to the current KEM key
 * through the keyring's one rewrap loop, and raising the KEM minimum decryption version
 * is refused with OV_REWRAP_REQUIRED while any of them is still sealed below it.
 * @module
 */
import { Type } from 'typebox';
import { isVaultError } from '../../errors.js';
import { KeyRotation, type KeyPolicy, type KeyVersionInfo } from '../../keyring/index.js';
import { secretRewrapSource } from '../../secrets/index.js';
import { validatorRewrapSource } from '../../validators/index.js';
import { ANY_SESSION, DAEMON_ADMIN, iso, type RouteContext, type VaultApp } from '../context.js';
import { ERROR_RESPONSES, KEY_LIST, KEY_NAME_PARAMS, KEY_POLICY, KEY_VERSION_INFO, MIN_DECRYPT_BODY } from '../schemas.js';
import { secretService } from './secrets.js';

export const REWRAP_BODY = Type.Object(
  {
    batch_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'versions per transaction (default 100)' })),
    max_versions: Type.Optional(Type.Integer({ minimum: 1, description: 'stop after this many versions (progress in slices)' })),
  },
  { additionalProperties: false },
);

export const REWRAP_RESPONSE = Type.Object(
  {
    rewrapped: Type.Integer(),
    remaining: Type.Integer({ description: 'live secret versions still sealed under an older key version' }),
    key_version: Type.Integer({ description: 'the current KEM key version' }),
    done: Type.Boolean(),
  },
  { additionalProperties: false },
);

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

/**
 * The key rotation service over the vault's stores of sealed rows: validator keys first
 * (few, one per key, so a sliced rewrap finishes them early), then secret versions.
 */
export function keyRotation(ctx: RouteContext): KeyRotation {
  const secrets = secretService(ctx);
  return new KeyRotation({ sealed: secrets.sealed, now: ctx.now, sources: () => [validatorRewrapSource(ctx.deps.storage), secretRewrapSource(secrets)] });
}

export function registerKeyRoutes(app: VaultApp, ctx: RouteContext): void {
  app.get(
    '/v1/keys',
    {
      config: { access: ANY_SESSION },
      schema: {
        summary: 'Public information on every keyring key and its versions',
        tags: ['keys'],
        security: [{ bearer: [] }],
        response: { 200: KEY_LIST, ...ERROR_RESPONSES },
      },
    },
    () => ({ keys: keyRotation(ctx).policies().map(policyInfo) }),
  );

  app.post(
    '/v1/keys/:name/rotate',
    {
      config: { access: DAEMON_ADMIN },
      schema: {
        summary: 'Add a new version of a key and make it current (daemon admin)',
        tags: ['keys'],
        security: [{ bearer: [] }],
        params: KEY_NAME_PARAMS,
        response: { 200: KEY_VERSION_INFO, ...ERROR_RESPONSES },
      },
    },
    (request) => {
      const info = keyRotation(ctx).rotate(request.params.name);
      request.vault.detail = { key: info.name, version: info.version };
      return versionInfo(info);
    },
  );

  app.post(
    '/v1/keys/:name/min-decrypt-version',
    {
      config: { access: DAEMON_ADMIN },
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
      let p: KeyPolicy;
      try {
        p = keyRotation(ctx).setMinDecryptVersion(name, wanted);
      } catch (e) {
        if (isVaultError(e, 'OV_REWRAP_REQUIRED')) request.vault.detail = { key: name, min_decrypt_version: wanted, remaining: e.detail?.remaining ?? 0 };
        throw e;
      }
      request.vault.detail = { key: name, min_decrypt_version: wanted };
      return policyInfo(p);
    },
  );

  app.post(
    '/v1/keys/:name/rewrap',
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
      const r = keyRotation(ctx).rewrap(request.params.name, {
        ...(b.batch_size === undefined ? {} : { batchSize: b.batch_size }),
        ...(b.max_versions === undefined ? {} : { maxVersions: b.max_versions }),
      });
      const { rewrapped, remaining, done } = r;
      request.vault.detail = { key: 'kem', rewrapped, remaining, failed: r.failed, key_version: r.keyVersion };
      return { rewrapped, remaining, key_version: r.keyVersion, done };
    },
  );
}

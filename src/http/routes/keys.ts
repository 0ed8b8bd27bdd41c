/**
 * `/v1/keys`: the vault keyring (src/keyring). Listing shows public information only
 * (algorithms, versions, key ids, armored public keys) to any session; rotating a key and
 * raising its minimum decryption version change the whole vault, so they need the
 * daemon admin (role admin, scope `*`). Rotation only adds versions (STYLE.md habit 8).
 *
 * Retiring a `kem` version must not strand a secret: `rewrap` re-seals every validator key
 * envelope and every secret version to the current KEM key (src/validators/service.ts,
 * src/secrets/rewrap.ts), and raising the KEM minimum decryption version is refused with
 * OV_REWRAP_REQUIRED while any live secret version or validator key is still sealed below
 * the requested version. The guard lives here, not in src/keyring, which knows nothing
 * about secrets or validators.
 * @module
 */
import { VaultError } from '../../errors.js';
import type { Keyring, KeyPolicy, KeyVersionInfo } from '../../keyring/index.js';
import { rewrap } from '../../secrets/index.js';
import { ANY_SESSION, DAEMON_ADMIN, iso, type RouteContext, type VaultApp } from '../context.js';
import { ERROR_RESPONSES, KEY_LIST, KEY_NAME_PARAMS, KEY_POLICY, KEY_VERSION_INFO, MIN_DECRYPT_BODY, REWRAP_BODY, REWRAP_RESPONSE } from '../../api/index.js';
import { secretService } from './secrets.js';
import { validatorService } from './validators.js';

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

export function registerKeyRoutes(app: VaultApp, ctx: RouteContext): void {
  const keyring = (): Keyring => {
    const k = ctx.deps.keyring();
    if (k === undefined) throw new VaultError('OV_SEALED');
    return k;
  };

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
    () => ({ keys: keyring().list().map(policyInfo) }),
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
      const info = keyring().rotate(request.params.name, ctx.now());
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
      const k = keyring();
      const { name } = request.params;
      const wanted = request.body.version;
      if (name === 'kem') {
        const current = k.list().find((x) => x.name === 'kem')?.minDecryptVersion ?? 1;
        const remaining = wanted > current ? ctx.deps.storage.secrets.countStale(wanted) + ctx.deps.storage.validators.countStale(wanted) : 0;
        if (remaining > 0) {
          request.vault.detail = { key: name, min_decrypt_version: wanted, remaining };
          throw new VaultError('OV_REWRAP_REQUIRED', { remaining });
        }
      }
      k.setMinDecryptVersion(name, wanted);
      request.vault.detail = { key: request.params.name, min_decrypt_version: request.body.version };
      const p = k.list().find((x) => x.name === request.params.name);
      if (p === undefined) throw new VaultError('OV_KEY_NOT_FOUND');
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
      if (request.params.name !== 'kem') throw new VaultError('OV_INVALID_ARGUMENT', { field: 'name' });
      keyring();
      const b = request.body;
      // Validator key envelopes first: there are few of them (one per key, not per version),
      // so each call finishes them whole before slicing through the secret versions.
      const v = validatorService(ctx).rewrap(b.batch_size === undefined ? {} : { batchSize: b.batch_size });
      const r = rewrap(secretService(ctx), {
        ...(b.batch_size === undefined ? {} : { batchSize: b.batch_size }),
        ...(b.max_versions === undefined ? {} : { maxVersions: b.max_versions }),
      });
      const rewrapped = r.rewrapped + v.rewrapped;
      const remaining = r.remaining + v.remaining;
      const done = r.done && v.remaining === 0;
      request.vault.detail = { key: 'kem', rewrapped, remaining, failed: r.failed + v.failed, key_version: r.keyVersion };
      return { rewrapped, remaining, key_version: r.keyVersion, done };
    },
  );
}

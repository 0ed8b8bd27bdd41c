/**
 * `/v1/keys`: the vault keyring (src/keyring). Listing shows public information only
 * (algorithms, versions, key ids, armored public keys) to any session; rotating a key and
 * raising its minimum decryption version change the whole vault, so they need the
 * daemon admin (role admin, scope `*`). Rotation only adds versions (STYLE.md habit 8).
 * @module
 */
import { VaultError } from '../../errors.js';
import type { Keyring, KeyPolicy, KeyVersionInfo } from '../../keyring/index.js';
import { ANY_SESSION, DAEMON_ADMIN, iso, type RouteContext, type VaultApp } from '../context.js';
import { ERROR_RESPONSES, KEY_LIST, KEY_NAME_PARAMS, KEY_POLICY, KEY_VERSION_INFO, MIN_DECRYPT_BODY } from '../schemas.js';

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
      k.setMinDecryptVersion(request.params.name, request.body.version);
      request.vault.detail = { key: request.params.name, min_decrypt_version: request.body.version };
      const p = k.list().find((x) => x.name === request.params.name);
      if (p === undefined) throw new VaultError('OV_KEY_NOT_FOUND');
      return policyInfo(p);
    },
  );
}

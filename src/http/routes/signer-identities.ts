/**
 * `/v1/signer/identities` (admin, unscoped: an identity grants signing on the signer
 * listener, outside any secret path): create, list and revoke remote-signer identities
 * through the vault's identity service (src/validators/signer-identities.ts). The audit
 * entry names the identity, its slots and the certificate fingerprint; no key material is
 * ever in a request or an answer.
 * @module
 */
import type { SignerIdentity } from '../../validators/signer-identities.js';
import { DAEMON_ADMIN, audit, iso, type RoutePlugin, type VaultApp } from '../context.js';
import { ERROR_RESPONSES, SIGNER_IDENTITY, SIGNER_IDENTITY_CREATE_BODY, SIGNER_IDENTITY_ISSUED, SIGNER_IDENTITY_LIST, SIGNER_IDENTITY_PARAMS } from '../../api/index.js';

function info(i: SignerIdentity) {
  return {
    name: i.name,
    slots: [...i.slots],
    fingerprint: i.fingerprint,
    serial: i.serial,
    created_at: iso(i.createdAt),
    not_after: iso(i.notAfter),
    revoked_at: i.revokedAt === null ? null : iso(i.revokedAt),
  };
}

/** Registered under `/v1/signer/identities`. */
export const signerIdentityRoutes: RoutePlugin = (instance, { ctx }, done) => {
  const app = instance as VaultApp;
  const svc = ctx.vault.signerIdentities;
  const common = { tags: ['signer'], security: [{ bearer: [] }] };

  app.post(
    '',
    {
      config: {
        access: DAEMON_ADMIN,
        // `result` replaces the request's detail: both name the identity and its slots.
        audit: audit<{ Body: { name: string; slots: string[] } }, { identity: { name: string; slots: string[]; fingerprint: string } }>({
          request: (request) => ({ identity: request.body.name, slots: request.body.slots.slice(0, 16).join(',').slice(0, 512) }),
          result: (r) => ({ identity: r.identity.name, slots: r.identity.slots.slice(0, 16).join(',').slice(0, 512), fingerprint: r.identity.fingerprint }),
        }),
      },
      schema: {
        ...common,
        summary: 'Issue a signer identity certificate for a client-made P-256 public key (admin)',
        body: SIGNER_IDENTITY_CREATE_BODY,
        response: { 201: SIGNER_IDENTITY_ISSUED, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const spki = Uint8Array.from(Buffer.from(request.body.public_key, 'base64'));
      const r = await svc.create(request.body.name, request.body.slots, spki);
      void reply.code(201);
      return { identity: info(r.identity), certificate: r.certPem, ca_certificate: r.caCertPem };
    },
  );

  app.get(
    '',
    { config: { access: DAEMON_ADMIN }, schema: { ...common, summary: 'List signer identities, revoked ones included (admin)', response: { 200: SIGNER_IDENTITY_LIST, ...ERROR_RESPONSES } } },
    () => ({ identities: svc.list().map(info) }),
  );

  app.post(
    '/:name/revoke',
    {
      config: { access: DAEMON_ADMIN, audit: audit<{ Params: { name: string } }>({ request: (request) => ({ identity: request.params.name }) }) },
      schema: {
        ...common,
        summary: "Revoke a signer identity (admin): its certificate is refused from the next request on",
        params: SIGNER_IDENTITY_PARAMS,
        response: { 200: SIGNER_IDENTITY, ...ERROR_RESPONSES },
      },
    },
    async (request) => info(await svc.revoke(request.params.name)),
  );

  done();
};

/**
 * Web3Signer's eth2 API on the signer listener (./../signer-server.ts): `GET /upcheck`,
 * `GET /healthcheck`, `GET /api/v1/eth2/publicKeys`, `POST /api/v1/eth2/sign/{identifier}`.
 * A signature is JSON `{"signature": "0x.."}` when the client accepts application/json,
 * else text/plain, as Web3Signer answers. The body is checked by the signer service
 * (src/validators/signer-roots.ts), which knows every request type.
 * @module
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { VaultError } from '../../errors.js';
import type { Vault } from '../../vault.js';
import { signerClientOf, type SignerAccess } from '../signer-access.js';
import { signerAuditEvent } from '../signer-audit.js';

export interface SignerRouteOptions {
  readonly vault: Vault;
  readonly access: SignerAccess;
}

function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && /application\/json/i.test(accept);
}

export function signerRoutes(app: FastifyInstance, opts: SignerRouteOptions, done: (err?: Error) => void): void {
  const { vault, access } = opts;

  app.get('/upcheck', (_request, reply) => reply.type('text/plain; charset=utf-8').send('OK'));

  app.get('/healthcheck', (_request, reply) => {
    const up = vault.keyring() !== undefined;
    const status = up ? 'UP' : 'DOWN';
    return reply
      .code(up ? 200 : 503)
      .type('application/json; charset=utf-8')
      .send({ status, checks: [{ id: 'keys-unsealed', status }], outcome: status });
  });

  app.get('/api/v1/eth2/publicKeys', (request, reply) => {
    const client = signerClientOf(request);
    const keys = vault.signer
      .activeKeys()
      .filter((k) => access.maySign(client, k))
      .map((k) => k.pubkey);
    return reply.type('application/json; charset=utf-8').send(keys);
  });

  app.post('/api/v1/eth2/sign/:identifier', async (request: FastifyRequest<{ Params: { identifier: string } }>, reply: FastifyReply) => {
    const client = signerClientOf(request);
    const detail: Record<string, string> = { pubkey: request.params.identifier.slice(0, 98) };
    if (client.certificate !== undefined) {
      detail.certificate = client.certificate.fingerprint.slice(0, 16);
      const identity = client.certificate.authorized ? vault.signerIdentities.grant(client.certificate.fingerprint) : undefined;
      if (identity !== undefined) detail.identity = identity.name;
    }
    const body = request.body as Record<string, unknown> | undefined;
    if (typeof body?.type === 'string') detail.type = body.type.slice(0, 48);
    request.vault.detail = detail;
    try {
      const r = await vault.signer.sign(request.params.identifier, request.body, {
        allowed: (key) => access.maySign(client, key),
        parsed: (req) => Object.assign(detail, req.detail),
        // A signature's entry is committed with its watermark, in the same transaction and
        // fsync; the listener's audit hook then writes none.
        audit: () => signerAuditEvent(request, 200, undefined, { ...detail, decision: 'signed' }),
      });
      request.vault.audited = true;
      request.vault.detail = { ...detail, decision: 'signed' };
      if (wantsJson(request)) return await reply.type('application/json; charset=utf-8').send({ signature: r.signature });
      return await reply.type('text/plain; charset=utf-8').send(r.signature);
    } catch (e) {
      if (e instanceof VaultError && e.code === 'OV_SLASHING_REFUSED') {
        const reason = e.detail?.reason;
        request.vault.detail = { ...detail, decision: 'refused', ...(typeof reason === 'string' ? { reason: reason.slice(0, 200) } : {}) };
      }
      throw e;
    }
  });

  done();
}

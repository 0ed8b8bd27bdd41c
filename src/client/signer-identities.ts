/**
 * `/v1/signer/identities` calls (admin): create, list and revoke remote-signer identities.
 * @module
 */
import type { SignerIdentityCreateRequest, SignerIdentityInfo, SignerIdentityIssued } from '../api/signer-identities.js';
import { seg } from './args.js';
import type { Transport } from './transport.js';

/** `POST /v1/signer/identities`: a certificate for the request's public key. */
export async function createSignerIdentity(t: Transport, req: SignerIdentityCreateRequest): Promise<SignerIdentityIssued> {
  return (await t.json('POST', 'v1/signer/identities', 'SIGNER_IDENTITY_ISSUED', { body: req })).body;
}

/** `GET /v1/signer/identities`: every identity, revoked ones included. */
export async function listSignerIdentities(t: Transport): Promise<SignerIdentityInfo[]> {
  return (await t.json('GET', 'v1/signer/identities', 'SIGNER_IDENTITY_LIST')).body.identities;
}

/** `POST /v1/signer/identities/{name}/revoke`. */
export async function revokeSignerIdentity(t: Transport, name: string): Promise<SignerIdentityInfo> {
  return (await t.json('POST', `v1/signer/identities/${seg(name)}/revoke`, 'SIGNER_IDENTITY')).body;
}

/**
 * `/v1/signer/identities` (admin, unscoped): remote-signer identities, each a client
 * certificate from the vault's signer CA allowed to sign for named validator slots. The
 * client makes the key pair and sends only the public key; no private key or keystore
 * password crosses the API.
 * @module
 */
import { Type, type Static } from 'typebox';
import { closed, TIME } from './common.js';

const IDENTITY_NAME = Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,63}$', description: 'identity name (also the certificate CN)' });
const SLOTS = Type.Array(Type.String({ minLength: 1, maxLength: 64 }), { minItems: 1, maxItems: 1000, description: 'validator slots the identity may sign for' });

export const SIGNER_IDENTITY_CREATE_BODY = Type.Object(
  {
    name: IDENTITY_NAME,
    slots: SLOTS,
    public_key: Type.String({ minLength: 1, maxLength: 1024, pattern: '^[A-Za-z0-9+/]+={0,2}$', description: 'ECDSA P-256 public key, SPKI DER, base64' }),
  },
  closed,
);

export const SIGNER_IDENTITY = Type.Object(
  {
    name: Type.String(),
    slots: Type.Array(Type.String()),
    fingerprint: Type.String({ description: 'SHA-256 of the certificate DER, lowercase hex' }),
    serial: Type.String(),
    created_at: TIME,
    not_after: TIME,
    revoked_at: Type.Union([TIME, Type.Null()]),
  },
  closed,
);

export const SIGNER_IDENTITY_ISSUED = Type.Object(
  {
    identity: SIGNER_IDENTITY,
    certificate: Type.String({ description: 'the client certificate, PEM' }),
    ca_certificate: Type.String({ description: 'the signer CA certificate, PEM' }),
  },
  closed,
);

export const SIGNER_IDENTITY_LIST = Type.Object({ identities: Type.Array(SIGNER_IDENTITY) }, closed);
export const SIGNER_IDENTITY_PARAMS = Type.Object({ name: IDENTITY_NAME }, closed);

export type SignerIdentityCreateRequest = Static<typeof SIGNER_IDENTITY_CREATE_BODY>;
export type SignerIdentityInfo = Static<typeof SIGNER_IDENTITY>;
export type SignerIdentityIssued = Static<typeof SIGNER_IDENTITY_ISSUED>;
export type SignerIdentityList = Static<typeof SIGNER_IDENTITY_LIST>;

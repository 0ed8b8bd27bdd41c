/**
 * Certificates of remote-signer identities: a signer CA of its own (ECDSA P-256, which
 * every validator client's TLS stack verifies) and client certificates it issues for a
 * public key the client made, so the identity's private key never reaches the daemon.
 * Everything here works in memory; the caller keeps the CA key sealed.
 * @module
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { VaultError } from '../errors.js';
import { pemLine, serial } from './certs.js';

const EC = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
const CA_DAYS = 3650;
/** An identity lasts until revoked; its certificate as long as the CA, less a day. */
const IDENTITY_DAYS = CA_DAYS - 1;

export interface SignerCa {
  readonly certPem: string;
  /** PKCS #8 DER of the CA key. */
  readonly keyPkcs8: Uint8Array;
}

export interface IssuedIdentity {
  readonly certPem: string;
  /** SHA-256 of the certificate DER, lowercase hex: what a TLS peer certificate is matched by. */
  readonly fingerprint: string;
  readonly serial: string;
  readonly notAfter: number;
}

/** A new signer CA. */
export async function newSignerCa(now: number): Promise<SignerCa> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: 'CN=ontoref-vault signer CA',
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + CA_DAYS * DAY_MS),
    signingAlgorithm: EC,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyPkcs8 = new Uint8Array(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { certPem: pemLine(cert.toString('pem')), keyPkcs8 };
}

/** Issues a clientAuth certificate with CN=`name` for the P-256 public key `spki` (DER). */
export async function issueIdentityCert(ca: SignerCa, name: string, spki: Uint8Array, now: number): Promise<IssuedIdentity> {
  let publicKey: webcrypto.CryptoKey;
  try {
    publicKey = await webcrypto.subtle.importKey('spki', spki, EC, true, ['verify']);
  } catch {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'public_key', reason: 'must be an ECDSA P-256 public key (SPKI DER, base64)' });
  }
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKey = await webcrypto.subtle.importKey('pkcs8', ca.keyPkcs8, EC, false, ['sign']);
  const notAfter = Math.min(now + IDENTITY_DAYS * DAY_MS, caCert.notAfter.getTime());
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${name}, OU=ontoref-vault signer identity`,
    issuer: caCert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(notAfter),
    signingAlgorithm: EC,
    publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
      await x509.SubjectKeyIdentifierExtension.create(publicKey),
    ],
  });
  const fingerprint = Buffer.from(await cert.getThumbprint('SHA-256')).toString('hex');
  return { certPem: pemLine(cert.toString('pem')), fingerprint, serial: cert.serialNumber, notAfter };
}

/** DER of the first certificate in `pem`. */
export function certDer(pem: string): Uint8Array {
  return new Uint8Array(x509.PemConverter.decodeFirst(pem));
}

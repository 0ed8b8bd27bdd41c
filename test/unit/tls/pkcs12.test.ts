/**
 * The PKCS #12 writer: node's TLS stack (OpenSSL) opens the file with the password and
 * finds the key matching the certificate, refuses a wrong password, and bad passwords
 * are refused before anything is written.
 */
import { createSecureContext } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { certDer, issueIdentityCert, newSignerCa } from '../../../src/tls/identity-certs.js';
import { checkPkcs12Password, newP256Key, newPkcs12Password, writePkcs12 } from '../../../src/tls/pkcs12.js';

async function keystore(password: string, iterations = 2048): Promise<Buffer> {
  const now = Date.now();
  const ca = await newSignerCa(now);
  const key = newP256Key();
  const cert = await issueIdentityCert(ca, 'lh', key.spki, now);
  return writePkcs12({ keyPkcs8: key.keyPkcs8, certs: [certDer(cert.certPem), certDer(ca.certPem)], password, friendlyName: 'lh', iterations });
}

describe('writePkcs12', () => {
  it('writes a keystore OpenSSL opens with its password only', async () => {
    const p12 = await keystore('correct horse battery');
    expect(() => createSecureContext({ pfx: p12, passphrase: 'correct horse battery' })).not.toThrow();
    expect(() => createSecureContext({ pfx: p12, passphrase: 'wrong horse battery' })).toThrow();
  });

  it('opens with a generated password at the default work factor', async () => {
    const password = newPkcs12Password();
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const now = Date.now();
    const ca = await newSignerCa(now);
    const key = newP256Key();
    const cert = await issueIdentityCert(ca, 'tk', key.spki, now);
    const p12 = writePkcs12({ keyPkcs8: key.keyPkcs8, certs: [certDer(cert.certPem)], password, friendlyName: 'tk' });
    expect(() => createSecureContext({ pfx: p12, passphrase: password })).not.toThrow();
  });

  it('refuses passwords that implementations read differently, or too short', async () => {
    for (const bad of ['short', 'pässwörter', 'tab\there!', 'x'.repeat(257)]) {
      expect(() => checkPkcs12Password(bad)).toThrow(expect.objectContaining({ code: 'OV_INVALID_ARGUMENT' }));
      await expect(keystore(bad)).rejects.toMatchObject({ code: 'OV_INVALID_ARGUMENT' });
    }
  });
});

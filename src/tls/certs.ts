/**
 * A local certificate authority and the daemon's server certificate, made with
 * @peculiar/x509 over node's WebCrypto (ECDSA P-256 with SHA-256, or ML-DSA-65 where the
 * runtime has it; an existing CA keeps its own algorithm and signs with it), so a vault gets HTTPS
 * without openssl or another tool. Files go to `<data dir>/tls/`: `ca.pem` for clients to
 * trust, `server.pem` and `server.key` for `[tls]`, `ca.key` to issue more (keys 0600).
 * @module
 */
// @peculiar/x509 resolves its algorithm providers through tsyringe, which needs this first.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { VaultError } from '../errors.js';

/** Certificate signature algorithms: ECDSA P-256 everywhere; ML-DSA-65 where WebCrypto has it (Node >= 24.7). */
export const CERT_ALGS = ['ecdsa-p256', 'ml-dsa-65'] as const;
export type CertAlg = (typeof CERT_ALGS)[number];
const ALGS = {
  'ecdsa-p256': { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' },
  'ml-dsa-65': { name: 'ML-DSA-65' },
} as const;
type Alg = (typeof ALGS)[CertAlg];
const DAY_MS = 86_400_000;
/** The CA outlives many server certificates; a server certificate is reissued yearly. */
const CA_DAYS = 3650;
const LEAF_DAYS = 397;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export interface TlsFiles {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly cert: string;
  readonly key: string;
  readonly sans: readonly string[];
}

/** PEM text ending in exactly one newline, so files and chains concatenate cleanly. */
export const pemLine = (pem: string): string => `${pem.trimEnd()}\n`;

export function serial(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0] as number) & 0x7f;
  return Buffer.from(b).toString('hex');
}

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  return pemLine(x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY'));
}

async function keyPair(alg: Alg): Promise<webcrypto.CryptoKeyPair> {
  try {
    return (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  } catch {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'tls-alg', reason: `${alg.name} keys need a runtime whose WebCrypto has them (Node >= 24.7)` });
  }
}

/** The algorithm of an existing CA, from its public key. */
function algOf(cert: x509.X509Certificate): Alg {
  const name = (cert.publicKey.algorithm as { name?: unknown }).name;
  return name === 'ML-DSA-65' ? ALGS['ml-dsa-65'] : ALGS['ecdsa-p256'];
}

interface Ca {
  readonly cert: x509.X509Certificate;
  readonly key: webcrypto.CryptoKey;
  readonly alg: Alg;
}

async function readCa(caCert: string, caKey: string): Promise<Ca> {
  const [certPem, keyPem] = await Promise.all([readFile(caCert, 'utf8'), readFile(caKey, 'utf8')]);
  const cert = new x509.X509Certificate(certPem);
  const alg = algOf(cert);
  const key = await webcrypto.subtle.importKey('pkcs8', x509.PemConverter.decodeFirst(keyPem), alg, false, ['sign']);
  return { cert, key, alg };
}

/** A SAN entry is a DNS name or an IP literal; anything else is refused. */
export function checkSan(san: string): string {
  const s = san.trim().replace(/^\[|\]$/g, '');
  if (isIP(s) !== 0) return s;
  if (/^(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(s) && s.length <= 253) return s.toLowerCase();
  throw new VaultError('OV_INVALID_ARGUMENT', { field: 'tls-san', reason: 'must be a DNS name or an IP address' });
}

function sanNames(sans: readonly string[]): x509.JsonGeneralNames {
  return sans.map((s) => (isIP(s) !== 0 ? { type: 'ip' as const, value: s } : { type: 'dns' as const, value: s }));
}

/** Issues a certificate signed by the CA: `server` (serverAuth, with SANs) or `client` (clientAuth). */
async function issue(ca: Ca, kind: 'server' | 'client', commonName: string, sans: readonly string[], now: number, alg: Alg): Promise<{ cert: string; key: string }> {
  const keys = await keyPair(alg);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${commonName}`,
    issuer: ca.cert.subject,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + LEAF_DAYS * DAY_MS),
    signingAlgorithm: ca.alg,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([kind === 'server' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth]),
      ...(sans.length > 0 ? [new x509.SubjectAlternativeNameExtension(sanNames(sans))] : []),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: pemLine(cert.toString('pem')), key: await pkcs8Pem(keys.privateKey) };
}

async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, data, { mode, flag: 'wx' });
  await chmod(tmp, mode);
  await rename(tmp, path);
}

/**
 * Creates (or with an existing `ca.pem`/`ca.key`, reuses) the CA and issues a fresh server
 * certificate for localhost, 127.0.0.1, ::1, this host's name and `extraSans`.
 */
export async function generateTlsFiles(dataDir: string, opts: { extraSans?: readonly string[]; now?: number; alg?: CertAlg } = {}): Promise<TlsFiles> {
  const alg = ALGS[opts.alg ?? 'ecdsa-p256'];
  const now = opts.now ?? Date.now();
  const dir = join(dataDir, 'tls');
  const sans = [...new Set(['localhost', '127.0.0.1', '::1', checkSan(hostname()), ...(opts.extraSans ?? []).map(checkSan)])];
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const files = { caCert: join(dir, 'ca.pem'), caKey: join(dir, 'ca.key'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };

  let ca: Ca | undefined;
  try {
    ca = await readCa(files.caCert, files.caKey);
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ENOENT') throw new VaultError('OV_TLS_CONFIG', { file: files.caKey, reason: 'the existing CA cannot be read' });
  }
  if (ca === undefined) {
    const keys = await keyPair(alg);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `CN=ontoref-vault local CA ${hostname().slice(0, 40)}`,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + CA_DAYS * DAY_MS),
      signingAlgorithm: alg,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    await writeAtomic(files.caKey, await pkcs8Pem(keys.privateKey), 0o600);
    await writeAtomic(files.caCert, pemLine(cert.toString('pem')), 0o644);
    ca = { cert, key: keys.privateKey, alg };
  }
  const leaf = await issue(ca, 'server', sans[3] ?? 'localhost', sans, now, alg);
  // Key first: a reload that sees the new certificate must find its key already there.
  await writeAtomic(files.key, leaf.key, 0o600);
  await writeAtomic(files.cert, leaf.cert + pemLine(ca.cert.toString('pem')), 0o644);
  return { dir, ...files, sans };
}

/** A client certificate from the CA in `dir` (for `client_ca_file` set-ups and tests). */
export async function issueClientCert(dir: string, commonName: string, now: number = Date.now()): Promise<{ cert: string; key: string }> {
  const ca = await readCa(join(dir, 'ca.pem'), join(dir, 'ca.key'));
  return issue(ca, 'client', commonName, [], now, ca.alg);
}

/**
 * Appends a `[tls]` table naming the files to the config text; the text is returned
 * unchanged when it already has one (the operator's table is never rewritten).
 */
export function configWithTls(text: string, files: Pick<TlsFiles, 'cert' | 'key'>): { text: string; changed: boolean } {
  if (/^\s*\[tls\]\s*$/m.test(text)) return { text, changed: false };
  const sep = text === '' || text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n';
  return {
    text: `${text}${sep}[tls]\ncert_file = ${JSON.stringify(files.cert)}\nkey_file = ${JSON.stringify(files.key)}\n`,
    changed: true,
  };
}

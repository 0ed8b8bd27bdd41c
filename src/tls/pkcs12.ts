/**
 * A PKCS #12 writer (RFC 7292) for one private key and its certificate chain, the client
 * keystore format Lighthouse and Teku read. Node has no writer of its own; this one emits
 * the profile current OpenSSL and Java write by default: the key in a
 * pkcs8ShroudedKeyBag under PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC, RFC 8018), the
 * certificates in plain certBags, both tied by a localKeyId, and an HMAC-SHA256 MAC keyed
 * by the PKCS #12 KDF (RFC 7292 appendix B). Only printable ASCII passwords are accepted,
 * because PBES2 and the MAC read a non-ASCII password differently across implementations.
 * @module
 */
import { createCipheriv, createHash, createHmac, generateKeyPairSync, pbkdf2Sync, randomBytes } from 'node:crypto';
import { VaultError } from '../errors.js';

/** Work factor of both the key encryption and the MAC (the MAC checks a guess as well as PBKDF2 does). */
export const PKCS12_ITERATIONS = 100_000;

const PASSWORD_RE = /^[\x20-\x7e]{8,256}$/;

/** Checks a keystore password: 8-256 printable ASCII characters. */
export function checkPkcs12Password(password: string): void {
  if (!PASSWORD_RE.test(password)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'password', reason: 'must be 8-256 printable ASCII characters' });
}

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, ...parts: Uint8Array[]): Buffer => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), len(body.length), body]);
};
const seq = (...parts: Uint8Array[]): Buffer => tlv(0x30, ...parts);
const set = (...parts: Uint8Array[]): Buffer => tlv(0x31, ...parts);
const octets = (b: Uint8Array): Buffer => tlv(0x04, b);
const explicit0 = (b: Uint8Array): Buffer => tlv(0xa0, b);
const NULL = Buffer.from([0x05, 0x00]);

function int(n: number): Buffer {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || (bytes[0] as number) & 0x80) bytes.unshift(0);
  return tlv(0x02, Buffer.from(bytes));
}

function oid(text: string): Buffer {
  const [a, b, ...rest] = text.split('.').map(Number) as [number, number, ...number[]];
  const out: number[] = [a * 40 + b];
  for (const v of rest) {
    const groups: number[] = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) groups.unshift(0x80 | (x & 0x7f));
    out.push(...groups);
  }
  return tlv(0x06, Buffer.from(out));
}

const OID = {
  data: '1.2.840.113549.1.7.1',
  keyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacSha256: '1.2.840.113549.2.9',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

const data = (content: Uint8Array): Buffer => seq(oid(OID.data), explicit0(octets(content)));

function bmp(text: string): Buffer {
  const b = Buffer.from(text, 'utf16le');
  b.swap16();
  return b;
}

/** RFC 7292 appendix B.2 with SHA-256 (u = 32, v = 64), for the MAC key (id 3). */
function pkcs12Kdf(password: string, salt: Uint8Array, id: number, iterations: number, size: number): Buffer {
  const v = 64;
  const u = 32;
  const fill = (src: Uint8Array): Buffer => {
    if (src.length === 0) return Buffer.alloc(0);
    const n = v * Math.ceil(src.length / v);
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = src[i % src.length] as number;
    return out;
  };
  const pw = Buffer.concat([bmp(password), Buffer.from([0, 0])]);
  const I = Buffer.concat([fill(salt), fill(pw)]);
  const D = Buffer.alloc(v, id);
  const out = Buffer.alloc(size);
  for (let done = 0; done < size; done += u) {
    let A = createHash('sha256').update(D).update(I).digest();
    for (let i = 1; i < iterations; i++) A = createHash('sha256').update(A).digest();
    A.copy(out, done, 0, Math.min(u, size - done));
    if (done + u >= size) break;
    const B = fill(A);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const s = (I[j + k] as number) + (B[k] as number) + carry;
        I[j + k] = s & 0xff;
        carry = s >> 8;
      }
    }
  }
  pw.fill(0);
  I.fill(0);
  return out;
}

function shroud(keyPkcs8: Uint8Array, password: string, iterations: number): Buffer {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(password, 'ascii'), salt, iterations, 32, 'sha256');
  try {
    const cipher = createCipheriv('aes-256-cbc', key, iv);
    const encrypted = Buffer.concat([cipher.update(keyPkcs8), cipher.final()]);
    const alg = seq(
      oid(OID.pbes2),
      seq(seq(oid(OID.pbkdf2), seq(octets(salt), int(iterations), int(32), seq(oid(OID.hmacSha256), NULL))), seq(oid(OID.aes256Cbc), octets(iv))),
    );
    return seq(alg, octets(encrypted));
  } finally {
    key.fill(0);
  }
}

export interface Pkcs12Input {
  /** The private key, PKCS #8 DER. */
  readonly keyPkcs8: Uint8Array;
  /** The key's certificate first, then its issuers, DER. */
  readonly certs: readonly Uint8Array[];
  readonly password: string;
  /** The alias Java key stores show (the identity's name). */
  readonly friendlyName: string;
  /** Default PKCS12_ITERATIONS. */
  readonly iterations?: number;
}

/** The PFX file's DER bytes. */
export function writePkcs12(input: Pkcs12Input): Buffer {
  checkPkcs12Password(input.password);
  const iterations = input.iterations ?? PKCS12_ITERATIONS;
  const [leaf, ...chain] = input.certs;
  if (leaf === undefined) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'certs', reason: 'needs the key certificate' });
  const localKeyId = createHash('sha256').update(leaf).digest();
  const idAttr = seq(oid(OID.localKeyId), set(octets(localKeyId)));
  const nameAttr = seq(oid(OID.friendlyName), set(tlv(0x1e, bmp(input.friendlyName))));
  const certBag = (der: Uint8Array, attrs: Buffer[]): Buffer =>
    seq(oid(OID.certBag), explicit0(seq(oid(OID.x509Certificate), explicit0(octets(der)))), ...(attrs.length > 0 ? [set(...attrs)] : []));
  const certs = seq(certBag(leaf, [nameAttr, idAttr]), ...chain.map((c) => certBag(c, [])));
  const keyBag = seq(seq(oid(OID.keyBag), explicit0(shroud(input.keyPkcs8, input.password, iterations)), set(nameAttr, idAttr)));
  const authSafe = seq(data(certs), data(keyBag));
  const macSalt = randomBytes(16);
  const macKey = pkcs12Kdf(input.password, macSalt, 3, iterations, 32);
  try {
    const mac = createHmac('sha256', macKey).update(authSafe).digest();
    return seq(int(3), data(authSafe), seq(seq(seq(oid(OID.sha256), NULL), octets(mac)), octets(macSalt), int(iterations)));
  } finally {
    macKey.fill(0);
  }
}

/** A P-256 key pair for a client keystore: PKCS #8 private key and SPKI public key, DER. */
export function newP256Key(): { keyPkcs8: Buffer; spki: Buffer } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { keyPkcs8: privateKey.export({ type: 'pkcs8', format: 'der' }), spki: publicKey.export({ type: 'spki', format: 'der' }) };
}

/** A keystore password for people to paste: 32 characters from 24 random bytes (192 bits). */
export function newPkcs12Password(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The `native` crypto provider: node:crypto (OpenSSL >= 3.5, Node >= 24.7) for ML-KEM,
 * ML-DSA, X25519 and SHA-3, producing byte-identical keys and interoperable ciphertexts
 * and signatures with the `noble` provider.
 *
 * - ML-KEM-768/1024 (FIPS 203) and ML-DSA-65/87 (FIPS 204) keys are imported from their
 *   seeds as PKCS#8 with the seed-only `[0] OCTET STRING` choice of
 *   draft-ietf-lamps-kyber-certificates / draft-ietf-lamps-dilithium-certificates; that
 *   DER form is accepted by every Node with ML-KEM (the `raw-seed` format came later).
 * - X-Wing is composed here exactly as draft-connolly-cfrg-xwing-kem specifies:
 *   SHAKE256(seed, 96) gives the ML-KEM-768 seed [0:64] and the X25519 secret [64:96];
 *   the shared secret is SHA3-256(ss_M || ss_X || ct_X || pk_X || "\.//^\").
 *   The published X-Wing vectors pin this composition (test/vectors.test.ts).
 * - ML-KEM and X-Wing have no `encapsulateDerand`: node:crypto takes no injected
 *   randomness. Falcon is not in OpenSSL; the noble implementation is returned.
 *
 * Imported KeyObjects are cached per key array (keycache.ts): importing a seed costs
 * several times a decapsulation.
 *
 * This module must load on Node 20 too (provider selection imports it), so node:crypto
 * functions that only exist on newer Node are reached through the namespace at call time.
 * @module
 */
import * as nodeCrypto from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { VaultError } from '../errors.js';
import { concatBytes, expectBytes, ownBytes, randomBytes, wipe } from './bytes.js';
import { KeyCache } from './keycache.js';
import { nobleSignatures, unsupported } from './noble.js';
import { KEM_PARAMS, SIGNATURE_PARAMS, isKemName, isSignatureName, type KemParams, type SignatureParams } from './params.js';
import type { CryptoProvider, Encapsulation, Kem, KemName, KeyPair, SignatureName, SignatureScheme } from './types.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

/** DER headers: PKCS#8 with a seed-only private key, and SubjectPublicKeyInfo. */
interface DerForm {
  readonly keyType: string;
  readonly pkcs8Seed: Uint8Array;
  readonly spki: Uint8Array;
  readonly seedLength: number;
  readonly publicKeyLength: number;
}

// OIDs 2.16.840.1.101.3.4.4.{2,3} (ML-KEM-768/1024) and 2.16.840.1.101.3.4.3.{18,19} (ML-DSA-65/87).
const DER: Readonly<Record<'ML-KEM-768' | 'ML-KEM-1024' | 'ML-DSA-65' | 'ML-DSA-87' | 'X25519', DerForm>> = {
  'ML-KEM-768': {
    keyType: 'ml-kem-768',
    pkcs8Seed: hex('3054020100300b060960864801650304040204428040'),
    spki: hex('308204b2300b0609608648016503040402038204a100'),
    seedLength: 64,
    publicKeyLength: 1184,
  },
  'ML-KEM-1024': {
    keyType: 'ml-kem-1024',
    pkcs8Seed: hex('3054020100300b060960864801650304040304428040'),
    spki: hex('30820632300b06096086480165030404030382062100'),
    seedLength: 64,
    publicKeyLength: 1568,
  },
  'ML-DSA-65': {
    keyType: 'ml-dsa-65',
    pkcs8Seed: hex('3034020100300b060960864801650304031204228020'),
    spki: hex('308207b2300b0609608648016503040312038207a100'),
    seedLength: 32,
    publicKeyLength: 1952,
  },
  'ML-DSA-87': {
    keyType: 'ml-dsa-87',
    pkcs8Seed: hex('3034020100300b060960864801650304031304228020'),
    spki: hex('30820a32300b060960864801650304031303820a2100'),
    seedLength: 32,
    publicKeyLength: 2592,
  },
  // RFC 8410: the X25519 private key is an OCTET STRING inside the PKCS#8 OCTET STRING.
  X25519: {
    keyType: 'x25519',
    pkcs8Seed: hex('302e020100300506032b656e04220420'),
    spki: hex('302a300506032b656e032100'),
    seedLength: 32,
    publicKeyLength: 32,
  },
};

function importPrivate(form: DerForm, seed: Uint8Array): KeyObject {
  const der = concatBytes(form.pkcs8Seed, seed);
  try {
    return nodeCrypto.createPrivateKey({ key: Buffer.from(der.buffer, der.byteOffset, der.length), format: 'der', type: 'pkcs8' });
  } finally {
    wipe(der);
  }
}

function importPublic(form: DerForm, publicKey: Uint8Array): KeyObject {
  const der = concatBytes(form.spki, publicKey);
  return nodeCrypto.createPublicKey({ key: Buffer.from(der.buffer, der.byteOffset, der.length), format: 'der', type: 'spki' });
}

/** Raw public key bytes of a KeyObject (the SPKI body after the fixed header). */
function exportPublic(form: DerForm, key: KeyObject): Uint8Array {
  const pub = key.type === 'private' ? nodeCrypto.createPublicKey(key) : key;
  const spki = pub.export({ format: 'der', type: 'spki' });
  if (spki.length !== form.spki.length + form.publicKeyLength || !spki.subarray(0, form.spki.length).equals(form.spki)) {
    throw new Error(`unexpected ${form.keyType} SubjectPublicKeyInfo encoding`);
  }
  return new Uint8Array(spki.subarray(form.spki.length));
}

function sha3_256(...parts: Uint8Array[]): Uint8Array {
  const h = nodeCrypto.createHash('sha3-256');
  for (const p of parts) h.update(p);
  return ownBytes(h.digest());
}

function shake256(data: Uint8Array, outputLength: number): Uint8Array {
  return ownBytes(nodeCrypto.createHash('shake256', { outputLength }).update(data).digest());
}

function checkSecretKey(p: KemParams | SignatureParams, secretKey: Uint8Array): void {
  expectBytes(secretKey, p.lengths.secretKey, 'OV_KEY_INVALID', 'secretKey');
}

function checkPublicKey(p: KemParams | SignatureParams, publicKey: Uint8Array): void {
  expectBytes(publicKey, p.lengths.publicKey, 'OV_KEY_INVALID', 'publicKey');
}

function checkCipherText(p: KemParams, cipherText: Uint8Array): void {
  expectBytes(cipherText, p.lengths.cipherText, 'OV_ENVELOPE_OPEN', 'cipherText');
}

function seedOrRandom(seed: Uint8Array | undefined, length: number): Uint8Array {
  if (seed === undefined) return randomBytes(length);
  expectBytes(seed, length, 'OV_KEY_INVALID', 'seed');
  return new Uint8Array(seed);
}

/** Imports a public key, mapping OpenSSL's rejection (e.g. the FIPS 203 modulus check) to OV_KEY_INVALID. */
function publicKeyCache(form: DerForm): KeyCache<KeyObject> {
  return new KeyCache<KeyObject>((pk) => {
    try {
      return importPublic(form, pk);
    } catch (cause) {
      throw new VaultError('OV_KEY_INVALID', { field: 'publicKey' }, { cause });
    }
  });
}

function mlKem(name: 'ML-KEM-768' | 'ML-KEM-1024'): Kem {
  const p = KEM_PARAMS[name];
  const form = DER[name];
  const secrets = new KeyCache<KeyObject>((seed) => importPrivate(form, seed));
  const publics = publicKeyCache(form);
  return Object.freeze({
    name: p.name,
    hpkeId: p.hpkeId,
    lengths: p.lengths,
    keygen(seed?: Uint8Array): KeyPair {
      const sk = seedOrRandom(seed, p.lengths.secretKey);
      return { publicKey: exportPublic(form, importPrivate(form, sk)), secretKey: sk };
    },
    getPublicKey(secretKey: Uint8Array): Uint8Array {
      checkSecretKey(p, secretKey);
      return exportPublic(form, secrets.get(secretKey));
    },
    encapsulate(publicKey: Uint8Array): Encapsulation {
      checkPublicKey(p, publicKey);
      const { ciphertext, sharedKey } = nodeCrypto.encapsulate(publics.get(publicKey));
      return { cipherText: ownBytes(ciphertext), sharedSecret: ownBytes(sharedKey) };
    },
    decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
      checkSecretKey(p, secretKey);
      checkCipherText(p, cipherText);
      const key = secrets.get(secretKey);
      try {
        return ownBytes(nodeCrypto.decapsulate(key, cipherText));
      } catch {
        throw new VaultError('OV_ENVELOPE_OPEN');
      }
    },
  } satisfies Kem);
}

// draft-connolly-cfrg-xwing-kem: XWingLabel = concat(0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c), "\.//^\".
const XWING_LABEL = Uint8Array.of(0x5c, 0x2e, 0x2f, 0x2f, 0x5e, 0x5c);
const MLKEM768_PK = KEM_PARAMS['ML-KEM-768'].lengths.publicKey;
const MLKEM768_CT = KEM_PARAMS['ML-KEM-768'].lengths.cipherText;

interface XWingSecret {
  readonly mlkem: KeyObject;
  readonly x25519: KeyObject;
  readonly pkM: Uint8Array;
  readonly pkX: Uint8Array;
}

interface XWingPublic {
  readonly mlkem: KeyObject;
  readonly x25519: KeyObject;
  readonly pkX: Uint8Array;
}

/** expandDecapsulationKey(sk) of the draft, with the component keys imported into OpenSSL. */
function xwingExpand(seed: Uint8Array): XWingSecret {
  const expanded = shake256(seed, 96);
  try {
    const mlkem = importPrivate(DER['ML-KEM-768'], expanded.subarray(0, 64));
    const x25519 = importPrivate(DER.X25519, expanded.subarray(64, 96));
    return {
      mlkem,
      x25519,
      pkM: exportPublic(DER['ML-KEM-768'], mlkem),
      pkX: exportPublic(DER.X25519, x25519),
    };
  } finally {
    wipe(expanded);
  }
}

// base64 of the 12-byte RFC 8410 SubjectPublicKeyInfo header of an X25519 key (a multiple
// of 3 bytes, so the key's own base64 simply follows it).
const X25519_SPKI_B64 = Buffer.from(DER.X25519.spki).toString('base64');

/**
 * X25519 public key import from a PEM string: it runs once per decapsulation, and on
 * Node 24 the string route is about three times faster than JWK, raw or DER given as an
 * options object (each of those first runs KeyObject / CryptoKey brand checks on the
 * object that cost more than the import itself).
 */
function importX25519Public(u: Uint8Array): KeyObject {
  const b64 = Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64');
  return nodeCrypto.createPublicKey(`-----BEGIN PUBLIC KEY-----\n${X25519_SPKI_B64}${b64}\n-----END PUBLIC KEY-----\n`);
}

/**
 * Raw X25519 public key through JWK export: OpenSSL serves it without the DER encoder,
 * which costs tens of microseconds per call (this runs once per encapsulation).
 */
function exportX25519Public(key: KeyObject): Uint8Array {
  const { x } = key.export({ format: 'jwk' });
  const u = typeof x === 'string' ? Buffer.from(x, 'base64url') : undefined;
  if (u?.length !== 32) throw new Error('unexpected X25519 JWK export');
  return ownBytes(u);
}

function x25519(privateKey: KeyObject, publicKey: KeyObject): Uint8Array {
  return ownBytes(nodeCrypto.diffieHellman({ privateKey, publicKey }));
}

function xwingKem(): Kem {
  const p = KEM_PARAMS['X-Wing'];
  const secrets = new KeyCache<XWingSecret>(xwingExpand);
  const publics = new KeyCache<XWingPublic>((pk) => {
    try {
      const pkX = new Uint8Array(pk.subarray(MLKEM768_PK)); // a copy even when pk is a Buffer
      return {
        mlkem: importPublic(DER['ML-KEM-768'], pk.subarray(0, MLKEM768_PK)),
        x25519: importX25519Public(pkX),
        pkX,
      };
    } catch (cause) {
      throw new VaultError('OV_KEY_INVALID', { field: 'publicKey' }, { cause });
    }
  });
  return Object.freeze({
    name: p.name,
    hpkeId: p.hpkeId,
    lengths: p.lengths,
    keygen(seed?: Uint8Array): KeyPair {
      const sk = seedOrRandom(seed, p.lengths.secretKey);
      const { pkM, pkX } = xwingExpand(sk);
      return { publicKey: concatBytes(pkM, pkX), secretKey: sk };
    },
    getPublicKey(secretKey: Uint8Array): Uint8Array {
      checkSecretKey(p, secretKey);
      const { pkM, pkX } = secrets.get(secretKey);
      return concatBytes(pkM, pkX);
    },
    encapsulate(publicKey: Uint8Array): Encapsulation {
      checkPublicKey(p, publicKey);
      const pub = publics.get(publicKey);
      const eph = nodeCrypto.generateKeyPairSync('x25519');
      const ctX = exportX25519Public(eph.publicKey);
      let ssX: Uint8Array;
      try {
        ssX = x25519(eph.privateKey, pub.x25519);
      } catch (cause) {
        // OpenSSL refuses the all-zero result of a low-order point, as noble does.
        throw new VaultError('OV_KEY_INVALID', { field: 'publicKey' }, { cause });
      }
      const { ciphertext, sharedKey } = nodeCrypto.encapsulate(pub.mlkem);
      const ssM = ownBytes(sharedKey);
      try {
        return {
          cipherText: concatBytes(ciphertext, ctX),
          sharedSecret: sha3_256(ssM, ssX, ctX, pub.pkX, XWING_LABEL),
        };
      } finally {
        wipe(ssM, ssX);
      }
    },
    decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
      checkSecretKey(p, secretKey);
      checkCipherText(p, cipherText);
      const key = secrets.get(secretKey);
      const ctX = cipherText.subarray(MLKEM768_CT);
      let ssM: Uint8Array | undefined;
      let ssX: Uint8Array | undefined;
      try {
        ssM = ownBytes(nodeCrypto.decapsulate(key.mlkem, cipherText.subarray(0, MLKEM768_CT)));
        ssX = x25519(key.x25519, importX25519Public(ctX));
        return sha3_256(ssM, ssX, ctX, key.pkX, XWING_LABEL);
      } catch {
        throw new VaultError('OV_ENVELOPE_OPEN');
      } finally {
        wipe(ssM, ssX);
      }
    },
  } satisfies Kem);
}

function mlDsa(name: 'ML-DSA-65' | 'ML-DSA-87'): SignatureScheme {
  const p = SIGNATURE_PARAMS[name];
  const form = DER[name];
  const secrets = new KeyCache<KeyObject>((seed) => importPrivate(form, seed));
  const publics = publicKeyCache(form);
  return Object.freeze({
    name: p.name,
    lengths: p.lengths,
    implementation: 'native',
    keygen(seed?: Uint8Array): KeyPair {
      const sk = seedOrRandom(seed, p.lengths.secretKey);
      return { publicKey: exportPublic(form, importPrivate(form, sk)), secretKey: sk };
    },
    getPublicKey(secretKey: Uint8Array): Uint8Array {
      checkSecretKey(p, secretKey);
      return exportPublic(form, secrets.get(secretKey));
    },
    sign(message: Uint8Array, secretKey: Uint8Array): Uint8Array {
      expectBytes(message, undefined, 'OV_INVALID_ARGUMENT', 'message');
      checkSecretKey(p, secretKey);
      // Pure ML-DSA, empty context, hedged signing (OpenSSL's default).
      return ownBytes(nodeCrypto.sign(null, message, secrets.get(secretKey)));
    },
    verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean {
      if (!(signature instanceof Uint8Array) || !(message instanceof Uint8Array) || !(publicKey instanceof Uint8Array)) {
        return false;
      }
      if (publicKey.length !== p.lengths.publicKey || signature.length !== p.lengths.signature) return false;
      try {
        return nodeCrypto.verify(null, message, publics.get(publicKey), signature);
      } catch {
        return false;
      }
    },
  } satisfies SignatureScheme);
}

/**
 * Whether this runtime's node:crypto can run the native provider: ML-KEM-768/1024 and
 * ML-DSA-65/87 keys import from seeds, X25519 and SHA-3 exist. Costs well under a
 * millisecond; provider.ts calls it once and remembers the answer.
 */
export function probeNative(): boolean {
  if (typeof nodeCrypto.encapsulate !== 'function' || typeof nodeCrypto.decapsulate !== 'function') return false;
  try {
    const hashes = nodeCrypto.getHashes();
    if (!hashes.includes('sha3-256') || !hashes.includes('shake256')) return false;
    for (const form of Object.values(DER)) {
      const key = importPrivate(form, new Uint8Array(form.seedLength).fill(1));
      if (key.asymmetricKeyType !== form.keyType) return false;
      exportPublic(form, key);
    }
    return true;
  } catch {
    return false;
  }
}

let kems: Readonly<Record<KemName, Kem>> | undefined;
let signatures: Readonly<Record<SignatureName, SignatureScheme>> | undefined;

function nativeKems(): Readonly<Record<KemName, Kem>> {
  kems ??= Object.freeze({
    'X-Wing': xwingKem(),
    'ML-KEM-768': mlKem('ML-KEM-768'),
    'ML-KEM-1024': mlKem('ML-KEM-1024'),
  });
  return kems;
}

function nativeSignatures(): Readonly<Record<SignatureName, SignatureScheme>> {
  const noble = nobleSignatures();
  signatures ??= Object.freeze({
    'ML-DSA-65': mlDsa('ML-DSA-65'),
    'ML-DSA-87': mlDsa('ML-DSA-87'),
    // OpenSSL has no Falcon: the same noble object, which reports implementation 'noble'.
    'Falcon-512-r3': noble['Falcon-512-r3'],
    'Falcon-1024-r3': noble['Falcon-1024-r3'],
  });
  return signatures;
}

/**
 * The native provider object. Use provider.ts (`getProvider('native')`), which checks
 * availability first; on a runtime without native ML-KEM the first operation would fail.
 */
export const nativeProvider: CryptoProvider = Object.freeze({
  name: 'native',
  kem(name: KemName): Kem {
    if (!isKemName(name)) unsupported('kem', name);
    return nativeKems()[name];
  },
  signature(name: SignatureName): SignatureScheme {
    if (!isSignatureName(name)) unsupported('signature', name);
    return nativeSignatures()[name];
  },
});

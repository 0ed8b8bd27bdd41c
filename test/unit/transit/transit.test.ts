/**
 * The transit engine on a real keyring, over a real SQLite file and the memory backend:
 * every operation round-trips on every key type; rotation, the minimum versions and
 * rewrap; batches keep input order with per-item errors; every tampered byte of a
 * ciphertext is the one code; signatures and HMACs refuse tampering; HashML-DSA matches
 * noble's reference; export only when exportable (and an exported key opens a ciphertext
 * offline); backup and restore between two vaults.
 */
import { join } from 'node:path';
import { sha512 } from '@noble/hashes/sha2.js';
import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from '../../../src/crypto/bytes.js';
import { selectProvider } from '../../../src/crypto/provider.js';
import { armor, dearmor } from '../../../src/envelope/armor.js';
import { decodeKey, encodeKey, open as openEnvelope, type PublicKeyInfo, type SecretKeyInfo } from '../../../src/envelope/index.js';
import { VaultError, type ErrorCode } from '../../../src/errors.js';
import { Keyring, KeyRotation, vaultVerifyKeys } from '../../../src/keyring/index.js';
import { openMemoryStorage, openStorage } from '../../../src/storage/index.js';
import type { Storage } from '../../../src/storage/types.js';
import {
  TRANSIT_KEY_TYPES,
  TransitService,
  ciphertextContext,
  encodeValue,
  parseValue,
  transitRewrapSource,
  type BatchError,
  type TransitKeyType,
} from '../../../src/transit/index.js';
import { tempDir } from '../storage/helpers.js';

const provider = selectProvider();
const T0 = 1_700_000_000_000;
const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString('base64');
const text = (s: string): string => Buffer.from(s, 'base64').toString('utf8');

function expectCode(fn: () => unknown, code: ErrorCode): VaultError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(VaultError);
  expect((caught as VaultError).code).toBe(code);
  return caught as VaultError;
}

interface Vault {
  storage: Storage;
  keyring: Keyring;
  transit: TransitService;
  close(): void;
}

type Backend = { name: string; open: (dir: string, n: number) => Storage };
const BACKENDS: Backend[] = [
  { name: 'sqlite', open: (dir: string, n: number) => openStorage(join(dir, `vault-${n}.db`)) },
  { name: 'memory', open: () => openMemoryStorage() },
];

function kemPublic(k: Keyring): PublicKeyInfo {
  const kem = k.current('kem');
  return { kind: 'kem-public', alg: kem.alg, keyVersion: kem.keyVersion, keyId: kem.keyId, publicKey: kem.publicKey };
}

function flip(ciphertext: string, i: number): string {
  const parsed = parseValue(ciphertext);
  if (parsed === undefined) throw new Error('unparsable');
  const body = parsed.body.slice();
  body[i] = (body[i] as number) ^ 0x01;
  return encodeValue(parsed.version, body);
}

for (const backend of BACKENDS) {
  describe(`transit (${backend.name})`, () => {
    let cleanup: () => void;
    let dir: string;
    let n = 0;
    let vaults: Vault[] = [];
    let now = T0;

    function vault(): Vault {
      const storage = backend.open(dir, ++n);
      const keyring = Keyring.create(storage, provider, randomBytes(32), { now: T0 });
      const v: Vault = {
        storage,
        keyring,
        transit: new TransitService({ storage, provider, keyring: () => (keyring.open ? keyring : undefined), signature: 'ML-DSA-65', now: () => now }),
        close: () => {
          keyring.wipe();
          storage.close();
        },
      };
      vaults.push(v);
      return v;
    }

    beforeEach(() => {
      ({ dir, cleanup } = tempDir());
      vaults = [];
      now = T0;
    });
    afterEach(() => {
      for (const v of vaults) v.close();
      cleanup();
    });

    it('every key type round-trips its operations and refuses the others', () => {
      const { transit } = vault();
      for (const type of TRANSIT_KEY_TYPES) {
        const name = `k-${type}`;
        const info = transit.create(name, { type }).data;
        expect(info).toMatchObject({ name, type, latest_version: 1, min_decryption_version: 1, supports_derivation: false });
        expect(Object.keys(info.keys)).toEqual(['1']);
        if (type.startsWith('hmac')) expect(info.keys['1']?.public_key).toBeUndefined();
        else expect(info.keys['1']?.public_key).toMatch(/^-----BEGIN ONTOREF PUBLIC KEY-----/);
        const input = b64('attack at dawn');
        if (type === 'xwing' || type === 'ml-kem-1024') {
          const enc = transit.encrypt(name, { plaintext: input });
          expect(enc.data.ciphertext).toMatch(/^ontoref:v1:[A-Za-z0-9+/]+={0,2}$/);
          expect(enc.audit).toEqual({ operation: 'encrypt', name, versions: [1], count: 1, errors: 0 });
          expect(JSON.stringify(enc.audit)).not.toContain(input);
          expect(text(transit.decrypt(name, { ciphertext: enc.data.ciphertext }).data.plaintext)).toBe('attack at dawn');
          expectCode(() => transit.sign(name, { input }), 'OV_TRANSIT_UNSUPPORTED_OPERATION');
          expectCode(() => transit.hmac(name, { input }), 'OV_TRANSIT_UNSUPPORTED_OPERATION');
          expectCode(() => transit.verify(name, { input, signature: 'ontoref:v1:AAAA' }), 'OV_TRANSIT_UNSUPPORTED_OPERATION');
        } else if (type.startsWith('hmac')) {
          const mac = transit.hmac(name, { input }).data;
          expect(mac).toMatchObject({ key_version: 1 });
          expect(mac.hmac).toMatch(/^ontoref:v1:/);
          expect(parseValue(mac.hmac)?.body.length).toBe(32);
          expect(transit.verify(name, { input, hmac: mac.hmac }).data.valid).toBe(true);
          expect(transit.verify(name, { input: b64('attack at dusk'), hmac: mac.hmac }).data.valid).toBe(false);
          expectCode(() => transit.encrypt(name, { plaintext: input }), 'OV_TRANSIT_UNSUPPORTED_OPERATION');
          expectCode(() => transit.sign(name, { input }), 'OV_TRANSIT_UNSUPPORTED_OPERATION');
        } else {
          const sig = transit.sign(name, { input }).data;
          expect(sig.signature).toMatch(/^ontoref:v1:/);
          expect(transit.verify(name, { input, signature: sig.signature }).data.valid).toBe(true);
          expect(transit.verify(name, { input: b64('attack at dusk'), signature: sig.signature }).data.valid).toBe(false);
          expectCode(() => transit.decrypt(name, { ciphertext: sig.signature }), 'OV_TRANSIT_UNSUPPORTED_OPERATION');
          expectCode(() => transit.hmac(name, { input }), 'OV_TRANSIT_UNSUPPORTED_OPERATION');
        }
      }
      expect(transit.list()).toEqual(TRANSIT_KEY_TYPES.map((t) => `k-${t}`).sort());
    });

    it('the two HMAC types differ and match their definitions', () => {
      const { transit } = vault();
      transit.create('a', { type: 'hmac-sha256' });
      transit.create('b', { type: 'hmac-sha3-256' });
      const a = parseValue(transit.hmac('a', { input: b64('x') }).data.hmac);
      const b = parseValue(transit.hmac('b', { input: b64('x') }).data.hmac);
      expect(a?.body).not.toEqual(b?.body);
      expect(transit.verify('a', { input: b64('x'), hmac: transit.hmac('b', { input: b64('x') }).data.hmac }).data.valid).toBe(false);
    });

    it('binds associated data and the key name', () => {
      const { transit } = vault();
      transit.create('one');
      transit.create('two');
      const ad = b64('tenant-7');
      const ct = transit.encrypt('one', { plaintext: b64('p'), associated_data: ad }).data.ciphertext;
      expect(text(transit.decrypt('one', { ciphertext: ct, associated_data: ad }).data.plaintext)).toBe('p');
      expectCode(() => transit.decrypt('one', { ciphertext: ct }), 'OV_TRANSIT_CIPHERTEXT_INVALID');
      expectCode(() => transit.decrypt('one', { ciphertext: ct, associated_data: b64('tenant-8') }), 'OV_TRANSIT_CIPHERTEXT_INVALID');
      expectCode(() => transit.decrypt('two', { ciphertext: ct, associated_data: ad }), 'OV_TRANSIT_CIPHERTEXT_INVALID');
      // Empty associated data is the same as none.
      const plain = transit.encrypt('one', { plaintext: b64('q'), associated_data: '' }).data.ciphertext;
      expect(text(transit.decrypt('one', { ciphertext: plain }).data.plaintext)).toBe('q');
    });

    // The format does not depend on the backend: once is enough (a flip in the KEM share costs a decapsulation).
    it.runIf(backend === BACKENDS[0])('every flipped byte of a ciphertext body, and every malformed string, is the one code', () => {
      const { transit } = vault();
      transit.create('k');
      const ct = transit.encrypt('k', { plaintext: b64('s') }).data.ciphertext;
      const len = parseValue(ct)?.body.length ?? 0;
      expect(len).toBeGreaterThan(1000);
      // In batches, so the key is opened once per batch rather than once per flipped byte.
      const flipped = Array.from({ length: len }, (_, i) => ({ ciphertext: flip(ct, i) }));
      for (let at = 0; at < len; at += 1000) {
        const results = transit.decrypt('k', { batch_input: flipped.slice(at, at + 1000) }).data.batch_results;
        for (const r of results) expect((r as BatchError).error?.code).toBe('OV_TRANSIT_CIPHERTEXT_INVALID');
      }
      expectCode(() => transit.decrypt('k', { ciphertext: flip(ct, len - 1) }), 'OV_TRANSIT_CIPHERTEXT_INVALID');
      const body = ct.slice('ontoref:v1:'.length);
      for (const bad of ['', 'ontoref:v1:', `vault:v1:${body}`, `ontoref:v0:${body}`, `ontoref:v01:${body}`, `ontoref:1:${body}`, `${ct}=`, `${ct.slice(0, -4)}`, `ontoref:v2:${body}`, `ontoref:v1:${body.slice(0, -2)}!!`]) {
        expectCode(() => transit.decrypt('k', { ciphertext: bad }), 'OV_TRANSIT_CIPHERTEXT_INVALID');
      }
    });

    it('after rotate and a raised minimum, old ciphertexts are refused and rewrap brings them forward', () => {
      const { transit } = vault();
      transit.create('k', { type: 'ml-kem-1024' });
      const old = transit.encrypt('k', { plaintext: b64('v1 data'), associated_data: b64('ad') }).data.ciphertext;
      now += 1000;
      const rotated = transit.rotate('k').data;
      expect(rotated.latest_version).toBe(2);
      expect(rotated.keys['2']?.creation_time).toBe(T0 + 1000);
      expect(transit.encrypt('k', { plaintext: b64('x') }).data.key_version).toBe(2);
      expect(transit.encrypt('k', { plaintext: b64('x'), key_version: 1 }).data.key_version).toBe(1);
      const fwd = transit.rewrap('k', { ciphertext: old, associated_data: b64('ad') });
      expect(fwd.data.key_version).toBe(2);
      expect(fwd.data.ciphertext).toMatch(/^ontoref:v2:/);
      expect(fwd.audit.versions).toEqual([1, 2]);
      transit.config('k', { min_decryption_version: 2 });
      expectCode(() => transit.decrypt('k', { ciphertext: old, associated_data: b64('ad') }), 'OV_TRANSIT_VERSION_RETIRED');
      expectCode(() => transit.rewrap('k', { ciphertext: old, associated_data: b64('ad') }), 'OV_TRANSIT_VERSION_RETIRED');
      expectCode(() => transit.encrypt('k', { plaintext: b64('x'), key_version: 1 }), 'OV_TRANSIT_VERSION_RETIRED');
      expect(text(transit.decrypt('k', { ciphertext: fwd.data.ciphertext, associated_data: b64('ad') }).data.plaintext)).toBe('v1 data');
      // The minimum can come back down until the versions are trimmed.
      transit.config('k', { min_decryption_version: 1 });
      expect(text(transit.decrypt('k', { ciphertext: old, associated_data: b64('ad') }).data.plaintext)).toBe('v1 data');
      transit.config('k', { min_decryption_version: 2, min_encryption_version: 2 });
      expectCode(() => transit.config('k', { min_encryption_version: 1 }), 'OV_INVALID_ARGUMENT');
      expectCode(() => transit.trim('k', { min_available_version: 3 }), 'OV_INVALID_ARGUMENT');
      expect(transit.trim('k', { min_available_version: 2 }).data.trimmed).toBe(1);
      const info = transit.read('k').data;
      expect(Object.keys(info.keys)).toEqual(['2']);
      expect(info.min_available_version).toBe(2);
      expectCode(() => transit.config('k', { min_decryption_version: 1 }), 'OV_INVALID_ARGUMENT');
      expectCode(() => transit.decrypt('k', { ciphertext: old, associated_data: b64('ad') }), 'OV_TRANSIT_VERSION_RETIRED');
    });

    it('batches keep input order, with per-item errors', () => {
      const { transit } = vault();
      transit.create('k');
      const enc = transit.encrypt('k', {
        batch_input: [{ plaintext: b64('a') }, { plaintext: 'not base64!' }, { plaintext: b64('c'), associated_data: b64('x') }, { plaintext: b64('d'), key_version: 9 }],
      });
      const r = enc.data.batch_results;
      expect(r).toHaveLength(4);
      expect((r[1] as BatchError).error.code).toBe('OV_INVALID_ARGUMENT');
      expect((r[3] as BatchError).error.code).toBe('OV_TRANSIT_KEY_NOT_FOUND');
      expect(enc.audit).toMatchObject({ operation: 'encrypt', count: 4, errors: 2, versions: [1] });
      const ct0 = (r[0] as { ciphertext: string }).ciphertext;
      const ct2 = (r[2] as { ciphertext: string }).ciphertext;
      const dec = transit.decrypt('k', {
        batch_input: [{ ciphertext: ct2, associated_data: b64('x') }, { ciphertext: flip(ct0, 3) }, { ciphertext: ct0 }, { ciphertext: ct0, extra: 1 } as never],
      }).data.batch_results;
      expect(text((dec[0] as { plaintext: string }).plaintext)).toBe('c');
      expect((dec[1] as BatchError).error.code).toBe('OV_TRANSIT_CIPHERTEXT_INVALID');
      expect(text((dec[2] as { plaintext: string }).plaintext)).toBe('a');
      expect((dec[3] as BatchError).error.code).toBe('OV_INVALID_ARGUMENT');
      expectCode(() => transit.decrypt('k', { batch_input: [] }), 'OV_INVALID_ARGUMENT');
      expectCode(() => transit.decrypt('k', { batch_input: [{ ciphertext: ct0 }], ciphertext: ct0 } as never), 'OV_INVALID_ARGUMENT');
      transit.create('s', { type: 'ml-dsa-65' });
      const sigs = transit.sign('s', { batch_input: [{ input: b64('1') }, { input: b64('2'), prehashed: true }, { input: b64('3') }] }).data.batch_results;
      expect((sigs[1] as BatchError).error.code).toBe('OV_INVALID_ARGUMENT');
      const ver = transit.verify('s', {
        batch_input: [
          { input: b64('3'), signature: (sigs[2] as { signature: string }).signature },
          { input: b64('1'), signature: (sigs[2] as { signature: string }).signature },
          { input: b64('1'), signature: (sigs[0] as { signature: string }).signature },
        ],
      }).data.batch_results;
      expect(ver).toEqual([{ valid: true }, { valid: false }, { valid: true }]);
    });

    it('refuses tampered signatures and HMACs, and checks prehash support', () => {
      const { transit } = vault();
      transit.create('d', { type: 'ml-dsa-87' });
      transit.create('f', { type: 'falcon-512' });
      transit.create('h', { type: 'hmac-sha256' });
      const input = b64('message');
      for (const [name, field, value] of [
        ['d', 'signature', transit.sign('d', { input }).data.signature],
        ['f', 'signature', transit.sign('f', { input }).data.signature],
        ['h', 'hmac', transit.hmac('h', { input }).data.hmac],
      ] as const) {
        const len = parseValue(value)?.body.length ?? 0;
        for (const i of [0, 1, Math.floor(len / 2), len - 1]) {
          expect(transit.verify(name, { input, [field]: flip(value, i) }).data.valid, `${name} byte ${i}`).toBe(false);
        }
        expectCode(() => transit.verify(name, { input, [field]: 'garbage' }), 'OV_TRANSIT_CIPHERTEXT_INVALID');
        expectCode(() => transit.verify(name, { input, [field]: value.replace('ontoref:v1:', 'ontoref:v5:') }), 'OV_TRANSIT_CIPHERTEXT_INVALID');
      }
      expectCode(() => transit.sign('f', { input: b64(sha512(Buffer.from('m'))), prehashed: true }), 'OV_TRANSIT_PREHASH_UNSUPPORTED');
      expectCode(() => transit.sign('d', { input, hash_algorithm: 'sha2-256' }), 'OV_TRANSIT_PREHASH_UNSUPPORTED');
      expectCode(() => transit.hmac('h', { input, prehashed: true } as never), 'OV_INVALID_ARGUMENT');
    });

    it('prehashed signing is HashML-DSA-SHA512 (checked with noble) and pure signing is not', () => {
      const { transit } = vault();
      transit.create('d', { type: 'ml-dsa-65', exportable: true });
      const message = Buffer.from('a large document');
      const digest = sha512(message);
      const sig = transit.sign('d', { input: b64(digest), prehashed: true }).data.signature;
      const body = parseValue(sig)?.body as Uint8Array;
      const pub = decodeKey(dearmor(transit.read('d').data.keys['1']?.public_key as string, 'PUBLIC KEY')) as PublicKeyInfo;
      expect(ml_dsa65.prehash(sha512).verify(body, message, pub.publicKey)).toBe(true);
      expect(ml_dsa65.verify(body, message, pub.publicKey)).toBe(false);
      expect(transit.verify('d', { input: b64(digest), signature: sig, prehashed: true }).data.valid).toBe(true);
      expect(transit.verify('d', { input: b64(digest), signature: sig }).data.valid).toBe(false);
      const pure = parseValue(transit.sign('d', { input: b64(message) }).data.signature)?.body as Uint8Array;
      expect(ml_dsa65.verify(pure, message, pub.publicKey)).toBe(true);
      expectCode(() => transit.sign('d', { input: b64('short'), prehashed: true }), 'OV_INVALID_ARGUMENT');
    });

    it('datakey returns the plaintext only when asked, and the ciphertext decrypts to it', () => {
      const { transit } = vault();
      transit.create('k');
      const wrapped = transit.datakey('k').data;
      expect(wrapped.plaintext).toBeUndefined();
      expect(Buffer.from(transit.decrypt('k', { ciphertext: wrapped.ciphertext }).data.plaintext, 'base64')).toHaveLength(32);
      const plain = transit.datakey('k', { plaintext: true, bits: 512 }).data;
      expect(transit.decrypt('k', { ciphertext: plain.ciphertext }).data.plaintext).toBe(plain.plaintext);
      expect(Buffer.from(plain.plaintext as string, 'base64')).toHaveLength(64);
      expectCode(() => transit.datakey('k', { bits: 100 }), 'OV_INVALID_ARGUMENT');
      transit.create('s', { type: 'ml-dsa-65' });
      expectCode(() => transit.datakey('s'), 'OV_TRANSIT_UNSUPPORTED_OPERATION');
    });

    it('manages keys: names, idempotent create, flags, deletion', () => {
      const { transit } = vault();
      for (const bad of ['', 'A', '-x', 'a/b', 'a b', 'é', 'x'.repeat(129), '.']) expectCode(() => transit.create(bad), 'OV_TRANSIT_NAME_INVALID');
      expect(transit.create('x'.repeat(128)).data.latest_version).toBe(1);
      transit.create('k', { type: 'xwing' });
      const again = transit.create('k', { type: 'xwing' });
      expect(again.data.latest_version).toBe(1);
      expectCode(() => transit.create('k', { type: 'ml-dsa-65' }), 'OV_TRANSIT_KEY_EXISTS');
      expectCode(() => transit.create('z', { type: 'rsa-2048' }), 'OV_ALGORITHM_UNSUPPORTED');
      expectCode(() => transit.create('z', { bogus: true } as never), 'OV_INVALID_ARGUMENT');
      expectCode(() => transit.read('missing'), 'OV_TRANSIT_KEY_NOT_FOUND');
      expectCode(() => transit.encrypt('missing', { plaintext: '' }), 'OV_TRANSIT_KEY_NOT_FOUND');
      expectCode(() => transit.delete('k'), 'OV_TRANSIT_DELETION_NOT_ALLOWED');
      transit.config('k', { exportable: true, allow_plaintext_backup: true });
      expectCode(() => transit.config('k', { exportable: false }), 'OV_INVALID_ARGUMENT');
      expectCode(() => transit.config('k', { allow_plaintext_backup: false }), 'OV_INVALID_ARGUMENT');
      expectCode(() => transit.config('k', { min_decryption_version: 2 }), 'OV_INVALID_ARGUMENT');
      transit.config('k', { deletion_allowed: true });
      expect(transit.delete('k').data).toEqual({ deleted: true });
      expectCode(() => transit.read('k'), 'OV_TRANSIT_KEY_NOT_FOUND');
    });

    it('a key row moved to another name does not open', () => {
      const { transit, storage } = vault();
      transit.create('a');
      transit.create('b');
      const rowA = storage.transit.getVersion('a', 1);
      const rowB = storage.transit.getVersion('b', 1);
      if (rowA === undefined || rowB === undefined) throw new Error('missing rows');
      expect(storage.transit.replaceEnvelope('b', 1, rowB.envelope, rowA.envelope, rowA.kemVersion)).toBe(true);
      expectCode(() => transit.encrypt('b', { plaintext: b64('x') }), 'OV_TRANSIT_KEY_UNREADABLE');
    });

    it('export only when exportable, and an exported key opens a ciphertext offline', () => {
      const { transit } = vault();
      transit.create('k');
      expectCode(() => transit.export('encryption-key', 'k'), 'OV_TRANSIT_EXPORT_NOT_ALLOWED');
      transit.config('k', { exportable: true });
      expectCode(() => transit.export('signing-key', 'k'), 'OV_TRANSIT_UNSUPPORTED_OPERATION');
      transit.rotate('k');
      const ct = transit.encrypt('k', { plaintext: b64('offline'), associated_data: b64('ad') }).data.ciphertext;
      const exp = transit.export('encryption-key', 'k');
      expect(Object.keys(exp.data.keys)).toEqual(['1', '2']);
      expect(exp.audit.versions).toEqual([1, 2]);
      expect(Object.keys(transit.export('encryption-key', 'k', 2).data.keys)).toEqual(['2']);
      const sk = decodeKey(dearmor(exp.data.keys['2'] as string, 'SECRET KEY')) as SecretKeyInfo;
      const parsed = parseValue(ct);
      if (parsed === undefined) throw new Error('unparsable');
      const plaintext = openEnvelope(provider, { envelope: parsed.body, key: sk, context: ciphertextContext('k', 2, Buffer.from('ad')) });
      expect(Buffer.from(plaintext).toString()).toBe('offline');
      transit.create('h', { type: 'hmac-sha3-256', exportable: true });
      expect(Buffer.from(transit.export('hmac-key', 'h').data.keys['1'] as string, 'base64')).toHaveLength(32);
    });

    it('backup and restore move a key between two vaults, never to a third', () => {
      const a = vault();
      const b = vault();
      const c = vault();
      a.transit.create('k', { type: 'ml-kem-1024', deletion_allowed: true });
      expectCode(() => a.transit.backup('k', { recipient: kemPublic(b.keyring) }), 'OV_TRANSIT_EXPORT_NOT_ALLOWED');
      a.transit.config('k', { allow_plaintext_backup: true });
      const before = a.transit.encrypt('k', { plaintext: b64('moved') }).data.ciphertext;
      a.transit.rotate('k');
      a.transit.config('k', { min_decryption_version: 1, min_encryption_version: 2 });
      const blob = a.transit.backup('k', { recipient: kemPublic(b.keyring) }).data.backup;
      const trusted = vaultVerifyKeys(a.keyring);
      // Only the vault it was sealed to opens it, and only when it trusts the signer.
      expectCode(() => c.transit.restore(blob, { trusted }), 'OV_TRANSIT_BACKUP_INVALID');
      expectCode(() => b.transit.restore(blob), 'OV_TRANSIT_BACKUP_INVALID');
      const raw = Buffer.from(blob, 'base64');
      raw[raw.length - 10] = (raw[raw.length - 10] as number) ^ 1;
      expectCode(() => b.transit.restore(raw.toString('base64'), { trusted }), 'OV_TRANSIT_BACKUP_INVALID');
      const restored = b.transit.restore(blob, { trusted }).data;
      expect(restored).toMatchObject({ name: 'k', type: 'ml-kem-1024', latest_version: 2, min_encryption_version: 2, allow_plaintext_backup: true });
      expect(restored.keys).toEqual(a.transit.read('k').data.keys);
      expect(text(b.transit.decrypt('k', { ciphertext: before }).data.plaintext)).toBe('moved');
      const after = b.transit.encrypt('k', { plaintext: b64('back') }).data.ciphertext;
      expect(text(a.transit.decrypt('k', { ciphertext: after }).data.plaintext)).toBe('back');
      expectCode(() => b.transit.restore(blob, { trusted }), 'OV_TRANSIT_KEY_EXISTS');
      // Keys may also be given as armored key files (what the HTTP layer passes).
      const armoredTrust = a.transit.sealed.keyring().publicKeys().filter((k) => k.kind === 'sig-public').map((k) => armor('PUBLIC KEY', encodeKey(k)));
      b.transit.restore(blob, { trusted: armoredTrust, name: 'copy' });
      expect(b.transit.backup('copy', { recipient: armor('PUBLIC KEY', encodeKey(kemPublic(a.keyring))) }).data.backup).toMatch(/^[A-Za-z0-9+/]+=*$/);
      expectCode(() => b.transit.backup('copy', { recipient: armoredTrust[0] as string }), 'OV_KEY_INVALID');
      expect(text(b.transit.decrypt('copy', { ciphertext: b.transit.encrypt('copy', { plaintext: b64('c') }).data.ciphertext }).data.plaintext)).toBe('c');
      // A ciphertext is bound to its key name: the copy does not open the original's.
      expectCode(() => b.transit.decrypt('copy', { ciphertext: before }), 'OV_TRANSIT_CIPHERTEXT_INVALID');
      expect(b.transit.restore(blob, { trusted, force: true }).data.latest_version).toBe(2);
      expectCode(() => b.transit.restore('not a backup', { trusted }), 'OV_TRANSIT_BACKUP_INVALID');
    });

    it('follows a rotation of the vault KEM key through the shared rewrap loop', () => {
      const v = vault();
      v.transit.create('k');
      v.transit.create('h', { type: 'hmac-sha256' });
      const ct = v.transit.encrypt('k', { plaintext: b64('kept') }).data.ciphertext;
      const mac = v.transit.hmac('h', { input: b64('m') }).data.hmac;
      const rotation = new KeyRotation({ sealed: v.transit.sealed, now: () => now, sources: () => [transitRewrapSource(v.transit)] });
      rotation.rotate('kem');
      expect(v.storage.transit.countStale(2)).toBe(2);
      expectCode(() => rotation.setMinDecryptVersion('kem', 2), 'OV_REWRAP_REQUIRED');
      expect(rotation.rewrap('kem')).toMatchObject({ rewrapped: 2, failed: 0, remaining: 0, done: true });
      rotation.setMinDecryptVersion('kem', 2);
      expect(v.storage.transit.getVersion('k', 1)?.kemVersion).toBe(2);
      expect(text(v.transit.decrypt('k', { ciphertext: ct }).data.plaintext)).toBe('kept');
      expect(v.transit.verify('h', { input: b64('m'), hmac: mac }).data.valid).toBe(true);
    });

    it('needs an unsealed vault for anything that touches key material', () => {
      const v = vault();
      v.transit.create('k');
      const ct = v.transit.encrypt('k', { plaintext: b64('x') }).data.ciphertext;
      v.keyring.wipe();
      expectCode(() => v.transit.decrypt('k', { ciphertext: ct }), 'OV_SEALED');
      expectCode(() => v.transit.decrypt('k', { batch_input: [{ ciphertext: ct }] }), 'OV_SEALED');
      expectCode(() => v.transit.create('j'), 'OV_SEALED');
      expect(v.transit.read('k').data.latest_version).toBe(1);
    });
  });
}

describe('transit key types', () => {
  it('are the seven documented ones', () => {
    const types: readonly TransitKeyType[] = TRANSIT_KEY_TYPES;
    expect(types).toEqual(['xwing', 'ml-kem-1024', 'ml-dsa-65', 'ml-dsa-87', 'falcon-512', 'hmac-sha256', 'hmac-sha3-256']);
  });
});

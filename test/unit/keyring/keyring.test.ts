/**
 * The keyring on real SQLite files: create/open round trips with every key in use
 * (envelope seal/open with `kem`, sign/verify with `sign` and `sign-falcon`), rotation and
 * the minimum decryption version, refusals that change nothing (wrong root key, tampered,
 * swapped or missing rows, bad arguments), wiping, and the read-only views.
 */
import { join } from 'node:path';
import { openRawDb, type RawDb } from '../../helpers/raw-sqlite.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from '../../../src/crypto/bytes.js';
import { selectProvider } from '../../../src/crypto/provider.js';
import { open as openEnvelope, seal as sealEnvelope, publicKeyOf, signDetached, verifyDetached, dearmor, decodeKey } from '../../../src/envelope/index.js';
import { VaultError, type ErrorCode } from '../../../src/errors.js';
import { Keyring, describeKeyring, keyringPublicKeys, type KeyName } from '../../../src/keyring/index.js';
import { openStorage, type SqliteStorageHandle } from '../../../src/storage/sqlite.js';
import { tempDir } from '../storage/helpers.js';

const provider = selectProvider();
const T0 = 1_700_000_000_000;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function expectCode(fn: () => unknown, code: ErrorCode): VaultError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(VaultError);
  expect((caught as VaultError).code).toBe(code);
  return caught as VaultError;
}

describe('Keyring', () => {
  let dir: string;
  let cleanup: () => void;
  let file: string;
  let storage: SqliteStorageHandle;
  let rootKey: Uint8Array;
  const rings: Keyring[] = [];

  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    file = join(dir, 'vault.db');
    storage = openStorage(file);
    rootKey = randomBytes(32);
  });
  afterEach(() => {
    for (const r of rings.splice(0)) r.wipe();
    storage.close();
    cleanup();
  });

  function create(falcon = false): Keyring {
    const r = Keyring.create(storage, provider, rootKey, { falcon, now: T0 });
    rings.push(r);
    return r;
  }

  function reopen(key = rootKey): Keyring {
    storage.close();
    storage = openStorage(file);
    const r = Keyring.open(storage, provider, key);
    rings.push(r);
    return r;
  }

  /** Runs `fn` on a raw connection to the closed database file (an attacker with the file). */
  function raw(fn: (db: RawDb) => void): void {
    storage.close();
    const db = openRawDb(file);
    try {
      fn(db);
    } finally {
      db.close();
    }
    storage = openStorage(file);
  }

  /** Every keyring row, hex-encoded, for "nothing changed" assertions. */
  function dump(): unknown {
    const db = openRawDb(file, { readonly: true });
    try {
      return {
        keys: db.prepare('SELECT name, version, alg, hex(key_id), hex(public_key), hex(wrapped_secret), created_at FROM keyring_keys ORDER BY name, version').raw().all(),
        policy: db.prepare('SELECT * FROM keyring_policy ORDER BY name').raw().all(),
      };
    } finally {
      db.close();
    }
  }

  function roundTripKem(ring: Keyring, version?: number): void {
    const sk = version === undefined ? ring.current('kem') : ring.get('kem', version);
    const env = sealEnvelope(provider, { to: publicKeyOf(sk), plaintext: utf8('db password'), context: 'secret/app' });
    expect(openEnvelope(provider, { envelope: env, key: sk, context: 'secret/app' })).toEqual(utf8('db password'));
  }

  function roundTripSign(ring: Keyring, name: 'sign' | 'sign-falcon'): void {
    const sk = ring.current(name);
    const message = utf8('checkpoint 1000');
    const signature = signDetached(provider, { key: sk, message });
    verifyDetached(provider, { signature, message, key: publicKeyOf(sk) });
    expectCode(() => verifyDetached(provider, { signature, message: utf8('checkpoint 1001'), key: publicKeyOf(sk) }), 'OV_SIGNATURE_INVALID');
  }

  it('creates version 1 of every key, and open after a restart gives back the same, usable keys', () => {
    const created = create();
    expect(created.list().map((p) => [p.name, p.alg, p.latestVersion, p.minDecryptVersion, p.versions.length])).toEqual([
      ['kem', 'X-Wing', 1, 1, 1],
      ['sign', 'ML-DSA-65', 1, 1, 1],
      ['token', 'HMAC-SHA256', 1, 1, 1],
      ['audit', 'HMAC-SHA256', 1, 1, 1],
    ]);
    roundTripKem(created);
    roundTripSign(created, 'sign');
    const token = created.secret('token');
    const audit = created.secret('audit');
    expect(token.version).toBe(1);
    expect(token.key).toHaveLength(32);
    expect(token.key).not.toEqual(audit.key);

    const opened = reopen();
    expect(opened.list()).toEqual(created.list());
    expect(opened.current('kem').secretKey).toEqual(created.current('kem').secretKey);
    expect(opened.current('sign').secretKey).toEqual(created.current('sign').secretKey);
    expect(opened.secret('token')).toEqual(token);
    expect(opened.secret('audit')).toEqual(audit);
    // An envelope sealed before the restart opens after it.
    const env = sealEnvelope(provider, { to: publicKeyOf(created.current('kem')), plaintext: utf8('v1'), sign: created.current('sign') });
    expect(openEnvelope(provider, { envelope: env, key: opened.current('kem'), verify: publicKeyOf(opened.current('sign')) })).toEqual(utf8('v1'));
  });

  it('lists public information only: armored public keys that decode to the stored keys, hex key ids', () => {
    const ring = create();
    const [kem, sign, token] = ring.list();
    const v = kem!.versions[0]!;
    expect(v.keyId).toMatch(/^[0-9a-f]{32}$/);
    const pk = decodeKey(dearmor(v.publicKey!, 'PUBLIC KEY'), provider);
    expect(pk.kind).toBe('kem-public');
    expect(pk.publicKey).toEqual(ring.current('kem').publicKey);
    expect(sign!.versions[0]!.publicKey).toContain('-----BEGIN ONTOREF PUBLIC KEY-----');
    expect(token!.versions[0]).not.toHaveProperty('publicKey');
    expect(JSON.stringify(ring.list())).not.toContain(Buffer.from(ring.secret('token').key).toString('hex'));
    expect(v.createdAt).toBe(T0);
  });

  it('creates and reopens sign-falcon when asked, and it signs and verifies', () => {
    const ring = create(true);
    expect(ring.list().map((p) => p.name)).toEqual(['kem', 'sign', 'sign-falcon', 'token', 'audit']);
    expect(ring.current('sign-falcon').alg).toBe('Falcon-512-r3');
    roundTripSign(ring, 'sign-falcon');
    const opened = reopen();
    expect(opened.current('sign-falcon').secretKey).toEqual(ring.current('sign-falcon').secretKey);
    roundTripSign(opened, 'sign-falcon');
  });

  it('rotation adds a version and moves current; old versions keep working, in memory and after a restart', () => {
    const ring = create();
    const oldKem = ring.current('kem');
    const env1 = sealEnvelope(provider, { to: publicKeyOf(oldKem), plaintext: utf8('sealed to v1') });
    const info = ring.rotate('kem', T0 + 1);
    expect(info).toMatchObject({ name: 'kem', version: 2, alg: 'X-Wing', createdAt: T0 + 1 });
    expect(ring.current('kem').keyVersion).toBe(2);
    expect(ring.current('kem').keyId).not.toEqual(oldKem.keyId);
    expect(ring.get('kem', 1)).toBe(oldKem);
    roundTripKem(ring, 2);
    const tokenV1 = ring.secret('token');
    expect(ring.rotate('token', T0 + 2).version).toBe(2);
    expect(ring.secret('token').version).toBe(2);
    expect(ring.secret('token').key).not.toEqual(tokenV1.key);
    expect(ring.secret('token', 1)).toEqual(tokenV1);
    expect(ring.rotate('sign', T0 + 3).version).toBe(2);
    roundTripSign(ring, 'sign');

    const opened = reopen();
    expect(opened.list()).toEqual(ring.list());
    expect(opened.current('kem').keyVersion).toBe(2);
    expect(openEnvelope(provider, { envelope: env1, key: opened.get('kem', 1) })).toEqual(utf8('sealed to v1'));
    expect(opened.secret('token', 1)).toEqual(tokenV1);
    expect(opened.list().find((p) => p.name === 'kem')!.versions.map((v) => v.version)).toEqual([1, 2]);
  });

  it('retires versions below the minimum decryption version, wiping them, durably', () => {
    const ring = create();
    const v1 = ring.current('kem');
    const v1Secret = v1.secretKey;
    ring.rotate('kem', T0 + 1);
    ring.rotate('kem', T0 + 2);
    ring.setMinDecryptVersion('kem', 2);
    const e = expectCode(() => ring.get('kem', 1), 'OV_KEY_VERSION_RETIRED');
    expect(e.status).toBe(400);
    expect(e.message).toBe('key version is below the minimum decryption version');
    expect(v1Secret.every((b) => b === 0)).toBe(true);
    roundTripKem(ring, 2);
    expect(ring.list().find((p) => p.name === 'kem')).toMatchObject({ latestVersion: 3, minDecryptVersion: 2 });
    // Retired versions stay listed: their public keys still identify old envelopes.
    expect(ring.list().find((p) => p.name === 'kem')!.versions).toHaveLength(3);

    const opened = reopen();
    expectCode(() => opened.get('kem', 1), 'OV_KEY_VERSION_RETIRED');
    roundTripKem(opened, 2);
    opened.setMinDecryptVersion('kem', 3);
    expectCode(() => opened.get('kem', 2), 'OV_KEY_VERSION_RETIRED');
    expect(opened.current('kem').keyVersion).toBe(3);

    ring.wipe();
    opened.setMinDecryptVersion('token', 1); // the same value is a no-op
    opened.rotate('token', T0 + 3);
    const tokenV1 = opened.secret('token', 1).key;
    opened.setMinDecryptVersion('token', 2);
    expectCode(() => opened.secret('token', 1), 'OV_KEY_VERSION_RETIRED');
    expect(tokenV1.every((b) => b === 0)).toBe(true);
  });

  it('never lowers the minimum decryption version nor raises it past the latest; nothing changes', () => {
    const ring = create();
    ring.rotate('sign', T0 + 1);
    ring.rotate('sign', T0 + 2);
    ring.setMinDecryptVersion('sign', 2);
    const before = dump();
    const down = expectCode(() => ring.setMinDecryptVersion('sign', 1), 'OV_INVALID_ARGUMENT');
    expect(down.detail).toEqual({ field: 'version', min: 2, max: 3 });
    expectCode(() => ring.setMinDecryptVersion('sign', 4), 'OV_INVALID_ARGUMENT');
    expectCode(() => ring.setMinDecryptVersion('sign', 2.5), 'OV_INVALID_ARGUMENT');
    expectCode(() => ring.setMinDecryptVersion('sign', 0), 'OV_INVALID_ARGUMENT');
    expectCode(() => ring.setMinDecryptVersion('nope' as KeyName, 1), 'OV_KEY_NOT_FOUND');
    expect(dump()).toEqual(before);
    expect(ring.list().find((p) => p.name === 'sign')).toMatchObject({ latestVersion: 3, minDecryptVersion: 2 });
    expect(ring.get('sign', 2).keyVersion).toBe(2);
  });

  it('answers OV_KEY_NOT_FOUND (404) for unknown names and versions, and refuses the wrong kind of key', () => {
    const ring = create();
    const before = dump();
    const e = expectCode(() => ring.get('nope' as 'kem', 1), 'OV_KEY_NOT_FOUND');
    expect(e.status).toBe(404);
    expectCode(() => ring.current('sign-falcon'), 'OV_KEY_NOT_FOUND');
    expectCode(() => ring.rotate('sign-falcon', T0), 'OV_KEY_NOT_FOUND');
    expectCode(() => ring.rotate('bogus' as KeyName, T0), 'OV_KEY_NOT_FOUND');
    expectCode(() => ring.get('kem', 2), 'OV_KEY_NOT_FOUND');
    expectCode(() => ring.secret('audit', 2), 'OV_KEY_NOT_FOUND');
    expectCode(() => ring.get('kem', 0), 'OV_INVALID_ARGUMENT');
    expectCode(() => ring.get('token' as 'kem', 1), 'OV_INVALID_ARGUMENT');
    expectCode(() => ring.secret('kem' as 'token'), 'OV_INVALID_ARGUMENT');
    expectCode(() => ring.rotate('kem', -1), 'OV_INVALID_ARGUMENT');
    expect(dump()).toEqual(before);
  });

  it('refuses a wrong root key with OV_KEYRING_CORRUPT, keeping nothing and changing nothing', () => {
    create();
    const before = dump();
    storage.close();
    storage = openStorage(file);
    const e = expectCode(() => Keyring.open(storage, provider, randomBytes(32)), 'OV_KEYRING_CORRUPT');
    expect(e.status).toBe(500);
    expect(e.detail).toMatchObject({ reason: 'unwrap' });
    expect(dump()).toEqual(before);
    expectCode(() => Keyring.open(storage, provider, rootKey.subarray(0, 16)), 'OV_KEY_INVALID');
    // The right key still opens it afterwards.
    roundTripKem(reopen());
  });

  it('refuses a tampered wrapped secret and names the key and version', () => {
    create();
    raw((db) => {
      const row = db.prepare("SELECT wrapped_secret FROM keyring_keys WHERE name = 'sign' AND version = 1").pluck().get() as Buffer;
      row[40]! ^= 0x01;
      db.prepare("UPDATE keyring_keys SET wrapped_secret = ? WHERE name = 'sign' AND version = 1").run(row);
    });
    const before = dump();
    const e = expectCode(() => Keyring.open(storage, provider, rootKey), 'OV_KEYRING_CORRUPT');
    expect(e.detail).toEqual({ name: 'sign', version: 1, reason: 'unwrap' });
    expect(dump()).toEqual(before);
  });

  it('refuses wrapped secrets moved between rows (AAD binds name, version, alg and key id)', () => {
    const ring = create();
    ring.rotate('kem', T0 + 1);
    ring.wipe();
    // token and audit secrets have the same length: swap them.
    raw((db) => {
      const get = db.prepare('SELECT wrapped_secret FROM keyring_keys WHERE name = ? AND version = ?').pluck();
      const set = db.prepare('UPDATE keyring_keys SET wrapped_secret = ? WHERE name = ? AND version = ?');
      const t = get.get('token', 1) as Buffer;
      const a = get.get('audit', 1) as Buffer;
      set.run(a, 'token', 1);
      set.run(t, 'audit', 1);
    });
    expect(expectCode(() => Keyring.open(storage, provider, rootKey), 'OV_KEYRING_CORRUPT').detail).toMatchObject({ reason: 'unwrap' });
    raw((db) => {
      const get = db.prepare('SELECT wrapped_secret FROM keyring_keys WHERE name = ? AND version = ?').pluck();
      const set = db.prepare('UPDATE keyring_keys SET wrapped_secret = ? WHERE name = ? AND version = ?');
      const t = get.get('token', 1) as Buffer;
      const a = get.get('audit', 1) as Buffer;
      set.run(a, 'token', 1);
      set.run(t, 'audit', 1);
      // Now kem v1 <-> v2, same length too.
      const k1 = get.get('kem', 1) as Buffer;
      const k2 = get.get('kem', 2) as Buffer;
      set.run(k2, 'kem', 1);
      set.run(k1, 'kem', 2);
    });
    expect(expectCode(() => Keyring.open(storage, provider, rootKey), 'OV_KEYRING_CORRUPT').detail).toMatchObject({ name: 'kem', reason: 'unwrap' });
  });

  it('refuses incomplete tables: a missing version', () => {
    const ring = create();
    ring.rotate('kem', T0 + 1);
    ring.wipe();
    raw((db) => db.prepare("DELETE FROM keyring_keys WHERE name = 'kem' AND version = 1").run());
    const before = dump();
    expect(expectCode(() => Keyring.open(storage, provider, rootKey), 'OV_KEYRING_CORRUPT').detail).toEqual({ name: 'kem', reason: 'missing version' });
    expectCode(() => describeKeyring(storage), 'OV_KEYRING_CORRUPT');
    expect(dump()).toEqual(before);
  });

  it('refuses an algorithm the key name does not allow, and opens again once restored', () => {
    create().wipe();
    raw((db) => db.prepare("UPDATE keyring_keys SET alg = 'ML-DSA-87' WHERE name = 'sign'").run());
    // ML-DSA-87 is allowed for `sign`, but the public key length no longer fits it.
    expect(expectCode(() => Keyring.open(storage, provider, rootKey), 'OV_KEYRING_CORRUPT').detail).toMatchObject({ name: 'sign', reason: 'public key' });
    raw((db) => db.prepare("UPDATE keyring_keys SET alg = 'X-Wing' WHERE name = 'sign'").run());
    expect(expectCode(() => Keyring.open(storage, provider, rootKey), 'OV_KEYRING_CORRUPT').detail).toMatchObject({ name: 'sign', reason: 'algorithm' });
    raw((db) => db.prepare("UPDATE keyring_keys SET alg = 'ML-DSA-65' WHERE name = 'sign'").run());
    roundTripSign(reopen(), 'sign');
  });

  it('refuses a public key and key id replaced together (the key id is in the AAD)', () => {
    create().wipe();
    const other = openStorage(':memory:');
    const stranger = Keyring.create(other, provider, randomBytes(32), { now: T0 });
    const strangerSign = stranger.current('sign');
    const pk = strangerSign.publicKey.slice();
    const keyId = strangerSign.keyId.slice();
    stranger.wipe();
    other.close();
    raw((db) => db.prepare("UPDATE keyring_keys SET public_key = ?, key_id = ? WHERE name = 'sign' AND version = 1").run(pk, keyId));
    expect(expectCode(() => Keyring.open(storage, provider, rootKey), 'OV_KEYRING_CORRUPT').detail).toEqual({ name: 'sign', version: 1, reason: 'unwrap' });
    // The offline view has no secret to compare and trusts the row: checkpoints signed by the
    // real key then fail to verify against it (see the audit tests), and verifiers that must
    // not trust the database pin the public keys elsewhere.
    expect(keyringPublicKeys(storage).find((k) => k.kind === 'sig-public')!.publicKey).toEqual(pk);
  });

  it('wipe() zeroes every unwrapped key and the keyring refuses use afterwards', () => {
    const ring = create(true);
    const secrets = [ring.current('kem').secretKey, ring.current('sign').secretKey, ring.current('sign-falcon').secretKey, ring.secret('token').key, ring.secret('audit').key];
    for (const s of secrets) expect(s.some((b) => b !== 0)).toBe(true);
    expect(ring.open).toBe(true);
    ring.wipe();
    for (const s of secrets) expect(s.every((b) => b === 0)).toBe(true);
    expect(ring.open).toBe(false);
    expectCode(() => ring.current('kem'), 'OV_SEALED');
    expectCode(() => ring.secret('token'), 'OV_SEALED');
    expectCode(() => ring.rotate('kem', T0), 'OV_SEALED');
    expectCode(() => ring.list(), 'OV_SEALED');
    ring.wipe(); // idempotent
    // The stored keyring is untouched by a wipe.
    expect(reopen().current('sign-falcon').secretKey.some((b) => b !== 0)).toBe(true);
  });

  it('refuses a second create, and create works again after clear()', () => {
    create();
    const before = dump();
    expectCode(() => Keyring.create(storage, provider, randomBytes(32), { now: T0 }), 'OV_ALREADY_INITIALIZED');
    expect(dump()).toEqual(before);
    expectCode(() => Keyring.create(storage, provider, rootKey, { now: T0, extra: 1 } as never), 'OV_INVALID_ARGUMENT');
    expect(storage.keyring.clear()).toBe(4);
    expect(describeKeyring(storage)).toEqual([]);
    const again = create();
    expect(again.list()).toHaveLength(4);
  });

  it('open on a vault without a keyring is OV_NOT_INITIALIZED', () => {
    expectCode(() => Keyring.open(storage, provider, rootKey), 'OV_NOT_INITIALIZED');
  });

  it('describes the keyring and its public keys without the root key, from a read-only storage', () => {
    const ring = create(true);
    ring.rotate('sign', T0 + 1);
    ring.setMinDecryptVersion('sign', 2);
    storage.close();
    storage = openStorage(file, { readonly: true });
    expect(describeKeyring(storage)).toEqual(ring.list());
    const pks = keyringPublicKeys(storage);
    expect(pks).toEqual(ring.publicKeys());
    expect(pks.map((k) => [k.alg, k.keyVersion])).toEqual([
      ['X-Wing', 1],
      ['ML-DSA-65', 1],
      ['ML-DSA-65', 2],
      ['Falcon-512-r3', 1],
    ]);
  });

  it('a rotation refused by storage changes nothing in memory', () => {
    const ring = create();
    // A second writer on the same file (two daemons on one data dir) rotates first.
    const second = openStorage(file);
    try {
      const other = Keyring.open(second, provider, rootKey);
      rings.push(other);
      other.rotate('kem', T0 + 1);
    } finally {
      second.close();
    }
    expect(expectCode(() => ring.rotate('kem', T0 + 2), 'OV_KEYRING_CORRUPT').detail).toEqual({ name: 'kem', reason: 'policy changed on disk' });
    expect(ring.current('kem').keyVersion).toBe(1);
    expect(ring.list().find((p) => p.name === 'kem')!.versions).toHaveLength(1);
    expect(describeKeyring(storage).find((p) => p.name === 'kem')!.latestVersion).toBe(2);
  });
});

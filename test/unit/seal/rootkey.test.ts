/**
 * src/seal/rootkey.ts: the stored seal configuration is canonical and strictly parsed,
 * the root-key check accepts only the right key, wrapping binds mode and vault id, and
 * every consuming function wipes its input on the error paths too.
 */
import { describe, expect, it } from 'vitest';
import { randomBytes, utf8 } from '../../../src/crypto/bytes.js';
import {
  acceptRootKey,
  deriveKeyFileKey,
  derivePassphraseKey,
  encodeSealConfig,
  generateRootKey,
  generateVaultId,
  makeRootKeyCheck,
  parseSealConfig,
  unwrapRootKey,
  wrapRootKey,
  type KeyFileConfig,
  type PassphraseConfig,
  type SealConfig,
  type ShamirConfig,
} from '../../../src/seal/rootkey.js';
import { TEST_KDF, editJson, vaultError } from './helpers.js';

const zeroed = (b: Uint8Array): boolean => b.every((v) => v === 0);

function shamirConfig(rootKey: Uint8Array): ShamirConfig {
  const vaultId = generateVaultId();
  return { version: 1, mode: 'shamir', vaultId, shares: 5, threshold: 3, check: makeRootKeyCheck(rootKey, 'shamir', vaultId) };
}

function keyFileConfig(rootKey: Uint8Array, fileKey: Uint8Array): KeyFileConfig {
  const vaultId = generateVaultId();
  const wrapped = wrapRootKey(rootKey, deriveKeyFileKey(fileKey.slice(), vaultId), 'keyfile', vaultId);
  return { version: 1, mode: 'keyfile', vaultId, wrapped, check: makeRootKeyCheck(rootKey, 'keyfile', vaultId) };
}

async function passphraseConfig(rootKey: Uint8Array, passphrase: string): Promise<PassphraseConfig> {
  const vaultId = generateVaultId();
  const salt = randomBytes(16);
  const key = await derivePassphraseKey(utf8(passphrase), salt, TEST_KDF);
  const wrapped = wrapRootKey(rootKey, key, 'passphrase', vaultId);
  return { version: 1, mode: 'passphrase', vaultId, kdf: TEST_KDF, salt, wrapped, check: makeRootKeyCheck(rootKey, 'passphrase', vaultId) };
}

describe('seal configuration blob', () => {
  it('round-trips every mode byte for byte', async () => {
    const rk = generateRootKey();
    const configs: SealConfig[] = [shamirConfig(rk), keyFileConfig(rk, randomBytes(32)), await passphraseConfig(rk, 'correct horse battery')];
    for (const c of configs) {
      const raw = encodeSealConfig(c);
      const parsed = parseSealConfig(raw);
      expect(parsed).toEqual(c);
      expect(encodeSealConfig(parsed)).toEqual(raw);
    }
  });

  it('refuses unknown versions before reading anything else', async () => {
    const raw = encodeSealConfig(shamirConfig(generateRootKey()));
    for (const v of [0, 2, '1', null]) {
      const e = await vaultError(() => parseSealConfig(editJson(raw, (o) => (o.v = v))), 'OV_SEAL_CONFIG_INVALID');
      expect(e.detail).toMatchObject({ reason: 'version' });
    }
    const e = await vaultError(() => parseSealConfig(utf8('{"v":2,"anything":"goes"}')), 'OV_SEAL_CONFIG_INVALID');
    expect(e.detail).toMatchObject({ reason: 'version', version: 2 });
  });

  it('refuses extra, missing and mistyped fields, bad lengths and non-canonical text', async () => {
    const rk = generateRootKey();
    const shamir = encodeSealConfig(shamirConfig(rk));
    const keyfile = encodeSealConfig(keyFileConfig(rk, randomBytes(32)));
    const cases: [Uint8Array, string][] = [
      [editJson(shamir, (o) => (o.extra = 1)), 'fields'],
      [editJson(shamir, (o) => Reflect.deleteProperty(o, 'check')), 'fields'],
      [editJson(shamir, (o) => (o.shares = '5')), 'type'],
      [editJson(shamir, (o) => (o.threshold = 1)), 'range'],
      [editJson(shamir, (o) => (o.threshold = 6)), 'range'],
      [editJson(shamir, (o) => (o.shares = 256)), 'range'],
      [editJson(shamir, (o) => (o.mode = 'hsm')), 'mode'],
      [editJson(shamir, (o) => (o.vaultId = o.vaultId.slice(2))), 'length'],
      [editJson(shamir, (o) => (o.vaultId = o.vaultId.toUpperCase())), 'type'],
      [editJson(keyfile, (o) => (o.kdf = { alg: 'argon2id' })), 'algorithm'],
      [editJson(keyfile, (o) => (o.kdf.salt = 'AAAA')), 'fields'],
      [editJson(keyfile, (o) => (o.wrapped = o.wrapped.slice(4))), 'length'],
      [utf8(Buffer.from(shamir).toString('utf8').replace(',', ', ')), 'noncanonical'],
      // Key order is part of the canonical form.
      [utf8(JSON.stringify({ mode: 'shamir', ...JSON.parse(Buffer.from(shamir).toString()) })), 'noncanonical'],
      [utf8('[1]'), 'syntax'],
      [utf8('{"v":1,'), 'syntax'],
      [Uint8Array.of(0xff, 0xfe), 'syntax'],
      [new Uint8Array(5000), 'size'],
    ];
    for (const [raw, reason] of cases) {
      const e = await vaultError(() => parseSealConfig(raw), 'OV_SEAL_CONFIG_INVALID');
      expect(e.detail?.reason, Buffer.from(raw.subarray(0, 80)).toString()).toBe(reason);
    }
  });

  it('refuses stored argon2id costs outside the floor and caps with OV_ARGON2_PARAMS', async () => {
    const raw = encodeSealConfig(await passphraseConfig(generateRootKey(), 'correct horse battery'));
    for (const [k, v] of [['m', 4 * 1024 * 1024], ['m', 1024], ['t', 100], ['p', 64], ['t', 0]] as const) {
      const e = await vaultError(() => parseSealConfig(editJson(raw, (o) => (o.kdf[k] = v))), 'OV_ARGON2_PARAMS');
      expect(e.detail?.field).toBeDefined();
    }
  });
});

describe('root-key check and wrapping', () => {
  it('accepts the right root key and returns the same buffer', () => {
    const rk = generateRootKey();
    const c = shamirConfig(rk);
    const candidate = rk.slice();
    expect(acceptRootKey(c, candidate)).toBe(candidate);
    expect(candidate).toEqual(rk);
  });

  it('rejects a wrong key, a wrong length and a moved check value, wiping the candidate', async () => {
    const rk = generateRootKey();
    const c = shamirConfig(rk);
    const wrong = generateRootKey();
    await vaultError(() => acceptRootKey(c, wrong), 'OV_UNSEAL_FAILED');
    expect(zeroed(wrong)).toBe(true);
    const short = rk.slice(0, 31);
    await vaultError(() => acceptRootKey(c, short), 'OV_UNSEAL_FAILED');
    expect(zeroed(short)).toBe(true);
    // The check value of one vault does not verify under another vault id or mode.
    const moved: ShamirConfig = { ...c, vaultId: generateVaultId() };
    await vaultError(() => acceptRootKey(moved, rk.slice()), 'OV_UNSEAL_FAILED');
    const remoded: KeyFileConfig = { version: 1, mode: 'keyfile', vaultId: c.vaultId, check: c.check, wrapped: new Uint8Array(60) };
    await vaultError(() => acceptRootKey(remoded, rk.slice()), 'OV_UNSEAL_FAILED');
    // Any flipped bit of the check value is noticed.
    for (let i = 0; i < c.check.length; i++) {
      const check = c.check.slice();
      check[i]! ^= 0x01;
      await vaultError(() => acceptRootKey({ ...c, check }, rk.slice()), 'OV_UNSEAL_FAILED');
    }
  });

  it('unwraps under the right key-file key and wipes the wrapping key on every path', async () => {
    const rk = generateRootKey();
    const fileKey = randomBytes(32);
    const c = keyFileConfig(rk, fileKey);
    const good = deriveKeyFileKey(fileKey.slice(), c.vaultId);
    expect(unwrapRootKey(c, good)).toEqual(rk);
    expect(zeroed(good)).toBe(true);

    const bad = deriveKeyFileKey(randomBytes(32), c.vaultId);
    await vaultError(() => unwrapRootKey(c, bad), 'OV_UNSEAL_FAILED');
    expect(zeroed(bad)).toBe(true);

    for (const i of [0, 12, 30, c.wrapped.length - 1]) {
      const wrapped = c.wrapped.slice();
      wrapped[i]! ^= 0x80;
      const key = deriveKeyFileKey(fileKey.slice(), c.vaultId);
      await vaultError(() => unwrapRootKey({ ...c, wrapped }, key), 'OV_UNSEAL_FAILED');
      expect(zeroed(key)).toBe(true);
    }
  });

  it('binds the wrapped key to its vault id', async () => {
    const rk = generateRootKey();
    const fileKey = randomBytes(32);
    const c = keyFileConfig(rk, fileKey);
    const other: KeyFileConfig = { ...c, vaultId: generateVaultId() };
    await vaultError(() => unwrapRootKey(other, deriveKeyFileKey(fileKey.slice(), c.vaultId)), 'OV_UNSEAL_FAILED');
  });

  it('consumes key-file bytes and passphrase bytes even when derivation fails', async () => {
    const fileKey = randomBytes(32);
    const a = deriveKeyFileKey(fileKey.slice(), generateVaultId());
    expect(a).toHaveLength(32);
    const wrongLength = randomBytes(31);
    await vaultError(() => deriveKeyFileKey(wrongLength, generateVaultId()), 'OV_KEY_INVALID');
    expect(zeroed(wrongLength)).toBe(true);
    const used = fileKey.slice();
    deriveKeyFileKey(used, generateVaultId());
    expect(zeroed(used)).toBe(true);

    const pw = utf8('correct horse battery');
    const salt = randomBytes(16);
    const k1 = await derivePassphraseKey(pw, salt, TEST_KDF);
    expect(zeroed(pw)).toBe(true);
    expect(await derivePassphraseKey(utf8('correct horse battery'), salt, TEST_KDF)).toEqual(k1);
    // Refused (salt too short): the passphrase is wiped all the same.
    const pw2 = utf8('correct horse battery');
    await vaultError(derivePassphraseKey(pw2, randomBytes(8), TEST_KDF), 'OV_INVALID_ARGUMENT');
    expect(zeroed(pw2)).toBe(true);
  });
});

/**
 * EIP-2335 keystores: the two ERC-2335 vectors (scrypt and PBKDF2) decrypt to the
 * expected secret and public key; each kind of bad keystore is refused with its own
 * code; our keystores round-trip with both KDFs and interoperate with
 * @chainsafe/bls-keystore in both directions.
 */
import { createCipheriv, createHash, pbkdf2Sync } from 'node:crypto';
import { create as csCreate, decrypt as csDecrypt, type IKeystore } from '@chainsafe/bls-keystore';
import { describe, expect, it } from 'vitest';
import { KDF_LIMITS, decryptKeystore, encryptKeystore, keystorePassword, parseKeystore } from '../../../src/validators/formats/eip2335.js';
import { deriveEth2Key, generateKey } from '../../../src/validators/keygen.js';
import type { ValidatorKey } from '../../../src/validators/types.js';
import { describeVectors, hex, loadJson, toHex } from '../../helpers/vectors.js';
import { DELETE, at, rejectsWith, throwsWith, withPath } from './format-helpers.js';

interface ErcCase {
  password: string;
  password_bytes_hex: string;
  secret_hex: string;
  keystore: Record<string, unknown> & { pubkey: string; path: string; crypto: Record<string, Record<string, unknown>> };
}

function ercCases(): ErcCase[] {
  const doc = loadJson('eip2335/test-vectors.json') as { cases: ErcCase[] };
  if (!Array.isArray(doc.cases) || doc.cases.length === 0) throw new Error('eip2335 vectors: loaded zero cases');
  return doc.cases;
}

/** A small, fast, valid keystore for structural tests (PBKDF2 with c = 16). */
type Doc = Record<string, unknown>;

async function smallKeystore(key: ValidatorKey, password = 'correct horse'): Promise<Doc> {
  return JSON.parse(await encryptKeystore(key, password, { kdf: 'pbkdf2', pbkdf2C: 16 })) as Doc;
}

const str = (doc: unknown, path: readonly (string | number)[]): string => at(doc, path) as string;

describeVectors('EIP-2335: ERC-2335 test vectors', () => {
  const cases = ercCases();

  it('applies NFKD and control-code stripping to the vector password', () => {
    for (const c of cases) expect(toHex(keystorePassword(c.password))).toBe(c.password_bytes_hex);
  });

  it.each(cases.map((c) => [c.keystore.crypto.kdf!.function as string, c] as const))('decrypts the %s vector to the expected secret and pubkey', async (_kdf, c) => {
    const text = JSON.stringify(c.keystore);
    const key = await decryptKeystore(text, c.password);
    expect(toHex(key.secret)).toBe(c.secret_hex);
    expect(toHex(key.publicKey)).toBe(c.keystore.pubkey);
    expect(key.chain).toBe('ethereum');
    expect(key.keyType).toBe('BLS12-381');
    expect(key.path).toBe(c.keystore.path);
    // the input was not modified
    expect(JSON.stringify(c.keystore)).toBe(text);
  });

  it('refuses the vector under a wrong password with OV_KEYSTORE_PASSWORD', async () => {
    const c = cases.find((x) => x.keystore.crypto.kdf!.function === 'pbkdf2')!;
    await rejectsWith(decryptKeystore(c.keystore, 'testpassword'), 'OV_KEYSTORE_PASSWORD');
  });

  it('the password with control codes added still opens the vector (they are stripped)', async () => {
    const c = cases.find((x) => x.keystore.crypto.kdf!.function === 'pbkdf2')!;
    const key = await decryptKeystore(c.keystore, `\u0007${c.password}\u007f\u0085`);
    expect(toHex(key.secret)).toBe(c.secret_hex);
  });

  it('refuses a vector whose pubkey was edited with OV_KEYSTORE_PUBKEY_MISMATCH', async () => {
    const c = cases.find((x) => x.keystore.crypto.kdf!.function === 'pbkdf2')!;
    const edited = withPath(c.keystore, ['pubkey'], toHex(generateKey('ethereum').publicKey));
    await rejectsWith(decryptKeystore(edited, c.password), 'OV_KEYSTORE_PUBKEY_MISMATCH');
  });

  it('accepts a keystore without pubkey and derives it', async () => {
    const c = cases.find((x) => x.keystore.crypto.kdf!.function === 'pbkdf2')!;
    const key = await decryptKeystore(withPath(c.keystore, ['pubkey'], DELETE), c.password);
    expect(toHex(key.publicKey)).toBe(c.keystore.pubkey);
  });
});

describe('EIP-2335: structural checks (OV_KEYSTORE_INVALID)', () => {
  const key = deriveEth2Key(new Uint8Array(32).fill(7), 0);

  it('refuses truncated files at every cut point', async () => {
    const text = JSON.stringify(await smallKeystore(key));
    for (const cut of [0, 1, 10, text.length / 2, text.length - 2, text.length - 1]) {
      throwsWith(() => parseKeystore(text.slice(0, Math.floor(cut))), 'OV_KEYSTORE_INVALID');
      await rejectsWith(decryptKeystore(text.slice(0, Math.floor(cut)), 'correct horse'), 'OV_KEYSTORE_INVALID');
    }
  });

  it('refuses each malformed or unsupported field, naming it', async () => {
    const base = await smallKeystore(key);
    const mutations: Array<[string, unknown]> = [
      ['version', 3],
      ['version', '4'],
      ['crypto', DELETE],
      ['crypto.kdf.function', 'argon2id'],
      ['crypto.kdf.params.prf', 'hmac-sha512'],
      ['crypto.kdf.params.dklen', 16],
      ['crypto.kdf.params.c', 0],
      ['crypto.kdf.params.c', KDF_LIMITS.pbkdf2MaxC + 1],
      ['crypto.kdf.params.c', 1.5],
      ['crypto.kdf.params.salt', 'zz'],
      ['crypto.kdf.params.salt', ''],
      ['crypto.kdf.params.extra', 1],
      ['crypto.kdf.message', 'ab'],
      ['crypto.checksum.function', 'sha512'],
      ['crypto.checksum.message', str(base, ['crypto', 'checksum', 'message']).slice(2)],
      ['crypto.checksum.params.x', 1],
      ['crypto.cipher.function', 'aes-256-ctr'],
      ['crypto.cipher.params.iv', 'ab'],
      ['crypto.cipher.message', str(base, ['crypto', 'cipher', 'message']) + '00'],
      ['crypto.cipher.message', 'g'.repeat(64)],
      ['pubkey', 'abcd'],
      ['uuid', 'not-a-uuid'],
      ['path', 7],
    ];
    for (const [field, value] of mutations) {
      const detail = throwsWith(() => parseKeystore(JSON.stringify(withPath(base, field.split('.'), value))), 'OV_KEYSTORE_INVALID');
      expect(detail.field, `mutation of ${field}`).toBe(field);
    }
  });

  it('refuses absurd scrypt parameters before deriving anything', async () => {
    const base = JSON.parse(await encryptKeystore(key, 'pw', { kdf: 'scrypt', scryptN: 16 })) as Doc;
    const bad: Array<[number, number, number]> = [
      [2 ** 21, 8, 1], // n above 2^20
      [3000, 8, 1], // not a power of two
      [2 ** 20, 16, 1], // 2 GiB of memory
      [2 ** 18, 8, 16], // n*r*p = 2^25 work
      [1, 8, 1],
    ];
    for (const [n, r, p] of bad) {
      const k = withPath(withPath(withPath(base, ['crypto', 'kdf', 'params', 'n'], n), ['crypto', 'kdf', 'params', 'r'], r), ['crypto', 'kdf', 'params', 'p'], p);
      await rejectsWith(decryptKeystore(k, 'pw'), 'OV_KEYSTORE_INVALID');
    }
  });

  it('refuses oversized input and non-objects', () => {
    throwsWith(() => parseKeystore(' '.repeat(70_000)), 'OV_KEYSTORE_INVALID');
    throwsWith(() => parseKeystore('[]'), 'OV_KEYSTORE_INVALID');
    throwsWith(() => parseKeystore('null'), 'OV_KEYSTORE_INVALID');
    throwsWith(() => parseKeystore('"x"'), 'OV_KEYSTORE_INVALID');
  });

  it('ignores unknown top-level fields (ethdo writes "name") but not unknown crypto fields', async () => {
    const base = await smallKeystore(key);
    const named = withPath(base, ['name'], 'validator 1');
    expect(toHex((await decryptKeystore(named, 'correct horse')).publicKey)).toBe(toHex(key.publicKey));
    const extra = withPath(base, ['crypto', 'mac'], {});
    throwsWith(() => parseKeystore(extra), 'OV_KEYSTORE_INVALID');
  });
});

describe('EIP-2335: password and integrity checks', () => {
  const key = deriveEth2Key(new Uint8Array(32).fill(9), 3);

  it('a flipped checksum bit is OV_KEYSTORE_PASSWORD', async () => {
    const base = await smallKeystore(key);
    const c = str(base, ['crypto', 'checksum', 'message']);
    const k = withPath(base, ['crypto', 'checksum', 'message'], (c[0] === '0' ? '1' : '0') + c.slice(1));
    await rejectsWith(decryptKeystore(k, 'correct horse'), 'OV_KEYSTORE_PASSWORD');
  });

  it('a flipped ciphertext bit is OV_KEYSTORE_PASSWORD (the checksum covers it)', async () => {
    const base = await smallKeystore(key);
    const m = str(base, ['crypto', 'cipher', 'message']);
    const k = withPath(base, ['crypto', 'cipher', 'message'], m.slice(0, 10) + (m[10] === 'a' ? 'b' : 'a') + m.slice(11));
    await rejectsWith(decryptKeystore(k, 'correct horse'), 'OV_KEYSTORE_PASSWORD');
  });

  it('a wrong password is OV_KEYSTORE_PASSWORD', async () => {
    await rejectsWith(decryptKeystore(await smallKeystore(key), 'correct horsE'), 'OV_KEYSTORE_PASSWORD');
  });

  it('NFKD: composed and decomposed forms of a password are the same password', async () => {
    const k = await smallKeystore(key, 'caf\u00e9');
    const opened = await decryptKeystore(k, 'cafe\u0301');
    expect(toHex(opened.secret)).toBe(toHex(key.secret));
  });
});

describe('EIP-2335: out-of-range BLS scalars inside a well-formed keystore', () => {
  /** Re-encrypts `secret` into a keystore with the correct checksum, bypassing our encrypt's checks. */
  async function forged(secret: Uint8Array): Promise<Doc> {
    const k = await smallKeystore(generateKey('ethereum'), 'pw');
    const dk = pbkdf2Sync('pw', Buffer.from(str(k, ['crypto', 'kdf', 'params', 'salt']), 'hex'), 16, 32, 'sha256');
    const c = createCipheriv('aes-128-ctr', dk.subarray(0, 16), Buffer.from(str(k, ['crypto', 'cipher', 'params', 'iv']), 'hex'));
    const msg = Buffer.concat([c.update(secret), c.final()]);
    const checksum = createHash('sha256').update(dk.subarray(16, 32)).update(msg).digest('hex');
    const withMsg = withPath(k, ['crypto', 'cipher', 'message'], msg.toString('hex'));
    return withPath(withPath(withMsg, ['crypto', 'checksum', 'message'], checksum), ['pubkey'], DELETE);
  }

  it('secret = 0 and secret >= r are OV_VALIDATOR_KEY_INVALID', async () => {
    const r = hex('73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001');
    for (const secret of [new Uint8Array(32), r, new Uint8Array(32).fill(0xff)]) {
      await rejectsWith(decryptKeystore(await forged(secret), 'pw'), 'OV_VALIDATOR_KEY_INVALID');
    }
    // control: the forging itself is sound, r - 1 opens
    const rMinus1 = r.slice();
    rMinus1[31] = 0;
    expect(toHex((await decryptKeystore(await forged(rMinus1), 'pw')).secret)).toBe(toHex(rMinus1));
  });
});

describe('EIP-2335: encrypt -> decrypt round trips', () => {
  it.each([
    ['scrypt', { kdf: 'scrypt' as const, scryptN: 2 ** 12 }],
    ['pbkdf2', { kdf: 'pbkdf2' as const, pbkdf2C: 2 ** 12 }],
  ])('round-trips with %s', async (kdf, opts) => {
    const key = generateKey('ethereum');
    const text = await encryptKeystore(key, 'p\u00e4ssw\u00f6rd', { ...opts, description: 'round trip', path: 'm/12381/3600/0/0/0' });
    const parsed = parseKeystore(text);
    expect(parsed.kdf.function).toBe(kdf);
    expect(parsed.description).toBe('round trip');
    expect(parsed.uuid).toMatch(/^[0-9a-f-]{36}$/);
    const back = await decryptKeystore(text, 'p\u00e4ssw\u00f6rd');
    expect(toHex(back.secret)).toBe(toHex(key.secret));
    expect(toHex(back.publicKey)).toBe(toHex(key.publicKey));
    expect(back.path).toBe('m/12381/3600/0/0/0');
  });

  it('uses fresh salt, IV and uuid each time', async () => {
    const key = generateKey('ethereum');
    const a = JSON.parse(await encryptKeystore(key, 'pw', { kdf: 'pbkdf2', pbkdf2C: 2 })) as Doc;
    const b = JSON.parse(await encryptKeystore(key, 'pw', { kdf: 'pbkdf2', pbkdf2C: 2 })) as Doc;
    for (const path of [['crypto', 'kdf', 'params', 'salt'], ['crypto', 'cipher', 'params', 'iv'], ['uuid']]) {
      expect(str(a, path)).toMatch(/^[0-9a-f-]{32,64}$/);
      expect(str(a, path)).not.toBe(str(b, path));
    }
  });

  it('defaults to scrypt n = 2^18, r = 8, p = 1', async () => {
    const key = generateKey('ethereum');
    const parsed = parseKeystore(await encryptKeystore(key, 'pw'));
    expect(parsed.kdf).toMatchObject({ function: 'scrypt', n: 2 ** 18, r: 8, p: 1, dklen: 32 });
  });

  it('refuses bad options and non-BLS or inconsistent keys', async () => {
    const key = generateKey('ethereum');
    await rejectsWith(encryptKeystore(key, 'pw', { scryptN: 1000 }), 'OV_INVALID_ARGUMENT');
    await rejectsWith(encryptKeystore(key, 'pw', { scryptN: 2 ** 21 }), 'OV_INVALID_ARGUMENT');
    await rejectsWith(encryptKeystore(key, 'pw', { pbkdf2C: 0 }), 'OV_INVALID_ARGUMENT');
    await rejectsWith(encryptKeystore(key, 'pw', { kfd: 'scrypt' } as never), 'OV_INVALID_ARGUMENT');
    await rejectsWith(encryptKeystore(generateKey('solana'), 'pw'), 'OV_VALIDATOR_KEY_INVALID');
    const other = generateKey('ethereum');
    await rejectsWith(encryptKeystore({ ...key, publicKey: other.publicKey }, 'pw'), 'OV_VALIDATOR_KEY_INVALID');
    // a zero scalar and the curve order itself are not valid secrets
    await rejectsWith(encryptKeystore({ ...key, secret: new Uint8Array(32) }, 'pw'), 'OV_VALIDATOR_KEY_INVALID');
    const r = hex('73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001');
    await rejectsWith(encryptKeystore({ ...key, secret: r }, 'pw'), 'OV_VALIDATOR_KEY_INVALID');
  });
});

describe('EIP-2335: interoperability with @chainsafe/bls-keystore', () => {
  it('our scrypt and PBKDF2 keystores decrypt with chainsafe', async () => {
    const key = generateKey('ethereum');
    for (const opts of [{ kdf: 'scrypt' as const, scryptN: 2 ** 14 }, { kdf: 'pbkdf2' as const, pbkdf2C: 2 ** 12 }]) {
      const text = await encryptKeystore(key, 'interop \u{1F511}', opts);
      const secret = await csDecrypt(JSON.parse(text) as IKeystore, 'interop \u{1F511}');
      expect(toHex(secret)).toBe(toHex(key.secret));
    }
  });

  it("chainsafe's keystores decrypt with ours", async () => {
    const key = generateKey('ethereum');
    const scryptMod = { function: 'scrypt' as const, params: { dklen: 32, n: 2 ** 14, r: 8, p: 1, salt: toHex(new Uint8Array(32).fill(1)) } };
    const pbkdfMod = { function: 'pbkdf2' as const, params: { dklen: 32, c: 2 ** 12, prf: 'hmac-sha256' as const, salt: toHex(new Uint8Array(32).fill(2)) } };
    for (const mod of [scryptMod, pbkdfMod]) {
      const ks = await csCreate('\u00c5ngstr\u00f6m', key.secret, key.publicKey, 'm/12381/3600/5/0/0', 'chainsafe', mod);
      const back = await decryptKeystore(JSON.stringify(ks), 'A\u030angstro\u0308m');
      expect(toHex(back.secret)).toBe(toHex(key.secret));
      expect(back.path).toBe('m/12381/3600/5/0/0');
    }
  });
});

import { hash as libHash, verify as libVerify } from 'argon2';
import { describe, expect, it } from 'vitest';
import {
  ARGON2_CAPS,
  ARGON2_FLOOR,
  DEFAULT_ARGON2_PARAMS,
  deriveKeyArgon2id,
  formatPhc,
  hashSecret,
  parsePhc,
  verifySecret,
} from '../../../src/crypto/argon2.js';
import { isVaultError, type ErrorCode } from '../../../src/errors.js';

// The floor parameters keep these tests fast (about 20 ms per hash); the defaults are
// exercised once.
const FAST = ARGON2_FLOOR;
const secret = new Uint8Array(32).fill(7);
const other = new Uint8Array(32).fill(8);

function codeOf(fn: () => unknown): ErrorCode | undefined {
  try {
    fn();
  } catch (e) {
    return isVaultError(e) ? e.code : undefined;
  }
  return undefined;
}

async function rejectionCode(p: Promise<unknown>): Promise<ErrorCode | undefined> {
  try {
    await p;
  } catch (e) {
    return isVaultError(e) ? e.code : undefined;
  }
  return undefined;
}

describe('argon2id hashing', () => {
  it('hashes with the default parameters into a canonical argon2id PHC string', async () => {
    const phc = await hashSecret(secret);
    expect(phc).toMatch(/^\$argon2id\$v=19\$m=49152,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(DEFAULT_ARGON2_PARAMS).toEqual({ memoryKiB: 49152, passes: 2, parallelism: 1 });
    expect(await verifySecret(phc, secret)).toBe(true);
    expect(await verifySecret(phc, other)).toBe(false);
  });

  it('uses a fresh salt each time', async () => {
    const a = await hashSecret(secret, FAST);
    const b = await hashSecret(secret, FAST);
    expect(a).not.toBe(b);
    expect(await verifySecret(a, secret)).toBe(true);
    expect(await verifySecret(b, secret)).toBe(true);
  });

  it('round-trips through parsePhc / formatPhc', async () => {
    const phc = await hashSecret(secret, FAST);
    const parsed = parsePhc(phc);
    expect(parsed).toBeDefined();
    expect(parsed?.params).toEqual(FAST);
    expect(parsed?.salt.length).toBe(16);
    expect(parsed?.tag.length).toBe(32);
    expect(formatPhc(parsed!)).toBe(phc);
  });

  it('interoperates with the argon2 library encoding in both directions', async () => {
    const fromLib = await libHash(Buffer.from(secret), {
      type: 2,
      memoryCost: FAST.memoryKiB,
      timeCost: FAST.passes,
      parallelism: FAST.parallelism,
    });
    // The library writes parameters as m,p,t; we accept only the reference order m,t,p
    // (one spelling per hash). Salt and tag encodings are the same.
    expect(fromLib).toMatch(/\$m=19456,p=1,t=2\$/);
    expect(await verifySecret(fromLib, secret)).toBe(false);
    const reordered = fromLib.replace('m=19456,p=1,t=2', 'm=19456,t=2,p=1');
    expect(await verifySecret(reordered, secret)).toBe(true);
    expect(await verifySecret(reordered, other)).toBe(false);
    const ours = await hashSecret(secret, FAST);
    expect(await libVerify(ours, Buffer.from(secret))).toBe(true);
    expect(await libVerify(ours, Buffer.from(other))).toBe(false);
  });

  it('rejects caller parameters outside floor and caps with OV_INVALID_ARGUMENT', async () => {
    for (const params of [
      { ...FAST, memoryKiB: 1024 },
      { ...FAST, passes: 1 },
      { ...FAST, parallelism: 0 },
      { ...FAST, memoryKiB: ARGON2_CAPS.memoryKiB + 1 },
      { ...FAST, passes: ARGON2_CAPS.passes + 1 },
      { ...FAST, parallelism: ARGON2_CAPS.parallelism + 1 },
      { memoryKiB: ARGON2_CAPS.memoryKiB, passes: 3, parallelism: 1 },
      { ...FAST, memoryKiB: 20000.5 },
    ]) {
      expect(await rejectionCode(hashSecret(secret, params))).toBe('OV_INVALID_ARGUMENT');
    }
    expect(await rejectionCode(hashSecret(new Uint8Array(0), FAST))).toBe('OV_INVALID_ARGUMENT');
  });
});

describe('argon2id PHC parsing', () => {
  const salt = 'c29tZXNhbHRzb21lc2FsdA'; // 16 bytes
  const tag = 'A'.repeat(42) + 'E'; // 32 bytes, canonical final character
  const good = `$argon2id$v=19$m=19456,t=2,p=1$${salt}$${tag}`;

  it('accepts the canonical form', () => {
    expect(parsePhc(good)?.params).toEqual({ memoryKiB: 19456, passes: 2, parallelism: 1 });
  });

  it('returns false (never throws) for every malformed hash', async () => {
    const bad = [
      '',
      'not a hash',
      good.replace('argon2id', 'argon2i'),
      good.replace('argon2id', 'argon2d'),
      good.replace('argon2id', 'ARGON2ID'),
      good.replace('v=19', 'v=16'),
      good.replace('$v=19', ''),
      good.replace('m=19456', 'm=019456'),
      good.replace('p=1', 'p=1,data=AAAA'),
      good.replace('m=19456,t=2,p=1', 't=2,m=19456,p=1'),
      good.replace('m=19456', 'm=+19456'),
      good + '=',
      good + '\n',
      ' ' + good,
      `$argon2id$v=19$m=19456,t=2,p=1$${salt}=$${tag}`,
      `$argon2id$v=19$m=19456,t=2,p=1$${salt}$${'A'.repeat(42)}F`, // non-canonical last character
      `$argon2id$v=19$m=19456,t=2,p=1$${salt}$${tag.replace('A', '-')}`, // base64url alphabet
      `$argon2id$v=19$m=19456,t=2,p=1$c29tZQ$${tag}`, // 4-byte salt
      `$argon2id$v=19$m=19456,t=2,p=1$${salt}$AAAAAAAA`, // 6-byte tag
      `$argon2id$v=19$m=19456,t=2,p=1$${salt}`,
      good + '$extra',
      good.repeat(3),
    ];
    for (const phc of bad) {
      expect(parsePhc(phc), phc).toBeUndefined();
      expect(await verifySecret(phc, secret), phc).toBe(false);
    }
    // A 16-byte tag is the shortest accepted.
    expect(parsePhc(`$argon2id$v=19$m=19456,t=2,p=1$${salt}$AAAAAAAAAAAAAAAAAAAAAA`)).toBeDefined();
    expect(await verifySecret(42 as unknown as string, secret)).toBe(false);
  });

  it('refuses parameters above the caps before running argon2 (m = 4 GiB)', async () => {
    const huge = good.replace('m=19456', `m=${4 * 1024 * 1024}`);
    // parsePhc is synchronous and throws: no hashing can have started.
    expect(codeOf(() => parsePhc(huge))).toBe('OV_ARGON2_PARAMS');
    // Had argon2 run, it would have failed to allocate or finished with false, never this code.
    expect(await rejectionCode(verifySecret(huge, secret))).toBe('OV_ARGON2_PARAMS');
  });

  it('refuses passes, lanes and total work above the caps, and parameters below the floor', async () => {
    for (const params of ['m=19456,t=1000000,p=1', 'm=19456,t=9,p=1', 'm=19456,t=2,p=16777215', 'm=19456,t=2,p=5', 'm=262144,t=3,p=1', 'm=1024,t=2,p=1', 'm=19456,t=1,p=1', 'm=9999999999,t=2,p=1']) {
      const phc = good.replace('m=19456,t=2,p=1', params);
      expect(codeOf(() => parsePhc(phc)), params).toBe('OV_ARGON2_PARAMS');
      expect(await rejectionCode(verifySecret(phc, secret)), params).toBe('OV_ARGON2_PARAMS');
    }
  });

  it('a wrong-length secret is false, not an exception', async () => {
    const phc = await hashSecret(secret, FAST);
    expect(await verifySecret(phc, new Uint8Array(0))).toBe(false);
    expect(await verifySecret(phc, new Uint8Array(5000))).toBe(false);
  });
});

describe('argon2id key derivation', () => {
  const salt = new Uint8Array(16).fill(1);

  it('is deterministic in secret, salt and parameters', async () => {
    const a = await deriveKeyArgon2id(secret, salt, 32, FAST);
    expect(a.length).toBe(32);
    expect(await deriveKeyArgon2id(secret, salt, 32, FAST)).toEqual(a);
    expect(await deriveKeyArgon2id(secret, new Uint8Array(16).fill(2), 32, FAST)).not.toEqual(a);
    expect(await deriveKeyArgon2id(other, salt, 32, FAST)).not.toEqual(a);
    // Same computation as the PHC tag: the library's raw output agrees.
    const lib = await libHash(Buffer.from(secret), {
      type: 2,
      memoryCost: FAST.memoryKiB,
      timeCost: FAST.passes,
      parallelism: FAST.parallelism,
      salt: Buffer.from(salt),
      hashLength: 32,
      raw: true,
    });
    expect(a).toEqual(new Uint8Array(lib));
  });

  it('rejects short salts, odd lengths and out-of-bounds parameters', async () => {
    expect(await rejectionCode(deriveKeyArgon2id(secret, new Uint8Array(8), 32, FAST))).toBe('OV_INVALID_ARGUMENT');
    expect(await rejectionCode(deriveKeyArgon2id(secret, salt, 8, FAST))).toBe('OV_INVALID_ARGUMENT');
    expect(await rejectionCode(deriveKeyArgon2id(secret, salt, 32, { ...FAST, memoryKiB: 8 }))).toBe('OV_INVALID_ARGUMENT');
  });
});

/**
 * Costly keystore derivations run in a worker thread at the lowest CPU priority, so a
 * large import leaves the event loop's core to requests. The result must be scrypt's own
 * (RFC 7914 vector), the password handed over must be left intact for its owner to wipe,
 * and on Linux the worker's thread must really run at nice 19.
 */
import { scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { LOW_PRIORITY_SCRYPT_BYTES, scrypt, scryptLowPriority } from '../../../src/crypto/validator-kdf.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// RFC 7914 section 12, the third vector: N = 16384, r = 8, p = 1 (16 MiB).
const RFC_KEY =
  '7023bdcb3afd7348461c06cd81fd38ebfda8fbba904f8e3ea9b543f6545da1f2d5432955613f0fcf62d49705242a9af9e61e85dc0d651e40dfcf017b45575887';

describe('scrypt at low priority', () => {
  it('derives the RFC 7914 key in a worker, leaves the caller\'s password intact, and runs at nice 19 on Linux', async () => {
    const password = utf8('pleaseletmein');
    const { key, nice } = await scryptLowPriority(password, utf8('SodiumChloride'), { n: 16384, r: 8, p: 1, dklen: 64 });
    expect(hex(key)).toBe(RFC_KEY);
    expect(new TextDecoder().decode(password)).toBe('pleaseletmein');
    if (process.platform === 'linux') expect(nice).toBe(19);
  });

  it('takes the worker from 16 MiB on and the threadpool below, with the same results', async () => {
    expect(128 * 8 * 16384).toBe(LOW_PRIORITY_SCRYPT_BYTES);
    for (const n of [1024, 16384]) {
      const salt = utf8(`salt-${n}`);
      const want = scryptSync(utf8('pw'), salt, 32, { N: n, r: 8, p: 1, maxmem: 64 * 1024 * 1024 });
      expect(hex(await scrypt(utf8('pw'), salt, { n, r: 8, p: 1, dklen: 32 }))).toBe(want.toString('hex'));
    }
  });

  it('reports scrypt\'s refusal as an error, not a hang', async () => {
    // N not a power of two: OpenSSL refuses inside the worker.
    await expect(scryptLowPriority(utf8('pw'), utf8('s'), { n: 16383, r: 8, p: 1, dklen: 32 })).rejects.toThrow(/scrypt|param/i);
  });
});

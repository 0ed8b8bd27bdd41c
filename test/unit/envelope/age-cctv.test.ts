/**
 * Every CCTV age vector in vectors/external/cctv/age for the supported recipient types
 * (`mlkem768x25519` and `X25519`; passphrase vectors are left out, the vault has no scrypt
 * recipient) decrypted with the vault's age implementation, on every crypto provider this
 * runtime offers: `expect: success` must give a plaintext with the listed SHA-256, every
 * other expectation must fail with OV_AGE_OPEN and exactly that failure class. A loader
 * that finds fewer vectors than are vendored fails, and so does a header key it does not
 * know.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { sha256 } from '../../../src/crypto/kdf.js';
import { openAgeFile, parseAgeIdentity, type AgeFailure, type AgeIdentity } from '../../../src/envelope/age.js';
import { VaultError } from '../../../src/errors.js';
import { repoRoot, testProviders } from '../../helpers/vectors.js';

const DIR = join(repoRoot, 'vectors/external/cctv/age');

const EXPECT: Readonly<Record<string, AgeFailure | 'success'>> = {
  success: 'success',
  'no match': 'no match',
  'HMAC failure': 'hmac',
  'header failure': 'header',
  'payload failure': 'payload',
  'armor failure': 'armor',
};

interface Vector {
  readonly name: string;
  readonly expect: AgeFailure | 'success';
  readonly payload: string | undefined;
  readonly identities: AgeIdentity[];
  readonly file: Uint8Array;
}

function load(): Vector[] {
  const out: Vector[] = [];
  for (const name of readdirSync(DIR).sort()) {
    if (name === 'README.md') continue;
    const raw = readFileSync(join(DIR, name));
    const split = raw.indexOf('\n\n');
    if (split < 0) throw new Error(`${name}: no header`);
    const fields: [string, string][] = raw
      .subarray(0, split)
      .toString('utf8')
      .split('\n')
      .map((l) => {
        const i = l.indexOf(': ');
        if (i < 0) throw new Error(`${name}: bad header line`);
        return [l.slice(0, i), l.slice(i + 2)];
      });
    const known = new Set(['expect', 'payload', 'identity', 'passphrase', 'armored', 'file key', 'comment', 'compressed']);
    const unknown = fields.filter(([k]) => !known.has(k));
    if (unknown.length > 0) throw new Error(`${name}: unknown header keys ${unknown.map(([k]) => k).join(', ')}`);
    const get = (k: string): string[] => fields.filter(([f]) => f === k).map(([, v]) => v);
    const expectText = get('expect')[0] ?? '';
    const expected = EXPECT[expectText];
    if (expected === undefined) throw new Error(`${name}: unknown expectation ${expectText}`);
    const compressed = get('compressed')[0];
    if (compressed !== undefined && compressed !== 'zlib') throw new Error(`${name}: unknown compression`);
    if (get('passphrase').length > 0) continue;
    const body = raw.subarray(split + 2);
    out.push({
      name,
      expect: expected,
      payload: get('payload')[0],
      identities: get('identity').map(parseAgeIdentity),
      file: new Uint8Array(compressed === 'zlib' ? inflateSync(body) : body),
    });
  }
  return out;
}

const vectors = load();

describe('CCTV age vectors', () => {
  it('loads every vendored vector (at least the 18 hybrid files, each with an identity)', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(18);
    for (const v of vectors) expect(v.identities.length, v.name).toBeGreaterThan(0);
    // Both outcomes are represented, so a decryptor that always fails or always succeeds is caught.
    expect(vectors.some((v) => v.expect === 'success')).toBe(true);
    expect(vectors.some((v) => v.expect !== 'success')).toBe(true);
  });

  for (const provider of testProviders()) {
    describe(`${provider.name} provider`, () => {
      for (const v of vectors) {
        it(`${v.name}: ${v.expect}`, () => {
          let plaintext: Uint8Array | undefined;
          let error: unknown;
          try {
            plaintext = openAgeFile(v.identities, v.file, { provider });
          } catch (e) {
            error = e;
          }
          if (v.expect === 'success') {
            expect(error).toBeUndefined();
            expect(Buffer.from(sha256(plaintext ?? new Uint8Array(0))).toString('hex')).toBe(v.payload);
          } else {
            expect(plaintext).toBeUndefined();
            expect(error).toBeInstanceOf(VaultError);
            expect((error as VaultError).code).toBe('OV_AGE_OPEN');
            expect((error as VaultError).detail?.['reason']).toBe(v.expect);
          }
        });
      }
    });
  }
});

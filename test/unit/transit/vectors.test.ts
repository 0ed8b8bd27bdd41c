/**
 * vectors/transit.json, read back independently of the generator: each case's context is
 * the transit binding recomputed from its key name, version and associated data; `ok`
 * ciphertexts open with the recorded key file to the plaintext and are reproduced byte for
 * byte from the seal seed (noble); every other case does not open under the binding its
 * fields give (the prefix version included), which the service reports as the one code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { concatBytes, utf8 } from '../../../src/crypto/bytes.js';
import { sha256 } from '../../../src/crypto/kdf.js';
import { getProvider } from '../../../src/crypto/provider.js';
import { open, publicKeyOf, type SecretKeyInfo } from '../../../src/envelope/index.js';
import { decodeKey } from '../../../src/envelope/keys.js';
import { sealDeterministic } from '../../../src/envelope/internal.js';
import { ciphertextContext, parseValue } from '../../../src/transit/index.js';
import { repoRoot } from '../../helpers/vectors.js';

interface TransitCase {
  name: string;
  keyName: string;
  keyVersion: number;
  secretKey: string;
  associatedData: string | null;
  context: string;
  ciphertext: string;
  expect: 'ok' | 'OV_TRANSIT_CIPHERTEXT_INVALID';
  plaintext?: string;
  seal?: { encapSeed: string };
}

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const noble = getProvider('noble');
const file = JSON.parse(readFileSync(join(repoRoot, 'vectors', 'transit.json'), 'utf8')) as { cases: TransitCase[] };

/** The binding as docs/format.md section 10 writes it, built here without the project's helper. */
function specContext(c: TransitCase): Uint8Array {
  const base = utf8(`ontoref-vault/transit/v1\u0000${c.keyName}\u0000${c.keyVersion}`);
  return c.associatedData === null || c.associatedData === '' ? base : concatBytes(base, Uint8Array.of(0), sha256(hex(c.associatedData)));
}

describe('vectors/transit.json', () => {
  it('has ok and refused cases for both suites', () => {
    expect(file.cases.filter((c) => c.expect === 'ok')).toHaveLength(4);
    expect(file.cases.filter((c) => c.expect !== 'ok').length).toBeGreaterThanOrEqual(8);
  });

  for (const c of file.cases) {
    it(`${c.name}: ${c.expect}`, () => {
      const context = specContext(c);
      expect(toHex(context)).toBe(c.context);
      expect(ciphertextContext(c.keyName, c.keyVersion, c.associatedData === null ? undefined : hex(c.associatedData))).toEqual(context);
      const key = decodeKey(hex(c.secretKey), noble) as SecretKeyInfo;
      const parsed = parseValue(c.ciphertext);
      if (parsed === undefined) throw new Error('unparsable ciphertext');
      const attempt = (): Uint8Array => {
        if (parsed.version !== c.keyVersion) throw new Error('prefix version differs from the key version');
        return open(noble, { envelope: parsed.body, key, context });
      };
      if (c.expect === 'ok') {
        expect(toHex(attempt())).toBe(c.plaintext);
        const again = sealDeterministic(noble, { to: publicKeyOf(key), plaintext: hex(c.plaintext ?? ''), context, encapSeed: hex(c.seal?.encapSeed ?? '') });
        expect(toHex(again)).toBe(toHex(parsed.body));
      } else {
        // Under the binding the prefix claims, the envelope does not open either.
        expect(() => open(noble, { envelope: parsed.body, key, context: ciphertextContext(c.keyName, parsed.version, c.associatedData === null ? undefined : hex(c.associatedData)) })).toThrow();
        expect(attempt).toThrow();
      }
    });
  }
});

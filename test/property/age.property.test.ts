/**
 * Property tests for age v1 files (fast-check): arbitrary plaintexts round-trip for both
 * recipient types; the parsed header re-encodes to the same bytes; random garbage, and
 * valid files with random bytes changed, inserted or cut, never open and never throw
 * anything but OV_AGE_OPEN. Runs on the provider this runtime would pick.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes } from '../../src/crypto/bytes.js';
import { selectProvider } from '../../src/crypto/provider.js';
import { x25519Keygen } from '../../src/crypto/x25519.js';
import {
  encodeAgeIdentity,
  encodeAgeRecipient,
  encodeAgeX25519Identity,
  encodeAgeX25519Recipient,
  openAgeFile,
  parseAgeIdentity,
  sealAgeFile,
  type AgeIdentity,
} from '../../src/envelope/age.js';
import { encodeHeaderWithoutMac, encodeMacLine, parseHeader } from '../../src/envelope/age/format.js';
import { isVaultError } from '../../src/errors.js';

const provider = selectProvider();
const xwing = provider.kem('X-Wing').keygen();
const x = x25519Keygen();
const KEYS: readonly { recipient: string; identity: AgeIdentity }[] = [
  { recipient: encodeAgeRecipient(xwing.publicKey), identity: parseAgeIdentity(encodeAgeIdentity(xwing.secretKey)) },
  { recipient: encodeAgeX25519Recipient(x.publicKey), identity: parseAgeIdentity(encodeAgeX25519Identity(x.secretKey)) },
];
const identities = KEYS.map((k) => k.identity);

function outcome(file: Uint8Array): string {
  try {
    openAgeFile(identities, file, { provider });
    return 'opened';
  } catch (e) {
    return isVaultError(e, 'OV_AGE_OPEN') ? 'OV_AGE_OPEN' : `other: ${String(e)}`;
  }
}

describe('age properties', () => {
  it('round-trips arbitrary plaintexts, binary and armored, with a canonical header', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.boolean(), fc.boolean(), (plaintext, pq, armor) => {
        const keys = KEYS[pq ? 0 : 1]!;
        const file = sealAgeFile([keys.recipient], plaintext, { provider, armor });
        expect(Buffer.from(openAgeFile([keys.identity], file, { provider })).equals(plaintext)).toBe(true);
        if (!armor) {
          const h = parseHeader(file);
          const again = concatBytes(encodeHeaderWithoutMac(h.stanzas), encodeMacLine(h.mac));
          expect(Buffer.from(again).equals(file.subarray(0, h.payloadOffset))).toBe(true);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('a changed, inserted or removed byte anywhere never opens', () => {
    const files = KEYS.map((k) => sealAgeFile([k.recipient], new TextEncoder().encode('malleable?'), { provider }));
    fc.assert(
      fc.property(fc.nat({ max: 1 }), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('xor', 'insert', 'cut'), (which, at, v, how) => {
        const file = files[which]!;
        const i = at % file.length;
        let bad: Uint8Array;
        if (how === 'xor') {
          bad = file.slice();
          bad[i] = (bad[i] ?? 0) ^ v;
        } else if (how === 'insert') {
          bad = concatBytes(file.subarray(0, i), Uint8Array.of(v), file.subarray(i));
        } else {
          bad = concatBytes(file.subarray(0, i), file.subarray(i + 1));
        }
        expect(outcome(bad)).toBe('OV_AGE_OPEN');
      }),
      { numRuns: 300 },
    );
  });

  it('random garbage, alone or after a valid version line, fails only with OV_AGE_OPEN', () => {
    const prefix = new TextEncoder().encode('age-encryption.org/v1\n');
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (garbage, withPrefix) => {
        expect(outcome(withPrefix ? concatBytes(prefix, garbage) : garbage)).toBe('OV_AGE_OPEN');
      }),
      { numRuns: 300 },
    );
  });
});

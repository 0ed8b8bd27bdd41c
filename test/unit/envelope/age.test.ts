/**
 * age's post-quantum key strings (src/envelope/age.ts) against the identities in the C2SP
 * CCTV age vectors (`identity:` header lines of vectors/external/cctv/age/hybrid*): each
 * decodes to a 32-byte X-Wing seed, re-encodes to the same string, and its public key
 * (derived with the noble provider's X-Wing KEM) round-trips through `age1pq1...`. Malformed strings
 * fail with OV_KEY_INVALID.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
// Bech32 directly, only to craft malformed strings (the same agreed exception as age.ts).
import { bech32 } from '@scure/base';
import { describe, expect, it } from 'vitest';
import {
  AGE_RECIPIENT_LENGTH,
  decodeAgeIdentity,
  decodeAgeRecipient,
  encodeAgeIdentity,
  encodeAgeRecipient,
  looksLikeAgeRecipient,
} from '../../../src/envelope/age.js';
import { getProvider } from '../../../src/crypto/provider.js';
import { isVaultError } from '../../../src/errors.js';
import { vectorFiles } from '../../helpers/vectors.js';

/** The noble X-Wing KEM, through the project's provider (only src/crypto imports @noble). */
const ml_kem768_x25519 = getProvider('noble').kem('X-Wing');

function cctvIdentities(): Map<string, string> {
  const found = new Map<string, string>(); // identity -> first file naming it
  for (const file of vectorFiles('cctv/age', (n) => n.startsWith('hybrid'))) {
    const name = basename(file);
    const text = readFileSync(file).toString('latin1');
    const header = text.slice(0, text.indexOf('\n\n'));
    for (const line of header.split('\n')) {
      const m = /^identity: (AGE-SECRET-KEY-PQ-1[0-9A-Z]+)$/.exec(line);
      if (m && !found.has(m[1]!)) found.set(m[1]!, name);
    }
  }
  return found;
}

function expectKeyInvalid(f: () => unknown): void {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(isVaultError(err, 'OV_KEY_INVALID'), String(err)).toBe(true);
}

const identities = cctvIdentities();
const sample = 'AGE-SECRET-KEY-PQ-1HZLGZUPT4ETPKDEV8HSGFDCYZ4E522W0A7PU2LHT8EH9W6YLNC3SW78XKG';

describe('age identities from the CCTV vectors', () => {
  it('loads the PQ identities named in the vector headers', () => {
    // 18 files name two distinct PQ identities (hybrid_no_match uses the second one).
    expect(identities.size).toBe(2);
    expect(identities.has(sample)).toBe(true);
  });

  for (const [identity, file] of identities) {
    it(`decodes, re-encodes and derives the recipient (${file})`, () => {
      const seed = decodeAgeIdentity(identity);
      expect(seed.length).toBe(32);
      expect(encodeAgeIdentity(seed)).toBe(identity);

      const publicKey = ml_kem768_x25519.getPublicKey(seed);
      expect(publicKey.length).toBe(AGE_RECIPIENT_LENGTH);
      const recipient = encodeAgeRecipient(publicKey);
      expect(recipient.startsWith('age1pq1')).toBe(true);
      expect(recipient).toBe(recipient.toLowerCase());
      expect(looksLikeAgeRecipient(recipient)).toBe(true);
      expect(Buffer.from(decodeAgeRecipient(recipient)).equals(Buffer.from(publicKey))).toBe(true);
    });
  }

  it('gives the two CCTV identities different seeds and recipients', () => {
    const seeds = [...identities.keys()].map((i) => Buffer.from(decodeAgeIdentity(i)).toString('hex'));
    expect(new Set(seeds).size).toBe(identities.size);
  });
});

describe('encoding', () => {
  it('round-trips random seeds and public keys', () => {
    for (let i = 0; i < 8; i++) {
      const { publicKey, secretKey } = ml_kem768_x25519.keygen();
      const id = encodeAgeIdentity(secretKey);
      expect(id).toMatch(/^AGE-SECRET-KEY-PQ-1[02-9AC-HJ-NP-Z]+$/);
      expect(Buffer.from(decodeAgeIdentity(id)).equals(Buffer.from(secretKey))).toBe(true);
      expect(Buffer.from(decodeAgeRecipient(encodeAgeRecipient(publicKey))).equals(Buffer.from(publicKey))).toBe(true);
    }
  });

  it('refuses to encode keys of the wrong length', () => {
    expectKeyInvalid(() => encodeAgeIdentity(new Uint8Array(31)));
    expectKeyInvalid(() => encodeAgeIdentity(new Uint8Array(64)));
    expectKeyInvalid(() => encodeAgeRecipient(new Uint8Array(1184)));
  });
});

describe('strict decoding', () => {
  const seed = decodeAgeIdentity(sample);
  const recipient = encodeAgeRecipient(ml_kem768_x25519.getPublicKey(seed));

  it('rejects a mixed-case or wrong-case identity', () => {
    expectKeyInvalid(() => decodeAgeIdentity(sample.slice(0, 30) + sample.slice(30).toLowerCase()));
    expectKeyInvalid(() => decodeAgeIdentity(sample.toLowerCase()));
  });

  it('rejects a mixed-case or uppercase recipient', () => {
    expectKeyInvalid(() => decodeAgeRecipient(recipient.toUpperCase()));
    expectKeyInvalid(() => decodeAgeRecipient(recipient.slice(0, 20) + recipient.slice(20, 21).toUpperCase() + recipient.slice(21)));
  });

  it('rejects a bad checksum (every single-character substitution in the data part)', () => {
    const alphabet = 'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L';
    const dataStart = 'AGE-SECRET-KEY-PQ-1'.length;
    for (let i = dataStart; i < sample.length; i++) {
      const c = sample[i]!;
      const other = alphabet[(alphabet.indexOf(c) + 1) % alphabet.length]!;
      expectKeyInvalid(() => decodeAgeIdentity(sample.slice(0, i) + other + sample.slice(i + 1)));
    }
  });

  it('rejects the wrong HRP', () => {
    // A classic X25519 age identity is valid Bech32 with 32 bytes, but the wrong HRP.
    expectKeyInvalid(() => decodeAgeIdentity('AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0'));
    const otherHrp = bech32.encode('age-secret-key-pq-x', bech32.toWords(seed), false).toUpperCase();
    expectKeyInvalid(() => decodeAgeIdentity(otherHrp));
    // An identity is not a recipient and vice versa.
    expectKeyInvalid(() => decodeAgeRecipient(sample.toLowerCase()));
    expectKeyInvalid(() => decodeAgeIdentity(recipient.toUpperCase()));
    const classicRecipient = bech32.encode('age', bech32.toWords(ml_kem768_x25519.getPublicKey(seed)), false);
    expectKeyInvalid(() => decodeAgeRecipient(classicRecipient));
  });

  it('rejects the wrong length', () => {
    const short = bech32.encode('AGE-SECRET-KEY-PQ-', bech32.toWords(new Uint8Array(31)), false).toUpperCase();
    const long = bech32.encode('AGE-SECRET-KEY-PQ-', bech32.toWords(new Uint8Array(33)), false).toUpperCase();
    expectKeyInvalid(() => decodeAgeIdentity(short));
    expectKeyInvalid(() => decodeAgeIdentity(long));
    const pk = decodeAgeRecipient(recipient);
    expectKeyInvalid(() => decodeAgeRecipient(bech32.encode('age1pq', bech32.toWords(pk.subarray(0, 1184)), false)));
  });

  it('rejects non-zero padding bits', () => {
    // 32 bytes = 256 bits -> 52 words with 4 padding bits; set one of them.
    const words = bech32.toWords(seed);
    words[words.length - 1] = words[words.length - 1]! | 1;
    expectKeyInvalid(() => decodeAgeIdentity(bech32.encode('AGE-SECRET-KEY-PQ-', words, false).toUpperCase()));
  });

  it('rejects surrounding whitespace, empty and garbage strings', () => {
    for (const s of [` ${sample}`, `${sample}\n`, '', 'AGE-SECRET-KEY-PQ-1', 'not a key', 'age1pq1']) {
      expectKeyInvalid(() => decodeAgeIdentity(s));
      expectKeyInvalid(() => decodeAgeRecipient(s.toLowerCase()));
    }
  });

  it('never puts the input into the error', () => {
    const bad = sample.slice(0, -1) + (sample.endsWith('G') ? 'H' : 'G');
    try {
      decodeAgeIdentity(bad);
      expect.unreachable();
    } catch (e) {
      const text = `${String(e)} ${JSON.stringify(e)} ${(e as Error).stack ?? ''} ${String((e as Error).cause)}`;
      expect(text).not.toContain(bad.slice(19, 40));
      expect(text.toLowerCase()).not.toContain(bad.slice(19, 40).toLowerCase());
    }
  });
});

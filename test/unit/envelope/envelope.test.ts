/**
 * Envelopes (src/envelope/envelope.ts): round trips for both suites with and without
 * context and signatures on every provider, cross-provider interoperability, and one test
 * per way opening must fail (each expecting the single OV_ENVELOPE_OPEN with no detail or
 * cause), plus the errors that stay distinct because they depend only on the caller's
 * arguments. Secrets handed out by the KEM are checked to be wiped on success and failure.
 */
import { describe, expect, it } from 'vitest';
import type { CryptoProvider, Kem, KemName, SignatureName } from '../../../src/crypto/types.js';
import { isVaultError, type ErrorCode } from '../../../src/errors.js';
import {
  SUITES,
  generateKey,
  inspect,
  open,
  openWith,
  publicKeyOf,
  seal,
  type PublicKeyInfo,
  type SecretKeyInfo,
} from '../../../src/envelope/index.js';
import { decodeEnvelope, encodeEnvelope } from '../../../src/envelope/internal.js';
import { testProviders } from '../../helpers/vectors.js';

const providers = testProviders();
const noble = providers[0] as CryptoProvider;
const te = new TextEncoder();

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error, nothing was thrown');
}

function expectCode(fn: () => unknown, code: ErrorCode): void {
  const e = thrown(fn);
  expect(isVaultError(e, code), `expected ${code}, got ${String(e)}`).toBe(true);
}

/** The one opaque failure: right code, no detail, no cause. */
function expectOpenFails(fn: () => unknown): void {
  const e = thrown(fn);
  expect(isVaultError(e, 'OV_ENVELOPE_OPEN'), `expected OV_ENVELOPE_OPEN, got ${String(e)}`).toBe(true);
  if (isVaultError(e)) {
    expect(e.detail).toBeUndefined();
    expect(e.cause).toBeUndefined();
  }
}

const keys = {
  xwing: generateKey(noble, 'X-Wing'),
  xwing2: generateKey(noble, 'X-Wing'),
  mlkem: generateKey(noble, 'ML-KEM-1024'),
  mlkem768: generateKey(noble, 'ML-KEM-768'),
  sig: {
    'ML-DSA-65': generateKey(noble, 'ML-DSA-65'),
    'ML-DSA-87': generateKey(noble, 'ML-DSA-87'),
    'Falcon-512-r3': generateKey(noble, 'Falcon-512-r3'),
    'Falcon-1024-r3': generateKey(noble, 'Falcon-1024-r3'),
  } satisfies Record<SignatureName, SecretKeyInfo>,
};
const kemKey = (k: KemName): SecretKeyInfo => (k === 'X-Wing' ? keys.xwing : keys.mlkem);
const pt = te.encode('the quick brown fox');

describe('envelope round trips', () => {
  for (const provider of providers) {
    for (const suite of SUITES) {
      const recipient = kemKey(suite.kem);
      it(`${provider.name}: ${suite.name}, no context, unsigned`, () => {
        const env = seal(provider, { to: publicKeyOf(recipient), plaintext: pt });
        expect(open(provider, { envelope: env, key: recipient })).toEqual(pt);
        const info = inspect(env);
        expect(info.suite).toBe(suite.name);
        expect(info.keyId).toEqual(recipient.keyId);
        expect(info.keyVersion).toBe(1);
        expect(info.signed).toBe(false);
        expect(info.signer).toBeUndefined();
        expect(info.context).toEqual(new Uint8Array(0));
        expect(info.size).toBe(env.length);
      });
      for (const [alg, signer] of Object.entries(keys.sig) as [SignatureName, SecretKeyInfo][]) {
        it(`${provider.name}: ${suite.name}, string context, signed ${alg}`, () => {
          const env = seal(provider, { to: publicKeyOf(recipient), plaintext: pt, context: 'secret/db#v3', sign: signer });
          const out = open(provider, { envelope: env, key: recipient, context: te.encode('secret/db#v3'), verify: publicKeyOf(signer) });
          expect(out).toEqual(pt);
          const info = inspect(env);
          expect(info.signed).toBe(true);
          expect(info.signer).toEqual({ alg, keyId: signer.keyId, keyVersion: 1 });
          expect(new TextDecoder().decode(info.context)).toBe('secret/db#v3');
        });
      }
    }
    it(`${provider.name}: empty and 1 MiB plaintexts`, () => {
      for (const size of [0, 1 << 20]) {
        const p = new Uint8Array(size).map((_, i) => i & 0xff);
        const env = seal(provider, { to: publicKeyOf(keys.xwing), plaintext: p });
        // Buffer.equals: vitest's deep equality walks a 1 MiB array element by element.
        expect(Buffer.from(open(provider, { envelope: env, key: keys.xwing })).equals(p)).toBe(true);
      }
    });
  }

  it('two seals of the same plaintext differ (fresh KEM randomness)', () => {
    const a = seal(noble, { to: publicKeyOf(keys.xwing), plaintext: pt });
    const b = seal(noble, { to: publicKeyOf(keys.xwing), plaintext: pt });
    expect(a).not.toEqual(b);
  });

  if (providers.length > 1) {
    const [p1, p2] = providers as [CryptoProvider, CryptoProvider];
    for (const suite of SUITES) {
      it(`${suite.name}: ${p1.name} and ${p2.name} open each other's signed envelopes`, () => {
        const recipient = kemKey(suite.kem);
        const signer = keys.sig['ML-DSA-65'];
        for (const [a, b] of [
          [p1, p2],
          [p2, p1],
        ] as const) {
          const env = seal(a, { to: publicKeyOf(recipient), plaintext: pt, context: 'x', sign: signer });
          expect(open(b, { envelope: env, key: recipient, context: 'x', verify: publicKeyOf(signer) })).toEqual(pt);
        }
      });
    }
  }
});

describe('envelope: every failure to open is OV_ENVELOPE_OPEN', () => {
  const to = publicKeyOf(keys.xwing);
  const signer = keys.sig['ML-DSA-65'];
  const signed = seal(noble, { to, plaintext: pt, context: 'ctx', sign: signer });
  const unsigned = seal(noble, { to, plaintext: pt, context: 'ctx' });
  const parsed = decodeEnvelope(signed);

  it('canonical: decode then encode gives the same bytes', () => {
    expect(encodeEnvelope(parsed)).toEqual(signed);
    expect(encodeEnvelope(decodeEnvelope(unsigned))).toEqual(unsigned);
  });

  it('wrong key of the same algorithm', () => {
    expectOpenFails(() => open(noble, { envelope: unsigned, key: keys.xwing2, context: 'ctx' }));
  });

  it('key of the other suite', () => {
    expectOpenFails(() => open(noble, { envelope: unsigned, key: keys.mlkem, context: 'ctx' }));
  });

  it('right key bytes but another key version', () => {
    const v2: SecretKeyInfo = { ...keys.xwing, keyVersion: 2 };
    expectOpenFails(() => open(noble, { envelope: unsigned, key: v2, context: 'ctx' }));
  });

  it('context mismatch, including a missing context', () => {
    expectOpenFails(() => open(noble, { envelope: unsigned, key: keys.xwing, context: 'ctX' }));
    expectOpenFails(() => open(noble, { envelope: unsigned, key: keys.xwing }));
  });

  it('signature required but envelope unsigned', () => {
    expectOpenFails(() => open(noble, { envelope: unsigned, key: keys.xwing, context: 'ctx', verify: publicKeyOf(signer) }));
  });

  it('signature by a key not in the verify list; an empty list trusts nobody', () => {
    const other = publicKeyOf(keys.sig['ML-DSA-87']);
    expectOpenFails(() => open(noble, { envelope: signed, key: keys.xwing, context: 'ctx', verify: other }));
    expectOpenFails(() => open(noble, { envelope: signed, key: keys.xwing, context: 'ctx', verify: [] }));
    // An empty list never means "skip the check": an unsigned envelope fails too.
    expectOpenFails(() => open(noble, { envelope: unsigned, key: keys.xwing, context: 'ctx', verify: [] }));
    expect(open(noble, { envelope: unsigned, key: keys.xwing, context: 'ctx' })).toEqual(pt);
    expect(open(noble, { envelope: signed, key: keys.xwing, context: 'ctx', verify: [other, publicKeyOf(signer)] })).toEqual(pt);
  });

  it('verify key with the right id but another version', () => {
    const v2: PublicKeyInfo = { ...publicKeyOf(signer), keyVersion: 2 };
    expectOpenFails(() => open(noble, { envelope: signed, key: keys.xwing, context: 'ctx', verify: v2 }));
  });

  it('signature stripped (block removed, flag kept)', () => {
    const stripped = signed.slice(0, parsed.signedEnd - 22);
    expectOpenFails(() => open(noble, { envelope: stripped, key: keys.xwing, context: 'ctx' }));
  });

  it('signature stripped and signed flag cleared', () => {
    const stripped = signed.slice(0, parsed.signedEnd - 22);
    stripped[7] = 0;
    expectOpenFails(() => open(noble, { envelope: stripped, key: keys.xwing, context: 'ctx' }));
  });

  it('signed flag cleared, block kept (trailing bytes)', () => {
    const b = signed.slice();
    b[7] = 0;
    expectOpenFails(() => open(noble, { envelope: b, key: keys.xwing, context: 'ctx' }));
  });

  it('signature block re-labelled as another algorithm', () => {
    const b = signed.slice();
    const algOffset = parsed.signedEnd - 22;
    b[algOffset] = 0x01;
    b[algOffset + 1] = 0x02; // ML-DSA-87: the length no longer fits
    expectOpenFails(() => open(noble, { envelope: b, key: keys.xwing, context: 'ctx', verify: publicKeyOf(signer) }));
  });

  it('unknown suite id, unknown flag bit, other format version, bad magic', () => {
    for (const [offset, value] of [
      [5, 0x01],
      [6, 0x03],
      [7, 0x03],
      [7, 0x80],
      [4, 0x02],
      [0, 0x00],
    ] as const) {
      const b = unsigned.slice();
      b[offset] = value;
      expectOpenFails(() => open(noble, { envelope: b, key: keys.xwing, context: 'ctx' }));
    }
  });

  it('the other suite id on an otherwise intact envelope', () => {
    const b = unsigned.slice();
    b[6] = 0x02;
    expectOpenFails(() => open(noble, { envelope: b, key: keys.xwing, context: 'ctx' }));
    expectOpenFails(() => open(noble, { envelope: b, key: keys.mlkem, context: 'ctx' }));
  });

  it('truncated at every length and extended by a byte', () => {
    for (let n = 0; n < unsigned.length; n += 97) {
      expectOpenFails(() => open(noble, { envelope: unsigned.subarray(0, n), key: keys.xwing, context: 'ctx' }));
    }
    expectOpenFails(() => open(noble, { envelope: unsigned.subarray(0, unsigned.length - 1), key: keys.xwing, context: 'ctx' }));
    const longer = new Uint8Array(unsigned.length + 1);
    longer.set(unsigned);
    expectOpenFails(() => open(noble, { envelope: longer, key: keys.xwing, context: 'ctx' }));
  });

  it('commitment forged (AEAD never reached)', () => {
    const b = unsigned.slice();
    b[parsed.aadEnd - 1] = (b[parsed.aadEnd - 1] ?? 0) ^ 0x01;
    expectOpenFails(() => open(noble, { envelope: b, key: keys.xwing, context: 'ctx' }));
  });

  it('inspect of malformed input is OV_ENVELOPE_OPEN', () => {
    expectOpenFails(() => inspect(new Uint8Array(10)));
    expectOpenFails(() => inspect(signed.subarray(0, signed.length - 1)));
  });
});

describe('envelope: openWith picks the key from the decoded header', () => {
  const to = publicKeyOf(keys.xwing);
  const signer = keys.sig['ML-DSA-65'];
  const signed = seal(noble, { to, plaintext: pt, context: 'ctx', sign: signer });

  it('opens like open, telling the resolver the header it decoded', () => {
    const seen: { keyVersion: number; signed: boolean }[] = [];
    const out = openWith(noble, {
      envelope: signed,
      context: 'ctx',
      verify: publicKeyOf(signer),
      key: (h) => {
        seen.push({ keyVersion: h.keyVersion, signed: h.signed });
        expect(h.keyId).toEqual(keys.xwing.keyId);
        return keys.xwing;
      },
    });
    expect(out).toEqual(pt);
    expect(seen).toEqual([{ keyVersion: 1, signed: true }]);
  });

  it("the resolver's own error comes out unchanged; every other failure is still OV_ENVELOPE_OPEN", () => {
    const mine = new Error('no such key version');
    expect(thrown(() => openWith(noble, { envelope: signed, context: 'ctx', key: () => { throw mine; } }))).toBe(mine);
    expectCode(() => openWith(noble, { envelope: signed, context: 'ctx', key: () => keys.sig['ML-DSA-65'] }), 'OV_KEY_INVALID');
    expectOpenFails(() => openWith(noble, { envelope: signed, context: 'ctX', key: () => keys.xwing }));
    expectOpenFails(() => openWith(noble, { envelope: signed, context: 'ctx', key: () => keys.xwing2 }));
    expectOpenFails(() => openWith(noble, { envelope: signed.subarray(0, 40), context: 'ctx', key: () => keys.xwing }));
  });
});

describe('envelope: size caps', () => {
  const to = publicKeyOf(keys.xwing);
  const env = seal(noble, { to, plaintext: pt });

  it('an envelope larger than maxSize is OV_ENVELOPE_TOO_LARGE, whatever its content', () => {
    expectCode(() => open(noble, { envelope: env, key: keys.xwing, maxSize: env.length - 1 }), 'OV_ENVELOPE_TOO_LARGE');
    expectCode(() => open(noble, { envelope: new Uint8Array(100), key: keys.xwing, maxSize: 99 }), 'OV_ENVELOPE_TOO_LARGE');
    expectCode(() => inspect(env, { maxSize: 10 }), 'OV_ENVELOPE_TOO_LARGE');
    expect(open(noble, { envelope: env, key: keys.xwing, maxSize: env.length })).toEqual(pt);
  });

  it('sealing more than 64 MiB is OV_ENVELOPE_TOO_LARGE', () => {
    expectCode(() => seal(noble, { to, plaintext: new Uint8Array(64 * 1024 * 1024 + 1) }), 'OV_ENVELOPE_TOO_LARGE');
  });

  it('a context over 1024 bytes is OV_ENVELOPE_CONTEXT on seal and open; 1024 is fine', () => {
    expectCode(() => seal(noble, { to, plaintext: pt, context: new Uint8Array(1025) }), 'OV_ENVELOPE_CONTEXT');
    expectCode(() => open(noble, { envelope: env, key: keys.xwing, context: 'x'.repeat(1025) }), 'OV_ENVELOPE_CONTEXT');
    const max = seal(noble, { to, plaintext: pt, context: 'é'.repeat(512) });
    expect(open(noble, { envelope: max, key: keys.xwing, context: 'é'.repeat(512) })).toEqual(pt);
  });

  it('maxSize must be a non-negative integer', () => {
    expectCode(() => open(noble, { envelope: env, key: keys.xwing, maxSize: -1 }), 'OV_INVALID_ARGUMENT');
    expectCode(() => open(noble, { envelope: env, key: keys.xwing, maxSize: 1.5 }), 'OV_INVALID_ARGUMENT');
  });
});

describe('envelope: caller misuse keeps its own error code', () => {
  const to = publicKeyOf(keys.xwing);
  const env = seal(noble, { to, plaintext: pt });

  it('unknown option keys are OV_INVALID_ARGUMENT', () => {
    expectCode(() => seal(noble, { to, plaintext: pt, contxt: 'typo' } as never), 'OV_INVALID_ARGUMENT');
    expectCode(() => open(noble, { envelope: env, key: keys.xwing, verfy: [] } as never), 'OV_INVALID_ARGUMENT');
  });

  it('wrong key kinds are OV_KEY_INVALID', () => {
    expectCode(() => seal(noble, { to: keys.xwing as never, plaintext: pt }), 'OV_KEY_INVALID');
    expectCode(() => seal(noble, { to: publicKeyOf(keys.sig['ML-DSA-65']), plaintext: pt }), 'OV_KEY_INVALID');
    expectCode(() => seal(noble, { to, plaintext: pt, sign: keys.xwing }), 'OV_KEY_INVALID');
    expectCode(() => open(noble, { envelope: env, key: keys.sig['ML-DSA-65'] }), 'OV_KEY_INVALID');
    expectCode(() => open(noble, { envelope: env, key: keys.xwing, verify: to }), 'OV_KEY_INVALID');
  });

  it('ML-KEM-768 has no envelope suite: OV_ALGORITHM_UNSUPPORTED', () => {
    expectCode(() => seal(noble, { to: publicKeyOf(keys.mlkem768), plaintext: pt }), 'OV_ALGORITHM_UNSUPPORTED');
  });

  it('a public key whose key id does not match is OV_KEY_INVALID', () => {
    const forged: PublicKeyInfo = { ...to, publicKey: publicKeyOf(keys.xwing2).publicKey };
    expectCode(() => seal(noble, { to: forged, plaintext: pt }), 'OV_KEY_INVALID');
  });
});

/** A provider whose KEMs record every shared secret they hand out. */
function recording(provider: CryptoProvider): { provider: CryptoProvider; secrets: Uint8Array[] } {
  const secrets: Uint8Array[] = [];
  const wrap = (kem: Kem): Kem => ({
    name: kem.name,
    hpkeId: kem.hpkeId,
    lengths: kem.lengths,
    keygen: (seed) => kem.keygen(seed),
    getPublicKey: (sk) => kem.getPublicKey(sk),
    encapsulate: (pk) => {
      const e = kem.encapsulate(pk);
      secrets.push(e.sharedSecret);
      return e;
    },
    decapsulate: (ct, sk) => {
      const ss = kem.decapsulate(ct, sk);
      secrets.push(ss);
      return ss;
    },
  });
  return {
    secrets,
    provider: { name: provider.name, kem: (n) => wrap(provider.kem(n)), signature: (n) => provider.signature(n) },
  };
}

describe('envelope: KEM shared secrets are wiped', () => {
  it('after seal, after a successful open and after a failed open', () => {
    const { provider, secrets } = recording(noble);
    const env = seal(provider, { to: publicKeyOf(keys.xwing), plaintext: pt, context: 'c' });
    expect(open(provider, { envelope: env, key: keys.xwing, context: 'c' })).toEqual(pt);
    const tampered = env.slice();
    tampered[env.length - 1] = (tampered[env.length - 1] ?? 0) ^ 1;
    expectOpenFails(() => open(provider, { envelope: tampered, key: keys.xwing, context: 'c' }));
    expect(secrets).toHaveLength(3);
    for (const s of secrets) expect(s.every((b) => b === 0)).toBe(true);
  });
});

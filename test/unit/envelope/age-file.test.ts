/**
 * The age v1 file format (src/envelope/age/): sealing and opening with both recipient
 * types on every provider, the canonical-encoding rules of the header, payload and armor,
 * the mixed-recipient refusal, option checking, and the failure class of each kind of
 * damage. Every flipped byte of a file must make opening fail.
 */
import { describe, expect, it } from 'vitest';
import { aead } from '../../../src/crypto/aead.js';
import { concatBytes, randomBytes, utf8 } from '../../../src/crypto/bytes.js';
import { hkdf } from '../../../src/crypto/kdf.js';
import type { CryptoProvider } from '../../../src/crypto/types.js';
import { x25519Keygen } from '../../../src/crypto/x25519.js';
import {
  armorAgeFile,
  dearmorAgeFile,
  encodeAgeIdentity,
  encodeAgeRecipient,
  encodeAgeX25519Identity,
  encodeAgeX25519Recipient,
  isAgeFile,
  openAgeFile,
  parseAgeIdentity,
  parseAgeIdentityFile,
  parseAgeRecipient,
  sealAgeFile,
  type AgeIdentity,
} from '../../../src/envelope/age.js';
import { encodeHeaderWithoutMac, encodeMacLine, parseHeader } from '../../../src/envelope/age/format.js';
import { decryptPayload } from '../../../src/envelope/age/stream.js';
import { VaultError, isVaultError } from '../../../src/errors.js';
import { testProviders } from '../../helpers/vectors.js';

const CHUNK = 64 * 1024;

function pqKeys(provider: CryptoProvider): { recipient: string; identity: AgeIdentity } {
  const pair = provider.kem('X-Wing').keygen();
  return { recipient: encodeAgeRecipient(pair.publicKey), identity: parseAgeIdentity(encodeAgeIdentity(pair.secretKey)) };
}

function x25519Keys(): { recipient: string; identity: AgeIdentity } {
  const pair = x25519Keygen();
  return { recipient: encodeAgeX25519Recipient(pair.publicKey), identity: parseAgeIdentity(encodeAgeX25519Identity(pair.secretKey)) };
}

/** The failure class of an OV_AGE_OPEN, another error's code, or "opened". */
function failure(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isVaultError(e, 'OV_AGE_OPEN')) return String(e.detail?.['reason']);
    return e instanceof VaultError ? e.code : String(e);
  }
  return 'opened';
}

for (const provider of testProviders()) {
  describe(`age files (${provider.name} provider)`, () => {
    const pq = pqKeys(provider);
    const classic = x25519Keys();
    const open = (ids: AgeIdentity[], file: Uint8Array): Uint8Array => openAgeFile(ids, file, { provider });

    for (const [name, keys] of [['mlkem768x25519', pq], ['X25519', classic]] as const) {
      it(`${name}: round-trips every size around the chunk boundary`, () => {
        for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK]) {
          const plaintext = randomBytes(size);
          const file = sealAgeFile([keys.recipient], plaintext, { provider });
          expect(isAgeFile(file)).toBe(true);
          // Size: header + 16-byte nonce + one tag per chunk (an empty file still has one chunk).
          const header = parseHeader(file);
          const chunks = Math.max(1, Math.ceil(size / CHUNK));
          expect(file.length - header.payloadOffset).toBe(16 + size + 16 * chunks);
          expect(open([keys.identity], file)).toEqual(plaintext);
        }
      });

      it(`${name}: the header is canonical (re-encoding the parsed header gives the same bytes)`, () => {
        const file = sealAgeFile([keys.recipient, keys.recipient], utf8('x'), { provider });
        const h = parseHeader(file);
        expect(h.stanzas.map((s) => s.args[0])).toEqual([name, name]);
        const again = concatBytes(encodeHeaderWithoutMac(h.stanzas), encodeMacLine(h.mac));
        expect(again).toEqual(file.subarray(0, h.payloadOffset));
      });
    }

    it('every flipped byte of an X25519 file makes opening fail, with no plaintext', () => {
      const file = sealAgeFile([classic.recipient], utf8('flip me'), { provider });
      const classes = new Set<string>();
      for (let i = 0; i < file.length; i++) {
        const bad = file.slice();
        bad[i] = (bad[i] ?? 0) ^ 0x01;
        const r = failure(() => open([classic.identity], bad));
        expect(r, `byte ${i}`).not.toBe('opened');
        classes.add(r);
      }
      // Each region fails in its own way: header syntax, the wrapped key, the MAC, the payload.
      expect([...classes].sort()).toEqual(['header', 'hmac', 'no match', 'payload']);
    });

    it('flipped bytes of a post-quantum file (every 13th byte) make opening fail', () => {
      const file = sealAgeFile([pq.recipient], utf8('flip me too'), { provider });
      for (let i = 0; i < file.length; i += 13) {
        const bad = file.slice();
        bad[i] = (bad[i] ?? 0) ^ 0x80;
        expect(failure(() => open([pq.identity], bad)), `byte ${i}`).not.toBe('opened');
      }
    });

    it('classifies damage: wrong identity, MAC, truncation, extension', () => {
      const file = sealAgeFile([pq.recipient], randomBytes(CHUNK + 10), { provider });
      const h = parseHeader(file);
      expect(failure(() => open([pqKeys(provider).identity, classic.identity], file))).toBe('no match');
      // Another valid MAC text: the header parses, the file key unwraps, the MAC differs. The
      // last base64 character carries 4 bits and 2 zero bits, so the one before it is changed:
      // any value there is still canonical base64.
      const macAt = h.payloadOffset - 3;
      const bad = file.slice();
      bad[macAt] = bad[macAt] === 0x41 ? 0x42 : 0x41;
      expect(failure(() => open([pq.identity], bad))).toBe('hmac');
      expect(failure(() => open([pq.identity], file.subarray(0, file.length - 1)))).toBe('payload');
      expect(failure(() => open([pq.identity], file.subarray(0, h.payloadOffset + 16 + CHUNK + 16)))).toBe('payload');
      expect(failure(() => open([pq.identity], file.subarray(0, h.payloadOffset + 10)))).toBe('payload');
      expect(failure(() => open([pq.identity], concatBytes(file, Uint8Array.of(0))))).toBe('payload');
      expect(failure(() => open([pq.identity], file.subarray(0, h.payloadOffset - 1)))).toBe('header');
    });

    it('tries identities in turn and ignores stanzas of other types', () => {
      const other = pqKeys(provider);
      const file = sealAgeFile([other.recipient, pq.recipient], utf8('two'), { provider });
      expect(open([classic.identity, pq.identity], file)).toEqual(utf8('two'));
      expect(open([other.identity], file)).toEqual(utf8('two'));
    });

    it('refuses to mix post-quantum and X25519 recipients unless allowed', () => {
      expect(() => sealAgeFile([pq.recipient, classic.recipient], utf8('m'), { provider })).toThrow(
        expect.objectContaining({ code: 'OV_AGE_MIXED_RECIPIENTS' }),
      );
      const file = sealAgeFile([pq.recipient, classic.recipient], utf8('m'), { provider, allowMixedRecipients: true });
      expect(open([pq.identity], file)).toEqual(utf8('m'));
      expect(open([classic.identity], file)).toEqual(utf8('m'));
    });

    it('rejects unknown option keys, empty recipient and identity lists, malformed recipients', () => {
      const bad = { provider, armour: true } as unknown as { provider: CryptoProvider };
      expect(() => sealAgeFile([pq.recipient], utf8('x'), bad)).toThrow(expect.objectContaining({ code: 'OV_INVALID_ARGUMENT' }));
      expect(() => openAgeFile([pq.identity], utf8('x'), bad)).toThrow(expect.objectContaining({ code: 'OV_INVALID_ARGUMENT' }));
      expect(() => sealAgeFile([], utf8('x'), { provider })).toThrow(expect.objectContaining({ code: 'OV_INVALID_ARGUMENT' }));
      expect(() => openAgeFile([], utf8('x'), { provider })).toThrow(expect.objectContaining({ code: 'OV_INVALID_ARGUMENT' }));
      expect(() => sealAgeFile([pq.recipient.toUpperCase()], utf8('x'), { provider })).toThrow(expect.objectContaining({ code: 'OV_KEY_INVALID' }));
      expect(() => sealAgeFile(['age1tag1qt8lw0ual6avlwmwatk888yqnmdamm7xfd0wak53ut6elz5c4swx2yqdj4e'], utf8('x'), { provider })).toThrow(
        expect.objectContaining({ code: 'OV_KEY_INVALID' }),
      );
      // A low-order X25519 recipient (all zero) cannot be encrypted to.
      expect(() => sealAgeFile([encodeAgeX25519Recipient(new Uint8Array(32))], utf8('x'), { provider })).toThrow(
        expect.objectContaining({ code: 'OV_KEY_INVALID' }),
      );
    });
  });
}

describe('age header parsing', () => {
  const provider = testProviders()[0]!;
  const keys = x25519Keys();
  const file = sealAgeFile([keys.recipient], utf8('header'), { provider });
  const text = Buffer.from(file).toString('latin1');
  const headerEnd = parseHeader(file).payloadOffset;
  const header = text.slice(0, headerEnd);
  const payload = text.slice(headerEnd);
  const reopen = (h: string): string => failure(() => openAgeFile([keys.identity], Buffer.from(h + payload, 'latin1'), { provider }));

  it('opens the untouched file', () => {
    expect(reopen(header)).toBe('opened');
  });

  it.each([
    ['another version', header.replace('age-encryption.org/v1', 'age-encryption.org/v2')],
    ['CRLF line ends', header.replaceAll('\n', '\r\n')],
    ['a double space between arguments', header.replace('-> X25519 ', '-> X25519  ')],
    ['a trailing space after the arguments', header.replace(/(-> X25519 \S+)\n/, '$1 \n')],
    ['a tab in an argument', header.replace('-> X25519 ', '-> X25519\t')],
    ['no stanza', header.replace(/-> [^]*?\n---/, '---')],
    ['a MAC line without a space', header.replace('--- ', '---')],
    ['a padded body', header.replace(/(-> X25519 \S+\n)(\S+)\n/, '$1$2=\n')],
    ['an extra X25519 argument', header.replace(/(-> X25519 \S+)\n/, '$1 extra\n')],
  ])('refuses %s as a header failure', (_, h) => {
    expect(h).not.toBe(header);
    expect(reopen(h)).toBe('header');
  });

  it('refuses a stanza body that is not 32 bytes before trying to decrypt it', () => {
    const h = header.replace(/(-> X25519 \S+\n)(\S+)\n/, (_, a: string, b: string) => `${a}${b.slice(0, 40)}\n`);
    expect(reopen(h)).toBe('header');
  });

  it('refuses non-age input', () => {
    expect(failure(() => openAgeFile([keys.identity], utf8('hello'), { provider }))).toBe('header');
  });
});

describe('age payload canonical form', () => {
  const fileKey = randomBytes(16);
  const nonce = randomBytes(16);
  const key = hkdf('SHA-256', fileKey, nonce, utf8('payload'), 32);
  const chacha = aead('ChaCha20-Poly1305');
  const chunk = (i: number, last: boolean, pt: Uint8Array): Uint8Array => {
    const n = new Uint8Array(12);
    n[10] = i;
    n[11] = last ? 1 : 0;
    return chacha.seal(key, n, new Uint8Array(0), pt);
  };

  it('accepts a full final chunk and an empty lone chunk', () => {
    const full = randomBytes(CHUNK);
    expect(decryptPayload(fileKey, concatBytes(nonce, chunk(0, true, full)))).toEqual(full);
    expect(decryptPayload(fileKey, concatBytes(nonce, chunk(0, true, new Uint8Array(0))))).toEqual(new Uint8Array(0));
  });

  it('refuses an empty final chunk after a full one, a missing last flag, a last flag too early', () => {
    const full = randomBytes(CHUNK);
    const fail = (p: Uint8Array): string => failure(() => decryptPayload(fileKey, p));
    expect(fail(concatBytes(nonce, chunk(0, false, full), chunk(1, true, new Uint8Array(0))))).toBe('payload');
    expect(fail(concatBytes(nonce, chunk(0, false, full)))).toBe('payload');
    expect(fail(concatBytes(nonce, chunk(0, true, full), chunk(1, true, utf8('x'))))).toBe('payload');
    expect(fail(concatBytes(nonce, chunk(0, false, utf8('short'))))).toBe('payload');
    expect(fail(nonce)).toBe('payload');
  });
});

describe('age armor', () => {
  const provider = testProviders()[0]!;
  const keys = x25519Keys();
  const file = sealAgeFile([keys.recipient], randomBytes(100), { provider });
  const armored = armorAgeFile(file);
  const dearmor = (t: string): string => failure(() => dearmorAgeFile(utf8(t)));

  it('round-trips, tolerates whitespace around the block and CRLF line ends', () => {
    expect(armored.startsWith('-----BEGIN AGE ENCRYPTED FILE-----\n')).toBe(true);
    expect(armored.endsWith('\n-----END AGE ENCRYPTED FILE-----\n')).toBe(true);
    expect(dearmorAgeFile(utf8(armored))).toEqual(file);
    expect(dearmorAgeFile(utf8(` \n\t${armored}\n  \n`))).toEqual(file);
    expect(dearmorAgeFile(utf8(armored.replaceAll('\n', '\r\n')))).toEqual(file);
    expect(dearmorAgeFile(utf8(armored.slice(0, -1)))).toEqual(file);
    expect(isAgeFile(utf8(`\n${armored}`))).toBe(true);
    expect(openAgeFile([keys.identity], utf8(armored), { provider })).toEqual(openAgeFile([keys.identity], file, { provider }));
  });

  const lines = armored.trimEnd().split('\n');
  it.each([
    ['text before the block', `x${armored}`],
    ['text after the block', `${armored}x\n`],
    ['a short inner line', [lines[0], lines[1]!.slice(0, 60), lines[1]!.slice(60), ...lines.slice(2)].join('\n')],
    ['a long line', [lines[0], lines[1]! + lines[2]!.slice(0, 4), lines[2]!.slice(4), ...lines.slice(3)].join('\n')],
    ['a PEM header', [lines[0], 'Version: 1', '', ...lines.slice(1)].join('\n')],
    ['a space at the end of a line', [lines[0], `${lines[1]!} `, ...lines.slice(2)].join('\n')],
    ['mixed line ends', armored.replace('\n', '\r\n')],
    ['a lowercase label', armored.replace('BEGIN AGE', 'BEGIN age')],
    ['no END line', lines.slice(0, -1).join('\n')],
    ['an empty block', '-----BEGIN AGE ENCRYPTED FILE-----\n-----END AGE ENCRYPTED FILE-----\n'],
  ])('refuses %s as an armor failure', (_, t) => {
    expect(dearmor(t)).toBe('armor');
  });

  it('refuses non-canonical base64 (non-zero padding bits, missing padding)', () => {
    const one = armorAgeFile(Uint8Array.of(0x61));
    expect(one).toContain('YQ==');
    expect(dearmor(one.replace('YQ==', 'YR=='))).toBe('armor');
    expect(dearmor(one.replace('YQ==', 'YQ'))).toBe('armor');
  });
});

describe('age identity files', () => {
  it('reads identities between comments and blank lines, LF or CRLF', () => {
    const a = encodeAgeX25519Identity(randomBytes(32));
    const b = encodeAgeIdentity(randomBytes(32));
    const ids = parseAgeIdentityFile(`# created: now\r\n${a}\r\n\n# public key: age1...\n${b}\n`);
    expect(ids.map((i) => i.type)).toEqual(['X25519', 'mlkem768x25519']);
  });

  it('refuses a file without identities or with another line, without quoting it', () => {
    expect(() => parseAgeIdentityFile('# nothing\n')).toThrow(expect.objectContaining({ code: 'OV_KEY_INVALID' }));
    const secret = encodeAgeX25519Identity(randomBytes(32));
    try {
      parseAgeIdentityFile(`${secret}x\n`);
      expect.unreachable();
    } catch (e) {
      expect(isVaultError(e, 'OV_KEY_INVALID')).toBe(true);
      expect(JSON.stringify((e as VaultError).detail) + String(e)).not.toContain(secret.slice(20));
    }
  });

  it('parses both recipient types and refuses the wrong case', () => {
    const pk = x25519Keygen().publicKey;
    const r = encodeAgeX25519Recipient(pk);
    expect(r.startsWith('age1')).toBe(true);
    expect(parseAgeRecipient(r)).toEqual({ type: 'X25519', publicKey: pk });
    expect(() => parseAgeRecipient(r.toUpperCase())).toThrow(expect.objectContaining({ code: 'OV_KEY_INVALID' }));
    expect(() => parseAgeIdentity(encodeAgeX25519Identity(pk).toLowerCase())).toThrow(expect.objectContaining({ code: 'OV_KEY_INVALID' }));
  });
});

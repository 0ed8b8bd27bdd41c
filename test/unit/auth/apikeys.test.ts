import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  API_KEY_LENGTH,
  authenticateApiKey,
  generateApiKey,
  parseApiKey,
  rotateApiKey,
  verifyApiKey,
} from '../../../src/auth/apikeys.js';
import { ARGON2_FLOOR, parsePhc } from '../../../src/crypto/argon2.js';
import { isVaultError, type ErrorCode } from '../../../src/errors.js';
import { openStorage, type Storage } from '../../../src/storage/index.js';

const FAST = { params: ARGON2_FLOOR, now: 1_700_000_000_000 };
const KEY_RE = /^ovk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/;

function syncCode(fn: () => unknown): ErrorCode | 'none' | 'other' {
  try {
    fn();
    return 'none';
  } catch (e) {
    return isVaultError(e) ? e.code : 'other';
  }
}

async function asyncCode(p: Promise<unknown>): Promise<ErrorCode | 'none' | 'other'> {
  try {
    await p;
    return 'none';
  } catch (e) {
    return isVaultError(e) ? e.code : 'other';
  }
}

/** Changes the base64url character at `i` of `key` to the one whose 6-bit value is XORed with `bits`. */
function flipChar(key: string, i: number, bits: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const v = alphabet.indexOf(key[i]!);
  return key.slice(0, i) + alphabet[v ^ bits]! + key.slice(i + 1);
}

describe('generateApiKey', () => {
  it('returns a key in the documented format and a record holding only its hash', async () => {
    const { key, record } = await generateApiKey('operator', 'app/', 'ci deploy', FAST);
    expect(key).toMatch(KEY_RE);
    expect(key.length).toBe(API_KEY_LENGTH);
    expect(API_KEY_LENGTH).toBe(64);
    expect(key.slice(4, 20)).toBe(record.id);
    expect(record).toEqual({
      id: record.id,
      hash: record.hash,
      role: 'operator',
      scope: 'app',
      label: 'ci deploy',
      createdAt: FAST.now,
      rotatedAt: null,
    });
    expect(parsePhc(record.hash)?.params).toEqual(ARGON2_FLOOR);
    expect(record.hash).not.toContain(key.slice(21));
    expect(parseApiKey(key).secret.length).toBe(32);
  });

  it('uses the default argon2id parameters unless told otherwise', async () => {
    const { record } = await generateApiKey('admin', '*', 'root');
    expect(record.hash).toMatch(/^\$argon2id\$v=19\$m=49152,t=2,p=1\$/);
  });

  it('gives every key a different id and secret', async () => {
    const a = await generateApiKey('reader', '*', 'a', FAST);
    const b = await generateApiKey('reader', '*', 'a', FAST);
    expect(a.record.id).not.toBe(b.record.id);
    expect(a.key.slice(21)).not.toBe(b.key.slice(21));
  });

  it('rejects an unknown role, an invalid scope and a bad label with OV_INVALID_ARGUMENT', async () => {
    const cases: Array<[string, string, string]> = [
      ['root', '*', 'x'],
      ['Admin', '*', 'x'],
      ['admin', '', 'x'],
      ['admin', 'a/../b', 'x'],
      ['admin', 'apple*', 'x'],
      ['admin', '*', ''],
      ['admin', '*', 'line\nbreak'],
      ['admin', '*', 'bidi\u202eflip'],
      ['admin', '*', 'x'.repeat(129)],
    ];
    for (const [role, scope, label] of cases) {
      expect(await asyncCode(generateApiKey(role as 'admin', scope, label, FAST)), `${role} ${scope} ${label}`).toBe(
        'OV_INVALID_ARGUMENT',
      );
    }
    expect((await generateApiKey('admin', '*', 'x'.repeat(128), FAST)).record.label.length).toBe(128);
    // Unknown or malformed options are refused too, not ignored.
    const typo = { ...FAST, param: ARGON2_FLOOR } as unknown as typeof FAST;
    expect(await asyncCode(generateApiKey('admin', '*', 'x', typo))).toBe('OV_INVALID_ARGUMENT');
    expect(await asyncCode(generateApiKey('admin', '*', 'x', { ...FAST, now: 1.5 }))).toBe('OV_INVALID_ARGUMENT');
    const { record } = await generateApiKey('admin', '*', 'x', FAST);
    expect(await asyncCode(rotateApiKey(record, typo))).toBe('OV_INVALID_ARGUMENT');
    expect(await asyncCode(rotateApiKey({ ...record, id: 'NOT-AN-ID' }, FAST))).toBe('OV_INVALID_ARGUMENT');
  });
});

describe('parseApiKey', () => {
  let key = '';
  beforeEach(async () => {
    ({ key } = await generateApiKey('reader', '*', 'parse', FAST));
  });

  it('splits a valid key into its id and 32 secret bytes', () => {
    const parsed = parseApiKey(key);
    expect(parsed.id).toBe(key.slice(4, 20));
    expect(Buffer.from(parsed.secret).toString('base64url')).toBe(key.slice(21));
  });

  it('rejects every malformed variant with OV_AUTH_INVALID', () => {
    const id = key.slice(4, 20);
    const sec = key.slice(21);
    const variants = [
      '',
      'ovk_',
      key.slice(0, -1),
      key + 'A',
      key + '=',
      key + '\n',
      ' ' + key,
      key + ' ',
      `OVK_${id}_${sec}`,
      `ovk-${id}_${sec}`,
      `ovx_${id}_${sec}`,
      `ovk_${id}-${sec}`,
      `ovk_A${id.slice(1)}_${sec}`, // uppercase hex
      `ovk_${id.slice(1)}_${sec}A`, // 15-hex id, 44-char secret
      `ovk_${id}A_${sec.slice(1)}`, // 17-char id
      `ovk_${'g'.repeat(16)}_${sec}`,
      `ovk_${id}_${sec.slice(0, 42)}+`,
      `ovk_${id}_${sec.slice(0, 42)}/`,
      `ovk_${id}_${sec.slice(0, 41)}A=`,
      `ovk_${id}_${sec.slice(0, 42)}\u00e9`,
      `ovk_${id}_${'\u0410'.repeat(43)}`, // Cyrillic A
      flipChar(key, key.length - 1, 1), // same bytes, non-canonical last character
      flipChar(key, key.length - 1, 2),
      key.repeat(2),
      'x'.repeat(1_000_000),
    ];
    for (const v of variants) {
      expect(v === key).toBe(false);
      expect(syncCode(() => parseApiKey(v)), JSON.stringify(v.slice(0, 80))).toBe('OV_AUTH_INVALID');
    }
    const notStrings: unknown[] = [undefined, null, 42, {}, Buffer.from(key)];
    for (const v of notStrings) {
      expect(syncCode(() => parseApiKey(v as string))).toBe('OV_AUTH_INVALID');
    }
  });

  it('uses one message for every failure', () => {
    const messages = new Set<string>();
    for (const v of ['', key.slice(1), flipChar(key, key.length - 1, 1), `ovk_${'g'.repeat(16)}_${key.slice(21)}`]) {
      try {
        parseApiKey(v);
      } catch (e) {
        messages.add(`${(e as Error).message}|${JSON.stringify((e as { detail?: unknown }).detail)}`);
      }
    }
    expect([...messages]).toEqual(['invalid credentials|undefined']);
  });
});

describe('verifyApiKey and rotateApiKey', () => {
  it('accepts the key and refuses any other', async () => {
    const { key, record } = await generateApiKey('reader', 'app', 'v', FAST);
    const other = await generateApiKey('reader', 'app', 'v', FAST);
    expect(await verifyApiKey(record, key)).toBe(true);
    expect(await verifyApiKey(record, other.key)).toBe(false);
    // The right secret under another id, and a one-bit change of the secret.
    expect(await verifyApiKey(record, `ovk_${other.record.id}_${key.slice(21)}`)).toBe(false);
    expect(await verifyApiKey(record, flipChar(key, 30, 1))).toBe(false);
    expect(await verifyApiKey(record, 'garbage')).toBe(false);
  });

  it('rotation keeps the id and metadata, and the old secret stops verifying', async () => {
    const first = await generateApiKey('operator', 'app/db', 'rot', FAST);
    const second = await rotateApiKey(first.record, { ...FAST, now: FAST.now + 5 });
    expect(second.record.id).toBe(first.record.id);
    expect(second.key.slice(0, 21)).toBe(first.key.slice(0, 21));
    expect(second.key).not.toBe(first.key);
    expect(second.record).toEqual({ ...first.record, hash: second.record.hash, rotatedAt: FAST.now + 5 });
    expect(second.record.hash).not.toBe(first.record.hash);
    expect(await verifyApiKey(second.record, second.key)).toBe(true);
    expect(await verifyApiKey(second.record, first.key)).toBe(false);
    expect(await verifyApiKey(first.record, second.key)).toBe(false);
  });

  it('a stored hash asking for 4 GiB is refused with OV_ARGON2_PARAMS before hashing', async () => {
    const { key, record } = await generateApiKey('reader', '*', 'cap', FAST);
    const tampered = { ...record, hash: record.hash.replace('m=19456', `m=${4 * 1024 * 1024}`) };
    expect(await asyncCode(verifyApiKey(tampered, key))).toBe('OV_ARGON2_PARAMS');
  });
});

describe('authenticateApiKey against the SQLite key store', () => {
  let dir = '';
  let storage: Storage;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ov-apikeys-'));
    storage = openStorage(join(dir, 'vault.db'));
  });
  afterEach(() => {
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('returns the record for the right key and OV_AUTH_INVALID for every failure', async () => {
    const { key, record } = await generateApiKey('admin', 'app', 'auth', FAST);
    storage.apiKeys.insert(record);
    expect(await authenticateApiKey(storage.apiKeys, key)).toEqual(record);

    const unknown = await generateApiKey('admin', 'app', 'auth', FAST);
    const rotated = await rotateApiKey(record, FAST);
    const failures = [unknown.key, 'ovk_nope', flipChar(key, 40, 4)];
    for (const k of failures) expect(await asyncCode(authenticateApiKey(storage.apiKeys, k))).toBe('OV_AUTH_INVALID');

    expect(storage.apiKeys.updateHash(record.id, rotated.record.hash, FAST.now)).toBe(true);
    expect(await asyncCode(authenticateApiKey(storage.apiKeys, key))).toBe('OV_AUTH_INVALID');
    expect((await authenticateApiKey(storage.apiKeys, rotated.key)).id).toBe(record.id);

    expect(storage.apiKeys.delete(record.id)).toBe(true);
    expect(await asyncCode(authenticateApiKey(storage.apiKeys, rotated.key))).toBe('OV_AUTH_INVALID');
  });
});

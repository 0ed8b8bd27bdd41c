/**
 * The sealed-records layer on a real keyring and SQLite file: seal/open round trips for
 * both binding kinds (secret versions, validator keys), the refusals that must hold for
 * both (another binding, a planted envelope signed by a foreign key, an unsigned one, a
 * recorded KEM version that disagrees with the envelope, a KEM version below the minimum
 * decryption version), the one signing-key rule, `needsRewrap`, and the rewrap loop over
 * the real secrets store: a compare-and-swap conflict, a crash mid-run and the resume.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes, utf8 } from '../../../src/crypto/bytes.js';
import { selectProvider } from '../../../src/crypto/provider.js';
import { generateKey, seal as sealEnvelope, type PublicKeyInfo } from '../../../src/envelope/index.js';
import { VaultError, type ErrorCode } from '../../../src/errors.js';
import {
  Keyring,
  SealedRecords,
  rewrapAll,
  rewrapBatch,
  vaultSigner,
  type RewrapProgress,
  type RewrapSource,
  type SealedBinding,
} from '../../../src/keyring/index.js';
import { SecretService, secretBinding, secretRewrapSource } from '../../../src/secrets/index.js';
import type { SecretCursor } from '../../../src/storage/secrets-types.js';
import { openStorage, type SqliteStorageHandle } from '../../../src/storage/sqlite.js';
import { validatorKeyBinding } from '../../../src/validators/index.js';
import { tempDir } from '../storage/helpers.js';

const provider = selectProvider();
const T0 = 1_700_000_000_000;

function expectCode(fn: () => unknown, code: ErrorCode): VaultError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(VaultError);
  expect((caught as VaultError).code).toBe(code);
  return caught as VaultError;
}

const KINDS: readonly { name: string; binding: SealedBinding; other: SealedBinding; code: ErrorCode }[] = [
  {
    name: 'secret version',
    binding: secretBinding({ path: 'app/db', version: 3, kind: 'data' }),
    other: secretBinding({ path: 'app/db', version: 4, kind: 'data' }),
    code: 'OV_SECRET_UNREADABLE',
  },
  {
    name: 'validator key',
    binding: validatorKeyBinding('slot-a', '7c9e6679-7425-40de-944b-e07fc1f90ae7'),
    other: validatorKeyBinding('slot-b', '7c9e6679-7425-40de-944b-e07fc1f90ae7'),
    code: 'OV_VALIDATOR_UNREADABLE',
  },
];

describe('sealed records', () => {
  let cleanup: () => void;
  let storage: SqliteStorageHandle;
  let keyring: Keyring;
  let current: Keyring | undefined;
  let sealed: SealedRecords;

  beforeEach(() => {
    let dir: string;
    ({ dir, cleanup } = tempDir());
    storage = openStorage(join(dir, 'vault.db'));
    keyring = Keyring.create(storage, provider, randomBytes(32), { now: T0, falcon: true });
    current = keyring;
    sealed = new SealedRecords({ provider, keyring: () => current, signature: 'ML-DSA-65' });
  });
  afterEach(() => {
    keyring.wipe();
    storage.close();
    cleanup();
  });

  function kemPublic(): PublicKeyInfo {
    const kem = keyring.current('kem');
    return { kind: 'kem-public', alg: kem.alg, keyVersion: kem.keyVersion, keyId: kem.keyId, publicKey: kem.publicKey };
  }

  for (const k of KINDS) {
    describe(k.name, () => {
      it('round-trips, and the row is sealed under the current KEM key version', () => {
        const secret = utf8('the value');
        const row = sealed.seal(k.binding, secret);
        expect(row.kemVersion).toBe(1);
        expect(sealed.open(k.binding, row)).toEqual(secret);
      });

      it('a row moved to another binding does not open', () => {
        const row = sealed.seal(k.binding, utf8('the value'));
        expectCode(() => sealed.open(k.other, row), k.code);
      });

      it('a planted envelope signed by a foreign key, or not signed, does not open', () => {
        const foreign = generateKey(provider, 'ML-DSA-65', { keyVersion: 1 });
        const plaintext = utf8('planted');
        const signedByOther = sealEnvelope(provider, { to: kemPublic(), plaintext, context: k.binding.context, sign: foreign });
        expectCode(() => sealed.open(k.binding, { envelope: signedByOther, kemVersion: 1 }), k.code);
        const unsigned = sealEnvelope(provider, { to: kemPublic(), plaintext, context: k.binding.context });
        expectCode(() => sealed.open(k.binding, { envelope: unsigned, kemVersion: 1 }), k.code);
        // The same envelope signed by the vault's own key opens: the signer is what was refused.
        const own = sealEnvelope(provider, { to: kemPublic(), plaintext, context: k.binding.context, sign: keyring.current('sign') });
        expect(sealed.open(k.binding, { envelope: own, kemVersion: 1 })).toEqual(plaintext);
      });

      it('a recorded KEM version that disagrees with the envelope does not open', () => {
        const row = sealed.seal(k.binding, utf8('the value'));
        keyring.rotate('kem', T0);
        expectCode(() => sealed.open(k.binding, { envelope: row.envelope, kemVersion: 2 }), k.code);
        expect(sealed.open(k.binding, row)).toEqual(utf8('the value'));
      });

      it('a KEM key version below the minimum decryption version does not open', () => {
        const row = sealed.seal(k.binding, utf8('the value'));
        keyring.rotate('kem', T0);
        expect(sealed.needsRewrap(row)).toBe(true);
        keyring.setMinDecryptVersion('kem', 2);
        expectCode(() => sealed.open(k.binding, row), k.code);
        const fresh = sealed.seal(k.binding, utf8('the value'));
        expect(fresh.kemVersion).toBe(2);
        expect(sealed.needsRewrap(fresh)).toBe(false);
        expect(sealed.open(k.binding, fresh)).toEqual(utf8('the value'));
      });

      it('a sealed vault keeps OV_SEALED', () => {
        const row = sealed.seal(k.binding, utf8('the value'));
        current = undefined;
        expectCode(() => sealed.open(k.binding, row), 'OV_SEALED');
        expectCode(() => sealed.seal(k.binding, utf8('x')), 'OV_SEALED');
      });
    });
  }

  it('signs with ML-DSA-65 by default, Falcon-512 when configured, ML-DSA-65 when configured for Falcon without the key', () => {
    expect(vaultSigner(keyring, 'ML-DSA-65').alg).toBe('ML-DSA-65');
    expect(vaultSigner(keyring, 'Falcon-512-r3').alg).toBe('Falcon-512-r3');
    const falcon = new SealedRecords({ provider, keyring: () => keyring, signature: 'Falcon-512-r3' });
    const b = KINDS[0]?.binding as SealedBinding;
    // Opening accepts any of the vault's signature keys, whichever signed.
    expect(sealed.open(b, falcon.seal(b, utf8('f')))).toEqual(utf8('f'));

    const { dir, cleanup: done } = tempDir();
    const other = openStorage(join(dir, 'vault.db'));
    const plain = Keyring.create(other, provider, randomBytes(32), { now: T0 });
    try {
      expect(vaultSigner(plain, 'Falcon-512-r3').alg).toBe('ML-DSA-65');
    } finally {
      plain.wipe();
      other.close();
      done();
    }
  });

  describe('the rewrap loop', () => {
    let svc: SecretService;

    beforeEach(() => {
      svc = new SecretService({ storage, provider, keyring: () => current, signature: 'ML-DSA-65', now: () => T0, sealed });
      for (let i = 0; i < 6; i++) svc.put(`r/${String(i)}`, { kind: 'data', data: { v: String(i) } });
      keyring.rotate('kem', T0);
    });

    const readAll = (): string[] => Array.from({ length: 6 }, (_, i) => new TextDecoder().decode(svc.get(`r/${String(i)}`).plaintext));

    it('re-seals in batches and reports progress; a second run has nothing to do', () => {
      const progress: RewrapProgress[] = [];
      const r = rewrapAll(sealed, secretRewrapSource(svc), { batchSize: 4, onProgress: (p) => progress.push(p) });
      expect(r).toEqual({ rewrapped: 6, failed: 0, skipped: 0, remaining: 0, keyVersion: 2, done: true });
      expect(progress).toEqual([
        { rewrapped: 4, failed: 0, skipped: 0 },
        { rewrapped: 6, failed: 0, skipped: 0 },
      ]);
      keyring.setMinDecryptVersion('kem', 2);
      expect(readAll()).toEqual(['{"v":"0"}', '{"v":"1"}', '{"v":"2"}', '{"v":"3"}', '{"v":"4"}', '{"v":"5"}']);
      expect(rewrapAll(sealed, secretRewrapSource(svc))).toMatchObject({ rewrapped: 0, remaining: 0, done: true });
    });

    it('leaves a row that changed between read and commit to its writer (compare-and-swap)', () => {
      const real = secretRewrapSource(svc);
      const racing: RewrapSource<SecretCursor> = {
        ...real,
        stale: (kemVersion, after, limit) => {
          const rows = real.stale(kemVersion, after, limit);
          // A concurrent writer destroys r/1 after the batch read it.
          storage.secrets.destroyVersion('r/1', 1);
          return rows;
        },
      };
      const r = rewrapBatch(sealed, racing, { batchSize: 10 });
      expect(r).toMatchObject({ rewrapped: 5, failed: 0, skipped: 1, end: true, keyVersion: 2 });
      expect(storage.secrets.getVersion('r/1', 1)?.envelope).toBeNull();
      expect(storage.secrets.countStale(2)).toBe(0);
    });

    it('a crash mid-run keeps the committed batches; the next run resumes from the data', () => {
      let batches = 0;
      expect(() =>
        rewrapAll(sealed, secretRewrapSource(svc), {
          batchSize: 2,
          beforeCommit: () => {
            batches++;
            if (batches === 2) throw new Error('crash');
          },
        }),
      ).toThrow('crash');
      expect(storage.secrets.countStale(2)).toBe(4);
      const r = rewrapAll(sealed, secretRewrapSource(svc), { batchSize: 2, maxRows: 2 });
      expect(r).toMatchObject({ rewrapped: 2, remaining: 2, done: false });
      expect(rewrapAll(sealed, secretRewrapSource(svc), { batchSize: 2 })).toMatchObject({ rewrapped: 2, remaining: 0, done: true });
      keyring.setMinDecryptVersion('kem', 2);
      expect(readAll()).toHaveLength(6);
    });

    it('counts a row that does not open as failed and leaves it stale', () => {
      // Plant another row's envelope in r/0: its binding no longer matches.
      const moved = storage.secrets.getVersion('r/2', 1)?.envelope as Uint8Array;
      const mine = storage.secrets.getVersion('r/0', 1)?.envelope as Uint8Array;
      expect(storage.secrets.replaceEnvelope('r/0', 1, mine, moved, 1)).toBe(true);
      const r = rewrapAll(sealed, secretRewrapSource(svc));
      expect(r).toMatchObject({ rewrapped: 5, failed: 1, remaining: 1, done: false });
    });
  });
});

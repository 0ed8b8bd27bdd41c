/**
 * The key rotation service over both real stores of sealed rows (secret versions and
 * validator keys on one SQLite file): raising the KEM minimum decryption version is
 * refused while either store still holds a row below it, rewrap works through both
 * within one budget and resumes, and only `kem` rewraps.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { randomBytes } from '../../../src/crypto/bytes.js';
import { selectProvider } from '../../../src/crypto/provider.js';
import { VaultError, type ErrorCode } from '../../../src/errors.js';
import { KeyRotation, Keyring } from '../../../src/keyring/index.js';
import { SecretService, secretRewrapSource } from '../../../src/secrets/index.js';
import { openStorage, type SqliteStorageHandle } from '../../../src/storage/sqlite.js';
import { ValidatorService } from '../../../src/validators/index.js';
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

describe('key rotation', () => {
  let cleanup: () => void;
  let storage: SqliteStorageHandle;
  let keyring: Keyring;
  let secrets: SecretService;
  let validators: ValidatorService;
  let rotation: KeyRotation;

  beforeEach(async () => {
    let dir: string;
    ({ dir, cleanup } = tempDir());
    storage = openStorage(join(dir, 'vault.db'));
    keyring = Keyring.create(storage, provider, randomBytes(32), { now: T0 });
    const deps = { storage, provider, keyring: () => keyring, signature: 'ML-DSA-65' as const, now: () => T0 };
    secrets = new SecretService(deps);
    validators = new ValidatorService({ ...deps, sealed: secrets.sealed });
    rotation = new KeyRotation({ sealed: secrets.sealed, now: () => T0, sources: () => [validators.rewrapSource(), secretRewrapSource(secrets)] });
    secrets.put('a/one', { kind: 'data', data: { v: '1' } });
    secrets.put('a/two', { kind: 'data', data: { v: '2' } });
    await validators.create({ name: 'sol', chain: 'solana', format: 'generate' });
  });
  afterEach(() => {
    keyring.wipe();
    storage.close();
    cleanup();
  });

  it('refuses to retire a KEM version while either store holds a row under it, until rewrapped', async () => {
    expect(rotation.rotate('kem').version).toBe(2);
    expect(expectCode(() => rotation.setMinDecryptVersion('kem', 2), 'OV_REWRAP_REQUIRED').detail).toEqual({ remaining: 3 });

    // One row per call: the validator key goes first, then the secret versions.
    const first = rotation.rewrap('kem', { maxVersions: 1 });
    expect(first).toEqual({ rewrapped: 1, failed: 0, remaining: 2, keyVersion: 2, done: false });
    expect(validators.countStale(2)).toBe(0);
    expect(expectCode(() => rotation.setMinDecryptVersion('kem', 2), 'OV_REWRAP_REQUIRED').detail).toEqual({ remaining: 2 });

    expect(rotation.rewrap('kem', { batchSize: 1 })).toEqual({ rewrapped: 2, failed: 0, remaining: 0, keyVersion: 2, done: true });
    expect(rotation.setMinDecryptVersion('kem', 2)).toMatchObject({ name: 'kem', latestVersion: 2, minDecryptVersion: 2 });
    expect(new TextDecoder().decode(secrets.get('a/two').plaintext)).toBe('{"v":"2"}');
    expect((await validators.export('sol', { format: 'solana' })).files['keypair.json']).toBeDefined();
  });

  it('retires other keys without a rewrap, and rewraps only kem', () => {
    rotation.rotate('sign');
    expect(rotation.setMinDecryptVersion('sign', 2)).toMatchObject({ name: 'sign', minDecryptVersion: 2 });
    expectCode(() => rotation.rewrap('sign'), 'OV_INVALID_ARGUMENT');
    expect(rotation.policies().map((p) => p.name)).toEqual(['kem', 'sign', 'token', 'audit']);
  });
});

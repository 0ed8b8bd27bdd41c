/**
 * Fixtures for the validator service tests: a real SQLite file in a temp dir, a keyring
 * created on it, the service over both, and fast key files of every chain (EIP-2335 with
 * scrypt n = 2^10 so the suite does not spend its time in the KDF).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { randomBytes } from '../../../src/crypto/bytes.js';
import { selectProvider } from '../../../src/crypto/provider.js';
import { VaultError, type ErrorCode } from '../../../src/errors.js';
import { Keyring } from '../../../src/keyring/index.js';
import { openStorage, type SqliteStorageHandle } from '../../../src/storage/sqlite.js';
import { exportCosmosKey, exportSolanaKeypair, encryptKeystore, generateKey, type Chain, type ValidatorKey } from '../../../src/validators/index.js';
import { ValidatorService, type ValidatorServiceDeps } from '../../../src/validators/service.js';

export const provider = selectProvider();
export const T0 = Date.UTC(2030, 0, 1);

export interface ServiceFixture {
  readonly dir: string;
  readonly storage: SqliteStorageHandle;
  readonly keyring: Keyring;
  readonly service: ValidatorService;
  readonly clock: { t: number };
  cleanup(): void;
}

export function makeService(opts: { falcon?: boolean; signature?: ValidatorServiceDeps['signature'] } = {}): ServiceFixture {
  const dir = mkdtempSync(join(tmpdir(), 'ov-validators-'));
  const storage = openStorage(join(dir, 'vault.db'));
  const clock = { t: T0 };
  const keyring = Keyring.create(storage, provider, randomBytes(32), { now: T0, falcon: opts.falcon === true });
  const service = new ValidatorService({
    storage,
    provider,
    keyring: () => keyring,
    signature: opts.signature ?? 'ML-DSA-65',
    now: () => clock.t,
    concurrency: 2,
    exportKdf: { kdf: 'scrypt', scryptN: 2 ** 10 },
  });
  return {
    dir,
    storage,
    keyring,
    service,
    clock,
    cleanup() {
      keyring.wipe();
      storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A fresh random key and its file for `chain` (EIP-2335 keystores use scrypt n = 2^10). */
export async function keyFile(chain: Chain, password = 'correct horse battery'): Promise<{ key: ValidatorKey; file: string }> {
  const key = generateKey(chain);
  if (chain === 'ethereum') return { key, file: await encryptKeystore(key, password, { kdf: 'scrypt', scryptN: 2 ** 10 }) };
  if (chain === 'cosmos') return { key, file: exportCosmosKey(key) };
  return { key, file: exportSolanaKeypair(key) };
}

export async function expectRejects(p: Promise<unknown>, code: ErrorCode): Promise<VaultError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(VaultError);
  expect((caught as VaultError).code).toBe(code);
  return caught as VaultError;
}

export function expectThrows(fn: () => unknown, code: ErrorCode): VaultError {
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

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

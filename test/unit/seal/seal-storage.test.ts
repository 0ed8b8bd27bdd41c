/**
 * The seal over the real SQLite MetaStore: what initialise writes survives closing and
 * reopening the database, and a new SealManager unseals it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SealManager } from '../../../src/seal/index.js';
import { openStorage } from '../../../src/storage/index.js';
import { TEST_KDF, vaultError } from './helpers.js';

describe('seal over SQLite storage', () => {
  it('survives a restart: initialise, close, reopen, unseal to the same root key', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ov-seal-db-'));
    try {
      const path = join(dir, 'data', 'vault.db');
      let storage = openStorage(path);
      const first = new SealManager(storage.meta);
      const r = await first.initialise({ mode: 'shamir', shares: 4, threshold: 2 });
      const rootKey = first.rootKey();
      first.seal();
      storage.close();
      if (r.mode !== 'shamir') throw new Error('unexpected mode');

      storage = openStorage(path);
      const second = new SealManager(storage.meta);
      expect(second.status()).toEqual({ initialized: true, sealed: true, mode: 'shamir', t: 2, n: 4, progress: 0, nonce: '' });
      await second.submitShare(r.shares[3]!);
      await second.submitShare(r.shares[1]!);
      expect(second.rootKey()).toEqual(rootKey);
      await vaultError(second.initialise({ mode: 'shamir' }), 'OV_ALREADY_INITIALIZED');
      storage.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('unseals a passphrase vault after a restart and refuses a wrong passphrase', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ov-seal-db-'));
    try {
      const path = join(dir, 'vault.db');
      let storage = openStorage(path);
      const first = new SealManager(storage.meta);
      await first.initialise({ mode: 'passphrase', passphrase: 'correct horse battery staple', kdf: TEST_KDF });
      const rootKey = first.rootKey();
      storage.close();

      storage = openStorage(path);
      const second = new SealManager(storage.meta);
      await vaultError(second.unsealWithPassphrase('correct horse battery stable'), 'OV_UNSEAL_FAILED');
      await second.unsealWithPassphrase('correct horse battery staple');
      expect(second.rootKey()).toEqual(rootKey);
      storage.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/**
 * createVault, the composition root, over a real vault in a temp dir: the keyring
 * follows the seal, the session store can still be loading (whoever needs it waits;
 * a stop fails the waiters), and close seals with a signed audit checkpoint.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { selectProvider } from '../../src/crypto/provider.js';
import { isVaultError } from '../../src/errors.js';
import { setupVault, type SetupResult } from '../../src/setup.js';
import { openStorage } from '../../src/storage/index.js';
import type { Storage } from '../../src/storage/types.js';
import { createVault, type Vault } from '../../src/vault.js';
import { testConfig } from './http/helpers.js';

const T0 = Date.UTC(2030, 0, 1);

describe('createVault', () => {
  const provider = selectProvider('noble');
  let dir = '';
  let setup: SetupResult;
  let storage: Storage;
  let vault: Vault;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ov-vault-'));
    setup = await setupVault({ dataDir: dir, provider, mode: { shamir: { n: 3, t: 2 } }, now: T0 });
    storage = openStorage(join(dir, 'vault.db'));
    vault = createVault({ config: testConfig(dir), storage, provider, now: () => T0 });
  });
  afterEach(() => {
    vault.close();
    storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const unseal = async (): Promise<void> => {
    for (const share of (setup.shares ?? []).slice(0, 2)) await vault.seal.submitShare(share);
  };

  it('opens the keyring on unseal and wipes it on seal', async () => {
    expect(vault.keyring()).toBeUndefined();
    expect(() => vault.keys.policies()).toThrow(expect.objectContaining({ code: 'OV_SEALED' }) as Error);
    await unseal();
    expect(vault.keyring()?.list().map((k) => k.name)).toContain('token');
    vault.seal.seal();
    expect(vault.keyring()).toBeUndefined();
  });

  it('makes callers that need the session store wait for its load', async () => {
    let got = false;
    const waiting = vault.sessions().then((s) => {
      got = true;
      return s;
    });
    await new Promise((r) => setImmediate(r));
    expect(got).toBe(false);
    expect(vault.loadedSessions()).toBeUndefined();
    const report = await vault.loadSessions();
    expect(report).toBeDefined();
    const store = await waiting;
    expect(vault.loadedSessions()).toBe(store);
    // Loading twice is one load.
    expect(vault.loadSessions()).toBe(vault.loadSessions());
  });

  it('fails the callers still waiting when it stops before the store is loaded', async () => {
    const waiting = vault.sessions().then(
      () => 'loaded',
      (e: unknown) => (isVaultError(e, 'OV_IO') ? 'stopped' : String(e)),
    );
    vault.stop();
    expect(await waiting).toBe('stopped');
    await expect(vault.loadSessions()).rejects.toMatchObject({ code: 'OV_IO' });
  });

  it('seals on close with a signed checkpoint over the chain head', async () => {
    await unseal();
    vault.audit.append({ type: 'sys', detail: { what: 'test' } });
    const before = storage.audit.checkpoints().length;
    vault.close();
    expect(vault.keyring()).toBeUndefined();
    expect(vault.seal.status().sealed).toBe(true);
    const cps = storage.audit.checkpoints();
    expect(cps.length).toBe(before + 1);
    expect(cps.at(-1)?.seq).toBe(storage.audit.last()?.seq);
  });
});

/**
 * startDaemon with `[signer]`: the signer listener comes up on its own port serving only
 * the signer routes (the main listener does not serve them, the signer listener serves
 * nothing of the main API), closes with the daemon, and a non-loopback signer address
 * is refused at start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectProvider } from '../../../src/crypto/provider.js';
import { startDaemon } from '../../../src/daemon.js';
import { isVaultError } from '../../../src/errors.js';
import { setupVault } from '../../../src/setup.js';
import { testConfig } from './helpers.js';

describe('startDaemon with [signer]', () => {
  let dir: string;
  const provider = selectProvider('noble');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ov-signer-daemon-'));
    await setupVault({ dataDir: dir, provider, mode: { keyFile: join(dir, 'unseal.key') }, now: Date.now() });
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the signer routes on their own listener only, and closes it with the daemon', async () => {
    const config = testConfig(dir, { listen: '127.0.0.1:0', seal: { unseal_key_file: 'unseal.key' }, data_dir: '.', signer: { listen: '127.0.0.1:0' } });
    const d = await startDaemon({ config, provider, logger: false, handleSignals: false });
    const signerUrl = d.signerUrl!;
    try {
      expect(signerUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(signerUrl).not.toBe(d.url);
      const up = await fetch(`${signerUrl}/upcheck`);
      expect([up.status, await up.text()]).toEqual([200, 'OK']);
      expect(await (await fetch(`${signerUrl}/api/v1/eth2/publicKeys`)).json()).toEqual([]);
      expect((await fetch(`${signerUrl}/v1/sys/health`)).status).toBe(404);
      expect((await fetch(`${d.url}/api/v1/eth2/publicKeys`)).status).toBe(404);
      expect((await fetch(`${d.url}/upcheck`)).status).toBe(404);
    } finally {
      await d.close();
    }
    await expect(fetch(`${signerUrl}/upcheck`)).rejects.toThrow();
  });

  it('has no signer listener without [signer]', async () => {
    const config = testConfig(dir, { listen: '127.0.0.1:0', data_dir: '.' });
    const d = await startDaemon({ config, provider, logger: false, handleSignals: false });
    try {
      expect(d.signerUrl).toBeUndefined();
    } finally {
      await d.close();
    }
  });

  it('refuses a signer address off loopback before opening anything', async () => {
    const config = testConfig(dir, { listen: '127.0.0.1:0', data_dir: '.', signer: { listen: '0.0.0.0:0' } });
    const err: unknown = await startDaemon({ config, provider, logger: false, handleSignals: false }).catch((e: unknown) => e);
    expect(isVaultError(err, 'OV_TLS_REQUIRED')).toBe(true);
  });
});

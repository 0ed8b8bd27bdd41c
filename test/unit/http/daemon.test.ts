/**
 * startDaemon on a real loopback port: auto-unseal from the configured key file, health
 * 200, a key exchange over HTTP, graceful close, and a restart that keeps the session
 * (sessions persist as digests) and the audit chain.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyringPublicKeys } from '../../../src/keyring/index.js';
import { verifyAudit } from '../../../src/audit/index.js';
import { selectProvider } from '../../../src/crypto/provider.js';
import { startDaemon } from '../../../src/daemon.js';
import { setupVault } from '../../../src/setup.js';
import { openStorage } from '../../../src/storage/index.js';
import { SessionStore } from '../../../src/auth/session-store.js';
import { buildServer } from '../../../src/http/server.js';
import { createVault } from '../../../src/vault.js';
import { bearer, login, makeVault, testConfig, unseal } from './helpers.js';

describe('startDaemon', () => {
  let dir: string;
  let adminKey: string;
  const provider = selectProvider('noble');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ov-daemon-'));
    const setup = await setupVault({ dataDir: dir, provider, mode: { keyFile: join(dir, 'unseal.key') }, now: Date.now() });
    adminKey = readFileSync(setup.adminTokenFile, 'utf8').trim();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('unseals itself from the key file, serves HTTP, closes cleanly, and keeps sessions across a restart', async () => {
    const config = testConfig(dir, { listen: '127.0.0.1:0', seal: { unseal_key_file: 'unseal.key' }, data_dir: '.' });
    const started = performance.now();
    const d1 = await startDaemon({ config, provider, logger: false, handleSignals: false });
    const health = await fetch(`${d1.url}/v1/sys/health`);
    console.log(`daemon ready (health ${health.status}) in ${(performance.now() - started).toFixed(0)} ms`);
    expect(health.status).toBe(200);
    expect(d1.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const t0 = performance.now();
    const ex = await fetch(`${d1.url}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: adminKey }) });
    console.log(`token exchange over HTTP: ${(performance.now() - t0).toFixed(0)} ms`);
    expect(ex.status).toBe(200);
    const { token, id } = (await ex.json()) as { token: string; id: string };
    const self = await fetch(`${d1.url}/v1/sessions/self`, { headers: { authorization: `Bearer ${token}` } });
    expect(self.status).toBe(200);
    await d1.close();
    await d1.closed;
    await d1.close(); // idempotent
    await expect(fetch(`${d1.url}/v1/sys/health`)).rejects.toThrow();

    const d2 = await startDaemon({ config, provider, logger: false, handleSignals: false });
    try {
      const again = await fetch(`${d2.url}/v1/sessions/self`, { headers: { authorization: `Bearer ${token}` } });
      expect(again.status).toBe(200);
      expect(((await again.json()) as { id: string }).id).toBe(id);
    } finally {
      await d2.close();
    }

    // Every request of both runs is in a chain that verifies, with a checkpoint from each seal at shutdown.
    const storage = openStorage(join(dir, 'vault.db'), { readonly: true });
    try {
      const result = verifyAudit(storage, keyringPublicKeys(storage), provider);
      expect(result.ok).toBe(true);
      // setup, then health, exchange, self (first run) and self (second run).
      expect(result.entries).toBe(5);
      // setup, and one per shutdown (sealing signs the head).
      expect(result.checkpoints).toBe(3);
      expect(result.coveredThrough).toBe(5);
    } finally {
      storage.close();
    }
  });

  it('shuts down on SIGTERM, keeping every acknowledged write', async () => {
    const config = testConfig(dir, { listen: '127.0.0.1:0', seal: { unseal_key_file: 'unseal.key' }, data_dir: '.' });
    const d = await startDaemon({ config, provider, logger: false });
    expect(process.listenerCount('SIGTERM')).toBe(1);
    const ex = await fetch(`${d.url}/v1/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: adminKey }) });
    const { id } = (await ex.json()) as { id: string };
    // Delivered as an event: the handler is what a real signal would run.
    process.emit('SIGTERM', 'SIGTERM');
    await d.closed;
    expect(process.listenerCount('SIGTERM')).toBe(0);
    expect(process.listenerCount('SIGINT')).toBe(0);
    await expect(fetch(`${d.url}/v1/sys/health`)).rejects.toThrow();
    const storage = openStorage(join(dir, 'vault.db'), { readonly: true });
    try {
      expect([...storage.sessions.loadAll()].map((s) => s.id)).toContain(id);
      expect(verifyAudit(storage, keyringPublicKeys(storage), provider).ok).toBe(true);
    } finally {
      storage.close();
    }
  });

  it('refuses to start when the configured key file does not unseal the vault', async () => {
    const other = mkdtempSync(join(tmpdir(), 'ov-daemon-other-'));
    try {
      await setupVault({ dataDir: other, provider, mode: { keyFile: join(other, 'unseal.key') }, now: Date.now() });
      const config = testConfig(dir, { listen: '127.0.0.1:0', seal: { unseal_key_file: join(other, 'unseal.key') }, data_dir: '.' });
      await expect(startDaemon({ config, provider, logger: false, handleSignals: false })).rejects.toMatchObject({ code: 'OV_UNSEAL_FAILED' });
      // The database was released: it opens again.
      openStorage(join(dir, 'vault.db')).close();
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe('a session store still loading', () => {
  it('answers health at once; requests that need sessions wait for the load', async () => {
    const v = await makeVault();
    try {
      await unseal(v);
      const { token } = await login(v, v.adminKey as string);
      let finish!: (s: SessionStore) => void;
      const pending = new Promise<SessionStore>((resolve) => {
        finish = resolve;
      });
      // A second vault over the same storage, whose store is still loading.
      const loading = createVault({ config: v.config, storage: v.storage, provider: v.vault.provider, now: () => v.clock.t, sessions: pending });
      for (const share of (v.setup?.shares ?? []).slice(0, 3)) await loading.seal.submitShare(share);
      const app = await buildServer(loading);
      try {
        expect((await app.inject({ method: 'GET', url: '/v1/sys/health' })).statusCode).toBe(200);
        let done = false;
        const self = app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(token) }).then((r) => {
          done = true;
          return r;
        });
        // A token the store does not know waits as well, and is refused once it has loaded.
        const unknown = app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(`${token.slice(0, -4)}AAAA`) });
        await new Promise((r) => setTimeout(r, 50));
        expect(done).toBe(false);
        finish(SessionStore.load(v.storage.sessions, v.clock.t));
        expect((await self).statusCode).toBe(200);
        const refused = await unknown;
        expect(refused.statusCode).toBe(401);
        expect(refused.json<{ error: { code: string } }>().error.code).toBe('OV_AUTH_INVALID');
      } finally {
        await app.close();
        loading.close();
      }
    } finally {
      await v.cleanup();
    }
  });
});

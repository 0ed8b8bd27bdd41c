/**
 * The transport hygiene of the HTTP layer and the TLS daemon: unseal refuses a Host that
 * is not this daemon's (DNS rebinding) and changes nothing; answers carry
 * `Cache-Control: no-store`; X-Forwarded-For counts only from a trusted proxy; the
 * self-description lists the TLS groups; startDaemon with `[tls]` serves HTTPS only and
 * re-reads its certificate (SIGHUP's work) while a bad new file keeps the old one.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectProvider } from '../../../src/crypto/provider.js';
import { startDaemon } from '../../../src/daemon.js';
import { setupVault } from '../../../src/setup.js';
import { generateTlsFiles, type TlsFiles } from '../../../src/tls/certs.js';
import { auditEntries, expectError, login, makeVault, testConfig, unseal, type TestVault } from './helpers.js';

describe('Host check on unauthenticated state changes', () => {
  let v: TestVault;
  beforeAll(async () => {
    v = await makeVault({ config: { api_addr: 'https://vault.example.net:8420' } });
  });
  afterAll(() => v.cleanup());

  it('refuses unseal and unseal reset from another site\'s Host with 421 OV_HOST_REFUSED, changing nothing', async () => {
    const share = v.setup?.shares?.[0] as string;
    for (const host of ['evil.example', 'evil.example:8420', '10.0.0.1:8420', 'localhost.evil.example']) {
      const r = await v.app.inject({ method: 'POST', url: '/v1/sys/unseal', headers: { host }, payload: { share } });
      expectError(r, 421, 'OV_HOST_REFUSED');
      expect(v.vault.seal.status().progress).toBe(0);
      expectError(await v.app.inject({ method: 'POST', url: '/v1/sys/unseal', headers: { host }, payload: { reset: true } }), 421, 'OV_HOST_REFUSED');
    }
  });

  it('accepts loopback names and the api_addr host', async () => {
    const share = v.setup?.shares?.[0] as string;
    for (const host of ['127.0.0.1:8420', 'localhost', '[::1]:8420', 'vault.example.net:8420']) {
      const r = await v.app.inject({ method: 'POST', url: '/v1/sys/unseal', headers: { host }, payload: { share } });
      expect(r.statusCode, r.body).toBe(200);
      expect((await v.app.inject({ method: 'POST', url: '/v1/sys/unseal', headers: { host }, payload: { reset: true } })).statusCode).toBe(200);
    }
  });

  it('marks answers no-store, token exchanges included', async () => {
    await unseal(v);
    const r = await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: v.adminKey } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    expect((await v.app.inject({ method: 'GET', url: '/v1/sys/health' })).headers['cache-control']).toBe('no-store');
  });

  it('describes plain HTTP with no groups when buildServer gets no https options', async () => {
    const d = (await v.app.inject({ method: 'GET', url: '/v1/sys/describe' })).json<{ tls: unknown }>();
    expect(d.tls).toEqual({ enabled: false, key_exchange_groups: [] });
  });
});

describe('trusted_proxies', () => {
  it('uses X-Forwarded-For for the audit address only when the peer is a trusted proxy', async () => {
    const v = await makeVault({ config: { trusted_proxies: ['10.1.0.0/16'] } });
    try {
      await unseal(v);
      await login(v, v.adminKey as string, '10.1.2.3');
      const fromProxy = await v.app.inject({ method: 'GET', url: '/v1/sys/seal-status', remoteAddress: '10.1.2.3', headers: { 'x-forwarded-for': '203.0.113.7' } });
      const fromOther = await v.app.inject({ method: 'GET', url: '/v1/sys/seal-status', remoteAddress: '192.0.2.50', headers: { 'x-forwarded-for': '203.0.113.8' } });
      expect(fromProxy.statusCode).toBe(200);
      expect(fromOther.statusCode).toBe(200);
      const remotes = auditEntries(v).map((e) => JSON.stringify(e));
      expect(remotes.some((e) => e.includes('203.0.113.7'))).toBe(true);
      expect(remotes.some((e) => e.includes('203.0.113.8'))).toBe(false);
      expect(remotes.some((e) => e.includes('192.0.2.50'))).toBe(true);
    } finally {
      await v.cleanup();
    }
  });
});

/** GET over https trusting `ca`: status, the server certificate's serial. */
function get(url: string, ca: string): Promise<{ status: number; serial: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false }, (res) => {
      res.resume();
      const sock = res.socket as unknown as { getPeerCertificate(): { serialNumber: string } };
      resolve({ status: res.statusCode ?? 0, serial: sock.getPeerCertificate().serialNumber });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startDaemon with [tls]', () => {
  let dir: string;
  let files: TlsFiles;
  const provider = selectProvider('noble');

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ov-tlsd-'));
    await setupVault({ dataDir: dir, provider, mode: { keyFile: join(dir, 'unseal.key') }, now: Date.now() });
    files = await generateTlsFiles(dir);
  }, 30_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves HTTPS only, describes its groups, and reloads the certificate; a bad file keeps the old one', async () => {
    const config = testConfig(dir, { listen: '127.0.0.1:0', data_dir: '.', seal: { unseal_key_file: 'unseal.key' }, tls: { cert_file: files.cert, key_file: files.key } });
    const lines: string[] = [];
    const d = await startDaemon({ config, provider, logger: { level: 'info', stream: { write: (m) => lines.push(m) } }, handleSignals: false });
    try {
      expect(d.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const ca = readFileSync(files.caCert, 'utf8');
      const first = await get(`${d.url}/v1/sys/health`, ca);
      expect(first.status).toBe(200);
      await expect(fetch(`${d.url.replace('https:', 'http:')}/v1/sys/health`)).rejects.toThrow();
      const desc = await d.app.inject({ method: 'GET', url: '/v1/sys/describe' });
      expect(desc.json<{ tls: { enabled: boolean; key_exchange_groups: string[] } }>().tls.key_exchange_groups).toContain('X25519');

      await generateTlsFiles(dir);
      expect(d.reloadTls()).toBe(true);
      const second = await get(`${d.url}/v1/sys/health`, ca);
      expect(second.serial).not.toBe(first.serial);

      writeFileSync(files.cert, 'not a certificate');
      expect(d.reloadTls()).toBe(false);
      expect(lines.some((l) => l.includes('TLS certificate not reloaded'))).toBe(true);
      const third = await get(`${d.url}/v1/sys/health`, ca);
      expect(third.serial).toBe(second.serial);
    } finally {
      await d.close();
    }
  });

  it('refuses an unreadable key file at start with OV_TLS_CONFIG', async () => {
    const config = testConfig(dir, { listen: '127.0.0.1:0', data_dir: '.', tls: { cert_file: files.cert, key_file: join(dir, 'missing.key') } });
    await expect(startDaemon({ config, provider, logger: false, handleSignals: false })).rejects.toMatchObject({ code: 'OV_TLS_CONFIG' });
  });

  it('with tls.disable on a non-loopback address starts and warns', async () => {
    const config = testConfig(dir, { listen: '0.0.0.0:0', data_dir: '.', tls: { disable: true } });
    const lines: string[] = [];
    const d = await startDaemon({ config, provider, logger: { level: 'info', stream: { write: (m) => lines.push(m) } }, handleSignals: false });
    await d.close();
    expect(lines.some((l) => l.includes('TLS is disabled'))).toBe(true);
  });
});

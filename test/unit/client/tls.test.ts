/**
 * The client over HTTPS against a real TLS server built with the daemon's options builder
 * (src/tls/server.ts) and certificates from src/tls/certs.ts: trust through an extra CA,
 * each handshake failure named (unknown CA, name mismatch, client certificate required),
 * client certificates, and, where the runtime has ML-KEM in OpenSSL (Node >= 24.7), the
 * hybrid X25519MLKEM768 group: a server restricted to it accepts the client and refuses
 * a client that offers only classical groups.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultClient } from '../../../src/client/index.js';
import type { TlsConfig } from '../../../src/config.js';
import { isVaultError, type VaultError } from '../../../src/errors.js';
import { generateTlsFiles, issueClientCert, type TlsFiles } from '../../../src/tls/certs.js';
import { HYBRID_GROUP, hybridKeyExchangeSupported, tlsServerOptions } from '../../../src/tls/server.js';

let dir: string;
let files: TlsFiles;
let ca: string;
const servers: Server[] = [];

const SEAL_STATUS = { initialized: true, sealed: false, mode: 'keyfile', t: null, n: null, progress: 0, nonce: '', version: '0.1.0' };

/** An HTTPS server answering seal-status with the daemon's TLS options; resolves with its port. */
async function serve(tls: Partial<TlsConfig> = {}, groups?: readonly string[], host = '127.0.0.1'): Promise<number> {
  const cfg: TlsConfig = { certFile: files.cert, keyFile: files.key, clientCaFile: null, clientAuth: 'require', minVersion: 'TLSv1.3', ...tls };
  const s = createServer(tlsServerOptions(cfg, groups), (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-client-cert': String((req.socket as { authorized?: boolean }).authorized === true) });
    res.end(JSON.stringify(SEAL_STATUS));
  });
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, host, resolve));
  return (s.address() as AddressInfo).port;
}

async function failure(p: Promise<unknown>): Promise<VaultError> {
  try {
    await p;
  } catch (e) {
    if (isVaultError(e)) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ov-tls-'));
  files = await generateTlsFiles(dir);
  ca = readFileSync(files.caCert, 'utf8');
}, 30_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
});

describe('client over HTTPS', () => {
  it('reaches a server whose CA it is given, over TLS 1.3, and reports the connection', async () => {
    const port = await serve();
    const client = new VaultClient({ addr: `https://127.0.0.1:${port}`, tls: { ca: [ca] } });
    expect(client.tlsInfo()).toBeUndefined();
    expect((await client.sealStatus()).sealed).toBe(false);
    expect(client.tlsInfo()?.protocol).toBe('TLSv1.3');
    // withToken keeps the TLS settings.
    expect((await client.withToken('t0k3n').sealStatus()).initialized).toBe(true);
  });

  it('names an unknown CA as OV_TLS_HANDSHAKE', async () => {
    const port = await serve();
    const e = await failure(new VaultClient({ addr: `https://127.0.0.1:${port}` }).sealStatus());
    expect(e.code).toBe('OV_TLS_HANDSHAKE');
    expect(e.detail?.['reason']).toBe('unknown CA');
  });

  it('names a host the certificate does not cover as a name mismatch', async () => {
    const other = Object.values(networkInterfaces())
      .flat()
      .find((i) => i !== undefined && i.family === 'IPv4' && !i.internal)?.address;
    if (other === undefined) return;
    const port = await serve({}, undefined, '0.0.0.0');
    const e = await failure(new VaultClient({ addr: `https://${other}:${port}`, tls: { ca: [ca] } }).sealStatus());
    expect(e.code).toBe('OV_TLS_HANDSHAKE');
    expect(e.detail?.['reason']).toBe('name mismatch');
  });

  it('with client_ca_file: refuses a client without a certificate, accepts one signed by the CA', async () => {
    const port = await serve({ clientCaFile: files.caCert });
    const e = await failure(new VaultClient({ addr: `https://127.0.0.1:${port}`, tls: { ca: [ca] } }).sealStatus());
    expect(e.code).toBe('OV_TLS_HANDSHAKE');
    expect(e.detail?.['reason']).toBe('client certificate required');
    const id = await issueClientCert(files.dir, 'ci-runner');
    const ok = new VaultClient({ addr: `https://127.0.0.1:${port}`, tls: { ca: [ca], cert: id.cert, key: id.key } });
    const r = await ok.request('GET', 'v1/sys/seal-status');
    expect(r.headers.get('x-client-cert')).toBe('true');
  });

  it('with client_auth = "request": a client without a certificate gets through, unauthenticated', async () => {
    const port = await serve({ clientCaFile: files.caCert, clientAuth: 'request' });
    const r = await new VaultClient({ addr: `https://127.0.0.1:${port}`, tls: { ca: [ca] } }).request('GET', 'v1/sys/seal-status');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-client-cert')).toBe('false');
  });
});

describe.runIf(hybridKeyExchangeSupported())('post-quantum hybrid key exchange (OpenSSL >= 3.5)', () => {
  it('a server restricted to X25519MLKEM768 accepts the client, which reports the group', async () => {
    const port = await serve({}, [HYBRID_GROUP]);
    const client = new VaultClient({ addr: `https://127.0.0.1:${port}`, tls: { ca: [ca] } });
    await client.sealStatus();
    expect(client.tlsInfo()?.group).toBe(HYBRID_GROUP);
  });

  it('the default server prefers the hybrid group', async () => {
    const port = await serve();
    const client = new VaultClient({ addr: `https://127.0.0.1:${port}`, tls: { ca: [ca] } });
    await client.sealStatus();
    expect(client.tlsInfo()?.group).toBe(HYBRID_GROUP);
  });

  it('an ML-DSA-65 certificate chain verifies, with the hybrid key exchange', async () => {
    const mlDir = mkdtempSync(join(tmpdir(), 'ov-tls-mldsa-'));
    try {
      const ml = await generateTlsFiles(mlDir, { alg: 'ml-dsa-65' });
      const s = createServer(tlsServerOptions({ certFile: ml.cert, keyFile: ml.key, clientCaFile: null, clientAuth: 'require', minVersion: 'TLSv1.3' }), (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(SEAL_STATUS));
      });
      servers.push(s);
      await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
      const addr = `https://localhost:${(s.address() as AddressInfo).port}`;
      const client = new VaultClient({ addr, tls: { ca: [readFileSync(ml.caCert, 'utf8')] } });
      expect((await client.sealStatus()).sealed).toBe(false);
      expect(client.tlsInfo()?.group).toBe(HYBRID_GROUP);
      // The ECDSA CA of the other tests does not vouch for it.
      expect((await failure(new VaultClient({ addr, tls: { ca: [ca] } }).sealStatus())).detail?.['reason']).toBe('unknown CA');
    } finally {
      rmSync(mlDir, { recursive: true, force: true });
    }
  });

  it('a client offering only classical groups is refused by the hybrid-only server', async () => {
    const port = await serve({}, [HYBRID_GROUP]);
    const e = await failure(new VaultClient({ addr: `https://127.0.0.1:${port}`, tls: { ca: [ca], groups: ['X25519', 'P-256'] } }).sealStatus());
    expect(e.code).toBe('OV_TLS_HANDSHAKE');
    expect(e.detail?.['reason']).toBe('no common key exchange group or cipher');
  });
});

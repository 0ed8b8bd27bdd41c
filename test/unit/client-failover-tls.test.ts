/**
 * Failover over HTTPS: a failed TLS handshake moves even a POST on to the next address,
 * since the daemon reads no request before the handshake completes: a server whose
 * certificate the client does not trust, and a server that does not speak TLS at all.
 * The refusing servers must see no request.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VaultClient } from '../../src/client/index.js';
import type { TlsConfig } from '../../src/config.js';
import { generateTlsFiles, type TlsFiles } from '../../src/tls/certs.js';
import { tlsServerOptions } from '../../src/tls/server.js';

let dir: string;
let trusted: TlsFiles;
let stranger: TlsFiles;
let ca: string;
const servers: (Server | HttpServer)[] = [];

const SESSION = { token: 'x'.repeat(40), id: '00000000-0000-4000-8000-000000000000', expires_at: '2030-01-01T00:00:00.000Z', role: 'admin', scope: '*' };

/** An HTTPS server with `files`' certificate that answers every request with a session; records what reached it. */
async function serveTls(files: TlsFiles, seen: string[]): Promise<string> {
  const cfg: TlsConfig = { certFile: files.cert, keyFile: files.key, clientCaFile: null, clientAuth: 'require', minVersion: 'TLSv1.3' };
  const s = createServer(tlsServerOptions(cfg), (req, res) => {
    req.resume();
    seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(SESSION));
  });
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ov-failover-tls-'));
  trusted = await generateTlsFiles(join(dir, 'trusted'));
  stranger = await generateTlsFiles(join(dir, 'stranger'));
  ca = readFileSync(trusted.caCert, 'utf8');
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
});

describe('failover over HTTPS', () => {
  it('an untrusted certificate on the first address: the POST goes on to the second', async () => {
    const seenFirst: string[] = [];
    const seenSecond: string[] = [];
    const first = await serveTls(stranger, seenFirst);
    const second = await serveTls(trusted, seenSecond);
    const s = await new VaultClient({ addr: `${first},${second}`, tls: { ca: [ca] } }).createSession({ key: 'k'.repeat(40) });
    expect(s.role).toBe('admin');
    expect(seenFirst).toEqual([]);
    expect(seenSecond).toEqual(['POST /v1/sessions']);
  });

  it('a plain HTTP server on the first https address: the POST goes on to the second', async () => {
    const seenPlain: string[] = [];
    const plain = createHttpServer((req, res) => {
      seenPlain.push(`${req.method ?? ''} ${req.url ?? ''}`);
      res.end();
    });
    servers.push(plain);
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve));
    const first = `https://127.0.0.1:${(plain.address() as AddressInfo).port}`;
    const seenSecond: string[] = [];
    const second = await serveTls(trusted, seenSecond);
    await new VaultClient({ addr: `${first},${second}`, tls: { ca: [ca] } }).createSession({ key: 'k'.repeat(40) });
    expect(seenPlain).toEqual([]);
    expect(seenSecond).toEqual(['POST /v1/sessions']);
  });

  it('every address refusing the handshake: OV_TLS_HANDSHAKE naming both', async () => {
    const a = await serveTls(stranger, []);
    const b = await serveTls(stranger, []);
    let code: string | undefined;
    let tried: unknown;
    try {
      await new VaultClient({ addr: `${a},${b}`, tls: { ca: [ca] } }).sealStatus();
    } catch (e) {
      code = (e as { code?: string }).code;
      tried = (e as { detail?: Record<string, unknown> }).detail?.['tried'];
    }
    expect(code).toBe('OV_TLS_HANDSHAKE');
    expect(tried).toBe(`${a} unknown CA, ${b} unknown CA`);
  });
});

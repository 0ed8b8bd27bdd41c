/**
 * What the client's secrets methods put on the wire and how they read odd answers, with
 * a node:http stand-in for the daemon (no SQLite, so this also runs under Node 24): raw
 * paths and listing prefixes (never percent-encoded: the daemon refuses any `%`), version
 * lists, the recipient header, bodies of put and rewrap; a sealed read that comes back as
 * plaintext, a field without its version header, and a list cursor that does not move
 * are refused as OV_DAEMON_RESPONSE; bad paths never leave the process.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ENVELOPE_MEDIA_TYPE, VaultClient, isDaemonError } from '../../../src/client/index.js';
import { isVaultError } from '../../../src/errors.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

let server: Server;
let client: VaultClient;
let handler: (req: IncomingMessage, res: ServerResponse) => void;
const seen: Seen[] = [];

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function reasonOf(e: unknown): unknown {
  return (e as { detail?: Record<string, unknown> }).detail?.['reason'];
}

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new VaultClient({ addr: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 'tok-123' });
});

afterEach(() => {
  seen.length = 0;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('VaultClient secrets: requests', () => {
  it('put sends the raw path, the bearer token and {data, cas}; binary goes as base64', async () => {
    handler = (_req, res) => send(res, 200, JSON.stringify({ path: 'a/b.c_d-e', version: 3, created_at: '2030-01-01T00:00:00.000Z' }));
    expect(await client.putSecret('a/b.c_d-e', { data: { k: 'v' } }, { cas: 2 })).toEqual({ path: 'a/b.c_d-e', version: 3, created_at: '2030-01-01T00:00:00.000Z' });
    await client.putSecret('a/b.c_d-e', { binary: Uint8Array.from([0xff, 0x00, 0x10]) });
    expect(seen.map((s) => [s.method, s.url, s.headers['authorization'], JSON.parse(s.body) as unknown])).toEqual([
      ['PUT', '/v1/secrets/a/b.c_d-e', 'Bearer tok-123', { data: { k: 'v' }, cas: 2 }],
      ['PUT', '/v1/secrets/a/b.c_d-e', 'Bearer tok-123', { binary: '/wAQ' }],
    ]);
  });

  it('list sends prefix and cursor unencoded; delete sends ?versions=1,2; rewrap sends batch_size and max_versions', async () => {
    handler = (req, res) => {
      if (req.url?.startsWith('/v1/secrets?')) send(res, 200, JSON.stringify({ paths: ['app/x'], next: null }));
      else if (req.method === 'DELETE') send(res, 200, JSON.stringify({ path: 'app/x', versions: [1, 2] }));
      else send(res, 200, JSON.stringify({ rewrapped: 5, remaining: 0, key_version: 2, done: true }));
    };
    await client.listSecrets({ prefix: 'app/', limit: 2, after: 'app/a' });
    await client.deleteSecret('app/x', { versions: [1, 2] });
    await client.rewrapKey('kem', { batchSize: 10, maxVersions: 20 });
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual([
      'GET /v1/secrets?prefix=app/&limit=2&after=app/a ',
      'DELETE /v1/secrets/app/x?versions=1,2 ',
      'POST /v1/keys/kem/rewrap {"batch_size":10,"max_versions":20}',
    ]);
  });

  it('bad paths, prefixes and headers fail locally: nothing is sent', async () => {
    for (const p of ['/a', 'a/', 'a/./b', 'a/../../etc/passwd', 'a%2e%2e', 'a?b', 'a#b', 'ä']) {
      expect(isVaultError(await rejects(client.getSecret(p)), 'OV_PATH_INVALID'), p).toBe(true);
      expect(isVaultError(await rejects(client.putSecret(p, { data: {} })), 'OV_PATH_INVALID'), p).toBe(true);
    }
    expect(isVaultError(await rejects(client.listSecrets({ prefix: 'a b' })), 'OV_PATH_INVALID')).toBe(true);
    expect(isVaultError(await rejects(client.listSecrets({ after: 'a/../b' })), 'OV_PATH_INVALID')).toBe(true);
    expect(isVaultError(await rejects(client.getSecretSealed('a/b', 'x\r\ninjected: 1')), 'OV_INVALID_ARGUMENT')).toBe(true);
    expect(isVaultError(await rejects(client.request('GET', 'v1/x', { headers: { authorization: 'Bearer other' } })), 'OV_INVALID_ARGUMENT')).toBe(true);
    expect(isVaultError(await rejects(client.request('GET', 'v1/x', { headers: { 'x-a': 'b\nc' } })), 'OV_INVALID_ARGUMENT')).toBe(true);
    expect(seen).toEqual([]);
  });
});

describe('VaultClient secrets: answers', () => {
  it('getSecretField returns the text body exactly with the version header', async () => {
    handler = (_req, res) => send(res, 200, ' v\n', { 'content-type': 'text/plain; charset=utf-8', 'x-ontoref-version': '7' });
    expect(await client.getSecretField('app/db', 'password')).toEqual({ path: 'app/db', field: 'password', version: 7, value: ' v\n' });
    expect(seen[0]?.url).toBe('/v1/secrets/app/db?field=password');
    expect(seen[0]?.headers['accept']).toBe('text/plain');
  });

  it('a field answer without a valid version header, or not text/plain, is OV_DAEMON_RESPONSE', async () => {
    handler = (_req, res) => send(res, 200, 'v', { 'content-type': 'text/plain' });
    expect(isDaemonError(await rejects(client.getSecretField('app/db', 'f')), 'OV_DAEMON_RESPONSE')).toBe(true);
    handler = (_req, res) => send(res, 200, '{"v":1}', { 'x-ontoref-version': '1' });
    expect(isDaemonError(await rejects(client.getSecretField('app/db', 'f')), 'OV_DAEMON_RESPONSE')).toBe(true);
  });

  it('getSecretSealed sends x-ontoref-recipient and refuses an answer that is not an envelope', async () => {
    const armored = '-----BEGIN ONTOREF ENVELOPE-----\nAAAA\n-----END ONTOREF ENVELOPE-----\n';
    handler = (_req, res) => send(res, 200, armored, { 'content-type': ENVELOPE_MEDIA_TYPE });
    expect(await client.getSecretSealed('app/db', 'age1pq1abc', { field: 'pw' })).toBe(armored);
    expect(seen[0]?.headers['x-ontoref-recipient']).toBe('age1pq1abc');
    expect(seen[0]?.url).toBe('/v1/secrets/app/db?field=pw');
    // A daemon that ignored the header and answered plaintext: refused, never returned.
    handler = (_req, res) => send(res, 200, JSON.stringify({ path: 'app/db', version: 1, created_at: 'x', data: { pw: 'plain' } }));
    const e = await rejects(client.getSecretSealed('app/db', 'age1pq1abc'));
    expect(isDaemonError(e, 'OV_DAEMON_RESPONSE')).toBe(true);
    expect(String((e as Error).message)).not.toContain('plain');
  });

  it('getSecret wants exactly one of data and binary', async () => {
    handler = (_req, res) => send(res, 200, JSON.stringify({ path: 'a', version: 1, created_at: '2030-01-01T00:00:00.000Z', data: { a: 'b' }, binary: 'AA==' }));
    expect(reasonOf(await rejects(client.getSecret('a')))).toBe('body must hold data (string fields) or binary');
    handler = (_req, res) => send(res, 200, JSON.stringify({ path: 'a', version: 1, created_at: '2030-01-01T00:00:00.000Z' }));
    expect(reasonOf(await rejects(client.getSecret('a')))).toBe('body must hold data (string fields) or binary');
    handler = (_req, res) => send(res, 200, JSON.stringify({ path: 'a', version: 1, created_at: '2030-01-01T00:00:00.000Z', data: { a: 1 } }));
    expect(isDaemonError(await rejects(client.getSecret('a')), 'OV_DAEMON_RESPONSE')).toBe(true);
  });

  it('iterateSecrets follows next, and stops with OV_DAEMON_RESPONSE when the cursor does not move', async () => {
    handler = (req, res) => {
      const after = new URL(req.url ?? '', 'http://x').searchParams.get('after');
      if (after === null) send(res, 200, JSON.stringify({ paths: ['a', 'b'], next: 'b' }));
      else if (after === 'b') send(res, 200, JSON.stringify({ paths: ['c'], next: null }));
    };
    const got: string[] = [];
    for await (const p of client.iterateSecrets({ pageSize: 2 })) got.push(p);
    expect(got).toEqual(['a', 'b', 'c']);
    handler = (_req, res) => send(res, 200, JSON.stringify({ paths: ['a'], next: 'a' }));
    const loop = async (): Promise<string[]> => {
      const out: string[] = [];
      for await (const p of client.iterateSecrets()) out.push(p);
      return out;
    };
    expect(isDaemonError(await rejects(loop()), 'OV_DAEMON_RESPONSE')).toBe(true);
    expect(seen.length).toBe(4);
  });

  it('daemon errors keep their registry code and status', async () => {
    handler = (_req, res) => send(res, 409, JSON.stringify({ error: { code: 'OV_CAS_MISMATCH', message: 'x', field: 'body/cas' } }));
    const e = await rejects(client.putSecret('a', { data: {} }, { cas: 0 }));
    expect(isDaemonError(e, 'OV_CAS_MISMATCH')).toBe(true);
    handler = (_req, res) => send(res, 200, JSON.stringify({ path: 'a', versions: ['1'] }));
    expect(isDaemonError(await rejects(client.undeleteSecret('a', [1])), 'OV_DAEMON_RESPONSE')).toBe(true);
  });
});

/**
 * The HTTP client (src/client) against a small node:http server on 127.0.0.1:0 standing
 * in for the daemon: what goes on the wire (method, path, bearer header, JSON body), how
 * answers are read (typed shapes, size cap, redirects refused), and how failures map to
 * errors: daemon errors keep their registry code and are marked as from the daemon (CLI
 * exit 2), while a closed port, an unknown host or a timeout is OV_DAEMON_UNREACHABLE
 * (exit 1).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DaemonError, VaultClient, isDaemonError, parseAddr } from '../../../src/client/index.js';
import { VaultError, isVaultError } from '../../../src/errors.js';
import { exitCodeFor, formatError } from '../../../cli/errors.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let addr: string;
let handler: Handler;
const seen: Seen[] = [];
const openSockets = new Set<Socket>();

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function listen(h: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const s = createServer(h);
  s.on('connection', (sock) => {
    openSockets.add(sock);
    sock.on('close', () => openSockets.delete(sock));
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return s;
}

function urlOf(s: Server): string {
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  server = await listen((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  addr = urlOf(server);
});

afterEach(() => {
  seen.length = 0;
});

afterAll(async () => {
  for (const s of openSockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const SESSION = {
  id: '8a4c7d3e-1f2b-4c5d-8e9f-0a1b2c3d4e5f',
  api_key_id: '0123456789abcdef',
  role: 'admin',
  scope: '*',
  label: 'daemon admin',
  issued_at: '2025-01-01T00:00:00.000Z',
  expires_at: '2025-01-01T01:00:00.000Z',
};
const SEAL_STATUS = { initialized: true, sealed: true, mode: 'shamir', t: 3, n: 5, progress: 1, nonce: 'abc', version: '0.1.0' };
const DESCRIBE = {
  name: 'ontoref-vault',
  version: '0.1.0',
  api: 'v1',
  node: 'v20.0.0',
  initialized: true,
  sealed: false,
  provider: { name: 'noble', algorithms: { 'ML-KEM-768': 'noble' } },
  suites: [],
  signature: 'ML-DSA-65',
  capabilities: ['secrets'],
  tls: { enabled: true, key_exchange_groups: ['X25519MLKEM768', 'X25519'] },
  config_schema: {},
};
const API_KEY = { id: '0123456789abcdef', role: 'reader', scope: 'apps/', label: 'ci', created_at: '2025-01-01T00:00:00Z', rotated_at: null };
const KEY_VERSION = { name: 'kem', version: 2, alg: 'X-Wing', key_id: 'ab'.repeat(16), created_at: '2025-01-01T00:00:00Z' };
const KEY_POLICY = { name: 'kem', alg: 'X-Wing', latest_version: 2, min_decrypt_version: 1, versions: [KEY_VERSION] };

async function caught(p: Promise<unknown>): Promise<VaultError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(VaultError);
    return e as VaultError;
  }
  throw new Error('expected a rejection');
}

describe('requests on the wire', () => {
  it('sends Authorization: Bearer <token> on every request when a token is set, never otherwise', async () => {
    handler = (_req, res) => json(res, 200, SESSION);
    const token = 'eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl';
    const withToken = new VaultClient({ addr, token });
    expect(withToken.hasToken).toBe(true);
    await withToken.lookupSelf();
    await withToken.withToken(undefined).lookupSelf();
    await new VaultClient({ addr }).lookupSelf();
    expect(seen.map((s) => s.headers.authorization)).toEqual([`Bearer ${token}`, undefined, undefined]);
    // The token never travels in the URL.
    expect(seen.every((s) => !s.url.includes(token))).toBe(true);
  });

  it('sends JSON bodies with a JSON content type, and no body or content type when there is none', async () => {
    handler = (req, res) => (req.url === '/v1/sys/unseal' ? json(res, 200, SEAL_STATUS) : (res.writeHead(204), res.end()));
    const c = new VaultClient({ addr, token: 't0k' });
    await c.unseal({ share: 'ovs1-example' });
    await c.seal();
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/sys/unseal', body: '{"share":"ovs1-example"}' });
    expect(seen[0]?.headers['content-type']).toBe('application/json');
    expect(seen[0]?.headers.accept).toBe('application/json');
    expect(seen[1]).toMatchObject({ method: 'POST', url: '/v1/sys/seal', body: '' });
    expect(seen[1]?.headers['content-type']).toBeUndefined();
  });

  it('each typed method uses its route, method and body, and returns the parsed answer', async () => {
    const answers: Record<string, [number, unknown]> = {
      'GET /v1/sys/seal-status': [200, SEAL_STATUS],
      'POST /v1/sys/unseal': [200, { ...SEAL_STATUS, progress: 0, nonce: '' }],
      'GET /v1/sys/describe': [200, DESCRIBE],
      'GET /v1/sys/openapi': [200, { openapi: '3.0.3' }],
      'POST /v1/sessions': [200, { token: 'tok.en.x', id: SESSION.id, expires_at: SESSION.expires_at, role: 'admin', scope: '*' }],
      'GET /v1/sessions': [200, { sessions: [SESSION] }],
      'DELETE /v1/sessions/8a4c7d3e-1f2b-4c5d-8e9f-0a1b2c3d4e5f': [204, undefined],
      'GET /v1/sessions/self': [200, SESSION],
      'DELETE /v1/sessions/self': [204, undefined],
      'POST /v1/apikeys': [200, { ...API_KEY, key: 'ovk_x' }],
      'GET /v1/apikeys': [200, { apikeys: [API_KEY] }],
      'POST /v1/apikeys/0123456789abcdef/rotate': [200, { ...API_KEY, key: 'ovk_y', rotated_at: '2025-02-01T00:00:00Z' }],
      'DELETE /v1/apikeys/0123456789abcdef': [204, undefined],
      'GET /v1/keys': [200, { keys: [KEY_POLICY] }],
      'POST /v1/keys/kem/rotate': [200, KEY_VERSION],
      'POST /v1/keys/kem/min-decrypt-version': [200, { ...KEY_POLICY, min_decrypt_version: 2 }],
    };
    handler = (req, res) => {
      const a = answers[`${req.method} ${req.url}`];
      if (a === undefined) return json(res, 404, { error: { code: 'OV_NOT_FOUND', message: 'not found' } });
      if (a[0] === 204) {
        res.writeHead(204);
        return res.end();
      }
      json(res, a[0], a[1]);
    };
    const c = new VaultClient({ addr, token: 'tok' });
    expect(await c.sealStatus()).toEqual(SEAL_STATUS);
    expect((await c.unseal({ reset: true })).progress).toBe(0);
    expect(await c.describe()).toEqual(DESCRIBE);
    expect(await c.openapi()).toEqual({ openapi: '3.0.3' });
    expect((await c.createSession({ key: 'ovk_k', ttl: '1h' })).token).toBe('tok.en.x');
    expect(await c.listSessions()).toEqual([SESSION]);
    await c.revokeSession(SESSION.id);
    expect(await c.lookupSelf()).toEqual(SESSION);
    await c.revokeSelf();
    expect((await c.createApiKey({ role: 'reader', label: 'ci', scope: 'apps/' })).key).toBe('ovk_x');
    expect(await c.listApiKeys()).toEqual([API_KEY]);
    expect((await c.rotateApiKey('0123456789abcdef')).key).toBe('ovk_y');
    await c.deleteApiKey('0123456789abcdef');
    expect(await c.listKeys()).toEqual([KEY_POLICY]);
    expect(await c.rotateKey('kem')).toEqual(KEY_VERSION);
    expect((await c.setMinDecryptVersion('kem', 2)).min_decrypt_version).toBe(2);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(Object.keys(answers));
    const bodies = Object.fromEntries(seen.filter((s) => s.body !== '').map((s) => [`${s.method} ${s.url}`, JSON.parse(s.body) as unknown]));
    expect(bodies).toEqual({
      'POST /v1/sys/unseal': { reset: true },
      'POST /v1/sessions': { key: 'ovk_k', ttl: '1h' },
      'POST /v1/apikeys': { role: 'reader', label: 'ci', scope: 'apps/' },
      'POST /v1/keys/kem/min-decrypt-version': { version: 2 },
    });
  });

  it('escapes path parameters and keeps a path prefix of the address', async () => {
    handler = (_req, res) => {
      res.writeHead(204);
      res.end();
    };
    await new VaultClient({ addr: `${addr}/vault` }).revokeSession('../../sys/seal');
    expect(seen[0]?.url).toBe('/vault/v1/sessions/..%2F..%2Fsys%2Fseal');
  });

  it('reads health without throwing for sealed (503) and uninitialised (501) daemons', async () => {
    let status = 200;
    handler = (_req, res) => json(res, status, { initialized: status !== 501, sealed: status !== 200, version: '0.1.0' });
    const c = new VaultClient({ addr });
    expect(await c.health()).toEqual({ status: 200, initialized: true, sealed: false, version: '0.1.0' });
    status = 503;
    expect(await c.health()).toMatchObject({ status: 503, initialized: true, sealed: true });
    status = 501;
    expect(await c.health()).toMatchObject({ status: 501, initialized: false, sealed: true });
  });

  it('returns metrics as text', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end('ontoref_requests_total 3\n');
    };
    expect(await new VaultClient({ addr, token: 't' }).metrics()).toBe('ontoref_requests_total 3\n');
  });
});

describe('daemon errors', () => {
  it('rebuilds {error: {code, message}} as a DaemonError with the registry code, marked as from the daemon', async () => {
    handler = (_req, res) => json(res, 401, { error: { code: 'OV_AUTH_INVALID', message: 'this text is not shown' } });
    const e = await caught(new VaultClient({ addr, token: 'expired' }).lookupSelf());
    expect(e).toBeInstanceOf(DaemonError);
    expect(isDaemonError(e, 'OV_AUTH_INVALID')).toBe(true);
    expect(e.code).toBe('OV_AUTH_INVALID');
    expect((e as DaemonError).fromDaemon).toBe(true);
    expect((e as DaemonError).httpStatus).toBe(401);
    expect(e.message).toBe('invalid credentials');
    expect(e.detail?.['origin']).toBe('daemon');
    // The CLI turns it into exit code 2 and the login hint.
    expect(exitCodeFor(e)).toBe(2);
    expect(formatError(e, false)).toEqual(['vault: error: invalid credentials', "vault: hint: run 'vault login' to start a new session"]);
  });

  it('a sealed daemon gives OV_SEALED with the unseal hint', async () => {
    handler = (_req, res) => json(res, 503, { error: { code: 'OV_SEALED', message: 'vault is sealed' } });
    const e = await caught(new VaultClient({ addr, token: 't' }).listKeys());
    expect(isDaemonError(e, 'OV_SEALED')).toBe(true);
    expect(formatError(e, false)).toEqual(['vault: error: vault is sealed', "vault: hint: run 'vault unseal' to unseal it"]);
  });

  it('keeps small, flat detail fields, strips control characters, and never lets the daemon drop the origin mark', async () => {
    handler = (_req, res) =>
      json(res, 400, {
        error: { code: 'OV_BAD_REQUEST', message: 'x', detail: { field: 'label\u001b[2J\n', limit: 128, origin: 'local', nested: { a: 1 } } },
      });
    const e = await caught(new VaultClient({ addr, token: 't' }).createApiKey({ role: 'reader', label: 'x' }));
    expect(e.code).toBe('OV_BAD_REQUEST');
    expect(e.detail).toEqual({ field: 'label[2J', limit: 128, origin: 'daemon' });
  });

  it('keeps the `field` an error body names (the daemon error schema)', async () => {
    handler = (_req, res) => json(res, 400, { error: { code: 'OV_BAD_REQUEST', message: 'x', field: '/label' } });
    const e = await caught(new VaultClient({ addr, token: 't' }).createApiKey({ role: 'reader', label: '' }));
    expect(e.detail).toEqual({ field: '/label', origin: 'daemon' });
  });

  it('passes list filters as query parameters', async () => {
    handler = (_req, res) => json(res, 200, { sessions: [] });
    await new VaultClient({ addr, token: 't' }).listSessions({ limit: 5, apiKeyId: '0123456789abcdef' });
    expect(seen[0]?.url).toBe('/v1/sessions?limit=5&api_key_id=0123456789abcdef');
  });

  it('maps an unknown code to OV_DAEMON_RESPONSE naming it, instead of crashing', async () => {
    handler = (_req, res) => json(res, 418, { error: { code: 'OV_FROM_THE_FUTURE', message: 'new' } });
    const e = await caught(new VaultClient({ addr }).sealStatus());
    expect(isDaemonError(e, 'OV_DAEMON_RESPONSE')).toBe(true);
    expect(e.detail).toMatchObject({ daemonCode: 'OV_FROM_THE_FUTURE', httpStatus: 418, origin: 'daemon' });
    expect(exitCodeFor(e)).toBe(2);
  });

  it('a non-JSON error page, a garbage code and a missing field are OV_DAEMON_RESPONSE', async () => {
    handler = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<h1>bad gateway</h1>');
    };
    expect((await caught(new VaultClient({ addr }).sealStatus())).code).toBe('OV_DAEMON_RESPONSE');

    handler = (_req, res) => json(res, 500, { error: { code: 'not a code\n<script>' } });
    const garbage = await caught(new VaultClient({ addr }).sealStatus());
    expect(garbage.code).toBe('OV_DAEMON_RESPONSE');
    expect(garbage.detail?.['daemonCode']).toBeUndefined();

    handler = (_req, res) => json(res, 200, { ...SEAL_STATUS, sealed: 'no' });
    const shape = await caught(new VaultClient({ addr }).sealStatus());
    expect(shape.code).toBe('OV_DAEMON_RESPONSE');
    expect(shape.detail?.['reason']).toBe('body/sealed must be boolean');

    handler = (_req, res) => json(res, 200, { sessions: [SESSION, { ...SESSION, id: 7 }] });
    expect((await caught(new VaultClient({ addr }).listSessions())).detail?.['reason']).toBe('body/sessions/1/id must be string');
  });

  it('a 2xx answer that is not JSON, and invalid JSON, are OV_DAEMON_RESPONSE', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    };
    expect((await caught(new VaultClient({ addr }).sealStatus())).detail?.['reason']).toBe('not JSON');
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"initialized": tr');
    };
    expect((await caught(new VaultClient({ addr }).sealStatus())).detail?.['reason']).toBe('invalid JSON');
  });

  it('refuses a session token with characters that do not belong in a header', async () => {
    handler = (_req, res) => json(res, 200, { token: 'a\r\nX-Evil: 1', id: SESSION.id, expires_at: SESSION.expires_at, role: 'admin', scope: '*' });
    expect((await caught(new VaultClient({ addr }).createSession({ key: 'k' }))).detail?.['reason']).toBe('token has an invalid form');
  });

  it('refuses redirects instead of following them with the bearer token', async () => {
    const other = await listen((req, res) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' });
      json(res, 200, SESSION);
    });
    try {
      handler = (_req, res) => {
        res.writeHead(307, { location: `${urlOf(other)}/v1/sessions/self` });
        res.end();
      };
      const e = await caught(new VaultClient({ addr, token: 'secret-token' }).lookupSelf());
      expect(e.code).toBe('OV_DAEMON_RESPONSE');
      expect(e.detail?.['reason']).toBe('redirect refused');
      expect(seen).toHaveLength(1); // only the first server saw a request
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });

  it('caps the size of an answer', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      for (let i = 0; i < 17; i++) res.write(chunk);
      res.end('{}');
    };
    const e = await caught(new VaultClient({ addr }).sealStatus());
    expect(e.code).toBe('OV_DAEMON_RESPONSE');
    expect(e.detail?.['reason']).toBe('body too large');
  });
});

describe('an unreachable daemon', () => {
  it('connection refused is OV_DAEMON_UNREACHABLE, a local error (exit 1) with a hint naming ONTOREF_ADDR', async () => {
    const s = await listen(() => undefined);
    const closed = urlOf(s);
    await new Promise<void>((resolve) => s.close(() => resolve()));
    const e = await caught(new VaultClient({ addr: closed }).sealStatus());
    expect(e.code).toBe('OV_DAEMON_UNREACHABLE');
    expect(e).not.toBeInstanceOf(DaemonError);
    expect(e.detail).toEqual({ addr: closed, reason: 'ECONNREFUSED' });
    expect(exitCodeFor(e)).toBe(1);
    const lines = formatError(e, false);
    expect(lines[0]).toBe('vault: error: cannot reach the vault daemon');
    expect(lines.some((l) => l.startsWith('vault: hint:') && l.includes('ONTOREF_ADDR'))).toBe(true);
  });

  it('an unknown host is OV_DAEMON_UNREACHABLE', async () => {
    const e = await caught(new VaultClient({ addr: 'http://no-such-host.invalid:8420' }).sealStatus());
    expect(e.code).toBe('OV_DAEMON_UNREACHABLE');
    expect(typeof e.detail?.['reason']).toBe('string');
  });

  it('a daemon that never answers times out as OV_DAEMON_UNREACHABLE (reason timeout)', async () => {
    handler = () => undefined; // accept the request, never respond
    const e = await caught(new VaultClient({ addr, timeoutMs: 300 }).sealStatus());
    expect(e.code).toBe('OV_DAEMON_UNREACHABLE');
    expect(e.detail?.['reason']).toBe('timeout');
  });

  it('the timeout also covers a body that stalls after the headers', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"initialized":');
    };
    const e = await caught(new VaultClient({ addr, timeoutMs: 300 }).sealStatus());
    expect(e.code).toBe('OV_DAEMON_UNREACHABLE');
    expect(e.detail?.['reason']).toBe('timeout');
  });
});

describe('options', () => {
  it('parseAddr accepts http(s) URLs and refuses anything else', () => {
    expect(parseAddr('http://127.0.0.1:8420').href).toBe('http://127.0.0.1:8420/');
    expect(parseAddr('https://vault.example/prefix').href).toBe('https://vault.example/prefix/');
    for (const bad of ['127.0.0.1:8420', 'ftp://x', 'http://user:pw@x', 'http://x/?q=1', 'not a url', 'file:///etc/passwd']) {
      const e = (() => {
        try {
          parseAddr(bad);
        } catch (err) {
          return err;
        }
        return undefined;
      })();
      expect(isVaultError(e, 'OV_INVALID_ARGUMENT'), bad).toBe(true);
    }
  });

  it('refuses a token that could inject a header, before any request', () => {
    for (const token of ['a\r\nb', 'with space', '', 'x'.repeat(5000)]) {
      expect(() => new VaultClient({ addr, token })).toThrow(VaultError);
    }
    expect(seen).toHaveLength(0);
  });

  it('uses an injected fetch', async () => {
    const calls: string[] = [];
    const fake: typeof fetch = (input) => {
      calls.push(input instanceof URL ? input.href : typeof input === 'string' ? input : input.url);
      return Promise.resolve(new Response(JSON.stringify(SEAL_STATUS), { status: 200, headers: { 'content-type': 'application/json' } }));
    };
    expect(await new VaultClient({ addr: 'http://daemon.test:1', fetch: fake }).sealStatus()).toEqual(SEAL_STATUS);
    expect(calls).toEqual(['http://daemon.test:1/v1/sys/seal-status']);
  });

  it('sends plain http through node:http, not the global fetch', async () => {
    const original = globalThis.fetch;
    globalThis.fetch = () => Promise.reject(new Error('the global fetch was used'));
    try {
      handler = (_req, res) => json(res, 200, SEAL_STATUS);
      expect(await new VaultClient({ addr }).sealStatus()).toEqual(SEAL_STATUS);
    } finally {
      globalThis.fetch = original;
    }
  });

  it('answers headers by case-insensitive name, repeated ones joined as fetch joins them', async () => {
    handler = (_req, res) => {
      res.setHeader('X-Ontoref-Test', ['one', 'two']);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    };
    const r = await new VaultClient({ addr }).request('GET', 'v1/sys/health');
    expect(r.body).toBe('ok');
    expect(r.headers.get('x-ontoref-test')).toBe('one, two');
    expect(r.headers.get('X-Ontoref-Test')).toBe('one, two');
    expect(r.headers.get('x-absent')).toBeNull();
  });

  it('rejects an out-of-range timeout', () => {
    expect(() => new VaultClient({ timeoutMs: 0 })).toThrow(VaultError);
  });
});

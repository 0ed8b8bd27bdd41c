/**
 * Failover between the addresses of a list, against small loopback servers standing in for
 * daemons (each counts what reached it): every malformed list is refused before any
 * request; which failures move an idempotent request on, and which move a POST on; the
 * address that answered is tried first afterwards; an error names every address tried;
 * and the daemon's own listen address is the list's first.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonError, parseAddrList, VaultClient } from '../../src/client/index.js';
import { resolveConfig } from '../../src/config.js';
import { VaultError, isVaultError } from '../../src/errors.js';
import { exitCodeFor, formatError } from '../../cli/errors.js';

interface Fake {
  readonly url: string;
  /** Requests (method and path) that reached it with their whole body. */
  readonly seen: string[];
  /** Connections it accepted. */
  connections: number;
  close(): Promise<void>;
}

const fakes: { close(): Promise<void> }[] = [];
const sockets = new Set<Socket>();

afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

function track(s: Server | NetServer, fake: { connections: number }): void {
  s.on('connection', (sock: Socket) => {
    fake.connections++;
    sockets.add(sock);
    sock.on('close', () => sockets.delete(sock));
  });
}

async function listenOn(s: Server | NetServer): Promise<string> {
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

/** An HTTP server answering every request with `answer`. */
async function httpFake(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<Fake> {
  const seen: string[] = [];
  const s = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push(`${req.method ?? ''} ${req.url ?? ''}`);
      answer(req, res);
    });
  });
  const fake = { url: '', seen, connections: 0, close: () => new Promise<void>((r) => s.close(() => r())) };
  track(s, fake);
  fake.url = await listenOn(s);
  fakes.push(fake);
  return fake;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const SEAL_STATUS = { initialized: true, sealed: false, mode: 'shamir', t: 3, n: 5, progress: 0, nonce: 'abc', version: '0.1.0' };

/** A daemon that answers: seal status to GET, a session to POST. */
function healthy(): Promise<Fake> {
  return httpFake((req, res) => {
    if (req.method === 'GET') json(res, 200, SEAL_STATUS);
    else json(res, 200, { token: 'x'.repeat(40), id: '00000000-0000-4000-8000-000000000000', expires_at: '2030-01-01T00:00:00.000Z', role: 'admin', scope: '*' });
  });
}

function failing(status: number, code: string): Promise<Fake> {
  return httpFake((_req, res) => json(res, status, { error: { code, message: 'refused' } }));
}

/** A TCP server that reads the request and closes the connection without a byte of answer. */
async function closer(): Promise<Fake & { bytes: number }> {
  const fake = { url: '', seen: [] as string[], connections: 0, bytes: 0, close: async () => {} };
  const s = createNetServer((sock) => {
    sock.once('data', (d: Buffer) => {
      fake.bytes += d.byteLength;
      sock.destroy();
    });
  });
  track(s, fake);
  fake.url = await listenOn(s);
  fake.close = () => new Promise<void>((r) => s.close(() => r()));
  fakes.push(fake);
  return fake;
}

/** A TCP server that accepts and never answers. */
async function silent(): Promise<Fake> {
  const fake = { url: '', seen: [] as string[], connections: 0, close: async () => {} };
  const s = createNetServer(() => {});
  track(s, fake);
  fake.url = await listenOn(s);
  fake.close = () => new Promise<void>((r) => s.close(() => r()));
  fakes.push(fake);
  return fake;
}

/** A loopback address nothing listens on. */
async function deadAddr(): Promise<string> {
  const s = createNetServer();
  const url = await listenOn(s);
  await new Promise<void>((r) => s.close(() => r()));
  return url;
}

async function caught(p: Promise<unknown>): Promise<VaultError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof VaultError) return e;
    throw e;
  }
  throw new Error('expected a VaultError');
}

const login = (c: VaultClient): Promise<unknown> => c.createSession({ key: 'k'.repeat(40) });

describe('address lists', () => {
  it('normalises each address and keeps the order', () => {
    const c = new VaultClient({ addr: ' http://127.0.0.1:1 , http://127.0.0.1:2/prefix ' });
    expect(c.addrs).toEqual(['http://127.0.0.1:1/', 'http://127.0.0.1:2/prefix/']);
    expect(c.addr).toBe('http://127.0.0.1:1/,http://127.0.0.1:2/prefix/');
    expect(c.withToken('t0k3n').addrs).toEqual(c.addrs);
    expect(new VaultClient({ addr: 'http://127.0.0.1:1' }).addr).toBe('http://127.0.0.1:1/');
  });

  const bad: readonly (readonly [string, string])[] = [
    ['', 'address 1 of the list is empty'],
    ['http://127.0.0.1:1,,http://127.0.0.1:2', 'address 2 of the list is empty'],
    ['http://127.0.0.1:1,', 'address 2 of the list is empty'],
    [',http://127.0.0.1:1', 'address 1 of the list is empty'],
    ['http://127.0.0.1:1,ftp://127.0.0.1:2', 'address 2 of the list: scheme must be http or https'],
    ['http://127.0.0.1:1,not a url', 'address 2 of the list: not a URL'],
    ['http://127.0.0.1:1,http://u:p@127.0.0.1:2', 'address 2 of the list: no credentials, query or fragment allowed'],
    ['http://127.0.0.1:1,http://127.0.0.1:2/?q', 'address 2 of the list: no credentials, query or fragment allowed'],
    ['https://127.0.0.1:1,http://127.0.0.1:2', 'every address of the list must use the same scheme'],
    ['http://127.0.0.1:1,http://127.0.0.1:1/', 'address 2 of the list repeats an earlier one'],
    [Array.from({ length: 17 }, (_, i) => `http://127.0.0.1:${i + 1}`).join(','), 'at most 16 addresses'],
    ['ftp://127.0.0.1:1', 'scheme must be http or https'],
  ];

  it.each(bad)('refuses %j with OV_INVALID_ARGUMENT (field addr) before any request', (text, reason) => {
    let e: unknown;
    try {
      parseAddrList(text);
    } catch (err) {
      e = err;
    }
    expect(isVaultError(e, 'OV_INVALID_ARGUMENT')).toBe(true);
    expect((e as VaultError).detail).toEqual({ field: 'addr', reason });
    // The constructor refuses it: no client exists that could send anything.
    expect(() => new VaultClient({ addr: text })).toThrow(e);
  });

  it('the daemon listens on the first address of ONTOREF_ADDR; every entry must still be a URL', () => {
    const resolve = (addr: string): ReturnType<typeof resolveConfig> => resolveConfig({}, { HOME: '/home/op', ONTOREF_ADDR: addr }, { baseDir: '/etc/ov', cwd: '/work' });
    expect(resolve('http://0.0.0.0:9001,http://10.0.0.2:9002').config?.listen).toEqual({ host: '0.0.0.0', port: 9001 });
    expect(resolve('https://[::1]:7000/ , https://b.example:7001').config?.listen).toEqual({ host: '::1', port: 7000 });
    for (const [addr, message] of [
      ['http://0.0.0.0:9001,', 'address 2 of the list is empty'],
      ['http://0.0.0.0:9001,ftp://x:1', 'address 2 of the list: must be an http:// or https:// URL'],
      ['http://0.0.0.0:9001,http://u:p@x:1', 'address 2 of the list: must not carry credentials'],
    ] as const) {
      const r = resolve(addr);
      expect(r.config).toBeUndefined();
      expect(r.problems).toEqual([{ path: 'env.ONTOREF_ADDR', message }]);
    }
  });
});

describe('what moves a request on to the next address', () => {
  it('connection refused: GET and POST both go on to the next address', async () => {
    const live = await healthy();
    const dead = await deadAddr();
    const c = new VaultClient({ addr: `${dead},${live.url}` });
    expect((await c.sealStatus()).sealed).toBe(false);
    await login(c);
    expect(live.seen).toEqual(['GET /v1/sys/seal-status', 'POST /v1/sessions']);
  });

  it('a connection closed without an answer: the POST fails there (not repeated elsewhere), the GET goes on', async () => {
    const cut = await closer();
    const live = await healthy();
    const c = new VaultClient({ addr: `${cut.url},${live.url}` });
    const e = await caught(login(c));
    expect(e.code).toBe('OV_DAEMON_UNREACHABLE');
    expect(e.detail?.['tried']).toBeUndefined();
    expect(cut.bytes).toBeGreaterThan(0);
    expect(live.seen).toEqual([]);
    expect((await c.sealStatus()).sealed).toBe(false);
    expect(live.seen).toEqual(['GET /v1/sys/seal-status']);
    // The live daemon answered last, so the next POST goes there first.
    const before = cut.connections;
    await login(new VaultClient({ addr: `${cut.url},${live.url}` }));
    expect(cut.connections).toBe(before);
    expect(live.seen).toEqual(['GET /v1/sys/seal-status', 'POST /v1/sessions']);
  });

  it('a timeout: the GET goes on, the POST (the daemon had its bytes) does not', async () => {
    const hang = await silent();
    const live = await healthy();
    const e = await caught(login(new VaultClient({ addr: `${hang.url},${live.url}`, timeoutMs: 1500 })));
    expect(e.code).toBe('OV_DAEMON_UNREACHABLE');
    expect(e.detail?.['reason']).toBe('timeout');
    expect(live.seen).toEqual([]);
    expect((await new VaultClient({ addr: `${hang.url},${live.url}`, timeoutMs: 1500 }).sealStatus()).sealed).toBe(false);
    expect(live.seen).toEqual(['GET /v1/sys/seal-status']);
  });

  it('503 OV_SEALED and OV_CLUSTER_LEASE move a POST on: the daemon refused it before its handler', async () => {
    for (const code of ['OV_SEALED', 'OV_CLUSTER_LEASE']) {
      const refusing = await failing(503, code);
      const live = await healthy();
      await login(new VaultClient({ addr: `${refusing.url},${live.url}` }));
      expect(refusing.seen).toEqual(['POST /v1/sessions']);
      expect(live.seen).toEqual(['POST /v1/sessions']);
    }
  });

  it('503 OV_STORAGE_UNAVAILABLE moves a GET on but not a POST (its handler may have committed part)', async () => {
    const refusing = await failing(503, 'OV_STORAGE_UNAVAILABLE');
    const live = await healthy();
    const addr = `${refusing.url},${live.url}`;
    const e = await caught(login(new VaultClient({ addr })));
    expect(e).toBeInstanceOf(DaemonError);
    expect(e.code).toBe('OV_STORAGE_UNAVAILABLE');
    expect(live.seen).toEqual([]);
    expect((await new VaultClient({ addr }).sealStatus()).sealed).toBe(false);
    expect(live.seen).toEqual(['GET /v1/sys/seal-status']);
  });

  it('a secret write (PUT, a new version each time) follows the POST rules; DELETE and other PUTs the GET rules', async () => {
    const refusing = await failing(503, 'OV_STORAGE_UNAVAILABLE');
    const live = await httpFake((_req, res) => {
      res.writeHead(204);
      res.end();
    });
    const c = new VaultClient({ addr: `${refusing.url},${live.url}` });
    expect((await caught(c.request('PUT', 'v1/secrets/app/db', { body: { data: { a: 'b' } }, accept: 'none' }))).code).toBe('OV_STORAGE_UNAVAILABLE');
    expect(live.seen).toEqual([]);
    await c.request('DELETE', 'v1/secrets/app/db', { accept: 'none' });
    await c.request('PUT', 'v1/validators/v1/chain', { body: {}, accept: 'none' });
    expect(live.seen).toEqual(['DELETE /v1/secrets/app/db', 'PUT /v1/validators/v1/chain']);
  });

  it('any other error answer is final, even for a GET', async () => {
    for (const [status, code] of [
      [500, 'OV_INTERNAL'],
      [404, 'OV_NOT_FOUND'],
      [401, 'OV_AUTH_INVALID'],
    ] as const) {
      const first = await failing(status, code);
      const live = await healthy();
      const e = await caught(new VaultClient({ addr: `${first.url},${live.url}` }).sealStatus());
      expect(e.code).toBe(code);
      expect(live.seen).toEqual([]);
    }
  });

  it('an answer cut after its headers is final for a GET too', async () => {
    const partial = await httpFake((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      // Closed once the headers and the first bytes have left.
      res.write('{"initialized":', () => res.socket?.end());
    });
    const live = await healthy();
    const e = await caught(new VaultClient({ addr: `${partial.url},${live.url}` }).sealStatus());
    expect(e.detail).toMatchObject({ reason: 'ECONNRESET' });
    expect(e.code).toBe('OV_DAEMON_UNREACHABLE');
    expect(live.seen).toEqual([]);
  });

  it("a caller's fetch: refused and unknown-host failures move a POST on, a reset does not", async () => {
    const attempts: string[] = [];
    const fetchWith = (failure: string): typeof fetch => (input) => {
      const url = input instanceof URL ? input : new URL(typeof input === 'string' ? input : input.url);
      attempts.push(url.host);
      if (url.host === 'a.test') return Promise.reject(new TypeError('fetch failed', { cause: Object.assign(new Error(failure), { code: failure }) }));
      return Promise.resolve(new Response(JSON.stringify({ token: 'x'.repeat(40), id: '00000000-0000-4000-8000-000000000000', expires_at: '2030-01-01T00:00:00.000Z', role: 'admin', scope: '*' }), { status: 200, headers: { 'content-type': 'application/json' } }));
    };
    for (const code of ['ECONNREFUSED', 'ENOTFOUND']) {
      attempts.length = 0;
      await login(new VaultClient({ addr: `http://a.test,http://b.test/${code}`, fetch: fetchWith(code) }));
      expect(attempts).toEqual(['a.test', 'b.test']);
    }
    attempts.length = 0;
    const e = await caught(login(new VaultClient({ addr: 'http://a.test,http://b.test/reset', fetch: fetchWith('ECONNRESET') })));
    expect(e.detail?.['reason']).toBe('ECONNRESET');
    expect(attempts).toEqual(['a.test']);
  });
});

describe('errors name every address tried', () => {
  it('all unreachable: OV_DAEMON_UNREACHABLE with each address and its cause; the CLI prints them (exit 1)', async () => {
    const [a, b] = [await deadAddr(), await deadAddr()];
    const e = await caught(new VaultClient({ addr: `${a},${b}` }).sealStatus());
    expect(e.code).toBe('OV_DAEMON_UNREACHABLE');
    expect(e.detail).toMatchObject({ addr: `${a}, ${b}`, tried: `${a} ECONNREFUSED, ${b} ECONNREFUSED` });
    expect(exitCodeFor(e)).toBe(1);
    expect(formatError(e, false)).toContain(`vault: hint: tried ${a} ECONNREFUSED, ${b} ECONNREFUSED`);
  });

  it("a daemon's answer is the error when every address failed, still naming all; the CLI exit code stays 2", async () => {
    const dead = await deadAddr();
    const sealed = await failing(503, 'OV_SEALED');
    const e = await caught(new VaultClient({ addr: `${sealed.url},${dead}` }).sealStatus());
    expect(e).toBeInstanceOf(DaemonError);
    expect(e.code).toBe('OV_SEALED');
    expect(e.detail?.['tried']).toBe(`${sealed.url} 503 OV_SEALED, ${dead} ECONNREFUSED`);
    expect(exitCodeFor(e)).toBe(2);
  });
});

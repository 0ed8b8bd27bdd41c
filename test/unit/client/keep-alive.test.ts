/**
 * The client retires an idle keep-alive connection before the daemon closes it: with the
 * daemon's own keep-alive timeout on a real server, a request sent right after another
 * reuses its connection, and one sent after the client's idle limit (but before the
 * server's) opens a new one. Without the limit the client would send on the old
 * connection just as the server may be closing it, and the request would be reset
 * unanswered.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_KEEP_ALIVE_IDLE_MS, KEEP_ALIVE_TIMEOUT_MS } from '../../../src/api/constants.js';
import { httpExchange } from '../../../src/client/http.js';

describe('client keep-alive', () => {
  let server: Server;
  let connections = 0;
  let url: URL;

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
    server.on('connection', () => connections++);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('keeps an idle connection a second less than the daemon does', () => {
    expect(CLIENT_KEEP_ALIVE_IDLE_MS).toBe(KEEP_ALIVE_TIMEOUT_MS - 1_000);
  });

  it('reuses a connection at once, and opens a new one once its idle limit has passed', async () => {
    const send = httpExchange();
    const get = async (): Promise<number> => (await send(url, { method: 'GET', headers: {}, body: undefined, signal: AbortSignal.timeout(10_000), maxBytes: 1024 })).status;
    expect(await get()).toBe(200);
    expect(await get()).toBe(200);
    expect(connections).toBe(1);
    // Past the client's limit, still inside the server's: the client retired the socket itself.
    await new Promise((resolve) => setTimeout(resolve, CLIENT_KEEP_ALIVE_IDLE_MS + 500));
    expect(await get()).toBe(200);
    expect(connections).toBe(2);
  }, 15_000);
});

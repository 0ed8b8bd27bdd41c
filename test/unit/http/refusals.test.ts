/**
 * Requests refused below the router (Node's HTTP parser, fastify's URL check) answer the
 * house error body and are audited with the address, status, code and a fixed reason,
 * over a real socket with raw bytes.
 */
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries, makeVault, type TestVault } from './helpers.js';

/** Sends `raw` and collects everything until the server closes the connection. */
function rawExchange(port: number, raw: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port });
    let text = '';
    s.on('data', (c: Buffer) => (text += c.toString('utf8')));
    s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? undefined : reject(e)));
    s.on('close', () => {
      const split = text.indexOf('\r\n\r\n');
      const head = text.slice(0, split);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body: text.slice(split + 4) });
    });
    s.write(raw);
  });
}

describe('refusals below the router', () => {
  let v: TestVault;
  let port: number;

  beforeAll(async () => {
    v = await makeVault();
    await v.app.listen({ host: '127.0.0.1', port: 0 });
    port = (v.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await v.cleanup();
  });

  const lastAudit = () => auditEntries(v).at(-1) as Record<string, unknown>;

  it('headers too large: 431 OV_HEADERS_TOO_LARGE in the house shape, audited', async () => {
    const before = auditEntries(v).length;
    const r = await rawExchange(port, `GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nX-Pad: ${'p'.repeat(20_000)}\r\n\r\n`);
    expect(r.status).toBe(431);
    expect(r.headers).toMatch(/content-type: application\/json; charset=utf-8/i);
    expect(JSON.parse(r.body)).toEqual({ error: { code: 'OV_HEADERS_TOO_LARGE', message: 'request headers exceed the size limit' } });
    expect(auditEntries(v)).toHaveLength(before + 1);
    expect(lastAudit()).toMatchObject({ type: 'request', status: 431, code: 'OV_HEADERS_TOO_LARGE', remote: '127.0.0.1', detail: { reason: 'header overflow' } });
    expect(JSON.stringify(lastAudit())).not.toContain('ppp');
  });

  it("the parser's 400s (bad Content-Length, garbage request line): OV_BAD_REQUEST, audited with the parser's code", async () => {
    for (const raw of ['POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 'NOT HTTP AT ALL SECRET-ECHO\r\n\r\n']) {
      const before = auditEntries(v).length;
      const r = await rawExchange(port, raw);
      expect(r.status).toBe(400);
      expect(JSON.parse(r.body)).toEqual({ error: { code: 'OV_BAD_REQUEST', message: 'request is malformed or fails validation' } });
      expect(auditEntries(v)).toHaveLength(before + 1);
      const e = lastAudit();
      expect(e).toMatchObject({ type: 'request', status: 400, code: 'OV_BAD_REQUEST', remote: '127.0.0.1' });
      expect((e.detail as { reason: string }).reason).toMatch(/^HPE_[A-Z_]+$/);
      expect(JSON.stringify(e)).not.toContain('SECRET-ECHO');
    }
  });

  it('a URL that does not percent-decode: 400 OV_BAD_REQUEST without echoing it, audited once', async () => {
    const before = auditEntries(v).length;
    const r = await rawExchange(port, 'GET /v1/sys/%zzSECRET-ECHO HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(r.status).toBe(400);
    expect(r.body).not.toContain('SECRET-ECHO');
    expect(JSON.parse(r.body)).toEqual({ error: { code: 'OV_BAD_REQUEST', message: 'request is malformed or fails validation' } });
    expect(auditEntries(v)).toHaveLength(before + 1);
    expect(lastAudit()).toMatchObject({ type: 'request', method: 'GET', path: '/v1/sys/%zzSECRET-ECHO', status: 400, code: 'OV_BAD_REQUEST', remote: '127.0.0.1', detail: { reason: 'FST_ERR_BAD_URL' } });
  });

  it('fails closed: when the audit append fails the answer is 500 OV_AUDIT_FAILED', async () => {
    v.auditFault.on = true;
    try {
      const r = await rawExchange(port, `GET / HTTP/1.1\r\nX-Pad: ${'p'.repeat(20_000)}\r\n\r\n`);
      expect(r.status).toBe(500);
      expect(JSON.parse(r.body)).toMatchObject({ error: { code: 'OV_AUDIT_FAILED' } });
    } finally {
      v.auditFault.on = false;
    }
  });
});

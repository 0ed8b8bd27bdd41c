/**
 * Failed key exchanges throttle the source that fails, never the key it names: a flood of
 * wrong secrets for the victim's key id (which is public) and for random ids, from other
 * addresses, leaves the victim's own exchanges answering 200 every time. Over a real
 * loopback socket, the attackers binding 127.0.0.2-4 (Linux routes all of 127/8 to lo).
 */
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExchangeGate } from '../../../src/http/ratelimit.js';
import { auditEntries, expectError, makeVault, unseal, type TestVault } from './helpers.js';

function post(port: number, from: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify({ key });
    const req = httpRequest(
      { host: '127.0.0.1', port, localAddress: from, method: 'POST', path: '/v1/sessions', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ExchangeGate', () => {
  it('admits up to its slots, keeps the reserved ones for trusted callers, and serves trusted waiters first', async () => {
    const gate = new ExchangeGate({ slots: 2, reserved: 1, maxWaiting: 2, maxWaitMs: 60_000 });
    expect(await gate.enter(false)).toBe(true);
    const order: string[] = [];
    // The second slot is reserved: an untrusted caller waits, a trusted one gets it.
    const other = gate.enter(false).then((ok) => order.push(`other:${ok}`));
    expect(await gate.enter(true)).toBe(true);
    const trusted = gate.enter(true).then((ok) => order.push(`trusted:${ok}`));
    const second = gate.enter(false).then((ok) => order.push(`second:${ok}`));
    // The untrusted lane is full (2 waiting): refused at once, not queued.
    expect(await gate.enter(false)).toBe(false);
    expect(gate.waiting).toBe(3);
    gate.leave();
    await trusted;
    expect(order).toEqual(['trusted:true']);
    gate.leave();
    gate.leave();
    await other;
    expect(order).toEqual(['trusted:true', 'other:true']);
    // Untrusted callers share one slot: the second enters when the first leaves.
    gate.leave();
    await second;
    expect(order).toEqual(['trusted:true', 'other:true', 'second:true']);
    expect(gate.running).toBe(1);
  });

  it('queues a trusted caller while untrusted callers fill their lane', async () => {
    const gate = new ExchangeGate({ slots: 2, reserved: 1, maxWaiting: 2, maxWaitMs: 60_000 });
    expect(await gate.enter(true)).toBe(true);
    expect(await gate.enter(true)).toBe(true);
    const others = [gate.enter(false), gate.enter(false)];
    expect(await gate.enter(false)).toBe(false);
    // A flood in the untrusted lane does not refuse the trusted caller: it waits its turn.
    const trusted = gate.enter(true);
    expect(gate.waiting).toBe(3);
    gate.leave();
    expect(await trusted).toBe(true);
    gate.leave();
    gate.leave();
    expect(await others[0]).toBe(true);
    gate.leave();
    expect(await others[1]).toBe(true);
  });
});

describe('exchange lock-out', () => {
  let v: TestVault;
  let port: number;

  beforeAll(async () => {
    v = await makeVault();
    await unseal(v);
    await v.app.listen({ host: '127.0.0.1', port: 0 });
    port = (v.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await v.cleanup();
  });

  it('five wrong secrets for a key id from elsewhere do not lock its owner out; from the same address they do', async () => {
    const id = v.setup?.adminKeyId as string;
    const wrong = `ovk_${id}_${'A'.repeat(43)}`;
    for (let i = 0; i < 6; i++) {
      expectError(await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: wrong }, remoteAddress: `10.0.0.${i + 1}` }), 401, 'OV_AUTH_INVALID');
    }
    expect((await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: v.adminKey }, remoteAddress: '10.0.1.1' })).statusCode).toBe(200);
    for (let i = 0; i < 5; i++) {
      expectError(await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: wrong }, remoteAddress: '10.0.2.1' }), 401, 'OV_AUTH_INVALID');
    }
    expectError(await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: v.adminKey }, remoteAddress: '10.0.2.1' }), 429, 'OV_RATE_LIMITED');
  });

  it('20 bad exchanges a second for 10 s from 127.0.0.2-4, for the victim id and random ids: the right key from 127.0.0.1 gets 200 every time', async () => {
    const id = v.setup?.adminKeyId as string;
    const startSeq = v.storage.audit.last()?.seq ?? 0;
    // The victim's address has exchanged successfully before the attack.
    expect(await post(port, '127.0.0.1', v.adminKey as string)).toBe(200);

    const attackers = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
    const attacks: Promise<number>[] = [];
    let stop = false;
    const flood = (async () => {
      for (let i = 0; i < 200; i++) {
        const secret = randomBytes(32).toString('base64url');
        const keyId = i % 2 === 0 ? id : randomBytes(8).toString('hex');
        attacks.push(post(port, attackers[i % 3] as string, `ovk_${keyId}_${secret}`));
        await sleep(50);
      }
      stop = true;
    })();
    const victim: number[] = [];
    while (!stop) {
      victim.push(await post(port, '127.0.0.1', v.adminKey as string));
      await sleep(200);
    }
    await flood;
    const attacked = await Promise.all(attacks);

    expect(victim.length).toBeGreaterThanOrEqual(10);
    expect(victim.every((s) => s === 200), JSON.stringify(victim)).toBe(true);
    // The attackers were refused: at first by argon2 (401), then by their own budget (429).
    expect(attacked.every((s) => s === 401 || s === 429)).toBe(true);
    // How many are refused before argon2 runs depends on how fast it runs; that some are is not.
    expect(attacked.filter((s) => s === 429).length).toBeGreaterThan(0);
    const entries = auditEntries(v).filter((e) => (e.seq as number) > startSeq && e.path === '/v1/sessions');
    for (const a of attackers) {
      const mine = entries.filter((e) => e.remote === a);
      expect(mine.length).toBeGreaterThan(0);
      expect(mine.every((e) => e.code === 'OV_AUTH_INVALID' || e.code === 'OV_RATE_LIMITED')).toBe(true);
      // Each source exhausted its own budget (20 failures a minute; it sent about 67).
      expect(mine.some((e) => e.code === 'OV_RATE_LIMITED'), a).toBe(true);
    }
    expect(entries.filter((e) => e.remote === '127.0.0.1' && e.status === 200)).toHaveLength(victim.length + 1);
  }, 120_000);
});

/**
 * A daemon whose PostgreSQL server goes away and comes back, under a small write load:
 * while the server is down every request fails fast with 503 OV_STORAGE_UNAVAILABLE (none
 * hangs, none is a 500) and health names the database unreachable; once the server is
 * back the same daemon serves again without a restart, and every write it acknowledged
 * (200) reads back with its value. The only time bounds are generous ceilings that prove
 * "did not hang"; nothing depends on speed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, makeSandbox, type Sandbox } from '../helpers/cli.js';
import { api, errorCode, logSources, SecretSet, setupVault, sleep, startDaemon, type Daemon } from '../helpers/daemon.js';
import { freshDatabase, startPostgres, type PgServer } from '../helpers/pg.js';
import { writePgConfig } from '../helpers/pg-vault.js';

/** The storage timeout the daemon runs with, and the ceiling no answer may pass. */
const STORAGE_TIMEOUT_MS = 2000;
const NO_HANG_MS = STORAGE_TIMEOUT_MS * 5;

let sb: Sandbox;
let server: PgServer;
let daemon: Daemon;
let token: string;
const secrets = new SecretSet();

interface Outcome {
  readonly path: string;
  readonly value: string;
  readonly status: number;
  readonly code: string | undefined;
  readonly ms: number;
}

beforeAll(async () => {
  assertBuilt();
  sb = makeSandbox('vault-pg-faults-');
  server = await startPostgres();
  const url = await freshDatabase(server.url);
  const dir = sb.path('vault');
  writePgConfig(dir, url, { unsealKeyFile: join(dir, 'unseal.key'), timeout: `${STORAGE_TIMEOUT_MS}ms` });
  await setupVault(sb, dir, ['--unseal-key-file', join(dir, 'unseal.key')]);
  daemon = await startDaemon({ home: sb.home, logDir: join(sb.dir, 'logs'), env: { ONTOREF_DATA_DIR: dir } });
  const key = readFileSync(join(dir, 'admin.token'), 'utf8').trim();
  const s = await api(daemon.addr, 'POST', '/v1/sessions', { json: { key } });
  expect(s.status, s.text).toBe(200);
  token = (s.json as { token: string }).token;
  secrets.add('admin session token', token);
}, 120_000);

afterAll(async () => {
  await daemon?.stop('SIGKILL');
  await server?.destroy();
  sb.cleanup();
});

describe('a daemon on PostgreSQL when the database goes away', () => {
  it('fails fast with 503 while it is down, serves again when it is back, and loses no acknowledged write', async () => {
    const outcomes: Outcome[] = [];
    let n = 0;
    let stopLoad = false;
    const writer = async (w: number): Promise<void> => {
      while (!stopLoad) {
        const path = `load/w${w}/n${n++}`;
        const value = secrets.add(path, `fault-load-value-${w}-${n}-${Math.random().toString(36).slice(2, 10)}`);
        const t0 = Date.now();
        const r = await api(daemon.addr, 'PUT', `/v1/secrets/${path}`, { token, json: { data: { value } } });
        outcomes.push({ path, value, status: r.status, code: errorCode(r), ms: Date.now() - t0 });
        await sleep(20);
      }
    };
    const writers = [writer(1), writer(2)];
    const until = async (what: string, ok: () => boolean, ceilingMs = 60_000): Promise<void> => {
      const end = Date.now() + ceilingMs;
      while (!ok()) {
        if (Date.now() > end) throw new Error(`gave up waiting for ${what}: ${JSON.stringify(outcomes.slice(-8).map((o) => [o.status, o.code, o.ms]))} of ${outcomes.length}`);
        await sleep(50);
      }
    };
    try {
      await until('writes before the outage', () => outcomes.filter((o) => o.status === 200).length >= 10);
      await server.stop();
      const cut = outcomes.length;
      await until('refusals during the outage', () => outcomes.slice(cut).filter((o) => o.status === 503).length >= 5);

      const h0 = Date.now();
      const health = await api(daemon.addr, 'GET', '/v1/sys/health');
      expect(Date.now() - h0).toBeLessThan(NO_HANG_MS);
      expect(health.status).toBe(503);
      expect(health.json).toMatchObject({ initialized: true, sealed: false, database: 'unreachable' });
      const read = await api(daemon.addr, 'GET', '/v1/secrets/load/w1/n0', { token });
      expect({ status: read.status, code: errorCode(read) }).toEqual({ status: 503, code: 'OV_STORAGE_UNAVAILABLE' });

      await server.start();
      const back = outcomes.length;
      await until('writes after the outage', () => outcomes.slice(back).filter((o) => o.status === 200).length >= 10);
    } finally {
      stopLoad = true;
      await Promise.all(writers);
    }

    // Every refusal was the one code, and nothing waited past the ceiling.
    const refused = outcomes.filter((o) => o.status !== 200);
    expect(refused.length).toBeGreaterThanOrEqual(5);
    expect(new Set(refused.map((o) => `${o.status} ${o.code ?? ''}`))).toEqual(new Set(['503 OV_STORAGE_UNAVAILABLE']));
    expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(NO_HANG_MS);

    const health = await api(daemon.addr, 'GET', '/v1/sys/health');
    expect(health.status).toBe(200);
    expect(health.json).toMatchObject({ initialized: true, sealed: false, database: 'ok' });

    const acknowledged = outcomes.filter((o) => o.status === 200);
    for (const o of acknowledged) {
      const r = await api(daemon.addr, 'GET', `/v1/secrets/${o.path}`, { token });
      expect(r.status, o.path).toBe(200);
      expect((r.json as { data: { value: string } }).data.value, o.path).toBe(o.value);
    }
  }, 180_000);

  it('never logs a secret value', async () => {
    await daemon.stop();
    expect(secrets.findIn(logSources(join(sb.dir, 'logs')))).toEqual([]);
  });
});

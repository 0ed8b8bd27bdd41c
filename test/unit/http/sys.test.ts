/**
 * /v1/sys/*: health status codes, unseal with shares (progress, wrong and repeated
 * shares, a share from another vault, reset), seal, describe, metrics and the OpenAPI
 * document, against a real vault in a temp dir.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SealManager } from '../../../src/seal/index.js';
import { packageVersion } from '../../../src/util/package-version.js';
import { MemoryMeta } from '../seal/helpers.js';
import { bearer, expectError, login, makeVault, unseal, type TestVault } from './helpers.js';

interface SealStatusBody {
  initialized: boolean;
  sealed: boolean;
  mode: string | null;
  t: number | null;
  n: number | null;
  progress: number;
  nonce: string;
  version: string;
}

describe('GET /v1/sys/health', () => {
  it('answers 501 before setup, with every other route refused as not initialised', async () => {
    const v = await makeVault({ mode: null });
    try {
      const r = await v.app.inject({ method: 'GET', url: '/v1/sys/health' });
      expect(r.statusCode).toBe(501);
      expect(r.json()).toEqual({ initialized: false, sealed: true, version: packageVersion(), database: 'ok' });
      const head = await v.app.inject({ method: 'HEAD', url: '/v1/sys/health' });
      expect(head.statusCode).toBe(501);
      expect(head.body).toBe('');
      expectError(await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: 'x' } }), 501, 'OV_NOT_INITIALIZED');
      const status = (await v.app.inject({ method: 'GET', url: '/v1/sys/seal-status' })).json<SealStatusBody>();
      expect(status).toMatchObject({ initialized: false, sealed: true, mode: null, progress: 0 });
    } finally {
      await v.cleanup();
    }
  });

  it('answers 503 while sealed and 200 once unsealed', async () => {
    const v = await makeVault();
    try {
      const sealed = await v.app.inject({ method: 'GET', url: '/v1/sys/health' });
      expect(sealed.statusCode).toBe(503);
      expect(sealed.json()).toEqual({ initialized: true, sealed: true, version: packageVersion(), database: 'ok' });
      await unseal(v);
      const ok = await v.app.inject({ method: 'GET', url: '/v1/sys/health' });
      expect(ok.statusCode).toBe(200);
      expect(ok.json()).toEqual({ initialized: true, sealed: false, version: packageVersion(), database: 'ok' });
    } finally {
      await v.cleanup();
    }
  });
});

describe('POST /v1/sys/unseal and /v1/sys/seal', () => {
  let v: TestVault;
  let shares: readonly string[];
  const post = (payload: unknown) => v.app.inject({ method: 'POST', url: '/v1/sys/unseal', payload: payload as Record<string, unknown> });
  const progress = async (): Promise<number> => (await v.app.inject({ method: 'GET', url: '/v1/sys/seal-status' })).json<SealStatusBody>().progress;

  beforeAll(async () => {
    v = await makeVault();
    shares = v.setup?.shares ?? [];
    expect(shares).toHaveLength(5);
  });
  afterAll(async () => {
    await v.cleanup();
  });
  afterEach(async () => {
    // Each test starts from a sealed vault with no shares pending.
    if (v.vault.keyring() !== undefined) v.vault.seal.seal();
    await post({ reset: true });
  });

  it('unseals with 3 of 5 shares, reporting progress', async () => {
    const s0 = (await v.app.inject({ method: 'GET', url: '/v1/sys/seal-status' })).json<SealStatusBody>();
    expect(s0).toMatchObject({ initialized: true, sealed: true, mode: 'shamir', t: 3, n: 5, progress: 0, nonce: '' });
    const r1 = await post({ share: shares[4] });
    expect(r1.statusCode).toBe(200);
    const b1 = r1.json<SealStatusBody>();
    expect(b1).toMatchObject({ sealed: true, progress: 1 });
    expect(b1.nonce).toMatch(/^[0-9a-f]{32}$/);
    const b2 = (await post({ share: shares[1] })).json<SealStatusBody>();
    expect(b2).toMatchObject({ sealed: true, progress: 2, nonce: b1.nonce });
    const b3 = (await post({ share: shares[2] })).json<SealStatusBody>();
    expect(b3).toMatchObject({ sealed: false, progress: 0, nonce: '' });
    expect(v.vault.keyring()).toBeDefined();
    expect((await v.app.inject({ method: 'GET', url: '/v1/sys/health' })).statusCode).toBe(200);
  });

  it('refuses a malformed share and a repeated one without changing progress', async () => {
    expect((await post({ share: shares[0] })).json<SealStatusBody>().progress).toBe(1);
    const typo = `${(shares[1] as string).slice(0, -1)}${(shares[1] as string).endsWith('a') ? 'b' : 'a'}`;
    expectError(await post({ share: typo }), 400, 'OV_UNSEAL_INVALID_SHARE');
    expectError(await post({ share: 'not a share' }), 400, 'OV_UNSEAL_INVALID_SHARE');
    expect(await progress()).toBe(1);
    expectError(await post({ share: shares[0] }), 400, 'OV_UNSEAL_DUPLICATE_SHARE');
    expect(await progress()).toBe(1);
    expect(v.vault.keyring()).toBeUndefined();
  });

  it('drops every share when the threshold combines to a key of another vault', async () => {
    const other = new SealManager(new MemoryMeta());
    const foreign = await other.initialise({ mode: 'shamir' });
    if (foreign.mode !== 'shamir') throw new Error('unexpected mode');
    await post({ share: shares[0] });
    await post({ share: shares[1] });
    // Share number 3 of another vault: well-formed, so it is only caught by the root-key check.
    expectError(await post({ share: foreign.shares[2] }), 400, 'OV_UNSEAL_FAILED');
    expect(await progress()).toBe(0);
    expect(v.vault.keyring()).toBeUndefined();
  });

  it('resets a pending attempt', async () => {
    await post({ share: shares[0] });
    const r = (await post({ reset: true })).json<SealStatusBody>();
    expect(r).toMatchObject({ progress: 0, nonce: '', sealed: true });
  });

  it('refuses bodies that are not exactly one of share, passphrase, reset', async () => {
    for (const body of [{}, { share: shares[0], reset: true }, { reset: false }, { share: 1 }, { shares: [shares[0]] }]) {
      expectError(await post(body), 400, 'OV_BAD_REQUEST');
    }
    expect(await progress()).toBe(0);
  });

  it('seals on the daemon admin\'s request; non-sys routes then answer 503 until unsealed', async () => {
    await unseal(v);
    const { token } = await login(v, v.adminKey as string);
    expect((await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(token) })).statusCode).toBe(200);
    const sealed = await v.app.inject({ method: 'POST', url: '/v1/sys/seal', headers: bearer(token) });
    expect(sealed.statusCode).toBe(204);
    expect(v.vault.keyring()).toBeUndefined();
    expectError(await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(token) }), 503, 'OV_SEALED');
    expectError(await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key: v.adminKey } }), 503, 'OV_SEALED');
    expectError(await v.app.inject({ method: 'GET', url: '/v1/keys', headers: bearer(token) }), 503, 'OV_SEALED');
    expectError(await v.app.inject({ method: 'GET', url: '/v1/nowhere' }), 503, 'OV_SEALED');
    // Sys routes that need a session cannot verify one while sealed.
    expectError(await v.app.inject({ method: 'GET', url: '/v1/sys/metrics', headers: bearer(token) }), 503, 'OV_SEALED');
    expect((await v.app.inject({ method: 'GET', url: '/v1/sys/health' })).statusCode).toBe(503);
    // The session survives a seal: after unsealing, the same token works again.
    await unseal(v);
    expect((await v.app.inject({ method: 'GET', url: '/v1/sessions/self', headers: bearer(token) })).statusCode).toBe(200);
  });
});

describe('describe, metrics, openapi', () => {
  let v: TestVault;
  let admin: string;
  beforeAll(async () => {
    v = await makeVault();
    await unseal(v);
    admin = (await login(v, v.adminKey as string)).token;
  });
  afterAll(async () => {
    await v.cleanup();
  });

  it('describes version, provider, suites, capabilities and the config schema', async () => {
    const r = await v.app.inject({ method: 'GET', url: '/v1/sys/describe' });
    expect(r.statusCode).toBe(200);
    const d = r.json<{
      version: string;
      provider: { name: string; algorithms: Record<string, string> };
      suites: { name: string }[];
      capabilities: string[];
      config_schema: { properties: Record<string, unknown>; additionalProperties: boolean };
      signature: string;
      sealed: boolean;
    }>();
    expect(d.version).toBe(packageVersion());
    expect(d.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(d.provider.name).toBe('noble');
    expect(d.provider.algorithms['ML-DSA-65']).toBe('noble');
    expect(d.provider.algorithms['Falcon-512-r3']).toBe('noble');
    expect(d.suites.map((s) => s.name)).toContain('xwing-hkdfsha256-aes256gcm');
    expect(d.capabilities).toContain('sessions.revoke-by-id');
    expect(d.config_schema.additionalProperties).toBe(false);
    expect(Object.keys(d.config_schema.properties)).toEqual(expect.arrayContaining(['listen', 'sessions', 'limits', 'crypto', 'seal']));
    expect(d.signature).toBe('ML-DSA-65');
    expect(d.sealed).toBe(false);
  });

  it('serves Prometheus metrics to admins and operators, not readers', async () => {
    const r = await v.app.inject({ method: 'GET', url: '/v1/sys/metrics', headers: bearer(admin) });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.body).toMatch(/^ontoref_vault_http_requests_total\{method="POST",route="\/v1\/sessions",status="200"\} 1$/m);
    expect(r.body).toMatch(/^ontoref_vault_sealed 0$/m);
    expect(r.body).toMatch(/^ontoref_vault_sessions_active 1$/m);
    expect(r.body).toMatch(/^ontoref_vault_audit_entries \d+$/m);
    expect(r.body).toMatch(/^ontoref_vault_uptime_seconds \d+\.\d{3}$/m);
    expect(r.body).toMatch(/^# TYPE ontoref_vault_http_requests_total counter$/m);

    const mk = async (role: string) =>
      (await v.app.inject({ method: 'POST', url: '/v1/apikeys', headers: bearer(admin), payload: { role, label: role } })).json<{ key: string }>().key;
    const operator = (await login(v, await mk('operator'))).token;
    const reader = (await login(v, await mk('reader'))).token;
    expect((await v.app.inject({ method: 'GET', url: '/v1/sys/metrics', headers: bearer(operator) })).statusCode).toBe(200);
    expectError(await v.app.inject({ method: 'GET', url: '/v1/sys/metrics', headers: bearer(reader) }), 403, 'OV_FORBIDDEN');
  });

  it('publishes an OpenAPI document generated from the route schemas', async () => {
    const r = await v.app.inject({ method: 'GET', url: '/v1/sys/openapi' });
    expect(r.statusCode).toBe(200);
    const doc = r.json<{
      openapi: string;
      info: { version: string };
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { additionalProperties?: boolean; required?: string[] } }> } }>>;
    }>();
    expect(doc.openapi).toBe('3.0.3');
    expect(doc.info.version).toBe(packageVersion());
    for (const p of ['/v1/sys/health', '/v1/sys/unseal', '/v1/sessions', '/v1/sessions/{id}', '/v1/apikeys', '/v1/keys/{name}/rotate']) {
      expect(Object.keys(doc.paths)).toContain(p);
    }
    expect(Object.keys(doc.paths)).not.toContain('/v1/sys/openapi');
    const exchange = doc.paths['/v1/sessions']?.post?.requestBody?.content['application/json']?.schema;
    expect(exchange?.additionalProperties).toBe(false);
    expect(exchange?.required).toEqual(['key']);
  });
});

/**
 * `POST /v1/sys/snapshot` over a real vault: the daemon admin gets a signed snapshot file
 * whose manifest covers the audit log at the time of the copy, and the call is audited
 * with the sequence number it covers; another role, no token, or a sealed vault get their
 * exact refusals and no file is left in the data dir.
 */
import { readdirSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSnapshot, snapshotKeyFingerprint, verifySnapshot } from '../../../src/snapshot/index.js';
import { bearer, expectError, login, makeVault, unseal, type TestVault } from './helpers.js';

describe('POST /v1/sys/snapshot', () => {
  let v: TestVault;
  let admin = '';
  beforeEach(async () => {
    v = await makeVault({ config: { data_dir: '.' } });
    await unseal(v);
    admin = (await login(v, v.adminKey ?? '')).token;
  });
  afterEach(() => v.cleanup());

  it('answers the daemon admin with a signed snapshot and audits what it covers', async () => {
    const files = readdirSync(v.dir).sort();
    const r = await v.app.inject({ method: 'POST', url: '/v1/sys/snapshot', headers: bearer(admin) });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toBe('application/octet-stream');
    const snap = parseSnapshot(new Uint8Array(r.rawPayload));
    verifySnapshot(v.vault.provider, snap, { fingerprint: snapshotKeyFingerprint(v.storage) ?? '' });
    expect(readdirSync(v.dir).sort()).toEqual(files);
    const last = v.storage.audit.last();
    const entry = JSON.parse(last?.entry ?? '{}') as { path?: string; status?: number; detail?: Record<string, unknown> };
    expect(entry).toMatchObject({ path: '/v1/sys/snapshot', status: 200, detail: { action: 'save', audit_seq: snap.manifest.auditSeq, data_bytes: snap.manifest.dataBytes } });
    // The copy was taken before its own audit entry was written.
    expect(snap.manifest.auditSeq).toBeLessThan(last?.seq ?? 0);
  });

  it('refuses another role, no token and a sealed vault', async () => {
    const created = await v.app.inject({ method: 'POST', url: '/v1/apikeys', headers: bearer(admin), payload: { role: 'operator', label: 'ops', scope: '*' } });
    expect(created.statusCode, created.body).toBe(201);
    const op = (await login(v, created.json<{ key: string }>().key)).token;
    expectError(await v.app.inject({ method: 'POST', url: '/v1/sys/snapshot', headers: bearer(op) }), 403, 'OV_FORBIDDEN');
    expectError(await v.app.inject({ method: 'POST', url: '/v1/sys/snapshot' }), 401, 'OV_AUTH_INVALID');
    expect((await v.app.inject({ method: 'POST', url: '/v1/sys/seal', headers: bearer(admin) })).statusCode).toBe(204);
    const files = readdirSync(v.dir).sort();
    expectError(await v.app.inject({ method: 'POST', url: '/v1/sys/snapshot', headers: bearer(admin) }), 503, 'OV_SEALED');
    expect(readdirSync(v.dir).sort()).toEqual(files);
  });
});

/**
 * A secret read as an age v1 file (`x-ontoref-age-recipient`), through the real server:
 * typage (the age authors' implementation) decrypts it for a post-quantum `age1pq1...`
 * recipient and for a classic `age1...` one, several recipients each open it, `?field=`
 * narrows it; bad, mixed or conflicting recipient headers are refused with their exact
 * codes, and the read is audited as any other.
 */
import * as typage from 'age-encryption';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEntries, bearer, expectError, login, makeVault, unseal, type TestVault } from './helpers.js';

async function decrypt(identity: string, armored: string): Promise<string> {
  const d = new typage.Decrypter();
  d.addIdentity(identity);
  return d.decrypt(typage.armor.decode(armored), 'text');
}

describe('secret reads as age files', () => {
  let v: TestVault;
  let token: string;
  const get = (url: string, headers: Record<string, string | string[]>) => v.app.inject({ method: 'GET', url, headers: { ...bearer(token), ...headers } });

  beforeAll(async () => {
    v = await makeVault();
    await unseal(v);
    token = (await login(v, v.adminKey as string)).token;
    const r = await v.app.inject({ method: 'PUT', url: '/v1/secrets/app/db', headers: bearer(token), payload: { data: { password: 'hunter2-correct-horse' } } });
    expect(r.statusCode, r.body).toBe(200);
  });
  afterAll(async () => {
    await v.cleanup();
  });

  it.each([
    ['post-quantum', () => typage.generateHybridIdentity()],
    ['X25519', () => typage.generateX25519Identity()],
  ])('typage decrypts the answer for a %s recipient', async (_kind, gen) => {
    const identity = await gen();
    const r = await get('/v1/secrets/app/db', { 'x-ontoref-age-recipient': await typage.identityToRecipient(identity) });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.headers['content-type']).toBe('application/vnd.age');
    expect(r.headers['x-ontoref-version']).toBe('1');
    expect(r.body.startsWith('-----BEGIN AGE ENCRYPTED FILE-----')).toBe(true);
    expect(r.body).not.toContain('hunter2');
    const doc = JSON.parse(await decrypt(identity, r.body)) as { data: Record<string, string> };
    expect(doc.data).toEqual({ password: 'hunter2-correct-horse' });
  });

  it('encrypts to every recipient (comma-separated or repeated headers); ?field= gives the value alone', async () => {
    const a = await typage.generateHybridIdentity();
    const b = await typage.generateHybridIdentity();
    const ra = await typage.identityToRecipient(a);
    const rb = await typage.identityToRecipient(b);
    for (const header of [`${ra},${rb}`, [ra, rb]]) {
      const r = await get('/v1/secrets/app/db?field=password', { 'x-ontoref-age-recipient': header });
      expect(r.statusCode, r.body).toBe(200);
      expect(await decrypt(a, r.body)).toBe('hunter2-correct-horse');
      expect(await decrypt(b, r.body)).toBe('hunter2-correct-horse');
    }
  });

  it('refuses bad, mixed or conflicting recipients with exact codes', async () => {
    const pq = await typage.identityToRecipient(await typage.generateHybridIdentity());
    const x = await typage.identityToRecipient(await typage.generateX25519Identity());
    const before = auditEntries(v).length;
    expectError(await get('/v1/secrets/app/db', { 'x-ontoref-age-recipient': 'age1notarecipient' }), 400, 'OV_KEY_INVALID');
    expectError(await get('/v1/secrets/app/db', { 'x-ontoref-age-recipient': `${pq},` }), 400, 'OV_KEY_INVALID');
    expectError(await get('/v1/secrets/app/db', { 'x-ontoref-age-recipient': Array.from({ length: 17 }, () => x).join(',') }), 400, 'OV_KEY_INVALID');
    expectError(await get('/v1/secrets/app/db', { 'x-ontoref-age-recipient': `${pq},${x}` }), 400, 'OV_AGE_MIXED_RECIPIENTS');
    expectError(await get('/v1/secrets/app/db', { 'x-ontoref-age-recipient': pq, 'x-ontoref-recipient': pq }), 400, 'OV_INVALID_ARGUMENT');
    const entries = auditEntries(v).slice(before) as { status?: number; code?: string }[];
    expect(entries.map((e) => e.code)).toEqual(['OV_KEY_INVALID', 'OV_KEY_INVALID', 'OV_KEY_INVALID', 'OV_AGE_MIXED_RECIPIENTS', 'OV_INVALID_ARGUMENT']);
    // Nothing changed: still one version.
    const m = await v.app.inject({ method: 'GET', url: '/v1/secrets-metadata/app/db', headers: bearer(token) });
    expect(m.json<{ current_version: number }>().current_version).toBe(1);
  });
});

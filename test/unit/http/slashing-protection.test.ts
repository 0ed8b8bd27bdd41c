/**
 * The `/v1/validators` routes of chain-bound slashing protection and import jobs over a
 * real vault: interchange import and export (admin, scope over all of `validators`),
 * chain binding and watermark confirmation (operator, one slot), bulk import refusals
 * before any job starts, and the keymanager routes while sealed. Every bad input gets its
 * exact code and leaves the stored validators as they were.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptKeystore, formatPublicKey, generateKey, NETWORK_ROOTS } from '../../../src/validators/index.js';
import { bearer, expectError, login, makeVault, unseal, type TestVault } from './helpers.js';

const MAINNET = NETWORK_ROOTS.mainnet;
const HOODI = NETWORK_ROOTS.hoodi;
const ic = (root: string, data: unknown[]): string => JSON.stringify({ metadata: { interchange_format_version: '5', genesis_validators_root: root }, data });

describe('slashing protection and import job routes', () => {
  let v: TestVault;
  let admin: string;
  let operator: string;
  let scopedAdmin: string;
  let pub: string;
  let keystore: string;

  const call = (t: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) =>
    v.app.inject({ method, url, headers: bearer(t), ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }) });
  const snapshot = () => ({ counts: v.storage.validators.counts(), slots: v.storage.validators.listSlots() });

  beforeAll(async () => {
    v = await makeVault();
    await unseal(v);
    admin = (await login(v, v.adminKey as string)).token;
    const key = async (role: string, scope: string): Promise<string> => {
      const r = await call(admin, 'POST', '/v1/apikeys', { role, scope, label: role });
      return (await login(v, r.json<{ key: string }>().key)).token;
    };
    operator = await key('operator', '*');
    scopedAdmin = await key('admin', 'validators/eth-a');
    const k = generateKey('ethereum');
    pub = formatPublicKey('ethereum', k.publicKey);
    keystore = await encryptKeystore(k, 'password-a', { kdf: 'scrypt', scryptN: 2 ** 10 });
    const r = await call(operator, 'POST', '/v1/validators', { name: 'eth-a', chain: 'ethereum', format: 'eip2335', keystore, password: 'password-a', metadata: { genesis_validators_root: MAINNET } });
    expect(r.statusCode, r.body).toBe(201);
  });
  afterAll(async () => {
    await v.cleanup();
  });

  it('imports and exports interchanges (admin over all validators)', async () => {
    const r = await call(admin, 'POST', '/v1/validators/slashing-protection/import', { interchange: ic(MAINNET, [{ pubkey: pub, signed_blocks: [{ slot: '12' }], signed_attestations: [] }]) });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ genesis_validators_root: MAINNET, results: [{ pubkey: pub, status: 'raised', name: 'eth-a' }] });
    const e = await call(admin, 'POST', '/v1/validators/slashing-protection/export', { genesis_validators_root: MAINNET });
    expect(e.statusCode, e.body).toBe(200);
    const doc = JSON.parse(e.json<{ interchange: string }>().interchange) as { metadata: unknown; data: { pubkey: string; signed_blocks: unknown[] }[] };
    expect(doc.metadata).toEqual({ interchange_format_version: '5', genesis_validators_root: MAINNET });
    expect(doc.data).toEqual([{ pubkey: pub, signed_blocks: [{ slot: '12' }], signed_attestations: [] }]);
  });

  it('refuses every bad input with its exact code, changing nothing', async () => {
    const before = snapshot();
    const imp = (t: string, body: unknown) => call(t, 'POST', '/v1/validators/slashing-protection/import', body);
    expectError(await imp(operator, { interchange: ic(MAINNET, []) }), 403, 'OV_FORBIDDEN');
    expectError(await imp(scopedAdmin, { interchange: ic(MAINNET, []) }), 403, 'OV_FORBIDDEN');
    expectError(await imp(admin, { interchange: ic(HOODI, [{ pubkey: pub, signed_blocks: [{ slot: '99' }], signed_attestations: [] }]) }), 409, 'OV_INTERCHANGE_CHAIN_MISMATCH');
    expectError(await imp(admin, { interchange: ic(`0x${'00'.repeat(32)}`, []) }), 400, 'OV_INTERCHANGE_INVALID');
    expectError(await imp(admin, { interchange: '{"metadata":{"interchange_format_version":"4"}}' }), 400, 'OV_INTERCHANGE_INVALID');
    expectError(await imp(admin, { interchange: 'not json' }), 400, 'OV_INTERCHANGE_INVALID');
    expectError(await imp(admin, { interchange: ic(MAINNET, []), extra: 1 }), 400, 'OV_BAD_REQUEST');
    const exp = (t: string, body: unknown) => call(t, 'POST', '/v1/validators/slashing-protection/export', body);
    expectError(await exp(operator, {}), 403, 'OV_FORBIDDEN');
    expectError(await exp(admin, { genesis_validators_root: '0x12' }), 400, 'OV_BAD_REQUEST');
    expectError(await exp(admin, { genesis_validators_root: `0x${'00'.repeat(32)}` }), 400, 'OV_INVALID_ARGUMENT');
    expectError(await exp(admin, { pubkeys: [`0x${'ab'.repeat(48)}`] }), 404, 'OV_VALIDATOR_NOT_FOUND');
    expectError(await call(operator, 'PUT', '/v1/validators/eth-a/chain', { genesis_validators_root: HOODI }), 409, 'OV_INTERCHANGE_CHAIN_MISMATCH');
    expectError(await call(operator, 'PUT', '/v1/validators/eth-a/chain', { genesis_validators_root: 'mainnet' }), 400, 'OV_BAD_REQUEST');
    expectError(await call(operator, 'PUT', '/v1/validators/nope/chain', { genesis_validators_root: HOODI }), 404, 'OV_VALIDATOR_NOT_FOUND');
    expectError(await call(operator, 'POST', '/v1/validators/eth-a/confirm-watermarks', { max_block_slot: -1 }), 400, 'OV_BAD_REQUEST');
    expectError(await call(operator, 'POST', '/v1/validators/eth-a/confirm-watermarks', { height: '5' }), 400, 'OV_INVALID_ARGUMENT');
    expectError(await call(operator, 'POST', '/v1/validators/eth-a/confirm-watermarks', { max_block_slot: null }), 400, 'OV_BAD_REQUEST');
    expectError(await call(operator, 'GET', '/v1/validators/import/not-a-uuid'), 400, 'OV_BAD_REQUEST');
    expectError(await call(operator, 'POST', '/v1/validators/keymanager-token', {}), 403, 'OV_FORBIDDEN');
    expectError(await call(scopedAdmin, 'POST', '/v1/validators/keymanager-token', {}), 403, 'OV_FORBIDDEN');
    expect(snapshot()).toEqual(before);
  });

  it('refuses a bulk import before its job starts, storing nothing', async () => {
    const before = snapshot();
    const k = generateKey('ethereum');
    const small = await encryptKeystore(k, 'pw', { kdf: 'scrypt', scryptN: 2 ** 10 });
    const big = JSON.parse(small) as { crypto: { kdf: { params: { n: number } } } };
    big.crypto.kdf.params.n = 2 ** 20;
    const start = (body: unknown) => call(operator, 'POST', '/v1/validators/import', body);
    const r = await start({ chain: 'ethereum', items: [{ keystore: small, password: 'pw' }, { keystore: JSON.stringify(big), password: 'pw' }] });
    expectError(r, 400, 'OV_KDF_MEMORY_BUDGET');
    expect(r.json<{ error: { field?: string } }>().error.field).toBe('items/1/keystore');
    expectError(await start({ chain: 'ethereum', items: [{ keystore: small, password: 'pw' }], genesis_validators_root: `0x${'00'.repeat(32)}` }), 400, 'OV_INVALID_ARGUMENT');
    expectError(await start({ chain: 'ethereum', items: [{ keystore: small, password: 'pw' }], genesis_validators_root: 'hoodi' }), 400, 'OV_BAD_REQUEST');
    expect(snapshot()).toEqual(before);
  });

  it('binds on import with a root and confirms watermarks', async () => {
    const k = generateKey('ethereum');
    const ks = await encryptKeystore(k, 'pw', { kdf: 'scrypt', scryptN: 2 ** 10 });
    const job = await call(operator, 'POST', '/v1/validators/import', { chain: 'ethereum', items: [{ name: 'eth-b', keystore: ks, password: 'pw' }], genesis_validators_root: HOODI.toUpperCase().replace('0X', '0x') });
    expect(job.statusCode, job.body).toBe(202);
    const id = job.json<{ id: string }>().id;
    let state = 'running';
    for (let i = 0; i < 6000 && state === 'running'; i++) {
      const s = await call(operator, 'GET', `/v1/validators/import/${id}`);
      state = s.json<{ state: string }>().state;
      if (state === 'running') await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(state).toBe('done');
    const slot = (await call(operator, 'GET', '/v1/validators/eth-b')).json<{ metadata: Record<string, string> }>();
    expect(slot.metadata.genesis_validators_root).toBe(HOODI);
    const c = await call(operator, 'POST', '/v1/validators/eth-b/confirm-watermarks', { max_source_epoch: '4', max_target_epoch: '5' });
    expect(c.statusCode, c.body).toBe(200);
    expect(c.json<{ signing_state: unknown }>().signing_state).toEqual({ max_block_slot: null, max_source_epoch: '4', max_target_epoch: '5' });
  });

  it('answers the keymanager routes in the spec shape while sealed', async () => {
    await v.app.inject({ method: 'POST', url: '/v1/sys/seal', headers: bearer(admin) });
    const r = await v.app.inject({ method: 'GET', url: '/eth/v1/keystores', headers: { authorization: `Bearer ovkm_${'A'.repeat(43)}` } });
    expect(r.statusCode).toBe(503);
    expect(r.json()).toEqual({ code: 503, message: 'OV_SEALED: vault is sealed' });
  });
});

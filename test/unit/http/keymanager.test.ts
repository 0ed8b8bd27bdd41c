/**
 * `/eth/v1/keystores` against the keymanager spec (ethereum/keymanager-APIs,
 * apis/local_keystores.yaml): ListKeys / ImportKeystores / DeleteKeys request and
 * response shapes, per-item statuses in request order, slashing protection that raises
 * watermarks on import, and DeleteKeys that disables first and returns the EIP-3076
 * interchange for `deleted` and `not_active` keys (again on a repeated request), with the
 * keys kept (retired). Bearer-protected through the session layer, scope `validators`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptKeystore, formatPublicKey, generateKey, parseInterchange, type ValidatorKey } from '../../../src/validators/index.js';
import { verifyValidatorHistory } from '../../../src/validators/records.js';
import { bearer, expectError, login, makeVault, unseal, type TestVault } from './helpers.js';

const ROOT = `0x${'04700007fabc8282644aed6d1c7c9e21d38a03a0c4ba193f3afe428824b3a673'}`;

describe('keymanager API', () => {
  let v: TestVault;
  let admin: string;
  let operator: string;
  let reader: string;
  let scoped: string;
  const keys: ValidatorKey[] = [];
  const files: string[] = [];
  const pub = (i: number): string => formatPublicKey('ethereum', (keys[i] as ValidatorKey).publicKey);

  const token = async (role: string, scope: string): Promise<string> => {
    const r = await v.app.inject({ method: 'POST', url: '/v1/apikeys', headers: bearer(admin), payload: { role, scope, label: role } });
    expect(r.statusCode, r.body).toBe(201);
    return (await login(v, r.json<{ key: string }>().key)).token;
  };
  const call = (t: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
    v.app.inject({ method, url, headers: bearer(t), ...(payload === undefined ? {} : { payload }) });

  beforeAll(async () => {
    v = await makeVault();
    await unseal(v);
    admin = (await login(v, v.adminKey as string)).token;
    operator = await token('operator', '*');
    reader = await token('reader', 'validators');
    scoped = await token('operator', 'validators/one');
    for (let i = 0; i < 4; i++) {
      const k = generateKey('ethereum');
      keys.push(k);
      files.push(await encryptKeystore(k, `password-${i}`, { kdf: 'scrypt', scryptN: 2 ** 10, path: `m/12381/3600/${i}/0/0` }));
    }
  });
  afterAll(async () => {
    await v.cleanup();
  });

  it('imports with per-item statuses and raises watermarks from slashing protection', async () => {
    const before = await call(operator, 'POST', '/eth/v1/keystores', { keystores: [files[3]], passwords: ['password-3'] });
    expect(before.json()).toEqual({ data: [{ status: 'imported' }] });
    const interchange = {
      metadata: { interchange_format_version: '5', genesis_validators_root: ROOT },
      data: [
        { pubkey: pub(0), signed_blocks: [{ slot: '81952' }, { slot: '81951' }], signed_attestations: [{ source_epoch: '2290', target_epoch: '3007' }] },
        { pubkey: pub(3), signed_blocks: [{ slot: '7' }], signed_attestations: [] },
      ],
    };
    const r = await call(operator, 'POST', '/eth/v1/keystores', {
      keystores: [files[0], files[1], files[3], files[2]],
      passwords: ['password-0', 'password-1', 'password-3', 'wrong'],
      slashing_protection: JSON.stringify(interchange),
    });
    expect(r.statusCode, r.body).toBe(200);
    const data = r.json<{ data: { status: string; message?: string }[] }>().data;
    expect(data.map((d) => d.status)).toEqual(['imported', 'imported', 'duplicate', 'error']);
    expect(data[3]?.message).toContain('OV_KEYSTORE_PASSWORD');
    expect(Object.keys(data[0] as object)).toEqual(['status']);

    const slots = (await call(reader, 'GET', '/v1/validators?chain=ethereum')).json<{ validators: { name: string; signing_state: unknown; metadata: Record<string, string>; keys: { public_key: string }[] }[] }>().validators;
    const byPub = (p: string) => slots.find((s) => s.keys.some((k) => k.public_key === p));
    expect(byPub(pub(0))?.signing_state).toEqual({ max_block_slot: '81952', max_source_epoch: '2290', max_target_epoch: '3007' });
    expect(byPub(pub(0))?.metadata.genesis_validators_root).toBe(ROOT);
    expect(byPub(pub(0))?.name).toBe(`eth-${pub(0).slice(2, 10)}`);
    expect(byPub(pub(1))?.signing_state).toEqual({ max_block_slot: null, max_source_epoch: null, max_target_epoch: null });
    // The duplicate's watermarks were raised too (and recorded).
    expect(byPub(pub(3))?.signing_state).toEqual({ max_block_slot: '7', max_source_epoch: null, max_target_epoch: null });
    const h = (await call(reader, 'GET', `/v1/validators/${byPub(pub(3))?.name as string}/history`)).json<{ records: { action: string }[]; public_keys: string[] }>();
    expect(h.records.map((x) => x.action)).toEqual(['import', 'signing-state']);
    expect(verifyValidatorHistory(h.records, h.public_keys)).toEqual({ ok: true });
  });

  it('lists the active keys in the ListKeys shape', async () => {
    const r = await call(reader, 'GET', '/eth/v1/keystores');
    expect(r.statusCode, r.body).toBe(200);
    const data = r.json<{ data: { validating_pubkey: string; derivation_path?: string; readonly: boolean }[] }>().data;
    expect(data.map((d) => d.validating_pubkey).sort()).toEqual([pub(0), pub(1), pub(3)].sort());
    for (const d of data) {
      expect(d.validating_pubkey).toMatch(/^0x[0-9a-f]{96}$/);
      expect(d.readonly).toBe(false);
      expect(d.derivation_path).toMatch(/^m\/12381\/3600\/\d\/0\/0$/);
    }
  });

  it('refuses a malformed request as a whole, importing nothing', async () => {
    const before = v.storage.validators.counts();
    expectError(await call(operator, 'POST', '/eth/v1/keystores', { keystores: [files[2]], passwords: [] }), 400, 'OV_INVALID_ARGUMENT');
    expectError(await call(operator, 'POST', '/eth/v1/keystores', { keystores: [files[2]], passwords: ['password-2'], slashing_protection: '{"metadata":{}}' }), 400, 'OV_INTERCHANGE_INVALID');
    expectError(await call(operator, 'POST', '/eth/v1/keystores', { keystores: [files[2]], passwords: ['password-2'], extra: 1 }), 400, 'OV_BAD_REQUEST');
    expectError(await call(operator, 'DELETE', '/eth/v1/keystores', { pubkeys: ['0x1234'] }), 400, 'OV_BAD_REQUEST');
    expectError(await call(reader, 'POST', '/eth/v1/keystores', { keystores: [files[2]], passwords: ['password-2'] }), 403, 'OV_FORBIDDEN');
    expectError(await call(scoped, 'GET', '/eth/v1/keystores'), 403, 'OV_FORBIDDEN');
    expectError(await v.app.inject({ method: 'GET', url: '/eth/v1/keystores' }), 401, 'OV_AUTH_INVALID');
    expect(v.storage.validators.counts()).toEqual(before);
  });

  it('deletes by disabling first and returns the interchange for deleted and not_active keys', async () => {
    // pub(1) is retired beforehand through /v1 (not_active); pub(2) was never imported.
    const slot1 = `eth-${pub(1).slice(2, 10)}`;
    expect((await call(operator, 'POST', `/v1/validators/${slot1}/retire`, {})).statusCode).toBe(200);
    const r = await call(operator, 'DELETE', '/eth/v1/keystores', { pubkeys: [pub(0), pub(1), pub(2)] });
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json<{ data: { status: string }[]; slashing_protection: string }>();
    expect(Object.keys(body).sort()).toEqual(['data', 'slashing_protection']);
    expect(body.data).toEqual([{ status: 'deleted' }, { status: 'not_active' }, { status: 'not_found' }]);
    const ic = parseInterchange(body.slashing_protection);
    expect(ic.metadata).toEqual({ interchange_format_version: '5', genesis_validators_root: ROOT });
    expect(ic.data.map((d) => d.pubkey)).toEqual([pub(0), pub(1)]);
    const e0 = ic.data[0];
    expect(e0?.signed_blocks.map((b) => b.slot)).toEqual(['81952']);
    expect(e0?.signed_attestations.map((a) => [a.source_epoch, a.target_epoch])).toEqual([['2290', '3007']]);

    // Disabled, not erased: the key is retired and still there; the list no longer shows it.
    const slot0 = (await call(reader, 'GET', `/v1/validators/eth-${pub(0).slice(2, 10)}`)).json<{ keys: { state: string }[] }>();
    expect(slot0.keys.map((k) => k.state)).toEqual(['retired']);
    const list = (await call(reader, 'GET', '/eth/v1/keystores')).json<{ data: { validating_pubkey: string }[] }>().data;
    expect(list.map((d) => d.validating_pubkey)).toEqual([pub(3)]);

    // The same request again still returns the slashing protection data.
    const again = (await call(operator, 'DELETE', '/eth/v1/keystores', { pubkeys: [pub(0), pub(1), pub(2)] })).json<{ data: { status: string }[]; slashing_protection: string }>();
    expect(again.data).toEqual([{ status: 'not_active' }, { status: 'not_active' }, { status: 'not_found' }]);
    expect(parseInterchange(again.slashing_protection).data.map((d) => d.pubkey)).toEqual([pub(0), pub(1)]);
    // An empty request answers 200 with an empty interchange, never 404.
    const none = await call(operator, 'DELETE', '/eth/v1/keystores', { pubkeys: [] });
    expect(none.statusCode).toBe(200);
    expect(parseInterchange(none.json<{ slashing_protection: string }>().slashing_protection).data).toEqual([]);
  });
});

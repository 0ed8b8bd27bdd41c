/**
 * `/eth/v1/keystores` against the keymanager spec (ethereum/keymanager-APIs,
 * apis/local_keystores.yaml): ListKeys / ImportKeystores / DeleteKeys request and
 * response shapes field by field, per-item statuses in request order, slashing protection
 * that raises watermarks and binds keys to the interchange's chain, DeleteKeys that
 * disables first and returns the interchange for `deleted` and `not_active` keys (again on
 * a repeated request), a re-import of a deleted key that makes it active again, the
 * spec's error body, 401 without a token and 403 with any other bearer, and the
 * keymanager token refused everywhere else.
 */
import { readFileSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptKeystore, formatPublicKey, generateKey, parseInterchange, type ValidatorKey } from '../../../src/validators/index.js';
import { verifyValidatorHistory } from '../../../src/validators/records.js';
import { bearer, expectError, login, makeVault, unseal, type TestVault } from './helpers.js';

const ROOT = '0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95';
const OTHER_ROOT = '0x212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f';

describe('keymanager API', () => {
  let v: TestVault;
  let km: string;
  let admin: string;
  let reader: string;
  const keys: ValidatorKey[] = [];
  const files: string[] = [];
  const pub = (i: number): string => formatPublicKey('ethereum', (keys[i] as ValidatorKey).publicKey);

  const call = (t: string | undefined, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: Record<string, unknown>) =>
    v.app.inject({ method, url, ...(t === undefined ? {} : { headers: bearer(t) }), ...(payload === undefined ? {} : { payload }) });
  /** The spec's error body, exactly: `{code: <status>, message}` with the registry code first. */
  const expectKmError = (r: { statusCode: number; json: <T>() => T; body: string }, status: number, code: string): void => {
    expect(r.statusCode, r.body).toBe(status);
    const body = r.json<Record<string, unknown>>();
    expect(Object.keys(body).sort()).toEqual(['code', 'message']);
    expect(body.code).toBe(status);
    expect(body.message).toMatch(new RegExp(`^${code}: `));
  };
  const interchange = (root: string, data: unknown[]): string => JSON.stringify({ metadata: { interchange_format_version: '5', genesis_validators_root: root }, data });

  beforeAll(async () => {
    v = await makeVault();
    await unseal(v);
    const file = v.setup?.keymanagerTokenFile as string;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    km = readFileSync(file, 'utf8').trim();
    expect(km).toMatch(/^ovkm_[A-Za-z0-9_-]{43}$/);
    admin = (await login(v, v.adminKey as string)).token;
    const r = await v.app.inject({ method: 'POST', url: '/v1/apikeys', headers: bearer(admin), payload: { role: 'reader', scope: 'validators', label: 'reader' } });
    reader = (await login(v, r.json<{ key: string }>().key)).token;
    for (let i = 0; i < 5; i++) {
      const k = generateKey('ethereum');
      keys.push(k);
      files.push(await encryptKeystore(k, `password-${i}`, { kdf: 'scrypt', scryptN: 2 ** 10, path: `m/12381/3600/${i}/0/0` }));
    }
  });
  afterAll(async () => {
    await v.cleanup();
  });

  it('answers 401 without a token and 403 with any other bearer, in the spec error shape', async () => {
    const before = v.storage.validators.counts();
    const none = await call(undefined, 'GET', '/eth/v1/keystores');
    expectKmError(none, 401, 'OV_AUTH_INVALID');
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expectKmError(await call(`ovkm_${'A'.repeat(43)}`, 'GET', '/eth/v1/keystores'), 403, 'OV_FORBIDDEN');
    // A session token, even the admin's, is not the keymanager token.
    expectKmError(await call(admin, 'POST', '/eth/v1/keystores', { keystores: [files[4]], passwords: ['password-4'] }), 403, 'OV_FORBIDDEN');
    expectKmError(await v.app.inject({ method: 'DELETE', url: '/eth/v1/keystores', headers: { authorization: 'Basic abc' }, payload: { pubkeys: [] } }), 403, 'OV_FORBIDDEN');
    expect(v.storage.validators.counts()).toEqual(before);
  });

  it('never accepts the keymanager token outside /eth/v1', async () => {
    expectError(await call(km, 'GET', '/v1/validators'), 401, 'OV_AUTH_INVALID');
    expectError(await call(km, 'GET', '/v1/secrets/x'), 401, 'OV_AUTH_INVALID');
  });

  it('imports with per-item statuses, binds keys to the interchange chain and raises their watermarks', async () => {
    const before = await call(km, 'POST', '/eth/v1/keystores', { keystores: [files[3]], passwords: ['password-3'] });
    expect(before.statusCode, before.body).toBe(200);
    expect(before.json()).toEqual({ data: [{ status: 'imported' }] });
    const sp = interchange(ROOT, [
      { pubkey: pub(0), signed_blocks: [{ slot: '81952' }, { slot: '81951' }], signed_attestations: [{ source_epoch: '2290', target_epoch: '3007' }] },
      { pubkey: pub(3), signed_blocks: [{ slot: '7' }], signed_attestations: [] },
    ]);
    const r = await call(km, 'POST', '/eth/v1/keystores', {
      keystores: [files[0], files[1], files[3], files[2]],
      passwords: ['password-0', 'password-1', 'password-3', 'wrong'],
      slashing_protection: sp,
      // A field the spec does not name is ignored.
      client_hint: 'lighthouse',
    });
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json<{ data: { status: string; message?: string }[] }>();
    expect(Object.keys(body)).toEqual(['data']);
    expect(body.data).toEqual([{ status: 'imported' }, { status: 'imported' }, { status: 'duplicate' }, { status: 'error', message: 'OV_KEYSTORE_PASSWORD: wrong keystore password' }]);

    const slots = (await call(reader, 'GET', '/v1/validators?chain=ethereum')).json<{ validators: { name: string; signing_state: unknown; metadata: Record<string, string>; keys: { public_key: string }[] }[] }>().validators;
    const byPub = (p: string) => slots.find((s) => s.keys.some((k) => k.public_key === p));
    expect(byPub(pub(0))?.signing_state).toEqual({ max_block_slot: '81952', max_source_epoch: '2290', max_target_epoch: '3007' });
    expect(byPub(pub(0))?.metadata.genesis_validators_root).toBe(ROOT);
    expect(byPub(pub(0))?.name).toBe(`eth-${pub(0).slice(2, 10)}`);
    expect(byPub(pub(1))?.signing_state).toEqual({ max_block_slot: null, max_source_epoch: null, max_target_epoch: null });
    // The duplicate (imported unbound) was bound and raised too, with its record.
    expect(byPub(pub(3))?.metadata.genesis_validators_root).toBe(ROOT);
    expect(byPub(pub(3))?.signing_state).toEqual({ max_block_slot: '7', max_source_epoch: null, max_target_epoch: null });
    const h = (await call(reader, 'GET', `/v1/validators/${byPub(pub(3))?.name as string}/history`)).json<{ records: { action: string }[]; public_keys: string[] }>();
    expect(h.records.map((x) => x.action)).toEqual(['import', 'signing-state']);
    expect(verifyValidatorHistory(h.records, h.public_keys)).toEqual({ ok: true });
  });

  it('lists the active keys in the ListKeys shape', async () => {
    const r = await call(km, 'GET', '/eth/v1/keystores');
    expect(r.statusCode, r.body).toBe(200);
    const body = r.json<{ data: { validating_pubkey: string; derivation_path?: string; readonly: boolean }[] }>();
    expect(Object.keys(body)).toEqual(['data']);
    expect(body.data.map((d) => d.validating_pubkey).sort()).toEqual([pub(0), pub(1), pub(3)].sort());
    for (const d of body.data) {
      expect(Object.keys(d).sort()).toEqual(['derivation_path', 'readonly', 'validating_pubkey']);
      expect(d.validating_pubkey).toMatch(/^0x[0-9a-f]{96}$/);
      expect(d.readonly).toBe(false);
      expect(d.derivation_path).toMatch(/^m\/12381\/3600\/\d\/0\/0$/);
    }
  });

  it('refuses a malformed request as a whole, importing nothing', async () => {
    const before = v.storage.validators.counts();
    expectKmError(await call(km, 'POST', '/eth/v1/keystores', { keystores: [files[2]], passwords: [] }), 400, 'OV_INVALID_ARGUMENT');
    expectKmError(await call(km, 'POST', '/eth/v1/keystores', { keystores: [files[2]], passwords: ['password-2'], slashing_protection: '{"metadata":{}}' }), 400, 'OV_INTERCHANGE_INVALID');
    // The zero root names no chain.
    expectKmError(await call(km, 'POST', '/eth/v1/keystores', { keystores: [files[2]], passwords: ['password-2'], slashing_protection: interchange(`0x${'00'.repeat(32)}`, []) }), 400, 'OV_INTERCHANGE_INVALID');
    expectKmError(await call(km, 'POST', '/eth/v1/keystores', { keystores: 'x', passwords: ['password-2'] }), 400, 'OV_BAD_REQUEST');
    expectKmError(await call(km, 'DELETE', '/eth/v1/keystores', { pubkeys: ['0x1234'] }), 400, 'OV_BAD_REQUEST');
    // A keystore declaring scrypt n = 2^20 (1 GiB) is beyond the KDF budget: refused before any KDF runs.
    const big = JSON.parse(files[2] as string) as { crypto: { kdf: { params: { n: number } } } };
    big.crypto.kdf.params.n = 2 ** 20;
    expectKmError(await call(km, 'POST', '/eth/v1/keystores', { keystores: [files[2], JSON.stringify(big)], passwords: ['password-2', 'password-2'] }), 400, 'OV_KDF_MEMORY_BUDGET');
    expect(v.storage.validators.counts()).toEqual(before);
  });

  it('refuses an interchange of another chain than an existing key, per item', async () => {
    const before = (await call(reader, 'GET', `/v1/validators/eth-${pub(0).slice(2, 10)}`)).json<{ signing_state: unknown; metadata: unknown }>();
    const r = await call(km, 'POST', '/eth/v1/keystores', {
      keystores: [files[0]],
      passwords: ['password-0'],
      slashing_protection: interchange(OTHER_ROOT, [{ pubkey: pub(0), signed_blocks: [{ slot: '99999999' }], signed_attestations: [] }]),
    });
    expect(r.statusCode, r.body).toBe(200);
    expect(r.json()).toEqual({ data: [{ status: 'error', message: 'OV_INTERCHANGE_CHAIN_MISMATCH: slashing protection is for another chain than the key' }] });
    const after = (await call(reader, 'GET', `/v1/validators/eth-${pub(0).slice(2, 10)}`)).json<{ signing_state: unknown; metadata: unknown }>();
    expect(after).toEqual(before);
  });

  it('deletes by disabling first and returns the interchange for deleted and not_active keys', async () => {
    // pub(1) is retired beforehand through /v1 (not_active); pub(2) was never imported.
    const slot1 = `eth-${pub(1).slice(2, 10)}`;
    expect((await call(admin, 'POST', `/v1/validators/${slot1}/retire`, {})).statusCode).toBe(200);
    const r = await call(km, 'DELETE', '/eth/v1/keystores', { pubkeys: [pub(0), pub(1), pub(2)], reason: 'moving' });
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
    const list = (await call(km, 'GET', '/eth/v1/keystores')).json<{ data: { validating_pubkey: string }[] }>().data;
    expect(list.map((d) => d.validating_pubkey)).toEqual([pub(3)]);

    // The same request again still returns the slashing protection data.
    const again = (await call(km, 'DELETE', '/eth/v1/keystores', { pubkeys: [pub(0), pub(1), pub(2)] })).json<{ data: { status: string }[]; slashing_protection: string }>();
    expect(again.data).toEqual([{ status: 'not_active' }, { status: 'not_active' }, { status: 'not_found' }]);
    expect(parseInterchange(again.slashing_protection).data.map((d) => d.pubkey)).toEqual([pub(0), pub(1)]);
    // An empty request answers 200 with an empty interchange, never 404.
    const none = await call(km, 'DELETE', '/eth/v1/keystores', { pubkeys: [] });
    expect(none.statusCode).toBe(200);
    expect(parseInterchange(none.json<{ slashing_protection: string }>().slashing_protection).data).toEqual([]);
  });

  it('re-imports a deleted key as active again, with its watermarks kept', async () => {
    const r = await call(km, 'POST', '/eth/v1/keystores', { keystores: [files[0]], passwords: ['password-0'] });
    expect(r.json()).toEqual({ data: [{ status: 'imported' }] });
    const name = `eth-${pub(0).slice(2, 10)}`;
    const slot = (await call(reader, 'GET', `/v1/validators/${name}`)).json<{ signing_state: unknown; keys: { state: string }[] }>();
    expect(slot.keys.map((k) => k.state)).toEqual(['active']);
    expect(slot.signing_state).toEqual({ max_block_slot: '81952', max_source_epoch: '2290', max_target_epoch: '3007' });
    const h = (await call(reader, 'GET', `/v1/validators/${name}/history`)).json<{ records: { action: string }[]; public_keys: string[] }>();
    expect(h.records.map((x) => x.action)).toEqual(['import', 'retire', 'reactivate']);
    expect(verifyValidatorHistory(h.records, h.public_keys)).toEqual({ ok: true });
    // Active now: a second POST is a duplicate.
    expect((await call(km, 'POST', '/eth/v1/keystores', { keystores: [files[0]], passwords: ['password-0'] })).json()).toEqual({ data: [{ status: 'duplicate' }] });
  });

  it('refuses a delete over unbound keys or several chains before retiring anything', async () => {
    // pub(4): imported without an interchange, so unbound.
    expect((await call(km, 'POST', '/eth/v1/keystores', { keystores: [files[4]], passwords: ['password-4'] })).json()).toEqual({ data: [{ status: 'imported' }] });
    const before = v.storage.validators.counts();
    expectKmError(await call(km, 'DELETE', '/eth/v1/keystores', { pubkeys: [pub(3), pub(4)] }), 409, 'OV_VALIDATOR_UNBOUND');
    const list = (await call(km, 'GET', '/eth/v1/keystores')).json<{ data: { validating_pubkey: string }[] }>().data.map((d) => d.validating_pubkey);
    expect(list).toContain(pub(3));
    expect(list).toContain(pub(4));
    expect(v.storage.validators.counts()).toEqual(before);
    // Bound to another chain than pub(3)'s: one interchange cannot carry both.
    expect((await call(admin, 'PUT', `/v1/validators/eth-${pub(4).slice(2, 10)}/chain`, { genesis_validators_root: OTHER_ROOT })).statusCode).toBe(200);
    expectKmError(await call(km, 'DELETE', '/eth/v1/keystores', { pubkeys: [pub(3), pub(4)] }), 409, 'OV_INTERCHANGE_MIXED_CHAINS');
    expect(v.storage.validators.counts()).toEqual(before);
  });

  it('replaces the token: the old one stops working at once (daemon admin only)', async () => {
    expectError(await call(reader, 'POST', '/v1/validators/keymanager-token', {}), 403, 'OV_FORBIDDEN');
    const r = await call(admin, 'POST', '/v1/validators/keymanager-token', {});
    expect(r.statusCode, r.body).toBe(200);
    const fresh = r.json<{ token: string }>().token;
    expect(fresh).toMatch(/^ovkm_[A-Za-z0-9_-]{43}$/);
    expectKmError(await call(km, 'GET', '/eth/v1/keystores'), 403, 'OV_FORBIDDEN');
    expect((await call(fresh, 'GET', '/eth/v1/keystores')).statusCode).toBe(200);
  });
});

/**
 * The client and the daemon share one wire contract (src/api). Proven two ways:
 * - at the type level (this file is type-checked): each typed call returns exactly
 *   `Static<>` of its route's response schema, and a JSON call cannot be written without
 *   naming a schema, nor can a raw request hand out JSON;
 * - at run time: every typed JSON call refuses an answer that drifted from the contract
 *   (here, one unexpected field), and a new call cannot be added without joining this
 *   table, since the table must cover every method of VaultClient, ValidatorsClient and
 *   TransitClient.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Static } from 'typebox';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type * as api from '../../../src/api/index.js';
import { TransitClient, ValidatorsClient, VaultClient, isDaemonError } from '../../../src/client/index.js';
import type { Transport } from '../../../src/client/transport.js';

type Result<F extends (...args: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;

describe('types come from the shared schemas', () => {
  it('each typed call returns Static<> of its response schema', () => {
    expectTypeOf<Result<VaultClient['sealStatus']>>().toEqualTypeOf<Static<typeof api.SEAL_STATUS>>();
    expectTypeOf<Result<VaultClient['unseal']>>().toEqualTypeOf<Static<typeof api.SEAL_STATUS>>();
    expectTypeOf<Result<VaultClient['describe']>>().toEqualTypeOf<Static<typeof api.DESCRIBE>>();
    expectTypeOf<Result<VaultClient['openapi']>>().toEqualTypeOf<Static<typeof api.OPENAPI_DOCUMENT>>();
    expectTypeOf<Result<VaultClient['createSession']>>().toEqualTypeOf<Static<typeof api.CREATE_SESSION_RESPONSE>>();
    expectTypeOf<Result<VaultClient['listSessions']>>().toEqualTypeOf<Static<typeof api.SESSION_LIST>['sessions']>();
    expectTypeOf<Result<VaultClient['lookupSelf']>>().toEqualTypeOf<Static<typeof api.SESSION_INFO>>();
    expectTypeOf<Result<VaultClient['createApiKey']>>().toEqualTypeOf<Static<typeof api.API_KEY_WITH_SECRET>>();
    expectTypeOf<Result<VaultClient['listApiKeys']>>().toEqualTypeOf<Static<typeof api.API_KEY_LIST>['apikeys']>();
    expectTypeOf<Result<VaultClient['rotateApiKey']>>().toEqualTypeOf<Static<typeof api.API_KEY_WITH_SECRET>>();
    expectTypeOf<Result<VaultClient['createSignerIdentity']>>().toEqualTypeOf<Static<typeof api.SIGNER_IDENTITY_ISSUED>>();
    expectTypeOf<Result<VaultClient['listSignerIdentities']>>().toEqualTypeOf<Static<typeof api.SIGNER_IDENTITY_LIST>['identities']>();
    expectTypeOf<Result<VaultClient['revokeSignerIdentity']>>().toEqualTypeOf<Static<typeof api.SIGNER_IDENTITY>>();
    expectTypeOf<Result<VaultClient['listKeys']>>().toEqualTypeOf<Static<typeof api.KEY_LIST>['keys']>();
    expectTypeOf<Result<VaultClient['rotateKey']>>().toEqualTypeOf<Static<typeof api.KEY_VERSION_INFO>>();
    expectTypeOf<Result<VaultClient['setMinDecryptVersion']>>().toEqualTypeOf<Static<typeof api.KEY_POLICY>>();
    expectTypeOf<Result<VaultClient['rewrapKey']>>().toEqualTypeOf<Static<typeof api.REWRAP_RESPONSE>>();
    expectTypeOf<Result<VaultClient['putSecret']>>().toEqualTypeOf<Static<typeof api.SECRET_WRITE_RESPONSE>>();
    expectTypeOf<Result<VaultClient['getSecret']>>().toEqualTypeOf<Static<typeof api.SECRET_READ_RESPONSE>>();
    expectTypeOf<Result<VaultClient['listSecrets']>>().toEqualTypeOf<Static<typeof api.SECRET_LIST>>();
    expectTypeOf<Result<VaultClient['listAudit']>>().toEqualTypeOf<Static<typeof api.AUDIT_LIST>>();
    expectTypeOf<Result<VaultClient['deleteSecret']>>().toEqualTypeOf<Static<typeof api.SECRET_VERSIONS>>();
    expectTypeOf<Result<VaultClient['undeleteSecret']>>().toEqualTypeOf<Static<typeof api.SECRET_VERSIONS>>();
    expectTypeOf<Result<VaultClient['destroySecret']>>().toEqualTypeOf<Static<typeof api.SECRET_VERSIONS>>();
    expectTypeOf<Result<VaultClient['secretMetadata']>>().toEqualTypeOf<Static<typeof api.SECRET_METADATA>>();
    expectTypeOf<Result<VaultClient['updateSecretMetadata']>>().toEqualTypeOf<Static<typeof api.SECRET_METADATA>>();
    expectTypeOf<Result<ValidatorsClient['list']>>().toEqualTypeOf<Static<typeof api.VALIDATOR_LIST>['validators']>();
    expectTypeOf<Result<ValidatorsClient['get']>>().toEqualTypeOf<Static<typeof api.VALIDATOR_SLOT>>();
    expectTypeOf<Result<ValidatorsClient['importBulk']>>().toEqualTypeOf<Static<typeof api.BULK_IMPORT_RESPONSE>['results']>();
    expectTypeOf<Result<ValidatorsClient['importJob']>>().toEqualTypeOf<Static<typeof api.IMPORT_JOB>>();
    expectTypeOf<Result<ValidatorsClient['importInterchange']>>().toEqualTypeOf<Static<typeof api.INTERCHANGE_IMPORT_RESPONSE>>();
    expectTypeOf<Result<ValidatorsClient['export']>>().toEqualTypeOf<Static<typeof api.EXPORT_VALIDATOR_RESPONSE>['files']>();
    expectTypeOf<Result<ValidatorsClient['history']>>().toEqualTypeOf<Static<typeof api.VALIDATOR_HISTORY>>();
    expectTypeOf<Result<ValidatorsClient['destroyKey']>>().toEqualTypeOf<Static<typeof api.DESTROY_KEY_RESPONSE>>();
    expectTypeOf<Result<ValidatorsClient['keymanagerList']>>().toEqualTypeOf<Static<typeof api.KEYMANAGER_LIST>['data']>();
    expectTypeOf<Result<ValidatorsClient['keymanagerDelete']>>().toEqualTypeOf<Static<typeof api.KEYMANAGER_DELETE_RESPONSE>>();
  });

  it('the only way to read JSON takes a schema and returns its Static<>', () => {
    // Never called: it only has to type-check (the expect-error lines must stay errors).
    const shape = async (t: Transport): Promise<void> => {
      const r = await t.json('GET', 'v1/sys/seal-status', 'SEAL_STATUS');
      expectTypeOf(r.body).toEqualTypeOf<api.SealStatusResponse>();
      // @ts-expect-error a JSON call must name the route's response schema
      await t.json('GET', 'v1/sys/seal-status');
      // @ts-expect-error and only a schema of the contract
      await t.json('GET', 'v1/sys/seal-status', 'NOT_A_SCHEMA');
      // @ts-expect-error a raw request does not parse JSON, so it cannot hand out an untyped body
      await t.request('GET', 'v1/sys/seal-status', { accept: 'json' });
    };
    expect(typeof shape).toBe('function');
  });

  it('no client module but the transport parses JSON', () => {
    const dir = join(import.meta.dirname, '../../../src/client');
    const parsers = readdirSync(dir).filter((f) => f.endsWith('.ts') && readFileSync(join(dir, f), 'utf8').includes('JSON.parse'));
    expect(parsers).toEqual(['transport.ts']);
  });
});

// --- run time: a drifted answer is refused by every typed JSON call --------------------

const T = '2026-01-01T00:00:00.000Z';
const SEAL = { initialized: true, sealed: false, mode: 'shamir', t: 2, n: 3, progress: 0, nonce: '', version: '0.1.0' };
const SESSION = { id: '8a4c7d3e-1f2b-4c5d-8e9f-0a1b2c3d4e5f', api_key_id: '0123456789abcdef', role: 'admin', scope: '*', label: 'l', issued_at: T, expires_at: T };
const API_KEY = { id: '0123456789abcdef', role: 'reader', scope: '*', label: 'l', created_at: T, rotated_at: null, key: 'ovk_x' };
const IDENTITY = { name: 'lh', slots: ['a'], fingerprint: 'ab', serial: '01', created_at: T, not_after: T, revoked_at: null };
const KEY_VERSION = { name: 'kem', version: 1, alg: 'X-Wing', key_id: 'ab', created_at: T };
const KEY_POLICY = { name: 'kem', alg: 'X-Wing', latest_version: 1, min_decrypt_version: 1, versions: [KEY_VERSION] };
const VERSIONS = { path: 'a', versions: [1] };
const METADATA = { path: 'a', current_version: 1, oldest_version: 1, max_versions: 0, cas_required: false, custom_metadata: {}, created_at: T, updated_at: T, versions: [] };
const KEY_ID = '6f1c0d2e-5b3a-4c1d-9e8f-0a1b2c3d4e5f';
const JOB_ID = '7a1c0d2e-5b3a-4c1d-9e8f-0a1b2c3d4e5f';
const SLOT = {
  name: 'v',
  chain: 'solana',
  labels: {},
  metadata: {},
  signing_state: {},
  created_at: T,
  keys: [{ id: KEY_ID, key_type: 'Ed25519', public_key: 'p', address: 'a', state: 'active', created_at: T, activated_at: T, retired_at: null, source: 'generated', derivation_path: null }],
};

type Call = (c: VaultClient, v: ValidatorsClient, t: TransitClient) => Promise<unknown>;

const TKEY = {
  name: 'k',
  type: 'xwing',
  latest_version: 1,
  min_decryption_version: 1,
  min_encryption_version: 0,
  min_available_version: 1,
  deletion_allowed: false,
  exportable: false,
  allow_plaintext_backup: false,
  supports_encryption: true,
  supports_decryption: true,
  supports_signing: false,
  supports_derivation: false,
  keys: { '1': { creation_time: 1 } },
};
const CT = { ciphertext: 'ontoref:v1:AA==', key_version: 1 };

/** Every typed JSON call: a valid answer for it, and how to make the call. */
const CALLS: Readonly<Record<string, readonly [unknown, Call]>> = {
  health: [{ initialized: true, sealed: false, version: '0.1.0' }, (c) => c.health()],
  sealStatus: [SEAL, (c) => c.sealStatus()],
  unseal: [SEAL, (c) => c.unseal({ reset: true })],
  describe: [
    { name: 'n', version: 'v', api: 'v1', node: 'v20', initialized: true, sealed: false, provider: { name: 'noble', algorithms: {} }, suites: [], signature: 's', capabilities: [], tls: { enabled: false, key_exchange_groups: [] }, config_schema: {} },
    (c) => c.describe(),
  ],
  createSession: [{ token: 'tok', id: SESSION.id, expires_at: T, role: 'admin', scope: '*' }, (c) => c.createSession({ key: 'k' })],
  listSessions: [{ sessions: [SESSION] }, (c) => c.listSessions()],
  lookupSelf: [SESSION, (c) => c.lookupSelf()],
  createApiKey: [API_KEY, (c) => c.createApiKey({ role: 'reader', label: 'l' })],
  listApiKeys: [{ apikeys: [{ ...API_KEY, key: undefined }] }, (c) => c.listApiKeys()],
  rotateApiKey: [API_KEY, (c) => c.rotateApiKey('0123456789abcdef')],
  createSignerIdentity: [{ identity: IDENTITY, certificate: 'c', ca_certificate: 'ca' }, (c) => c.createSignerIdentity({ name: 'lh', slots: ['a'], public_key: 'AAAA' })],
  listSignerIdentities: [{ identities: [IDENTITY] }, (c) => c.listSignerIdentities()],
  revokeSignerIdentity: [IDENTITY, (c) => c.revokeSignerIdentity('lh')],
  listKeys: [{ keys: [KEY_POLICY] }, (c) => c.listKeys()],
  rotateKey: [KEY_VERSION, (c) => c.rotateKey('kem')],
  setMinDecryptVersion: [KEY_POLICY, (c) => c.setMinDecryptVersion('kem', 1)],
  rewrapKey: [{ rewrapped: 0, remaining: 0, key_version: 1, done: true }, (c) => c.rewrapKey('kem')],
  putSecret: [{ path: 'a', version: 1, created_at: T }, (c) => c.putSecret('a', { data: {} })],
  getSecret: [{ path: 'a', version: 1, created_at: T, data: {} }, (c) => c.getSecret('a')],
  listSecrets: [{ paths: [], next: null }, (c) => c.listSecrets()],
  listAudit: [{ entries: [{ seq: 1, time: '2026-01-01T00:00:00.000Z', hash: '0'.repeat(64), entry: { type: 'request' } }], next: null }, (c) => c.listAudit()],
  auditHash: [{ hash: 'hmac-sha256:00' }, (c) => c.auditHash('x')],
  pruneAudit: [{ pruned: 1, first_seq: 1, last_seq: 1 }, (c) => c.pruneAudit(1, '0'.repeat(64))],
  deleteSecret: [VERSIONS, (c) => c.deleteSecret('a')],
  undeleteSecret: [VERSIONS, (c) => c.undeleteSecret('a', [1])],
  destroySecret: [VERSIONS, (c) => c.destroySecret('a', [1])],
  secretMetadata: [METADATA, (c) => c.secretMetadata('a')],
  updateSecretMetadata: [METADATA, (c) => c.updateSecretMetadata('a', { cas_required: true })],
  'validators.list': [{ validators: [SLOT] }, (_c, v) => v.list()],
  'validators.get': [SLOT, (_c, v) => v.get('v')],
  'validators.create': [SLOT, (_c, v) => v.create({ name: 'v', chain: 'solana', format: 'generate' })],
  'validators.importBulk': [
    { id: JOB_ID, state: 'done', total: 1, done: 1, created_at: T, finished_at: T, results: [{ index: 0, status: 'imported' }] },
    (_c, v) => v.importBulk({ chain: 'ethereum', items: [{ keystore: '{}', password: 'p' }] }),
  ],
  'validators.startImport': [{ id: JOB_ID, state: 'running', total: 1, done: 0, created_at: T, finished_at: null }, (_c, v) => v.startImport({ chain: 'ethereum', items: [{ keystore: '{}', password: 'p' }] })],
  'validators.importJob': [{ id: JOB_ID, state: 'running', total: 1, done: 0, created_at: T, finished_at: null }, (_c, v) => v.importJob(JOB_ID)],
  'validators.importInterchange': [{ genesis_validators_root: `0x${'11'.repeat(32)}`, results: [] }, (_c, v) => v.importInterchange('{}')],
  'validators.exportInterchange': [{ interchange: '{}' }, (_c, v) => v.exportInterchange()],
  'validators.bindChain': [SLOT, (_c, v) => v.bindChain('v', `0x${'11'.repeat(32)}`)],
  'validators.confirmWatermarks': [SLOT, (_c, v) => v.confirmWatermarks('v', {})],
  'validators.replaceKeymanagerToken': [{ token: `ovkm_${'a'.repeat(43)}` }, (_c, v) => v.replaceKeymanagerToken()],
  'validators.setSigningState': [SLOT, (_c, v) => v.setSigningState('v', {})],
  'validators.rotate': [SLOT, (_c, v) => v.rotate('v', { format: 'generate' })],
  'validators.promote': [SLOT, (_c, v) => v.promote('v')],
  'validators.retire': [SLOT, (_c, v) => v.retire('v')],
  'validators.export': [{ files: { 'keypair.json': '[]' } }, (_c, v) => v.export('v', { format: 'solana' })],
  'validators.history': [{ records: [], public_keys: [] }, (_c, v) => v.history('v')],
  'validators.destroyKey': [{ destroyed: KEY_ID }, (_c, v) => v.destroyKey('v', KEY_ID, 'p')],
  'validators.keymanagerList': [{ data: [] }, (_c, v) => v.keymanagerList()],
  'validators.keymanagerImport': [{ data: [{ status: 'imported' }] }, (_c, v) => v.keymanagerImport({ keystores: [], passwords: [] })],
  'validators.keymanagerDelete': [{ data: [], slashing_protection: '{}' }, (_c, v) => v.keymanagerDelete([])],
  'transit.create': [TKEY, (_c, _v, t) => t.create('k')],
  'transit.read': [TKEY, (_c, _v, t) => t.read('k')],
  'transit.list': [{ keys: ['k'] }, (_c, _v, t) => t.list()],
  'transit.rotate': [TKEY, (_c, _v, t) => t.rotate('k')],
  'transit.config': [TKEY, (_c, _v, t) => t.config('k', { deletion_allowed: true })],
  'transit.trim': [{ trimmed: 0 }, (_c, _v, t) => t.trim('k', 1)],
  'transit.encrypt': [CT, (_c, _v, t) => t.encrypt('k', { plaintext: 'AA==' })],
  'transit.encryptBatch': [{ batch_results: [CT] }, (_c, _v, t) => t.encryptBatch('k', [{ plaintext: 'AA==' }])],
  'transit.decrypt': [{ plaintext: 'AA==' }, (_c, _v, t) => t.decrypt('k', { ciphertext: CT.ciphertext })],
  'transit.decryptBatch': [{ batch_results: [{ plaintext: 'AA==' }] }, (_c, _v, t) => t.decryptBatch('k', [{ ciphertext: CT.ciphertext }])],
  'transit.rewrap': [CT, (_c, _v, t) => t.rewrap('k', { ciphertext: CT.ciphertext })],
  'transit.rewrapBatch': [{ batch_results: [CT] }, (_c, _v, t) => t.rewrapBatch('k', [{ ciphertext: CT.ciphertext }])],
  'transit.sign': [{ signature: 'ontoref:v1:AA==', key_version: 1 }, (_c, _v, t) => t.sign('k', { input: 'AA==' })],
  'transit.signBatch': [{ batch_results: [{ error: { code: 'OV_INVALID_ARGUMENT', message: 'm' } }] }, (_c, _v, t) => t.signBatch('k', [{ input: '' }])],
  'transit.verify': [{ valid: true }, (_c, _v, t) => t.verify('k', { input: 'AA==', signature: 'ontoref:v1:AA==' })],
  'transit.verifyBatch': [{ batch_results: [{ valid: false }] }, (_c, _v, t) => t.verifyBatch('k', [{ input: 'AA==', hmac: 'ontoref:v1:AA==' }])],
  'transit.hmac': [{ hmac: 'ontoref:v1:AA==', key_version: 1 }, (_c, _v, t) => t.hmac('k', { input: 'AA==' })],
  'transit.hmacBatch': [{ batch_results: [{ hmac: 'ontoref:v1:AA==', key_version: 1 }] }, (_c, _v, t) => t.hmacBatch('k', [{ input: 'AA==' }])],
  'transit.datakey': [CT, (_c, _v, t) => t.datakey('k')],
  'transit.export': [{ name: 'k', type: 'xwing', keys: { '1': 'key' } }, (_c, _v, t) => t.export('encryption-key', 'k')],
  'transit.backup': [{ backup: 'AA==' }, (_c, _v, t) => t.backup('k', 'recipient')],
  'transit.restore': [TKEY, (_c, _v, t) => t.restore({ backup: 'AA==' })],
};

/** Calls whose answer is not a closed JSON object: text, bytes, nothing, or the open OpenAPI document. */
const NOT_JSON = new Set([
  'request',
  'withToken',
  'tlsInfo',
  'seal',
  'snapshot',
  'archiveAudit',
  'metrics',
  'openapi',
  'revokeSession',
  'revokeSelf',
  'deleteApiKey',
  'getSecretField',
  'getSecretSealed',
  'getSecretAge',
  'transit.delete',
  'iterateSecrets',
  'destroyAllSecretVersions',
]);

function clients(answer: unknown): [VaultClient, ValidatorsClient, TransitClient] {
  const fake: typeof fetch = () =>
    Promise.resolve(new Response(JSON.stringify(answer), { status: 200, headers: { 'content-type': 'application/json' } }));
  const c = new VaultClient({ addr: 'http://daemon.test:1', token: 't', fetch: fake });
  return [c, new ValidatorsClient(c), new TransitClient(c)];
}

function methodsOf(proto: object): string[] {
  return Object.getOwnPropertyNames(proto).filter((m) => m !== 'constructor' && typeof Object.getOwnPropertyDescriptor(proto, m)?.value === 'function');
}

describe('every typed JSON call checks its answer against the contract', () => {
  it('the table covers every method of both clients', () => {
    const all = [
      ...methodsOf(VaultClient.prototype),
      ...methodsOf(ValidatorsClient.prototype).map((m) => `validators.${m}`),
      ...methodsOf(TransitClient.prototype).map((m) => `transit.${m}`),
    ];
    expect(all.filter((m) => !NOT_JSON.has(m)).sort()).toEqual(Object.keys(CALLS).sort());
  });

  for (const [name, [answer, call]] of Object.entries(CALLS)) {
    it(`${name}: accepts a contract answer, refuses one with an unexpected field`, async () => {
      await call(...clients(answer));
      const drifted = { ...(answer as object), unexpected_field: 1 };
      const e = await call(...clients(drifted)).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(isDaemonError(e, 'OV_DAEMON_RESPONSE')).toBe(true);
    });
  }
});

/**
 * Typed client for the daemon's validator routes (`/v1/validators`, docs/api.md, the
 * contract in docs/validators.md) and the Ethereum keymanager API subset
 * (`/eth/v1/keystores`, ethereum/keymanager-APIs). It sits on top of
 * {@link VaultClient.request}, so it shares the client's token, timeout, size cap and
 * error mapping: a refused request is a DaemonError with the registry code the daemon
 * sent (OV_KEYSTORE_PASSWORD, OV_VALIDATOR_STATE, ...).
 *
 * Passwords and key files travel only in request bodies, never in a URL: URLs end up in
 * access logs and proxies, bodies do not (the daemon redacts these fields in its logs).
 * The one exception is the `confirm` query of a key destruction, which carries the key's
 * *public* key on purpose (the contract asks for it as typed by the operator).
 * @module
 */
import { VaultError } from '../errors.js';
import type { VaultClient } from './index.js';
import { malformedResponse } from './errors.js';

export type ValidatorChain = 'ethereum' | 'cosmos' | 'solana';
export type ValidatorKeyState = 'pending' | 'active' | 'retired';
export type ValidatorKeyType = 'BLS12-381' | 'Ed25519';
export type ValidatorKeySource = 'imported-eip2335' | 'imported-cosmos' | 'imported-solana' | 'generated' | 'derived';
/** How a key reaches the daemon: a file format, or generated inside it. */
export type ValidatorImportFormat = 'eip2335' | 'cosmos' | 'solana' | 'generate';
export type ValidatorExportFormat = 'eip2335' | 'cosmos' | 'solana';

/** One key of a slot; secret material never leaves the daemon except through export. */
export interface ValidatorKeyInfo {
  readonly id: string;
  readonly key_type: ValidatorKeyType;
  /** eth 0x-hex, cosmos base64, solana base58. */
  readonly public_key: string;
  /** cosmos uppercase hex, solana base58, ethereum null. */
  readonly address: string | null;
  readonly state: ValidatorKeyState;
  readonly created_at: string;
  readonly activated_at: string | null;
  readonly retired_at: string | null;
  readonly source: ValidatorKeySource;
}

/** Cosmos `{height, round, step}`; Ethereum watermarks (decimal strings or null); Solana `{}`. */
export type SigningState = Readonly<Record<string, string | number | null>>;

/** A validator slot: its name, chain, operator metadata, signing state and keys. */
export interface ValidatorSlot {
  readonly name: string;
  readonly chain: ValidatorChain;
  readonly labels: Readonly<Record<string, string>>;
  readonly metadata: Readonly<Record<string, string>>;
  readonly signing_state: SigningState;
  readonly created_at: string;
  readonly keys: readonly ValidatorKeyInfo[];
}

/** The key material of an import: which fields apply depends on `format`. */
export interface ValidatorKeyMaterial {
  readonly format: ValidatorImportFormat;
  /** EIP-2335 keystore JSON text. */
  readonly keystore?: string;
  /** EIP-2335 password (the daemon applies NFKD and strips control codes). */
  readonly password?: string;
  /** cosmos `priv_validator_key.json` text, or the solana keypair JSON text. */
  readonly key_file?: string;
  /** cosmos `priv_validator_state.json` text. */
  readonly state_file?: string;
}

/** `POST /v1/validators`: a new slot with its first key, active. */
export interface CreateValidatorRequest extends ValidatorKeyMaterial {
  readonly name: string;
  readonly chain: ValidatorChain;
  readonly labels?: Readonly<Record<string, string>>;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** `POST /v1/validators/{name}/rotate`: the next key, pending. */
export interface RotateValidatorRequest extends ValidatorKeyMaterial {
  /** EIP-2334 index when deriving from the slot's stored mnemonic. */
  readonly derive_index?: number;
}

export interface BulkImportItem {
  readonly name?: string;
  readonly keystore: string;
  readonly password: string;
}

/** `POST /v1/validators/import` (ethereum only; at most {@link MAX_BULK_ITEMS} items). */
export interface BulkImportRequest {
  readonly chain: 'ethereum';
  readonly items: readonly BulkImportItem[];
  readonly state?: 'active';
}

export interface BulkImportResult {
  /** Position of the item in the request. */
  readonly index: number;
  readonly status: 'imported' | 'duplicate' | 'error';
  readonly name?: string;
  readonly public_key?: string;
  readonly code?: string;
  readonly message?: string;
}

export interface ExportValidatorRequest {
  /** Default: the active key. */
  readonly key_id?: string;
  readonly format: ValidatorExportFormat;
  /** EIP-2335 only: the new keystore's password (>= 8 characters). */
  readonly password?: string;
}

/** One signed rotation record (docs/validators.md, "Rotation records"). */
export interface ValidatorRecord {
  readonly seq: number;
  readonly slot: string;
  readonly action: string;
  readonly key_id: string;
  readonly public_key: string;
  readonly prev_key_id: string | null;
  readonly signing_state: SigningState;
  readonly time: string;
  readonly prev_hash: string;
  readonly alg: string;
  readonly key_version: number;
  readonly signature: string;
  readonly [field: string]: unknown;
}

export interface ValidatorHistory {
  readonly records: readonly ValidatorRecord[];
  /** Armored ONTOREF PUBLIC KEY of every signing key version that may have signed a record. */
  readonly public_keys: readonly string[];
}

/** Keymanager `GET /eth/v1/keystores` item. */
export interface KeymanagerKeystore {
  readonly validating_pubkey: string;
  readonly derivation_path?: string;
  readonly readonly?: boolean;
}

export interface KeymanagerStatus {
  readonly status: string;
  readonly message?: string;
}

/** Largest bulk import the daemon accepts in one request. */
export const MAX_BULK_ITEMS = 1000;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const SLOT_FIELDS: Readonly<Record<string, 'string' | 'object' | 'array'>> = {
  name: 'string',
  chain: 'string',
  labels: 'object',
  metadata: 'object',
  signing_state: 'object',
  keys: 'array',
};
const KEY_FIELDS = ['id', 'key_type', 'public_key', 'state', 'source'] as const;

function fieldOk(v: unknown, t: 'string' | 'object' | 'array' | 'number'): boolean {
  if (t === 'array') return Array.isArray(v);
  if (t === 'object') return isObject(v);
  return typeof v === t;
}

/** The fields the CLI relies on; extra fields a later daemon adds are kept. */
function slotOf(body: unknown, status: number, where = 'body'): ValidatorSlot {
  if (!isObject(body)) throw malformedResponse(status, `${where} is not an object`);
  for (const [k, t] of Object.entries(SLOT_FIELDS)) {
    if (!fieldOk(body[k], t)) throw malformedResponse(status, `${where}.${k} is missing or not ${t}`);
  }
  (body['keys'] as unknown[]).forEach((k, i) => {
    if (!isObject(k)) throw malformedResponse(status, `${where}.keys[${i}] is not an object`);
    for (const f of KEY_FIELDS) if (typeof k[f] !== 'string') throw malformedResponse(status, `${where}.keys[${i}].${f} is missing or not string`);
  });
  return body as unknown as ValidatorSlot;
}

function listOf(body: unknown, status: number, key: string): unknown[] {
  if (!isObject(body) || !Array.isArray(body[key])) throw malformedResponse(status, `body.${key} is missing or not array`);
  return body[key] as unknown[];
}

function seg(s: string): string {
  return encodeURIComponent(s);
}

/**
 * The validator routes of one daemon, through a {@link VaultClient} (which carries the
 * address and the session token).
 */
export class ValidatorsClient {
  readonly #client: VaultClient;

  constructor(client: VaultClient) {
    this.#client = client;
  }

  /** `GET /v1/validators` (reader), optionally filtered by chain and key state. */
  async list(filter: { readonly chain?: ValidatorChain; readonly state?: ValidatorKeyState } = {}): Promise<ValidatorSlot[]> {
    const q = new URLSearchParams();
    if (filter.chain !== undefined) q.set('chain', filter.chain);
    if (filter.state !== undefined) q.set('state', filter.state);
    const query = q.toString();
    const r = await this.#client.request('GET', `v1/validators${query === '' ? '' : `?${query}`}`);
    return listOf(r.body, r.status, 'validators').map((s, i) => slotOf(s, r.status, `validators[${i}]`));
  }

  /** `GET /v1/validators/{name}` (reader). */
  async get(name: string): Promise<ValidatorSlot> {
    const r = await this.#client.request('GET', `v1/validators/${seg(name)}`);
    return slotOf(r.body, r.status);
  }

  /** `POST /v1/validators` (operator): a new slot whose first key is active. */
  async create(req: CreateValidatorRequest): Promise<ValidatorSlot> {
    const r = await this.#client.request('POST', 'v1/validators', { body: req });
    return slotOf(r.body, r.status);
  }

  /**
   * `POST /v1/validators/import` (operator): many EIP-2335 keystores in one request, each
   * with its own result, in input order. The daemon runs the KDFs in parallel.
   */
  async importBulk(req: BulkImportRequest): Promise<BulkImportResult[]> {
    if (req.items.length > MAX_BULK_ITEMS) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'items', max: MAX_BULK_ITEMS });
    const r = await this.#client.request('POST', 'v1/validators/import', { body: req });
    const results = listOf(r.body, r.status, 'results');
    results.forEach((x, i) => {
      if (!isObject(x) || typeof x['index'] !== 'number' || typeof x['status'] !== 'string') {
        throw malformedResponse(r.status, `results[${i}] lacks index or status`);
      }
    });
    if (results.length !== req.items.length) throw malformedResponse(r.status, 'one result per item expected');
    return results as BulkImportResult[];
  }

  /** `PUT /v1/validators/{name}/signing-state` (operator): only ever raised. */
  async setSigningState(name: string, state: SigningState): Promise<ValidatorSlot> {
    const r = await this.#client.request('PUT', `v1/validators/${seg(name)}/signing-state`, { body: state });
    return slotOf(r.body, r.status);
  }

  /** `POST /v1/validators/{name}/rotate` (operator): the next key, generated or imported, pending. */
  async rotate(name: string, req: RotateValidatorRequest): Promise<ValidatorSlot> {
    const r = await this.#client.request('POST', `v1/validators/${seg(name)}/rotate`, { body: req });
    return slotOf(r.body, r.status);
  }

  /** `POST /v1/validators/{name}/promote` (operator): pending -> active, active -> retired, one transaction. */
  async promote(name: string): Promise<ValidatorSlot> {
    const r = await this.#client.request('POST', `v1/validators/${seg(name)}/promote`, { body: {} });
    return slotOf(r.body, r.status);
  }

  /** `POST /v1/validators/{name}/retire` (operator): the active key -> retired. */
  async retire(name: string): Promise<ValidatorSlot> {
    const r = await this.#client.request('POST', `v1/validators/${seg(name)}/retire`, { body: {} });
    return slotOf(r.body, r.status);
  }

  /**
   * `POST /v1/validators/{name}/export` (admin): the key in a file format, as
   * `{file name: contents}`. The contents are secret: the caller writes them to 0600 files.
   */
  async export(name: string, req: ExportValidatorRequest): Promise<Record<string, string>> {
    const r = await this.#client.request('POST', `v1/validators/${seg(name)}/export`, { body: req });
    const files = isObject(r.body) ? r.body['files'] : undefined;
    if (!isObject(files)) throw malformedResponse(r.status, 'body.files is missing or not object');
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(files)) {
      // File names come from the daemon: only plain names, never a path.
      if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(k) || typeof v !== 'string') throw malformedResponse(r.status, 'body.files has an invalid entry');
      out[k] = v;
    }
    if (Object.keys(out).length === 0) throw malformedResponse(r.status, 'body.files is empty');
    return out;
  }

  /** `GET /v1/validators/{name}/history` (reader): signed rotation records and the keys to check them. */
  async history(name: string): Promise<ValidatorHistory> {
    const r = await this.#client.request('GET', `v1/validators/${seg(name)}/history`);
    const records = listOf(r.body, r.status, 'records');
    const keys = listOf(r.body, r.status, 'public_keys');
    records.forEach((x, i) => {
      if (!isObject(x) || typeof x['seq'] !== 'number') throw malformedResponse(r.status, `records[${i}].seq is missing or not number`);
    });
    if (!keys.every((k) => typeof k === 'string')) throw malformedResponse(r.status, 'public_keys must be strings');
    return { records: records as ValidatorRecord[], public_keys: keys };
  }

  /**
   * `DELETE /v1/validators/{name}/keys/{id}?confirm=PUBKEY` (admin): destroys a retired
   * key's material for good. `confirm` is the key's public key as shown by `get`.
   */
  async destroyKey(name: string, keyId: string, confirm: string): Promise<{ destroyed: string }> {
    const r = await this.#client.request('DELETE', `v1/validators/${seg(name)}/keys/${seg(keyId)}?${new URLSearchParams({ confirm }).toString()}`);
    if (!isObject(r.body) || typeof r.body['destroyed'] !== 'string') throw malformedResponse(r.status, 'body.destroyed is missing or not string');
    return { destroyed: r.body['destroyed'] };
  }

  // --- keymanager API subset ------------------------------------------------------------

  /** `GET /eth/v1/keystores`: the active ethereum keys. */
  async keymanagerList(): Promise<KeymanagerKeystore[]> {
    const r = await this.#client.request('GET', 'eth/v1/keystores');
    return listOf(r.body, r.status, 'data') as KeymanagerKeystore[];
  }

  /** `POST /eth/v1/keystores`: keystores with their passwords (same order), optional EIP-3076 data. */
  async keymanagerImport(req: { readonly keystores: readonly string[]; readonly passwords: readonly string[]; readonly slashing_protection?: string }): Promise<KeymanagerStatus[]> {
    const r = await this.#client.request('POST', 'eth/v1/keystores', { body: req });
    return listOf(r.body, r.status, 'data') as KeymanagerStatus[];
  }

  /** `DELETE /eth/v1/keystores`: disables (retires) the keys, then returns their EIP-3076 interchange. */
  async keymanagerDelete(pubkeys: readonly string[]): Promise<{ data: KeymanagerStatus[]; slashing_protection: string }> {
    const r = await this.#client.request('DELETE', 'eth/v1/keystores', { body: { pubkeys } });
    const data = listOf(r.body, r.status, 'data') as KeymanagerStatus[];
    const sp = (r.body as Record<string, unknown>)['slashing_protection'];
    if (typeof sp !== 'string') throw malformedResponse(r.status, 'body.slashing_protection is missing or not string');
    return { data, slashing_protection: sp };
  }
}

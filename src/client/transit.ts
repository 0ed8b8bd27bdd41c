/**
 * Typed client for the transit engine (`/v1/transit`, docs/transit.md), with Vault's
 * field names: plaintexts, inputs and associated data are base64 strings (`toBase64`),
 * ciphertexts, signatures and HMACs `ontoref:v<N>:...` text. Each item operation has a
 * single call and a batch call; a batch answers one entry per item, in order, either the
 * item's answer or `{ error: { code, message } }`.
 * @module
 */
import type { TransitBatchError, TransitConfigRequest, TransitCreateRequest, TransitDatakey, TransitExport, TransitKey, TransitRestoreRequest } from '../api/transit.js';
import { seg } from './args.js';
import { malformedResponse } from './errors.js';
import type { VaultClient } from './index.js';
import { transportOf, type Answer, type Transport } from './transport.js';

export interface EncryptItem {
  plaintext: string;
  associated_data?: string;
  key_version?: number;
}
export interface DecryptItem {
  ciphertext: string;
  associated_data?: string;
}
export interface RewrapItem extends DecryptItem {
  key_version?: number;
}
export interface SignItem {
  input: string;
  key_version?: number;
  prehashed?: boolean;
  hash_algorithm?: 'sha2-512';
}
export interface VerifyItem {
  input: string;
  signature?: string;
  hmac?: string;
  prehashed?: boolean;
  hash_algorithm?: 'sha2-512';
}
export interface HmacItem {
  input: string;
  key_version?: number;
}
export type ExportKind = 'encryption-key' | 'signing-key' | 'hmac-key';
export type BatchEntry<T> = T | TransitBatchError;

/** Base64 of bytes or UTF-8 text, as transit fields take them. */
export function toBase64(v: Uint8Array | string): string {
  return (typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v.buffer, v.byteOffset, v.byteLength)).toString('base64');
}

type Results = 'TRANSIT_CIPHERTEXT_RESULTS' | 'TRANSIT_PLAINTEXT_RESULTS' | 'TRANSIT_SIGNATURE_RESULTS' | 'TRANSIT_HMAC_RESULTS' | 'TRANSIT_VALID_RESULTS';
type Single<K extends Results> = Exclude<Answer<K>, { batch_results: unknown }>;
type Batch<K extends Results> = Extract<Answer<K>, { batch_results: unknown }>['batch_results'];

/** The transit routes of one daemon, through a {@link VaultClient} (address and session token). */
export class TransitClient {
  readonly #t: Transport;

  constructor(client: VaultClient) {
    this.#t = transportOf(client);
  }

  async #one<K extends Results>(op: string, name: string, schema: K, item: object): Promise<Single<K>> {
    const r = await this.#t.json('POST', `v1/transit/${op}/${seg(name)}`, schema, { body: item });
    const body = r.body as object;
    if ('batch_results' in body) throw malformedResponse(r.status, 'batch answer to a single request');
    return body as Single<K>;
  }

  async #batch<K extends Results>(op: string, name: string, schema: K, items: readonly object[]): Promise<Batch<K>> {
    const r = await this.#t.json('POST', `v1/transit/${op}/${seg(name)}`, schema, { body: { batch_input: items } });
    const body = r.body as { batch_results?: unknown[] };
    if (body.batch_results?.length !== items.length) throw malformedResponse(r.status, 'batch answer does not match the request');
    return body.batch_results;
  }

  async #key(method: 'GET' | 'POST', path: string, body?: object): Promise<TransitKey> {
    return (await this.#t.json(method, path, 'TRANSIT_KEY', body === undefined ? {} : { body })).body;
  }

  /** `POST /v1/transit/keys/{name}` (admin). */
  create(name: string, req: TransitCreateRequest = {}): Promise<TransitKey> {
    return this.#key('POST', `v1/transit/keys/${seg(name)}`, req);
  }
  /** `GET /v1/transit/keys/{name}` (reader). */
  read(name: string): Promise<TransitKey> {
    return this.#key('GET', `v1/transit/keys/${seg(name)}`);
  }
  /** `GET /v1/transit/keys` (reader): the key names in the caller's scope. */
  async list(): Promise<string[]> {
    return (await this.#t.json('GET', 'v1/transit/keys', 'TRANSIT_KEY_LIST')).body.keys;
  }
  /** `POST /v1/transit/keys/{name}/rotate` (admin). */
  rotate(name: string): Promise<TransitKey> {
    return this.#key('POST', `v1/transit/keys/${seg(name)}/rotate`);
  }
  /** `POST /v1/transit/keys/{name}/config` (admin). */
  config(name: string, req: TransitConfigRequest): Promise<TransitKey> {
    return this.#key('POST', `v1/transit/keys/${seg(name)}/config`, req);
  }
  /** `DELETE /v1/transit/keys/{name}` (admin; the key needs deletion_allowed). */
  async delete(name: string): Promise<void> {
    await this.#t.request('DELETE', `v1/transit/keys/${seg(name)}`, { accept: 'none' });
  }
  /** `POST /v1/transit/keys/{name}/trim` (admin): the number of versions deleted. */
  async trim(name: string, minAvailableVersion: number): Promise<number> {
    return (await this.#t.json('POST', `v1/transit/keys/${seg(name)}/trim`, 'TRANSIT_TRIM_RESPONSE', { body: { min_available_version: minAvailableVersion } })).body.trimmed;
  }

  encrypt(name: string, item: EncryptItem): Promise<Single<'TRANSIT_CIPHERTEXT_RESULTS'>> {
    return this.#one('encrypt', name, 'TRANSIT_CIPHERTEXT_RESULTS', item);
  }
  encryptBatch(name: string, items: readonly EncryptItem[]): Promise<Batch<'TRANSIT_CIPHERTEXT_RESULTS'>> {
    return this.#batch('encrypt', name, 'TRANSIT_CIPHERTEXT_RESULTS', items);
  }
  decrypt(name: string, item: DecryptItem): Promise<Single<'TRANSIT_PLAINTEXT_RESULTS'>> {
    return this.#one('decrypt', name, 'TRANSIT_PLAINTEXT_RESULTS', item);
  }
  decryptBatch(name: string, items: readonly DecryptItem[]): Promise<Batch<'TRANSIT_PLAINTEXT_RESULTS'>> {
    return this.#batch('decrypt', name, 'TRANSIT_PLAINTEXT_RESULTS', items);
  }
  rewrap(name: string, item: RewrapItem): Promise<Single<'TRANSIT_CIPHERTEXT_RESULTS'>> {
    return this.#one('rewrap', name, 'TRANSIT_CIPHERTEXT_RESULTS', item);
  }
  rewrapBatch(name: string, items: readonly RewrapItem[]): Promise<Batch<'TRANSIT_CIPHERTEXT_RESULTS'>> {
    return this.#batch('rewrap', name, 'TRANSIT_CIPHERTEXT_RESULTS', items);
  }
  sign(name: string, item: SignItem): Promise<Single<'TRANSIT_SIGNATURE_RESULTS'>> {
    return this.#one('sign', name, 'TRANSIT_SIGNATURE_RESULTS', item);
  }
  signBatch(name: string, items: readonly SignItem[]): Promise<Batch<'TRANSIT_SIGNATURE_RESULTS'>> {
    return this.#batch('sign', name, 'TRANSIT_SIGNATURE_RESULTS', items);
  }
  verify(name: string, item: VerifyItem): Promise<Single<'TRANSIT_VALID_RESULTS'>> {
    return this.#one('verify', name, 'TRANSIT_VALID_RESULTS', item);
  }
  verifyBatch(name: string, items: readonly VerifyItem[]): Promise<Batch<'TRANSIT_VALID_RESULTS'>> {
    return this.#batch('verify', name, 'TRANSIT_VALID_RESULTS', items);
  }
  hmac(name: string, item: HmacItem): Promise<Single<'TRANSIT_HMAC_RESULTS'>> {
    return this.#one('hmac', name, 'TRANSIT_HMAC_RESULTS', item);
  }
  hmacBatch(name: string, items: readonly HmacItem[]): Promise<Batch<'TRANSIT_HMAC_RESULTS'>> {
    return this.#batch('hmac', name, 'TRANSIT_HMAC_RESULTS', items);
  }

  /** `POST /v1/transit/datakey/{plaintext|wrapped}/{name}` (operator). */
  async datakey(name: string, opts: { readonly plaintext?: boolean; readonly bits?: 128 | 256 | 512; readonly associated_data?: string; readonly key_version?: number } = {}): Promise<TransitDatakey> {
    const { plaintext, ...body } = opts;
    return (await this.#t.json('POST', `v1/transit/datakey/${plaintext === true ? 'plaintext' : 'wrapped'}/${seg(name)}`, 'TRANSIT_DATAKEY', { body })).body;
  }
  /** `GET /v1/transit/export/{kind}/{name}[/{version}]` (admin; exportable keys). */
  async export(kind: ExportKind, name: string, version?: number): Promise<TransitExport> {
    const path = `v1/transit/export/${seg(kind)}/${seg(name)}${version === undefined ? '' : `/${String(version)}`}`;
    return (await this.#t.json('GET', path, 'TRANSIT_EXPORT')).body;
  }
  /** `POST /v1/transit/backup/{name}` (admin): sealed to `recipient`, the receiving vault's armored KEM public key. */
  async backup(name: string, recipient: string): Promise<string> {
    return (await this.#t.json('POST', `v1/transit/backup/${seg(name)}`, 'TRANSIT_BACKUP', { body: { recipient } })).body.backup;
  }
  /** `POST /v1/transit/restore[/{name}]` (admin; without a name, scope `*`). */
  restore(req: TransitRestoreRequest, name?: string): Promise<TransitKey> {
    return this.#key('POST', name === undefined ? 'v1/transit/restore' : `v1/transit/restore/${seg(name)}`, req);
  }
}

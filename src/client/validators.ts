/**
 * Typed client for the daemon's validator routes (`/v1/validators`, docs/validators.md)
 * and the Ethereum keymanager API subset (`/eth/v1/keystores`,
 * ethereum/keymanager-APIs). It shares its {@link VaultClient}'s token, timeout, size cap
 * and error mapping: a refused request is a DaemonError with the registry code the daemon
 * sent (OV_KEYSTORE_PASSWORD, OV_VALIDATOR_STATE, ...).
 *
 * Passwords and key files travel only in request bodies, never in a URL: URLs end up in
 * access logs and proxies, bodies do not (the daemon redacts these fields in its logs).
 * The one exception is the `confirm` query of a key destruction, which carries the key's
 * *public* key on purpose (the operator types it to confirm).
 * @module
 */
import type { ImportJob, InterchangeExportRequest, InterchangeImportResponse } from '../api/slashing-protection.js';
import type { KeymanagerDeleteResponse, KeymanagerImportRequest, KeymanagerImportResponse, KeymanagerKeystore } from '../api/keymanager.js';
import { MAX_BULK_ITEMS } from '../api/constants.js';
import type {
  BulkImportRequest,
  BulkImportResult,
  CreateValidatorRequest,
  DestroyValidatorKeyResponse,
  ExportValidatorRequest,
  RotateValidatorRequest,
  SigningState,
  ValidatorChain,
  ValidatorHistory,
  ValidatorKeyState,
  ValidatorSlot,
} from '../api/validators.js';
import { VaultError } from '../errors.js';
import { seg } from './args.js';
import { malformedResponse } from './errors.js';
import type { VaultClient } from './index.js';
import { transportOf, type Transport } from './transport.js';

export { MAX_BULK_ITEMS };

/** The key material of an import or a rotation: which fields apply depends on `format`. */
export type ValidatorKeyMaterial = Pick<CreateValidatorRequest, 'format' | 'keystore' | 'password' | 'key_file' | 'state_file'>;

/**
 * The validator routes of one daemon, through a {@link VaultClient} (which carries the
 * address and the session token).
 */
export class ValidatorsClient {
  readonly #t: Transport;

  constructor(client: VaultClient) {
    this.#t = transportOf(client);
  }

  /** `GET /v1/validators` (reader), optionally filtered by chain and key state. */
  async list(filter: { readonly chain?: ValidatorChain; readonly state?: ValidatorKeyState } = {}): Promise<ValidatorSlot[]> {
    const q = new URLSearchParams();
    if (filter.chain !== undefined) q.set('chain', filter.chain);
    if (filter.state !== undefined) q.set('state', filter.state);
    const query = q.toString();
    return (await this.#t.json('GET', `v1/validators${query === '' ? '' : `?${query}`}`, 'VALIDATOR_LIST')).body.validators;
  }

  /** `GET /v1/validators/{name}` (reader). */
  async get(name: string): Promise<ValidatorSlot> {
    return (await this.#t.json('GET', `v1/validators/${seg(name)}`, 'VALIDATOR_SLOT')).body;
  }

  /** `POST /v1/validators` (operator): a new slot whose first key is active. */
  async create(req: CreateValidatorRequest): Promise<ValidatorSlot> {
    return (await this.#t.json('POST', 'v1/validators', 'VALIDATOR_SLOT', { body: req })).body;
  }

  /**
   * `POST /v1/validators/import` (operator): starts a bulk import of EIP-2335 keystores
   * as a job and returns it at once (202); read it with {@link importJob}.
   */
  async startImport(req: BulkImportRequest): Promise<ImportJob> {
    if (req.items.length > MAX_BULK_ITEMS) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'items', max: MAX_BULK_ITEMS });
    return (await this.#t.json('POST', 'v1/validators/import', 'IMPORT_JOB', { body: req })).body;
  }

  /** `GET /v1/validators/import/{id}`: an import job's progress, and its results once done. */
  async importJob(id: string): Promise<ImportJob> {
    return (await this.#t.json('GET', `v1/validators/import/${seg(id)}`, 'IMPORT_JOB')).body;
  }

  /**
   * A bulk import to the end: starts the job, then reads it every `pollMs` (default
   * 250 ms) until it is done, reporting progress; each read is its own short request, so
   * no client timeout bounds the import. Results come one per item, in input order.
   */
  async importBulk(req: BulkImportRequest, opts: { onProgress?: (done: number, total: number) => void; pollMs?: number } = {}): Promise<BulkImportResult[]> {
    let job = await this.startImport(req);
    const pollMs = opts.pollMs ?? 250;
    opts.onProgress?.(job.done, job.total);
    while (job.state === 'running') {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      job = await this.importJob(job.id);
      opts.onProgress?.(job.done, job.total);
    }
    if (job.state === 'failed') throw new VaultError(job.code === 'OV_SEALED' ? 'OV_SEALED' : 'OV_INTERNAL', { reason: 'import job failed', job: job.id });
    const results = job.results ?? [];
    if (results.length !== req.items.length) throw new VaultError('OV_DAEMON_RESPONSE', { reason: 'one result per item expected' });
    return results;
  }

  /** `POST /v1/validators/slashing-protection/import` (admin): an EIP-3076 interchange, JSON text. */
  async importInterchange(interchange: string): Promise<InterchangeImportResponse> {
    return (await this.#t.json('POST', 'v1/validators/slashing-protection/import', 'INTERCHANGE_IMPORT_RESPONSE', { body: { interchange } })).body;
  }

  /** `POST /v1/validators/slashing-protection/export` (admin): the interchange (JSON text) of the selected keys, one chain. */
  async exportInterchange(req: InterchangeExportRequest = {}): Promise<string> {
    return (await this.#t.json('POST', 'v1/validators/slashing-protection/export', 'INTERCHANGE_EXPORT_RESPONSE', { body: req })).body.interchange;
  }

  /** `PUT /v1/validators/{name}/chain` (operator): binds an Ethereum slot to its chain's genesis validators root. */
  async bindChain(name: string, genesisValidatorsRoot: string): Promise<ValidatorSlot> {
    return (await this.#t.json('PUT', `v1/validators/${seg(name)}/chain`, 'VALIDATOR_SLOT', { body: { genesis_validators_root: genesisValidatorsRoot } })).body;
  }

  /** `POST /v1/validators/{name}/confirm-watermarks` (operator): raise to at least these, clear the restore mark. */
  async confirmWatermarks(name: string, minimum: SigningState): Promise<ValidatorSlot> {
    return (await this.#t.json('POST', `v1/validators/${seg(name)}/confirm-watermarks`, 'VALIDATOR_SLOT', { body: minimum })).body;
  }

  /** `POST /v1/validators/keymanager-token` (daemon admin): replaces the keymanager API token and returns the new one. */
  async replaceKeymanagerToken(): Promise<string> {
    return (await this.#t.json('POST', 'v1/validators/keymanager-token', 'KEYMANAGER_TOKEN_RESPONSE', { body: {} })).body.token;
  }

  /** `PUT /v1/validators/{name}/signing-state` (operator): only ever raised. */
  async setSigningState(name: string, state: SigningState): Promise<ValidatorSlot> {
    return (await this.#t.json('PUT', `v1/validators/${seg(name)}/signing-state`, 'VALIDATOR_SLOT', { body: state })).body;
  }

  /** `POST /v1/validators/{name}/rotate` (operator): the next key, generated or imported, pending. */
  async rotate(name: string, req: RotateValidatorRequest): Promise<ValidatorSlot> {
    return (await this.#t.json('POST', `v1/validators/${seg(name)}/rotate`, 'VALIDATOR_SLOT', { body: req })).body;
  }

  /** `POST /v1/validators/{name}/promote` (operator): pending -> active, active -> retired, one transaction. */
  async promote(name: string): Promise<ValidatorSlot> {
    return (await this.#t.json('POST', `v1/validators/${seg(name)}/promote`, 'VALIDATOR_SLOT', { body: {} })).body;
  }

  /** `POST /v1/validators/{name}/retire` (operator): the active key -> retired. */
  async retire(name: string): Promise<ValidatorSlot> {
    return (await this.#t.json('POST', `v1/validators/${seg(name)}/retire`, 'VALIDATOR_SLOT', { body: {} })).body;
  }

  /**
   * `POST /v1/validators/{name}/export` (admin): the key in a file format, as
   * `{file name: contents}`. The contents are secret: the caller writes them to 0600
   * files. File names come from the daemon; the schema admits plain names only, never a path.
   */
  async export(name: string, req: ExportValidatorRequest): Promise<Record<string, string>> {
    const r = await this.#t.json('POST', `v1/validators/${seg(name)}/export`, 'EXPORT_VALIDATOR_RESPONSE', { body: req });
    if (Object.keys(r.body.files).length === 0) throw malformedResponse(r.status, 'body.files is empty');
    return r.body.files;
  }

  /** `GET /v1/validators/{name}/history` (reader): signed rotation records and the keys to check them. */
  async history(name: string): Promise<ValidatorHistory> {
    return (await this.#t.json('GET', `v1/validators/${seg(name)}/history`, 'VALIDATOR_HISTORY')).body;
  }

  /**
   * `DELETE /v1/validators/{name}/keys/{id}?confirm=PUBKEY` (admin): destroys a retired
   * key's material for good. `confirm` is the key's public key as shown by `get`.
   */
  async destroyKey(name: string, keyId: string, confirm: string): Promise<DestroyValidatorKeyResponse> {
    const path = `v1/validators/${seg(name)}/keys/${seg(keyId)}?${new URLSearchParams({ confirm }).toString()}`;
    return (await this.#t.json('DELETE', path, 'DESTROY_KEY_RESPONSE')).body;
  }

  // --- keymanager API subset: build this client's VaultClient with the keymanager token ---

  /** `GET /eth/v1/keystores`: the active ethereum keys. */
  async keymanagerList(): Promise<KeymanagerKeystore[]> {
    return (await this.#t.json('GET', 'eth/v1/keystores', 'KEYMANAGER_LIST')).body.data;
  }

  /** `POST /eth/v1/keystores`: keystores with their passwords (same order), optional EIP-3076 data. */
  async keymanagerImport(req: KeymanagerImportRequest): Promise<KeymanagerImportResponse['data']> {
    return (await this.#t.json('POST', 'eth/v1/keystores', 'KEYMANAGER_IMPORT_RESPONSE', { body: req })).body.data;
  }

  /** `DELETE /eth/v1/keystores`: disables (retires) the keys, then returns their EIP-3076 interchange. */
  async keymanagerDelete(pubkeys: readonly string[]): Promise<KeymanagerDeleteResponse> {
    return (await this.#t.json('DELETE', 'eth/v1/keystores', 'KEYMANAGER_DELETE_RESPONSE', { body: { pubkeys } })).body;
  }
}

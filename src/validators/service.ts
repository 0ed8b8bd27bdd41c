/**
 * The validator service (contract in docs/validators.md and docs/api.md): one facade over
 * the parts, each with one job:
 * - ./inputs.ts: input checks; ./signing-state.ts: the pure watermark rules;
 * - ./material.ts: decoding imported key material; ./derive.ts: EIP-2333 derivation;
 * - ./slots.ts: the slot lifecycle; ./record-chain.ts: the signed record chain;
 * - ./export.ts: export; ./keymanager.ts: the keymanager API adapter;
 * - ./keystore-envelope.ts: a key's binding in the keyring's sealed records, which also
 *   run the rewrap loop (src/keyring).
 * @module
 */
import { keymanagerTokenValid, replaceKeymanagerToken } from '../auth/keymanager-token.js';
import { SealedRecords } from '../keyring/sealed-records.js';
import { rewrapAll, type RewrapSource } from '../keyring/rewrap-loop.js';
import { WATERMARKS_UNCONFIRMED_META } from '../storage/validators-types.js';
import type { Interchange } from './interchange.js';
import {
  bindChain,
  confirmWatermarks,
  exportInterchange,
  importInterchange,
  slotUnconfirmed,
  unconfirmedSlots,
  type InterchangeImportResult,
} from './slashing-protection.js';
import { ValidatorCore, type ValidatorServiceDeps } from './core.js';
import { exportKey, type ExportFormat } from './export.js';
import { checkName } from './inputs.js';
import { JobRegistry, type JobView } from './jobs.js';
import { keymanagerDelete, keymanagerImport, keymanagerList, type KeymanagerDeleteResult, type KeymanagerImportResult } from './keymanager.js';
import { validatorRewrapSource } from './keystore-envelope.js';
import type { KeyMaterialInput } from './material.js';
import { history } from './record-chain.js';
import type { ValidatorRecord } from './records.js';
import {
  createSlot,
  destroyKey,
  getSlot,
  checkBulk,
  importBulk,
  listSlots,
  promoteSlot,
  retireSlotKey,
  rotateSlot,
  setSigningState,
  type BulkImportItem,
  type BulkImportResult,
  type CreateSlotInput,
} from './slots.js';
import type { Chain } from './types.js';
import type { PublicKeyState, SlotView } from './views.js';

export type { ValidatorServiceDeps } from './core.js';
export type { ExportFormat } from './export.js';
export type { JobView } from './jobs.js';
export { MAX_BULK_ITEMS, MAX_MAP_ENTRIES, MIN_EXPORT_PASSWORD, SLOT_NAME_RE } from './inputs.js';
export { type KeymanagerDeleteResult, type KeymanagerImportResult } from './keymanager.js';
export { decodeMaterial, type ImportFormat, type KeyMaterialInput } from './material.js';
export { initialSigningState, raiseSigningState } from './signing-state.js';
export type { BulkImportItem, BulkImportResult, CreateSlotInput } from './slots.js';
export type { InterchangeImportItem, InterchangeImportResult } from './slashing-protection.js';
export { NETWORK_NAMES, NETWORK_ROOTS, networkRoot, type NetworkName } from './networks.js';
export type { KeyView, PublicKeyState, SlotView } from './views.js';

export class ValidatorService {
  readonly #core: ValidatorCore;
  readonly #jobs: JobRegistry<BulkImportResult>;

  constructor(deps: ValidatorServiceDeps) {
    const sealed = deps.sealed ?? new SealedRecords({ provider: deps.provider, keyring: deps.keyring, signature: deps.signature });
    this.#core = new ValidatorCore(deps, sealed);
    this.#jobs = new JobRegistry(deps.now);
  }

  /**
   * Starts a bulk import as a job owned by `owner` (./jobs.ts). Everything that can refuse
   * the whole import (names, scope, the KDF memory budget) is checked first, so a refusal
   * starts nothing and writes nothing; then the job runs and its view is returned at once.
   */
  startImport(items: readonly BulkImportItem[], opts: { owner: string; allowed?: (name: string) => boolean; root?: string }): JobView<BulkImportResult> {
    const { owner, ...rest } = opts;
    checkBulk(this.#core, items, rest);
    return this.#jobs.start(owner, items.length, (progress) => importBulk(this.#core, items, { ...rest, onProgress: (done) => progress(done) }));
  }

  /** An import job's status; OV_NOT_FOUND for an unknown id or another owner's job. */
  importJob(id: string, owner: string): JobView<BulkImportResult> {
    return this.#jobs.get(id, owner);
  }

  /** How key material is sealed and opened (the keyring's sealed records). */
  get sealed(): SealedRecords {
    return this.#core.sealed;
  }

  /** Slots (with their keys, destroyed ones left out), optionally filtered. */
  list(filter: { chain?: Chain; state?: PublicKeyState; visible?: (name: string) => boolean } = {}): SlotView[] {
    return this.#marked(listSlots(this.#core, filter));
  }

  get(name: string): SlotView {
    const [slot] = this.#marked([getSlot(this.#core, name)]);
    return slot!;
  }

  /**
   * After a snapshot restore, the slots that existed then wait for their watermarks to be
   * confirmed (an interchange import or `confirmWatermarks`). Without `name`: whether any
   * slot still waits; with it: whether that slot does.
   */
  watermarksUnconfirmed(name?: string): boolean {
    if (this.#core.deps.storage.meta.get(WATERMARKS_UNCONFIRMED_META) === undefined) return false;
    if (name === undefined) return true;
    const slot = this.#core.store.getSlot(name);
    return slot === undefined || slotUnconfirmed(this.#core, slot);
  }

  #marked(slots: SlotView[]): SlotView[] {
    if (!this.watermarksUnconfirmed()) return slots;
    const waiting = unconfirmedSlots(this.#core);
    return slots.map((s) => (waiting.has(s.name) ? { ...s, watermarks_unconfirmed: true as const } : s));
  }

  /** Imports an EIP-3076 interchange: raises, binds and confirms the listed keys' slots (./slashing-protection.ts). */
  importInterchange(json: string, opts: { visible?: (name: string) => boolean } = {}): InterchangeImportResult {
    return importInterchange(this.#core, json, opts.visible);
  }

  /** An EIP-3076 interchange of the selected Ethereum keys, all of one chain. */
  exportInterchange(opts: { pubkeys?: readonly string[]; root?: string; visible?: (name: string) => boolean } = {}): Interchange {
    return exportInterchange(this.#core, opts);
  }

  /** Binds an Ethereum slot to its chain's genesis validators root. */
  bindChain(name: string, root: string): SlotView {
    bindChain(this.#core, name, root);
    return this.get(name);
  }

  /** Raises a slot's watermarks to at least `minimum` and clears its restore mark. */
  confirmWatermarks(name: string, minimum: Record<string, unknown>): SlotView {
    confirmWatermarks(this.#core, name, minimum);
    return this.get(name);
  }

  /** A new slot whose first key is active, with its `import` record. */
  create(input: CreateSlotInput): Promise<SlotView> {
    return createSlot(this.#core, input);
  }

  /** Many EIP-2335 keystores, each its own slot with an active key; results in input order. */
  importBulk(items: readonly BulkImportItem[], opts: { allowed?: (name: string) => boolean; onProgress?: (done: number, total: number) => void; root?: string } = {}): Promise<BulkImportResult[]> {
    return importBulk(this.#core, items, opts);
  }

  /** The next key of a slot, `pending`, with its `rotate` record. One pending key at a time. */
  rotate(name: string, material: KeyMaterialInput, opts: { secretAllowed?: (path: string) => boolean } = {}): Promise<SlotView> {
    return rotateSlot(this.#core, name, material, opts);
  }

  /** pending -> active and active -> retired, with the `promote` record. */
  promote(name: string): SlotView {
    return promoteSlot(this.#core, name);
  }

  /** The active key -> retired (the slot then has no active key). */
  retire(name: string): SlotView {
    return retireSlotKey(this.#core, name);
  }

  /** Raises the slot's signing state (never lowers); an unchanged state writes nothing. */
  setSigningState(name: string, update: Record<string, unknown>): SlotView {
    return setSigningState(this.#core, name, update);
  }

  /** The key (default: the active one) in a chain's file format. */
  export(name: string, opts: { key_id?: string; format: ExportFormat; password?: string }): Promise<{ files: Record<string, string>; key_id: string }> {
    return exportKey(this.#core, name, opts);
  }

  /** The slot's records (parsed) and the armored public key of every vault signature key version. */
  history(name: string): { records: ValidatorRecord[]; public_keys: string[] } {
    const keyring = this.#core.keyring();
    const slot = this.#core.slot(checkName(name));
    return history(this.#core.store, keyring, slot.name);
  }

  /** Destroys a retired key (envelope wiped, tombstone kept); `confirm` is its public key as shown. */
  destroy(name: string, keyId: string, confirm: string | undefined): { destroyed: string } {
    return destroyKey(this.#core, name, keyId, confirm);
  }

  /** The validator keys store as a row source of the keyring's rewrap loop. */
  rewrapSource(): RewrapSource<string> {
    return validatorRewrapSource(this.#core.deps.storage);
  }

  /**
   * Re-seals every validator key envelope sealed under an older `kem` version to the
   * current one, `batchSize` keys per transaction. Envelopes that do not open are counted
   * as `failed` and left alone.
   */
  rewrap(opts: { batchSize?: number } = {}): { rewrapped: number; failed: number; remaining: number; keyVersion: number } {
    const r = rewrapAll(this.#core.sealed, this.rewrapSource(), opts.batchSize === undefined ? {} : { batchSize: opts.batchSize });
    return { rewrapped: r.rewrapped, failed: r.failed, remaining: r.remaining, keyVersion: r.keyVersion };
  }

  /** Keys still sealed below `kemVersion` (the guard before raising the KEM minimum decryption version). */
  countStale(kemVersion: number): number {
    return this.#core.store.countStale(kemVersion);
  }

  /** True when `token` is the keymanager API's static token (../auth/keymanager-token.ts). */
  keymanagerTokenValid(token: string): boolean {
    return keymanagerTokenValid(this.#core.deps.storage.meta, token);
  }

  /** Replaces the keymanager API token; the new token is returned once and only its digest kept. */
  replaceKeymanagerToken(): string {
    this.#core.keyring();
    return replaceKeymanagerToken(this.#core.deps.storage.meta);
  }

  /** Active Ethereum keys (keymanager API). */
  keymanagerList(visible?: (name: string) => boolean): { validating_pubkey: string; derivation_path?: string; readonly: boolean }[] {
    return keymanagerList(this.#core, visible);
  }

  /** `POST /eth/v1/keystores` (./keymanager.ts). */
  keymanagerImport(keystores: readonly string[], passwords: readonly string[], slashingProtection: string | undefined): Promise<KeymanagerImportResult[]> {
    return keymanagerImport(this.#core, keystores, passwords, slashingProtection);
  }

  /** `DELETE /eth/v1/keystores` (./keymanager.ts). */
  keymanagerDelete(pubkeys: readonly string[], visible?: (name: string) => boolean): { data: KeymanagerDeleteResult[]; slashing_protection: string } {
    return keymanagerDelete(this.#core, pubkeys, visible);
  }
}

/**
 * The validator service (issue 5; contract in docs/validators.md and docs/api.md): slots,
 * keys and the rotation workflow on top of the storage contract, the keyring and the
 * pure format layer (./formats, ./keygen, ./bulk, ./interchange).
 *
 * Rules it enforces, in this order of trust:
 * 1. The database: at most one active and one pending key per slot, one public key per
 *    chain (partial unique indexes, migration 4). Code bugs cannot break these.
 * 2. Every state change runs in one IMMEDIATE transaction together with its signed,
 *    hash-chained rotation record (./records.ts), so a record exists for a change exactly
 *    when the change does.
 * 3. Everything an import brings is verified (checksums, public keys, file structure)
 *    before the transaction starts; a refused import writes nothing.
 *
 * Key material leaves the format layer only to be sealed (./keystore-envelope.ts) and is
 * wiped in `finally` blocks. Signing state lives on the slot: a promote carries it by
 * construction and records it; updates only ever raise it.
 * @module
 */
import { availableParallelism } from 'node:os';
import { wipe, utf8 } from '../crypto/bytes.js';
import { blsPublicKey } from '../crypto/bls.js';
import { ed25519PublicKey } from '../crypto/ed25519.js';
import { sha256 } from '../crypto/kdf.js';
import type { CryptoProvider } from '../crypto/types.js';
import { randomUuid } from '../crypto/validator-kdf.js';
import type { SecretKeyInfo } from '../envelope/keys.js';
import { VaultError, isVaultError } from '../errors.js';
import type { Keyring } from '../keyring/index.js';
import type { Storage } from '../storage/types.js';
import type { ValidatorKeyRecord, ValidatorKeySourceName, ValidatorSlotRecord } from '../storage/validators-types.js';
import { runBulk, type BulkItem } from './bulk.js';
import { cosmosAddress, exportCosmosKey, exportCosmosState, parseCosmosKey, parseCosmosState } from './formats/cosmos.js';
import { decryptKeystore, encryptKeystore, type EncryptKeystoreOptions } from './formats/eip2335.js';
import { formatPublicKey, parsePublicKey } from './formats/pubkey.js';
import { exportSolanaKeypair, parseSolanaKeypair, solanaAddress } from './formats/solana.js';
import { interchangeFor, parseInterchange, watermarksFrom, type EthWatermark, type Interchange } from './interchange.js';
import { deriveEth2Key, generateKey, mnemonicToSeed } from './keygen.js';
import { openValidatorSecret, sealValidatorSecret } from './keystore-envelope.js';
import { GENESIS_HASH, parseRecord, recordText, signRecord, type RecordAction, type SigningStateJson, type ValidatorRecord } from './records.js';
import { KEY_TYPE, type Chain, type ValidatorKey } from './types.js';

export const SLOT_NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const MAX_MAP_ENTRIES = 32;
const MAP_KEY_RE = /^[A-Za-z0-9._/-]{1,64}$/;
const MAX_MAP_VALUE = 1024;
/** Largest bulk import in one call (the HTTP schema says the same). */
export const MAX_BULK_ITEMS = 1000;
export const MIN_EXPORT_PASSWORD = 8;
/** EIP-3076 root used when no slot carries one (see docs/validators.md). */
export const ZERO_ROOT = `0x${'00'.repeat(32)}`;
const UINT64_MAX = (1n << 64n) - 1n;

export type ImportFormat = 'eip2335' | 'cosmos' | 'solana' | 'generate';
export type ExportFormat = 'eip2335' | 'cosmos' | 'solana';
export type PublicKeyState = 'pending' | 'active' | 'retired';

/** Key material of an import or rotation; which fields apply depends on `format`. */
export interface KeyMaterialInput {
  format: ImportFormat;
  keystore?: string;
  password?: string;
  key_file?: string;
  state_file?: string;
  derive_index?: number;
}

export interface CreateSlotInput extends KeyMaterialInput {
  name: string;
  chain: Chain;
  labels?: Record<string, string>;
  metadata?: Record<string, string>;
}

export interface KeyView {
  id: string;
  key_type: 'BLS12-381' | 'Ed25519';
  public_key: string;
  address: string | null;
  state: PublicKeyState;
  created_at: string;
  activated_at: string | null;
  retired_at: string | null;
  source: ValidatorKeySourceName;
  derivation_path: string | null;
}

export interface SlotView {
  name: string;
  chain: Chain;
  labels: Record<string, string>;
  metadata: Record<string, string>;
  signing_state: SigningStateJson;
  created_at: string;
  keys: KeyView[];
}

export interface BulkImportItem {
  name?: string;
  keystore: string;
  password: string;
}

export interface BulkImportResult {
  index: number;
  status: 'imported' | 'duplicate' | 'error';
  name?: string;
  public_key?: string;
  code?: string;
  message?: string;
}

export interface KeymanagerImportResult {
  status: 'imported' | 'duplicate' | 'error';
  message?: string;
}

export interface KeymanagerDeleteResult {
  status: 'deleted' | 'not_active' | 'not_found' | 'error';
  message?: string;
}

export interface ValidatorServiceDeps {
  readonly storage: Storage;
  readonly provider: CryptoProvider;
  /** The open keyring; undefined while sealed. */
  readonly keyring: () => Keyring | undefined;
  /** Which vault key signs rotation records (config `crypto.signature`). */
  readonly signature: 'ML-DSA-65' | 'Falcon-512-r3';
  readonly now: () => number;
  /** KDF work in flight for bulk imports (default `os.availableParallelism()`). */
  readonly concurrency?: number;
  /** EIP-2335 export KDF settings (default: the format layer's, scrypt n = 2^18). */
  readonly exportKdf?: Pick<EncryptKeystoreOptions, 'kdf' | 'scryptN' | 'pbkdf2C'>;
  /**
   * Reads one string field of the latest version of a stored secret (`/v1/secrets`), for
   * EIP-2333 derivation from the mnemonic a slot's `mnemonic_ref` names. Absent: derivation
   * is refused. Throws the secrets errors (OV_SECRET_NOT_FOUND, OV_FIELD_NOT_FOUND ...).
   */
  readonly readSecretField?: (path: string, field: string) => string;
}

/** Decoded, verified key material waiting to be sealed; `key.secret` is wiped by the caller. */
interface Material {
  key: ValidatorKey;
  source: ValidatorKeySourceName;
  /** Cosmos state file, when one came with the key. */
  state?: SigningStateJson;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : iso(ms);
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

function bad(field: string, reason: string): never {
  throw new VaultError('OV_INVALID_ARGUMENT', { field, reason });
}

export function initialSigningState(chain: Chain): SigningStateJson {
  switch (chain) {
    case 'ethereum':
      return { max_block_slot: null, max_source_epoch: null, max_target_epoch: null };
    case 'cosmos':
      return { height: '0', round: 0, step: 0 };
    case 'solana':
      return {};
  }
}

function checkName(name: unknown): string {
  if (typeof name !== 'string' || !SLOT_NAME_RE.test(name)) bad('name', 'must match ^[a-z0-9][a-z0-9._-]{0,63}$');
  return name;
}

function checkChain(chain: unknown): Chain {
  if (chain !== 'ethereum' && chain !== 'cosmos' && chain !== 'solana') bad('chain', 'unknown chain');
  return chain;
}

function checkMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(field, 'not an object');
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length > MAX_MAP_ENTRIES) bad(field, `more than ${MAX_MAP_ENTRIES} entries`);
  const out: Record<string, string> = {};
  for (const [k, val] of entries) {
    if (!MAP_KEY_RE.test(k)) bad(field, 'key must match ^[A-Za-z0-9._/-]{1,64}$');
    if (typeof val !== 'string' || val.length > MAX_MAP_VALUE) bad(field, `values are strings of at most ${MAX_MAP_VALUE} characters`);
    out[k] = val;
  }
  return out;
}

function parseJsonMap(text: string): Record<string, string> {
  return JSON.parse(text) as Record<string, string>;
}

function isUint64(s: unknown): s is string {
  return typeof s === 'string' && /^(0|[1-9][0-9]{0,19})$/.test(s) && BigInt(s) <= UINT64_MAX;
}

/** The larger of two optional uint64 decimal strings. */
function maxU64(a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return BigInt(a) >= BigInt(b) ? a : b;
}

/** Cosmos (height, round, step) compared as a tuple; negative when a < b. */
function compareHrs(a: SigningStateJson, b: SigningStateJson): number {
  const ha = BigInt(a.height as string);
  const hb = BigInt(b.height as string);
  if (ha !== hb) return ha < hb ? -1 : 1;
  if (a.round !== b.round) return (a.round as number) < (b.round as number) ? -1 : 1;
  if (a.step !== b.step) return (a.step as number) < (b.step as number) ? -1 : 1;
  return 0;
}

function ethWatermark(s: SigningStateJson): EthWatermark {
  return {
    maxBlockSlot: (s.max_block_slot as string | null | undefined) ?? null,
    maxSourceEpoch: (s.max_source_epoch as string | null | undefined) ?? null,
    maxTargetEpoch: (s.max_target_epoch as string | null | undefined) ?? null,
  };
}

function ethState(w: EthWatermark): SigningStateJson {
  return { max_block_slot: w.maxBlockSlot, max_source_epoch: w.maxSourceEpoch, max_target_epoch: w.maxTargetEpoch };
}

/** Element-wise max of two Ethereum watermarks (never lowers either). */
function mergeWatermarks(a: EthWatermark, b: EthWatermark): EthWatermark {
  return {
    maxBlockSlot: maxU64(a.maxBlockSlot, b.maxBlockSlot),
    maxSourceEpoch: maxU64(a.maxSourceEpoch, b.maxSourceEpoch),
    maxTargetEpoch: maxU64(a.maxTargetEpoch, b.maxTargetEpoch),
  };
}

function sameState(a: SigningStateJson, b: SigningStateJson): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) if (a[k] !== b[k]) return false;
  return true;
}

/**
 * Validates a signing-state update for `chain` against `current` and returns the new
 * state. Cosmos needs the whole (height, round, step) and compares it as a tuple;
 * Ethereum fields may be given one at a time and each compares on its own (null only
 * where the current value is null). Lower: OV_SIGNING_STATE_REGRESSION.
 */
export function raiseSigningState(chain: Chain, current: SigningStateJson, update: Record<string, unknown>): SigningStateJson {
  if (typeof update !== 'object' || update === null || Array.isArray(update)) bad('signing_state', 'not an object');
  const keys = Object.keys(update);
  if (chain === 'cosmos') {
    for (const k of keys) if (k !== 'height' && k !== 'round' && k !== 'step') bad(`signing_state.${k}`, 'unknown field');
    const { height, round, step } = update;
    if (!isUint64(height) || BigInt(height) >= 1n << 63n) bad('signing_state.height', 'int64 decimal string');
    if (typeof round !== 'number' || !Number.isSafeInteger(round) || round < 0 || round > 2 ** 31 - 1) bad('signing_state.round', 'non-negative int32');
    if (typeof step !== 'number' || !Number.isSafeInteger(step) || step < 0 || step > 3) bad('signing_state.step', '0..3');
    const next = { height, round, step };
    if (compareHrs(next, current) < 0) throw new VaultError('OV_SIGNING_STATE_REGRESSION', { field: 'signing_state' });
    return next;
  }
  if (chain === 'ethereum') {
    const cur = ethWatermark(current);
    const next: EthWatermark = { ...cur };
    const fields = { max_block_slot: 'maxBlockSlot', max_source_epoch: 'maxSourceEpoch', max_target_epoch: 'maxTargetEpoch' } as const;
    for (const k of keys) {
      if (!(k in fields)) bad(`signing_state.${k}`, 'unknown field');
      const prop = fields[k as keyof typeof fields];
      const v = update[k];
      if (v !== null && !isUint64(v)) bad(`signing_state.${k}`, 'uint64 decimal string or null');
      const was = cur[prop];
      if (was !== null && (v === null || BigInt(v) < BigInt(was))) throw new VaultError('OV_SIGNING_STATE_REGRESSION', { field: `signing_state.${k}` });
      next[prop] = v;
    }
    return ethState(next);
  }
  if (keys.length > 0) bad('signing_state', 'solana slots carry no signing state');
  return {};
}

function addressOf(chain: Chain, publicKey: Uint8Array): string | null {
  if (chain === 'cosmos') return cosmosAddress(publicKey);
  if (chain === 'solana') return solanaAddress(publicKey);
  return null;
}

function keyView(k: ValidatorKeyRecord): KeyView {
  return {
    id: k.id,
    key_type: k.keyType,
    public_key: formatPublicKey(k.chain, k.publicKey),
    address: addressOf(k.chain, k.publicKey),
    state: k.state as PublicKeyState,
    created_at: iso(k.createdAt),
    activated_at: isoOrNull(k.activatedAt),
    retired_at: isoOrNull(k.retiredAt),
    source: k.source,
    derivation_path: k.path,
  };
}

function publicKeyMatches(key: ValidatorKeyRecord, secret: Uint8Array): boolean {
  const derived = key.keyType === 'BLS12-381' ? blsPublicKey(secret) : ed25519PublicKey(secret);
  return derived.length === key.publicKey.length && derived.every((b, i) => b === key.publicKey[i]);
}

/** Reads the material of an import: decrypts, parses and checks it; nothing is stored. */
export async function decodeMaterial(chain: Chain, m: KeyMaterialInput): Promise<Material> {
  const allowed: Record<ImportFormat, readonly string[]> = {
    generate: ['format'],
    eip2335: ['format', 'keystore', 'password'],
    cosmos: ['format', 'key_file', 'state_file'],
    solana: ['format', 'key_file'],
  };
  const format = m.format;
  if (!(format in allowed)) bad('format', 'unknown format');
  if (m.derive_index !== undefined) bad('derive_index', 'derivation needs a slot with a mnemonic_ref (rotate only)');
  for (const [k, v] of Object.entries(m)) {
    if (v !== undefined && !allowed[format].includes(k)) bad(k, `not used by format ${format}`);
  }
  if (format === 'generate') return { key: generateKey(chain), source: 'generated' };
  const expected: Record<Exclude<ImportFormat, 'generate'>, Chain> = { eip2335: 'ethereum', cosmos: 'cosmos', solana: 'solana' };
  if (expected[format] !== chain) bad('format', `format ${format} is not a ${chain} format`);
  if (format === 'eip2335') {
    if (typeof m.keystore !== 'string') bad('keystore', 'required');
    if (typeof m.password !== 'string') bad('password', 'required');
    return { key: await decryptKeystore(m.keystore, m.password), source: 'imported-eip2335' };
  }
  if (typeof m.key_file !== 'string') bad('key_file', 'required');
  if (format === 'solana') return { key: parseSolanaKeypair(m.key_file), source: 'imported-solana' };
  const state = m.state_file === undefined ? undefined : parseCosmosState(m.state_file);
  const { address: _address, ...key } = parseCosmosKey(m.key_file);
  void _address;
  return { key, source: 'imported-cosmos', ...(state === undefined ? {} : { state: { height: state.height, round: state.round, step: state.step } }) };
}

export class ValidatorService {
  readonly #deps: ValidatorServiceDeps;

  constructor(deps: ValidatorServiceDeps) {
    this.#deps = deps;
  }

  get #store() {
    return this.#deps.storage.validators;
  }

  #keyring(): Keyring {
    const k = this.#deps.keyring();
    if (k === undefined) throw new VaultError('OV_SEALED');
    return k;
  }

  /** Signs rotation records: the configured scheme; ML-DSA-65 when Falcon was asked for but never set up. */
  #recordSigner(keyring: Keyring): SecretKeyInfo {
    if (this.#deps.signature === 'Falcon-512-r3' && keyring.list().some((p) => p.name === 'sign-falcon')) return keyring.current('sign-falcon');
    return keyring.current('sign');
  }

  #slot(name: string): ValidatorSlotRecord {
    const s = this.#store.getSlot(name);
    if (s === undefined) throw new VaultError('OV_VALIDATOR_NOT_FOUND');
    return s;
  }

  #view(slot: ValidatorSlotRecord, keys: readonly ValidatorKeyRecord[] = this.#store.keysOf(slot.name)): SlotView {
    return {
      name: slot.name,
      chain: slot.chain,
      labels: parseJsonMap(slot.labels),
      metadata: parseJsonMap(slot.metadata),
      signing_state: JSON.parse(slot.signingState) as SigningStateJson,
      created_at: iso(slot.createdAt),
      keys: keys.filter((k) => k.state !== 'destroyed').map(keyView),
    };
  }

  /** Appends the slot's next record, signed; call inside the transaction that made the change. */
  #record(keyring: Keyring, slot: string, action: RecordAction, key: ValidatorKeyRecord, prevKeyId: string | null, signingState: SigningStateJson, now: number): ValidatorRecord {
    const last = this.#store.lastRecord(slot);
    const rec = signRecord(this.#deps.provider, this.#recordSigner(keyring), {
      seq: (last?.seq ?? 0) + 1,
      slot,
      action,
      key_id: key.id,
      public_key: formatPublicKey(key.chain, key.publicKey),
      prev_key_id: prevKeyId,
      signing_state: signingState,
      time: iso(now),
      prev_hash: last === undefined ? GENESIS_HASH : hex(last.hash),
    });
    const text = recordText(rec);
    this.#store.appendRecord({ slot, seq: rec.seq, record: text, hash: sha256(utf8(text)) });
    return rec;
  }

  /** Seals the material as a new key row of `slot` (not stored yet). */
  #newKey(keyring: Keyring, slot: string, material: Material, state: 'pending' | 'active', now: number): ValidatorKeyRecord {
    const id = randomUuid();
    const sealed = sealValidatorSecret(this.#deps.provider, keyring, keyring.current('sign'), { slot, keyId: id, secret: material.key.secret });
    return {
      id,
      slot,
      chain: material.key.chain,
      keyType: material.key.keyType,
      publicKey: material.key.publicKey,
      path: material.key.path === undefined || material.key.path === '' ? null : material.key.path,
      state,
      source: material.source,
      envelope: sealed.envelope,
      kemVersion: sealed.kemVersion,
      createdAt: now,
      activatedAt: state === 'active' ? now : null,
      retiredAt: null,
      destroyedAt: null,
    };
  }

  /** Slots (with their keys, destroyed ones left out), optionally filtered. */
  list(filter: { chain?: Chain; state?: PublicKeyState; visible?: (name: string) => boolean } = {}): SlotView[] {
    const byslot = new Map<string, ValidatorKeyRecord[]>();
    for (const k of this.#store.listKeys()) {
      const list = byslot.get(k.slot);
      if (list === undefined) byslot.set(k.slot, [k]);
      else list.push(k);
    }
    const out: SlotView[] = [];
    for (const s of this.#store.listSlots()) {
      if (filter.chain !== undefined && s.chain !== filter.chain) continue;
      if (filter.visible !== undefined && !filter.visible(s.name)) continue;
      const keys = byslot.get(s.name) ?? [];
      if (filter.state !== undefined && !keys.some((k) => k.state === filter.state)) continue;
      out.push(this.#view(s, keys));
    }
    return out;
  }

  get(name: string): SlotView {
    return this.#view(this.#slot(name));
  }

  /** A new slot whose first key is active, with its `import` record. */
  async create(input: CreateSlotInput): Promise<SlotView> {
    const name = checkName(input.name);
    const chain = checkChain(input.chain);
    const labels = checkMap(input.labels, 'labels');
    const metadata = checkMap(input.metadata, 'metadata');
    const keyring = this.#keyring();
    // Early answer before any KDF work; checked again under the write lock.
    if (this.#store.getSlot(name) !== undefined) throw new VaultError('OV_VALIDATOR_EXISTS');
    const { format, keystore, password, key_file, state_file, derive_index } = input;
    const material: KeyMaterialInput = { format, keystore, password, key_file, state_file, derive_index } as KeyMaterialInput;
    const m = await decodeMaterial(chain, material);
    try {
      this.#insertNewSlot(keyring, { name, chain, labels, metadata, signingState: m.state ?? initialSigningState(chain) }, m);
    } finally {
      wipe(m.key.secret);
    }
    return this.get(name);
  }

  #insertNewSlot(
    keyring: Keyring,
    slot: { name: string; chain: Chain; labels: Record<string, string>; metadata: Record<string, string>; signingState: SigningStateJson },
    m: Material,
  ): ValidatorKeyRecord {
    const now = this.#deps.now();
    const key = this.#newKey(keyring, slot.name, m, 'active', now);
    this.#deps.storage.transaction(() => {
      if (this.#store.getSlot(slot.name) !== undefined) throw new VaultError('OV_VALIDATOR_EXISTS');
      if (this.#store.findByPublicKey(slot.chain, key.publicKey) !== undefined) throw new VaultError('OV_VALIDATOR_DUPLICATE');
      this.#store.insertSlot({
        name: slot.name,
        chain: slot.chain,
        labels: JSON.stringify(slot.labels),
        metadata: JSON.stringify(slot.metadata),
        signingState: JSON.stringify(slot.signingState),
        createdAt: now,
        updatedAt: now,
      });
      this.#store.insertKey(key);
      this.#record(keyring, slot.name, 'import', key, null, slot.signingState, now);
    });
    return key;
  }

  /**
   * Many EIP-2335 keystores, each its own slot with an active key. The KDFs run
   * `concurrency` at a time (libuv's threadpool does the work, ./bulk.ts); each item is
   * stored in its own transaction as soon as it is verified. `allowed(name)` is the
   * caller's scope check. Results are in input order.
   */
  async importBulk(items: readonly BulkImportItem[], opts: { allowed?: (name: string) => boolean; onProgress?: (done: number, total: number) => void } = {}): Promise<BulkImportResult[]> {
    if (items.length > MAX_BULK_ITEMS) bad('items', `at most ${MAX_BULK_ITEMS}`);
    items.forEach((it, i) => {
      if (it.name !== undefined && !SLOT_NAME_RE.test(it.name)) bad(`items/${i}/name`, 'must match ^[a-z0-9][a-z0-9._-]{0,63}$');
      if (it.name !== undefined && opts.allowed !== undefined && !opts.allowed(it.name)) throw new VaultError('OV_FORBIDDEN');
    });
    const keyring = this.#keyring();
    const work = async (it: BulkImportItem): Promise<{ status: 'imported' | 'duplicate'; name: string; public_key: string }> => {
      const m = await decodeMaterial('ethereum', { format: 'eip2335', keystore: it.keystore, password: it.password });
      try {
        const publicKey = formatPublicKey('ethereum', m.key.publicKey);
        const name = it.name ?? `eth-${publicKey.slice(2, 10)}`;
        if (opts.allowed !== undefined && !opts.allowed(name)) throw new VaultError('OV_FORBIDDEN');
        if (this.#store.findByPublicKey('ethereum', m.key.publicKey) !== undefined) return { status: 'duplicate', name, public_key: publicKey };
        try {
          this.#insertNewSlot(keyring, { name, chain: 'ethereum', labels: {}, metadata: {}, signingState: initialSigningState('ethereum') }, m);
        } catch (e) {
          if (isVaultError(e, 'OV_VALIDATOR_DUPLICATE')) return { status: 'duplicate', name, public_key: publicKey };
          throw e;
        }
        return { status: 'imported', name, public_key: publicKey };
      } finally {
        wipe(m.key.secret);
      }
    };
    const bulk: BulkItem<BulkImportItem>[] = items.map((input, i) => ({ id: String(i), input }));
    const results = await runBulk(bulk, work, {
      concurrency: this.#deps.concurrency ?? availableParallelism(),
      ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }),
    });
    return results.map((r, index) =>
      r.status === 'ok' ? { index, status: r.value.status, name: r.value.name, public_key: r.value.public_key } : { index, status: 'error', code: r.code, message: r.message },
    );
  }

  /** The next key of a slot, `pending`, with its `rotate` record. One pending key at a time. */
  async rotate(name: string, material: KeyMaterialInput, opts: { secretAllowed?: (path: string) => boolean } = {}): Promise<SlotView> {
    const slot = this.#slot(checkName(name));
    const keyring = this.#keyring();
    if (this.#store.keysOf(slot.name).some((k) => k.state === 'pending')) throw new VaultError('OV_VALIDATOR_STATE', { reason: 'a pending key exists' });
    const m = material.derive_index === undefined ? await decodeMaterial(slot.chain, material) : this.#derive(slot, material, opts.secretAllowed);
    try {
      const now = this.#deps.now();
      const key = this.#newKey(keyring, slot.name, m, 'pending', now);
      this.#deps.storage.transaction(() => {
        const current = this.#slot(slot.name);
        const keys = this.#store.keysOf(slot.name);
        if (keys.some((k) => k.state === 'pending')) throw new VaultError('OV_VALIDATOR_STATE', { reason: 'a pending key exists' });
        if (this.#store.findByPublicKey(slot.chain, key.publicKey) !== undefined) throw new VaultError('OV_VALIDATOR_DUPLICATE');
        let state = JSON.parse(current.signingState) as SigningStateJson;
        if (m.state !== undefined && compareHrs(m.state, state) > 0) {
          // A state file that came with the new key may only raise the slot's state.
          state = m.state;
          this.#store.updateSigningState(slot.name, JSON.stringify(state), now);
        }
        this.#store.insertKey(key);
        const active = keys.find((k) => k.state === 'active');
        this.#record(keyring, slot.name, 'rotate', key, active?.id ?? null, state, now);
      });
    } finally {
      wipe(m.key.secret);
    }
    return this.get(slot.name);
  }

  /**
   * EIP-2333/2334 derivation (`m/12381/3600/i/0/0`) from the BIP-39 mnemonic stored at the
   * slot's `mnemonic_ref` (`path` or `path#field`, field default `mnemonic`; no BIP-39
   * passphrase). Ethereum slots only; the caller's scope must cover the secret's path.
   */
  #derive(slot: ValidatorSlotRecord, material: KeyMaterialInput, secretAllowed: ((path: string) => boolean) | undefined): Material {
    const { format, derive_index: index, ...rest } = material;
    if (format !== 'generate' || Object.values(rest).some((v) => v !== undefined)) bad('derive_index', 'goes with format generate and nothing else');
    if (slot.chain !== 'ethereum') bad('derive_index', 'ethereum slots only');
    if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index > 0xffffffff) bad('derive_index', 'integer in [0, 2^32)');
    const ref = parseJsonMap(slot.metadata).mnemonic_ref;
    if (ref === undefined) bad('derive_index', 'the slot has no mnemonic_ref');
    const hash = ref.indexOf('#');
    const path = hash === -1 ? ref : ref.slice(0, hash);
    const field = hash === -1 ? 'mnemonic' : ref.slice(hash + 1);
    if (this.#deps.readSecretField === undefined) bad('derive_index', 'no secret store');
    if (secretAllowed !== undefined && !secretAllowed(path)) throw new VaultError('OV_FORBIDDEN');
    const seed = mnemonicToSeed(this.#deps.readSecretField(path, field));
    try {
      return { key: deriveEth2Key(seed, index), source: 'derived' };
    } finally {
      wipe(seed);
    }
  }

  /**
   * pending -> active and active -> retired in one IMMEDIATE transaction with the
   * `promote` record (which carries the slot's signing state, the floor the new key
   * signs above). No pending key: OV_VALIDATOR_STATE.
   */
  promote(name: string): SlotView {
    const keyring = this.#keyring();
    checkName(name);
    this.#deps.storage.transaction(() => {
      const slot = this.#slot(name);
      const keys = this.#store.keysOf(name);
      const pending = keys.find((k) => k.state === 'pending');
      if (pending === undefined) throw new VaultError('OV_VALIDATOR_STATE', { reason: 'no pending key' });
      const active = keys.find((k) => k.state === 'active');
      const now = this.#deps.now();
      // Retire first: the partial unique index allows one active key at every statement.
      if (active !== undefined && !this.#store.setKeyState(active.id, 'active', 'retired', now)) throw new VaultError('OV_VALIDATOR_STATE');
      if (!this.#store.setKeyState(pending.id, 'pending', 'active', now)) throw new VaultError('OV_VALIDATOR_STATE');
      this.#record(keyring, name, 'promote', pending, active?.id ?? null, JSON.parse(slot.signingState) as SigningStateJson, now);
    });
    return this.get(name);
  }

  /** The active key -> retired (the slot then has no active key). */
  retire(name: string): SlotView {
    const keyring = this.#keyring();
    checkName(name);
    this.#deps.storage.transaction(() => {
      const slot = this.#slot(name);
      const active = this.#store.keysOf(name).find((k) => k.state === 'active');
      if (active === undefined) throw new VaultError('OV_VALIDATOR_STATE', { reason: 'no active key' });
      const now = this.#deps.now();
      if (!this.#store.setKeyState(active.id, 'active', 'retired', now)) throw new VaultError('OV_VALIDATOR_STATE');
      this.#record(keyring, name, 'retire', active, null, JSON.parse(slot.signingState) as SigningStateJson, now);
    });
    return this.get(name);
  }

  /** Raises the slot's signing state (never lowers); an unchanged state writes nothing. */
  setSigningState(name: string, update: Record<string, unknown>): SlotView {
    const keyring = this.#keyring();
    checkName(name);
    this.#deps.storage.transaction(() => {
      const slot = this.#slot(name);
      const current = JSON.parse(slot.signingState) as SigningStateJson;
      const next = raiseSigningState(slot.chain, current, update);
      if (sameState(current, next)) return;
      const now = this.#deps.now();
      this.#store.updateSigningState(name, JSON.stringify(next), now);
      this.#record(keyring, name, 'signing-state', this.#referenceKey(name), null, next, now);
    });
    return this.get(name);
  }

  /** The key a slot-wide record names: the active one, else the newest. */
  #referenceKey(slot: string): ValidatorKeyRecord {
    const keys = this.#store.keysOf(slot);
    const key = keys.find((k) => k.state === 'active') ?? keys[keys.length - 1];
    if (key === undefined) throw new VaultError('OV_VALIDATOR_STATE', { reason: 'slot has no keys' });
    return key;
  }

  #keyOf(name: string, keyId: string | undefined): ValidatorKeyRecord {
    const keys = this.#store.keysOf(name);
    if (keyId === undefined) {
      const active = keys.find((k) => k.state === 'active');
      if (active === undefined) throw new VaultError('OV_VALIDATOR_STATE', { reason: 'no active key' });
      return active;
    }
    const key = keys.find((k) => k.id === keyId);
    if (key === undefined) throw new VaultError('OV_VALIDATOR_NOT_FOUND', { field: 'key_id' });
    return key;
  }

  /** Opens a key's envelope; the caller wipes the returned material. */
  #open(keyring: Keyring, key: ValidatorKeyRecord): ValidatorKey {
    if (key.envelope === null) throw new VaultError('OV_VALIDATOR_STATE', { reason: 'key is destroyed' });
    const secret = openValidatorSecret(this.#deps.provider, keyring, { slot: key.slot, keyId: key.id, envelope: key.envelope });
    if (!publicKeyMatches(key, secret)) {
      wipe(secret);
      throw new VaultError('OV_VALIDATOR_UNREADABLE', { key_id: key.id });
    }
    return { chain: key.chain, keyType: KEY_TYPE[key.chain], secret, publicKey: key.publicKey, ...(key.path === null ? {} : { path: key.path }) };
  }

  /** The key (default: the active one) in a chain's file format. */
  async export(name: string, opts: { key_id?: string; format: ExportFormat; password?: string }): Promise<{ files: Record<string, string>; key_id: string }> {
    const keyring = this.#keyring();
    const slot = this.#slot(checkName(name));
    const formats: Record<Chain, ExportFormat> = { ethereum: 'eip2335', cosmos: 'cosmos', solana: 'solana' };
    if (formats[slot.chain] !== opts.format) bad('format', `a ${slot.chain} key exports as ${formats[slot.chain]}`);
    if (opts.format === 'eip2335') {
      if (typeof opts.password !== 'string' || [...opts.password].length < MIN_EXPORT_PASSWORD) bad('password', `required, at least ${MIN_EXPORT_PASSWORD} characters`);
    } else if (opts.password !== undefined) bad('password', `not used by format ${opts.format}`);
    const key = this.#keyOf(slot.name, opts.key_id);
    const material = this.#open(keyring, key);
    try {
      switch (opts.format) {
        case 'eip2335': {
          const text = await encryptKeystore(material, opts.password as string, {
            ...this.#deps.exportKdf,
            ...(material.path === undefined ? {} : { path: material.path }),
          });
          return { files: { 'keystore.json': text }, key_id: key.id };
        }
        case 'cosmos': {
          const s = JSON.parse(slot.signingState) as SigningStateJson;
          return {
            files: {
              'priv_validator_key.json': exportCosmosKey(material),
              'priv_validator_state.json': exportCosmosState({ height: s.height as string, round: s.round as number, step: s.step as number }),
            },
            key_id: key.id,
          };
        }
        case 'solana':
          return { files: { 'keypair.json': exportSolanaKeypair(material) }, key_id: key.id };
      }
    } finally {
      wipe(material.secret);
    }
  }

  /** The slot's records (parsed) and the armored public key of every vault signature key version. */
  history(name: string): { records: ValidatorRecord[]; public_keys: string[] } {
    const keyring = this.#keyring();
    const slot = this.#slot(checkName(name));
    const records = this.#store.records(slot.name).map((r) => parseRecord(r.record));
    const public_keys = keyring
      .list()
      .filter((p) => p.name === 'sign' || p.name === 'sign-falcon')
      .flatMap((p) => p.versions.flatMap((v) => (v.publicKey === undefined ? [] : [v.publicKey])));
    return { records, public_keys };
  }

  /**
   * Destroys a retired key: its envelope is wiped (the row stays as a tombstone so the
   * public key can never be imported again unnoticed) and a `destroy` record written.
   * `confirm` must be the key's public key exactly as shown.
   */
  destroy(name: string, keyId: string, confirm: string | undefined): { destroyed: string } {
    const keyring = this.#keyring();
    checkName(name);
    this.#deps.storage.transaction(() => {
      const slot = this.#slot(name);
      const key = this.#keyOf(name, keyId);
      if (key.state !== 'retired') throw new VaultError('OV_VALIDATOR_STATE', { reason: `key is ${key.state}` });
      if (confirm !== formatPublicKey(key.chain, key.publicKey)) throw new VaultError('OV_CONFIRMATION_REQUIRED');
      const now = this.#deps.now();
      if (!this.#store.destroyKey(key.id, now)) throw new VaultError('OV_VALIDATOR_STATE');
      this.#record(keyring, name, 'destroy', key, null, JSON.parse(slot.signingState) as SigningStateJson, now);
    });
    return { destroyed: keyId };
  }

  /**
   * Re-seals every validator key envelope sealed under an older `kem` version to the
   * current one (what `POST /v1/keys/kem/rewrap` does for secrets), `batchSize` keys per
   * transaction. Envelopes that do not open are counted as `failed` and left alone.
   */
  rewrap(opts: { batchSize?: number } = {}): { rewrapped: number; failed: number; remaining: number; keyVersion: number } {
    const keyring = this.#keyring();
    const batchSize = opts.batchSize ?? 100;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1 || batchSize > 1000) bad('batch_size', '1..1000');
    const keyVersion = keyring.current('kem').keyVersion;
    let after = '';
    let rewrapped = 0;
    let failed = 0;
    for (;;) {
      const rows = this.#store.staleKeys(keyVersion, after, batchSize);
      const updates: { id: string; old: Uint8Array; envelope: Uint8Array; kemVersion: number }[] = [];
      for (const row of rows) {
        if (row.envelope === null) continue;
        let secret: Uint8Array | undefined;
        try {
          secret = openValidatorSecret(this.#deps.provider, keyring, { slot: row.slot, keyId: row.id, envelope: row.envelope });
          const sealed = sealValidatorSecret(this.#deps.provider, keyring, keyring.current('sign'), { slot: row.slot, keyId: row.id, secret });
          updates.push({ id: row.id, old: row.envelope, ...sealed });
        } catch (e) {
          if (!isVaultError(e, 'OV_VALIDATOR_UNREADABLE')) throw e;
          failed++;
        } finally {
          wipe(secret);
        }
      }
      this.#deps.storage.transaction(() => {
        for (const u of updates) if (this.#store.replaceEnvelope(u.id, u.old, u.envelope, u.kemVersion)) rewrapped++;
      });
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < batchSize) break;
      after = last.id;
    }
    return { rewrapped, failed, remaining: this.#store.countStale(keyVersion), keyVersion };
  }

  /** Keys still sealed below `kemVersion` (the guard before raising the KEM minimum decryption version). */
  countStale(kemVersion: number): number {
    return this.#store.countStale(kemVersion);
  }

  // ---- keymanager API (ethereum/keymanager-APIs, local keystores) ----------------------

  /** Active Ethereum keys. */
  keymanagerList(visible?: (name: string) => boolean): { validating_pubkey: string; derivation_path?: string; readonly: boolean }[] {
    return this.#store
      .listKeys()
      .filter((k) => k.chain === 'ethereum' && k.state === 'active' && (visible === undefined || visible(k.slot)))
      .map((k) => ({ validating_pubkey: formatPublicKey('ethereum', k.publicKey), ...(k.path === null ? {} : { derivation_path: k.path }), readonly: false }));
  }

  /**
   * `POST /eth/v1/keystores`: each keystore becomes a slot `eth-<8 hex>` with an active
   * key. The interchange (when given) is parsed before anything else (a bad one fails
   * the whole request) and raises the watermarks of every listed key that is imported or
   * already present; it never lowers one.
   */
  async keymanagerImport(keystores: readonly string[], passwords: readonly string[], slashingProtection: string | undefined): Promise<KeymanagerImportResult[]> {
    if (keystores.length !== passwords.length) bad('passwords', 'one password per keystore');
    if (keystores.length > MAX_BULK_ITEMS) bad('keystores', `at most ${MAX_BULK_ITEMS}`);
    const interchange = slashingProtection === undefined ? undefined : parseInterchange(slashingProtection);
    const keyring = this.#keyring();
    const work = async (i: number): Promise<KeymanagerImportResult> => {
      const m = await decodeMaterial('ethereum', { format: 'eip2335', keystore: keystores[i] as string, password: passwords[i] as string });
      try {
        const pubkey = formatPublicKey('ethereum', m.key.publicKey);
        const existing = this.#store.findByPublicKey('ethereum', m.key.publicKey);
        if (existing !== undefined) {
          if (interchange !== undefined) this.#raiseFromInterchange(keyring, existing.slot, interchange, pubkey);
          return { status: 'duplicate' };
        }
        const watermark = interchange === undefined ? initialSigningState('ethereum') : ethState(watermarksFrom(interchange, pubkey));
        const metadata = interchange === undefined ? {} : { genesis_validators_root: interchange.metadata.genesis_validators_root };
        try {
          this.#insertNewSlot(keyring, { name: `eth-${pubkey.slice(2, 10)}`, chain: 'ethereum', labels: {}, metadata, signingState: watermark }, m);
        } catch (e) {
          if (isVaultError(e, 'OV_VALIDATOR_DUPLICATE')) return { status: 'duplicate' };
          throw e;
        }
        return { status: 'imported' };
      } finally {
        wipe(m.key.secret);
      }
    };
    const results = await runBulk(
      keystores.map((_, i) => ({ id: String(i), input: i })),
      work,
      { concurrency: this.#deps.concurrency ?? availableParallelism() },
    );
    return results.map((r) => (r.status === 'ok' ? r.value : { status: 'error', message: `${r.code}: ${r.message}` }));
  }

  #raiseFromInterchange(keyring: Keyring, slotName: string, interchange: Interchange, pubkey: string): void {
    this.#deps.storage.transaction(() => {
      const slot = this.#slot(slotName);
      const current = JSON.parse(slot.signingState) as SigningStateJson;
      const next = ethState(mergeWatermarks(ethWatermark(current), watermarksFrom(interchange, pubkey)));
      if (sameState(current, next)) return;
      const now = this.#deps.now();
      this.#store.updateSigningState(slotName, JSON.stringify(next), now);
      this.#record(keyring, slotName, 'signing-state', this.#referenceKey(slotName), null, next, now);
    });
  }

  /**
   * `DELETE /eth/v1/keystores`: in one transaction, every listed active key is retired
   * (it can sign nothing more) with its record; then the EIP-3076 interchange of every
   * key found (deleted or not_active) is built from the slots' watermarks. Keys are
   * kept (retired), never erased: destruction is the explicit, confirmed operation.
   */
  keymanagerDelete(pubkeys: readonly string[], visible?: (name: string) => boolean): { data: KeymanagerDeleteResult[]; slashing_protection: string } {
    const keyring = this.#keyring();
    const entries: { pubkey: string; watermark: EthWatermark }[] = [];
    let root: string | undefined;
    const data = this.#deps.storage.transaction(() =>
      pubkeys.map((text): KeymanagerDeleteResult => {
        let raw: Uint8Array;
        try {
          raw = parsePublicKey('ethereum', text);
        } catch {
          return { status: 'error', message: 'malformed public key' };
        }
        const key = this.#store.findByPublicKey('ethereum', raw);
        if (key === undefined || (visible !== undefined && !visible(key.slot))) return { status: 'not_found' };
        const slot = this.#slot(key.slot);
        const state = JSON.parse(slot.signingState) as SigningStateJson;
        const pubkey = formatPublicKey('ethereum', key.publicKey);
        let status: KeymanagerDeleteResult['status'] = 'not_active';
        if (key.state === 'active') {
          const now = this.#deps.now();
          if (!this.#store.setKeyState(key.id, 'active', 'retired', now)) return { status: 'error', message: 'key changed state' };
          this.#record(keyring, key.slot, 'retire', key, null, state, now);
          status = 'deleted';
        }
        if (!entries.some((e) => e.pubkey === pubkey)) entries.push({ pubkey, watermark: ethWatermark(state) });
        const slotRoot = parseJsonMap(slot.metadata).genesis_validators_root;
        if (root === undefined && slotRoot !== undefined && /^0x[0-9a-fA-F]{64}$/.test(slotRoot)) root = slotRoot;
        return { status };
      }),
    );
    const interchange = interchangeFor(root ?? ZERO_ROOT, entries);
    return { data, slashing_protection: JSON.stringify(interchange) };
  }
}


/**
 * Slot lifecycle: list and show, create (import or generate), bulk import, rotate (a
 * pending key), promote, retire, destroy, and signing-state updates. Every state change
 * runs in one IMMEDIATE transaction together with its signed record (./record-chain.ts);
 * the database's partial unique indexes keep at most one active and one pending key per
 * slot and one public key per chain whatever the code does. Everything an import brings
 * is verified (./material.ts) before its transaction starts, so a refused import writes
 * nothing, and decoded secrets are wiped in `finally`.
 * @module
 */
import { wipe } from '../crypto/bytes.js';
import { VaultError, isVaultError } from '../errors.js';
import type { ValidatorKeyRecord } from '../storage/validators-types.js';
import { runBulk, type BulkItem } from './bulk.js';
import type { ValidatorCore } from './core.js';
import { deriveMaterial } from './derive.js';
import { formatPublicKey } from './formats/pubkey.js';
import { MAX_BULK_ITEMS, SLOT_NAME_RE, bad, checkChain, checkMap, checkName } from './inputs.js';
import { keystoreKdfMemory } from './kdf-queue.js';
import { decodeMaterial, type KeyMaterialInput, type Material } from './material.js';
import { checkRoot, ROOT_METADATA } from './networks.js';
import type { SigningStateJson } from './records.js';
import { carryOver, initialSigningState, raiseSigningState, sameState } from './signing-state.js';
import type { Chain } from './types.js';
import type { PublicKeyState, SlotView } from './views.js';

export interface CreateSlotInput extends KeyMaterialInput {
  name: string;
  chain: Chain;
  labels?: Record<string, string>;
  metadata?: Record<string, string>;
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

function stateOf(json: string): SigningStateJson {
  return JSON.parse(json) as SigningStateJson;
}

/** Slots (with their keys, destroyed ones left out), optionally filtered. */
export function listSlots(core: ValidatorCore, filter: { chain?: Chain; state?: PublicKeyState; visible?: (name: string) => boolean } = {}): SlotView[] {
  const byslot = new Map<string, ValidatorKeyRecord[]>();
  for (const k of core.store.listKeys()) {
    const list = byslot.get(k.slot);
    if (list === undefined) byslot.set(k.slot, [k]);
    else list.push(k);
  }
  const out: SlotView[] = [];
  for (const s of core.store.listSlots()) {
    if (filter.chain !== undefined && s.chain !== filter.chain) continue;
    if (filter.visible !== undefined && !filter.visible(s.name)) continue;
    const keys = byslot.get(s.name) ?? [];
    if (filter.state !== undefined && !keys.some((k) => k.state === filter.state)) continue;
    out.push(core.view(s, keys));
  }
  return out;
}

export function getSlot(core: ValidatorCore, name: string): SlotView {
  return core.view(core.slot(name));
}

/** A new slot whose first key is active, with its `import` record. */
export async function createSlot(core: ValidatorCore, input: CreateSlotInput): Promise<SlotView> {
  const name = checkName(input.name);
  const chain = checkChain(input.chain);
  const labels = checkMap(input.labels, 'labels');
  const metadata = checkMap(input.metadata, 'metadata');
  if (metadata[ROOT_METADATA] !== undefined) {
    if (chain !== 'ethereum') bad(`metadata/${ROOT_METADATA}`, 'only ethereum slots have a chain root');
    metadata[ROOT_METADATA] = checkRoot(metadata[ROOT_METADATA], `metadata/${ROOT_METADATA}`);
  }
  core.keyring();
  // Early answer before any KDF work; checked again under the write lock.
  if (core.store.getSlot(name) !== undefined) throw new VaultError('OV_VALIDATOR_EXISTS');
  const { format, keystore, password, key_file, state_file, derive_index } = input;
  const material: KeyMaterialInput = { format, keystore, password, key_file, state_file, derive_index } as KeyMaterialInput;
  const m = await decodeQueued(core, chain, material);
  try {
    core.insertNewSlot({ name, chain, labels, metadata, signingState: m.state ?? initialSigningState(chain) }, m);
  } finally {
    wipe(m.key.secret);
  }
  return getSlot(core, name);
}

/** Decodes material, with an EIP-2335 keystore's KDF through the vault's one bounded queue. */
export async function decodeQueued(core: ValidatorCore, chain: Chain, material: KeyMaterialInput): Promise<Material> {
  if (material.format !== 'eip2335' || typeof material.keystore !== 'string') return decodeMaterial(chain, material);
  const [cost] = core.kdf.admit([material.keystore], () => 'keystore');
  return core.kdf.run(cost as number, () => decodeMaterial(chain, material));
}

/**
 * Checks a bulk import before anything runs (names, scope, the KDF memory budget); a
 * refusal here writes nothing. Returns each item's KDF memory.
 */
export function checkBulk(core: ValidatorCore, items: readonly BulkImportItem[], opts: { allowed?: (name: string) => boolean; root?: string } = {}): number[] {
  if (items.length > MAX_BULK_ITEMS) bad('items', `at most ${MAX_BULK_ITEMS}`);
  items.forEach((it, i) => {
    if (it.name !== undefined && !SLOT_NAME_RE.test(it.name)) bad(`items/${i}/name`, 'must match ^[a-z0-9][a-z0-9._-]{0,63}$');
    if (it.name !== undefined && opts.allowed !== undefined && !opts.allowed(it.name)) throw new VaultError('OV_FORBIDDEN');
  });
  if (opts.root !== undefined) checkRoot(opts.root, ROOT_METADATA);
  core.keyring();
  return core.kdf.admit(
    items.map((it) => it.keystore),
    (i) => `items/${i}/keystore`,
  );
}

/**
 * Many EIP-2335 keystores, each its own slot with an active key. The KDFs run
 * `concurrency` at a time (libuv's threadpool does the work, ./bulk.ts); each item is
 * stored in its own transaction as soon as it is verified. `allowed(name)` is the
 * caller's scope check. Results are in input order.
 */
export async function importBulk(
  core: ValidatorCore,
  items: readonly BulkImportItem[],
  opts: { allowed?: (name: string) => boolean; onProgress?: (done: number, total: number) => void; root?: string } = {},
): Promise<BulkImportResult[]> {
  checkBulk(core, items, opts);
  const metadata: Record<string, string> = opts.root === undefined ? {} : { [ROOT_METADATA]: checkRoot(opts.root, ROOT_METADATA) };
  const work = async (it: BulkImportItem): Promise<{ status: 'imported' | 'duplicate'; name: string; public_key: string }> => {
    const m = await core.kdf.run(keystoreKdfMemory(it.keystore), () => decodeMaterial('ethereum', { format: 'eip2335', keystore: it.keystore, password: it.password }));
    try {
      const publicKey = formatPublicKey('ethereum', m.key.publicKey);
      const name = it.name ?? `eth-${publicKey.slice(2, 10)}`;
      if (opts.allowed !== undefined && !opts.allowed(name)) throw new VaultError('OV_FORBIDDEN');
      if (core.store.findByPublicKey('ethereum', m.key.publicKey) !== undefined) return { status: 'duplicate', name, public_key: publicKey };
      try {
        core.insertNewSlot({ name, chain: 'ethereum', labels: {}, metadata, signingState: initialSigningState('ethereum') }, m);
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
  // Lanes only feed the queue, which bounds the actual KDF work across every import.
  const results = await runBulk(bulk, work, {
    concurrency: core.kdf.concurrency,
    ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }),
  });
  return results.map((r, index) =>
    r.status === 'ok' ? { index, status: r.value.status, name: r.value.name, public_key: r.value.public_key } : { index, status: 'error', code: r.code, message: r.message },
  );
}

/** The next key of a slot, `pending`, with its `rotate` record. One pending key at a time. */
export async function rotateSlot(core: ValidatorCore, name: string, material: KeyMaterialInput, opts: { secretAllowed?: (path: string) => boolean } = {}): Promise<SlotView> {
  const slot = core.slot(checkName(name));
  core.keyring();
  if (core.store.keysOf(slot.name).some((k) => k.state === 'pending')) throw new VaultError('OV_VALIDATOR_STATE', { reason: 'a pending key exists' });
  const m = material.derive_index === undefined ? await decodeQueued(core, slot.chain, material) : deriveMaterial(slot, material, core.deps.readSecretField, opts.secretAllowed);
  try {
    const now = core.deps.now();
    const key = core.newKey(slot.name, m, 'pending', now);
    core.deps.storage.transaction(() => {
      const current = core.slot(slot.name);
      const keys = core.store.keysOf(slot.name);
      if (keys.some((k) => k.state === 'pending')) throw new VaultError('OV_VALIDATOR_STATE', { reason: 'a pending key exists' });
      if (core.store.findByPublicKey(slot.chain, key.publicKey) !== undefined) throw new VaultError('OV_VALIDATOR_DUPLICATE');
      let state = stateOf(current.signingState);
      const raised = carryOver(state, m.state);
      if (raised !== undefined) {
        state = raised;
        core.store.updateSigningState(slot.name, JSON.stringify(state), now);
      }
      core.store.insertKey(key);
      const active = keys.find((k) => k.state === 'active');
      core.record({ slot: slot.name, action: 'rotate', key, prevKeyId: active?.id ?? null, signingState: state, now });
    });
  } finally {
    wipe(m.key.secret);
  }
  return getSlot(core, slot.name);
}

/**
 * pending -> active and active -> retired in one IMMEDIATE transaction with the
 * `promote` record (which carries the slot's signing state, the floor the new key
 * signs above). No pending key: OV_VALIDATOR_STATE.
 */
export function promoteSlot(core: ValidatorCore, name: string): SlotView {
  core.keyring();
  checkName(name);
  core.deps.storage.transaction(() => {
    const slot = core.slot(name);
    const keys = core.store.keysOf(name);
    const pending = keys.find((k) => k.state === 'pending');
    if (pending === undefined) throw new VaultError('OV_VALIDATOR_STATE', { reason: 'no pending key' });
    const active = keys.find((k) => k.state === 'active');
    const now = core.deps.now();
    // Retire first: the partial unique index allows one active key at every statement.
    if (active !== undefined && !core.store.setKeyState(active.id, 'active', 'retired', now)) throw new VaultError('OV_VALIDATOR_STATE');
    if (!core.store.setKeyState(pending.id, 'pending', 'active', now)) throw new VaultError('OV_VALIDATOR_STATE');
    core.record({ slot: name, action: 'promote', key: pending, prevKeyId: active?.id ?? null, signingState: stateOf(slot.signingState), now });
  });
  return getSlot(core, name);
}

/** The active key -> retired (the slot then has no active key). */
export function retireSlotKey(core: ValidatorCore, name: string): SlotView {
  core.keyring();
  checkName(name);
  core.deps.storage.transaction(() => {
    const slot = core.slot(name);
    const active = core.store.keysOf(name).find((k) => k.state === 'active');
    if (active === undefined) throw new VaultError('OV_VALIDATOR_STATE', { reason: 'no active key' });
    const now = core.deps.now();
    if (!core.store.setKeyState(active.id, 'active', 'retired', now)) throw new VaultError('OV_VALIDATOR_STATE');
    core.record({ slot: name, action: 'retire', key: active, prevKeyId: null, signingState: stateOf(slot.signingState), now });
  });
  return getSlot(core, name);
}

/** Raises the slot's signing state (never lowers); an unchanged state writes nothing. */
export function setSigningState(core: ValidatorCore, name: string, update: Record<string, unknown>): SlotView {
  core.keyring();
  checkName(name);
  core.deps.storage.transaction(() => {
    const slot = core.slot(name);
    const current = stateOf(slot.signingState);
    const next = raiseSigningState(slot.chain, current, update);
    if (!sameState(current, next)) core.storeSigningState(name, next);
  });
  return getSlot(core, name);
}

/**
 * Destroys a retired key: its envelope is wiped (the row stays as a tombstone so the
 * public key can never be imported again unnoticed) and a `destroy` record written.
 * `confirm` must be the key's public key exactly as shown.
 */
export function destroyKey(core: ValidatorCore, name: string, keyId: string, confirm: string | undefined): { destroyed: string } {
  core.keyring();
  checkName(name);
  core.deps.storage.transaction(() => {
    const slot = core.slot(name);
    const key = core.keyOf(name, keyId);
    if (key.state !== 'retired') throw new VaultError('OV_VALIDATOR_STATE', { reason: `key is ${key.state}` });
    if (confirm !== formatPublicKey(key.chain, key.publicKey)) throw new VaultError('OV_CONFIRMATION_REQUIRED');
    const now = core.deps.now();
    if (!core.store.destroyKey(key.id, now)) throw new VaultError('OV_VALIDATOR_STATE');
    core.record({ slot: name, action: 'destroy', key, prevKeyId: null, signingState: stateOf(slot.signingState), now });
  });
  return { destroyed: keyId };
}

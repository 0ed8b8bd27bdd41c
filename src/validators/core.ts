/**
 * What every part of the validator service shares: its dependencies, the sealed records
 * that hold key material at rest, and the steps several jobs repeat (find a slot or key,
 * seal a new key row, open one, append a record, insert a new slot with its first key).
 * Not exported from the package: the parts (./slots.ts, ./export.ts, ./keymanager.ts) and
 * the facade (./service.ts) build on it.
 * @module
 */
import { randomUuid } from '../crypto/validator-kdf.js';
import type { CryptoProvider } from '../crypto/types.js';
import { wipe } from '../crypto/bytes.js';
import { VaultError } from '../errors.js';
import type { Keyring } from '../keyring/index.js';
import type { SealedRecords, SignatureChoice } from '../keyring/sealed-records.js';
import type { Storage } from '../storage/types.js';
import type { ValidatorKeyRecord, ValidatorSlotRecord, ValidatorStore } from '../storage/validators-types.js';
import type { EncryptKeystoreOptions } from './formats/eip2335.js';
import type { ReadSecretField } from './derive.js';
import { KdfQueue } from './kdf-queue.js';
import { validatorKeyBinding } from './keystore-envelope.js';
import { publicKeyMatches, type Material } from './material.js';
import { appendRecord, type RecordChange } from './record-chain.js';
import type { SigningStateJson, ValidatorRecord } from './records.js';
import { KEY_TYPE, type Chain, type ValidatorKey } from './types.js';
import { slotView, type SlotView } from './views.js';

export interface ValidatorServiceDeps {
  readonly storage: Storage;
  readonly provider: CryptoProvider;
  /** The open keyring; undefined while sealed. */
  readonly keyring: () => Keyring | undefined;
  /** Which vault key signs rotation records and key envelopes (config `crypto.signature`). */
  readonly signature: SignatureChoice;
  readonly now: () => number;
  /** Keystore KDFs in flight at once, across every import (default: cores less one, at least 1). */
  readonly concurrency?: number;
  /** Bytes of scrypt memory in flight at once across every import (default 512 MiB). */
  readonly kdfMemoryBudget?: number;
  /** EIP-2335 export KDF settings (default: the format layer's, scrypt n = 2^18). */
  readonly exportKdf?: Pick<EncryptKeystoreOptions, 'kdf' | 'scryptN' | 'pbkdf2C'>;
  /**
   * Reads one string field of the latest version of a stored secret (`/v1/secrets`), for
   * EIP-2333 derivation from the mnemonic a slot's `mnemonic_ref` names. Absent: derivation
   * is refused. Throws the secrets errors (OV_SECRET_NOT_FOUND, OV_FIELD_NOT_FOUND ...).
   */
  readonly readSecretField?: ReadSecretField;
  /** The vault's sealed records; default one built from `provider`, `keyring` and `signature`. */
  readonly sealed?: SealedRecords;
}

/** A new slot as inserted with its first key. */
export interface NewSlot {
  name: string;
  chain: Chain;
  labels: Record<string, string>;
  metadata: Record<string, string>;
  signingState: SigningStateJson;
}

export class ValidatorCore {
  readonly deps: ValidatorServiceDeps;
  readonly sealed: SealedRecords;
  /** The one queue every keystore KDF of every import goes through (./kdf-queue.ts). */
  readonly kdf: KdfQueue;

  constructor(deps: ValidatorServiceDeps, sealed: SealedRecords) {
    this.deps = deps;
    this.sealed = sealed;
    this.kdf = new KdfQueue({
      ...(deps.concurrency === undefined ? {} : { concurrency: deps.concurrency }),
      ...(deps.kdfMemoryBudget === undefined ? {} : { memoryBudget: deps.kdfMemoryBudget }),
    });
  }

  get store(): ValidatorStore {
    return this.deps.storage.validators;
  }

  /** The open keyring; OV_SEALED while sealed. */
  keyring(): Keyring {
    return this.sealed.keyring();
  }

  slot(name: string): ValidatorSlotRecord {
    const s = this.store.getSlot(name);
    if (s === undefined) throw new VaultError('OV_VALIDATOR_NOT_FOUND');
    return s;
  }

  view(slot: ValidatorSlotRecord, keys: readonly ValidatorKeyRecord[] = this.store.keysOf(slot.name)): SlotView {
    return slotView(slot, keys);
  }

  /** Key `keyId` of the slot, or its active key when `keyId` is undefined. */
  keyOf(name: string, keyId: string | undefined): ValidatorKeyRecord {
    const keys = this.store.keysOf(name);
    if (keyId === undefined) {
      const active = keys.find((k) => k.state === 'active');
      if (active === undefined) throw new VaultError('OV_VALIDATOR_STATE', { reason: 'no active key' });
      return active;
    }
    const key = keys.find((k) => k.id === keyId);
    if (key === undefined) throw new VaultError('OV_VALIDATOR_NOT_FOUND', { field: 'key_id' });
    return key;
  }

  /** The key a slot-wide record names: the active one, else the newest. */
  referenceKey(slot: string): ValidatorKeyRecord {
    const keys = this.store.keysOf(slot);
    const key = keys.find((k) => k.state === 'active') ?? keys[keys.length - 1];
    if (key === undefined) throw new VaultError('OV_VALIDATOR_STATE', { reason: 'slot has no keys' });
    return key;
  }

  /** Appends the slot's next record, signed by the vault; call inside the transaction that made the change. */
  record(change: RecordChange): ValidatorRecord {
    return appendRecord(this.store, this.deps.provider, this.sealed.signer(), change);
  }

  /** Seals the material as a new key row of `slot` (not stored yet). */
  newKey(slot: string, material: Material, state: 'pending' | 'active', now: number): ValidatorKeyRecord {
    const id = randomUuid();
    const sealed = this.sealed.seal(validatorKeyBinding(slot, id), material.key.secret);
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

  /** Opens a key's envelope and checks it against the row's public key; the caller wipes the material. */
  openKey(key: ValidatorKeyRecord): ValidatorKey {
    if (key.envelope === null) throw new VaultError('OV_VALIDATOR_STATE', { reason: 'key is destroyed' });
    const binding = validatorKeyBinding(key.slot, key.id);
    const secret = this.sealed.open(binding, { envelope: key.envelope, kemVersion: key.kemVersion });
    if (!publicKeyMatches(key, secret)) {
      wipe(secret);
      throw binding.unreadable();
    }
    return { chain: key.chain, keyType: KEY_TYPE[key.chain], secret, publicKey: key.publicKey, ...(key.path === null ? {} : { path: key.path }) };
  }

  /** Inserts a slot with `m` as its active key and the `import` record, in one transaction. */
  insertNewSlot(slot: NewSlot, m: Material): ValidatorKeyRecord {
    const now = this.deps.now();
    const key = this.newKey(slot.name, m, 'active', now);
    this.deps.storage.transaction(() => {
      if (this.store.getSlot(slot.name) !== undefined) throw new VaultError('OV_VALIDATOR_EXISTS');
      if (this.store.findByPublicKey(slot.chain, key.publicKey) !== undefined) throw new VaultError('OV_VALIDATOR_DUPLICATE');
      this.store.insertSlot({
        name: slot.name,
        chain: slot.chain,
        labels: JSON.stringify(slot.labels),
        metadata: JSON.stringify(slot.metadata),
        signingState: JSON.stringify(slot.signingState),
        createdAt: now,
        updatedAt: now,
      });
      this.store.insertKey(key);
      this.record({ slot: slot.name, action: 'import', key, prevKeyId: null, signingState: slot.signingState, now });
    });
    return key;
  }

  /** Stores a raised signing state with its `signing-state` record; call inside a transaction. */
  storeSigningState(slot: string, next: SigningStateJson): void {
    const now = this.deps.now();
    this.store.updateSigningState(slot, JSON.stringify(next), now);
    this.record({ slot, action: 'signing-state', key: this.referenceKey(slot), prevKeyId: null, signingState: next, now });
  }
}

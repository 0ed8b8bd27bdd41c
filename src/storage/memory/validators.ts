/**
 * In-memory {@link ValidatorStore}, enforcing what the SQL schema enforces whatever the
 * service does: at most one active and one pending key per slot, one public key per chain,
 * keys only in an existing slot of their own chain, a destroyed key without an envelope
 * and with a destruction time, and append-only rotation records.
 * @module
 */
import {
  VALIDATOR_CHAINS,
  VALIDATOR_KEY_SOURCES,
  VALIDATOR_KEY_STATES,
  type SigningKeyRef,
  type ValidatorChainName,
  type ValidatorCounts,
  type ValidatorKeyRecord,
  type ValidatorKeyStateName,
  type ValidatorRecordRow,
  type ValidatorSlotRecord,
  type ValidatorStore,
} from '../validators-types.js';
import type { MemoryDb } from './db.js';
import { checkLimit, Columns, compareText, copyBytes, copyOrNull, equalBytes, lowerBound, textLength } from './values.js';

const slotCol = new Columns('validator_slots');
const keyCol = new Columns('validator_keys');
const recordCol = new Columns('validator_records');
const KEY_TYPES = ['BLS12-381', 'Ed25519'] as const;

function copyKey(r: ValidatorKeyRecord): ValidatorKeyRecord {
  return { ...r, publicKey: copyBytes(r.publicKey), envelope: copyOrNull(r.envelope) };
}

function copyRecord(r: ValidatorRecordRow): ValidatorRecordRow {
  return { ...r, hash: copyBytes(r.hash) };
}

/** Every column check of a key row (the row-level CHECKs included); returns a stored copy. */
function checkedKey(r: ValidatorKeyRecord): ValidatorKeyRecord {
  const row: ValidatorKeyRecord = {
    id: keyCol.text(r.id, 'id'),
    slot: keyCol.text(r.slot, 'slot'),
    chain: keyCol.text(r.chain, 'chain') as ValidatorChainName,
    keyType: keyCol.oneOf(KEY_TYPES, r.keyType, 'key_type'),
    publicKey: copyBytes(keyCol.blob(r.publicKey, 'public_key', 32, 48)),
    path: r.path === null ? null : keyCol.text(r.path, 'path'),
    state: keyCol.oneOf(VALIDATOR_KEY_STATES, r.state, 'state'),
    source: keyCol.oneOf(VALIDATOR_KEY_SOURCES, r.source, 'source'),
    envelope: copyOrNull(keyCol.blobOrNull(r.envelope, 'envelope')),
    kemVersion: keyCol.int(r.kemVersion, 'kem_version', 1),
    createdAt: keyCol.int(r.createdAt, 'created_at'),
    activatedAt: keyCol.intOrNull(r.activatedAt, 'activated_at'),
    retiredAt: keyCol.intOrNull(r.retiredAt, 'retired_at'),
    destroyedAt: keyCol.intOrNull(r.destroyedAt, 'destroyed_at'),
  };
  keyCol.require(textLength(row.id) === 36, 'id');
  const destroyed = row.state === 'destroyed';
  keyCol.require(destroyed === (row.envelope === null), 'envelope');
  keyCol.require(destroyed === (row.destroyedAt !== null), 'destroyed_at');
  return row;
}

export class MemoryValidatorStore implements ValidatorStore {
  readonly #db: MemoryDb;
  readonly #slots = new Map<string, ValidatorSlotRecord>();
  readonly #keys = new Map<string, ValidatorKeyRecord>();
  /** slot -> records in seq order. */
  readonly #records = new Map<string, ValidatorRecordRow[]>();
  #recordCount = 0;

  constructor(db: MemoryDb) {
    this.#db = db;
  }

  insertSlot(r: ValidatorSlotRecord): void {
    this.#db.check();
    const row: ValidatorSlotRecord = {
      name: slotCol.text(r.name, 'name'),
      chain: slotCol.oneOf(VALIDATOR_CHAINS, r.chain, 'chain'),
      labels: slotCol.json(r.labels, 'labels'),
      metadata: slotCol.json(r.metadata, 'metadata'),
      signingState: slotCol.json(r.signingState, 'signing_state'),
      createdAt: slotCol.int(r.createdAt, 'created_at'),
      updatedAt: slotCol.int(r.updatedAt, 'updated_at'),
    };
    const len = textLength(row.name);
    slotCol.require(len >= 1 && len <= 64, 'name');
    if (this.#slots.has(row.name)) throw slotCol.fail('primary_key', 'name');
    this.#setSlot(row.name, row);
  }

  getSlot(name: string): ValidatorSlotRecord | undefined {
    this.#db.check();
    const row = this.#slots.get(name);
    return row === undefined ? undefined : { ...row };
  }

  listSlots(): ValidatorSlotRecord[] {
    this.#db.check();
    return [...this.#slots.values()].sort((a, b) => compareText(a.name, b.name)).map((r) => ({ ...r }));
  }

  updateSigningState(name: string, signingState: string, updatedAt: number): boolean {
    this.#db.check();
    const row = this.#slots.get(name);
    if (row === undefined) return false;
    this.#setSlot(name, { ...row, signingState: slotCol.json(signingState, 'signing_state'), updatedAt: slotCol.int(updatedAt, 'updated_at') });
    return true;
  }

  updateSlotMetadata(name: string, labels: string, metadata: string, updatedAt: number): boolean {
    this.#db.check();
    const row = this.#slots.get(name);
    if (row === undefined) return false;
    this.#setSlot(name, {
      ...row,
      labels: slotCol.json(labels, 'labels'),
      metadata: slotCol.json(metadata, 'metadata'),
      updatedAt: slotCol.int(updatedAt, 'updated_at'),
    });
    return true;
  }

  insertKey(r: ValidatorKeyRecord): void {
    this.#db.check();
    const row = checkedKey(r);
    if (this.#keys.has(row.id)) throw keyCol.fail('primary_key', 'id');
    this.#checkUnique(row);
    if (this.#slots.get(row.slot)?.chain !== row.chain) throw keyCol.fail('foreign_key', 'slot');
    this.#setKey(row.id, row);
  }

  getKey(id: string): ValidatorKeyRecord | undefined {
    this.#db.check();
    const row = this.#keys.get(id);
    return row === undefined ? undefined : copyKey(row);
  }

  keysOf(slot: string): ValidatorKeyRecord[] {
    this.#db.check();
    return this.#sortedKeys()
      .filter((k) => k.slot === slot)
      .map(copyKey);
  }

  listKeys(): ValidatorKeyRecord[] {
    this.#db.check();
    return this.#sortedKeys().map(copyKey);
  }

  findByPublicKey(chain: ValidatorChainName, publicKey: Uint8Array): ValidatorKeyRecord | undefined {
    this.#db.check();
    for (const k of this.#keys.values()) if (k.chain === chain && equalBytes(k.publicKey, publicKey)) return copyKey(k);
    return undefined;
  }

  signingKey(chain: ValidatorChainName, publicKey: Uint8Array): SigningKeyRef | undefined {
    this.#db.check();
    for (const k of this.#keys.values()) {
      if (k.chain !== chain || !equalBytes(k.publicKey, publicKey)) continue;
      const slot = this.#slots.get(k.slot);
      return slot === undefined ? undefined : { id: k.id, state: k.state, kemVersion: k.kemVersion, slot: { ...slot } };
    }
    return undefined;
  }

  setKeyState(id: string, from: ValidatorKeyStateName, to: 'pending' | 'active' | 'retired', at: number): boolean {
    this.#db.check();
    const row = this.#keys.get(id);
    if (row?.state !== from) return false;
    const next = checkedKey({
      ...row,
      state: to,
      activatedAt: to === 'active' ? at : row.activatedAt,
      retiredAt: to === 'retired' ? at : row.retiredAt,
    });
    this.#checkUnique(next);
    this.#setKey(id, next);
    return true;
  }

  destroyKey(id: string, at: number): boolean {
    this.#db.check();
    const row = this.#keys.get(id);
    if (row?.state !== 'retired') return false;
    this.#setKey(id, checkedKey({ ...row, state: 'destroyed', envelope: null, destroyedAt: at }));
    return true;
  }

  staleKeys(kemVersion: number, afterId: string, limit: number): ValidatorKeyRecord[] {
    this.#db.check();
    checkLimit(limit);
    return [...this.#keys.values()]
      .filter((k) => k.envelope !== null && k.kemVersion < kemVersion && compareText(k.id, afterId) > 0)
      .sort((a, b) => compareText(a.id, b.id))
      .slice(0, limit)
      .map(copyKey);
  }

  countStale(kemVersion: number): number {
    this.#db.check();
    let n = 0;
    for (const k of this.#keys.values()) if (k.envelope !== null && k.kemVersion < kemVersion) n++;
    return n;
  }

  replaceEnvelope(id: string, old: Uint8Array, envelope: Uint8Array, kemVersion: number): boolean {
    this.#db.check();
    const row = this.#keys.get(id);
    if (row?.envelope === undefined || row.envelope === null || !equalBytes(row.envelope, old)) return false;
    this.#setKey(id, checkedKey({ ...row, envelope, kemVersion }));
    return true;
  }

  appendRecord(r: ValidatorRecordRow): void {
    this.#db.check();
    const row: ValidatorRecordRow = {
      slot: recordCol.text(r.slot, 'slot'),
      seq: recordCol.int(r.seq, 'seq', 1),
      record: recordCol.json(r.record, 'record'),
      hash: copyBytes(recordCol.blob(r.hash, 'hash', 32)),
    };
    const rows = this.#records.get(row.slot) ?? [];
    const i = lowerBound(rows, row.seq, (x, seq) => x.seq - seq);
    if (rows[i]?.seq === row.seq) throw recordCol.fail('primary_key');
    if (!this.#slots.has(row.slot)) throw recordCol.fail('foreign_key', 'slot');
    rows.splice(i, 0, row);
    this.#records.set(row.slot, rows);
    this.#recordCount++;
    this.#db.undo(() => {
      rows.splice(lowerBound(rows, row.seq, (x, seq) => x.seq - seq), 1);
      this.#recordCount--;
    });
  }

  lastRecord(slot: string): ValidatorRecordRow | undefined {
    this.#db.check();
    const rows = this.#records.get(slot);
    const row = rows?.[rows.length - 1];
    return row === undefined ? undefined : copyRecord(row);
  }

  records(slot: string): ValidatorRecordRow[] {
    this.#db.check();
    return (this.#records.get(slot) ?? []).map(copyRecord);
  }

  counts(): ValidatorCounts {
    this.#db.check();
    return { slots: this.#slots.size, keys: this.#keys.size, records: this.#recordCount };
  }

  /** The unique indexes: one active and one pending key per slot, one public key per chain. */
  #checkUnique(row: ValidatorKeyRecord): void {
    for (const k of this.#keys.values()) {
      if (k.id === row.id) continue;
      if (k.slot === row.slot && k.state === row.state && (row.state === 'active' || row.state === 'pending')) {
        throw keyCol.fail('unique', 'state');
      }
      if (k.chain === row.chain && equalBytes(k.publicKey, row.publicKey)) throw keyCol.fail('unique', 'public_key');
    }
  }

  #sortedKeys(): ValidatorKeyRecord[] {
    return [...this.#keys.values()].sort(
      (a, b) => compareText(a.slot, b.slot) || a.createdAt - b.createdAt || compareText(a.id, b.id),
    );
  }

  #setSlot(name: string, row: ValidatorSlotRecord): void {
    const old = this.#slots.get(name);
    this.#slots.set(name, row);
    this.#db.undo(() => {
      if (old === undefined) this.#slots.delete(name);
      else this.#slots.set(name, old);
    });
  }

  #setKey(id: string, row: ValidatorKeyRecord): void {
    const old = this.#keys.get(id);
    this.#keys.set(id, row);
    this.#db.undo(() => {
      if (old === undefined) this.#keys.delete(id);
      else this.#keys.set(id, old);
    });
  }
}

/**
 * SQLite implementation of {@link ValidatorStore} (schema: ../schema-validators.ts).
 * Values read back are checked against the contract's enums, so a row edited past the
 * CHECK constraints (another tool, a future schema) surfaces as `OV_STORAGE_CORRUPT`
 * rather than as a key in an unknown state.
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
import { bytes, checkLimit, guard, oneOf, type Db, type Statement } from './driver.js';

type SlotTuple = [string, string, string, string, string, number, number];
type KeyTuple = [string, string, string, string, Uint8Array, string | null, string, string, Uint8Array | null, number, number, number | null, number | null, number | null];
type RecordTuple = [string, number, string, Uint8Array];
type SigningKeyTuple = [string, string, number, ...SlotTuple];

const SLOT_COLUMNS = 'name, chain, labels, metadata, signing_state, created_at, updated_at';
const KEY_COLUMNS =
  'id, slot, chain, key_type, public_key, path, state, source, envelope, kem_version, created_at, activated_at, retired_at, destroyed_at';
const RECORD_COLUMNS = 'slot, seq, record, hash';

function toSlot([name, chain, labels, metadata, signingState, createdAt, updatedAt]: SlotTuple): ValidatorSlotRecord {
  return { name, chain: oneOf(VALIDATOR_CHAINS, chain, 'validator_slots', 'chain'), labels, metadata, signingState, createdAt, updatedAt };
}

function toKey(t: KeyTuple): ValidatorKeyRecord {
  const [id, slot, chain, keyType, publicKey, path, state, source, envelope, kemVersion, createdAt, activatedAt, retiredAt, destroyedAt] = t;
  return {
    id,
    slot,
    chain: oneOf(VALIDATOR_CHAINS, chain, 'validator_keys', 'chain'),
    keyType: oneOf(['BLS12-381', 'Ed25519'] as const, keyType, 'validator_keys', 'key_type'),
    publicKey: bytes(publicKey),
    path,
    state: oneOf(VALIDATOR_KEY_STATES, state, 'validator_keys', 'state'),
    source: oneOf(VALIDATOR_KEY_SOURCES, source, 'validator_keys', 'source'),
    envelope: envelope === null ? null : bytes(envelope),
    kemVersion,
    createdAt,
    activatedAt,
    retiredAt,
    destroyedAt,
  };
}

function toRecord([slot, seq, record, hash]: RecordTuple): ValidatorRecordRow {
  return { slot, seq, record, hash: bytes(hash) };
}

export class SqliteValidatorStore implements ValidatorStore {
  readonly #insertSlot: Statement<[string, string, string, string, string, number, number]>;
  readonly #getSlot: Statement<[string], SlotTuple>;
  readonly #listSlots: Statement<[], SlotTuple>;
  readonly #updateSigningState: Statement<[string, number, string]>;
  readonly #updateSlotMetadata: Statement<[string, string, number, string]>;
  readonly #insertKey: Statement<unknown[]>;
  readonly #getKey: Statement<[string], KeyTuple>;
  readonly #keysOf: Statement<[string], KeyTuple>;
  readonly #listKeys: Statement<[], KeyTuple>;
  readonly #findByPublicKey: Statement<[string, Uint8Array], KeyTuple>;
  readonly #signingKey: Statement<[string, Uint8Array], SigningKeyTuple>;
  readonly #toActive: Statement<[number, string, string]>;
  readonly #toRetired: Statement<[number, string, string]>;
  readonly #toPending: Statement<[string, string]>;
  readonly #destroy: Statement<[number, string]>;
  readonly #staleKeys: Statement<[number, string, number], KeyTuple>;
  readonly #countStale: Statement<[number], number>;
  readonly #replaceEnvelope: Statement<[Uint8Array, number, string, Uint8Array]>;
  readonly #appendRecord: Statement<[string, number, string, Uint8Array]>;
  readonly #lastRecord: Statement<[string], RecordTuple>;
  readonly #records: Statement<[string], RecordTuple>;
  readonly #counts: Statement<[], [number, number, number]>;

  constructor(db: Db) {
    this.#insertSlot = db.prepare(`INSERT INTO validator_slots (${SLOT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    this.#getSlot = db.prepare<[string], SlotTuple>(`SELECT ${SLOT_COLUMNS} FROM validator_slots WHERE name = ?`).raw();
    this.#listSlots = db.prepare<[], SlotTuple>(`SELECT ${SLOT_COLUMNS} FROM validator_slots ORDER BY name`).raw();
    this.#updateSigningState = db.prepare('UPDATE validator_slots SET signing_state = ?, updated_at = ? WHERE name = ?');
    this.#updateSlotMetadata = db.prepare('UPDATE validator_slots SET labels = ?, metadata = ?, updated_at = ? WHERE name = ?');
    this.#insertKey = db.prepare(`INSERT INTO validator_keys (${KEY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#getKey = db.prepare<[string], KeyTuple>(`SELECT ${KEY_COLUMNS} FROM validator_keys WHERE id = ?`).raw();
    this.#keysOf = db.prepare<[string], KeyTuple>(`SELECT ${KEY_COLUMNS} FROM validator_keys WHERE slot = ? ORDER BY created_at, id`).raw();
    this.#listKeys = db.prepare<[], KeyTuple>(`SELECT ${KEY_COLUMNS} FROM validator_keys ORDER BY slot, created_at, id`).raw();
    this.#findByPublicKey = db.prepare<[string, Uint8Array], KeyTuple>(`SELECT ${KEY_COLUMNS} FROM validator_keys WHERE chain = ? AND public_key = ?`).raw();
    this.#signingKey = db
      .prepare<[string, Uint8Array], SigningKeyTuple>(
        `SELECT k.id, k.state, k.kem_version, ${SLOT_COLUMNS.split(', ').map((c) => `s.${c}`).join(', ')} FROM validator_keys k JOIN validator_slots s ON s.name = k.slot WHERE k.chain = ? AND k.public_key = ?`,
      )
      .raw();
    this.#toActive = db.prepare("UPDATE validator_keys SET state = 'active', activated_at = ? WHERE id = ? AND state = ?");
    this.#toRetired = db.prepare("UPDATE validator_keys SET state = 'retired', retired_at = ? WHERE id = ? AND state = ?");
    this.#toPending = db.prepare("UPDATE validator_keys SET state = 'pending' WHERE id = ? AND state = ?");
    this.#destroy = db.prepare("UPDATE validator_keys SET state = 'destroyed', envelope = NULL, destroyed_at = ? WHERE id = ? AND state = 'retired'");
    this.#staleKeys = db
      .prepare<[number, string, number], KeyTuple>(`SELECT ${KEY_COLUMNS} FROM validator_keys WHERE envelope IS NOT NULL AND kem_version < ? AND id > ? ORDER BY id LIMIT ?`)
      .raw();
    this.#countStale = db.prepare<[number], number>('SELECT count(*) FROM validator_keys WHERE envelope IS NOT NULL AND kem_version < ?').pluck();
    this.#replaceEnvelope = db.prepare('UPDATE validator_keys SET envelope = ?, kem_version = ? WHERE id = ? AND envelope = ?');
    this.#appendRecord = db.prepare(`INSERT INTO validator_records (${RECORD_COLUMNS}) VALUES (?, ?, ?, ?)`);
    this.#lastRecord = db.prepare<[string], RecordTuple>(`SELECT ${RECORD_COLUMNS} FROM validator_records WHERE slot = ? ORDER BY seq DESC LIMIT 1`).raw();
    this.#records = db.prepare<[string], RecordTuple>(`SELECT ${RECORD_COLUMNS} FROM validator_records WHERE slot = ? ORDER BY seq`).raw();
    this.#counts = db
      .prepare<[], [number, number, number]>(
        'SELECT (SELECT count(*) FROM validator_slots), (SELECT count(*) FROM validator_keys), (SELECT count(*) FROM validator_records)',
      )
      .raw();
  }

  insertSlot(r: ValidatorSlotRecord): void {
    guard(() => this.#insertSlot.run(r.name, r.chain, r.labels, r.metadata, r.signingState, r.createdAt, r.updatedAt));
  }

  getSlot(name: string): ValidatorSlotRecord | undefined {
    const row = guard(() => this.#getSlot.get(name));
    return row === undefined ? undefined : toSlot(row);
  }

  listSlots(): ValidatorSlotRecord[] {
    return guard(() => this.#listSlots.all()).map(toSlot);
  }

  updateSigningState(name: string, signingState: string, updatedAt: number): boolean {
    return guard(() => this.#updateSigningState.run(signingState, updatedAt, name)).changes > 0;
  }

  updateSlotMetadata(name: string, labels: string, metadata: string, updatedAt: number): boolean {
    return guard(() => this.#updateSlotMetadata.run(labels, metadata, updatedAt, name)).changes > 0;
  }

  insertKey(r: ValidatorKeyRecord): void {
    guard(() =>
      this.#insertKey.run(
        r.id,
        r.slot,
        r.chain,
        r.keyType,
        r.publicKey,
        r.path,
        r.state,
        r.source,
        r.envelope,
        r.kemVersion,
        r.createdAt,
        r.activatedAt,
        r.retiredAt,
        r.destroyedAt,
      ),
    );
  }

  getKey(id: string): ValidatorKeyRecord | undefined {
    const row = guard(() => this.#getKey.get(id));
    return row === undefined ? undefined : toKey(row);
  }

  keysOf(slot: string): ValidatorKeyRecord[] {
    return guard(() => this.#keysOf.all(slot)).map(toKey);
  }

  listKeys(): ValidatorKeyRecord[] {
    return guard(() => this.#listKeys.all()).map(toKey);
  }

  findByPublicKey(chain: ValidatorChainName, publicKey: Uint8Array): ValidatorKeyRecord | undefined {
    const row = guard(() => this.#findByPublicKey.get(chain, publicKey));
    return row === undefined ? undefined : toKey(row);
  }

  signingKey(chain: ValidatorChainName, publicKey: Uint8Array): SigningKeyRef | undefined {
    const row = guard(() => this.#signingKey.get(chain, publicKey));
    if (row === undefined) return undefined;
    const [id, state, kemVersion, ...slot] = row;
    return { id, state: oneOf(VALIDATOR_KEY_STATES, state, 'validator_keys', 'state'), kemVersion, slot: toSlot(slot) };
  }

  setKeyState(id: string, from: ValidatorKeyStateName, to: 'pending' | 'active' | 'retired', at: number): boolean {
    return guard(() => {
      if (to === 'active') return this.#toActive.run(at, id, from);
      if (to === 'retired') return this.#toRetired.run(at, id, from);
      return this.#toPending.run(id, from);
    }).changes > 0;
  }

  destroyKey(id: string, at: number): boolean {
    return guard(() => this.#destroy.run(at, id)).changes > 0;
  }

  staleKeys(kemVersion: number, afterId: string, limit: number): ValidatorKeyRecord[] {
    checkLimit(limit);
    return guard(() => this.#staleKeys.all(kemVersion, afterId, limit)).map(toKey);
  }

  countStale(kemVersion: number): number {
    return guard(() => this.#countStale.get(kemVersion)) ?? 0;
  }

  replaceEnvelope(id: string, old: Uint8Array, envelope: Uint8Array, kemVersion: number): boolean {
    return guard(() => this.#replaceEnvelope.run(envelope, kemVersion, id, old)).changes > 0;
  }

  appendRecord(r: ValidatorRecordRow): void {
    guard(() => this.#appendRecord.run(r.slot, r.seq, r.record, r.hash));
  }

  lastRecord(slot: string): ValidatorRecordRow | undefined {
    const row = guard(() => this.#lastRecord.get(slot));
    return row === undefined ? undefined : toRecord(row);
  }

  records(slot: string): ValidatorRecordRow[] {
    return guard(() => this.#records.all(slot)).map(toRecord);
  }

  counts(): ValidatorCounts {
    const row = guard(() => this.#counts.get());
    return { slots: row?.[0] ?? 0, keys: row?.[1] ?? 0, records: row?.[2] ?? 0 };
  }
}

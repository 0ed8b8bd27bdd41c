/**
 * Storage contract for validator slots, keys and rotation records (src/validators;
 * SQLite schema in ./schema-validators.ts). Same conventions as ./types.ts: synchronous,
 * integer ms times, Uint8Array blobs, VaultError failures (`OV_STORAGE_CONSTRAINT` for a
 * write a constraint rejects: a second active or pending key in a slot, a public key the
 * chain already has, a key in a slot of another chain, an edit of a record).
 *
 * The store holds no policy: which transition is allowed is the service's decision, taken
 * inside `Storage.transaction`. The conditional updates (`setKeyState` with an expected
 * state) let the service detect a row that moved underneath it.
 * @module
 */

export const VALIDATOR_CHAINS = ['ethereum', 'cosmos', 'solana'] as const;
/**
 * Meta row a snapshot restore sets: the restored signing watermarks may be behind what the
 * keys signed after the snapshot, so no validator key may sign until its watermarks are
 * confirmed. JSON `{restored_at, audit_seq}`; its presence is the mark.
 */
export const WATERMARKS_UNCONFIRMED_META = 'validators.watermarks_unconfirmed';
export type ValidatorChainName = (typeof VALIDATOR_CHAINS)[number];
export const VALIDATOR_KEY_STATES = ['pending', 'active', 'retired', 'destroyed'] as const;
export type ValidatorKeyStateName = (typeof VALIDATOR_KEY_STATES)[number];
export const VALIDATOR_KEY_SOURCES = ['imported-eip2335', 'imported-cosmos', 'imported-solana', 'generated', 'derived'] as const;
export type ValidatorKeySourceName = (typeof VALIDATOR_KEY_SOURCES)[number];

export interface ValidatorSlotRecord {
  name: string;
  chain: ValidatorChainName;
  /** JSON text of a string map. */
  labels: string;
  /** JSON text of a string map (references and operator metadata, never key material). */
  metadata: string;
  /** JSON text of the chain's signing state. */
  signingState: string;
  createdAt: number;
  updatedAt: number;
}

export interface ValidatorKeyRecord {
  /** UUID v4. */
  id: string;
  slot: string;
  chain: ValidatorChainName;
  keyType: 'BLS12-381' | 'Ed25519';
  /** Raw public key: 48 bytes (BLS) or 32 (Ed25519). */
  publicKey: Uint8Array;
  /** EIP-2334 path when known. */
  path: string | null;
  state: ValidatorKeyStateName;
  source: ValidatorKeySourceName;
  /** The sealed secret; null once destroyed. */
  envelope: Uint8Array | null;
  /** KEM key version the envelope is sealed under (for a rewrap scan). */
  kemVersion: number;
  createdAt: number;
  activatedAt: number | null;
  retiredAt: number | null;
  destroyedAt: number | null;
}

/** What a signature needs of a key row (`ValidatorStore.signingKey`): no envelope. */
export interface SigningKeyRef {
  id: string;
  state: ValidatorKeyStateName;
  kemVersion: number;
  /** The key's slot, read in the same statement. */
  slot: ValidatorSlotRecord;
}

/** One stored rotation record: the canonical JSON exactly as signed and hashed. */
export interface ValidatorRecordRow {
  slot: string;
  seq: number;
  /** Canonical JSON of the whole record, signature included. */
  record: string;
  /** SHA-256 of `record` (UTF-8); the next record's `prev_hash`. */
  hash: Uint8Array;
}

export interface ValidatorCounts {
  slots: number;
  keys: number;
  records: number;
}

export interface ValidatorStore {
  /**
   * `OV_STORAGE_CONSTRAINT` when the name exists or is not 1..64 characters, the chain is
   * unknown, or labels, metadata or signingState is not valid JSON. Slots are never deleted.
   */
  insertSlot(r: ValidatorSlotRecord): void;
  getSlot(name: string): ValidatorSlotRecord | undefined;
  /** Every slot, by name. */
  listSlots(): ValidatorSlotRecord[];
  /** Replaces the signing state and updatedAt; false when the slot is unknown; `OV_STORAGE_CONSTRAINT` when not JSON. */
  updateSigningState(name: string, signingState: string, updatedAt: number): boolean;
  /** Replaces labels, metadata and updatedAt; false when the slot is unknown; `OV_STORAGE_CONSTRAINT` when not JSON. */
  updateSlotMetadata(name: string, labels: string, metadata: string, updatedAt: number): boolean;

  /**
   * `OV_STORAGE_CONSTRAINT` when the id exists or is not 36 characters; on a second active
   * or pending key in the slot; a public key the chain already has (destroyed keys
   * included); a slot that does not exist or is of another chain; a public key not 32 or
   * 48 bytes; an unknown key type, state or source; a kemVersion below 1; or a row where
   * `state === 'destroyed'` disagrees with `envelope === null` or `destroyedAt !== null`.
   */
  insertKey(r: ValidatorKeyRecord): void;
  getKey(id: string): ValidatorKeyRecord | undefined;
  /** The slot's keys, oldest first (created_at, then id); destroyed tombstones included. */
  keysOf(slot: string): ValidatorKeyRecord[];
  /** Every key of every slot, by slot then age. */
  listKeys(): ValidatorKeyRecord[];
  /** The key with this public key on this chain, destroyed tombstones included. */
  findByPublicKey(chain: ValidatorChainName, publicKey: Uint8Array): ValidatorKeyRecord | undefined;
  /**
   * The key with this public key as a signature needs it, with its slot and without its
   * envelope: a signature with an already opened key then reads one row pair and copies no
   * 4.5 KB envelope out of the store.
   */
  signingKey(chain: ValidatorChainName, publicKey: Uint8Array): SigningKeyRef | undefined;
  /**
   * Moves key `id` from state `from` to `to` and stamps the matching time (activatedAt
   * for active, retiredAt for retired; none for pending). False when the key is unknown or
   * not in `from` (nothing changed). `OV_STORAGE_CONSTRAINT` when the move would break an
   * insertKey rule (a second active or pending key, a destroyed key without envelope
   * coming back). Never used for `destroyed`: see `destroyKey`.
   */
  setKeyState(id: string, from: ValidatorKeyStateName, to: 'pending' | 'active' | 'retired', at: number): boolean;
  /**
   * Drops a retired key's envelope, marks it destroyed and sets destroyedAt; false unless
   * it was retired. The row stays as a tombstone, keeping its public key taken.
   */
  destroyKey(id: string, at: number): boolean;

  /**
   * Up to `limit` keys with an envelope sealed under a KEM version below `kemVersion`,
   * ordered by id, with id greater than `afterId` ('' for the first page).
   * `OV_INVALID_ARGUMENT` unless `limit` is a positive safe integer.
   */
  staleKeys(kemVersion: number, afterId: string, limit: number): ValidatorKeyRecord[];
  /** How many keys with an envelope are sealed below `kemVersion` (the min-decrypt-version guard). */
  countStale(kemVersion: number): number;
  /**
   * Swaps the envelope and KEM version of key `id` if its envelope is still `old` (a
   * concurrent change wins); false otherwise. `OV_STORAGE_CONSTRAINT` when it would swap
   * but `kemVersion` is below 1.
   */
  replaceEnvelope(id: string, old: Uint8Array, envelope: Uint8Array, kemVersion: number): boolean;

  /**
   * `OV_STORAGE_CONSTRAINT` when (slot, seq) exists, the slot does not, the seq is below
   * 1, the record is not valid JSON or the hash is not 32 bytes. Records are append-only:
   * nothing changes or removes one (only rolling back the transaction that appended it).
   */
  appendRecord(r: ValidatorRecordRow): void;
  /** The slot's record with the highest seq. */
  lastRecord(slot: string): ValidatorRecordRow | undefined;
  /** The slot's records in seq order. */
  records(slot: string): ValidatorRecordRow[];

  /** How many slots, keys (tombstones included) and records exist. */
  counts(): ValidatorCounts;
}

/**
 * Storage contract for validator slots, keys and rotation records (src/validators;
 * schema in ./schema-validators.ts). Same conventions as ./types.ts: synchronous,
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
  /** `OV_STORAGE_CONSTRAINT` when the name exists or a field is out of range. */
  insertSlot(r: ValidatorSlotRecord): void;
  getSlot(name: string): ValidatorSlotRecord | undefined;
  /** Every slot, by name. */
  listSlots(): ValidatorSlotRecord[];
  /** Replaces the signing state; false when the slot is unknown. */
  updateSigningState(name: string, signingState: string, updatedAt: number): boolean;
  /** Replaces labels and metadata; false when the slot is unknown. */
  updateSlotMetadata(name: string, labels: string, metadata: string, updatedAt: number): boolean;

  /** `OV_STORAGE_CONSTRAINT` on a second active/pending key in the slot, a known public key, or a slot of another chain. */
  insertKey(r: ValidatorKeyRecord): void;
  getKey(id: string): ValidatorKeyRecord | undefined;
  /** The slot's keys, oldest first (created_at, then id); destroyed tombstones included. */
  keysOf(slot: string): ValidatorKeyRecord[];
  /** Every key of every slot, by slot then age. */
  listKeys(): ValidatorKeyRecord[];
  findByPublicKey(chain: ValidatorChainName, publicKey: Uint8Array): ValidatorKeyRecord | undefined;
  /**
   * Moves key `id` from state `from` to `to` and stamps the matching time column
   * (activated_at for active, retired_at for retired). False when the key is not in
   * `from` (nothing changed). Never used for `destroyed`: see `destroyKey`.
   */
  setKeyState(id: string, from: ValidatorKeyStateName, to: 'pending' | 'active' | 'retired', at: number): boolean;
  /** Wipes a retired key's envelope and marks it destroyed; false unless it was retired. */
  destroyKey(id: string, at: number): boolean;

  /** Up to `limit` keys with an envelope sealed under a `kem` version below `kemVersion`, by id after `afterId`. */
  staleKeys(kemVersion: number, afterId: string, limit: number): ValidatorKeyRecord[];
  /** How many keys with an envelope are sealed below `kemVersion` (the min-decrypt-version guard). */
  countStale(kemVersion: number): number;
  /** Swaps the envelope of key `id` if it is still `old` (a concurrent change wins); false otherwise. */
  replaceEnvelope(id: string, old: Uint8Array, envelope: Uint8Array, kemVersion: number): boolean;

  /** `OV_STORAGE_CONSTRAINT` when (slot, seq) exists, the slot does not, or the hash is not 32 bytes. */
  appendRecord(r: ValidatorRecordRow): void;
  /** The slot's record with the highest seq. */
  lastRecord(slot: string): ValidatorRecordRow | undefined;
  /** The slot's records in seq order. */
  records(slot: string): ValidatorRecordRow[];

  counts(): ValidatorCounts;
}

/**
 * The record chain of a slot: every state change appends the slot's next rotation record
 * (./records.ts: canonical JSON, signed by the vault, hash-chained from GENESIS_HASH)
 * inside the transaction that made the change, so a record exists exactly when its change
 * does. `history` returns the chain with the vault's signature public keys, everything a
 * client needs to verify it (`verifyValidatorHistory`).
 * @module
 */
import { utf8 } from '../crypto/bytes.js';
import { sha256 } from '../crypto/kdf.js';
import type { CryptoProvider } from '../crypto/types.js';
import type { SecretKeyInfo } from '../envelope/keys.js';
import type { Keyring } from '../keyring/index.js';
import type { ValidatorKeyRecord, ValidatorStore } from '../storage/validators-types.js';
import { formatPublicKey } from './formats/pubkey.js';
import { hex, iso } from './inputs.js';
import { GENESIS_HASH, parseRecord, recordText, signRecord, type RecordAction, type SigningStateJson, type ValidatorRecord } from './records.js';

export interface RecordChange {
  readonly slot: string;
  readonly action: RecordAction;
  /** The key the change is about. */
  readonly key: ValidatorKeyRecord;
  readonly prevKeyId: string | null;
  /** The slot's signing state after the change. */
  readonly signingState: SigningStateJson;
  readonly now: number;
}

/** Appends the slot's next record, signed by `signer`; call inside the transaction that made the change. */
export function appendRecord(store: ValidatorStore, provider: CryptoProvider, signer: SecretKeyInfo, c: RecordChange): ValidatorRecord {
  const last = store.lastRecord(c.slot);
  const rec = signRecord(provider, signer, {
    seq: (last?.seq ?? 0) + 1,
    slot: c.slot,
    action: c.action,
    key_id: c.key.id,
    public_key: formatPublicKey(c.key.chain, c.key.publicKey),
    prev_key_id: c.prevKeyId,
    signing_state: c.signingState,
    time: iso(c.now),
    prev_hash: last === undefined ? GENESIS_HASH : hex(last.hash),
  });
  const text = recordText(rec);
  store.appendRecord({ slot: c.slot, seq: rec.seq, record: text, hash: sha256(utf8(text)) });
  return rec;
}

/** The slot's records (parsed) and the armored public key of every vault signature key version. */
export function history(store: ValidatorStore, keyring: Keyring, slot: string): { records: ValidatorRecord[]; public_keys: string[] } {
  const records = store.records(slot).map((r) => parseRecord(r.record));
  const public_keys = keyring
    .list()
    .filter((p) => p.name === 'sign' || p.name === 'sign-falcon')
    .flatMap((p) => p.versions.flatMap((v) => (v.publicKey === undefined ? [] : [v.publicKey])));
  return { records, public_keys };
}

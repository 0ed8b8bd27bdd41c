/**
 * The audit hash chain and checkpoint message (docs/adr/0005-audit-chain.md), shared by
 * the writer (./log.ts) and the verifier (./verify.ts):
 *
 *   hash_n = SHA-256("ontoref-vault/audit/v1" || u64be(n) || hash_{n-1} || entry_n)
 *
 * with hash_0 = 32 zero bytes and entry_n the UTF-8 bytes of the canonical JSON entry
 * (which itself carries `seq` and `time`). A checkpoint is a detached signature
 * (src/envelope/signature.ts, context CHECKPOINT_CONTEXT) by the vault's `sign` key over
 *
 *   u64be(seq) || hash_seq || u64be(time)
 * @module
 */
import { utf8 } from '../crypto/bytes.js';
import { sha256Public } from '../crypto/kdf.js';

export const AUDIT_HASH_LABEL = utf8('ontoref-vault/audit/v1');
/** Context string of checkpoint signatures: a checkpoint signature verifies as nothing else. */
export const CHECKPOINT_CONTEXT = 'ontoref-vault/audit/checkpoint/v1';
export const AUDIT_HASH_BYTES = 32;
/** hash_0: the `prev_hash` of entry 1. */
export const GENESIS_HASH: Uint8Array = new Uint8Array(AUDIT_HASH_BYTES);

/** Big-endian u64 of a non-negative safe integer (seq, time); no BigInt on the hot path. */
function u64(n: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('u64: not a non-negative safe integer');
  const out = new Uint8Array(8);
  const view = new DataView(out.buffer);
  view.setUint32(0, Math.floor(n / 0x1_0000_0000));
  view.setUint32(4, n >>> 0);
  return out;
}

/**
 * hash_seq of an entry given its predecessor's hash. The hashed bytes are laid out in one
 * buffer (the entry encoded straight into it): this runs for every request.
 */
export function entryHash(seq: number, prevHash: Uint8Array, entry: string): Uint8Array {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError('u64: not a non-negative safe integer');
  const head = AUDIT_HASH_LABEL.length;
  const at = head + 8 + prevHash.length;
  const buf = Buffer.allocUnsafe(at + Buffer.byteLength(entry, 'utf8'));
  buf.set(AUDIT_HASH_LABEL, 0);
  buf.writeUInt32BE(Math.floor(seq / 0x1_0000_0000), head);
  buf.writeUInt32BE(seq >>> 0, head + 4);
  buf.set(prevHash, head + 8);
  buf.write(entry, at, 'utf8');
  return sha256Public(buf);
}

/** The message a checkpoint signs. */
export function checkpointMessage(seq: number, hash: Uint8Array, time: number): Uint8Array {
  const out = new Uint8Array(8 + hash.length + 8);
  out.set(u64(seq), 0);
  out.set(hash, 8);
  out.set(u64(time), 8 + hash.length);
  return out;
}

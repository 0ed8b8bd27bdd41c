/**
 * Offline verification of the audit log (docs/adr/0005-audit-chain.md): every entry's
 * hash and link, every checkpoint's signature, stopping at the FIRST problem in seq
 * order. What each problem means:
 *
 * - `deleted` at s: there is no entry s although a later entry exists (a row removed
 *   from the middle), or a valid checkpoint covers s but the log ends before it (the tail
 *   was cut). A tail cut after the last checkpoint cannot be detected by anyone: that is
 *   what checkpoints (and signing one on seal and shutdown) bound.
 * - `reordered` at s: row s holds a well-formed entry that names another seq (rows were
 *   swapped or moved); reported before hashes are checked.
 * - `modified` at s: row s is not the entry that was written there: its text is not a
 *   JSON object whose seq is s and whose time equals the row's time column, its hash does
 *   not match SHA-256(label || s || prev_hash || entry), its prev_hash is not the hash of
 *   row s-1 (the chain breaks between s-1 and s: row s-1 was rewritten with a recomputed
 *   hash, or row s's link was), or a checkpoint at s with a VALID signature names a
 *   different hash (the log up to s was rewritten consistently, which only the signature
 *   exposes).
 * - `checkpoint` at s: the checkpoint at s does not verify under any given public key
 *   with its algorithm and key version (forged or edited signature, seq, hash or time, or
 *   a signing key the verifier was not given).
 *
 * Checkpoints are read before the entries: against a daemon appending concurrently (WAL
 * snapshots per statement), the later entry scan then sees every entry a checkpoint names.
 * Entries appended during the scan may or may not be included; the result says up to
 * which seq the log was verified.
 * @module
 */
import { constantTimeEqual } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/types.js';
import type { PublicKeyInfo } from '../envelope/keys.js';
import { verifyDetached } from '../envelope/signature.js';
import type { AuditCheckpointRecord, AuditEntryRecord, Storage } from '../storage/types.js';
import { CHECKPOINT_CONTEXT, GENESIS_HASH, checkpointMessage, entryHash } from './chain.js';

export type AuditProblem = 'modified' | 'deleted' | 'reordered' | 'checkpoint';

export interface AuditVerifyResult {
  ok: boolean;
  /** Entries verified (all of them when ok; those before the first problem otherwise). */
  entries: number;
  /** Checkpoints verified, likewise. */
  checkpoints: number;
  /** Seq of the last verified entry (0 for an empty log). */
  lastSeq: number;
  /** Seq of the last verified checkpoint (0 if none): entries after it are only hash-chained. */
  coveredThrough: number;
  firstBad?: { seq: number; problem: AuditProblem };
}

function rowProblem(row: AuditEntryRecord, prevHash: Uint8Array): AuditProblem | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.entry);
  } catch {
    return 'modified';
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return 'modified';
  const fields = parsed as Record<string, unknown>;
  if (typeof fields['seq'] === 'number' && Number.isSafeInteger(fields['seq']) && fields['seq'] !== row.seq) return 'reordered';
  // No canonical re-encoding here: the hash below covers the exact text, so any edit of it
  // fails; the writer alone decides the canonical form.
  if (fields['seq'] !== row.seq || fields['time'] !== row.time) return 'modified';
  if (!constantTimeEqual(entryHash(row.seq, row.prevHash, row.entry), row.hash)) return 'modified';
  if (!constantTimeEqual(row.prevHash, prevHash)) return 'modified';
  return undefined;
}

function signatureValid(cp: AuditCheckpointRecord, keys: readonly PublicKeyInfo[], provider: CryptoProvider): boolean {
  const message = checkpointMessage(cp.seq, cp.hash, cp.time);
  for (const key of keys) {
    if (key.kind !== 'sig-public' || key.alg !== cp.alg || key.keyVersion !== cp.keyVersion) continue;
    try {
      verifyDetached(provider, { signature: cp.signature, message, key, context: CHECKPOINT_CONTEXT });
      return true;
    } catch {
      // Another key with the same algorithm and version (sign and a re-setup) may still match.
    }
  }
  return false;
}

/**
 * Verifies the whole log against `publicKeys` (the keyring's signature public keys, every
 * version: `keyringPublicKeys(storage)` or `keyring.publicKeys()`, or keys pinned out of
 * band). Reads only; works on a read-only storage. Storage errors propagate as VaultError.
 */
export function verifyAudit(storage: Storage, publicKeys: PublicKeyInfo[], provider: CryptoProvider): AuditVerifyResult {
  const checkpoints = storage.audit.checkpoints();
  let cp = 0;
  let entries = 0;
  let verifiedCheckpoints = 0;
  let coveredThrough = 0;
  let expected = 1;
  let prevHash = GENESIS_HASH;
  const result = (firstBad?: { seq: number; problem: AuditProblem }): AuditVerifyResult => {
    const r: AuditVerifyResult = { ok: firstBad === undefined, entries, checkpoints: verifiedCheckpoints, lastSeq: expected - 1, coveredThrough };
    if (firstBad !== undefined) r.firstBad = firstBad;
    return r;
  };

  for (const row of storage.audit.entries()) {
    // The scan is in seq order, so a seq above the expected one is a gap.
    if (row.seq !== expected) return result({ seq: expected, problem: 'deleted' });
    const problem = rowProblem(row, prevHash);
    if (problem !== undefined) return result({ seq: row.seq, problem });
    entries++;
    expected++;
    prevHash = row.hash;
    for (let c = checkpoints[cp]; c !== undefined && c.seq <= row.seq; c = checkpoints[++cp]) {
      if (!signatureValid(c, publicKeys, provider)) return result({ seq: c.seq, problem: 'checkpoint' });
      if (!constantTimeEqual(c.hash, row.hash)) return result({ seq: c.seq, problem: 'modified' });
      verifiedCheckpoints++;
      coveredThrough = c.seq;
    }
  }
  const beyond = checkpoints[cp];
  if (beyond !== undefined) {
    if (!signatureValid(beyond, publicKeys, provider)) return result({ seq: beyond.seq, problem: 'checkpoint' });
    return result({ seq: expected, problem: 'deleted' });
  }
  return result();
}

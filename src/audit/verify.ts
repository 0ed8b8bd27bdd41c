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
 *   JSON object whose seq is s and whose time equals the row's time column, or its hash
 *   does not match SHA-256(label || s || hash_{s-1} || entry) (row s was edited, or row
 *   s-1 was rewritten with a recomputed hash and the chain breaks at s), or a checkpoint
 *   at s with a VALID signature names a different hash (the log up to s was rewritten
 *   consistently, which only the signature exposes). The compact store rebuilds an
 *   entry's text from the row's own seq, so rows swapped in the store read as `modified`;
 *   `reordered` comes from texts that carry their own seq (archive files, whole-text rows).
 * - `checkpoint` at s: the checkpoint at s does not verify under any given public key
 *   with its algorithm and key version (forged or edited signature, seq, hash or time, or
 *   a signing key the verifier was not given).
 *
 * After an archive, the live log starts at the last archived boundary: its signed
 * checkpoint is checked, and the first live entry chains to its hash.
 *
 * Checkpoints are read before the entries: against a daemon appending concurrently (WAL
 * snapshots per statement), the later entry scan then sees every entry a checkpoint names.
 * Entries appended during the scan may or may not be included; the result says up to
 * which seq the log was verified.
 *
 * A database with one chain per node (PostgreSQL, docs/adr/0018-audit-chains-per-node.md)
 * has every chain verified this way, in node order, and then every peer head a chain
 * names (./peers.ts) looked up in that peer's chain: the same hash at that seq, or the
 * seq archived away. A head missing from the peer's chain is `deleted` there (its tail was
 * cut), a different hash `modified`; the problem names the peer's node and seq, and the
 * node and seq of the entry that named it.
 * @module
 */
import { constantTimeEqual } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/types.js';
import type { PublicKeyInfo } from '../envelope/keys.js';
import { verifyDetached } from '../envelope/signature.js';
import type { AuditChains, AuditCheckpointRecord, AuditEntryRecord, AuditStore, Storage } from '../storage/types.js';
import { CHECKPOINT_CONTEXT, GENESIS_HASH, checkpointMessage, entryHash } from './chain.js';
import { parsePeers, type PeerClaim } from './peers.js';

export type AuditProblem = 'modified' | 'deleted' | 'reordered' | 'checkpoint';

/** The first problem found: a seq and its kind, and on a database of several chains, whose. */
export interface AuditFirstBad {
  seq: number;
  problem: AuditProblem;
  /** The node whose chain has the problem (only where the database holds per-node chains). */
  node?: string;
  /** A peer head that does not match: the node and seq of the entry that named it. */
  namedBy?: { node: string; seq: number };
}

/** One node's chain in a verification of several. */
export interface AuditNodeResult extends AuditVerifyResult {
  node: string;
}

export interface AuditVerifyResult {
  ok: boolean;
  /** Entries verified (all of them when ok; those before the first problem otherwise). */
  entries: number;
  /** Checkpoints verified, likewise. */
  checkpoints: number;
  /** Seq of the first entry checked: 1, or the one after the archived boundary. */
  firstSeq: number;
  /** Seq of the last verified entry (firstSeq - 1 when none). */
  lastSeq: number;
  /** Hash of entry `lastSeq` (the start hash when none). */
  lastHash: Uint8Array;
  /** Seq of the last verified checkpoint (0 if none): entries after it are only hash-chained. */
  coveredThrough: number;
  firstBad?: AuditFirstBad;
  /**
   * Per-node chains only: this node's name (the seq fields above are its chain's; entries
   * and checkpoints count every chain), each chain's own result, and the peer heads the
   * chains name: how many were found in their chain, and how many lie in archived ranges.
   */
  node?: string;
  nodes?: AuditNodeResult[];
  peerHeads?: { checked: number; archived: number };
}

/** Where a chain (the live log, an archive) starts: genesis, or a signed boundary. */
export interface ChainStart {
  /** The last entry before the chain (0 at genesis). */
  readonly seq: number;
  /** Its hash (GENESIS_HASH at genesis). */
  readonly hash: Uint8Array;
  /** The signed checkpoint at `seq`, when the chain starts at an archived boundary. */
  readonly checkpoint?: AuditCheckpointRecord | undefined;
}

export const GENESIS: ChainStart = Object.freeze({ seq: 0, hash: GENESIS_HASH });

function rowProblem(row: AuditEntryRecord, prevHash: Uint8Array): { problem: AuditProblem; hash?: Uint8Array } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(row.entry);
  } catch {
    return { problem: 'modified' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { problem: 'modified' };
  const fields = parsed as Record<string, unknown>;
  if (typeof fields['seq'] === 'number' && Number.isSafeInteger(fields['seq']) && fields['seq'] !== row.seq) return { problem: 'reordered' };
  // No canonical re-encoding here: the hash below covers the exact text, so any edit of it
  // fails; the writer alone decides the canonical form.
  if (fields['seq'] !== row.seq || fields['time'] !== row.time) return { problem: 'modified' };
  if (!constantTimeEqual(entryHash(row.seq, prevHash, row.entry), row.hash)) return { problem: 'modified' };
  return undefined;
}

export function signatureValid(cp: AuditCheckpointRecord, keys: readonly PublicKeyInfo[], provider: CryptoProvider): boolean {
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
 * Verifies one chain of entries from `start`: each entry's hash over its predecessor's,
 * dense seqs, and every checkpoint (in seq order) against the entry it names. Stops at
 * the first problem in seq order.
 */
export function verifyChain(
  rows: Iterable<AuditEntryRecord>,
  checkpoints: readonly AuditCheckpointRecord[],
  start: ChainStart,
  publicKeys: readonly PublicKeyInfo[],
  provider: CryptoProvider,
  claims?: { readonly by: string; readonly out: PeerClaim[] },
): AuditVerifyResult {
  let cp = 0;
  let entries = 0;
  let verifiedCheckpoints = 0;
  let coveredThrough = 0;
  let expected = start.seq + 1;
  let prevHash = start.hash;
  const result = (firstBad?: { seq: number; problem: AuditProblem }): AuditVerifyResult => {
    const r: AuditVerifyResult = { ok: firstBad === undefined, entries, checkpoints: verifiedCheckpoints, firstSeq: start.seq + 1, lastSeq: expected - 1, lastHash: prevHash, coveredThrough };
    if (firstBad !== undefined) r.firstBad = firstBad;
    return r;
  };
  const boundary = start.checkpoint;
  if (boundary !== undefined) {
    if (boundary.seq !== start.seq || !constantTimeEqual(boundary.hash, start.hash) || !signatureValid(boundary, publicKeys, provider)) {
      return result({ seq: start.seq, problem: 'checkpoint' });
    }
    coveredThrough = start.seq;
  }
  // Checkpoints at or below the start are the previous chain's (a prune not yet done).
  while (checkpoints[cp] !== undefined && (checkpoints[cp] as AuditCheckpointRecord).seq <= start.seq) cp++;

  for (const row of rows) {
    // The scan is in seq order, so a seq above the expected one is a gap.
    if (row.seq !== expected) return result({ seq: expected, problem: row.seq < expected ? 'reordered' : 'deleted' });
    const bad = rowProblem(row, prevHash);
    if (bad !== undefined) return result({ seq: row.seq, problem: bad.problem });
    entries++;
    expected++;
    prevHash = row.hash;
    if (claims !== undefined) {
      const named = parsePeers(row.entry, claims.by, row.seq);
      if (named !== undefined) claims.out.push(...named);
    }
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

/** The live log's start: the last archived boundary, or genesis. */
export function liveStart(storage: Storage): ChainStart {
  return storeStart(storage.audit);
}

function storeStart(audit: AuditStore): ChainStart {
  const archives = audit.archives();
  const last = archives[archives.length - 1];
  return last === undefined ? GENESIS : { seq: last.checkpoint.seq, hash: last.checkpoint.hash, checkpoint: last.checkpoint };
}

/**
 * Verifies the live log against `publicKeys` (the keyring's signature public keys, every
 * version: `keyringPublicKeys(storage)` or `keyring.publicKeys()`, or keys pinned out of
 * band), from the last archived boundary on. Reads only; works on a read-only storage.
 * Storage errors propagate as VaultError.
 */
export function verifyAudit(storage: Storage, publicKeys: PublicKeyInfo[], provider: CryptoProvider): AuditVerifyResult {
  const chains = storage.auditChains;
  return chains === undefined ? verifyStore(storage.audit, publicKeys, provider) : verifyChains(chains, publicKeys, provider);
}

function verifyStore(audit: AuditStore, publicKeys: PublicKeyInfo[], provider: CryptoProvider, claims?: { by: string; out: PeerClaim[] }): AuditVerifyResult {
  // Checkpoints before entries: see the module comment.
  const checkpoints = audit.checkpoints();
  const start = storeStart(audit);
  return verifyChain(audit.entries(start.seq + 1), checkpoints, start, publicKeys, provider, claims);
}

/** Every node's chain, then every peer head they name (see the module comment). */
export function verifyChains(chains: AuditChains, publicKeys: PublicKeyInfo[], provider: CryptoProvider): AuditVerifyResult {
  const nodes = chains.nodes();
  if (!nodes.includes(chains.node)) nodes.push(chains.node);
  const results: AuditNodeResult[] = [];
  const claims: PeerClaim[] = [];
  let firstBad: AuditFirstBad | undefined;
  for (const node of nodes) {
    const r = verifyStore(chains.of(node), publicKeys, provider, { by: node, out: claims });
    results.push({ node, ...r });
    if (r.firstBad !== undefined) firstBad ??= { ...r.firstBad, node };
  }
  let checked = 0;
  let archived = 0;
  for (const c of claims) {
    const problem = nodes.includes(c.node) ? peerProblem(chains.of(c.node), c) : 'deleted';
    if (problem === 'archived') archived++;
    else if (problem === undefined) checked++;
    else firstBad ??= { seq: c.seq, problem, node: c.node, namedBy: { node: c.by, seq: c.at } };
  }
  const own = results.find((r) => r.node === chains.node) as AuditNodeResult;
  const sum = (f: (r: AuditNodeResult) => number): number => results.reduce((n, r) => n + f(r), 0);
  const out: AuditVerifyResult = {
    ok: firstBad === undefined,
    entries: sum((r) => r.entries),
    checkpoints: sum((r) => r.checkpoints),
    firstSeq: own.firstSeq,
    lastSeq: own.lastSeq,
    lastHash: own.lastHash,
    coveredThrough: own.coveredThrough,
    node: chains.node,
    nodes: results,
    peerHeads: { checked, archived },
  };
  if (firstBad !== undefined) out.firstBad = firstBad;
  return out;
}

/**
 * Whether a peer's chain holds the head `c` names: undefined when it does, 'archived'
 * when that seq lies before the peer's live log (its archives hold it), the problem
 * otherwise. Rows appended since the peer's chain was scanned are read too, so a head
 * named while the verifier ran is found.
 */
function peerProblem(audit: AuditStore, c: PeerClaim): AuditProblem | 'archived' | undefined {
  const row = audit.get(c.seq);
  if (row !== undefined) return constantTimeEqual(row.hash, c.hash) ? undefined : 'modified';
  const start = storeStart(audit);
  if (c.seq < start.seq) return 'archived';
  if (c.seq === start.seq) return constantTimeEqual(start.hash, c.hash) ? undefined : 'modified';
  return 'deleted';
}

/**
 * The audit log's public surface: the append-only, hash-chained, checkpoint-signed log
 * (./log.ts), its offline verifier (./verify.ts) and the chain definition (./chain.ts).
 * Design and threat notes: docs/adr/0005-audit-chain.md.
 * @module
 */
export {
  AuditLog,
  DEFAULT_CHECKPOINT_EVERY,
  MAX_BATCH,
  MAX_CHECKPOINT_EVERY,
  MAX_DETAIL_KEYS,
  MAX_FIELD_CHARS,
  TRUNCATED_MARK,
  type AuditEvent,
  type AuditLogOptions,
} from './log.js';
export { DEFAULT_AUDIT_PAGE, MAX_AUDIT_PAGE, type AuditPage, type AuditReadQuery } from './reader.js';
export { GENESIS, liveStart, verifyAudit, verifyChain, verifyChains, type AuditFirstBad, type AuditNodeResult, type AuditProblem, type AuditVerifyResult, type ChainStart } from './verify.js';
export { MAX_PEERS, PEERS_PATH, parsePeers, peerHeads, peersEvent, type PeerClaim, type PeerHead } from './peers.js';
export { AUDIT_HASH_LABEL, CHECKPOINT_CONTEXT, GENESIS_HASH, checkpointMessage, entryHash } from './chain.js';
export { canonicalJson, type JsonValue } from './canonical.js';
export { ARCHIVE_EXTENSION, ARCHIVE_MAGIC, archiveFileName, encodeArchive, parseArchive, verifyArchive, type ArchiveHeader, type ParsedArchive } from './archive.js';
export { AuditArchiver, MAX_ARCHIVE_ENTRIES, archiveCutoff, type ArchiveSelection, type AuditArchiverDeps, type PreparedArchive } from './archiver.js';
export { PROBLEM_CODES, chainError, problemReason, verifyAuditChain, type ArchiveInput, type ArchiveSummary, type ChainProblem, type ChainReport } from './archive-chain.js';

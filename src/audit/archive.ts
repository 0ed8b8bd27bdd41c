/**
 * Audit archive files (docs/format.md, "Audit archive files"; docs/adr/0012-audit-archives.md):
 * a closed range of the hash chain, moved out of the store, that verifies on its own.
 * UTF-8 text, one LF-terminated line per item:
 *
 *   ontoref-vault-audit-archive/v1 <header: canonical JSON>
 *   e <hash, 64 lowercase hex> <entry: its canonical JSON text, exactly as hashed>
 *   c <checkpoint: canonical JSON>
 *
 * Entry lines in seq order; each checkpoint line follows the entry it signs; the last
 * line is the checkpoint at `last_seq`. The header names the range and where it starts:
 * `prev_hash` (the hash before `first_seq`, 32 zero bytes at genesis) and `start`, the
 * signed checkpoint the previous archive ended on (null at genesis). An archive of one
 * node's chain in a database of several (docs/adr/0018-audit-chains-per-node.md) also
 * names that `node` in its header and file name; a single-node archive has neither, so
 * its bytes are as before. Everything here is pure: bytes in, bytes or a verdict out.
 * @module
 */
import { constantTimeEqual } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/types.js';
import type { PublicKeyInfo } from '../envelope/keys.js';
import { VaultError } from '../errors.js';
import type { AuditCheckpointRecord, AuditEntryRecord } from '../storage/types.js';
import { toHex } from '../util/bytes.js';
import { canonicalJson } from './canonical.js';
import { GENESIS_HASH } from './chain.js';
import { verifyChain, type AuditProblem, type AuditVerifyResult, type ChainStart } from './verify.js';

export const ARCHIVE_MAGIC = 'ontoref-vault-audit-archive/v1';
/** File name extension of archives the daemon writes (and `verify DIR` reads). */
export const ARCHIVE_EXTENSION = '.ovaudit';
/** Largest archive file accepted for verification (one archive is at most MAX_ARCHIVE_ENTRIES entries). */
export const MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024;

export interface ArchiveHeader {
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly entries: number;
  readonly start: ChainStart;
  /** The node whose chain this is, when the database holds one chain per node. */
  readonly node?: string;
}

/** A node name as archive headers and file names carry it. */
const NODE = /^[a-z0-9_]{1,32}$/;

export interface ParsedArchive {
  readonly header: ArchiveHeader;
  /** Entry lines in file order, with the hash each line states and the seq and time its text names. */
  readonly entries: AuditEntryRecord[];
  readonly checkpoints: AuditCheckpointRecord[];
}

function checkpointJson(c: AuditCheckpointRecord): string {
  return canonicalJson({ seq: c.seq, hash: toHex(c.hash), alg: c.alg, key_version: c.keyVersion, signature: Buffer.from(c.signature).toString('base64'), time: c.time });
}

/** File name for the range: zero-padded so names sort in chain order; a node's chain is named, so nodes may share a directory. */
export function archiveFileName(firstSeq: number, lastSeq: number, node?: string): string {
  const pad = (n: number): string => String(n).padStart(16, '0');
  return `audit-${node === undefined ? '' : `${node}-`}${pad(firstSeq)}-${pad(lastSeq)}${ARCHIVE_EXTENSION}`;
}

/**
 * The archive of `entries` (dense, in seq order, chained from `start`) with the
 * `checkpoints` among them; the last checkpoint must sign the last entry.
 */
export function encodeArchive(start: ChainStart, entries: readonly AuditEntryRecord[], checkpoints: readonly AuditCheckpointRecord[], node?: string): Uint8Array {
  const last = entries[entries.length - 1];
  const end = checkpoints[checkpoints.length - 1];
  if (last === undefined || end === undefined || end.seq !== last.seq) throw new VaultError('OV_AUDIT_FAILED', { reason: 'an archive ends on a checkpoint' });
  const header = canonicalJson({
    first_seq: start.seq + 1,
    last_seq: last.seq,
    entries: entries.length,
    prev_hash: toHex(start.hash),
    start: start.checkpoint === undefined ? null : (JSON.parse(checkpointJson(start.checkpoint)) as Record<string, string | number>),
    ...(node === undefined ? {} : { node }),
  });
  const lines: string[] = [`${ARCHIVE_MAGIC} ${header}`];
  let c = 0;
  for (const e of entries) {
    lines.push(`e ${toHex(e.hash)} ${e.entry}`);
    for (let cp = checkpoints[c]; cp !== undefined && cp.seq <= e.seq; cp = checkpoints[++c]) {
      if (cp.seq === e.seq) lines.push(`c ${checkpointJson(cp)}`);
    }
  }
  return new TextEncoder().encode(lines.join('\n') + '\n');
}

function malformed(reason: string, line?: number): never {
  throw new VaultError('OV_AUDIT_ARCHIVE_MALFORMED', { reason, ...(line === undefined ? {} : { line }) });
}

const HEX64 = /^[0-9a-f]{64}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function uint(v: unknown, min: number): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min;
}

function parseCheckpoint(text: string, line: number): AuditCheckpointRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    malformed('checkpoint is not JSON', line);
  }
  const o = v as Record<string, unknown>;
  if (typeof v !== 'object' || v === null || Array.isArray(v) || canonicalJson(v as never) !== text) malformed('checkpoint is not canonical JSON', line);
  const keys = Object.keys(o).sort().join(',');
  if (keys !== 'alg,hash,key_version,seq,signature,time') malformed('checkpoint members', line);
  const { seq, hash, alg, key_version: keyVersion, signature, time } = o;
  if (!uint(seq, 1) || !uint(keyVersion, 1) || !uint(time, 0) || typeof alg !== 'string' || typeof hash !== 'string' || !HEX64.test(hash)) malformed('checkpoint fields', line);
  if (typeof signature !== 'string' || !BASE64.test(signature) || signature.length % 4 !== 0) malformed('checkpoint signature', line);
  return { seq, hash: new Uint8Array(Buffer.from(hash, 'hex')), alg, keyVersion, signature: new Uint8Array(Buffer.from(signature, 'base64')), time };
}

/** Reads the structure of an archive; OV_AUDIT_ARCHIVE_MALFORMED names the first thing wrong. Hashes and signatures are not checked here. */
export function parseArchive(bytes: Uint8Array): ParsedArchive {
  if (bytes.byteLength > MAX_ARCHIVE_BYTES) malformed('larger than an archive can be');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    malformed('not UTF-8');
  }
  if (!text.endsWith('\n')) malformed('does not end with a line feed (truncated?)');
  const lines = text.slice(0, -1).split('\n');
  const first = lines[0] as string;
  if (!first.startsWith(`${ARCHIVE_MAGIC} `)) malformed(first.startsWith('ontoref-vault-audit-archive/') ? 'unsupported version' : 'not an audit archive', 1);
  let h: Record<string, unknown>;
  try {
    h = JSON.parse(first.slice(ARCHIVE_MAGIC.length + 1)) as Record<string, unknown>;
  } catch {
    malformed('header is not JSON', 1);
  }
  const members = typeof h === 'object' && h !== null ? Object.keys(h).sort().join(',') : '';
  if (members !== 'entries,first_seq,last_seq,prev_hash,start' && members !== 'entries,first_seq,last_seq,node,prev_hash,start') malformed('header members', 1);
  const { first_seq: firstSeq, last_seq: lastSeq, entries: count, prev_hash: prevHash, start, node } = h;
  if (node !== undefined && (typeof node !== 'string' || !NODE.test(node))) malformed('header node', 1);
  if (!uint(firstSeq, 1) || !uint(lastSeq, firstSeq) || !uint(count, 1) || typeof prevHash !== 'string' || !HEX64.test(prevHash)) malformed('header fields', 1);
  const startHash = new Uint8Array(Buffer.from(prevHash, 'hex'));
  let chainStart: ChainStart;
  if (start === null) {
    if (firstSeq !== 1 || !constantTimeEqual(startHash, GENESIS_HASH)) malformed('only an archive from entry 1 starts without a checkpoint', 1);
    chainStart = { seq: 0, hash: startHash };
  } else {
    const cp = parseCheckpoint(canonicalJson(start as never), 1);
    chainStart = { seq: firstSeq - 1, hash: startHash, checkpoint: cp };
  }

  const entries: AuditEntryRecord[] = [];
  const checkpoints: AuditCheckpointRecord[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const n = i + 1;
    if (line.startsWith('e ')) {
      const hash = line.slice(2, 66);
      if (!HEX64.test(hash) || line[66] !== ' ') malformed('entry hash', n);
      const entry = line.slice(67);
      let seq = 0;
      let time = -1;
      try {
        const f = JSON.parse(entry) as Record<string, unknown>;
        if (uint(f['seq'], 1)) seq = f['seq'];
        if (uint(f['time'], 0)) time = f['time'];
      } catch {
        // An unreadable entry text is an edit, which the chain check reports at its place.
      }
      // A text without its own seq takes the place it stands at, for the chain check to judge.
      if (seq === 0) seq = (entries[entries.length - 1]?.seq ?? firstSeq - 1) + 1;
      entries.push({ seq, time, entry, hash: new Uint8Array(Buffer.from(hash, 'hex')) });
    } else if (line.startsWith('c ')) {
      checkpoints.push(parseCheckpoint(line.slice(2), n));
    } else {
      malformed('unknown line kind', n);
    }
  }
  if (entries.length !== count) malformed('entry count differs from the header');
  if (!lines[lines.length - 1]?.startsWith('c ') || checkpoints[checkpoints.length - 1]?.seq !== lastSeq) malformed('does not end on a checkpoint at last_seq');
  return { header: { firstSeq, lastSeq, entries: count, start: chainStart, ...(node === undefined ? {} : { node }) }, entries, checkpoints };
}

/**
 * Checks one archive on its own: entries in order and dense from `first_seq`, every hash
 * over its predecessor's from `prev_hash`, every checkpoint (the start one included)
 * signed by one of `publicKeys`, and the chain reaching `last_seq`.
 */
export function verifyArchive(a: ParsedArchive, publicKeys: readonly PublicKeyInfo[], provider: CryptoProvider): AuditVerifyResult {
  // Lines moved or swapped first: the chain check would see the first of them as a gap.
  const first = a.header.firstSeq;
  if (a.entries.some((e, i) => i > 0 && e.seq <= (a.entries[i - 1] as AuditEntryRecord).seq)) {
    const at = a.entries.findIndex((e, i) => e.seq !== first + i);
    const firstBad: { seq: number; problem: AuditProblem } = { seq: first + at, problem: 'reordered' };
    return { ok: false, entries: at, checkpoints: 0, firstSeq: first, lastSeq: first + at - 1, lastHash: a.header.start.hash, coveredThrough: 0, firstBad };
  }
  const r = verifyChain(a.entries, a.checkpoints, a.header.start, publicKeys, provider);
  if (r.ok && r.lastSeq !== a.header.lastSeq) return { ...r, ok: false, firstBad: { seq: r.lastSeq + 1, problem: 'deleted' } };
  return r;
}

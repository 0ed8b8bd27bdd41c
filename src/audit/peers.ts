/**
 * Peer heads: how one node's chain names the other chains of its database
 * (docs/adr/0018-audit-chains-per-node.md). Before a node signs a checkpoint it appends
 * one `sys` entry whose path is PEERS_PATH and whose detail maps each other node to its
 * chain head as `<seq>:<hash hex>`; the checkpoint then signs that entry's hash, so the
 * heads are under the signature without any change to the checkpoint format. A database
 * with one chain (SQLite) writes no such entry.
 * @module
 */
import type { AuditChains } from '../storage/types.js';
import { toHex } from '../util/bytes.js';
import type { AuditEvent } from './event.js';
import { MAX_DETAIL_KEYS } from './event.js';

/** The path of a peer-heads entry. Only the log itself writes `sys` entries with it. */
export const PEERS_PATH = 'audit/peers';

/** Most peers one entry names: the detail's key limit (a cluster is a handful of nodes). */
export const MAX_PEERS = MAX_DETAIL_KEYS;

export interface PeerHead {
  readonly node: string;
  readonly seq: number;
  readonly hash: Uint8Array;
}

/** A peer head as one node's chain states it, with the entry that states it. */
export interface PeerClaim extends PeerHead {
  /** The node whose chain holds the claim. */
  readonly by: string;
  /** The seq of the peer-heads entry in that chain. */
  readonly at: number;
}

const VALUE = /^([1-9][0-9]{0,15}):([0-9a-f]{64})$/;

/**
 * The head of every other node's chain, as the database holds it now, by node name
 * (a chain created but never written has none and is left out); at most MAX_PEERS.
 */
export function peerHeads(chains: AuditChains): PeerHead[] {
  const out: PeerHead[] = [];
  for (const node of chains.nodes()) {
    if (node === chains.node) continue;
    const head = chains.of(node).head();
    if (head !== undefined) out.push({ node, seq: head.seq, hash: head.hash });
    if (out.length === MAX_PEERS) break;
  }
  return out;
}

/** The entry naming `heads`. */
export function peersEvent(heads: readonly PeerHead[]): AuditEvent {
  const detail: Record<string, string> = {};
  for (const h of heads) detail[h.node] = `${h.seq}:${toHex(h.hash)}`;
  return { type: 'sys', path: PEERS_PATH, detail };
}

/**
 * The heads a stored entry names, or undefined when it is not a peer-heads entry. The
 * text is the one the chain hashes, so a well-formed chain holds only what the writer
 * wrote; a member that does not read as a head is left out.
 */
export function parsePeers(entry: string, by: string, at: number): PeerClaim[] | undefined {
  if (!entry.includes(`"path":"${PEERS_PATH}"`)) return undefined;
  let f: unknown;
  try {
    f = JSON.parse(entry);
  } catch {
    return undefined;
  }
  const o = f as Record<string, unknown>;
  if (typeof f !== 'object' || f === null || o['type'] !== 'sys' || o['path'] !== PEERS_PATH) return undefined;
  const detail = o['detail'];
  if (typeof detail !== 'object' || detail === null) return [];
  const out: PeerClaim[] = [];
  for (const [node, v] of Object.entries(detail as Record<string, unknown>)) {
    const m = typeof v === 'string' ? VALUE.exec(v) : null;
    if (m === null || !Number.isSafeInteger(Number(m[1]))) continue;
    out.push({ by, at, node, seq: Number(m[1]), hash: new Uint8Array(Buffer.from(m[2] as string, 'hex')) });
  }
  return out;
}

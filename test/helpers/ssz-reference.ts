/**
 * A small, independent SSZ `hash_tree_root` written from the consensus specs'
 * "SimpleSerialize" merkleization rules (chunks of 32 bytes, zero-padded to a power of
 * two, `mix_in_length` for lists), with node:crypto's SHA-256, so the signer's signing
 * roots (computed with @chainsafe/ssz) are checked against code that shares nothing with it.
 */
import { createHash } from 'node:crypto';

export function sha256(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/^0x/, ''), 'hex'));
}

const ZERO = new Uint8Array(32);

/** merkleize(chunks, limit): pads to the next power of two of max(len, limit). */
export function merkleize(chunks: Uint8Array[], limit?: number): Uint8Array {
  let size = 1;
  const n = Math.max(chunks.length, limit ?? 0, 1);
  while (size < n) size *= 2;
  let layer = [...chunks];
  let zero: Uint8Array = ZERO;
  while (size > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < size; i += 2) next.push(sha256(layer[i] ?? zero, layer[i + 1] ?? zero));
    zero = sha256(zero, zero);
    layer = next;
    size /= 2;
  }
  return layer[0] ?? ZERO;
}

/** Fixed bytes packed into chunks (Bytes4, Bytes20, Bytes32, Bytes48, Bytes96, Bitvector). */
export function bytesRoot(b: Uint8Array): Uint8Array {
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < b.length; i += 32) {
    const c = new Uint8Array(32);
    c.set(b.subarray(i, i + 32));
    chunks.push(c);
  }
  return merkleize(chunks);
}

export function uint64Root(n: bigint | number | string): Uint8Array {
  const c = new Uint8Array(32);
  new DataView(c.buffer).setBigUint64(0, BigInt(n), true);
  return c;
}

export function containerRoot(fields: Uint8Array[]): Uint8Array {
  return merkleize(fields);
}

/** Bitlist[limit] from its SSZ hex serialization (with the delimiter bit). */
export function bitlistRoot(serialized: Uint8Array, limit: number): Uint8Array {
  const bytes = Uint8Array.from(serialized);
  const last = bytes[bytes.length - 1] as number;
  const top = 31 - Math.clz32(last);
  const length = (bytes.length - 1) * 8 + top;
  bytes[bytes.length - 1] = last & ~(1 << top);
  let data = bytes;
  // Trailing zero bytes left after removing the delimiter do not change the chunks.
  const chunks: Uint8Array[] = [];
  const byteLen = Math.ceil(length / 8);
  data = data.subarray(0, byteLen);
  for (let i = 0; i < data.length; i += 32) {
    const c = new Uint8Array(32);
    c.set(data.subarray(i, i + 32));
    chunks.push(c);
  }
  return sha256(merkleize(chunks, Math.ceil(limit / 256)), uint64Root(length));
}

export function forkDataRoot(version: Uint8Array, gvr: Uint8Array): Uint8Array {
  return containerRoot([bytesRoot(version), gvr]);
}

export function domain(type: number, version: Uint8Array, gvr: Uint8Array): Uint8Array {
  const d = new Uint8Array(32);
  new DataView(d.buffer).setUint32(0, type, false);
  d.set(forkDataRoot(version, gvr).subarray(0, 28), 4);
  return d;
}

export function signingRoot(objectRoot: Uint8Array, dom: Uint8Array): Uint8Array {
  return containerRoot([objectRoot, dom]);
}

export function checkpointRoot(c: { epoch: string; root: string }): Uint8Array {
  return containerRoot([uint64Root(c.epoch), hex(c.root)]);
}

export interface AttestationDataJson {
  slot: string;
  index: string;
  beacon_block_root: string;
  source: { epoch: string; root: string };
  target: { epoch: string; root: string };
}

export function attestationDataRoot(a: AttestationDataJson): Uint8Array {
  return containerRoot([uint64Root(a.slot), uint64Root(a.index), hex(a.beacon_block_root), checkpointRoot(a.source), checkpointRoot(a.target)]);
}

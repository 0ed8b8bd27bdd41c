/**
 * EIP-3076 slashing protection interchange, format version 5: parse (complete or
 * minimal files), reduce to per-key watermarks, and write a minimal interchange.
 *
 * The vault keeps a *minimal* slashing-protection record per Ethereum key: the highest
 * block slot and the highest attestation source and target epochs signed. Following
 * EIP-3076's advice for minimal databases, import takes the maxima of every entry for a
 * key (there may be several); export writes one block and one attestation carrying those
 * maxima, which under the EIP's conditions 2, 4 and 5 makes every importer refuse
 * anything at or below them. Slots and epochs are uint64 decimal strings throughout
 * (the EIP chose strings because JavaScript numbers stop being exact at 2^53).
 * @module
 */
import { VaultError } from '../errors.js';
import { expectShape, fail, hexToBytes, isUint64String, parseJson } from './formats/encoding.js';

export interface InterchangeBlock {
  slot: string;
  signing_root?: string;
}

export interface InterchangeAttestation {
  source_epoch: string;
  target_epoch: string;
  signing_root?: string;
}

export interface Interchange {
  metadata: { interchange_format_version: '5'; genesis_validators_root: string };
  data: { pubkey: string; signed_blocks: InterchangeBlock[]; signed_attestations: InterchangeAttestation[] }[];
}

/** Highest slot/epochs signed, as uint64 decimal strings; null when none. */
export interface EthWatermark {
  maxBlockSlot: string | null;
  maxSourceEpoch: string | null;
  maxTargetEpoch: string | null;
}

const INVALID = 'OV_INTERCHANGE_INVALID';
/** Largest interchange text accepted (a complete history of many keys can be large). */
export const MAX_INTERCHANGE_CHARS = 32 * 1024 * 1024;

function hex0x(v: unknown, bytes: number): string | undefined {
  if (typeof v !== 'string' || !v.startsWith('0x')) return undefined;
  return hexToBytes(v.slice(2), bytes) === undefined ? undefined : v.toLowerCase();
}

/** Parses and validates an interchange (unknown fields refused; roots and keys normalised to lowercase). */
export function parseInterchange(json: string): Interchange {
  const doc = expectShape(parseJson(json, MAX_INTERCHANGE_CHARS, INVALID), '$', ['metadata', 'data'], [], INVALID);
  const meta = expectShape(doc.metadata, 'metadata', ['interchange_format_version', 'genesis_validators_root'], [], INVALID);
  if (meta.interchange_format_version !== '5') fail(INVALID, 'metadata.interchange_format_version', 'unsupported');
  const root = hex0x(meta.genesis_validators_root, 32) ?? fail(INVALID, 'metadata.genesis_validators_root', 'not 0x and 32 bytes of hex');
  if (!Array.isArray(doc.data)) fail(INVALID, 'data', 'not an array');
  const data = doc.data.map((entry, i) => {
    const f = `data[${i}]`;
    const e = expectShape(entry, f, ['pubkey', 'signed_blocks', 'signed_attestations'], [], INVALID);
    const pubkey = hex0x(e.pubkey, 48) ?? fail(INVALID, `${f}.pubkey`, 'not 0x and 48 bytes of hex');
    if (!Array.isArray(e.signed_blocks)) fail(INVALID, `${f}.signed_blocks`, 'not an array');
    if (!Array.isArray(e.signed_attestations)) fail(INVALID, `${f}.signed_attestations`, 'not an array');
    const signed_blocks = e.signed_blocks.map((b, j): InterchangeBlock => {
      const g = `${f}.signed_blocks[${j}]`;
      const o = expectShape(b, g, ['slot'], ['signing_root'], INVALID);
      if (!isUint64String(o.slot)) fail(INVALID, `${g}.slot`, 'not a uint64 decimal string');
      const out: InterchangeBlock = { slot: o.slot };
      if (o.signing_root !== undefined) out.signing_root = hex0x(o.signing_root, 32) ?? fail(INVALID, `${g}.signing_root`, 'not 0x and 32 bytes of hex');
      return out;
    });
    const signed_attestations = e.signed_attestations.map((a, j): InterchangeAttestation => {
      const g = `${f}.signed_attestations[${j}]`;
      const o = expectShape(a, g, ['source_epoch', 'target_epoch'], ['signing_root'], INVALID);
      if (!isUint64String(o.source_epoch)) fail(INVALID, `${g}.source_epoch`, 'not a uint64 decimal string');
      if (!isUint64String(o.target_epoch)) fail(INVALID, `${g}.target_epoch`, 'not a uint64 decimal string');
      const out: InterchangeAttestation = { source_epoch: o.source_epoch, target_epoch: o.target_epoch };
      if (o.signing_root !== undefined) out.signing_root = hex0x(o.signing_root, 32) ?? fail(INVALID, `${g}.signing_root`, 'not 0x and 32 bytes of hex');
      return out;
    });
    return { pubkey, signed_blocks, signed_attestations };
  });
  return { metadata: { interchange_format_version: '5', genesis_validators_root: root }, data };
}

/** Lowercase 0x form of a 48-byte public key given with or without 0x. */
function normalisePubkey(pubkeyHex: string, field: string): string {
  const bare = typeof pubkeyHex === 'string' && /^0x/i.test(pubkeyHex) ? pubkeyHex.slice(2) : pubkeyHex;
  if (hexToBytes(bare, 48) === undefined) throw new VaultError('OV_INVALID_ARGUMENT', { field, reason: 'not 48 bytes of hex' });
  return `0x${bare.toLowerCase()}`;
}

function max(a: string | null, b: string): string {
  return a === null || BigInt(b) > BigInt(a) ? b : a;
}

/** The maxima over every entry of `i` for `pubkeyHex` (with or without 0x). */
export function watermarksFrom(i: Interchange, pubkeyHex: string): EthWatermark {
  const want = normalisePubkey(pubkeyHex, 'pubkey');
  const w: EthWatermark = { maxBlockSlot: null, maxSourceEpoch: null, maxTargetEpoch: null };
  for (const e of i.data) {
    if (e.pubkey.toLowerCase() !== want) continue;
    for (const b of e.signed_blocks) w.maxBlockSlot = max(w.maxBlockSlot, b.slot);
    for (const a of e.signed_attestations) {
      w.maxSourceEpoch = max(w.maxSourceEpoch, a.source_epoch);
      w.maxTargetEpoch = max(w.maxTargetEpoch, a.target_epoch);
    }
  }
  return w;
}

function checkWatermark(w: EthWatermark, field: string): void {
  for (const k of ['maxBlockSlot', 'maxSourceEpoch', 'maxTargetEpoch'] as const) {
    const v = w[k];
    if (v !== null && !isUint64String(v)) throw new VaultError('OV_INVALID_ARGUMENT', { field: `${field}.${k}`, reason: 'not a uint64 decimal string or null' });
  }
}

/**
 * A minimal interchange for `entries`. A key with a block watermark gets one signed
 * block at that slot; a key with an attestation watermark gets one attestation at the
 * maximum source and target. When only one of the two epochs is known the other is
 * filled so that nothing is loosened: a missing source becomes "0" (every source is
 * >= 0) and a missing target becomes the source (a valid attestation's target is never
 * below its source); a target below the source (only possible from a malformed history)
 * is raised to it.
 */
export function interchangeFor(genesisValidatorsRoot: string, entries: { pubkey: string; watermark: EthWatermark }[]): Interchange {
  const root = hex0x(typeof genesisValidatorsRoot === 'string' ? genesisValidatorsRoot.toLowerCase() : genesisValidatorsRoot, 32);
  if (root === undefined) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'genesis_validators_root', reason: 'not 0x and 32 bytes of hex' });
  const data = entries.map((e, i) => {
    const pubkey = normalisePubkey(e.pubkey, `entries[${i}].pubkey`);
    checkWatermark(e.watermark, `entries[${i}].watermark`);
    const { maxBlockSlot, maxSourceEpoch, maxTargetEpoch } = e.watermark;
    const signed_blocks: InterchangeBlock[] = maxBlockSlot === null ? [] : [{ slot: maxBlockSlot }];
    const signed_attestations: InterchangeAttestation[] =
      maxSourceEpoch === null && maxTargetEpoch === null
        ? []
        : [{ source_epoch: maxSourceEpoch ?? '0', target_epoch: max(maxTargetEpoch, maxSourceEpoch ?? '0') }];
    return { pubkey, signed_blocks, signed_attestations };
  });
  return { metadata: { interchange_format_version: '5', genesis_validators_root: root }, data };
}

/**
 * The snapshot file (docs/operations.md "Snapshot file format"): a signed manifest and the
 * SQLite data it describes, in one file.
 *
 * | bytes | field                                                    |
 * |-------|----------------------------------------------------------|
 * | 8     | magic `OVSNAP` 0x00 0x01                                 |
 * | 4     | manifest length M, big-endian, at most 64 KiB            |
 * | M     | manifest: canonical JSON (fixed key order, no spaces)    |
 * | 4     | signature length S, big-endian, at most 16 KiB           |
 * | S     | signature over `ontoref-vault/snapshot/v1` 0x00 manifest |
 * | rest  | the SQLite database file                                 |
 *
 * The manifest carries the SHA-256 of the data, so the one signature covers everything;
 * parsing re-encodes the manifest and refuses any other spelling of it.
 * @module
 */
import { sha256 } from '../crypto/kdf.js';
import { concatBytes, constantTimeEqual, utf8 } from '../crypto/bytes.js';
import type { CryptoProvider, SignatureName } from '../crypto/types.js';
import type { PublicKeyInfo, SecretKeyInfo } from '../envelope/keys.js';
import { VaultError } from '../errors.js';

export const SNAPSHOT_MAGIC = Uint8Array.of(0x4f, 0x56, 0x53, 0x4e, 0x41, 0x50, 0x00, 0x01);
export const SNAPSHOT_FORMAT = 'ontoref-vault-snapshot/v1';
const SIGNING_LABEL = utf8('ontoref-vault/snapshot/v1\u0000');
const MAX_MANIFEST_BYTES = 64 * 1024;
const MAX_SIGNATURE_BYTES = 16 * 1024;
const SIGNATURE_ALGS: readonly SignatureName[] = ['ML-DSA-65', 'ML-DSA-87', 'Falcon-512-r3', 'Falcon-1024-r3'];

export interface SnapshotSigner {
  readonly alg: SignatureName;
  readonly keyVersion: number;
  /** Hex. */
  readonly keyId: string;
  /** Base64. */
  readonly publicKey: string;
}

export interface SnapshotManifest {
  readonly format: typeof SNAPSHOT_FORMAT;
  /** Hex, from the seal configuration. */
  readonly vaultId: string;
  readonly schemaVersion: number;
  /** ISO 8601, UTC. */
  readonly createdAt: string;
  /** The last audit sequence number committed in the copied data (0: empty log). */
  readonly auditSeq: number;
  /** Hex SHA-256 of the data. */
  readonly dataSha256: string;
  readonly dataBytes: number;
  readonly signer: SnapshotSigner;
}

export interface ParsedSnapshot {
  readonly manifest: SnapshotManifest;
  readonly manifestBytes: Uint8Array;
  readonly signature: Uint8Array;
  readonly data: Uint8Array;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The fingerprint an operator keeps to check snapshots: hex SHA-256 of the public key. */
export function keyFingerprint(publicKey: Uint8Array): string {
  return hex(sha256(publicKey));
}

function invalid(reason: string): VaultError {
  return new VaultError('OV_SNAPSHOT_INVALID', { reason });
}

/** The manifest's one spelling: keys in this order, snake_case, no whitespace. */
export function encodeManifest(m: SnapshotManifest): Uint8Array {
  return utf8(
    JSON.stringify({
      format: m.format,
      vault_id: m.vaultId,
      schema_version: m.schemaVersion,
      created_at: m.createdAt,
      audit_seq: m.auditSeq,
      data_sha256: m.dataSha256,
      data_bytes: m.dataBytes,
      signer: { alg: m.signer.alg, key_version: m.signer.keyVersion, key_id: m.signer.keyId, public_key: m.signer.publicKey },
    }),
  );
}

/** The manifest as JSON for display (`vault snapshot inspect`). */
export function manifestJson(m: SnapshotManifest): Record<string, unknown> {
  return JSON.parse(new TextDecoder().decode(encodeManifest(m))) as Record<string, unknown>;
}

function u32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return b;
}

/** Builds, signs and frames a snapshot of `data`. */
export function encodeSnapshot(
  provider: CryptoProvider,
  signer: SecretKeyInfo,
  fields: { vaultId: Uint8Array; schemaVersion: number; createdAt: number; auditSeq: number },
  data: Uint8Array,
): { bytes: Uint8Array; manifest: SnapshotManifest } {
  const alg = signer.alg as SignatureName;
  if (!SIGNATURE_ALGS.includes(alg) || signer.kind !== 'sig-secret') throw new VaultError('OV_KEY_INVALID', { field: 'signer' });
  const manifest: SnapshotManifest = {
    format: SNAPSHOT_FORMAT,
    vaultId: hex(fields.vaultId),
    schemaVersion: fields.schemaVersion,
    createdAt: new Date(fields.createdAt).toISOString(),
    auditSeq: fields.auditSeq,
    dataSha256: hex(sha256(data)),
    dataBytes: data.length,
    signer: { alg, keyVersion: signer.keyVersion, keyId: hex(signer.keyId), publicKey: Buffer.from(signer.publicKey).toString('base64') },
  };
  const m = encodeManifest(manifest);
  const signature = provider.signature(alg).sign(concatBytes(SIGNING_LABEL, m), signer.secretKey);
  return { bytes: concatBytes(SNAPSHOT_MAGIC, u32(m.length), m, u32(signature.length), signature, data), manifest };
}

const isHex = (s: unknown, len: number): s is string => typeof s === 'string' && s.length === len && /^[0-9a-f]+$/.test(s);
const isCount = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

function parseManifest(bytes: Uint8Array): SnapshotManifest {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as Record<string, unknown>;
  } catch {
    throw invalid('manifest');
  }
  const s = v['signer'] as Record<string, unknown> | null | undefined;
  if (typeof v !== 'object' || v === null || typeof s !== 'object' || s === null) throw invalid('manifest');
  const createdAt = v['created_at'];
  if (
    v['format'] !== SNAPSHOT_FORMAT ||
    !isHex(v['vault_id'], 32) ||
    !isCount(v['schema_version']) ||
    typeof createdAt !== 'string' ||
    Number.isNaN(Date.parse(createdAt)) ||
    !isCount(v['audit_seq']) ||
    !isHex(v['data_sha256'], 64) ||
    !isCount(v['data_bytes']) ||
    !SIGNATURE_ALGS.includes(s['alg'] as SignatureName) ||
    !isCount(s['key_version']) ||
    !isHex(s['key_id'], 32) ||
    typeof s['public_key'] !== 'string'
  ) {
    throw invalid('manifest');
  }
  const manifest: SnapshotManifest = {
    format: SNAPSHOT_FORMAT,
    vaultId: v['vault_id'],
    schemaVersion: v['schema_version'],
    createdAt,
    auditSeq: v['audit_seq'],
    dataSha256: v['data_sha256'],
    dataBytes: v['data_bytes'],
    signer: { alg: s['alg'] as SignatureName, keyVersion: s['key_version'], keyId: s['key_id'], publicKey: s['public_key'] },
  };
  // One spelling only: unknown keys, another order or whitespace do not re-encode the same.
  if (!constantTimeEqual(encodeManifest(manifest), bytes)) throw invalid('manifest not canonical');
  return manifest;
}

/** Splits a snapshot file; `OV_SNAPSHOT_INVALID` for anything but the framing above. */
export function parseSnapshot(bytes: Uint8Array): ParsedSnapshot {
  if (bytes.length < SNAPSHOT_MAGIC.length + 8 || !constantTimeEqual(bytes.subarray(0, SNAPSHOT_MAGIC.length), SNAPSHOT_MAGIC)) {
    throw invalid('not a snapshot file');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = SNAPSHOT_MAGIC.length;
  const mLen = view.getUint32(pos);
  pos += 4;
  if (mLen === 0 || mLen > MAX_MANIFEST_BYTES || pos + mLen + 4 > bytes.length) throw invalid('truncated');
  const manifestBytes = bytes.slice(pos, pos + mLen);
  pos += mLen;
  const sLen = view.getUint32(pos);
  pos += 4;
  if (sLen === 0 || sLen > MAX_SIGNATURE_BYTES || pos + sLen > bytes.length) throw invalid('truncated');
  const signature = bytes.slice(pos, pos + sLen);
  pos += sLen;
  const manifest = parseManifest(manifestBytes);
  return { manifest, manifestBytes, signature, data: bytes.subarray(pos) };
}

/** Who may have signed: a fingerprint kept out of band, or the current vault's signing keys. */
export type SnapshotTrust = { readonly fingerprint: string } | { readonly keys: readonly PublicKeyInfo[] };

/**
 * Checks the signature against `trust`, then the data against the manifest's hash and
 * length. `OV_SNAPSHOT_UNTRUSTED` (signer not trusted, or a bad signature) or
 * `OV_SNAPSHOT_INVALID` (reason `hash`).
 */
export function verifySnapshot(provider: CryptoProvider, s: ParsedSnapshot, trust: SnapshotTrust): void {
  const pk = new Uint8Array(Buffer.from(s.manifest.signer.publicKey, 'base64'));
  const trusted =
    'fingerprint' in trust
      ? constantTimeEqual(utf8(keyFingerprint(pk)), utf8(trust.fingerprint.toLowerCase()))
      : trust.keys.some((k) => k.kind === 'sig-public' && k.alg === s.manifest.signer.alg && constantTimeEqual(k.publicKey, pk));
  if (!trusted) throw new VaultError('OV_SNAPSHOT_UNTRUSTED', { reason: 'signer' });
  let ok = false;
  try {
    ok = provider.signature(s.manifest.signer.alg).verify(s.signature, concatBytes(SIGNING_LABEL, s.manifestBytes), pk);
  } catch {
    ok = false;
  }
  if (!ok) throw new VaultError('OV_SNAPSHOT_UNTRUSTED', { reason: 'signature' });
  if (s.data.length !== s.manifest.dataBytes || hex(sha256(s.data)) !== s.manifest.dataSha256) throw invalid('hash');
}

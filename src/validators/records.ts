/**
 * Rotation records (docs/validators.md, "Rotation records"; ADR 0007): one record per
 * step of a validator slot's life (import, rotate, promote, retire, destroy,
 * signing-state raise), hash-chained per slot and signed with the vault's signature key.
 *
 * - Canonical bytes of a record: its canonical JSON (src/audit/canonical.ts, which for
 *   these values is RFC 8785 JCS), UTF-8.
 * - `prev_hash`: lowercase hex SHA-256 of the canonical bytes of the slot's previous
 *   record, signature included (64 zeros for the first); so the chain also pins every
 *   earlier signature.
 * - `signature`: base64 of the raw ML-DSA-65 (or Falcon-512 round 3) signature over
 *   `"ontoref-vault/validator-record/v1\0" || canonical JSON of every field but signature`.
 *   `alg` and `key_version` name the vault key version and are signed too, so a record
 *   cannot be re-attributed to another key.
 *
 * Pure: no storage, no clock; `verifyValidatorHistory` runs offline from what
 * `GET /v1/validators/{name}/history` returns.
 * @module
 */
import { canonicalJson } from '../audit/canonical.js';
import { concatBytes, utf8 } from '../crypto/bytes.js';
import { sha256 } from '../crypto/kdf.js';
import { selectProvider } from '../crypto/provider.js';
import type { CryptoProvider, SignatureName } from '../crypto/types.js';
import { dearmor } from '../envelope/armor.js';
import { decodeKey, type PublicKeyInfo, type SecretKeyInfo } from '../envelope/keys.js';
import { VaultError } from '../errors.js';
import { toHex as hex } from '../util/bytes.js';

export const RECORD_LABEL = 'ontoref-vault/validator-record/v1\0';
export const RECORD_ACTIONS = ['import', 'rotate', 'promote', 'retire', 'destroy', 'signing-state', 'reactivate'] as const;
export type RecordAction = (typeof RECORD_ACTIONS)[number];
/** `prev_hash` of a slot's first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** Cosmos `{height, round, step}`, Ethereum watermarks, Solana `{}`: flat, JSON-safe. */
export type SigningStateJson = { readonly [field: string]: string | number | null };

export interface ValidatorRecord {
  readonly seq: number;
  readonly slot: string;
  readonly action: RecordAction;
  readonly key_id: string;
  readonly public_key: string;
  readonly prev_key_id: string | null;
  readonly signing_state: SigningStateJson;
  /** RFC 3339. */
  readonly time: string;
  readonly prev_hash: string;
  readonly alg: string;
  readonly key_version: number;
  readonly signature: string;
}

/** What the caller supplies; `alg`, `key_version` and `signature` come from the signing key. */
export type RecordFields = Omit<ValidatorRecord, 'alg' | 'key_version' | 'signature'>;

export type HistoryResult = { ok: true } | { ok: false; seq: number; reason: string };

const RECORD_KEYS = ['seq', 'slot', 'action', 'key_id', 'public_key', 'prev_key_id', 'signing_state', 'time', 'prev_hash', 'alg', 'key_version', 'signature'];
const SORTED_KEYS = [...RECORD_KEYS].sort();
const HEX64 = /^[0-9a-f]{64}$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const MAX_SIGNATURE_B64 = 8192;

function unsignedPart(r: Omit<ValidatorRecord, 'signature'> & { signature?: unknown }): Record<string, unknown> {
  const { signature: _omit, ...rest } = r;
  void _omit;
  return rest;
}

/** The exact bytes the signature covers. */
export function recordMessage(r: Omit<ValidatorRecord, 'signature'>): Uint8Array {
  return concatBytes(utf8(RECORD_LABEL), utf8(canonicalJson(unsignedPart(r) as never)));
}

/** Canonical JSON text of a whole record (what storage keeps and `prev_hash` hashes). */
export function recordText(r: ValidatorRecord): string {
  return canonicalJson(r as never);
}

/** Lowercase hex SHA-256 of the record's canonical bytes: the next record's `prev_hash`. */
export function recordHash(r: ValidatorRecord): string {
  return hex(sha256(utf8(recordText(r))));
}

/** Signs `fields` with a vault signature key ('sig-secret'); returns the complete record. */
export function signRecord(provider: CryptoProvider, key: SecretKeyInfo, fields: RecordFields): ValidatorRecord {
  if (key?.kind !== 'sig-secret') throw new VaultError('OV_KEY_INVALID', { field: 'key', reason: 'not a signature secret key' });
  const unsigned: Omit<ValidatorRecord, 'signature'> = { ...fields, alg: key.alg, key_version: key.keyVersion };
  const problem = shapeProblem({ ...unsigned, signature: '' });
  if (problem !== undefined) throw new VaultError('OV_INVALID_ARGUMENT', { field: `record.${problem}` });
  const sig = provider.signature(key.alg as SignatureName).sign(recordMessage(unsigned), key.secretKey);
  return { ...unsigned, signature: Buffer.from(sig).toString('base64') };
}

function isStringMapValue(v: unknown): boolean {
  return v === null || typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
}

/** The first field that breaks the record shape, or undefined when well formed. */
function shapeProblem(r: unknown): string | undefined {
  if (typeof r !== 'object' || r === null || Array.isArray(r)) return 'record';
  const o = r as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  if (keys.length !== SORTED_KEYS.length || keys.some((k, i) => k !== SORTED_KEYS[i])) return 'fields';
  if (typeof o.seq !== 'number' || !Number.isSafeInteger(o.seq) || o.seq < 1) return 'seq';
  if (typeof o.slot !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,63}$/.test(o.slot)) return 'slot';
  if (typeof o.action !== 'string' || !(RECORD_ACTIONS as readonly string[]).includes(o.action)) return 'action';
  if (typeof o.key_id !== 'string' || o.key_id.length === 0 || o.key_id.length > 64) return 'key_id';
  if (typeof o.public_key !== 'string' || o.public_key.length === 0 || o.public_key.length > 256) return 'public_key';
  if (o.prev_key_id !== null && (typeof o.prev_key_id !== 'string' || o.prev_key_id.length > 64)) return 'prev_key_id';
  const s = o.signing_state;
  if (typeof s !== 'object' || s === null || Array.isArray(s) || Object.values(s).some((v) => !isStringMapValue(v))) return 'signing_state';
  if (typeof o.time !== 'string' || Number.isNaN(Date.parse(o.time))) return 'time';
  if (typeof o.prev_hash !== 'string' || !HEX64.test(o.prev_hash)) return 'prev_hash';
  if (typeof o.alg !== 'string' || o.alg.length === 0 || o.alg.length > 32) return 'alg';
  if (typeof o.key_version !== 'number' || !Number.isSafeInteger(o.key_version) || o.key_version < 1) return 'key_version';
  if (typeof o.signature !== 'string' || o.signature.length > MAX_SIGNATURE_B64 || !BASE64.test(o.signature)) return 'signature';
  return undefined;
}

/** Parses one stored or received record; OV_INVALID_ARGUMENT (detail.field) when malformed. */
export function parseRecord(text: string): ValidatorRecord {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new VaultError('OV_INVALID_ARGUMENT', { field: 'record' });
  }
  const problem = shapeProblem(v);
  if (problem !== undefined) throw new VaultError('OV_INVALID_ARGUMENT', { field: `record.${problem}` });
  return v as ValidatorRecord;
}

function toPublicKey(k: string | PublicKeyInfo): PublicKeyInfo | undefined {
  if (typeof k !== 'string') return k?.kind === 'sig-public' ? k : undefined;
  try {
    const decoded = decodeKey(dearmor(k, 'PUBLIC KEY'));
    return decoded.kind === 'sig-public' ? decoded : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Verifies a slot's complete history: every record well formed, `seq` = 1, 2, 3 ...
 * in order, one slot throughout, each `prev_hash` the hash of the record before (zeros
 * for the first), and each signature valid under the vault public key of its `alg` and
 * `key_version`. `publicKeys` are armored `ONTOREF PUBLIC KEY` strings or decoded keys;
 * KEM keys among them are ignored. Returns the first failure (its seq, counted from 1 by
 * position, and a reason); an empty history is a failure (a slot always has one record).
 *
 * A chain cannot prove that nothing was cut from its end: compare the last record with
 * the live slot (its current keys) or with a previously seen head for that.
 */
export function verifyValidatorHistory(
  records: readonly unknown[],
  publicKeys: readonly (string | PublicKeyInfo)[],
  opts: { provider?: CryptoProvider } = {},
): HistoryResult {
  const provider = opts.provider ?? selectProvider();
  // Array.isArray would narrow to any[]; the element type stays unknown through `list`.
  const list: readonly unknown[] = Array.isArray(records) ? records : [];
  if (list.length === 0) return { ok: false, seq: 0, reason: 'empty' };
  const keys = publicKeys.map(toPublicKey).filter((k): k is PublicKeyInfo => k !== undefined);
  let prevHash = GENESIS_HASH;
  let slot: string | undefined;
  for (let i = 0; i < list.length; i++) {
    const position = i + 1;
    const raw = list[i];
    const problem = shapeProblem(raw);
    if (problem !== undefined) return { ok: false, seq: position, reason: `malformed ${problem}` };
    const r = raw as ValidatorRecord;
    if (r.seq !== position) return { ok: false, seq: position, reason: 'seq out of order' };
    if (slot !== undefined && r.slot !== slot) return { ok: false, seq: position, reason: 'slot changed' };
    slot = r.slot;
    if (r.prev_hash !== prevHash) return { ok: false, seq: position, reason: 'prev_hash does not match the previous record' };
    const candidates = keys.filter((k) => k.alg === r.alg && k.keyVersion === r.key_version);
    if (candidates.length === 0) return { ok: false, seq: position, reason: 'no public key for alg and key_version' };
    const signature = Buffer.from(r.signature, 'base64');
    const message = recordMessage(r);
    const scheme = provider.signature(r.alg as SignatureName);
    if (!candidates.some((k) => scheme.verify(signature, message, k.publicKey))) return { ok: false, seq: position, reason: 'bad signature' };
    prevHash = recordHash(r);
  }
  return { ok: true };
}

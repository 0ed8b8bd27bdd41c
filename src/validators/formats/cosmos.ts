/**
 * CometBFT (Tendermint) validator files: `priv_validator_key.json` (Ed25519 only) and
 * `priv_validator_state.json` (the last height/round/step signed, which is what keeps a
 * validator from double-signing after a restart or a key move).
 *
 * Key file, as CometBFT writes it (amino JSON):
 *   {"address": UPPERHEX(SHA-256(pk)[0..20]),
 *    "pub_key":  {"type": "tendermint/PubKeyEd25519",  "value": base64(pk)},
 *    "priv_key": {"type": "tendermint/PrivKeyEd25519", "value": base64(seed || pk)}}
 * Every part is cross-checked: the seed must give the public key, both copies of the
 * public key must agree, and the address must be the one derived from it.
 * @module
 */
import { VaultError } from '../../errors.js';
import { wipe } from '../../crypto/bytes.js';
import { ed25519PublicKey } from '../../crypto/ed25519.js';
import { sha256 } from '../../crypto/validator-kdf.js';
import type { ValidatorKey } from '../types.js';
import { base64ToBytes, bytesEqual, bytesToBase64, bytesToHex, expectShape, fail, hexToBytes, isUint64String, parseJson } from './encoding.js';

const INVALID = 'OV_VALIDATOR_KEY_INVALID';
const MAX_FILE_CHARS = 16 * 1024;
const PUB_TYPE = 'tendermint/PubKeyEd25519';
const PRIV_TYPE = 'tendermint/PrivKeyEd25519';

/** Cosmos consensus address: uppercase hex of the first 20 bytes of SHA-256(public key). */
export function cosmosAddress(publicKey: Uint8Array): string {
  if (publicKey.length !== 32) throw new VaultError(INVALID, { reason: 'ed25519 public key must be 32 bytes' });
  return bytesToHex(sha256(publicKey).subarray(0, 20)).toUpperCase();
}

/** Parses and cross-checks a `priv_validator_key.json`. The caller wipes `secret`. */
export function parseCosmosKey(json: string): ValidatorKey & { address: string } {
  const doc = expectShape(parseJson(json, MAX_FILE_CHARS, INVALID), '$', ['address', 'pub_key', 'priv_key'], [], INVALID);
  const pub = expectShape(doc.pub_key, 'pub_key', ['type', 'value'], [], INVALID);
  const priv = expectShape(doc.priv_key, 'priv_key', ['type', 'value'], [], INVALID);
  if (pub.type !== PUB_TYPE) fail(INVALID, 'pub_key.type', 'unsupported key type');
  if (priv.type !== PRIV_TYPE) fail(INVALID, 'priv_key.type', 'unsupported key type');
  const publicKey = base64ToBytes(pub.value, 32) ?? fail(INVALID, 'pub_key.value', 'not 32 bytes of base64');
  const full = base64ToBytes(priv.value, 64) ?? fail(INVALID, 'priv_key.value', 'not 64 bytes of base64');
  const secret = full.slice(0, 32);
  try {
    const derived = ed25519PublicKey(secret);
    if (!bytesEqual(derived, full.subarray(32))) fail(INVALID, 'priv_key.value', 'seed does not give the public key');
    if (!bytesEqual(derived, publicKey)) fail(INVALID, 'pub_key.value', 'does not match the private key');
    const address = cosmosAddress(publicKey);
    if (typeof doc.address !== 'string' || hexToBytes(doc.address, 20) === undefined) fail(INVALID, 'address', 'not 20 bytes of hex');
    if (doc.address.toUpperCase() !== address) fail(INVALID, 'address', 'does not match the public key');
    return { chain: 'cosmos', keyType: 'Ed25519', secret, publicKey, address };
  } catch (e) {
    wipe(secret);
    throw e;
  } finally {
    wipe(full);
  }
}

/** Writes a `priv_validator_key.json` (CometBFT's layout, two-space indent). */
export function exportCosmosKey(key: ValidatorKey): string {
  if (key.chain !== 'cosmos' || key.keyType !== 'Ed25519') throw new VaultError(INVALID, { reason: 'not a cosmos Ed25519 key' });
  if (key.secret.length !== 32 || !bytesEqual(ed25519PublicKey(key.secret), key.publicKey)) {
    throw new VaultError(INVALID, { reason: 'public key does not match the secret' });
  }
  const full = new Uint8Array(64);
  full.set(key.secret, 0);
  full.set(key.publicKey, 32);
  try {
    return JSON.stringify(
      {
        address: cosmosAddress(key.publicKey),
        pub_key: { type: PUB_TYPE, value: bytesToBase64(key.publicKey) },
        priv_key: { type: PRIV_TYPE, value: bytesToBase64(full) },
      },
      null,
      2,
    );
  } finally {
    wipe(full);
  }
}

/**
 * CometBFT's last-sign state. `height` is an int64 carried as a decimal string (as in
 * the file); `step` is 0 (none), 1 (propose), 2 (prevote) or 3 (precommit).
 */
export interface CosmosSigningState {
  height: string;
  round: number;
  step: number;
  /** base64 signature of the last signed message, when present. */
  signature?: string;
  /** hex of the last sign bytes, when present. */
  signbytes?: string;
}

const INT64_MAX = (1n << 63n) - 1n;
const INT32_MAX = 2 ** 31 - 1;

function checkState(s: Record<string, unknown>): CosmosSigningState {
  if (!isUint64String(s.height) || BigInt(s.height) > INT64_MAX) fail(INVALID, 'height', 'not a non-negative int64 decimal string');
  if (typeof s.round !== 'number' || !Number.isSafeInteger(s.round) || s.round < 0 || s.round > INT32_MAX) fail(INVALID, 'round', 'not a non-negative int32');
  if (typeof s.step !== 'number' || !Number.isSafeInteger(s.step) || s.step < 0 || s.step > 3) fail(INVALID, 'step', 'not 0..3');
  const out: CosmosSigningState = { height: s.height, round: s.round, step: s.step };
  if (s.signature !== undefined) {
    if (typeof s.signature !== 'string' || (s.signature !== '' && base64ToBytes(s.signature) === undefined)) fail(INVALID, 'signature', 'not base64');
    out.signature = s.signature;
  }
  if (s.signbytes !== undefined) {
    if (typeof s.signbytes !== 'string' || hexToBytes(s.signbytes) === undefined) fail(INVALID, 'signbytes', 'not hex');
    out.signbytes = s.signbytes;
  }
  return out;
}

/** Parses a `priv_validator_state.json`. */
export function parseCosmosState(json: string): CosmosSigningState {
  // Sign bytes of a block proposal can be a few KiB; 1 MiB is far above any real file.
  const doc = expectShape(parseJson(json, 1024 * 1024, INVALID), '$', ['height', 'round', 'step'], ['signature', 'signbytes'], INVALID);
  return checkState(doc);
}

/** Writes a `priv_validator_state.json` (fields in CometBFT's order). */
export function exportCosmosState(s: CosmosSigningState): string {
  const checked = checkState({ ...s });
  const out: Record<string, unknown> = { height: checked.height, round: checked.round, step: checked.step };
  if (checked.signature !== undefined) out.signature = checked.signature;
  if (checked.signbytes !== undefined) out.signbytes = checked.signbytes;
  return JSON.stringify(out, null, 2);
}

/**
 * Transit encryption: encrypt, decrypt, rewrap and datakey, each ciphertext bound to the
 * key's name, version and associated data.
 * @module
 */
import { randomBytes, wipe } from '../crypto/bytes.js';
import { open, seal } from '../envelope/envelope.js';
import { checkOptions } from '../util/options.js';
import { publicKeyOf } from '../envelope/keys.js';
import { VaultError } from '../errors.js';
import { checkName, ciphertextContext, encodeBase64, encodeValue, parseValue } from './format.js';
import type { TransitMaterial } from './keys.js';
import type { Batchable, BatchResult, CiphertextResponse, DatakeyRequest, DatakeyResponse, DecryptItem, EncryptItem, PlaintextResponse, RewrapItem, TransitResult } from './types.js';
import { arg, audit, b64, invalidCiphertext, ITEM_KEYS, optB64, optBool, optVersion } from './inputs.js';
import { asymmetric, decryptionVersion, encryptionVersion, type Key, keyOf, Opened, type TransitContext } from './material.js';
import { run } from './batch.js';

const DATAKEY_BITS = [128, 256, 512];

export function encrypt(ctx: TransitContext, name: string, req: Batchable<EncryptItem>): TransitResult<CiphertextResponse | BatchResult<CiphertextResponse>> {
  return run(ctx, 'encrypt', name, req, 'encrypt', ITEM_KEYS.encrypt, (key, opened, item) => {
    const plaintext = b64('plaintext', item['plaintext']);
    const ad = optB64('associated_data', item['associated_data']);
    const version = encryptionVersion(key, optVersion('key_version', item['key_version']));
    return encryptWith(ctx, key, opened, version, plaintext, ad);
  });
}

export function decrypt(ctx: TransitContext, name: string, req: Batchable<DecryptItem>): TransitResult<PlaintextResponse | BatchResult<PlaintextResponse>> {
  return run(ctx, 'decrypt', name, req, 'encrypt', ITEM_KEYS.decrypt, (key, opened, item) => {
    const ad = optB64('associated_data', item['associated_data']);
    const { version, plaintext } = decryptWith(ctx, key, opened, item['ciphertext'], ad);
    try {
      return { data: { plaintext: encodeBase64(plaintext) }, version };
    } finally {
      wipe(plaintext);
    }
  });
}

export function rewrap(ctx: TransitContext, name: string, req: Batchable<RewrapItem>): TransitResult<CiphertextResponse | BatchResult<CiphertextResponse>> {
  return run(ctx, 'rewrap', name, req, 'encrypt', ITEM_KEYS.rewrap, (key, opened, item) => {
    const ad = optB64('associated_data', item['associated_data']);
    const target = encryptionVersion(key, optVersion('key_version', item['key_version']));
    const { plaintext, version: from } = decryptWith(ctx, key, opened, item['ciphertext'], ad);
    try {
      return { ...encryptWith(ctx, key, opened, target, plaintext, ad), from };
    } finally {
      wipe(plaintext);
    }
  });
}

export function datakey(ctx: TransitContext, name: string, req: DatakeyRequest = {}): TransitResult<DatakeyResponse> {
  checkName(name);
  checkOptions(req, ['plaintext', 'bits', 'associated_data', 'key_version'], 'datakey');
  const withPlaintext = optBool('plaintext', req.plaintext) ?? false;
  const bits = req.bits ?? 256;
  if (!DATAKEY_BITS.includes(bits)) throw arg('bits');
  const ad = optB64('associated_data', req.associated_data);
  const key = keyOf(ctx, name, 'encrypt');
  const opened = new Opened(ctx, key);
  const dk = randomBytes(bits / 8);
  try {
    const version = encryptionVersion(key, optVersion('key_version', req.key_version));
    const { data } = encryptWith(ctx, key, opened, version, dk, ad);
    const out: DatakeyResponse = withPlaintext ? { ...data, plaintext: encodeBase64(dk) } : data;
    return { data: out, audit: audit('datakey', name, [version]) };
  } finally {
    wipe(dk);
    opened.wipe();
  }
}

function encryptWith(ctx: TransitContext, key: Key, opened: Opened, version: number, plaintext: Uint8Array, ad: Uint8Array | undefined): { data: CiphertextResponse; version: number } {
  const sk = asymmetric(opened.get(version));
  const envelope = seal(ctx.provider, { to: publicKeyOf(sk), plaintext, context: ciphertextContext(key.name, version, ad) });
  return { data: { ciphertext: encodeValue(version, envelope), key_version: version }, version };
}

function decryptWith(ctx: TransitContext, key: Key, opened: Opened, ciphertext: unknown, ad: Uint8Array | undefined): { version: number; plaintext: Uint8Array } {
  const parsed = parseValue(ciphertext);
  if (parsed === undefined) throw invalidCiphertext();
  const version = decryptionVersion(key, parsed.version);
  let m: TransitMaterial;
  try {
    m = opened.get(version);
  } catch (e) {
    // A version trimmed away reads as a ciphertext that does not open.
    if (e instanceof VaultError && e.code === 'OV_TRANSIT_KEY_NOT_FOUND') throw invalidCiphertext();
    throw e;
  }
  try {
    return { version, plaintext: open(ctx.provider, { envelope: parsed.body, key: asymmetric(m), context: ciphertextContext(key.name, version, ad) }) };
  } catch (e) {
    if (e instanceof VaultError && e.code === 'OV_ENVELOPE_TOO_LARGE') throw e;
    throw invalidCiphertext();
  }
}

/**
 * Transit signatures and MACs: sign, verify and hmac, with the prehash rules for ML-DSA.
 * @module
 */
import { constantTimeEqual } from '../crypto/bytes.js';
import { hashMlDsaSign, hashMlDsaVerify, hmacSha3_256 } from '../crypto/hash-ml-dsa.js';
import { hmac as hmacSha2 } from '../crypto/kdf.js';
import type { SignatureName } from '../crypto/types.js';
import { VaultError } from '../errors.js';
import { encodeValue, parseValue } from './format.js';
import { purposeOf, type TransitKeyType } from './keys.js';
import type { Batchable, BatchResult, HmacItem, HmacResponse, SignatureResponse, SignItem, TransitResult, VerifyItem, VerifyResponse } from './types.js';
import { arg, b64, invalidCiphertext, ITEM_KEYS, optBool, optVersion } from './inputs.js';
import { asymmetric, decryptionVersion, encryptionVersion, type Key, type TransitContext } from './material.js';
import { run } from './batch.js';

export function sign(ctx: TransitContext, name: string, req: Batchable<SignItem>): TransitResult<SignatureResponse | BatchResult<SignatureResponse>> {
  return run(ctx, 'sign', name, req, 'sign', ITEM_KEYS.sign, (key, opened, item) => {
    const input = b64('input', item['input']);
    const prehashed = checkPrehash(key, item);
    const version = encryptionVersion(key, optVersion('key_version', item['key_version']));
    const sk = asymmetric(opened.get(version));
    const alg = sk.alg as SignatureName;
    const signature = prehashed
      ? hashMlDsaSign(alg as 'ML-DSA-65' | 'ML-DSA-87', input, sk.secretKey)
      : ctx.provider.signature(alg).sign(input, sk.secretKey);
    return { data: { signature: encodeValue(version, signature), key_version: version }, version };
  });
}

export function verify(ctx: TransitContext, name: string, req: Batchable<VerifyItem>): TransitResult<VerifyResponse | BatchResult<VerifyResponse>> {
  return run(ctx, 'verify', name, req, ['sign', 'hmac'], ITEM_KEYS.verify, (key, opened, item) => {
    const purpose = purposeOf(key.type);
    const input = b64('input', item['input']);
    const field = purpose === 'sign' ? 'signature' : 'hmac';
    if (item[purpose === 'sign' ? 'hmac' : 'signature'] !== undefined) throw arg(purpose === 'sign' ? 'hmac' : 'signature', 'wrong field for the key type');
    const prehashed = purpose === 'sign' ? checkPrehash(key, item) : checkNoPrehash(item);
    const parsed = parseValue(item[field]);
    if (parsed === undefined) throw invalidCiphertext();
    const version = decryptionVersion(key, parsed.version);
    const m = opened.get(version);
    let valid: boolean;
    if (m.kind === 'hmac') {
      const mac = keyedMac(key.type, m.key, input);
      valid = constantTimeEqual(mac, parsed.body);
    } else {
      const alg = m.key.alg as SignatureName;
      valid = prehashed
        ? hashMlDsaVerify(alg as 'ML-DSA-65' | 'ML-DSA-87', parsed.body, input, m.key.publicKey)
        : ctx.provider.signature(alg).verify(parsed.body, input, m.key.publicKey);
    }
    return { data: { valid }, version };
  });
}

export function hmac(ctx: TransitContext, name: string, req: Batchable<HmacItem>): TransitResult<HmacResponse | BatchResult<HmacResponse>> {
  return run(ctx, 'hmac', name, req, 'hmac', ITEM_KEYS.hmac, (key, opened, item) => {
    const input = b64('input', item['input']);
    const version = encryptionVersion(key, optVersion('key_version', item['key_version']));
    const m = opened.get(version);
    if (m.kind !== 'hmac') throw new VaultError('OV_TRANSIT_UNSUPPORTED_OPERATION');
    return { data: { hmac: encodeValue(version, keyedMac(key.type, m.key, input)), key_version: version }, version };
  });
}

function keyedMac(type: TransitKeyType, key: Uint8Array, input: Uint8Array): Uint8Array {
  return type === 'hmac-sha3-256' ? hmacSha3_256(key, input) : hmacSha2('SHA-256', key, input);
}

/** `prehashed` of a sign or verify item: only ML-DSA, only SHA-512 (`hash_algorithm` `sha2-512`). */
function checkPrehash(key: Key, item: Record<string, unknown>): boolean {
  const prehashed = optBool('prehashed', item['prehashed']) ?? false;
  const hash = item['hash_algorithm'];
  if (hash !== undefined && (typeof hash !== 'string' || hash !== 'sha2-512')) throw new VaultError('OV_TRANSIT_PREHASH_UNSUPPORTED', { field: 'hash_algorithm' });
  if (prehashed && key.type === 'falcon-512') throw new VaultError('OV_TRANSIT_PREHASH_UNSUPPORTED');
  return prehashed;
}

function checkNoPrehash(item: Record<string, unknown>): false {
  if (item['prehashed'] !== undefined || item['hash_algorithm'] !== undefined) throw new VaultError('OV_TRANSIT_PREHASH_UNSUPPORTED');
  return false;
}

/**
 * Transit key lifecycle: create, read, list, rotate, config, delete and trim.
 * @module
 */
import { wipe } from '../crypto/bytes.js';
import { armor } from '../envelope/armor.js';
import { checkOptions } from '../util/options.js';
import { deriveKeyId, encodeKey, type PublicKeyInfo } from '../envelope/keys.js';
import { VaultError } from '../errors.js';
import type { TransitKeyRecord, TransitVersionRecord } from '../storage/transit-types.js';
import { checkName } from './format.js';
import { algOf, encodeMaterial, generateMaterial, isTransitKeyType, purposeOf, type TransitKeyType } from './keys.js';
import type { ConfigRequest, CreateRequest, TransitKeyInfo, TransitResult } from './types.js';
import { arg, audit, optBool, optVersion } from './inputs.js';
import { insertVersion, keyOf, type TransitContext, wipeMaterial } from './material.js';

/** The public key of a row, for listings (the authoritative copy is in the sealed record). */
function publicInfo(type: TransitKeyType, row: TransitVersionRecord): PublicKeyInfo | undefined {
  const alg = algOf(type);
  if (alg === undefined || row.publicKey === null) return undefined;
  const kind = purposeOf(type) === 'encrypt' ? 'kem-public' : 'sig-public';
  return { kind, alg, keyVersion: row.version, keyId: deriveKeyId(alg, row.publicKey), publicKey: row.publicKey };
}

export function create(ctx: TransitContext, name: string, req: CreateRequest = {}): TransitResult<TransitKeyInfo> {
  checkName(name);
  checkOptions(req, ['type', 'exportable', 'allow_plaintext_backup', 'deletion_allowed'], 'create');
  const type = req.type ?? 'xwing';
  if (!isTransitKeyType(type)) throw new VaultError('OV_ALGORITHM_UNSUPPORTED', { field: 'type' });
  const exportable = optBool('exportable', req.exportable) ?? false;
  const allowPlaintextBackup = optBool('allow_plaintext_backup', req.allow_plaintext_backup) ?? false;
  const deletionAllowed = optBool('deletion_allowed', req.deletion_allowed) ?? false;
  ctx.sealed.keyring();
  const material = generateMaterial(ctx.provider, type, 1);
  const bytes = encodeMaterial(material);
  try {
    const now = ctx.now();
    ctx.storage.transaction(() => {
      const existing = ctx.storage.transit.getKey(name);
      if (existing !== undefined) {
        if (existing.type !== type) throw new VaultError('OV_TRANSIT_KEY_EXISTS');
        return;
      }
      ctx.storage.transit.insertKey({
        name,
        type,
        latestVersion: 1,
        minDecryptionVersion: 1,
        minEncryptionVersion: 0,
        deletionAllowed,
        exportable,
        allowPlaintextBackup,
        createdAt: now,
        updatedAt: now,
      });
      insertVersion(ctx, name, 1, material, bytes, now);
    });
  } finally {
    wipe(bytes);
    wipeMaterial(material);
  }
  return { data: read(ctx, name).data, audit: audit('create', name, [1]) };
}

export function read(ctx: TransitContext, name: string): TransitResult<TransitKeyInfo> {
  const key = keyOf(ctx, name);
  const rows = ctx.storage.transit.listVersions(name);
  const keys: TransitKeyInfo['keys'] = {};
  for (const r of rows) {
    const pub = publicInfo(key.type, r);
    keys[String(r.version)] = pub === undefined ? { creation_time: r.createdAt } : { creation_time: r.createdAt, public_key: armor('PUBLIC KEY', encodeKey(pub)) };
  }
  const purpose = purposeOf(key.type);
  return {
    data: {
      name,
      type: key.type,
      latest_version: key.latestVersion,
      min_decryption_version: key.minDecryptionVersion,
      min_encryption_version: key.minEncryptionVersion,
      min_available_version: rows[0]?.version ?? key.latestVersion,
      deletion_allowed: key.deletionAllowed,
      exportable: key.exportable,
      allow_plaintext_backup: key.allowPlaintextBackup,
      supports_encryption: purpose === 'encrypt',
      supports_decryption: purpose === 'encrypt',
      supports_signing: purpose === 'sign',
      supports_derivation: false,
      keys,
    },
    audit: audit('read', name, []),
  };
}

export function list(ctx: TransitContext): string[] {
  return ctx.storage.transit.listKeys();
}

export function rotate(ctx: TransitContext, name: string): TransitResult<TransitKeyInfo> {
  checkName(name);
  ctx.sealed.keyring();
  const version = ctx.storage.transaction(() => {
    const key = keyOf(ctx, name);
    const v = key.latestVersion + 1;
    const material = generateMaterial(ctx.provider, key.type, v);
    const bytes = encodeMaterial(material);
    try {
      const now = ctx.now();
      ctx.storage.transit.updateKey({ ...key, latestVersion: v, updatedAt: now });
      insertVersion(ctx, name, v, material, bytes, now);
    } finally {
      wipe(bytes);
      wipeMaterial(material);
    }
    return v;
  });
  return { data: read(ctx, name).data, audit: audit('rotate', name, [version]) };
}

export function config(ctx: TransitContext, name: string, req: ConfigRequest): TransitResult<TransitKeyInfo> {
  checkName(name);
  checkOptions(req, ['min_decryption_version', 'min_encryption_version', 'deletion_allowed', 'exportable', 'allow_plaintext_backup'], 'config');
  ctx.storage.transaction(() => {
    const key = keyOf(ctx, name);
    const minAvailable = ctx.storage.transit.listVersions(name)[0]?.version ?? key.latestVersion;
    const next: TransitKeyRecord = { ...key, updatedAt: ctx.now() };
    const minDec = optVersion('min_decryption_version', req.min_decryption_version);
    if (minDec !== undefined) {
      if (minDec > key.latestVersion || minDec < minAvailable) throw arg('min_decryption_version', 'outside the stored versions');
      next.minDecryptionVersion = minDec;
    }
    if (req.min_encryption_version !== undefined) {
      const minEnc = req.min_encryption_version;
      if (typeof minEnc !== 'number' || !Number.isSafeInteger(minEnc) || minEnc < 0 || minEnc > key.latestVersion) {
        throw arg('min_encryption_version');
      }
      next.minEncryptionVersion = minEnc;
    }
    if (next.minEncryptionVersion !== 0 && next.minEncryptionVersion < next.minDecryptionVersion) {
      throw arg('min_encryption_version', 'below min_decryption_version');
    }
    const del = optBool('deletion_allowed', req.deletion_allowed);
    if (del !== undefined) next.deletionAllowed = del;
    const exp = optBool('exportable', req.exportable);
    if (exp !== undefined) {
      if (key.exportable && !exp) throw arg('exportable', 'cannot be disabled');
      next.exportable = exp;
    }
    const backup = optBool('allow_plaintext_backup', req.allow_plaintext_backup);
    if (backup !== undefined) {
      if (key.allowPlaintextBackup && !backup) throw arg('allow_plaintext_backup', 'cannot be disabled');
      next.allowPlaintextBackup = backup;
    }
    ctx.storage.transit.updateKey(next);
    // The version check refuses them anyway; holding them in memory serves nothing.
    ctx.cache.evictKey(name, next.minDecryptionVersion);
  });
  return { data: read(ctx, name).data, audit: audit('config', name, []) };
}

export function deleteKey(ctx: TransitContext, name: string): TransitResult<{ deleted: true }> {
  checkName(name);
  ctx.storage.transaction(() => {
    const key = keyOf(ctx, name);
    if (!key.deletionAllowed) throw new VaultError('OV_TRANSIT_DELETION_NOT_ALLOWED');
    ctx.storage.transit.deleteKey(name);
    ctx.cache.evictKey(name);
  });
  return { data: { deleted: true }, audit: audit('delete', name, []) };
}

export function trim(ctx: TransitContext, name: string, req: { min_available_version: number }): TransitResult<{ trimmed: number }> {
  checkName(name);
  checkOptions(req, ['min_available_version'], 'trim');
  const min = optVersion('min_available_version', req.min_available_version);
  if (min === undefined) throw arg('min_available_version');
  const trimmed = ctx.storage.transaction(() => {
    const key = keyOf(ctx, name);
    if (min > key.minDecryptionVersion) throw arg('min_available_version', 'above min_decryption_version');
    if (key.minEncryptionVersion !== 0 && min > key.minEncryptionVersion) throw arg('min_available_version', 'above min_encryption_version');
    ctx.cache.evictKey(name, min);
    return ctx.storage.transit.deleteVersionsBelow(name, min);
  });
  return { data: { trimmed }, audit: { ...audit('trim', name, []), count: trimmed } };
}

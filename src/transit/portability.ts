/**
 * Transit key portability: export of exportable keys, and backups sealed to another
 * vault and signed by this one, with the strict parser that restores them.
 * @module
 */
import { utf8, wipe } from '../crypto/bytes.js';
import { armor, dearmor } from '../envelope/armor.js';
import { openWith, seal } from '../envelope/envelope.js';
import { checkOptions } from '../util/options.js';
import { decodeKey, encodeKey, type PublicKeyInfo, type SecretKeyInfo } from '../envelope/keys.js';
import { VaultError } from '../errors.js';
import { vaultVerifyKeys } from '../keyring/sealed-records.js';
import { checkName, decodeBase64, encodeBase64, TRANSIT_BACKUP_LABEL } from './format.js';
import { decodeMaterial, encodeMaterial, isTransitKeyType, purposeOf, type TransitKeyType, type TransitMaterial, type TransitPurpose } from './keys.js';
import type { BackupRequest, ExportResponse, ExportType, RestoreRequest, TransitKeyInfo, TransitResult } from './types.js';
import { arg, audit, isRecord, optBool, optVersion } from './inputs.js';
import { insertVersion, keyOf, openVersion, type TransitContext, wipeMaterial } from './material.js';
import { read } from './lifecycle.js';

export function exportKey(ctx: TransitContext, type: ExportType, name: string, version?: number): TransitResult<ExportResponse> {
  checkName(name);
  const key = keyOf(ctx, name);
  const wanted: Record<ExportType, TransitPurpose> = { 'encryption-key': 'encrypt', 'signing-key': 'sign', 'hmac-key': 'hmac' };
  if (!Object.hasOwn(wanted, type)) throw arg('type');
  if (wanted[type] !== purposeOf(key.type)) throw new VaultError('OV_TRANSIT_UNSUPPORTED_OPERATION');
  if (!key.exportable) throw new VaultError('OV_TRANSIT_EXPORT_NOT_ALLOWED');
  const v = optVersion('version', version);
  const rows = ctx.storage.transit.listVersions(name).filter((r) => v === undefined || r.version === v);
  if (rows.length === 0) throw new VaultError('OV_TRANSIT_KEY_NOT_FOUND', { name, version: v ?? 0 });
  const keys: Record<string, string> = {};
  for (const r of rows) {
    const m = openVersion(ctx, key, r.version);
    try {
      keys[String(r.version)] = m.kind === 'hmac' ? encodeBase64(m.key) : armorSecret(m.key);
    } finally {
      wipeMaterial(m);
    }
  }
  return { data: { name, type: key.type, keys }, audit: audit('export', name, rows.map((r) => r.version)) };
}

export function backup(ctx: TransitContext, name: string, req: BackupRequest): TransitResult<{ backup: string }> {
  checkName(name);
  checkOptions(req, ['recipient'], 'backup');
  const recipient = publicKey(ctx, 'recipient', req.recipient, 'kem-public');
  const key = keyOf(ctx, name);
  if (!key.allowPlaintextBackup) throw new VaultError('OV_TRANSIT_EXPORT_NOT_ALLOWED');
  const rows = ctx.storage.transit.listVersions(name);
  const versions: BackupVersion[] = [];
  for (const r of rows) {
    const m = openVersion(ctx, key, r.version);
    const bytes = encodeMaterial(m);
    versions.push({ version: r.version, created_at: r.createdAt, key: encodeBase64(bytes) });
    wipe(bytes);
    wipeMaterial(m);
  }
  const body: BackupBody = {
    format: 1,
    name,
    type: key.type,
    latest_version: key.latestVersion,
    min_decryption_version: key.minDecryptionVersion,
    min_encryption_version: key.minEncryptionVersion,
    deletion_allowed: key.deletionAllowed,
    exportable: key.exportable,
    allow_plaintext_backup: key.allowPlaintextBackup,
    created_at: key.createdAt,
    versions,
  };
  const plaintext = utf8(JSON.stringify(body));
  try {
    const envelope = seal(ctx.provider, { to: recipient, plaintext, context: TRANSIT_BACKUP_LABEL, sign: ctx.sealed.signer() });
    return { data: { backup: encodeBase64(envelope) }, audit: audit('backup', name, rows.map((r) => r.version)) };
  } finally {
    wipe(plaintext);
  }
}

export function restore(ctx: TransitContext, backup: string, req: RestoreRequest = {}): TransitResult<TransitKeyInfo> {
  checkOptions(req, ['name', 'force', 'trusted'], 'restore');
  const force = optBool('force', req.force) ?? false;
  if (req.name !== undefined) checkName(req.name);
  const keyring = ctx.sealed.keyring();
  const envelope = decodeBase64(backup);
  if (envelope === undefined) throw new VaultError('OV_TRANSIT_BACKUP_INVALID');
  if (req.trusted !== undefined && !Array.isArray(req.trusted)) throw arg('trusted');
  const trusted = req.trusted?.map((k, i) => publicKey(ctx, `trusted.${i}`, k, 'sig-public')) ?? vaultVerifyKeys(keyring);
  let plaintext: Uint8Array;
  try {
    plaintext = openWith(ctx.provider, {
      envelope,
      context: TRANSIT_BACKUP_LABEL,
      verify: trusted,
      key: (header) => {
        if (!header.signed) throw new VaultError('OV_TRANSIT_BACKUP_INVALID');
        return keyring.get('kem', header.keyVersion);
      },
    });
  } catch (e) {
    if (e instanceof VaultError && (e.code === 'OV_SEALED' || e.code === 'OV_KEY_INVALID')) throw e;
    throw new VaultError('OV_TRANSIT_BACKUP_INVALID');
  }
  const materials: { version: number; createdAt: number; material: TransitMaterial }[] = [];
  let body: BackupBody;
  try {
    body = parseBackup(plaintext);
    for (const v of body.versions) {
      const raw = decodeBase64(v.key);
      const m = raw === undefined ? undefined : decodeMaterial(ctx.provider, body.type, v.version, raw);
      wipe(raw);
      if (m === undefined) throw new VaultError('OV_TRANSIT_BACKUP_INVALID');
      materials.push({ version: v.version, createdAt: v.created_at, material: m });
    }
  } finally {
    wipe(plaintext);
  }
  const name = req.name ?? body.name;
  try {
    ctx.storage.transaction(() => {
      if (ctx.storage.transit.getKey(name) !== undefined) {
        if (!force) throw new VaultError('OV_TRANSIT_KEY_EXISTS');
        ctx.storage.transit.deleteKey(name);
        ctx.cache.evictKey(name);
      }
      ctx.storage.transit.insertKey({
        name,
        type: body.type,
        latestVersion: body.latest_version,
        minDecryptionVersion: body.min_decryption_version,
        minEncryptionVersion: body.min_encryption_version,
        deletionAllowed: body.deletion_allowed,
        exportable: body.exportable,
        allowPlaintextBackup: body.allow_plaintext_backup,
        createdAt: body.created_at,
        updatedAt: ctx.now(),
      });
      for (const m of materials) {
        const bytes = encodeMaterial(m.material);
        try {
          insertVersion(ctx, name, m.version, m.material, bytes, m.createdAt);
        } finally {
          wipe(bytes);
        }
      }
    });
  } finally {
    for (const m of materials) wipeMaterial(m.material);
  }
  return { data: read(ctx, name).data, audit: audit('restore', name, materials.map((m) => m.version)) };
}

/** A public key given as such or as an armored key file; OV_KEY_INVALID unless of `kind`. */
function publicKey(ctx: TransitContext, field: string, k: unknown, kind: PublicKeyInfo['kind']): PublicKeyInfo {
  const key = typeof k === 'string' ? decodeKey(dearmor(k, 'PUBLIC KEY'), ctx.provider) : k;
  if (!isRecord(key) || key['kind'] !== kind) throw new VaultError('OV_KEY_INVALID', { field });
  return key as unknown as PublicKeyInfo;
}

interface BackupVersion {
  version: number;
  created_at: number;
  key: string;
}

interface BackupBody {
  format: 1;
  name: string;
  type: TransitKeyType;
  latest_version: number;
  min_decryption_version: number;
  min_encryption_version: number;
  deletion_allowed: boolean;
  exportable: boolean;
  allow_plaintext_backup: boolean;
  created_at: number;
  versions: BackupVersion[];
}

const BACKUP_KEYS = [
  'format',
  'name',
  'type',
  'latest_version',
  'min_decryption_version',
  'min_encryption_version',
  'deletion_allowed',
  'exportable',
  'allow_plaintext_backup',
  'created_at',
  'versions',
];

/** Strict parse of a backup's plaintext; anything off is OV_TRANSIT_BACKUP_INVALID. */
function parseBackup(plaintext: Uint8Array): BackupBody {
  const bad = (): VaultError => new VaultError('OV_TRANSIT_BACKUP_INVALID');
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext));
  } catch {
    throw bad();
  }
  if (!isRecord(v) || Object.keys(v).some((k) => !BACKUP_KEYS.includes(k)) || v['format'] !== 1) throw bad();
  const int = (x: unknown, min: number): number => {
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < min) throw bad();
    return x;
  };
  const bool = (x: unknown): boolean => {
    if (typeof x !== 'boolean') throw bad();
    return x;
  };
  if (typeof v['name'] !== 'string') throw bad();
  try {
    checkName(v['name']);
  } catch {
    throw bad();
  }
  if (!isTransitKeyType(v['type'])) throw bad();
  const latest = int(v['latest_version'], 1);
  const minDec = int(v['min_decryption_version'], 1);
  const minEnc = int(v['min_encryption_version'], 0);
  if (minDec > latest || minEnc > latest) throw bad();
  const list = v['versions'];
  if (!Array.isArray(list) || list.length === 0) throw bad();
  const versions: BackupVersion[] = [];
  let prev = 0;
  for (const item of list) {
    if (!isRecord(item) || Object.keys(item).some((k) => !['version', 'created_at', 'key'].includes(k))) throw bad();
    const version = int(item['version'], 1);
    if (version <= prev || version > latest || typeof item['key'] !== 'string') throw bad();
    prev = version;
    versions.push({ version, created_at: int(item['created_at'], 0), key: item['key'] });
  }
  if (prev !== latest || (versions[0] as BackupVersion).version > minDec) throw bad();
  return {
    format: 1,
    name: v['name'],
    type: v['type'],
    latest_version: latest,
    min_decryption_version: minDec,
    min_encryption_version: minEnc,
    deletion_allowed: bool(v['deletion_allowed']),
    exportable: bool(v['exportable']),
    allow_plaintext_backup: bool(v['allow_plaintext_backup']),
    created_at: int(v['created_at'], 0),
    versions,
  };
}

function armorSecret(sk: SecretKeyInfo): string {
  const bytes = encodeKey(sk);
  try {
    return armor('SECRET KEY', bytes);
  } finally {
    wipe(bytes);
  }
}

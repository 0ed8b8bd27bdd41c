/**
 * Online snapshots: a consistent copy of the whole database (storage's `snapshot`, one
 * read transaction) written to a temporary file in the data dir, read back, signed with
 * the vault's ML-DSA `sign` key and framed with its manifest (./format.ts). Only an
 * unsealed vault can sign, so the daemon takes snapshots; the copy holds what vault.db
 * holds (envelopes, wrapped keys), never the root key.
 * @module
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/types.js';
import { VaultError } from '../errors.js';
import { keyringPublicKeys, type Keyring } from '../keyring/index.js';
import { SEAL_META_NAME, parseSealConfig } from '../seal/index.js';
import type { Storage } from '../storage/types.js';
import { encodeSnapshot, keyFingerprint, type SnapshotManifest } from './format.js';

export interface SnapshotServiceDeps {
  readonly storage: Storage;
  readonly provider: CryptoProvider;
  readonly keyring: () => Keyring | undefined;
  /** Where the temporary copy is written (the data dir: same file system, same permissions). */
  readonly dir: string;
  readonly now: () => number;
}

export interface TakenSnapshot {
  readonly bytes: Uint8Array;
  readonly manifest: SnapshotManifest;
}

/** The seal configuration's vault id; undefined before setup. */
export function vaultIdOf(storage: Storage): Uint8Array | undefined {
  const raw = storage.meta.get(SEAL_META_NAME);
  return raw === undefined ? undefined : parseSealConfig(raw).vaultId;
}

/**
 * The fingerprint of the key that signs snapshots (the newest ML-DSA-65 `sign` version),
 * read without the root key; undefined before setup. `vault setup` prints it.
 */
export function snapshotKeyFingerprint(storage: Storage): string | undefined {
  const keys = keyringPublicKeys(storage).filter((k) => k.kind === 'sig-public' && k.alg === 'ML-DSA-65');
  const newest = keys.reduce<(typeof keys)[number] | undefined>((a, k) => (a === undefined || k.keyVersion > a.keyVersion ? k : a), undefined);
  return newest === undefined ? undefined : keyFingerprint(newest.publicKey);
}

export class SnapshotService {
  readonly #d: SnapshotServiceDeps;

  constructor(deps: SnapshotServiceDeps) {
    this.#d = deps;
  }

  /** `OV_SEALED` while sealed, `OV_SNAPSHOT_UNSUPPORTED` on a backend with nothing on disk. */
  take(): TakenSnapshot {
    const { storage, provider, dir, now } = this.#d;
    const keyring = this.#d.keyring();
    if (keyring === undefined) throw new VaultError('OV_SEALED');
    const vaultId = vaultIdOf(storage);
    if (vaultId === undefined) throw new VaultError('OV_NOT_INITIALIZED');
    const tmp = join(dir, `.snapshot-${Buffer.from(randomBytes(8)).toString('hex')}.tmp`);
    try {
      const info = storage.snapshot(tmp);
      let data: Uint8Array;
      try {
        data = new Uint8Array(readFileSync(tmp));
      } catch (e) {
        throw new VaultError('OV_IO', { op: 'read snapshot copy' }, { cause: e });
      }
      // The ML-DSA key every vault has, so a fingerprint printed at setup checks every snapshot.
      return encodeSnapshot(provider, keyring.current('sign'), { vaultId, schemaVersion: info.schemaVersion, auditSeq: info.auditSeq, createdAt: now() }, data);
    } finally {
      try {
        unlinkSync(tmp);
      } catch {
        // never created, or already gone
      }
    }
  }
}

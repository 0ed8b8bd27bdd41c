/**
 * Key rotation as domain logic: list the keyring's policies, rotate a key, rewrap every
 * store of sealed rows, and raise a key's minimum decryption version. Rotation only adds
 * versions; retiring one means raising the minimum decryption version, which for `kem`
 * is refused with OV_REWRAP_REQUIRED while any store still holds a row sealed below the
 * requested version (a row there would become unreadable for good). The stores are given
 * as rewrap row sources, so this module knows nothing about secrets or validators.
 * @module
 */
import { VaultError } from '../errors.js';
import type { KeyName, KeyPolicy, KeyVersionInfo } from './keyring.js';
import { checkCount, rewrapAll, DEFAULT_REWRAP_BATCH, MAX_REWRAP_BATCH, type RewrapProgress, type RewrapSource } from './rewrap-loop.js';
import type { SealedRecords } from './sealed-records.js';

export interface KeyRotationDeps {
  readonly sealed: SealedRecords;
  readonly now: () => number;
  /** Every store of rows sealed under `kem`, rewrapped in this order. */
  readonly sources: () => readonly RewrapSource<unknown>[];
}

export interface KeyRewrapOptions {
  /** Rows per transaction (1..1000, default 100). */
  readonly batchSize?: number;
  /** Stop after this many rows across every store (progress in slices). */
  readonly maxVersions?: number;
  readonly onProgress?: (p: RewrapProgress) => void;
}

export interface KeyRewrapResult {
  readonly rewrapped: number;
  /** Rows that did not open (left unchanged). */
  readonly failed: number;
  /** Rows in every store still sealed under an older KEM key version. */
  readonly remaining: number;
  /** The current KEM key version. */
  readonly keyVersion: number;
  readonly done: boolean;
}

export class KeyRotation {
  readonly #deps: KeyRotationDeps;

  constructor(deps: KeyRotationDeps) {
    this.#deps = deps;
  }

  /** Public information on every key and its versions. */
  policies(): KeyPolicy[] {
    return this.#deps.sealed.keyring().list();
  }

  /** One key's policy; OV_KEY_NOT_FOUND for a name the vault does not have. */
  policy(name: KeyName): KeyPolicy {
    const p = this.policies().find((x) => x.name === name);
    if (p === undefined) throw new VaultError('OV_KEY_NOT_FOUND');
    return p;
  }

  /** Adds a new version of `name` and makes it current. */
  rotate(name: KeyName): KeyVersionInfo {
    return this.#deps.sealed.keyring().rotate(name, this.#deps.now());
  }

  /**
   * Retires the versions of `name` below `version`. For `kem`, OV_REWRAP_REQUIRED (detail
   * `remaining`) while any row is still sealed below it; rewrap first.
   */
  setMinDecryptVersion(name: KeyName, version: number): KeyPolicy {
    const keyring = this.#deps.sealed.keyring();
    if (name === 'kem') {
      const current = keyring.list().find((x) => x.name === 'kem')?.minDecryptVersion ?? 1;
      const remaining = version > current ? this.#countStale(version) : 0;
      if (remaining > 0) throw new VaultError('OV_REWRAP_REQUIRED', { remaining });
    }
    keyring.setMinDecryptVersion(name, version);
    return this.policy(name);
  }

  /**
   * Re-seals rows of every store still under an older `kem` version, store by store in
   * order, within one budget of `maxVersions` rows. Resumable: call again until `done`.
   * Only `kem` seals rows (OV_INVALID_ARGUMENT for any other name).
   */
  rewrap(name: KeyName, opts: KeyRewrapOptions = {}): KeyRewrapResult {
    if (name !== 'kem') throw new VaultError('OV_INVALID_ARGUMENT', { field: 'name' });
    const { sealed } = this.#deps;
    const batchSize = checkCount(opts.batchSize, 'batch_size', MAX_REWRAP_BATCH, DEFAULT_REWRAP_BATCH);
    let budget = checkCount(opts.maxVersions, 'max_versions', Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
    const keyVersion = sealed.currentKemVersion();
    let rewrapped = 0;
    let failed = 0;
    let skipped = 0;
    let remaining = 0;
    for (const source of this.#deps.sources()) {
      if (budget < 1) {
        remaining += source.countStale(keyVersion);
        continue;
      }
      const base = { rewrapped, failed, skipped };
      const r = rewrapAll(sealed, source, {
        batchSize,
        maxRows: budget,
        ...(opts.onProgress === undefined
          ? {}
          : { onProgress: (p: RewrapProgress) => opts.onProgress?.({ rewrapped: base.rewrapped + p.rewrapped, failed: base.failed + p.failed, skipped: base.skipped + p.skipped }) }),
      });
      rewrapped += r.rewrapped;
      failed += r.failed;
      skipped += r.skipped;
      remaining += r.remaining;
      budget -= r.rewrapped + r.failed + r.skipped;
    }
    return { rewrapped, failed, remaining, keyVersion, done: remaining === 0 };
  }

  #countStale(kemVersion: number): number {
    let n = 0;
    for (const source of this.#deps.sources()) n += source.countStale(kemVersion);
    return n;
  }
}

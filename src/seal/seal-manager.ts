/**
 * The seal state machine: uninitialised -> (initialise) -> unsealed <-> sealed, over one
 * MetaStore blob (ADR 0003). While unsealed the 256-bit root key lives in this object's
 * memory and nowhere else; sealing wipes it. Unsealing follows the seal mode chosen at
 * initialisation: t Shamir shares submitted one at a time (like Vault's `sys/unseal`,
 * with `progress` and an attempt `nonce`), a passphrase, or an unseal key file.
 *
 * Every candidate root key is accepted only if it opens the stored root-key check value,
 * so wrong shares, a wrong passphrase or a wrong key file fail with one OV_UNSEAL_FAILED
 * and leave no partial state. Asynchronous operations (share combination, argon2id) run
 * one at a time, which also bounds argon2id's memory to one derivation; `seal()` and
 * `reset()` act at once and make any operation still in flight discard its result.
 * @module
 */
import { VaultError } from '../errors.js';
import { ARGON2_CAPS, ARGON2_FLOOR, type Argon2Params } from '../crypto/argon2.js';
import { constantTimeEqual, randomBytes, utf8, wipe } from '../crypto/bytes.js';
import { SHAMIR_MAX_SHARES, shamirCombine, shamirSplit } from '../crypto/shamir.js';
import type { MetaStore } from '../storage/types.js';
import { removeUnsealKeyFile, writeUnsealKeyFile } from './keyfile.js';
import {
  DEFAULT_PASSPHRASE_KDF,
  PASSPHRASE_SALT_BYTES,
  SEAL_META_NAME,
  acceptRootKey,
  deriveKeyFileKey,
  derivePassphraseKey,
  encodeSealConfig,
  generateRootKey,
  generateVaultId,
  makeRootKeyCheck,
  parseSealConfig,
  unwrapRootKey,
  wrapRootKey,
  type SealConfig,
  type SealMode,
} from './rootkey.js';
import { decodeShare, encodeShare, type DecodedShare } from './shares.js';

export const DEFAULT_SHARES = 5;
export const DEFAULT_THRESHOLD = 3;
/** Shortest unseal passphrase accepted at initialisation, in Unicode code points. */
export const PASSPHRASE_MIN_CHARS = 12;
/** Longest passphrase accepted, in UTF-8 bytes after NFC normalisation. */
export const PASSPHRASE_MAX_BYTES = 1024;

export type InitOptions =
  | { readonly mode: 'shamir'; readonly shares?: number; readonly threshold?: number }
  | { readonly mode: 'passphrase'; readonly passphrase: string; readonly kdf?: Argon2Params }
  | { readonly mode: 'keyfile'; readonly keyFilePath: string };

export type InitResult =
  /** `shares[i]` is share number i + 1; shown once, never stored. */
  | { readonly mode: 'shamir'; readonly shares: readonly string[]; readonly threshold: number }
  | { readonly mode: 'passphrase' }
  | { readonly mode: 'keyfile'; readonly keyFilePath: string };

export interface SealStatus {
  readonly initialized: boolean;
  readonly sealed: boolean;
  readonly mode: SealMode | null;
  /** Shares needed to unseal; null outside the shamir mode. */
  readonly t: number | null;
  /** Shares issued; null outside the shamir mode. */
  readonly n: number | null;
  /** Valid shares submitted in the current attempt. */
  readonly progress: number;
  /** Random id of the current unseal attempt; '' when no share is pending. */
  readonly nonce: string;
}

export type SealListener = () => void;

const INIT_KEYS: Record<SealMode, readonly string[]> = {
  shamir: ['mode', 'shares', 'threshold'],
  passphrase: ['mode', 'passphrase', 'kdf'],
  keyfile: ['mode', 'keyFilePath'],
};

function badOption(field: string, extra: Record<string, number> = {}): VaultError {
  return new VaultError('OV_INVALID_ARGUMENT', { field, ...extra });
}

/** Unknown keys are refused: a typo such as `treshold` must not silently fall back to a default. */
function checkInitKeys(opts: InitOptions): void {
  if (typeof opts !== 'object' || opts === null) throw badOption('options');
  if (typeof opts.mode !== 'string' || !Object.hasOwn(INIT_KEYS, opts.mode)) throw badOption('mode');
  const allowed = INIT_KEYS[opts.mode];
  for (const k of Object.keys(opts)) if (!allowed.includes(k)) throw badOption(k);
}

function checkKdfParams(p: Argon2Params): Argon2Params {
  if (typeof p !== 'object' || p === null) throw badOption('kdf');
  for (const k of Object.keys(p)) if (!['memoryKiB', 'passes', 'parallelism'].includes(k)) throw badOption(`kdf.${k}`);
  const out: Argon2Params = { memoryKiB: p.memoryKiB, passes: p.passes, parallelism: p.parallelism };
  for (const k of ['memoryKiB', 'passes', 'parallelism'] as const) {
    if (!Number.isSafeInteger(out[k]) || out[k] < ARGON2_FLOOR[k] || out[k] > ARGON2_CAPS[k]) {
      throw badOption(`kdf.${k}`, { min: ARGON2_FLOOR[k], max: ARGON2_CAPS[k] });
    }
  }
  if (out.memoryKiB * out.passes > ARGON2_CAPS.work) throw badOption('kdf.work', { max: ARGON2_CAPS.work });
  return out;
}

/** NFC, so the same passphrase typed on another system or keyboard layout gives the same bytes. */
function passphraseBytes(p: string): Uint8Array {
  if (typeof p !== 'string') throw badOption('passphrase');
  const b = utf8(p.normalize('NFC'));
  if (b.length === 0 || b.length > PASSPHRASE_MAX_BYTES) {
    wipe(b);
    throw badOption('passphrase', { min: 1, max: PASSPHRASE_MAX_BYTES });
  }
  return b;
}

export class SealManager {
  readonly #meta: MetaStore;
  #rootKey: Uint8Array | undefined;
  #shares: DecodedShare[] = [];
  #nonce = '';
  /** Bumped by seal() and reset(): an operation that started earlier discards its result. */
  #epoch = 0;
  #tail: Promise<void> = Promise.resolve();
  readonly #onSeal = new Set<SealListener>();
  readonly #onUnseal = new Set<SealListener>();

  constructor(meta: MetaStore) {
    this.#meta = meta;
  }

  /** The stored configuration, strictly parsed; undefined when not initialised. */
  #config(): SealConfig | undefined {
    const raw = this.#meta.get(SEAL_META_NAME);
    return raw === undefined ? undefined : parseSealConfig(raw);
  }

  #requireConfig(mode: SealMode): SealConfig {
    const c = this.#config();
    if (c === undefined) throw new VaultError('OV_NOT_INITIALIZED');
    if (c.mode !== mode) throw new VaultError('OV_UNSEAL_MODE', { mode: c.mode });
    return c;
  }

  /**
   * Runs `fn` after every earlier exclusive operation has finished. `fn` receives the
   * epoch at the time of the call, so a seal() or reset() issued after the call, even
   * before `fn` starts, makes it discard its result.
   */
  async #exclusive<T>(fn: (epoch: number) => Promise<T> | T): Promise<T> {
    const epoch = this.#epoch;
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await fn(epoch);
    } finally {
      release();
    }
  }

  #dropShares(): void {
    for (const s of this.#shares) wipe(s.y);
    this.#shares = [];
    this.#nonce = '';
  }

  /** Throws OV_SEALED when seal() or reset() ran after the operation of `epoch` was called. */
  #checkEpoch(epoch: number): void {
    if (epoch !== this.#epoch) throw new VaultError('OV_SEALED', { reason: 'sealed or reset during unseal' });
  }

  /** Takes ownership of `rootKey`, then tells the listeners; a failing listener seals again. */
  #adopt(rootKey: Uint8Array, epoch: number): void {
    if (epoch !== this.#epoch) wipe(rootKey);
    this.#checkEpoch(epoch);
    this.#dropShares();
    this.#rootKey = rootKey;
    try {
      for (const fn of [...this.#onUnseal]) fn();
    } catch (e) {
      this.seal();
      throw e;
    }
  }

  status(): SealStatus {
    const c = this.#config();
    if (c === undefined) {
      return { initialized: false, sealed: true, mode: null, t: null, n: null, progress: 0, nonce: '' };
    }
    const shamir = c.mode === 'shamir';
    return {
      initialized: true,
      sealed: this.#rootKey === undefined,
      mode: c.mode,
      t: shamir ? c.threshold : null,
      n: shamir ? c.shares : null,
      progress: this.#shares.length,
      nonce: this.#nonce,
    };
  }

  /**
   * Creates the root key and its at-rest protection, writes the seal configuration (one
   * meta blob, so a crash leaves either nothing or everything) and leaves the vault
   * unsealed. Returns the shares in shamir mode: they are shown once and never stored.
   * In keyfile mode the key file is created first (never overwriting) and removed again
   * if the configuration cannot be written. onUnseal listeners are not called: first-time
   * setup (creating the keyring) is the caller's next step, and a failing listener must
   * never cost the shares just generated.
   */
  async initialise(opts: InitOptions): Promise<InitResult> {
    return this.#exclusive(async (epoch) => {
      if (this.#meta.get(SEAL_META_NAME) !== undefined) throw new VaultError('OV_ALREADY_INITIALIZED');
      checkInitKeys(opts);
      const rootKey = generateRootKey();
      const vaultId = generateVaultId();
      let owned = false;
      try {
        let config: SealConfig;
        let result: InitResult;
        let undo = (): void => {};
        switch (opts.mode) {
          case 'shamir': {
            const n = opts.shares ?? DEFAULT_SHARES;
            const t = opts.threshold ?? DEFAULT_THRESHOLD;
            if (!Number.isSafeInteger(n) || n < 2 || n > SHAMIR_MAX_SHARES) throw badOption('shares', { min: 2, max: SHAMIR_MAX_SHARES });
            // t = 1 would make every share the root key in disguise; use a key file instead.
            if (!Number.isSafeInteger(t) || t < 2 || t > n) throw badOption('threshold', { min: 2, max: n });
            const points = await shamirSplit(rootKey, n, t);
            try {
              result = { mode: 'shamir', shares: points.map((p, i) => encodeShare(i + 1, p)), threshold: t };
            } finally {
              for (const p of points) wipe(p.y);
            }
            config = { version: 1, mode: 'shamir', vaultId, shares: n, threshold: t, check: makeRootKeyCheck(rootKey, 'shamir', vaultId) };
            break;
          }
          case 'passphrase': {
            const kdf = checkKdfParams(opts.kdf ?? DEFAULT_PASSPHRASE_KDF);
            if (typeof opts.passphrase !== 'string' || [...opts.passphrase.normalize('NFC')].length < PASSPHRASE_MIN_CHARS) {
              throw badOption('passphrase', { min: PASSPHRASE_MIN_CHARS });
            }
            const salt = randomBytes(PASSPHRASE_SALT_BYTES);
            const key = await derivePassphraseKey(passphraseBytes(opts.passphrase), salt, kdf);
            let wrapped: Uint8Array;
            try {
              wrapped = wrapRootKey(rootKey, key, 'passphrase', vaultId);
            } finally {
              wipe(key);
            }
            const check = makeRootKeyCheck(rootKey, 'passphrase', vaultId);
            config = { version: 1, mode: 'passphrase', vaultId, kdf, salt, wrapped, check };
            result = { mode: 'passphrase' };
            break;
          }
          case 'keyfile': {
            if (typeof opts.keyFilePath !== 'string' || opts.keyFilePath === '') throw badOption('keyFilePath');
            const path = opts.keyFilePath;
            const fileKey = randomBytes(32);
            try {
              const key = deriveKeyFileKey(fileKey.slice(), vaultId);
              let wrapped: Uint8Array;
              try {
                wrapped = wrapRootKey(rootKey, key, 'keyfile', vaultId);
              } finally {
                wipe(key);
              }
              config = { version: 1, mode: 'keyfile', vaultId, wrapped, check: makeRootKeyCheck(rootKey, 'keyfile', vaultId) };
              // Created last, so a failure before this leaves no file; a failed meta write removes it.
              writeUnsealKeyFile(path, fileKey);
              undo = () => removeUnsealKeyFile(path);
            } finally {
              wipe(fileKey);
            }
            result = { mode: 'keyfile', keyFilePath: path };
            break;
          }
        }
        try {
          this.#meta.put(SEAL_META_NAME, encodeSealConfig(config));
        } catch (e) {
          undo();
          throw e;
        }
        owned = true;
        if (epoch !== this.#epoch) {
          // Sealed while initialising: the configuration is written, the key is not kept.
          wipe(rootKey);
        } else {
          this.#dropShares();
          this.#rootKey = rootKey;
        }
        return result;
      } finally {
        if (!owned) wipe(rootKey);
      }
    });
  }

  /**
   * Adds one share to the current attempt. Progress is unchanged by a malformed share
   * (OV_UNSEAL_INVALID_SHARE) or one already submitted (OV_UNSEAL_DUPLICATE_SHARE). At t
   * shares they are combined: the right root key unseals, anything else drops every
   * submitted share and throws OV_UNSEAL_FAILED. Unsealed already: returns the status.
   */
  async submitShare(share: string): Promise<SealStatus> {
    return this.#exclusive(async (epoch) => {
      const config = this.#requireConfig('shamir');
      if (this.#rootKey !== undefined || config.mode !== 'shamir') return this.status();
      this.#checkEpoch(epoch);
      const decoded = decodeShare(share);
      const same = this.#shares.find((s) => s.x === decoded.x);
      if (same !== undefined) {
        const duplicate = constantTimeEqual(same.y, decoded.y);
        wipe(decoded.y);
        if (duplicate) throw new VaultError('OV_UNSEAL_DUPLICATE_SHARE');
        // Two different shares for one x-coordinate cannot both belong to this vault.
        this.#dropShares();
        throw new VaultError('OV_UNSEAL_FAILED');
      }
      if (this.#shares.length === 0) this.#nonce = Buffer.from(randomBytes(16)).toString('hex');
      this.#shares.push(decoded);
      if (this.#shares.length < config.threshold) return this.status();

      const shares = this.#shares;
      this.#shares = [];
      this.#nonce = '';
      try {
        const candidate = await shamirCombine(shares);
        this.#adopt(acceptRootKey(config, candidate), epoch);
      } finally {
        for (const s of shares) wipe(s.y);
      }
      return this.status();
    });
  }

  /** Unseals a passphrase-mode vault; a wrong passphrase is OV_UNSEAL_FAILED. */
  async unsealWithPassphrase(passphrase: string): Promise<SealStatus> {
    return this.#exclusive(async (epoch) => {
      const config = this.#requireConfig('passphrase');
      if (this.#rootKey !== undefined || config.mode !== 'passphrase') return this.status();
      this.#checkEpoch(epoch);
      const key = await derivePassphraseKey(passphraseBytes(passphrase), config.salt, config.kdf);
      this.#adopt(unwrapRootKey(config, key), epoch);
      return this.status();
    });
  }

  /**
   * Unseals a keyfile-mode vault with the key file's 32 bytes (see readUnsealKeyFile).
   * The caller keeps ownership of `fileKey`. A wrong key file is OV_UNSEAL_FAILED.
   */
  async unsealWithKeyFile(fileKey: Uint8Array): Promise<SealStatus> {
    return this.#exclusive((epoch) => {
      const config = this.#requireConfig('keyfile');
      if (this.#rootKey !== undefined || config.mode !== 'keyfile') return this.status();
      this.#checkEpoch(epoch);
      if (!(fileKey instanceof Uint8Array) || fileKey.length !== 32) throw new VaultError('OV_KEY_INVALID', { field: 'keyFile', expected: 32 });
      this.#adopt(unwrapRootKey(config, deriveKeyFileKey(fileKey.slice(), config.vaultId)), epoch);
      return this.status();
    });
  }

  /** Drops the shares of the current attempt (wiped); the sealed/unsealed state is unchanged. */
  reset(): SealStatus {
    this.#epoch++;
    this.#dropShares();
    return this.status();
  }

  /**
   * Wipes the root key and any submitted shares, at once. onSeal listeners run after the
   * wipe (only when the vault was unsealed); the first listener error is rethrown once
   * all have run. Sealing a sealed or uninitialised vault only drops pending shares.
   */
  seal(): void {
    this.#epoch++;
    this.#dropShares();
    const key = this.#rootKey;
    if (key === undefined) return;
    this.#rootKey = undefined;
    wipe(key);
    let first: { error: unknown } | undefined;
    for (const fn of [...this.#onSeal]) {
      try {
        fn();
      } catch (e) {
        first ??= { error: e };
      }
    }
    if (first !== undefined) throw first.error;
  }

  get sealed(): boolean {
    return this.#rootKey === undefined;
  }

  /**
   * A copy of the root key, which the caller owns and should wipe after use. Throws
   * OV_SEALED while sealed, OV_NOT_INITIALIZED before initialisation.
   */
  rootKey(): Uint8Array {
    if (this.#rootKey !== undefined) return this.#rootKey.slice();
    if (this.#meta.get(SEAL_META_NAME) === undefined) throw new VaultError('OV_NOT_INITIALIZED');
    throw new VaultError('OV_SEALED');
  }

  /** Called after every seal of an unsealed vault. Returns an unsubscribe function. */
  onSeal(fn: SealListener): () => void {
    this.#onSeal.add(fn);
    return () => this.#onSeal.delete(fn);
  }

  /**
   * Called after every unseal (not after initialise, see there); `rootKey()` works inside.
   * A listener that throws seals the vault again and its error is what the unseal call throws.
   */
  onUnseal(fn: SealListener): () => void {
    this.#onUnseal.add(fn);
    return () => this.#onUnseal.delete(fn);
  }
}

/**
 * Sealed records: the one way a row of the vault's own data (a secret version, a validator
 * key) is sealed at rest and opened again. An envelope (docs/format.md) is sealed to the
 * keyring's current `kem` key, signed by the vault, and carries the row's binding context
 * in the HPKE info and the AEAD associated data, so it opens only in the row it was
 * written for.
 *
 * Opening decodes the envelope once and demands, in this order: a KEM key version equal to
 * the row's recorded one (a row edited to dodge a rewrap is refused) and at or above the
 * minimum decryption version (the keyring refuses retired versions), the row's exact
 * context, and a signature by one of the vault's own signature keys (any version: older
 * rows were signed with keys since rotated), so whoever can write the database but lacks
 * the signing key cannot plant a record. Every failure is the binding's one error; only a
 * sealed vault keeps OV_SEALED.
 *
 * Rewrap re-seals rows still under an older KEM key version, through one loop shared by
 * every kind of row (./rewrap-loop.ts).
 * @module
 */
import type { CryptoProvider } from '../crypto/types.js';
import { openWith, seal } from '../envelope/envelope.js';
import type { PublicKeyInfo, SecretKeyInfo } from '../envelope/keys.js';
import { VaultError, isVaultError } from '../errors.js';
import type { Keyring } from './keyring.js';

/** The vault signature scheme (config `crypto.signature`). */
export type SignatureChoice = 'ML-DSA-65' | 'Falcon-512-r3';

/** Where a record lives: its exact context bytes and the one error a failed open becomes. */
export interface SealedBinding {
  /** Bound into the envelope; part of the at-rest format, so never change a kind's bytes. */
  readonly context: Uint8Array;
  /** The single error every failure to open this row is reported as; `cause` is an error code, for logs. */
  unreadable(cause?: string): VaultError;
}

/** A stored record: the envelope and the KEM key version its row says it is sealed under. */
export interface SealedRow {
  readonly envelope: Uint8Array;
  readonly kemVersion: number;
}

/**
 * The vault key that signs: `sign-falcon` when Falcon-512 is configured and the vault was
 * set up with it, otherwise `sign` (ML-DSA-65), which every vault has. A vault configured
 * for Falcon but created without it therefore signs with ML-DSA-65 rather than leaving a
 * record or checkpoint unsigned: verifiers accept any of the vault's signature keys, and
 * an unsigned sealed record would not open at all. Used for envelopes, validator rotation
 * records and audit checkpoints alike.
 */
export function vaultSigner(keyring: Keyring, signature: SignatureChoice): SecretKeyInfo {
  if (signature === 'Falcon-512-r3') {
    try {
      return keyring.current('sign-falcon');
    } catch (e) {
      if (!isVaultError(e, 'OV_KEY_NOT_FOUND')) throw e;
    }
  }
  return keyring.current('sign');
}

/** Every signature public key of the vault, all versions (retired ones included). */
export function vaultVerifyKeys(keyring: Keyring): PublicKeyInfo[] {
  return keyring.publicKeys().filter((k) => k.kind === 'sig-public');
}

export interface SealedRecordsOptions {
  readonly provider: CryptoProvider;
  /** The open keyring; undefined while sealed. */
  readonly keyring: () => Keyring | undefined;
  readonly signature: SignatureChoice;
}

export class SealedRecords {
  readonly provider: CryptoProvider;
  readonly signature: SignatureChoice;
  readonly #keyring: () => Keyring | undefined;

  constructor(opts: SealedRecordsOptions) {
    this.provider = opts.provider;
    this.signature = opts.signature;
    this.#keyring = opts.keyring;
  }

  /** The open keyring; OV_SEALED while the vault is sealed. */
  keyring(): Keyring {
    const k = this.#keyring();
    if (k === undefined) throw new VaultError('OV_SEALED');
    return k;
  }

  /** The key that signs records now (see `vaultSigner`). */
  signer(): SecretKeyInfo {
    return vaultSigner(this.keyring(), this.signature);
  }

  /** The current KEM key version: what every row is sealed under after a write or a rewrap. */
  currentKemVersion(): number {
    return this.keyring().current('kem').keyVersion;
  }

  /** Seals `bytes` for `binding` under the current KEM key; the caller still owns (and wipes) `bytes`. */
  seal(binding: SealedBinding, bytes: Uint8Array): { envelope: Uint8Array; kemVersion: number } {
    const keyring = this.keyring();
    const kem = keyring.current('kem');
    const to: PublicKeyInfo = { kind: 'kem-public', alg: kem.alg, keyVersion: kem.keyVersion, keyId: kem.keyId, publicKey: kem.publicKey };
    const envelope = seal(this.provider, { to, plaintext: bytes, context: binding.context, sign: vaultSigner(keyring, this.signature) });
    return { envelope, kemVersion: kem.keyVersion };
  }

  /**
   * Opens `row` as `binding`; the returned bytes belong to the caller. `verify` lets a batch
   * reuse one list of the vault's signature keys.
   */
  open(binding: SealedBinding, row: SealedRow, verify?: readonly PublicKeyInfo[]): Uint8Array {
    const keyring = this.keyring();
    try {
      return openWith(this.provider, {
        envelope: row.envelope,
        context: binding.context,
        verify: verify ?? vaultVerifyKeys(keyring),
        key: (header) => {
          if (!header.signed || header.keyVersion !== row.kemVersion) throw binding.unreadable();
          // OV_KEY_VERSION_RETIRED below the minimum decryption version.
          return keyring.get('kem', header.keyVersion);
        },
      });
    } catch (e) {
      if (isVaultError(e, 'OV_SEALED')) throw e;
      throw binding.unreadable(e instanceof VaultError ? e.code : undefined);
    }
  }

  /** True when the row is sealed under an older KEM key version than the current one. */
  needsRewrap(row: Pick<SealedRow, 'kemVersion'>): boolean {
    return row.kemVersion < this.currentKemVersion();
  }
}

/**
 * Where a validator key is sealed: its binding (docs/format.md),
 * `ontoref-vault/validator-key/v1\0<slot>\0<key id>`, so an envelope copied to another
 * key row or slot does not open, and its one error, OV_VALIDATOR_UNREADABLE. Sealing and
 * opening, with every check (vault signature, recorded and minimum KEM key version), are
 * the keyring's sealed records (src/keyring/sealed-records.ts); the plaintext is the bare
 * 32-byte secret (BLS scalar or Ed25519 seed), wiped by the caller. Also the validator
 * keys store as a row source of the one rewrap loop.
 * @module
 */
import type { CryptoProvider } from '../crypto/types.js';
import { inspect } from '../envelope/envelope.js';
import type { SecretKeyInfo } from '../envelope/keys.js';
import { VaultError } from '../errors.js';
import type { Keyring } from '../keyring/index.js';
import type { RewrapRow, RewrapSource } from '../keyring/rewrap-loop.js';
import { SealedRecords, type SealedBinding } from '../keyring/sealed-records.js';
import type { Storage } from '../storage/types.js';

const CONTEXT_LABEL = 'ontoref-vault/validator-key/v1';

/** The envelope context of one validator key. */
export function validatorKeyContext(slot: string, keyId: string): string {
  return `${CONTEXT_LABEL}\0${slot}\0${keyId}`;
}

/** A validator key's sealed-records binding. */
export function validatorKeyBinding(slot: string, keyId: string): SealedBinding {
  return {
    context: new TextEncoder().encode(validatorKeyContext(slot, keyId)),
    unreadable: (cause) => new VaultError('OV_VALIDATOR_UNREADABLE', { key_id: keyId }, cause === undefined ? {} : { cause }),
  };
}

export interface SealedValidatorSecret {
  envelope: Uint8Array;
  /** The `kem` key version it is sealed under. */
  kemVersion: number;
}

/**
 * Seals `secret` for key `keyId` of `slot`. `signer` only selects the scheme (Falcon-512 or
 * ML-DSA-65): the key itself is the vault's current one of that scheme, by the one
 * signing-key rule (src/keyring `vaultSigner`).
 */
export function sealValidatorSecret(
  provider: CryptoProvider,
  keyring: Keyring,
  signer: SecretKeyInfo,
  opts: { slot: string; keyId: string; secret: Uint8Array },
): SealedValidatorSecret {
  const signature = signer.alg === 'Falcon-512-r3' ? 'Falcon-512-r3' : 'ML-DSA-65';
  return new SealedRecords({ provider, keyring: () => keyring, signature }).seal(validatorKeyBinding(opts.slot, opts.keyId), opts.secret);
}

/**
 * Opens a stored validator key envelope. `kemVersion` is the row's recorded version and is
 * checked against the envelope when given. Every failure is OV_VALIDATOR_UNREADABLE.
 */
export function openValidatorSecret(
  provider: CryptoProvider,
  keyring: Keyring,
  opts: { slot: string; keyId: string; envelope: Uint8Array; kemVersion?: number },
): Uint8Array {
  const records = new SealedRecords({ provider, keyring: () => keyring, signature: 'ML-DSA-65' });
  const binding = validatorKeyBinding(opts.slot, opts.keyId);
  let kemVersion = opts.kemVersion;
  if (kemVersion === undefined) {
    // Without a recorded version, the envelope's own header is the only one there is.
    try {
      kemVersion = inspect(opts.envelope).keyVersion;
    } catch {
      throw binding.unreadable();
    }
  }
  return records.open(binding, { envelope: opts.envelope, kemVersion });
}

/** The validator keys store as a rewrap row source, keyset-ordered by key id. */
export function validatorRewrapSource(storage: Storage): RewrapSource<string> {
  const store = storage.validators;
  return {
    stale: (kemVersion, after, limit) =>
      store
        .staleKeys(kemVersion, after ?? '', limit)
        .map((r): RewrapRow<string> => ({ binding: validatorKeyBinding(r.slot, r.id), envelope: r.envelope, kemVersion: r.kemVersion, cursor: r.id })),
    replace: (row, envelope, kemVersion) => store.replaceEnvelope(row.cursor, row.envelope, envelope, kemVersion),
    countStale: (kemVersion) => store.countStale(kemVersion),
    transaction: (fn) => storage.transaction(fn),
  };
}

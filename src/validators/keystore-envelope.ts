/**
 * Validator key material at rest: the same envelope scheme as every other secret
 * (docs/format.md; src/envelope `seal`/`open`), sealed to the vault's current `kem` key
 * and signed with its signature key. The context binds
 * `ontoref-vault/validator-key/v1\0<slot>\0<key id>`, so an envelope copied to another
 * key row or slot does not open, and the signature means a party that can write the
 * database but lacks the vault's signing key cannot plant a validator key.
 *
 * The plaintext is the bare 32-byte secret (BLS scalar or Ed25519 seed); the caller
 * wipes what it passes in and what `openValidatorSecret` returns.
 * @module
 */
import type { CryptoProvider } from '../crypto/types.js';
import { inspect, open, seal } from '../envelope/envelope.js';
import type { SecretKeyInfo } from '../envelope/keys.js';
import { VaultError } from '../errors.js';
import type { Keyring } from '../keyring/index.js';

const CONTEXT_LABEL = 'ontoref-vault/validator-key/v1';

/** The envelope context of one validator key. */
export function validatorKeyContext(slot: string, keyId: string): string {
  return `${CONTEXT_LABEL}\0${slot}\0${keyId}`;
}

export interface SealedValidatorSecret {
  envelope: Uint8Array;
  /** The `kem` key version it is sealed under. */
  kemVersion: number;
}

/** Seals `secret` for key `keyId` of `slot`, signed by `signer` (the vault's signature key). */
export function sealValidatorSecret(
  provider: CryptoProvider,
  keyring: Keyring,
  signer: SecretKeyInfo,
  opts: { slot: string; keyId: string; secret: Uint8Array },
): SealedValidatorSecret {
  const kem = keyring.current('kem');
  const to = { kind: 'kem-public' as const, alg: kem.alg, keyVersion: kem.keyVersion, keyId: kem.keyId, publicKey: kem.publicKey };
  const envelope = seal(provider, { to, plaintext: opts.secret, context: validatorKeyContext(opts.slot, opts.keyId), sign: signer });
  return { envelope, kemVersion: kem.keyVersion };
}

/**
 * Opens a stored validator key envelope; the signature must verify under one of the
 * vault's signature keys (any version). Every failure, including a `kem` version below
 * the minimum decryption version, is OV_VALIDATOR_UNREADABLE.
 */
export function openValidatorSecret(provider: CryptoProvider, keyring: Keyring, opts: { slot: string; keyId: string; envelope: Uint8Array }): Uint8Array {
  try {
    const info = inspect(opts.envelope);
    const key = keyring.get('kem', info.keyVersion);
    const verify = keyring.publicKeys().filter((k) => k.kind === 'sig-public');
    return open(provider, { envelope: opts.envelope, key, context: validatorKeyContext(opts.slot, opts.keyId), verify });
  } catch (e) {
    if (e instanceof VaultError && e.code === 'OV_SEALED') throw e;
    throw new VaultError('OV_VALIDATOR_UNREADABLE', { key_id: opts.keyId });
  }
}

/**
 * One secret version at rest: an envelope (src/envelope, docs/format.md) sealed to the
 * keyring's current `kem` key and signed by the vault, with a context that binds the row
 * it belongs to (docs/format.md "Secrets at rest"):
 *
 *   `ontoref-vault/secret/v1` 0x00 path 0x00 version-in-decimal 0x00 kind
 *
 * The context is in the HPKE info and the AEAD associated data, so an envelope copied to
 * another path, version or kind does not open. Opening demands a signature by one of the
 * vault's own signature keys (every version, retired ones included: old rows were signed
 * with them), so whoever can write the database but lacks the signing key cannot plant a
 * secret, and a KEM key version at or above the minimum decryption version. Every failure
 * is the one error OV_SECRET_UNREADABLE; only a sealed vault keeps its own code.
 * @module
 */
import { utf8 } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/types.js';
import { inspect, open, seal, type PublicKeyInfo, type SecretKeyInfo } from '../envelope/index.js';
import { VaultError, isVaultError } from '../errors.js';
import type { Keyring } from '../keyring/index.js';
import type { SecretKind } from '../storage/secrets-types.js';

/** First part of every secret envelope's context. */
export const SECRET_CONTEXT_LABEL = 'ontoref-vault/secret/v1';

/** Which vault key signs secret envelopes (config `crypto.signature`). */
export type SecretSignature = 'ML-DSA-65' | 'Falcon-512-r3';

/** Where a version lives: the binding its envelope carries. */
export interface SecretBinding {
  readonly path: string;
  readonly version: number;
  readonly kind: SecretKind;
}

/** The context bytes of a version (paths and kinds never contain NUL). */
export function secretContext(b: SecretBinding): Uint8Array {
  return utf8(`${SECRET_CONTEXT_LABEL}\u0000${b.path}\u0000${String(b.version)}\u0000${b.kind}`);
}

/**
 * The key that signs secret envelopes: `sign-falcon` when configured and present, else
 * `sign`. Unlike audit checkpoints (which stay unsigned without their key), a write must
 * be signed to be readable at all, so a vault set up without Falcon signs with ML-DSA.
 */
export function secretSigner(keyring: Keyring, signature: SecretSignature): SecretKeyInfo {
  if (signature === 'Falcon-512-r3' && keyring.list().some((p) => p.name === 'sign-falcon')) return keyring.current('sign-falcon');
  return keyring.current('sign');
}

/** The signature public keys an envelope may be signed with (all versions of the vault's keys). */
export function vaultVerifyKeys(keyring: Keyring): PublicKeyInfo[] {
  return keyring.publicKeys().filter((k) => k.kind === 'sig-public');
}

/** Seals `plaintext` as version `b` under the current KEM key; returns the envelope and that key's version. */
export function sealSecret(
  provider: CryptoProvider,
  keyring: Keyring,
  signature: SecretSignature,
  b: SecretBinding,
  plaintext: Uint8Array,
): { envelope: Uint8Array; kemVersion: number } {
  const kem = keyring.current('kem');
  const to: PublicKeyInfo = { kind: 'kem-public', alg: kem.alg, keyVersion: kem.keyVersion, keyId: kem.keyId, publicKey: kem.publicKey };
  const envelope = seal(provider, { to, plaintext, context: secretContext(b), sign: secretSigner(keyring, signature) });
  return { envelope, kemVersion: kem.keyVersion };
}

function unreadable(b: SecretBinding, cause?: unknown): VaultError {
  return new VaultError('OV_SECRET_UNREADABLE', { reason: 'unreadable', path: b.path, version: b.version }, cause === undefined ? {} : { cause });
}

/**
 * Opens a stored version. `kemVersion` is the row's clear column: it must agree with the
 * envelope header (a row edited to dodge a rewrap or the min-decrypt guard is refused).
 * The returned plaintext belongs to the caller.
 */
export function openSecret(
  provider: CryptoProvider,
  keyring: Keyring,
  row: SecretBinding & { readonly envelope: Uint8Array; readonly kemVersion: number },
  verify: readonly PublicKeyInfo[] = vaultVerifyKeys(keyring),
): Uint8Array {
  try {
    const info = inspect(row.envelope);
    if (!info.signed || info.keyVersion !== row.kemVersion) throw unreadable(row);
    // Throws OV_KEY_VERSION_RETIRED below the minimum decryption version.
    const key = keyring.get('kem', info.keyVersion);
    return open(provider, { envelope: row.envelope, key, context: secretContext(row), verify });
  } catch (e) {
    if (isVaultError(e, 'OV_SEALED')) throw e;
    if (isVaultError(e, 'OV_SECRET_UNREADABLE')) throw e;
    throw unreadable(row, isVaultError(e) ? e.code : undefined);
  }
}

/**
 * Where a secret version is sealed: its binding (docs/format.md "Secrets at rest"),
 *
 *   `ontoref-vault/secret/v1` 0x00 path 0x00 version-in-decimal 0x00 kind
 *
 * and its one error, OV_SECRET_UNREADABLE. Sealing and opening themselves, with every
 * check, are the keyring's sealed records (src/keyring/sealed-records.ts); the two
 * functions below are that layer under the names this module has always exported.
 * @module
 */
import { utf8 } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/types.js';
import type { PublicKeyInfo } from '../envelope/keys.js';
import { VaultError } from '../errors.js';
import type { Keyring } from '../keyring/index.js';
import { SealedRecords, vaultSigner, vaultVerifyKeys, type SealedBinding, type SignatureChoice } from '../keyring/sealed-records.js';
import type { SecretKind } from '../storage/secrets-types.js';

/** First part of every secret envelope's context. */
export const SECRET_CONTEXT_LABEL = 'ontoref-vault/secret/v1';

/** Which vault key signs secret envelopes (config `crypto.signature`). */
export type SecretSignature = SignatureChoice;

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

/** A version's sealed-records binding: its context, and OV_SECRET_UNREADABLE naming path and version. */
export function secretBinding(b: SecretBinding): SealedBinding {
  return {
    context: secretContext(b),
    unreadable: (cause) => new VaultError('OV_SECRET_UNREADABLE', { reason: 'unreadable', path: b.path, version: b.version }, cause === undefined ? {} : { cause }),
  };
}

/** The key that signs secret envelopes: the vault's one signing-key rule. */
export const secretSigner = vaultSigner;
export { vaultVerifyKeys };

function records(provider: CryptoProvider, keyring: Keyring, signature: SecretSignature): SealedRecords {
  return new SealedRecords({ provider, keyring: () => keyring, signature });
}

/** Seals `plaintext` as version `b` under the current KEM key; returns the envelope and that key's version. */
export function sealSecret(
  provider: CryptoProvider,
  keyring: Keyring,
  signature: SecretSignature,
  b: SecretBinding,
  plaintext: Uint8Array,
): { envelope: Uint8Array; kemVersion: number } {
  return records(provider, keyring, signature).seal(secretBinding(b), plaintext);
}

/** Opens a stored version (`kemVersion` is the row's clear column); the plaintext belongs to the caller. */
export function openSecret(
  provider: CryptoProvider,
  keyring: Keyring,
  row: SecretBinding & { readonly envelope: Uint8Array; readonly kemVersion: number },
  verify?: readonly PublicKeyInfo[],
): Uint8Array {
  // The signature choice only matters for sealing.
  return records(provider, keyring, 'ML-DSA-65').open(secretBinding(row), row, verify);
}

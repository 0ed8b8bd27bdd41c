/**
 * The vault's live state around one open storage: the seal manager, the keyring that
 * exists only while unsealed, and the audit log. `startDaemon` and the tests build it the
 * same way, then hand its parts to `buildServer` (which never constructs them itself, so
 * it can be driven with any storage; STYLE.md habit 11).
 *
 * The keyring follows the seal: every unseal (an HTTP unseal, the key file at start)
 * opens it with the root key, and every seal first signs an audit checkpoint over the
 * chain head with the still-open signing key, then wipes the keyring. A keyring that
 * cannot be opened (a corrupt or foreign key row) makes the unseal fail and re-seals.
 * @module
 */
import { AuditLog } from '../audit/index.js';
import { wipe } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/types.js';
import type { SecretKeyInfo } from '../envelope/keys.js';
import { Keyring } from '../keyring/index.js';
import { SealManager } from '../seal/index.js';
import type { Storage } from '../storage/types.js';
import type { SignatureChoice } from '../config.js';

export interface RuntimeOptions {
  readonly storage: Storage;
  readonly provider: CryptoProvider;
  /** Which keyring key signs audit checkpoints (config `crypto.signature`). */
  readonly signature: SignatureChoice;
  readonly now: () => number;
  /** Audit checkpoint interval (default: the audit log's). */
  readonly checkpointEvery?: number;
  /** Audit checkpoint pacing, at most one per this many ms (default: none). */
  readonly checkpointIntervalMs?: number;
  /** Told about failures that must not stop a seal (a checkpoint that could not be written). */
  readonly onError?: (what: string, err: unknown) => void;
}

export interface VaultRuntime {
  readonly storage: Storage;
  readonly seal: SealManager;
  readonly audit: AuditLog;
  readonly provider: CryptoProvider;
  /** The open keyring, or undefined while sealed (a plain function: pass it around unbound). */
  readonly keyring: () => Keyring | undefined;
  /** Seals (checkpoint, wipe) and detaches from the seal manager. The storage stays open. */
  close(): void;
}

export function createRuntime(opts: RuntimeOptions): VaultRuntime {
  const { storage, provider, now } = opts;
  const seal = new SealManager(storage.meta);
  let keyring: Keyring | undefined;
  const signer = (): SecretKeyInfo | undefined => {
    const k = keyring;
    if (k === undefined) return undefined;
    if (opts.signature === 'Falcon-512-r3') {
      // A vault set up without Falcon has no sign-falcon key: checkpoints stay unsigned
      // (deferred) rather than silently signed with another scheme.
      return k.list().some((p) => p.name === 'sign-falcon') ? k.current('sign-falcon') : undefined;
    }
    return k.current('sign');
  };
  const audit = new AuditLog(storage, {
    hmacKey: () => keyring?.secret('audit').key,
    signer,
    provider,
    now,
    ...(opts.checkpointEvery === undefined ? {} : { checkpointEvery: opts.checkpointEvery }),
    ...(opts.checkpointIntervalMs === undefined ? {} : { checkpointIntervalMs: opts.checkpointIntervalMs }),
    // A checkpoint scheduled after a group commit has no request to fail: report it here.
    ...(opts.onError === undefined ? {} : { onError: opts.onError }),
  });

  const offUnseal = seal.onUnseal(() => {
    const root = seal.rootKey();
    try {
      keyring?.wipe();
      keyring = Keyring.open(storage, provider, root);
    } finally {
      wipe(root);
    }
  });
  const offSeal = seal.onSeal(() => {
    const k = keyring;
    if (k === undefined) return;
    try {
      if (signer() !== undefined) audit.checkpoint();
    } catch (e) {
      opts.onError?.('audit checkpoint on seal', e);
    } finally {
      keyring = undefined;
      k.wipe();
    }
  });

  return {
    storage,
    seal,
    audit,
    provider,
    keyring: () => keyring,
    close(): void {
      try {
        seal.seal();
      } finally {
        offUnseal();
        offSeal();
        keyring?.wipe();
        keyring = undefined;
      }
    },
  };
}

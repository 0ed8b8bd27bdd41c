/**
 * The remote signer: Ethereum validator keys sign in place, Web3Signer's eth2 API
 * (./signer-roots.ts computes the signing roots), behind slashing protection
 * (./signing-state.ts decides). Only a slot's active key signs.
 *
 * Order of one signature, so that it can neither race nor be lost:
 * 1. the decision and the new watermarks are written in one IMMEDIATE storage transaction
 *    (reads of the watermarks included, so of two conflicting requests the second sees
 *    the first's watermarks and is refused); the decisions of one event-loop turn share
 *    that transaction, each in its own savepoint;
 * 2. within that savepoint the key is opened (or found in ./signer-cache.ts) and the
 *    message signed: a signing failure undoes that request's watermark with it;
 * 3. the audit entries the callers gave for the signatures are chained after the batch's
 *    last decision, the batch commits, and one fdatasync makes every decision and entry
 *    of it durable (an audit failure fails the whole batch);
 * 4. the signatures are returned only once that flush has completed. A crash before that
 *    point loses signatures nobody has seen; a crash after it leaves the watermarks and
 *    their audit entries on disk.
 * Refusals write nothing.
 * @module
 */
import { blsSigner, type BlsSigner } from '../crypto/bls-sign.js';
import { wipe } from '../crypto/bytes.js';
import type { AuditEvent } from '../audit/event.js';
import { VaultError, isVaultError } from '../errors.js';
import type { SealedRecords } from '../keyring/sealed-records.js';
import type { SigningKeyRef } from '../storage/validators-types.js';
import { ValidatorCore, type ValidatorServiceDeps } from './core.js';
import type { SigningStateJson } from './records.js';
import { slotRoot, slotUnconfirmed } from './slashing-protection.js';
import { SignerKeyCache } from './signer-cache.js';
import { signingRequest, toHex, type SigningRequest } from './signer-roots.js';
import { NO_PROTECTION, decideSigning, type SignerProtection } from './signing-state.js';

/** Meta row per slot holding its SignerProtection (JSON), next to the slot's watermarks. */
export const SIGNER_PROTECTION_META = 'validators.signer_protection.';

export interface SignerDeps extends ValidatorServiceDeps {
  readonly sealed: SealedRecords;
  /** Genesis fork version of the network, for VALIDATOR_REGISTRATION (builder API). */
  readonly genesisForkVersion: Uint8Array;
  /** Default: the native blst binding where it loads, else noble. */
  readonly bls?: BlsSigner;
  /** Opened keys kept (default DEFAULT_SIGNER_CACHE_KEYS; 0 opens the envelope on every signature). */
  readonly cacheKeys?: number;
  /** The audit log, for entries written in the decision's own transaction (`sign`'s `audit`). */
  readonly audit?: { appendWithin(events: readonly AuditEvent[]): number[] };
}

export interface SignResult {
  /** 0x-prefixed 96-byte signature. */
  readonly signature: string;
  readonly request: SigningRequest;
}

const PUBKEY_RE = /^0x[0-9a-fA-F]{96}$/;

function parsePubkey(text: string): Uint8Array {
  if (!PUBKEY_RE.test(text)) throw new VaultError('OV_BAD_REQUEST', { field: 'identifier', reason: '0x-prefixed 48-byte BLS public key' });
  return Uint8Array.from(Buffer.from(text.slice(2), 'hex'));
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class SignerService {
  readonly #core: ValidatorCore;
  readonly #deps: SignerDeps;
  readonly bls: BlsSigner;
  /** Opened keys; the vault wipes it when it seals. */
  readonly cache: SignerKeyCache;
  #queue: {
    run: () => unknown;
    audit: (() => AuditEvent) | undefined;
    resolve: (v: { value: unknown; durable: Promise<void> }) => void;
    reject: (e: unknown) => void;
  }[] = [];

  constructor(deps: SignerDeps) {
    this.#deps = deps;
    this.#core = new ValidatorCore(deps, deps.sealed);
    this.bls = deps.bls ?? blsSigner();
    this.cache = new SignerKeyCache(deps.cacheKeys);
  }

  /**
   * Signs with the key of `pubHex` (row `ref`): with the opened secret when the cache holds
   * it for this very row, else after opening the envelope, read in full only then.
   */
  #signWith(pubHex: string, ref: SigningKeyRef, root: Uint8Array): Uint8Array {
    const cached = this.cache.get(pubHex, ref);
    if (cached !== undefined) return this.bls.sign(root, cached);
    const key = this.#core.store.getKey(ref.id);
    if (key === undefined) throw new VaultError('OV_SIGNER_KEY_NOT_FOUND');
    // openKey refuses a destroyed key (no envelope) itself.
    const material = this.#core.openKey(key);
    try {
      this.cache.put(pubHex, key, material.secret);
      return this.bls.sign(root, material.secret);
    } finally {
      wipe(material.secret);
    }
  }

  /**
   * Opens every active Ethereum key not yet in the cache, one per `pause()` (the event
   * loop serves requests in between), so the first signatures after an unseal do not each
   * pay an envelope open: a validator client that reconnects must attest for all its keys
   * within seconds. Stops quietly when the vault seals meanwhile. Returns how many keys it
   * opened.
   */
  async warm(pause: () => Promise<void> = () => new Promise((r) => setImmediate(r))): Promise<number> {
    let opened = 0;
    const keys = this.#core.store.listKeys().filter((k) => k.chain === 'ethereum' && k.state === 'active');
    for (const key of keys) {
      await pause();
      if (this.#deps.keyring() === undefined) break;
      const now = this.#core.store.getKey(key.id);
      if (now === undefined || now.state !== 'active' || now.envelope === null) continue;
      const pubHex = toHex(now.publicKey);
      if (this.cache.get(pubHex, now) !== undefined) continue;
      let material;
      try {
        material = this.#core.openKey(now);
      } catch (e) {
        // Sealed meanwhile: stop. An unreadable key: leave it to its first signature,
        // which reports it.
        if (isVaultError(e, 'OV_SEALED')) break;
        continue;
      }
      try {
        this.cache.put(pubHex, now, material.secret);
        opened++;
      } finally {
        wipe(material.secret);
      }
    }
    return opened;
  }

  /**
   * Runs `decide` in the next batch: every decision queued within one event-loop turn is
   * taken in one IMMEDIATE transaction, each in its own savepoint (a refusal undoes only
   * its own writes), in arrival order, so a burst costs one commit and one fdatasync
   * rather than one each. `audit`, when given, is the audit entry of a decision that
   * succeeded: the entries of a batch are chained together after its last decision, in
   * the same transaction. `durable` resolves once the batch is on disk; a failed commit
   * or audit append fails every decision of the batch, and none of its signatures leaves.
   */
  #decide<T>(decide: () => T, audit?: () => AuditEvent): Promise<{ value: T; durable: Promise<void> }> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ run: decide, audit, resolve: resolve as (v: { value: unknown; durable: Promise<void> }) => void, reject });
      if (this.#queue.length === 1) setImmediate(() => this.#flush());
    });
  }

  #flush(): void {
    const batch = this.#queue;
    this.#queue = [];
    const { storage } = this.#deps;
    const results: ({ ok: true; value: unknown } | { ok: false; error: unknown })[] = [];
    let durable: Promise<void>;
    try {
      storage.transaction(() => {
        const events: AuditEvent[] = [];
        for (const item of batch) {
          try {
            // The entry is built within the savepoint: if that throws, the decision is undone.
            const [value, event] = storage.transaction(() => [item.run(), item.audit?.()] as const);
            results.push({ ok: true, value });
            if (event !== undefined) events.push(event);
          } catch (error) {
            results.push({ ok: false, error });
          }
        }
        this.#deps.audit?.appendWithin(events);
      });
      durable = storage.syncAsync();
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    // One rejection handler, so an fsync failure nobody awaits yet is not unhandled.
    durable.catch(() => undefined);
    batch.forEach((item, i) => {
      const r = results[i]!;
      if (r.ok) item.resolve({ value: r.value, durable });
      else item.reject(r.error);
    });
  }

  /** Public keys of every active Ethereum key, 0x-prefixed lowercase hex. */
  publicKeys(): string[] {
    return this.activeKeys().map((k) => k.pubkey);
  }

  /** Every active Ethereum key: public key (0x-prefixed lowercase hex) and slot. */
  activeKeys(): { pubkey: string; slot: string }[] {
    return this.#core.store
      .listKeys()
      .filter((k) => k.chain === 'ethereum' && k.state === 'active')
      .map((k) => ({ pubkey: toHex(k.publicKey), slot: k.slot }));
  }

  /** The active Ethereum key with this public key; OV_SIGNER_KEY_NOT_FOUND otherwise. */
  #activeKey(pubkey: Uint8Array): SigningKeyRef {
    const key = this.#core.store.signingKey('ethereum', pubkey);
    if (key === undefined || key.state !== 'active') throw new VaultError('OV_SIGNER_KEY_NOT_FOUND');
    return key;
  }

  /** The slot's protection row. */
  protection(slot: string): SignerProtection {
    const raw = this.#deps.storage.meta.get(SIGNER_PROTECTION_META + slot);
    return raw === undefined ? NO_PROTECTION : { ...NO_PROTECTION, ...(JSON.parse(decoder.decode(raw)) as Partial<SignerProtection>) };
  }

  /**
   * Checks, decides, signs: OV_BAD_REQUEST for a malformed body or a signingRoot that
   * differs from the computed one, OV_SIGNER_KEY_NOT_FOUND, OV_SLASHING_REFUSED (with a
   * reason), OV_SEALED. `opts.allowed` is the caller's access decision for this key and its slot;
   * `opts.parsed` learns the checked request before the decision (for the audit entry of a
   * refusal). `opts.audit` gives the audit entry of a success: it is chained in the same
   * transaction as the new watermark, so the caller must not write one for it again.
   */
  async sign(
    pubkeyText: string,
    body: unknown,
    opts: { allowed?: (key: { pubkey: string; slot: string }) => boolean; parsed?: (r: SigningRequest) => void; audit?: () => AuditEvent } = {},
  ): Promise<SignResult> {
    const allowed = opts.allowed ?? (() => true);
    const pubkey = parsePubkey(pubkeyText);
    const request = signingRequest(body, { genesisForkVersion: this.#deps.genesisForkVersion });
    opts.parsed?.(request);
    this.#core.keyring();
    const pubHex = toHex(pubkey);
    const { storage } = this.#deps;
    const audit = opts.audit;
    if (audit !== undefined && this.#deps.audit === undefined) throw new VaultError('OV_INTERNAL', { reason: 'signer has no audit log' });
    const { value: signature, durable } = await this.#decide(() => {
      const k = this.#activeKey(pubkey);
      const { slot } = k;
      if (!allowed({ pubkey: pubHex, slot: slot.name })) throw new VaultError('OV_SIGNER_FORBIDDEN');
      if (slotUnconfirmed(this.#core, slot)) {
        throw new VaultError('OV_SLASHING_REFUSED', { reason: 'watermarks restored from a snapshot are not confirmed yet' });
      }
      // A slot bound to its chain (at import, by an interchange or by the operator) signs
      // under that root only; an unbound one is bound by its first protected signature.
      const stored = this.protection(slot.name);
      const prot = { ...stored, gvr: slotRoot(slot) ?? stored.gvr };
      const current = JSON.parse(slot.signingState) as SigningStateJson;
      const d = decideSigning(current, prot, request.gvr === undefined ? undefined : toHex(request.gvr), request.protect, toHex(request.signingRoot));
      const now = this.#deps.now();
      if (d.state !== undefined) this.#core.store.updateSigningState(slot.name, JSON.stringify(d.state), now);
      if (d.protection !== undefined) storage.meta.put(SIGNER_PROTECTION_META + slot.name, encoder.encode(JSON.stringify(d.protection)));
      return this.#signWith(pubHex, k, request.signingRoot);
    }, audit);
    await durable;
    return { signature: toHex(signature), request };
  }
}

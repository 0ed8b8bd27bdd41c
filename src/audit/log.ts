/**
 * The append-only audit log: one canonical-JSON entry per event, hash-chained
 * (./chain.ts), durable before `append` returns, and periodically checkpointed with a
 * post-quantum signature by the vault's `sign` key (docs/adr/0005-audit-chain.md).
 *
 * Fail closed: `append` either stores the entry (one IMMEDIATE transaction, then
 * `storage.sync()`, a no-op when the storage fsyncs every commit) or throws OV_AUDIT_FAILED, so the HTTP layer can refuse the request it
 * was recording. The head (last seq and hash) is read inside each append's transaction
 * rather than cached, so a rolled-back outer transaction or a restart can never make the
 * writer fork the chain.
 *
 * Group commit (ADR 0005): `appendAsync` queues the entry and resolves only once the
 * transaction holding it has committed and `storage.syncAsync()` has made it durable.
 * Everything queued before the next macrotask turn (setImmediate), or MAX_BATCH entries,
 * shares one transaction; the flush runs off the event loop and is shared with the
 * batches committed while it runs (ADR 0005, amendment of 2026-11-22). A failed
 * transaction rejects every waiter of its batch and writes none of it. Since the head is
 * read inside that transaction, a rolled-back batch leaves nothing in memory to undo: the
 * next batch continues from the last committed entry.
 *
 * Reads (docs/adr/0010-audit-durability-of-reads.md): `appendAsync(event, { durable: false })`
 * resolves once the batch holding the entry has committed (handed to the operating system,
 * in order, chained), not once it is fsynced. The fsync of such entries is batched in the
 * background: at most LAZY_SYNC_MS after the first unsynced commit, or at once when
 * LAZY_SYNC_ENTRIES are pending, and any durable append or `sync` covers them earlier
 * (the WAL is ordered). A failed background fsync is sticky: every later append, of
 * either kind, is refused, and `onError` is told.
 *
 * Checkpoints due in a batch are not signed inside it (an ML-DSA signature on the noble
 * provider takes milliseconds, which every request of the batch would wait for): once the
 * batch has resolved, one checkpoint over the then-current head is signed and stored in
 * its own transaction (setImmediate, at most one scheduled). A failure goes to
 * `onError` and is retried once another `checkpointEvery` entries follow. `append` and
 * `checkpoint` still sign synchronously (setup, seal).
 *
 * Entries hold identifiers, paths, codes and HMACs, never secret values: callers put a
 * sensitive value (a token id they want to correlate, an attempted key id) through
 * `hmac()`, and must not put secrets, tokens, keys, shares or passphrases in `detail`.
 * @module
 */
import { utf8 } from '../crypto/bytes.js';
import { hmac as hmacSha } from '../crypto/kdf.js';
import type { CryptoProvider } from '../crypto/types.js';
import { checkOptions } from '../util/options.js';
import type { SecretKeyInfo } from '../envelope/keys.js';
import { signDetached } from '../envelope/signature.js';
import { VaultError } from '../errors.js';
import { compactAuditEntry } from '../storage/audit-codec.js';
import type { Storage } from '../storage/types.js';
import { CHECKPOINT_CONTEXT, GENESIS_HASH, checkpointMessage, entryHash } from './chain.js';
import { peerHeads, peersEvent } from './peers.js';
import { readAuditPage, type AuditPage, type AuditReadQuery } from './reader.js';
import { checkClock, entryFields, entryText, failed, type AuditEvent, type EntryFields } from './event.js';
import { DEFAULT_CHECKPOINT_EVERY, LAZY_SYNC_ENTRIES, LAZY_SYNC_MS, MAX_BATCH, MAX_CHECKPOINT_EVERY, MAX_CHECKPOINT_INTERVAL_MS, type AuditLogOptions } from './log-options.js';

export { MAX_DETAIL_KEYS, MAX_FIELD_CHARS, TRUNCATED_MARK, type AuditEvent } from './event.js';

export { DEFAULT_CHECKPOINT_EVERY, LAZY_SYNC_ENTRIES, LAZY_SYNC_MS, MAX_BATCH, MAX_CHECKPOINT_EVERY, MAX_CHECKPOINT_INTERVAL_MS, type AuditLogOptions } from './log-options.js';

/** An appendAsync waiting for its batch to commit. */
interface Waiter {
  fields: EntryFields;
  /** False: settled at commit; the fsync follows in the background. */
  durable: boolean;
  resolve: (seq: number) => void;
  reject: (e: VaultError) => void;
}

export class AuditLog {
  readonly #storage: Storage;
  readonly #hmacKey: () => Uint8Array | undefined;
  readonly #signer: () => SecretKeyInfo | undefined;
  readonly #provider: CryptoProvider;
  readonly #now: () => number;
  readonly #every: number;
  readonly #intervalMs: number;
  readonly #lazyMs: number;
  readonly #lazyEntries: number;
  /** Clock reading when the last checkpoint was signed by this log (0: none yet). */
  #lastCheckpointAt = 0;
  #checkpointTimer: NodeJS.Timeout | undefined;
  /** The batch seq a paced (timer) checkpoint was scheduled for. */
  #pacedSeq = 0;
  /** Entries accepted by appendAsync, in arrival order, not yet written. */
  #queue: Waiter[] = [];
  #flushScheduled = false;
  /** Batches committed whose syncAsync has not settled yet. */
  #syncing = 0;
  #checkpointScheduled = false;
  /** Committed non-durable entries no fsync has been started for yet. */
  #lazy = 0;
  #lazyTimer: NodeJS.Timeout | undefined;
  /** Set once any fsync failed: nothing more is acknowledged. */
  #syncFailed: VaultError | undefined;
  /** Head seq when a scheduled checkpoint last failed: retried `checkpointEvery` entries later. */
  #checkpointFailedAt = 0;
  readonly #onError: ((what: string, err: VaultError) => void) | undefined;

  constructor(storage: Storage, opts: AuditLogOptions) {
    checkOptions(opts, ['hmacKey', 'signer', 'provider', 'now', 'checkpointEvery', 'checkpointIntervalMs', 'lazySyncMs', 'lazySyncEntries', 'onError'], 'AuditLog');
    for (const f of ['hmacKey', 'signer', 'now'] as const) {
      if (typeof opts[f] !== 'function') throw new VaultError('OV_INVALID_ARGUMENT', { field: `AuditLog.${f}` });
    }
    if (opts.onError !== undefined && typeof opts.onError !== 'function') throw new VaultError('OV_INVALID_ARGUMENT', { field: 'AuditLog.onError' });
    this.#onError = opts.onError;
    const every = opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
    if (!Number.isSafeInteger(every) || every < 1 || every > MAX_CHECKPOINT_EVERY) {
      throw new VaultError('OV_INVALID_ARGUMENT', { field: 'AuditLog.checkpointEvery', min: 1, max: MAX_CHECKPOINT_EVERY });
    }
    this.#storage = storage;
    this.#hmacKey = opts.hmacKey;
    this.#signer = opts.signer;
    this.#provider = opts.provider;
    this.#now = opts.now;
    this.#every = every;
    const interval = opts.checkpointIntervalMs ?? 0;
    if (!Number.isSafeInteger(interval) || interval < 0 || interval > MAX_CHECKPOINT_INTERVAL_MS) {
      throw new VaultError('OV_INVALID_ARGUMENT', { field: 'AuditLog.checkpointIntervalMs', min: 0, max: MAX_CHECKPOINT_INTERVAL_MS });
    }
    this.#intervalMs = interval;
    const lazyMs = opts.lazySyncMs ?? LAZY_SYNC_MS;
    if (!Number.isSafeInteger(lazyMs) || lazyMs < 0 || lazyMs > MAX_CHECKPOINT_INTERVAL_MS) {
      throw new VaultError('OV_INVALID_ARGUMENT', { field: 'AuditLog.lazySyncMs', min: 0, max: MAX_CHECKPOINT_INTERVAL_MS });
    }
    const lazyEntries = opts.lazySyncEntries ?? LAZY_SYNC_ENTRIES;
    if (!Number.isSafeInteger(lazyEntries) || lazyEntries < 1 || lazyEntries > MAX_CHECKPOINT_EVERY) {
      throw new VaultError('OV_INVALID_ARGUMENT', { field: 'AuditLog.lazySyncEntries', min: 1, max: MAX_CHECKPOINT_EVERY });
    }
    this.#lazyMs = lazyMs;
    this.#lazyEntries = lazyEntries;
  }

  /**
   * Appends one entry and returns its seq. Synchronous and durable: committed and flushed
   * to disk (`storage.sync()`, blocking) before it returns, so it is for rare events (setup,
   * tests), never the request path. When `checkpointEvery` entries follow the last
   * checkpoint and the signer is available, the checkpoint is written in the same
   * transaction. Any failure (invalid event, storage error, closed database) is
   * OV_AUDIT_FAILED and nothing is written.
   *
   * Entries queued by `appendAsync` are committed first (their own transaction), so this
   * entry follows them in the chain. Hence, while entries may be queued, do not call this
   * inside an outer `storage.transaction`: the queued waiters would be told "committed"
   * when only a savepoint was released.
   */
  append(event: AuditEvent): number {
    this.#flush();
    try {
      if (this.#syncFailed !== undefined) throw this.#syncFailed;
      const fields = entryFields(event);
      const { seqs } = this.#storage.transaction(() => this.#write([fields], true));
      this.#coverLazy();
      this.#storage.sync();
      return seqs[0] as number;
    } catch (e) {
      throw failed(e);
    }
  }

  /**
   * Chains `events`, in order, inside the caller's open storage transaction and returns
   * their seqs. They commit or roll back with the caller's own writes, and they are
   * durable once the caller's commit is fsynced: changes and their audit entries then
   * cost one commit and one fsync instead of two. Entries queued by `appendAsync` and not
   * yet written follow them in the chain. Throws OV_AUDIT_FAILED, having written none of
   * them (the caller's transaction must then fail too), on an invalid event, a storage
   * error, or once any fsync has failed.
   */
  appendWithin(events: readonly AuditEvent[]): number[] {
    if (events.length === 0) return [];
    try {
      if (this.#syncFailed !== undefined) throw this.#syncFailed;
      const fields = events.map(entryFields);
      const { seqs, checkpointDue } = this.#storage.transaction(() => this.#write(fields, false));
      // Runs after the caller's commit (a later turn); it signs whatever head is there then.
      if (checkpointDue) this.#scheduleCheckpoint(seqs[seqs.length - 1] as number);
      return seqs;
    } catch (e) {
      throw failed(e);
    }
  }

  /**
   * Appends one entry by group commit and resolves with its seq once the transaction
   * holding it (with every other entry queued in the same turn) has committed and
   * `storage.syncAsync()` has resolved: nothing is acknowledged before it is durable, and
   * neither is anything the same connection committed earlier (the WAL is ordered). Entries are chained in call order. Rejects with
   * OV_AUDIT_FAILED, having written nothing of the batch, when the event is invalid (only
   * that call) or the batch's transaction fails (every call of the batch).
   *
   * With `durable: false` (a request that changes no state) it resolves once the batch
   * has committed; the fsync follows in the background within LAZY_SYNC_MS or
   * LAZY_SYNC_ENTRIES. Refused once any fsync has failed.
   */
  appendAsync(event: AuditEvent, opts?: { readonly durable?: boolean }): Promise<number> {
    let fields: EntryFields;
    try {
      if (this.#syncFailed !== undefined) throw this.#syncFailed;
      fields = entryFields(event);
    } catch (e) {
      return Promise.reject(failed(e));
    }
    const durable = opts?.durable !== false;
    const done = new Promise<number>((resolve, reject) => {
      this.#queue.push({ fields, durable, resolve, reject });
    });
    if (this.#queue.length >= MAX_BATCH) this.#flush();
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => {
        this.#flushScheduled = false;
        this.#flush();
      });
    }
    return done;
  }

  /**
   * Writes every queued entry in one transaction, then settles their waiters: non-durable
   * ones at once, durable ones once the commit is durable (and with them every earlier
   * non-durable entry); then schedules a checkpoint if one fell due. Never throws.
   */
  #flush(): void {
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    let written: { seqs: number[]; checkpointDue: boolean };
    try {
      if (this.#syncFailed !== undefined) throw this.#syncFailed;
      written = this.#storage.transaction(() => this.#write(batch.map((w) => w.fields), false));
    } catch (e) {
      const err = failed(e);
      for (const w of batch) w.reject(err);
      return;
    }
    const { seqs, checkpointDue } = written;
    const last = seqs[seqs.length - 1] as number;
    let durable = 0;
    for (let i = 0; i < batch.length; i++) {
      const w = batch[i] as Waiter;
      if (w.durable) durable++;
      else w.resolve(seqs[i] as number);
    }
    if (durable === 0) {
      this.#lazy += batch.length;
      if (this.#lazy >= this.#lazyEntries) this.#backgroundSync();
      else this.#lazyTimer ??= setTimeout(() => this.#backgroundSync(), this.#lazyMs);
      if (checkpointDue) this.#scheduleCheckpoint(last);
      return;
    }
    this.#coverLazy();
    this.#syncing++;
    this.#storage.syncAsync().then(
      () => {
        this.#syncing--;
        batch.forEach((w, i) => {
          if (w.durable) w.resolve(seqs[i] as number);
        });
        if (checkpointDue) this.#scheduleCheckpoint(last);
      },
      (e: unknown) => {
        this.#syncing--;
        // Committed but not known to be on disk: not acknowledged (fail closed).
        const err = failed(e);
        this.#syncFailed ??= err;
        for (const w of batch) if (w.durable) w.reject(err);
      },
    );
  }

  /** The sync about to start covers every committed non-durable entry: none is pending. */
  #coverLazy(): void {
    this.#lazy = 0;
    if (this.#lazyTimer !== undefined) {
      clearTimeout(this.#lazyTimer);
      this.#lazyTimer = undefined;
    }
  }

  /** Fsyncs the committed non-durable entries; a failure stops every later append. */
  #backgroundSync(): void {
    this.#coverLazy();
    this.#syncing++;
    this.#storage.syncAsync().then(
      () => {
        this.#syncing--;
      },
      (e: unknown) => {
        this.#syncing--;
        const err = failed(e);
        this.#syncFailed ??= err;
        try {
          this.#onError?.('audit background sync', err);
        } catch {
          // Runs from a promise callback: a throwing reporter must not take the process down.
        }
      },
    );
  }

  #scheduleCheckpoint(seq: number): void {
    if (this.#checkpointScheduled || seq - this.#checkpointFailedAt < this.#every) return;
    this.#checkpointScheduled = true;
    // Pacing: a signature costs milliseconds on the noble provider (ML-DSA-65 ~8 ms), so
    // under load one per `checkpointEvery` entries would take a tenth of the event loop.
    const wait = this.#lastCheckpointAt === 0 ? 0 : this.#lastCheckpointAt + this.#intervalMs - this.#now();
    const run = (): void => {
      this.#checkpointTimer = undefined;
      this.#checkpointScheduled = false;
      this.#deferredCheckpoint(seq);
    };
    if (wait <= 0) {
      setImmediate(run);
      return;
    }
    this.#pacedSeq = seq;
    // Unref'd: a pending paced checkpoint never keeps the process alive (seal and shutdown
    // sign the head themselves).
    this.#checkpointTimer = setTimeout(run, wait).unref();
  }

  /**
   * Signs the committed head in its own transaction, unless a checkpoint already covers it.
   * Sealed meanwhile: nothing to do (the first batch after unseal schedules it again).
   */
  #deferredCheckpoint(batchSeq: number): void {
    const key = this.#signer();
    if (key === undefined) return;
    let seq = batchSeq;
    try {
      this.#storage.transaction(() => {
        const head = this.#storage.audit.head();
        if (head === undefined || this.#storage.audit.lastCheckpointSeq() >= head.seq) return;
        seq = head.seq;
        this.#signHead(key, head.seq, head.hash, checkClock(this.#now()));
      });
      // Not awaited by anyone: the next batch's flush makes it durable (or a crash loses it
      // and the first batch after restart signs again: the rule is "at least N since").
      this.#checkpointFailedAt = 0;
    } catch (e) {
      this.#checkpointFailedAt = seq;
      try {
        this.#onError?.('audit checkpoint', failed(e));
      } catch {
        // Runs from setImmediate: a throwing reporter must not take the process down.
      }
    }
  }

  /**
   * Resolves once nothing is queued, no batch is waiting for its flush, every committed
   * entry has been fsynced (or its fsync failed) and no scheduled checkpoint is pending (tests, orderly shutdown). Polls once per macrotask turn.
   */
  async settled(): Promise<void> {
    // Committed reads waiting for their background fsync: start it now.
    if (this.#lazyTimer !== undefined) this.#backgroundSync();
    if (this.#checkpointTimer !== undefined) {
      // A paced checkpoint is waiting for its interval: sign it now instead of waiting.
      clearTimeout(this.#checkpointTimer);
      this.#checkpointTimer = undefined;
      const seq = this.#pacedSeq;
      setImmediate(() => {
        this.#checkpointScheduled = false;
        this.#deferredCheckpoint(seq);
      });
    }
    while (this.#queue.length > 0 || this.#flushScheduled || this.#syncing > 0 || this.#checkpointScheduled) {
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Chains and stores `entries` in order after the current head. With `inline`, a
   * checkpoint that falls due is signed and stored in the same transaction; otherwise
   * `checkpointDue` says one is due (and the signer is available). Runs inside the
   * caller's transaction.
   */
  #write(entries: EntryFields[], inline: boolean): { seqs: number[]; checkpointDue: boolean } {
    const head = this.#storage.audit.head();
    let seq = head?.seq ?? 0;
    let prevHash = head?.hash ?? GENESIS_HASH;
    let last = this.#storage.audit.lastCheckpointSeq();
    const seqs: number[] = [];
    let checkpointDue = false;
    for (const fields of entries) {
      seq++;
      const time = checkClock(this.#now());
      // The text and the row together: the store then stores without parsing the text back.
      const compact = compactAuditEntry(fields, seq, time);
      const entry = compact?.entry ?? entryText(fields, seq, time);
      const hash = entryHash(seq, prevHash, entry);
      this.#storage.audit.append({ seq, time, entry, hash }, compact?.row);
      seqs.push(seq);
      prevHash = hash;
      if (!inline) checkpointDue ||= seq - last >= this.#every;
      else if (seq - last >= this.#every) {
        const key = this.#signer();
        // Sealed: no signing key. The chain is still written; the next append after
        // unseal catches up, since the condition is "at least N since the last one".
        if (key !== undefined) {
          ({ seq, hash: prevHash } = this.#signHead(key, seq, hash, time));
          last = seq;
        }
      }
    }
    return { seqs, checkpointDue: checkpointDue && this.#signer() !== undefined };
  }

  /**
   * Signs the current head now (on seal, on shutdown, on an operator's request). A no-op
   * when the log is empty or the head already has a checkpoint. OV_SEALED without a
   * signing key; OV_AUDIT_FAILED when it cannot be stored. Entries queued by
   * `appendAsync` are committed first, so the checkpoint covers them.
   */
  checkpoint(): void {
    this.#flush();
    const key = this.#signer();
    if (key === undefined) throw new VaultError('OV_SEALED');
    try {
      this.#storage.transaction(() => {
        const head = this.#storage.audit.head();
        if (head === undefined || this.#storage.audit.lastCheckpointSeq() === head.seq) return;
        this.#signHead(key, head.seq, head.hash, checkClock(this.#now()));
      });
      this.#coverLazy();
      this.#storage.sync();
    } catch (e) {
      throw failed(e);
    }
  }

  /**
   * Makes every committed entry durable now, blocking (orderly shutdown: a read's entry
   * waiting for its background fsync is not left to the close). OV_AUDIT_FAILED when the
   * flush fails.
   */
  sync(): void {
    this.#flush();
    this.#coverLazy();
    try {
      this.#storage.sync();
    } catch (e) {
      const err = failed(e);
      this.#syncFailed ??= err;
      throw err;
    }
  }

  /**
   * `hmac-sha256:<hex>` of a sensitive value under the keyring's audit key, so entries can
   * be correlated without holding the value; 'redacted' while sealed.
   */
  hmac(value: string): string {
    const key = this.#hmacKey();
    if (key === undefined) return 'redacted';
    return `hmac-sha256:${Buffer.from(hmacSha('SHA-256', key, utf8(value))).toString('hex')}`;
  }

  /** One page of stored entries, as they are (./reader.ts). */
  read(q: AuditReadQuery): AuditPage {
    return readAuditPage(this.#storage, q);
  }

  /**
   * Signs a checkpoint over the head `seq`/`hash` inside the caller's transaction. When the
   * database holds other nodes' chains, one entry naming their heads (./peers.ts) is
   * chained first and the checkpoint signs it instead, so the peer heads are under the
   * signature. Returns the head the checkpoint signs.
   */
  #signHead(key: SecretKeyInfo, seq: number, hash: Uint8Array, time: number): { seq: number; hash: Uint8Array } {
    const chains = this.#storage.auditChains;
    const heads = chains === undefined ? [] : peerHeads(chains);
    if (heads.length > 0) {
      seq++;
      const entry = entryText(entryFields(peersEvent(heads)), seq, time);
      hash = entryHash(seq, hash, entry);
      this.#storage.audit.append({ seq, time, entry, hash });
    }
    this.#writeCheckpoint(key, seq, hash, time);
    return { seq, hash };
  }

  #writeCheckpoint(key: SecretKeyInfo, seq: number, hash: Uint8Array, time: number): void {
    if (key.kind !== 'sig-secret') throw new VaultError('OV_AUDIT_FAILED', { reason: 'signer is not a signature key' });
    const signature = signDetached(this.#provider, { key, message: checkpointMessage(seq, hash, time), context: CHECKPOINT_CONTEXT });
    this.#storage.audit.insertCheckpoint({ seq, hash, alg: key.alg, keyVersion: key.keyVersion, signature, time });
    this.#lastCheckpointAt = Math.max(time, 1);
  }
}

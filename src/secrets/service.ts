/**
 * The versioned secrets service (docs/api.md "Secrets"): write with
 * check-and-set, read latest or a version, soft delete / undelete, destroy, metadata and
 * history, listing with keyset paging, `max_versions` pruning. Transport-free: the HTTP
 * routes (src/http/routes/secrets.ts) check roles and scopes and call this; the bench and
 * tests call it directly.
 *
 * Every write happens in one storage transaction (read metadata, seal, insert, prune), so
 * a crash leaves either the whole version or none of it, and check-and-set compares with
 * the version the transaction itself read. Reads go through the read cache (./cache.ts);
 * a miss opens the envelope through the keyring's sealed records (./sealing.ts binds the row). Values are validated here, with the limits
 * named in the registry: OV_INVALID_ARGUMENT (field names, counts, UTF-8),
 * OV_SECRET_TOO_LARGE (the plaintext cap).
 * @module
 */
import { canonicalJson } from '../audit/canonical.js';
import { utf8 } from '../crypto/bytes.js';
import type { CryptoProvider } from '../crypto/types.js';
import { VaultError } from '../errors.js';
import type { Keyring } from '../keyring/index.js';
import { SealedRecords } from '../keyring/sealed-records.js';
import type { SecretKind, SecretMetaRecord, SecretVersionInfo } from '../storage/secrets-types.js';
import type { Role, Storage } from '../storage/types.js';
import { ReadCache } from './cache.js';
import { FIELD_NAME, MAX_FIELDS, listRange, parseSecretPath } from './path.js';
import { secretBinding, type SecretSignature } from './sealing.js';

/** `max_versions` 0 means this many. */
export const DEFAULT_MAX_VERSIONS = 10;
export const MAX_MAX_VERSIONS = 1000;
/** Default plaintext cap (config `secrets.max_value_bytes`). */
export const DEFAULT_MAX_VALUE_BYTES = 64 * 1024;
/** Default read cache size (config `secrets.cache_bytes`). */
export const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;
/** Listing page sizes. */
export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;
/** Custom metadata: entries, and characters per value. */
export const MAX_CUSTOM_METADATA = 64;
export const MAX_CUSTOM_VALUE = 1024;

export type SecretValue = { readonly kind: 'data'; readonly data: Readonly<Record<string, string>> } | { readonly kind: 'binary'; readonly bytes: Uint8Array };

export interface SecretServiceOptions {
  readonly storage: Storage;
  readonly provider: CryptoProvider;
  /** The open keyring; undefined while sealed. */
  readonly keyring: () => Keyring | undefined;
  readonly signature: SecretSignature;
  readonly now: () => number;
  /** Plaintext cap in bytes (default 64 KiB). */
  readonly maxValueBytes?: number;
  /** Read cache size in bytes; 0 disables (default 32 MiB). */
  readonly cacheBytes?: number;
  /** The vault's sealed records; default one built from `provider`, `keyring` and `signature`. */
  readonly sealed?: SealedRecords;
}

export interface WriteResult {
  readonly path: string;
  readonly version: number;
  readonly createdAt: number;
}

export interface ReadResult extends WriteResult {
  readonly kind: SecretKind;
  /**
   * For `data`, the canonical JSON of the fields (UTF-8); for `binary`, the bytes. May be
   * the read cache's own array: read it before the next call, never modify or keep it.
   */
  readonly plaintext: Uint8Array;
}

export interface SecretMetadata {
  readonly path: string;
  readonly currentVersion: number;
  /** Lowest version still stored (0 when none). */
  readonly oldestVersion: number;
  /** As set (0 = the default, {@link DEFAULT_MAX_VERSIONS}). */
  readonly maxVersions: number;
  readonly casRequired: boolean;
  readonly customMetadata: Readonly<Record<string, string>>;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly versions: readonly SecretVersionInfo[];
}

export interface MetadataPatch {
  readonly maxVersions?: number;
  readonly casRequired?: boolean;
  readonly customMetadata?: Readonly<Record<string, string>>;
}

export interface ListOptions {
  /** The caller's scope (`*` for everything). */
  readonly scope: string;
  readonly prefix?: string;
  readonly after?: string;
  readonly limit?: number;
}

export interface ListResult {
  readonly paths: string[];
  /** Pass as `after` for the next page; null on the last page. */
  readonly next: string | null;
}

/** The role that may delete versions irreversibly (destroy, and pruning by a lowered max_versions). */
export const DESTROY_ROLE: Role = 'admin';

/** Versions below this fall out of the newest `maxVersions` (0 = the default). */
function pruneBelow(current: number, maxVersions: number): number {
  return current - (maxVersions === 0 ? DEFAULT_MAX_VERSIONS : maxVersions) + 1;
}

function versionArg(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) throw new VaultError('OV_INVALID_ARGUMENT', { field });
  return v;
}

function wellFormed(s: string): boolean {
  return (s as string & { isWellFormed(): boolean }).isWellFormed();
}

/**
 * Checks a map of string fields. A value longer than `maxValue` characters is `tooLong`:
 * for secret data that is the value cap's own code, so one rule (the plaintext size) has
 * one answer however the excess is spread over fields.
 */
function checkStringMap(
  m: unknown,
  field: string,
  maxEntries: number,
  maxValue: number,
  tooLong: 'OV_INVALID_ARGUMENT' | 'OV_SECRET_TOO_LARGE' = 'OV_INVALID_ARGUMENT',
): Record<string, string> {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new VaultError('OV_INVALID_ARGUMENT', { field });
  const entries = Object.entries(m as Record<string, unknown>);
  if (entries.length > maxEntries) throw new VaultError('OV_INVALID_ARGUMENT', { field, max: maxEntries });
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of entries) {
    if (!FIELD_NAME.test(k) || typeof v !== 'string' || !wellFormed(v)) throw new VaultError('OV_INVALID_ARGUMENT', { field });
    if (v.length > maxValue) throw new VaultError(tooLong, tooLong === 'OV_SECRET_TOO_LARGE' ? { max: maxValue } : { field });
    out[k] = v;
  }
  return out;
}

export class SecretService {
  readonly cache: ReadCache;
  readonly maxValueBytes: number;
  /** How versions are sealed and opened (the keyring's sealed records). */
  readonly sealed: SealedRecords;
  readonly #o: SecretServiceOptions;

  constructor(opts: SecretServiceOptions) {
    this.#o = opts;
    this.sealed = opts.sealed ?? new SealedRecords({ provider: opts.provider, keyring: opts.keyring, signature: opts.signature });
    this.maxValueBytes = opts.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    this.cache = new ReadCache(opts.cacheBytes ?? DEFAULT_CACHE_BYTES);
  }

  get storage(): Storage {
    return this.#o.storage;
  }

  get provider(): CryptoProvider {
    return this.#o.provider;
  }

  get signature(): SecretSignature {
    return this.#o.signature;
  }

  keyring(): Keyring {
    const k = this.#o.keyring();
    if (k === undefined) throw new VaultError('OV_SEALED');
    return k;
  }

  /** The plaintext a value is sealed as, after every check (OV_INVALID_ARGUMENT, OV_SECRET_TOO_LARGE). */
  encodeValue(value: SecretValue): { kind: SecretKind; plaintext: Uint8Array } {
    if (value?.kind === 'binary') {
      if (!(value.bytes instanceof Uint8Array)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'binary' });
      if (value.bytes.length > this.maxValueBytes) throw new VaultError('OV_SECRET_TOO_LARGE', { max: this.maxValueBytes });
      return { kind: 'binary', plaintext: value.bytes };
    }
    if (value?.kind !== 'data') throw new VaultError('OV_INVALID_ARGUMENT', { field: 'data' });
    // Each field is at most the whole cap; the total is checked on the encoded form.
    const data = checkStringMap(value.data, 'data', MAX_FIELDS, this.maxValueBytes, 'OV_SECRET_TOO_LARGE');
    const plaintext = utf8(canonicalJson(data));
    if (plaintext.length > this.maxValueBytes) throw new VaultError('OV_SECRET_TOO_LARGE', { max: this.maxValueBytes });
    return { kind: 'data', plaintext };
  }

  /**
   * Writes a new version. `cas`: the current version the caller expects (0 = only if the
   * path has no version yet); required when the path's metadata says so.
   */
  put(path: string, value: SecretValue, opts: { cas?: number } = {}): WriteResult {
    parseSecretPath(path);
    const cas = opts.cas;
    if (cas !== undefined && (typeof cas !== 'number' || !Number.isSafeInteger(cas) || cas < 0)) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'cas' });
    const { kind, plaintext } = this.encodeValue(value);
    this.keyring();
    const { storage } = this.#o;
    const now = this.#o.now();
    return storage.transaction(() => {
      const meta = storage.secrets.getMeta(path);
      const current = meta?.currentVersion ?? 0;
      if (cas === undefined && meta?.casRequired === true) throw new VaultError('OV_CAS_MISMATCH', { field: 'cas', reason: 'required' });
      if (cas !== undefined && cas !== current) throw new VaultError('OV_CAS_MISMATCH', { field: 'cas', current });
      const version = current + 1;
      const { envelope, kemVersion } = this.sealed.seal(secretBinding({ path, version, kind }), plaintext);
      storage.secrets.putMeta({
        path,
        maxVersions: meta?.maxVersions ?? 0,
        casRequired: meta?.casRequired ?? false,
        customMetadata: meta?.customMetadata ?? '{}',
        currentVersion: version,
        createdAt: meta?.createdAt ?? now,
        updatedAt: now,
      });
      storage.secrets.insertVersion({ path, version, kind, envelope, kemVersion, createdAt: now, deletedAt: null, destroyed: false });
      this.#prune(path, version, meta?.maxVersions ?? 0);
      return { path, version, createdAt: now };
    });
  }

  /**
   * Reads the latest version, or `version`. A read answered from the cache before, with
   * nothing in the secret tables changed since (the store's change mark) and the same
   * keyring, is answered again without touching storage. Otherwise one query (metadata
   * joined with the row); a cache hit then needs the row's envelope to equal, byte for
   * byte, the one the cached plaintext was opened from.
   */
  get(path: string, version?: number): ReadResult {
    parseSecretPath(path);
    // An invalid version is reported only for a path that exists, as before the join.
    const valid = version === undefined || (Number.isSafeInteger(version) && version >= 1);
    const { storage } = this.#o;
    const cache = this.cache.enabled && valid ? this.cache : undefined;
    // Read before the row: a change after this point moves the mark past what is remembered.
    const mark = cache === undefined ? 0 : storage.secrets.changeMark();
    const readKey = cache === undefined ? '' : ReadCache.readKey(path, version);
    const openKeyring = this.#o.keyring();
    if (cache !== undefined && openKeyring !== undefined) {
      const again = cache.recall(readKey, mark, openKeyring);
      if (again !== undefined) {
        const b = again.binding;
        return { path, version: b.version, createdAt: again.createdAt, kind: b.kind, plaintext: again.value };
      }
    }
    const found = storage.secrets.readVersion(path, valid ? version : undefined);
    if (found === undefined) throw new VaultError('OV_SECRET_NOT_FOUND');
    const v = version === undefined ? found.currentVersion : versionArg(version, 'version');
    const row = found.row;
    if (v < 1 || v > found.currentVersion || row === undefined) throw new VaultError('OV_SECRET_NOT_FOUND');
    if (row.destroyed || row.envelope === null) throw new VaultError('OV_SECRET_DESTROYED');
    if (row.deletedAt !== null) throw new VaultError('OV_SECRET_DELETED');
    const keyring = this.keyring();
    const binding = { path, version: v, kind: row.kind };
    const base = { path, version: v, createdAt: row.createdAt, kind: row.kind };
    const hit = cache?.get(binding, row.envelope);
    if (hit !== undefined) {
      cache?.remember(readKey, mark, keyring, binding, row.createdAt);
      return { ...base, plaintext: hit };
    }
    const plaintext = this.sealed.open(secretBinding(binding), { envelope: row.envelope, kemVersion: row.kemVersion });
    if (cache !== undefined) {
      cache.set(binding, row.envelope, plaintext);
      cache.remember(readKey, mark, keyring, binding, row.createdAt);
    }
    return { ...base, plaintext };
  }

  /** Soft-deletes the latest version, or `versions`; returns the versions now deleted. */
  delete(path: string, versions?: readonly number[]): number[] {
    const now = this.#o.now();
    return this.#eachVersion(path, versions, (v, row) => {
      if (row.deletedAt === null) this.#o.storage.secrets.setDeleted(path, v, now);
      return true;
    });
  }

  /** Restores soft-deleted versions; returns the versions now live. */
  undelete(path: string, versions: readonly number[]): number[] {
    return this.#eachVersion(path, versions, (v, row) => {
      if (row.deletedAt !== null) this.#o.storage.secrets.setDeleted(path, v, null);
      return true;
    });
  }

  /** Wipes the envelopes of `versions` irreversibly (rows kept, marked destroyed). */
  destroy(path: string, versions: readonly number[]): number[] {
    return this.#eachVersion(
      path,
      versions,
      (v) => {
        this.#o.storage.secrets.destroyVersion(path, v);
        return true;
      },
      true,
    );
  }

  /** Destroys every version and the metadata of `path`. */
  destroyAll(path: string): void {
    const { storage } = this.#o;
    storage.transaction(() => {
      this.#meta(path);
      for (const r of storage.secrets.listVersions(path)) this.cache.evict(path, r.version);
      storage.secrets.deleteMeta(path);
    });
  }

  metadata(path: string): SecretMetadata {
    const meta = this.#meta(path);
    return this.#describe(meta, this.#o.storage.secrets.listVersions(path));
  }

  /**
   * Updates (creating if absent) the settings of `path`; lowering max_versions prunes at
   * once. Pruning deletes versions irreversibly, as destroy does, so a change that would
   * prune a stored version needs the role that may destroy (admin): for any other `role`
   * it is OV_FORBIDDEN (detail `reason: 'prune'`) and nothing changes.
   */
  putMetadata(path: string, patch: MetadataPatch, role: Role): SecretMetadata {
    parseSecretPath(path);
    const { maxVersions, casRequired, customMetadata } = patch;
    if (maxVersions !== undefined && (!Number.isSafeInteger(maxVersions) || maxVersions < 0 || maxVersions > MAX_MAX_VERSIONS)) {
      throw new VaultError('OV_INVALID_ARGUMENT', { field: 'max_versions', max: MAX_MAX_VERSIONS });
    }
    if (casRequired !== undefined && typeof casRequired !== 'boolean') throw new VaultError('OV_INVALID_ARGUMENT', { field: 'cas_required' });
    const custom = customMetadata === undefined ? undefined : checkStringMap(customMetadata, 'custom_metadata', MAX_CUSTOM_METADATA, MAX_CUSTOM_VALUE);
    const { storage } = this.#o;
    const now = this.#o.now();
    return storage.transaction(() => {
      const meta = storage.secrets.getMeta(path);
      const next: SecretMetaRecord = {
        path,
        maxVersions: maxVersions ?? meta?.maxVersions ?? 0,
        casRequired: casRequired ?? meta?.casRequired ?? false,
        customMetadata: custom === undefined ? (meta?.customMetadata ?? '{}') : canonicalJson(custom),
        currentVersion: meta?.currentVersion ?? 0,
        createdAt: meta?.createdAt ?? now,
        updatedAt: now,
      };
      if (role !== DESTROY_ROLE && this.#pruned(path, next.currentVersion, next.maxVersions).length > 0) {
        throw new VaultError('OV_FORBIDDEN', { reason: 'prune' });
      }
      storage.secrets.putMeta(next);
      this.#prune(path, next.currentVersion, next.maxVersions);
      return this.#describe(next, storage.secrets.listVersions(path));
    });
  }

  /** One page of the paths within `scope` (and `prefix`), after `after`. */
  list(opts: ListOptions): ListResult {
    const range = listRange(opts.scope, opts.prefix);
    const limit = opts.limit ?? DEFAULT_LIST_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'limit', max: MAX_LIST_LIMIT });
    if (opts.after !== undefined) parseSecretPath(opts.after, 'after');
    const rows = this.#o.storage.secrets.listPaths(range, opts.after, limit + 1);
    const more = rows.length > limit;
    const paths = more ? rows.slice(0, limit) : rows;
    return { paths, next: more ? (paths[paths.length - 1] ?? null) : null };
  }

  #meta(path: string): SecretMetaRecord {
    parseSecretPath(path);
    const meta = this.#o.storage.secrets.getMeta(path);
    if (meta === undefined) throw new VaultError('OV_SECRET_NOT_FOUND');
    return meta;
  }

  #describe(meta: SecretMetaRecord, versions: SecretVersionInfo[]): SecretMetadata {
    let custom: Record<string, string>;
    try {
      custom = checkStringMap(JSON.parse(meta.customMetadata) as unknown, 'custom_metadata', MAX_CUSTOM_METADATA, MAX_CUSTOM_VALUE);
    } catch (e) {
      throw new VaultError('OV_STORAGE_CORRUPT', { table: 'secret_meta', column: 'custom_metadata' }, { cause: e });
    }
    return {
      path: meta.path,
      currentVersion: meta.currentVersion,
      oldestVersion: versions[0]?.version ?? 0,
      maxVersions: meta.maxVersions,
      casRequired: meta.casRequired,
      customMetadata: custom,
      createdAt: meta.createdAt,
      updatedAt: meta.updatedAt,
      versions,
    };
  }

  /** Removes the versions that fall out of the newest `max` (0 = default); zeroes their cache entries. */
  #prune(path: string, current: number, maxVersions: number): void {
    const gone = this.#pruned(path, current, maxVersions);
    if (gone.length === 0) return;
    for (const r of gone) this.cache.evict(path, r.version);
    this.#o.storage.secrets.pruneBelow(path, pruneBelow(current, maxVersions));
  }

  /** The stored versions that fall out of the newest `maxVersions` (0 = default). */
  #pruned(path: string, current: number, maxVersions: number): SecretVersionInfo[] {
    const below = pruneBelow(current, maxVersions);
    if (below <= 1) return [];
    return this.#o.storage.secrets.listVersions(path).filter((r) => r.version < below);
  }

  /**
   * Applies `fn` to each named version (default: the latest) that exists and, unless
   * `includeDestroyed`, is not destroyed, in one transaction; returns those it accepted.
   * Versions that do not exist are skipped, as in Vault's KV v2.
   */
  #eachVersion(
    path: string,
    versions: readonly number[] | undefined,
    fn: (v: number, row: SecretVersionInfo) => boolean,
    includeDestroyed = false,
  ): number[] {
    const { storage } = this.#o;
    if (versions !== undefined) {
      // Checked as unknown: callers outside TypeScript may pass anything.
      const list: unknown = versions;
      if (!Array.isArray(list) || list.length < 1 || list.length > 100) throw new VaultError('OV_INVALID_ARGUMENT', { field: 'versions' });
      for (const v of versions) versionArg(v, 'versions');
    }
    return storage.transaction(() => {
      const meta = this.#meta(path);
      if (versions === undefined && meta.currentVersion === 0) throw new VaultError('OV_SECRET_NOT_FOUND');
      const wanted = [...new Set(versions ?? [meta.currentVersion])].sort((a, b) => a - b);
      const rows = new Map(storage.secrets.listVersions(path).map((r) => [r.version, r]));
      const done: number[] = [];
      for (const v of wanted) {
        const row = rows.get(v);
        if (row === undefined || (row.destroyed && !includeDestroyed)) continue;
        this.cache.evict(path, v);
        if (fn(v, row)) done.push(v);
      }
      return done;
    });
  }
}

/**
 * SQLite implementation of {@link SecretStore} (tables from ../schema-secrets.ts). Every
 * query is a prepared statement over the primary key or the kem_version index; listings
 * are keyset range scans, so a page costs O(log n + limit) however deep it starts.
 * @module
 */
import type {
  PathRange,
  SecretCursor,
  SecretKind,
  SecretMetaRecord,
  SecretStore,
  SecretVersionInfo,
  SecretVersionRecord,
} from '../secrets-types.js';
import { bytes, checkLimit, guard, oneOf, type Db, type Statement } from './driver.js';

const KINDS: readonly SecretKind[] = ['data', 'binary'];

function kind(value: string): SecretKind {
  return oneOf(KINDS, value, 'secret_versions', 'kind');
}

type MetaTuple = [string, number, number, string, number, number, number];
type VersionTuple = [string, number, string, Uint8Array | null, number, number, number | null, number];
type InfoTuple = [string, number, string, number, number, number | null, number];
/** current_version, then the version columns (all NULL when the LEFT JOIN found no row). */
type ReadTuple = [number, string | null, number, string, Uint8Array | null, number, number, number | null, number];

const META_COLUMNS = 'path, max_versions, cas_required, custom_metadata, current_version, created_at, updated_at';
const VERSION_COLUMNS = 'path, version, kind, envelope, kem_version, created_at, deleted_at, destroyed';
const INFO_COLUMNS = 'path, version, kind, kem_version, created_at, deleted_at, destroyed';

function toMeta([path, maxVersions, casRequired, customMetadata, currentVersion, createdAt, updatedAt]: MetaTuple): SecretMetaRecord {
  return { path, maxVersions, casRequired: casRequired === 1, customMetadata, currentVersion, createdAt, updatedAt };
}

function toVersion([path, version, k, envelope, kemVersion, createdAt, deletedAt, destroyed]: VersionTuple): SecretVersionRecord {
  return { path, version, kind: kind(k), envelope: envelope === null ? null : bytes(envelope), kemVersion, createdAt, deletedAt, destroyed: destroyed === 1 };
}

function toInfo([path, version, k, kemVersion, createdAt, deletedAt, destroyed]: InfoTuple): SecretVersionInfo {
  return { path, version, kind: kind(k), kemVersion, createdAt, deletedAt, destroyed: destroyed === 1 };
}

export class SqliteSecretStore implements SecretStore {
  readonly #getMeta: Statement<[string], MetaTuple>;
  readonly #putMeta: Statement<[string, number, number, string, number, number, number]>;
  readonly #deleteMeta: Statement<[string]>;
  readonly #getVersion: Statement<[string, number], VersionTuple>;
  readonly #readVersion: Statement<[number | null, string], ReadTuple>;
  readonly #listVersions: Statement<[string], InfoTuple>;
  readonly #insertVersion: Statement<[string, number, string, Uint8Array | null, number, number, number | null, number]>;
  readonly #setDeleted: Statement<[number | null, string, number]>;
  readonly #destroy: Statement<[string, number]>;
  readonly #prune: Statement<[string, number]>;
  readonly #listPaths: Statement<[string, string, string, string, number], string>;
  readonly #stale: Statement<[number, string, number, number], VersionTuple>;
  readonly #countStale: Statement<[number], number>;
  readonly #replace: Statement<[Uint8Array, number, string, number, Uint8Array]>;
  readonly #dataVersion: Statement<[], number>;
  /** Bumped by every write method here, and whenever data_version moved (see changeMark). */
  #mark = 0;
  #lastDataVersion = -1;
  #dataVersionAsked = false;
  readonly #forget = (): void => {
    this.#dataVersionAsked = false;
  };

  constructor(db: Db) {
    // Changes only when another connection commits (this one's own commits leave it as is).
    this.#dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.#getMeta = db.prepare<[string], MetaTuple>(`SELECT ${META_COLUMNS} FROM secret_meta WHERE path = ?`).raw();
    this.#putMeta = db.prepare(
      `INSERT INTO secret_meta (${META_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (path) DO UPDATE SET max_versions = excluded.max_versions, cas_required = excluded.cas_required,
         custom_metadata = excluded.custom_metadata, current_version = excluded.current_version,
         created_at = excluded.created_at, updated_at = excluded.updated_at`,
    );
    this.#deleteMeta = db.prepare('DELETE FROM secret_meta WHERE path = ?');
    this.#getVersion = db.prepare<[string, number], VersionTuple>(`SELECT ${VERSION_COLUMNS} FROM secret_versions WHERE path = ? AND version = ?`).raw();
    // One primary-key lookup in each table; coalesce picks the current version by default.
    this.#readVersion = db
      .prepare<[number | null, string], ReadTuple>(
        `SELECT m.current_version, ${VERSION_COLUMNS.split(', ').map((c) => `v.${c}`).join(', ')}
         FROM secret_meta m LEFT JOIN secret_versions v ON v.path = m.path AND v.version = coalesce(?, m.current_version)
         WHERE m.path = ?`,
      )
      .raw();
    this.#listVersions = db.prepare<[string], InfoTuple>(`SELECT ${INFO_COLUMNS} FROM secret_versions WHERE path = ? ORDER BY version`).raw();
    this.#insertVersion = db.prepare(`INSERT INTO secret_versions (${VERSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#setDeleted = db.prepare('UPDATE secret_versions SET deleted_at = ? WHERE path = ? AND version = ? AND destroyed = 0');
    this.#destroy = db.prepare('UPDATE secret_versions SET envelope = NULL, destroyed = 1 WHERE path = ? AND version = ? AND destroyed = 0');
    this.#prune = db.prepare('DELETE FROM secret_versions WHERE path = ? AND version < ?');
    // (path > after) AND (path in [from, to) OR path = exact); '' never matches a real path.
    this.#listPaths = db
      .prepare<[string, string, string, string, number], string>(
        'SELECT path FROM secret_meta WHERE path > ? AND ((path >= ? AND path < ?) OR path = ?) ORDER BY path LIMIT ?',
      )
      .pluck();
    // Row-value comparison walks the primary key in order; the kem_version filter is checked per row.
    this.#stale = db
      .prepare<[number, string, number, number], VersionTuple>(
        `SELECT ${VERSION_COLUMNS} FROM secret_versions
         WHERE destroyed = 0 AND kem_version < ? AND (path, version) > (?, ?)
         ORDER BY path, version LIMIT ?`,
      )
      .raw();
    this.#countStale = db.prepare<[number], number>('SELECT count(*) FROM secret_versions WHERE destroyed = 0 AND kem_version < ?').pluck();
    this.#replace = db.prepare(
      'UPDATE secret_versions SET envelope = ?, kem_version = ? WHERE path = ? AND version = ? AND destroyed = 0 AND envelope = ?',
    );
  }

  getMeta(path: string): SecretMetaRecord | undefined {
    const row = guard(() => this.#getMeta.get(path));
    return row === undefined ? undefined : toMeta(row);
  }

  putMeta(r: SecretMetaRecord): void {
    this.#mark++;
    guard(() => this.#putMeta.run(r.path, r.maxVersions, r.casRequired ? 1 : 0, r.customMetadata, r.currentVersion, r.createdAt, r.updatedAt));
  }

  deleteMeta(path: string): boolean {
    this.#mark++;
    // Versions first, explicitly, so this does not depend on the connection's foreign_keys.
    return guard(() => {
      this.#prune.run(path, Number.MAX_SAFE_INTEGER);
      return this.#deleteMeta.run(path).changes > 0;
    });
  }

  getVersion(path: string, version: number): SecretVersionRecord | undefined {
    const row = guard(() => this.#getVersion.get(path, version));
    return row === undefined ? undefined : toVersion(row);
  }

  readVersion(path: string, version?: number): { currentVersion: number; row: SecretVersionRecord | undefined } | undefined {
    const r = guard(() => this.#readVersion.get(version ?? null, path));
    if (r === undefined) return undefined;
    const [currentVersion, vPath, ...rest] = r;
    return { currentVersion, row: vPath === null ? undefined : toVersion([vPath, ...rest]) };
  }

  listVersions(path: string): SecretVersionInfo[] {
    return guard(() => this.#listVersions.all(path)).map(toInfo);
  }

  insertVersion(r: SecretVersionRecord): void {
    this.#mark++;
    guard(() =>
      this.#insertVersion.run(r.path, r.version, r.kind, r.envelope, r.kemVersion, r.createdAt, r.deletedAt, r.destroyed ? 1 : 0),
    );
  }

  setDeleted(path: string, version: number, deletedAt: number | null): boolean {
    this.#mark++;
    return guard(() => this.#setDeleted.run(deletedAt, path, version)).changes > 0;
  }

  destroyVersion(path: string, version: number): boolean {
    this.#mark++;
    return guard(() => this.#destroy.run(path, version)).changes > 0;
  }

  pruneBelow(path: string, belowVersion: number): number {
    this.#mark++;
    return guard(() => this.#prune.run(path, belowVersion)).changes;
  }

  listPaths(range: PathRange, after: string | undefined, limit: number): string[] {
    checkLimit(limit);
    return guard(() => this.#listPaths.all(after ?? '', range.from, range.to, range.exact ?? '', limit));
  }

  staleVersions(kemVersion: number, cursor: SecretCursor | undefined, limit: number): SecretVersionRecord[] {
    checkLimit(limit);
    // ('', 0) sorts before every real row: paths are never empty.
    return guard(() => this.#stale.all(kemVersion, cursor?.path ?? '', cursor?.version ?? 0, limit)).map(toVersion);
  }

  countStale(kemVersion: number): number {
    return guard(() => this.#countStale.get(kemVersion)) ?? 0;
  }

  replaceEnvelope(path: string, version: number, expected: Uint8Array, envelope: Uint8Array, kemVersion: number): boolean {
    this.#mark++;
    return guard(() => this.#replace.run(envelope, kemVersion, path, version, expected)).changes > 0;
  }

  /**
   * data_version is asked at most once per event-loop turn (it costs a statement, ~1.5 us,
   * on every read otherwise): reads in the same turn as the question are answered as of
   * that moment, as if they had all run just before another connection's commit landed.
   * This store's own writes move the mark at once.
   */
  changeMark(): number {
    if (!this.#dataVersionAsked) {
      this.#dataVersionAsked = true;
      setImmediate(this.#forget);
      const dv = guard(() => this.#dataVersion.get()) ?? 0;
      if (dv !== this.#lastDataVersion) {
        this.#lastDataVersion = dv;
        this.#mark++;
      }
    }
    return this.#mark;
  }
}

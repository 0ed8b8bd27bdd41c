/**
 * In-memory {@link SecretStore}. Paths are kept in a sorted array (SQLite's text order),
 * so path listings and the stale-version walk are keyset scans like the SQL ones.
 * @module
 */
import type {
  PathRange,
  SecretCursor,
  SecretMetaRecord,
  SecretStore,
  SecretVersionInfo,
  SecretVersionRecord,
} from '../secrets-types.js';
import type { MemoryDb } from './db.js';
import { checkLimit, Columns, compareText, copyBytes, copyOrNull, equalBytes, lowerBound, textLength } from './values.js';

const metaCol = new Columns('secret_meta');
const versionCol = new Columns('secret_versions');
const KINDS = ['data', 'binary'] as const;

interface Entry {
  meta: SecretMetaRecord;
  versions: Map<number, SecretVersionRecord>;
}

function copyVersion(r: SecretVersionRecord): SecretVersionRecord {
  return { ...r, envelope: copyOrNull(r.envelope) };
}

function info(r: SecretVersionRecord): SecretVersionInfo {
  return { path: r.path, version: r.version, kind: r.kind, kemVersion: r.kemVersion, createdAt: r.createdAt, deletedAt: r.deletedAt, destroyed: r.destroyed };
}

function sortedVersions(e: Entry): SecretVersionRecord[] {
  return [...e.versions.values()].sort((a, b) => a.version - b.version);
}

export class MemorySecretStore implements SecretStore {
  readonly #db: MemoryDb;
  readonly #entries = new Map<string, Entry>();
  /** Every path with metadata, in text order. */
  readonly #paths: string[] = [];
  /** Bumped by every write method (see changeMark). */
  #mark = 0;

  constructor(db: MemoryDb) {
    this.#db = db;
  }

  getMeta(path: string): SecretMetaRecord | undefined {
    this.#db.check();
    const e = this.#entries.get(path);
    return e === undefined ? undefined : { ...e.meta };
  }

  putMeta(r: SecretMetaRecord): void {
    this.#mark++;
    this.#db.check();
    const meta: SecretMetaRecord = {
      path: metaCol.text(r.path, 'path'),
      maxVersions: metaCol.int(r.maxVersions, 'max_versions', 0),
      casRequired: r.casRequired,
      customMetadata: metaCol.json(r.customMetadata, 'custom_metadata'),
      currentVersion: metaCol.int(r.currentVersion, 'current_version', 0),
      createdAt: metaCol.int(r.createdAt, 'created_at'),
      updatedAt: metaCol.int(r.updatedAt, 'updated_at'),
    };
    metaCol.require(textLength(meta.path) >= 1 && textLength(meta.path) <= 512, 'path');
    metaCol.require(meta.maxVersions <= 1000, 'max_versions');
    meta.casRequired = Boolean(meta.casRequired);
    const e = this.#entries.get(meta.path);
    if (e !== undefined) {
      const old = e.meta;
      e.meta = meta;
      this.#undo(() => {
        e.meta = old;
      });
      return;
    }
    const added: Entry = { meta, versions: new Map() };
    this.#entries.set(meta.path, added);
    this.#paths.splice(lowerBound(this.#paths, meta.path, compareText), 0, meta.path);
    this.#undo(() => this.#drop(meta.path));
  }

  deleteMeta(path: string): boolean {
    this.#mark++;
    this.#db.check();
    const e = this.#entries.get(path);
    if (e === undefined) return false;
    this.#drop(path);
    this.#undo(() => {
      this.#entries.set(path, e);
      this.#paths.splice(lowerBound(this.#paths, path, compareText), 0, path);
    });
    return true;
  }

  getVersion(path: string, version: number): SecretVersionRecord | undefined {
    this.#db.check();
    const row = this.#entries.get(path)?.versions.get(version);
    return row === undefined ? undefined : copyVersion(row);
  }

  readVersion(path: string, version?: number): { currentVersion: number; row: SecretVersionRecord | undefined } | undefined {
    this.#db.check();
    const e = this.#entries.get(path);
    if (e === undefined) return undefined;
    const row = e.versions.get(version ?? e.meta.currentVersion);
    return { currentVersion: e.meta.currentVersion, row: row === undefined ? undefined : copyVersion(row) };
  }

  listVersions(path: string): SecretVersionInfo[] {
    this.#db.check();
    const e = this.#entries.get(path);
    return e === undefined ? [] : sortedVersions(e).map(info);
  }

  insertVersion(r: SecretVersionRecord): void {
    this.#mark++;
    this.#db.check();
    const row: SecretVersionRecord = {
      path: versionCol.text(r.path, 'path'),
      version: versionCol.int(r.version, 'version', 1),
      kind: versionCol.oneOf(KINDS, r.kind, 'kind'),
      envelope: copyOrNull(versionCol.blobOrNull(r.envelope, 'envelope')),
      kemVersion: versionCol.int(r.kemVersion, 'kem_version', 1),
      createdAt: versionCol.int(r.createdAt, 'created_at'),
      deletedAt: versionCol.intOrNull(r.deletedAt, 'deleted_at'),
      destroyed: Boolean(r.destroyed),
    };
    versionCol.require(row.destroyed === (row.envelope === null), 'destroyed');
    const e = this.#entries.get(row.path);
    if (e?.versions.has(row.version) === true) throw versionCol.fail('primary_key');
    if (e === undefined) throw versionCol.fail('foreign_key', 'path');
    e.versions.set(row.version, row);
    this.#undo(() => e.versions.delete(row.version));
  }

  setDeleted(path: string, version: number, deletedAt: number | null): boolean {
    this.#mark++;
    this.#db.check();
    const row = this.#live(path, version);
    if (row === undefined) return false;
    this.#update(row, { deletedAt: versionCol.intOrNull(deletedAt, 'deleted_at') });
    return true;
  }

  destroyVersion(path: string, version: number): boolean {
    this.#mark++;
    this.#db.check();
    const row = this.#live(path, version);
    if (row === undefined) return false;
    this.#update(row, { envelope: null, destroyed: true });
    return true;
  }

  pruneBelow(path: string, belowVersion: number): number {
    this.#mark++;
    this.#db.check();
    const e = this.#entries.get(path);
    if (e === undefined) return 0;
    const gone = [...e.versions.values()].filter((r) => r.version < belowVersion);
    for (const r of gone) e.versions.delete(r.version);
    this.#undo(() => {
      for (const r of gone) e.versions.set(r.version, r);
    });
    return gone.length;
  }

  listPaths(range: PathRange, after: string | undefined, limit: number): string[] {
    this.#db.check();
    checkLimit(limit);
    const out: string[] = [];
    const paths = this.#paths;
    for (let i = lowerBound(paths, after ?? '', compareText, true); i < paths.length && out.length < limit; i++) {
      const p = paths[i] as string;
      const inRange = compareText(p, range.from) >= 0 && compareText(p, range.to) < 0;
      if (inRange || p === range.exact) out.push(p);
      // Nothing further can match once past both the range and the exact path.
      else if (compareText(p, range.to) >= 0 && (range.exact === undefined || compareText(p, range.exact) > 0)) break;
    }
    return out;
  }

  staleVersions(kemVersion: number, cursor: SecretCursor | undefined, limit: number): SecretVersionRecord[] {
    this.#db.check();
    checkLimit(limit);
    const out: SecretVersionRecord[] = [];
    const paths = this.#paths;
    for (let i = lowerBound(paths, cursor?.path ?? '', compareText); i < paths.length && out.length < limit; i++) {
      const path = paths[i] as string;
      const after = path === cursor?.path ? cursor.version : 0;
      for (const r of sortedVersions(this.#entries.get(path) as Entry)) {
        if (out.length >= limit) break;
        if (r.version > after && !r.destroyed && r.kemVersion < kemVersion) out.push(copyVersion(r));
      }
    }
    return out;
  }

  countStale(kemVersion: number): number {
    this.#db.check();
    let n = 0;
    for (const e of this.#entries.values()) for (const r of e.versions.values()) if (!r.destroyed && r.kemVersion < kemVersion) n++;
    return n;
  }

  replaceEnvelope(path: string, version: number, expected: Uint8Array, envelope: Uint8Array, kemVersion: number): boolean {
    this.#mark++;
    this.#db.check();
    const row = this.#live(path, version);
    if (row?.envelope === undefined || row.envelope === null || !equalBytes(row.envelope, expected)) return false;
    this.#update(row, {
      envelope: copyBytes(versionCol.blob(envelope, 'envelope')),
      kemVersion: versionCol.int(kemVersion, 'kem_version', 1),
    });
    return true;
  }

  /** The version row if it exists and is not destroyed. */
  #live(path: string, version: number): SecretVersionRecord | undefined {
    const row = this.#entries.get(path)?.versions.get(version);
    return row === undefined || row.destroyed ? undefined : row;
  }

  #update(row: SecretVersionRecord, change: Partial<SecretVersionRecord>): void {
    const versions = (this.#entries.get(row.path) as Entry).versions;
    versions.set(row.version, { ...row, ...change });
    this.#undo(() => versions.set(row.version, row));
  }

  #drop(path: string): void {
    this.#entries.delete(path);
    const i = lowerBound(this.#paths, path, compareText);
    if (this.#paths[i] === path) this.#paths.splice(i, 1);
  }

  changeMark(): number {
    return this.#mark;
  }

  /** A rollback changes rows too: undoing moves the mark as well. */
  #undo(fn: () => void): void {
    this.#db.undo(() => {
      this.#mark++;
      fn();
    });
  }
}

/**
 * Migration 3: the versioned secrets tables (src/secrets; docs/format.md "Secrets at
 * rest"). Released migrations are never edited; a change is a new migration.
 *
 * `secret_meta` holds one row per path (its settings and counters), `secret_versions` one
 * row per version: the sealed envelope (NULL once destroyed, the bytes overwritten by
 * `secure_delete`), its kind and the KEM key version it is sealed under. The envelope is
 * the authority: kind, path and version are bound into its context and checked on every
 * open, so the clear columns are for queries only (and `kem_version` is what a rewrap
 * scans, through its index). Versions are deleted only by `max_versions` pruning and
 * when the whole path is destroyed.
 * @module
 */
export const SECRETS_SCHEMA_SQL = `
  CREATE TABLE secret_meta (
    path            TEXT PRIMARY KEY CHECK (length(path) BETWEEN 1 AND 512),
    max_versions    INTEGER NOT NULL CHECK (max_versions BETWEEN 0 AND 1000),
    cas_required    INTEGER NOT NULL CHECK (cas_required IN (0, 1)),
    custom_metadata TEXT NOT NULL CHECK (json_valid(custom_metadata)),
    current_version INTEGER NOT NULL CHECK (current_version >= 0),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE secret_versions (
    path        TEXT NOT NULL REFERENCES secret_meta (path) ON DELETE CASCADE,
    version     INTEGER NOT NULL CHECK (version >= 1),
    kind        TEXT NOT NULL CHECK (kind IN ('data', 'binary')),
    envelope    BLOB,
    kem_version INTEGER NOT NULL CHECK (kem_version >= 1),
    created_at  INTEGER NOT NULL,
    deleted_at  INTEGER,
    destroyed   INTEGER NOT NULL CHECK (destroyed IN (0, 1)),
    CHECK ((destroyed = 1) = (envelope IS NULL)),
    PRIMARY KEY (path, version)
  ) STRICT;

  CREATE INDEX secret_versions_kem_version ON secret_versions (kem_version);
`;

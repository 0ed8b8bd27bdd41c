/**
 * Migration 5: the transit engine's named keys (src/transit; docs/transit.md). Released
 * migrations are never edited; a change is a new migration.
 *
 * `transit_keys` holds one row per named key (its type and settings), `transit_key_versions`
 * one row per version: the sealed key material, its public key in clear (for listings and
 * offline verification) and the vault KEM key version the envelope is sealed under (what a
 * rewrap scans, through its index). The envelope is the authority: the name and version
 * are bound into its context and checked on every open. Key types are checked by
 * src/transit on read, so a new type needs no table rebuild.
 * @module
 */
export const TRANSIT_SCHEMA_SQL = `
  CREATE TABLE transit_keys (
    name                   TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 128),
    type                   TEXT NOT NULL,
    latest_version         INTEGER NOT NULL CHECK (latest_version >= 1),
    min_decryption_version INTEGER NOT NULL CHECK (min_decryption_version >= 1),
    min_encryption_version INTEGER NOT NULL CHECK (min_encryption_version >= 0),
    deletion_allowed       INTEGER NOT NULL CHECK (deletion_allowed IN (0, 1)),
    exportable             INTEGER NOT NULL CHECK (exportable IN (0, 1)),
    allow_plaintext_backup INTEGER NOT NULL CHECK (allow_plaintext_backup IN (0, 1)),
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL,
    CHECK (min_decryption_version <= latest_version),
    CHECK (min_encryption_version <= latest_version)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE transit_key_versions (
    name        TEXT NOT NULL REFERENCES transit_keys (name) ON DELETE CASCADE,
    version     INTEGER NOT NULL CHECK (version >= 1),
    public_key  BLOB,
    envelope    BLOB NOT NULL,
    kem_version INTEGER NOT NULL CHECK (kem_version >= 1),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (name, version)
  ) STRICT;

  CREATE INDEX transit_key_versions_kem_version ON transit_key_versions (kem_version);
`;

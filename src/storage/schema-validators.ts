/**
 * Migration 4: the validator tables (src/validators; docs/validators.md, ADR 0007).
 * Released migrations are never edited; a change is a new migration.
 *
 * - `validator_slots`: one row per slot (name, chain, labels, metadata and the signing
 *   state, which lives on the slot so a rotation carries it by construction).
 * - `validator_keys`: one row per key. The secret exists only as an envelope (NULL once
 *   destroyed; `secure_delete` overwrites the freed bytes). The partial unique indexes
 *   are the invariant the whole rotation workflow rests on: at most one `active` and at
 *   most one `pending` key per slot, whatever the code above does; and one public key
 *   per chain across the vault (a destroyed key keeps its row as a tombstone, so the
 *   same key cannot quietly come back). `(slot, chain)` references the slot's own
 *   `(name, chain)`, so a key can never sit in a slot of another chain.
 * - `validator_records`: the signed, hash-chained rotation records, one chain per slot,
 *   stored as the exact canonical JSON that was signed. Append-only by trigger.
 * @module
 */
export const VALIDATORS_SCHEMA_SQL = `
  CREATE TABLE validator_slots (
    name          TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 64),
    chain         TEXT NOT NULL CHECK (chain IN ('ethereum', 'cosmos', 'solana')),
    labels        TEXT NOT NULL CHECK (json_valid(labels)),
    metadata      TEXT NOT NULL CHECK (json_valid(metadata)),
    signing_state TEXT NOT NULL CHECK (json_valid(signing_state)),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (name, chain)
  ) STRICT, WITHOUT ROWID;

  CREATE TABLE validator_keys (
    id           TEXT PRIMARY KEY CHECK (length(id) = 36),
    slot         TEXT NOT NULL,
    chain        TEXT NOT NULL,
    key_type     TEXT NOT NULL CHECK (key_type IN ('BLS12-381', 'Ed25519')),
    public_key   BLOB NOT NULL CHECK (length(public_key) IN (32, 48)),
    path         TEXT,
    state        TEXT NOT NULL CHECK (state IN ('pending', 'active', 'retired', 'destroyed')),
    source       TEXT NOT NULL CHECK (source IN ('imported-eip2335', 'imported-cosmos', 'imported-solana', 'generated', 'derived')),
    envelope     BLOB,
    kem_version  INTEGER NOT NULL CHECK (kem_version >= 1),
    created_at   INTEGER NOT NULL,
    activated_at INTEGER,
    retired_at   INTEGER,
    destroyed_at INTEGER,
    CHECK ((state = 'destroyed') = (envelope IS NULL)),
    CHECK ((state = 'destroyed') = (destroyed_at IS NOT NULL)),
    FOREIGN KEY (slot, chain) REFERENCES validator_slots (name, chain)
  ) STRICT;

  CREATE UNIQUE INDEX validator_keys_one_active ON validator_keys (slot) WHERE state = 'active';
  CREATE UNIQUE INDEX validator_keys_one_pending ON validator_keys (slot) WHERE state = 'pending';
  CREATE UNIQUE INDEX validator_keys_public_key ON validator_keys (chain, public_key);
  CREATE INDEX validator_keys_slot ON validator_keys (slot, created_at);
  CREATE INDEX validator_keys_kem_version ON validator_keys (kem_version) WHERE envelope IS NOT NULL;

  CREATE TABLE validator_records (
    slot   TEXT NOT NULL REFERENCES validator_slots (name),
    seq    INTEGER NOT NULL CHECK (seq >= 1),
    record TEXT NOT NULL CHECK (json_valid(record)),
    hash   BLOB NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (slot, seq)
  ) STRICT, WITHOUT ROWID;

  CREATE TRIGGER validator_records_no_update BEFORE UPDATE ON validator_records
    BEGIN SELECT RAISE(ABORT, 'validator_records is append-only'); END;
  CREATE TRIGGER validator_records_no_delete BEFORE DELETE ON validator_records
    BEGIN SELECT RAISE(ABORT, 'validator_records is append-only'); END;
`;

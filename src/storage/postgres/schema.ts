/**
 * The PostgreSQL schema: the same tables, columns and constraints as the SQLite file at
 * the same schema version, so both engines hold the same rows and one set of store classes
 * reads them. SQLite's INTEGER is BIGINT here, BLOB is BYTEA, and every text column
 * compares by code point (`COLLATE "C"`), which is what the storage contract promises for
 * ordering. The append-only rules are triggers, as in SQLite.
 *
 * The audit tables live in one schema per node (`ov_audit_<node>`): each daemon of a
 * cluster appends to its own hash chain, and the stores find their node's tables through
 * the connection's search path. Everything else is shared, in the database's default schema.
 *
 * The schema version is a row of `ov_schema`; a database at a newer version is refused.
 * Migrations run under a transaction-scoped advisory lock, so daemons starting together
 * migrate once.
 * @module
 */

import { WRITE_LOCK } from './db.js';

/** The advisory lock migrations hold ('OVMG'). */
export const MIGRATE_LOCK = 0x4f564d47;

const T = 'TEXT COLLATE "C"';

/** Tables shared by every node: the SQLite schema at version 7, in PostgreSQL's words. */
export const SHARED_SCHEMA_SQL = `
  CREATE TABLE ov_schema (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
  );

  -- Bumped by every statement that changes the secret tables: another node's read cache
  -- compares it, as SQLite's data_version.
  CREATE TABLE ov_changes (
    name ${T} PRIMARY KEY,
    n    BIGINT NOT NULL
  );
  INSERT INTO ov_changes (name, n) VALUES ('secrets', 0);

  CREATE FUNCTION ov_secrets_changed() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    UPDATE ov_changes SET n = n + 1 WHERE name = 'secrets';
    RETURN NULL;
  END $$;

  CREATE FUNCTION ov_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
  END $$;

  CREATE TABLE meta (
    name  ${T} PRIMARY KEY,
    value BYTEA NOT NULL
  );

  CREATE TABLE api_keys (
    id         ${T} PRIMARY KEY,
    hash       ${T} NOT NULL,
    role       ${T} NOT NULL CHECK (role IN ('admin', 'operator', 'reader')),
    scope      ${T} NOT NULL,
    label      ${T} NOT NULL,
    created_at BIGINT NOT NULL,
    rotated_at BIGINT
  );

  CREATE TABLE sessions (
    rowid      BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id         ${T} PRIMARY KEY,
    digest     BYTEA NOT NULL UNIQUE CHECK (octet_length(digest) = 32),
    api_key_id ${T} NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    role       ${T} NOT NULL CHECK (role IN ('admin', 'operator', 'reader')),
    scope      ${T} NOT NULL,
    label      ${T} NOT NULL,
    issued_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    CHECK (expires_at >= issued_at)
  );
  CREATE INDEX sessions_api_key_id ON sessions (api_key_id);
  CREATE INDEX sessions_expires_at ON sessions (expires_at);

  CREATE TABLE keyring_policy (
    name                ${T} PRIMARY KEY,
    latest_version      BIGINT NOT NULL CHECK (latest_version >= 1),
    min_decrypt_version BIGINT NOT NULL CHECK (min_decrypt_version >= 1),
    CHECK (min_decrypt_version <= latest_version)
  );

  CREATE TABLE keyring_keys (
    name           ${T} NOT NULL REFERENCES keyring_policy (name),
    version        BIGINT NOT NULL CHECK (version >= 1),
    alg            ${T} NOT NULL,
    key_id         BYTEA NOT NULL CHECK (octet_length(key_id) = 16),
    public_key     BYTEA,
    wrapped_secret BYTEA NOT NULL,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (name, version)
  );

  CREATE TABLE secret_meta (
    path            ${T} PRIMARY KEY CHECK (char_length(path) BETWEEN 1 AND 512),
    max_versions    BIGINT NOT NULL CHECK (max_versions BETWEEN 0 AND 1000),
    cas_required    BIGINT NOT NULL CHECK (cas_required IN (0, 1)),
    custom_metadata ${T} NOT NULL CHECK (custom_metadata::json IS NOT NULL),
    current_version BIGINT NOT NULL CHECK (current_version >= 0),
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
  );

  CREATE TABLE secret_versions (
    path        ${T} NOT NULL REFERENCES secret_meta (path) ON DELETE CASCADE,
    version     BIGINT NOT NULL CHECK (version >= 1),
    kind        ${T} NOT NULL CHECK (kind IN ('data', 'binary')),
    envelope    BYTEA,
    kem_version BIGINT NOT NULL CHECK (kem_version >= 1),
    created_at  BIGINT NOT NULL,
    deleted_at  BIGINT,
    destroyed   BIGINT NOT NULL CHECK (destroyed IN (0, 1)),
    CHECK ((destroyed = 1) = (envelope IS NULL)),
    PRIMARY KEY (path, version)
  );
  CREATE INDEX secret_versions_kem_version ON secret_versions (kem_version);
  CREATE TRIGGER secret_meta_changed AFTER INSERT OR UPDATE OR DELETE ON secret_meta
    FOR EACH STATEMENT EXECUTE FUNCTION ov_secrets_changed();
  CREATE TRIGGER secret_versions_changed AFTER INSERT OR UPDATE OR DELETE ON secret_versions
    FOR EACH STATEMENT EXECUTE FUNCTION ov_secrets_changed();

  CREATE TABLE validator_slots (
    name          ${T} PRIMARY KEY CHECK (char_length(name) BETWEEN 1 AND 64),
    chain         ${T} NOT NULL CHECK (chain IN ('ethereum', 'cosmos', 'solana')),
    labels        ${T} NOT NULL CHECK (labels::json IS NOT NULL),
    metadata      ${T} NOT NULL CHECK (metadata::json IS NOT NULL),
    signing_state ${T} NOT NULL CHECK (signing_state::json IS NOT NULL),
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    UNIQUE (name, chain)
  );

  CREATE TABLE validator_keys (
    id           ${T} PRIMARY KEY CHECK (char_length(id) = 36),
    slot         ${T} NOT NULL,
    chain        ${T} NOT NULL,
    key_type     ${T} NOT NULL CHECK (key_type IN ('BLS12-381', 'Ed25519')),
    public_key   BYTEA NOT NULL CHECK (octet_length(public_key) IN (32, 48)),
    path         ${T},
    state        ${T} NOT NULL CHECK (state IN ('pending', 'active', 'retired', 'destroyed')),
    source       ${T} NOT NULL CHECK (source IN ('imported-eip2335', 'imported-cosmos', 'imported-solana', 'generated', 'derived')),
    envelope     BYTEA,
    kem_version  BIGINT NOT NULL CHECK (kem_version >= 1),
    created_at   BIGINT NOT NULL,
    activated_at BIGINT,
    retired_at   BIGINT,
    destroyed_at BIGINT,
    CHECK ((state = 'destroyed') = (envelope IS NULL)),
    CHECK ((state = 'destroyed') = (destroyed_at IS NOT NULL)),
    FOREIGN KEY (slot, chain) REFERENCES validator_slots (name, chain)
  );
  CREATE UNIQUE INDEX validator_keys_one_active ON validator_keys (slot) WHERE state = 'active';
  CREATE UNIQUE INDEX validator_keys_one_pending ON validator_keys (slot) WHERE state = 'pending';
  CREATE UNIQUE INDEX validator_keys_public_key ON validator_keys (chain, public_key);
  CREATE INDEX validator_keys_slot ON validator_keys (slot, created_at);
  CREATE INDEX validator_keys_kem_version ON validator_keys (kem_version) WHERE envelope IS NOT NULL;

  CREATE TABLE validator_records (
    slot   ${T} NOT NULL REFERENCES validator_slots (name),
    seq    BIGINT NOT NULL CHECK (seq >= 1),
    record ${T} NOT NULL CHECK (record::json IS NOT NULL),
    hash   BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    PRIMARY KEY (slot, seq)
  );
  CREATE TRIGGER validator_records_append_only BEFORE UPDATE OR DELETE ON validator_records
    FOR EACH ROW EXECUTE FUNCTION ov_append_only();

  CREATE TABLE transit_keys (
    name                   ${T} PRIMARY KEY CHECK (char_length(name) BETWEEN 1 AND 128),
    type                   ${T} NOT NULL,
    latest_version         BIGINT NOT NULL CHECK (latest_version >= 1),
    min_decryption_version BIGINT NOT NULL CHECK (min_decryption_version >= 1),
    min_encryption_version BIGINT NOT NULL CHECK (min_encryption_version >= 0),
    deletion_allowed       BIGINT NOT NULL CHECK (deletion_allowed IN (0, 1)),
    exportable             BIGINT NOT NULL CHECK (exportable IN (0, 1)),
    allow_plaintext_backup BIGINT NOT NULL CHECK (allow_plaintext_backup IN (0, 1)),
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    CHECK (min_decryption_version <= latest_version),
    CHECK (min_encryption_version <= latest_version)
  );

  CREATE TABLE transit_key_versions (
    name        ${T} NOT NULL REFERENCES transit_keys (name) ON DELETE CASCADE,
    version     BIGINT NOT NULL CHECK (version >= 1),
    public_key  BYTEA,
    envelope    BYTEA NOT NULL,
    kem_version BIGINT NOT NULL CHECK (kem_version >= 1),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (name, version)
  );
  CREATE INDEX transit_key_versions_kem_version ON transit_key_versions (kem_version);

  -- The cluster (src/cluster/): each node's lease, on the database's clock, and how far it
  -- has applied the change events.
  CREATE TABLE ov_cluster_nodes (
    node          ${T} PRIMARY KEY,
    addr          ${T},
    started_at    BIGINT NOT NULL,
    lease_until   BIGINT NOT NULL,
    renewed_at    BIGINT NOT NULL,
    caught_up_seq BIGINT NOT NULL DEFAULT 0
  );

  -- Changes other nodes must apply to what they hold in memory, written by triggers in the
  -- transaction of the change itself. Each takes the write lock before its number, so
  -- events commit in seq order and a reader that has seen seq n has seen every event
  -- below it. 'node' is the writer (from application_name), which skips its own events.
  CREATE TABLE ov_cluster_events (
    seq     BIGSERIAL PRIMARY KEY,
    at      BIGINT NOT NULL,
    kind    ${T} NOT NULL,
    subject ${T} NOT NULL,
    node    ${T} NOT NULL
  );

  -- Events up to this seq have been pruned: a node behind it reloads everything instead.
  INSERT INTO ov_changes (name, n) VALUES ('cluster_pruned', 0);

  CREATE FUNCTION ov_cluster_event(kind text, subject text) RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM pg_advisory_xact_lock(${WRITE_LOCK});
    INSERT INTO ov_cluster_events (at, kind, subject, node)
      VALUES ((extract(epoch FROM clock_timestamp()) * 1000)::bigint, kind, subject,
              coalesce(substring(current_setting('application_name') FROM '^ontoref-vault/(.*)$'), ''));
    PERFORM pg_notify('ov_cluster', '');
  END $$;

  -- A session deleted while still live is a revocation (expired ones are only swept).
  CREATE FUNCTION ov_session_event() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF OLD.expires_at > (extract(epoch FROM clock_timestamp()) * 1000)::bigint THEN
      PERFORM ov_cluster_event('session', OLD.id);
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER sessions_event AFTER DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION ov_session_event();

  -- A key deleted, or its hash replaced (rotation): its sessions go everywhere.
  CREATE FUNCTION ov_apikey_event() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'DELETE' OR OLD.hash IS DISTINCT FROM NEW.hash OR OLD.role IS DISTINCT FROM NEW.role OR OLD.scope IS DISTINCT FROM NEW.scope THEN
      PERFORM ov_cluster_event('apikey', OLD.id);
    END IF;
    RETURN NULL;
  END $$;
  CREATE TRIGGER api_keys_event AFTER UPDATE OR DELETE ON api_keys FOR EACH ROW EXECUTE FUNCTION ov_apikey_event();

  -- Keyring, transit keys and settings in meta (seal policy, signer identities): one event
  -- per statement, naming the table.
  CREATE FUNCTION ov_table_event() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM ov_cluster_event(TG_ARGV[0], TG_TABLE_NAME);
    RETURN NULL;
  END $$;
  CREATE TRIGGER keyring_policy_event AFTER INSERT OR UPDATE OR DELETE ON keyring_policy FOR EACH STATEMENT EXECUTE FUNCTION ov_table_event('keyring');
  CREATE TRIGGER keyring_keys_event AFTER INSERT OR UPDATE OR DELETE ON keyring_keys FOR EACH STATEMENT EXECUTE FUNCTION ov_table_event('keyring');
  CREATE TRIGGER transit_keys_event AFTER INSERT OR UPDATE OR DELETE ON transit_keys FOR EACH STATEMENT EXECUTE FUNCTION ov_table_event('transit');
  CREATE TRIGGER transit_key_versions_event AFTER INSERT OR UPDATE OR DELETE ON transit_key_versions FOR EACH STATEMENT EXECUTE FUNCTION ov_table_event('transit');
  CREATE TRIGGER meta_event AFTER INSERT OR UPDATE OR DELETE ON meta FOR EACH STATEMENT EXECUTE FUNCTION ov_table_event('meta');
`;

/** The name of a node's audit schema. Node names are checked by the caller. */
export function auditSchema(node: string): string {
  return `ov_audit_${node}`;
}

/** One node's audit chain, created in its own schema on the node's first start. */
export function nodeAuditSql(node: string): string {
  const s = auditSchema(node);
  return `
  CREATE SCHEMA IF NOT EXISTS ${s};

  CREATE TABLE IF NOT EXISTS ${s}.audit_log (
    seq  BIGINT PRIMARY KEY CHECK (seq >= 1),
    time BIGINT NOT NULL,
    path ${T},
    body ${T} NOT NULL,
    hash BYTEA NOT NULL CHECK (octet_length(hash) = 32)
  );
  DROP INDEX IF EXISTS ${s}.audit_log_path;
  CREATE INDEX IF NOT EXISTS audit_log_time ON ${s}.audit_log (time);

  CREATE TABLE IF NOT EXISTS ${s}.audit_checkpoints (
    seq         BIGINT PRIMARY KEY CHECK (seq >= 1),
    hash        BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    alg         ${T} NOT NULL,
    key_version BIGINT NOT NULL CHECK (key_version >= 1),
    signature   BYTEA NOT NULL,
    time        BIGINT NOT NULL
  );

  CREATE TABLE IF NOT EXISTS ${s}.audit_archives (
    seq         BIGINT PRIMARY KEY CHECK (seq >= 1),
    first_seq   BIGINT NOT NULL CHECK (first_seq >= 1 AND first_seq <= seq),
    hash        BYTEA NOT NULL CHECK (octet_length(hash) = 32),
    alg         ${T} NOT NULL,
    key_version BIGINT NOT NULL CHECK (key_version >= 1),
    signature   BYTEA NOT NULL,
    time        BIGINT NOT NULL,
    archived_at BIGINT NOT NULL
  );

  -- Rows leave only by pruning, at or below the last archived boundary.
  CREATE OR REPLACE FUNCTION ${s}.ov_audit_guard() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF TG_OP = 'DELETE' AND TG_TABLE_NAME <> 'audit_archives'
       AND OLD.seq <= (SELECT coalesce(max(seq), 0) FROM ${s}.audit_archives) THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
  END $$;
  DROP TRIGGER IF EXISTS audit_log_append_only ON ${s}.audit_log;
  CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON ${s}.audit_log
    FOR EACH ROW EXECUTE FUNCTION ${s}.ov_audit_guard();
  DROP TRIGGER IF EXISTS audit_checkpoints_append_only ON ${s}.audit_checkpoints;
  CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON ${s}.audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION ${s}.ov_audit_guard();
  DROP TRIGGER IF EXISTS audit_archives_append_only ON ${s}.audit_archives;
  CREATE TRIGGER audit_archives_append_only BEFORE UPDATE OR DELETE ON ${s}.audit_archives
    FOR EACH ROW EXECUTE FUNCTION ${s}.ov_audit_guard();
`;
}

/**
 * Whole-database operations on a PostgreSQL vault for the offline tools (`vault setup
 * --force`, `vault operator migrate --force`): does the database hold a vault, does a node
 * of the cluster hold a live lease, and dropping every table and schema of the vault.
 * Dropping runs in one transaction under both advisory locks (migrations and writers), and
 * checks the leases inside it, so no daemon can start writing between the check and the drop.
 * @module
 */
import { VaultError } from '../../errors.js';
import { SyncPg, type PgTls } from './bridge.js';
import { WRITE_LOCK } from './db.js';
import { pgSchemaVersion } from './index.js';
import { MIGRATE_LOCK, SHARED_SCHEMA_SQL } from './schema.js';

/** A plain connection (no node search path), for the checks below. */
export function connectPg(opts: { readonly url: string; readonly tls?: PgTls | undefined; readonly timeoutMs?: number | undefined }): SyncPg {
  return new SyncPg({
    url: opts.url,
    ...(opts.tls === undefined ? {} : { tls: opts.tls }),
    timeoutMs: opts.timeoutMs ?? 5000,
    applicationName: 'ontoref-vault/admin',
  });
}

/** `postgres://user@host:port/db` without the password, for messages and reports. */
export function redactPgUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    u.search = '';
    return u.toString();
  } catch {
    return 'postgres://(unparsable url)';
  }
}

/**
 * True when the database's vault tables exist and hold any of the rows a set-up vault has:
 * the meta row named `metaName` (the seal configuration), a keyring policy or an API key.
 * Throws OV_STORAGE_CORRUPT for another application's tables.
 */
export function holdsVault(pg: SyncPg, metaName: string): boolean {
  if (pgSchemaVersion(pg) === 0) return false;
  const r = pg.query(
    'SELECT EXISTS (SELECT 1 FROM public.meta WHERE name = $1) OR EXISTS (SELECT 1 FROM public.keyring_policy) OR EXISTS (SELECT 1 FROM public.api_keys)',
    [metaName],
  );
  return r.rows[0]?.[0] === true;
}

/**
 * The nodes whose cluster lease is live, sorted; none without the cluster table. Leases are
 * kept on the database's clock, so they are compared with it, not with this host's.
 */
export function liveLeases(pg: SyncPg): string[] {
  const has = pg.query("SELECT to_regclass('public.ov_cluster_nodes') IS NOT NULL").rows[0]?.[0] === true;
  if (!has) return [];
  return pg
    .query('SELECT node FROM public.ov_cluster_nodes WHERE lease_until > (extract(epoch FROM clock_timestamp()) * 1000)::bigint ORDER BY node')
    .rows.map((r) => String(r[0]));
}

/** Every table and function the vault's schema creates in `public`. */
function sharedObjects(): { tables: string[]; functions: string[] } {
  const tables = [...SHARED_SCHEMA_SQL.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?(\w+)/g)].map((m) => m[1] as string);
  const functions = [...SHARED_SCHEMA_SQL.matchAll(/CREATE (?:OR REPLACE )?FUNCTION (\w+)/g)].map((m) => m[1] as string);
  return { tables, functions };
}

/**
 * Drops the vault: every shared table (and any other `ov_*` table in `public`), its
 * functions, and every node's audit schema `ov_audit_*`. Throws OV_CLUSTER_MEMBERS_LIVE,
 * with nothing dropped, while any node holds a live lease.
 */
export function dropVault(pg: SyncPg): { schemas: string[]; tables: string[] } {
  return pg.transact(`BEGIN; SELECT pg_advisory_xact_lock(${MIGRATE_LOCK}); SELECT pg_advisory_xact_lock(${WRITE_LOCK})`, () => {
    const live = liveLeases(pg);
    if (live.length > 0) throw new VaultError('OV_CLUSTER_MEMBERS_LIVE', { nodes: live.join(',') });
    const schemas = pg.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'ov\\_audit\\_%' ORDER BY nspname").rows.map((r) => String(r[0]));
    const { tables, functions } = sharedObjects();
    const present = pg
      .query("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND (tablename = ANY($1) OR tablename LIKE 'ov\\_%') ORDER BY tablename", [tables])
      .rows.map((r) => String(r[0]));
    const quote = (n: string): string => `"${n.replaceAll('"', '""')}"`;
    for (const s of schemas) pg.exec(`DROP SCHEMA ${quote(s)} CASCADE`);
    if (present.length > 0) pg.exec(`DROP TABLE IF EXISTS ${present.map((t) => `public.${quote(t)}`).join(', ')} CASCADE`);
    // By signature, whatever arguments each was created with.
    const procs = pg
      .query("SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public' AND (p.proname = ANY($1) OR p.proname LIKE 'ov\\_%')", [functions])
      .rows.map((r) => String(r[0]));
    for (const f of procs) pg.exec(`DROP FUNCTION IF EXISTS ${f} CASCADE`);
    return { schemas, tables: present };
  });
}

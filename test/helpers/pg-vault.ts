/**
 * A vault on PostgreSQL for the integration suites: the data dir's config.toml naming a
 * database, one-off queries, and a digest of every row of the vault's tables (shared and
 * per node), to show that a refused command changed nothing.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

/** Writes `<dir>/config.toml` with `[storage] backend = "postgres"` (and the unseal key file, log level, timeout). */
export function writePgConfig(
  dir: string,
  url: string,
  opts: { unsealKeyFile?: string; node?: string; timeout?: string; logLevel?: string } = {},
): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lines = [
    ...(opts.logLevel === undefined ? [] : [`log_level = ${JSON.stringify(opts.logLevel)}`]),
    ...(opts.unsealKeyFile === undefined ? [] : ['[seal]', `unseal_key_file = ${JSON.stringify(opts.unsealKeyFile)}`]),
    '[storage]',
    'backend = "postgres"',
    `url = ${JSON.stringify(url)}`,
    `node = ${JSON.stringify(opts.node ?? 'main')}`,
    ...(opts.timeout === undefined ? [] : [`timeout = ${JSON.stringify(opts.timeout)}`]),
  ];
  const file = join(dir, 'config.toml');
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

/** Runs one statement (or several, without parameters) and returns its rows as arrays. */
export async function pgQuery(url: string, sql: string, params: readonly unknown[] = []): Promise<unknown[][]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    if (params.length === 0 && sql.includes(';')) {
      await c.query(sql);
      return [];
    }
    const r = await c.query({ text: sql, values: [...params], rowMode: 'array' });
    return r.rows as unknown[][];
  } finally {
    await c.end();
  }
}

/** md5 of every row of every table in `public` (the lease table aside) and the `ov_audit_*` schemas, by table. */
export async function databaseDigest(url: string): Promise<Record<string, string>> {
  const tables = await pgQuery(
    url,
    "SELECT schemaname || '.' || tablename FROM pg_tables WHERE schemaname = 'public' OR schemaname LIKE 'ov\\_audit\\_%' ORDER BY 1",
  );
  const out: Record<string, string> = {};
  for (const [t] of tables) {
    const name = String(t);
    // A running daemon renews its lease there twice a second: liveness, not vault data.
    if (name === 'public.ov_cluster_nodes') continue;
    const r = await pgQuery(url, `SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, ',' ORDER BY x::text)), '') FROM ${name} x`);
    out[name] = String(r[0]?.[0]);
  }
  return out;
}

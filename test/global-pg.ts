/**
 * Vitest global setup: starts one throwaway PostgreSQL server for the run unless
 * `ONTOREF_TEST_PG_URL` names one, and publishes its URL there for every test file (each
 * file makes its own databases on it).
 */
import { startPostgres, type PgServer } from './helpers/pg.js';

let server: PgServer | undefined;

export async function setup(): Promise<void> {
  if ((process.env.ONTOREF_TEST_PG_URL ?? '') !== '') return;
  server = await startPostgres();
  process.env.ONTOREF_TEST_PG_URL = server.url;
}

export async function teardown(): Promise<void> {
  await server?.destroy();
}

/**
 * The storage an offline command reads (`audit verify`, `snapshot inspect`, `operator
 * migrate`): the config of the data dir says whether that is `<data dir>/vault.db` or a
 * PostgreSQL database; either is opened read-only unless asked otherwise.
 * @module
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { PostgresOptions, Storage } from '../../src/storage/index.js';
import type { CommandContext } from '../command.js';
import { envRecord } from '../connect/env.js';

export interface OfflineTarget {
  /** vault.db's path, or the database URL without its password. */
  readonly label: string;
  readonly postgres: PostgresOptions | undefined;
  /** False for a vault.db that does not exist (a database is always there to ask). */
  readonly present: boolean;
  open(opts?: { readonly readonly?: boolean }): Storage;
}

/** Where the vault of `dataDir` lives, by the config that data dir would run with. */
export async function offlineTarget(ctx: CommandContext<unknown>, dataDir: string): Promise<OfflineTarget> {
  const { checkConfig } = await import('../../src/config.js');
  const { postgresOptions } = await import('../../src/setup.js');
  const postgres = postgresOptions(checkConfig({ env: { ...envRecord(ctx), ONTOREF_DATA_DIR: dataDir } }));
  const { openStorage, openPostgresStorage } = await import('../../src/storage/index.js');
  if (postgres !== undefined) {
    const { redactPgUrl } = await import('../../src/storage/postgres/admin.js');
    return {
      label: redactPgUrl(postgres.url),
      postgres,
      present: true,
      open: (o = {}) => openPostgresStorage({ ...postgres, readonly: o.readonly !== false }),
    };
  }
  const path = join(dataDir, 'vault.db');
  return { label: path, postgres: undefined, present: existsSync(path), open: (o = {}) => openStorage(path, { readonly: o.readonly !== false }) };
}

/**
 * `vault operator migrate --from sqlite:PATH --to postgres:URL`: copies a SQLite vault
 * (every table; its audit chain becomes the chain of node `--node`) into a PostgreSQL
 * database, offline, then verifies the copy by reading every row back from both and
 * comparing them. The source's data dir lock is held throughout, so no daemon can write
 * the source meanwhile; the copy is one transaction on the target, under the writers' lock.
 * @module
 */
import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { isVaultError } from '../../src/errors.js';
import { defineCommand } from '../command.js';
import { CliError, dataDirLocked, usageError } from '../errors.js';
import { envRecord } from '../connect/env.js';
import { clean, printJson } from '../connect/format.js';

/** `sqlite:PATH`: a vault.db file, or a data dir holding one. */
function sourcePath(value: string, commandPath: string): { file: string; dataDir: string } {
  if (!value.startsWith('sqlite:') || value.length === 'sqlite:'.length) throw usageError('--from takes sqlite:PATH (a vault.db or its data dir)', commandPath);
  const p = resolve(value.slice('sqlite:'.length));
  let dir = false;
  try {
    dir = statSync(p).isDirectory();
  } catch {
    throw new CliError('OV_IO', { reason: `no vault at ${p}` });
  }
  return dir ? { file: join(p, 'vault.db'), dataDir: p } : { file: p, dataDir: dirname(p) };
}

export const command = defineCommand({
  name: 'migrate',
  usage: 'vault operator migrate --from sqlite:PATH --to postgres[:URL] [--node NAME] [--force] [--json]',
  options: {
    from: { type: 'string', arg: 'sqlite:PATH', help: "the source: a vault.db, or the data dir that holds it (no daemon may run on it)" },
    to: { type: 'string', arg: 'postgres[:URL]', help: 'the target database; without URL, ONTOREF_PG_URL or the config\'s [storage] url' },
    node: { type: 'string', arg: 'NAME', help: "whose audit chain the source's becomes (default the config's [storage] node, else the host name)" },
    force: { type: 'boolean', help: 'drop a vault already in the target first (refused while a node holds a live lease)' },
    json: { type: 'boolean', help: 'print {from, to, node, tables: [{table, rows}], verified}' },
  },
  details: [
    'Offline: stop the daemon of the source first (its data dir lock is held while copying).',
    'Copies every table in one transaction, then reads every row back from both databases',
    'and compares them; prints the rows per table. Progress goes to stderr on a terminal.',
    'A URL with a password belongs in ONTOREF_PG_URL or the config, not on the command line.',
    'The data dir keeps its files (admin token, unseal key); point its config at the',
    'database ([storage] backend = "postgres") to serve the migrated vault.',
    '',
    'Exit codes: 0 copied and verified; 1 refused (a daemon runs on the source, the target',
    'holds a vault without --force, a live lease), the copy does not verify, or another error.',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    if (v.from === undefined || v.to === undefined) throw usageError('migrate needs --from sqlite:PATH and --to postgres[:URL]', ctx.commandPath);
    const source = sourcePath(v.from, ctx.commandPath);
    if (v.to !== 'postgres' && !v.to.startsWith('postgres:')) throw usageError('--to takes postgres or postgres:URL', ctx.commandPath);
    const given = v.to === 'postgres' ? '' : v.to.slice('postgres:'.length);
    const { checkConfig } = await import('../../src/config.js');
    const { postgresOptions } = await import('../../src/setup.js');
    const configured = postgresOptions(checkConfig({ env: { ...envRecord(ctx), ONTOREF_DATA_DIR: source.dataDir } }));
    const env = envRecord(ctx)['ONTOREF_PG_URL'];
    const url = given !== '' ? given : env !== undefined && env !== '' ? env : configured?.url;
    if (url === undefined || !/^postgres(ql)?:\/\//.test(url)) {
      throw usageError('--to postgres needs a postgres:// URL: after the colon, in ONTOREF_PG_URL, or as [storage] url in the config', ctx.commandPath);
    }
    const { NODE_NAME, openPostgresStorage } = await import('../../src/storage/postgres/index.js');
    // The config's node, else the host name as the config would clean it.
    const host = hostname().toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 32);
    const node = v.node ?? configured?.node ?? (host === '' ? 'main' : host);
    if (!NODE_NAME.test(node)) throw new CliError('OV_INVALID_ARGUMENT', { reason: '--node must be 1 to 32 of a-z, 0-9 and _' });
    const target = { url, node, timeoutMs: 60_000, ...(configured?.tls === undefined || configured.url !== url ? {} : { tls: configured.tls }) };

    const { acquireDataDirLock } = await import('../../src/datadir-lock.js');
    let lock;
    try {
      lock = acquireDataDirLock(source.dataDir);
    } catch (e) {
      if (isVaultError(e, 'OV_DATADIR_LOCKED')) throw dataDirLocked(e, source.dataDir);
      throw e;
    }
    const { openDatabase } = await import('../../src/storage/sqlite/open.js');
    const { connectPg, dropVault, redactPgUrl } = await import('../../src/storage/postgres/admin.js');
    const { pgSchemaVersion } = await import('../../src/storage/postgres/index.js');
    const { copySqliteToPg, compareSqliteWithPg } = await import('../../src/storage/postgres/copy.js');
    const { WRITE_LOCK } = await import('../../src/storage/postgres/db.js');
    const shown = redactPgUrl(url);
    try {
      let src;
      try {
        src = openDatabase(source.file, { readonly: true });
      } catch (e) {
        if (isVaultError(e, 'OV_IO')) throw new CliError('OV_IO', { reason: `no vault at ${source.file}` });
        throw e;
      }
      try {
        // Refused before anything is written: a target that holds any vault tables.
        const admin = connectPg(target);
        try {
          const schemas = admin.query("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'ov\\_audit\\_%'").rows[0]?.[0];
          if (pgSchemaVersion(admin) > 0 || Number(schemas) > 0) {
            if (v.force !== true) {
              throw new CliError('OV_STORAGE_EXISTS', { reason: shown, hints: ['nothing was changed', 'pass --force to drop that vault (every table and audit schema) first'] });
            }
            try {
              dropVault(admin);
            } catch (e) {
              if (isVaultError(e, 'OV_CLUSTER_MEMBERS_LIVE')) {
                throw new CliError('OV_CLUSTER_MEMBERS_LIVE', { reason: `live lease held by ${String(e.detail?.['nodes'] ?? 'a node')}`, hints: ['nothing was changed', 'stop every daemon of the cluster and wait for its lease to end'] });
              }
              throw e;
            }
          }
        } finally {
          admin.close();
        }
        const dest = openPostgresStorage(target);
        try {
          const tty = ctx.streams.stderr.isTTY === true;
          const counts = copySqliteToPg(src.db, dest.pg, WRITE_LOCK, tty ? (table, rows) => ctx.streams.stderr.write(`\rcopying ${table}: ${rows} rows\u001b[K`) : undefined);
          if (tty) ctx.streams.stderr.write('\r\u001b[K');
          const compared = compareSqliteWithPg(src.db, dest.pg);
          const bad = compared.find((c) => c.firstDifference !== undefined || c.source !== c.target);
          if (bad !== undefined) {
            throw new CliError('OV_STORAGE_CORRUPT', {
              reason: `the copy of ${bad.table} differs from its source (${bad.source} rows, ${bad.target} copied; first difference at row ${String(bad.firstDifference)})`,
              hints: ['the target holds the partial copy: run again with --force once the cause is found'],
            });
          }
          if (v.json) {
            await printJson(ctx, { from: source.file, to: shown, node, tables: counts.map((c) => ({ table: c.table, rows: c.rows })), verified: true });
          } else {
            const w = Math.max(...counts.map((c) => c.table.length));
            await ctx.out(counts.map((c) => `${c.table.padEnd(w)}  ${c.rows}\n`).join(''));
            ctx.info(`copied ${clean(source.file)} to ${clean(shown)} (node ${node}); every row verified`);
          }
          return 0;
        } finally {
          dest.close();
        }
      } finally {
        src.db.close();
      }
    } finally {
      lock.release();
    }
  },
});

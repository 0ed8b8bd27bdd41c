/**
 * `vault snapshot restore FILE`: installs a snapshot into the data dir, offline (the
 * daemon stopped: the data dir lock proves it), after checking its signature against
 * `--expect-key` (or the current vault's signing keys), its data hash and its vault id.
 * The previous database is moved aside, never deleted.
 * @module
 */
import { isVaultError } from '../../src/errors.js';
import { defineCommand } from '../command.js';
import { CliError, dataDirLocked } from '../errors.js';
import { clean, printJson } from '../connect/format.js';
import { dataDirOf, readSnapshotFile } from './shared.js';

export const command = defineCommand({
  name: 'restore',
  usage: 'vault snapshot restore FILE [--expect-key FINGERPRINT] [--force] [--data-dir DIR] [--json]',
  positionals: { min: 1, max: 1, name: 'FILE' },
  options: {
    'expect-key': { type: 'string', arg: 'FINGERPRINT', help: 'the signing key fingerprint printed by vault setup (default: the current vault\'s keys)' },
    force: { type: 'boolean', help: 'restore a snapshot of another vault' },
    'data-dir': { type: 'string', arg: 'DIR', help: 'the data dir (default: ONTOREF_DATA_DIR, the config, or ~/.local/share/ontoref-vault)' },
    json: { type: 'boolean', help: 'print {database, manifest, backups, validator_keys_marked, foreign}' },
  },
  details: [
    'Stop the daemon first: a running daemon, sealed or not, holds the database open.',
    'Nothing is replaced unless the file is a snapshot, its manifest is signed by the',
    'expected key, its data matches the manifest and it is of this vault (or --force).',
    'vault.db (with its -wal and -shm) is renamed to vault.db.<UTC time>.bak. A data dir',
    'whose vault is in PostgreSQL is refused: restore into a SQLite data dir, then',
    '`vault operator migrate` it.',
    '',
    'Then start the daemon and unseal it with the root key of the snapshot\'s vault: a',
    'keyring that the root key cannot open keeps the daemon sealed. Every validator key is',
    'marked as needing its signing watermarks confirmed before it signs again.',
    '',
    'Exit codes: 0 restored; 1 refused (nothing was changed) or a local error.',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const dataDir = await dataDirOf(ctx, v['data-dir']);
    // A restore replaces vault.db; a data dir whose rows live in PostgreSQL has none to replace.
    const { offlineTarget } = await import('../operator/storage.js');
    if ((await offlineTarget(ctx, dataDir)).postgres !== undefined) {
      throw new CliError('OV_INVALID_ARGUMENT', {
        reason: `snapshot restore replaces vault.db, and ${dataDir} keeps its vault in PostgreSQL`,
        hints: [
          'nothing was changed',
          "restore into a data dir without [storage] backend = \"postgres\", then copy it over with 'vault operator migrate --force'",
        ],
      });
    }
    const bytes = await readSnapshotFile(ctx.positionals[0] ?? '');
    const provider = await ctx.provider();
    const { manifestJson, restoreSnapshot } = await import('../../src/snapshot/index.js');
    let r;
    try {
      r = restoreSnapshot({
        dataDir,
        bytes,
        provider,
        now: Date.now(),
        ...(v['expect-key'] === undefined ? {} : { expectKey: v['expect-key'] }),
        ...(v.force ? { force: true } : {}),
      });
    } catch (e) {
      if (isVaultError(e, 'OV_DATADIR_LOCKED')) throw dataDirLocked(e, dataDir);
      if (isVaultError(e, 'OV_SNAPSHOT_FOREIGN')) {
        throw new CliError('OV_SNAPSHOT_FOREIGN', { reason: `the snapshot is not of the vault in ${dataDir}`, hints: ['nothing was changed', 'pass --force to restore it anyway'] });
      }
      throw e;
    }
    if (v.json) {
      await printJson(ctx, {
        database: r.database,
        manifest: manifestJson(r.manifest),
        backups: r.backups.map((b) => ({ file: b.file, backup: b.backup })),
        validator_keys_marked: r.validatorKeysMarked,
        foreign: r.foreign,
      });
      return 0;
    }
    for (const b of r.backups) ctx.warn(`moved ${clean(b.file)} aside to ${clean(b.backup)}`);
    await ctx.out(`restored ${clean(r.database)} from the snapshot of ${r.manifest.createdAt} (audit seq ${r.manifest.auditSeq})\n`);
    if (r.validatorKeysMarked > 0) ctx.warn(`${r.validatorKeysMarked} validator keys must have their signing watermarks confirmed before they sign again`);
    ctx.info("next: 'vault server', then unseal with this vault's root key");
    return 0;
  },
});

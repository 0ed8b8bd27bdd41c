/**
 * `vault setup --gen-keys`: creates a vault in the data dir (src/setup.ts): the root key
 * and its protection at rest (Shamir shares by default, or an unseal key file, or a
 * passphrase), the keyring, and the daemon admin API key, written once to a 0600 file.
 * Runs offline, before the daemon starts (refused while one holds the data dir lock);
 * refuses an initialised vault unless --force, which moves the old files aside. The data
 * dir's config decides where the rows go: vault.db, or its PostgreSQL database.
 *
 * Shamir shares are shown exactly once: on stdout (so `> shares.txt` captures them and
 * nothing else, and `vault unseal < shares.txt` reads them back) after a warning box on
 * stderr, or inside the --json document.
 * @module
 */
import { lstat, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { isVaultError } from '../../src/errors.js';
import { defineCommand, type CommandContext } from '../command.js';
import { CliError, dataDirLocked, usageError } from '../errors.js';
import { ioError, writeFiles } from '../io.js';
import { adminTokenFile, envRecord } from '../connect/env.js';
import { clean, printJson } from '../connect/format.js';
import { promptNoEcho, readSecretInput, withoutNewline } from '../connect/secret-input.js';

function count(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  if (!/^[1-9][0-9]{0,2}$/.test(text)) throw new CliError('OV_INVALID_ARGUMENT', { reason: `${name} must be a whole number from 1 to 255` });
  return Number(text);
}

/** ONTOREF_CONFIG, else the config file of the data dir being set up. */
function configPathFor(ctx: CommandContext<unknown>, dataDir: string): string {
  const c = ctx.env.vars['ONTOREF_CONFIG'];
  return c !== undefined && c !== '' ? resolve(c) : join(dataDir, 'config.toml');
}

/**
 * Writes a minimal config naming the unseal key file when there is no config file yet, so
 * the daemon unseals itself at start; an existing config is never edited (it is the
 * operator's), only checked, with a warning when it names another file or none.
 */
async function ensureKeyFileConfig(ctx: CommandContext<unknown>, file: string, keyFile: string): Promise<{ file: string; written: boolean }> {
  let present = true;
  try {
    await lstat(file);
  } catch (e) {
    if ((e as { code?: unknown }).code !== 'ENOENT') throw ioError(e, 'read', file);
    present = false;
  }
  if (!present) {
    try {
      await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    } catch (e) {
      throw ioError(e, 'write', dirname(file));
    }
    const text = [
      '# ontoref-vault daemon configuration (docs/config.md), written by `vault setup`.',
      '# The daemon unseals itself from this key file at start (single-operator setup).',
      '[seal]',
      `unseal_key_file = ${JSON.stringify(keyFile)}`,
      '',
    ].join('\n');
    await writeFiles([{ path: file, data: text, secret: true, exclusive: true }]);
    return { file, written: true };
  }
  const { checkConfig } = await import('../../src/config.js');
  const named = checkConfig({ env: envRecord(ctx), path: file }).config?.seal.unsealKeyFile;
  if (named !== keyFile) {
    ctx.warn(`${file} does not name ${keyFile}: add [seal] unseal_key_file = ${JSON.stringify(keyFile)} so the daemon unseals itself`);
  }
  return { file, written: false };
}

/** After a re-setup with shares or a passphrase, a config still naming a key file would make the daemon fail at start. */
async function warnStaleKeyFileConfig(ctx: CommandContext<unknown>, file: string): Promise<void> {
  try {
    await lstat(file);
  } catch {
    return;
  }
  const { checkConfig } = await import('../../src/config.js');
  const named = checkConfig({ env: envRecord(ctx), path: file }).config?.seal.unsealKeyFile;
  if (named !== null && named !== undefined) {
    ctx.warn(`${file} still names [seal] unseal_key_file (${named}); remove that line: this vault has no unseal key file`);
  }
}

function box(lines: readonly string[]): string {
  const w = Math.max(...lines.map((l) => l.length));
  const bar = `+${'-'.repeat(w + 2)}+`;
  return [bar, ...lines.map((l) => `| ${l.padEnd(w)} |`), bar].join('\n') + '\n';
}

export const command = defineCommand({
  name: 'setup',
  usage:
    'vault setup --gen-keys [--shares N --threshold T | --unseal-key-file PATH | --passphrase-file PATH]\n' +
    '                   [--falcon] [--force] [--data-dir DIR] [--tls [--tls-san NAME]...] [--json]',
  options: {
    'gen-keys': { type: 'boolean', help: 'generate the root key, the keyring and the admin key (required)' },
    shares: { type: 'string', arg: 'N', help: 'split the root key into N Shamir shares (default 5)' },
    threshold: { type: 'string', arg: 'T', help: 'shares needed to unseal (default 3)' },
    'unseal-key-file': { type: 'string', arg: 'PATH', help: 'single operator: write a random unseal key to PATH (0600) instead of shares' },
    'passphrase-file': { type: 'string', arg: 'PATH', help: 'single operator: unseal with the passphrase in PATH (- for stdin or a prompt)' },
    falcon: { type: 'boolean', help: 'also create a round-3 Falcon-512 signing key' },
    force: { type: 'boolean', help: 'move an initialised vault aside (FILE.<UTC time>.bak) and start over' },
    'data-dir': { type: 'string', arg: 'DIR', help: 'the data dir (default ONTOREF_DATA_DIR, the config, or ~/.local/share/ontoref-vault)' },
    tls: { type: 'boolean', help: 'also create a local CA and server certificate (DIR/tls) and set [tls] in the config' },
    'tls-san': { type: 'string', arg: 'NAME', multiple: true, help: 'with --tls: another DNS name or IP address for the certificate' },
    'tls-alg': { type: 'string', arg: 'ALG', help: 'with --tls: ecdsa-p256 (default) or ml-dsa-65 (Node >= 24.7)' },
    json: { type: 'boolean', help: 'print the result (shares included) as one JSON document on stdout' },
  },
  details: [
    'Creates DIR (0700) with vault.db (0600) and admin.token (0600: the daemon admin API key,',
    'or ONTOREF_ADMIN_TOKEN_FILE). The seal mode decides how the daemon is unsealed:',
    '  shamir (default)   N shares, T of them unseal; printed once to stdout',
    '  --unseal-key-file  the daemon unseals itself from the file ([seal] unseal_key_file)',
    '  --passphrase-file  `vault unseal` asks for the passphrase (at least 12 characters)',
    '',
    'Examples:',
    '  vault setup --gen-keys > shares.txt                 # 5 shares, threshold 3',
    '  vault setup --gen-keys --unseal-key-file ~/.local/share/ontoref-vault/unseal.key',
    '  vault setup --gen-keys --force --shares 5 --threshold 3',
    '',
    'It refuses while a daemon runs on the data dir (<data dir>/vault.lock names its pid):',
    'stop the daemon first. --force never deletes: vault.db (with its -wal and -shm),',
    'admin.token and the unseal key file are renamed to NAME.<UTC time>.bak.',
    '',
    'With [storage] backend = "postgres" in the data dir\'s config, the vault\'s rows go to',
    'that database instead of vault.db (the token and key files stay in DIR). A database',
    'holding a vault is refused; --force drops it (every vault table and audit schema),',
    'refused in turn while a node of the cluster holds a live lease.',
    '',
    'Exit codes: 0 created; 1 the vault is already initialised (without --force), the data',
    'dir is in use, a node holds a live lease, or any other error.',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    if (!v['gen-keys']) throw usageError('setup needs --gen-keys (it generates the vault\'s keys)', ctx.commandPath);
    if ((v['tls-san'].length > 0 || v['tls-alg'] !== undefined) && !v.tls) throw usageError('--tls-san and --tls-alg need --tls', ctx.commandPath);
    const shamirFlags = v.shares !== undefined || v.threshold !== undefined;
    const modes = [shamirFlags, v['unseal-key-file'] !== undefined, v['passphrase-file'] !== undefined].filter(Boolean).length;
    if (modes > 1) throw usageError('choose one of --shares/--threshold, --unseal-key-file, --passphrase-file', ctx.commandPath);

    let mode: { shamir: { n: number; t: number } } | { passphrase: string } | { keyFile: string };
    if (v['unseal-key-file'] !== undefined) {
      mode = { keyFile: resolve(v['unseal-key-file']) };
    } else if (v['passphrase-file'] !== undefined) {
      let passphrase: string;
      if (v['passphrase-file'] === '-' && ctx.streams.stdin.isTTY === true) {
        passphrase = await promptNoEcho(ctx, 'unseal passphrase: ');
        const again = await promptNoEcho(ctx, 'repeat the passphrase: ');
        if (again !== passphrase) throw new CliError('OV_INVALID_ARGUMENT', { reason: 'the passphrases do not match' });
      } else {
        passphrase = withoutNewline((await readSecretInput(ctx, { file: v['passphrase-file'], prompt: '', what: 'passphrase' })).text);
      }
      mode = { passphrase };
    } else {
      const n = count('--shares', v.shares, 5);
      const t = count('--threshold', v.threshold, 3);
      if (t > n) throw new CliError('OV_INVALID_ARGUMENT', { reason: '--threshold cannot exceed --shares' });
      mode = { shamir: { n, t } };
    }

    let dataDir: string;
    const { checkConfig, envDataDir } = await import('../../src/config.js');
    if (v['data-dir'] !== undefined) {
      dataDir = resolve(v['data-dir']);
    } else {
      dataDir = checkConfig({ env: envRecord(ctx) }).config?.dataDir ?? envDataDir(envRecord(ctx));
    }
    const tokenFile = adminTokenFile(ctx, dataDir);
    // The config of the data dir being set up says where its rows go (vault.db or PostgreSQL).
    const { postgresOptions } = await import('../../src/setup.js');
    const postgres = postgresOptions(checkConfig({ env: { ...envRecord(ctx), ONTOREF_DATA_DIR: dataDir } }));

    const provider = await ctx.provider();
    const { setupVault } = await import('../../src/setup.js');
    let r;
    try {
      r = await setupVault({ dataDir, provider, mode, falcon: v.falcon, force: v.force, adminTokenFile: tokenFile, ...(postgres === undefined ? {} : { postgres }), now: Date.now() });
    } catch (e) {
      if (isVaultError(e, 'OV_DATADIR_LOCKED')) throw dataDirLocked(e, dataDir);
      if (isVaultError(e, 'OV_STORAGE_EXISTS')) {
        throw new CliError('OV_STORAGE_EXISTS', {
          reason: String(e.detail?.['database'] ?? 'the configured database'),
          hints: ['nothing was changed', 'pass --force to drop that vault (every table and audit schema) and create a new one'],
        });
      }
      if (isVaultError(e, 'OV_CLUSTER_MEMBERS_LIVE')) {
        throw new CliError('OV_CLUSTER_MEMBERS_LIVE', {
          reason: `live lease held by ${String(e.detail?.['nodes'] ?? 'a node')}`,
          hints: ['nothing was changed', 'stop every daemon of the cluster and wait for its lease to end'],
        });
      }
      if (isVaultError(e, 'OV_ALREADY_INITIALIZED')) {
        const why = e.detail?.['reason'];
        throw new CliError('OV_ALREADY_INITIALIZED', {
          reason: typeof why === 'string' ? `${dataDir} (${why})` : dataDir,
          hints: ['nothing was changed', 'pass --force to move this vault aside (renamed to *.bak) and create a new one'],
        });
      }
      throw e;
    }

    if (!v.json) for (const b of r.backups ?? []) ctx.warn(`moved ${clean(b.file)} aside to ${clean(b.backup)}`);
    // A key-file vault unseals itself only if the daemon's config names the file.
    let config: { file: string; written: boolean } | undefined;
    if (r.keyFile !== undefined) {
      config = await ensureKeyFileConfig(ctx, configPathFor(ctx, dataDir), r.keyFile);
    } else {
      await warnStaleKeyFileConfig(ctx, configPathFor(ctx, dataDir));
    }

    const tls = v.tls ? await (await import('../tls/apply.js')).applyTls(ctx, dataDir, configPathFor(ctx, dataDir), v['tls-san'], v['tls-alg']) : undefined;
    // Kept apart from the snapshots, it is what `vault snapshot restore --expect-key` checks.
    const { openStorage } = await import('../../src/storage/sqlite.js');
    const { openPostgresStorage } = await import('../../src/storage/postgres/index.js');
    const { snapshotKeyFingerprint } = await import('../../src/snapshot/index.js');
    const opened = postgres === undefined ? openStorage(r.database, { readonly: true }) : openPostgresStorage({ ...postgres, readonly: true });
    let fingerprint: string | undefined;
    try {
      fingerprint = snapshotKeyFingerprint(opened);
    } finally {
      opened.close();
    }

    const keyring = r.keyring.map((k) => ({
      name: k.name,
      alg: k.alg,
      latest_version: k.latestVersion,
      min_decrypt_version: k.minDecryptVersion,
      versions: k.versions.map((x) => ({
        name: x.name,
        version: x.version,
        alg: x.alg,
        key_id: x.keyId,
        ...(x.publicKey === undefined ? {} : { public_key: x.publicKey }),
        created_at: new Date(x.createdAt).toISOString(),
      })),
    }));
    if (v.json) {
      await printJson(ctx, {
        data_dir: r.dataDir,
        database: r.database,
        backend: r.backend,
        mode: r.mode,
        ...(r.shares === undefined ? {} : { shares: r.shares, threshold: r.threshold }),
        ...(r.keyFile === undefined ? {} : { unseal_key_file: r.keyFile }),
        ...(config === undefined ? {} : { config_file: config.file, config_written: config.written }),
        ...(tls === undefined ? {} : { tls: { ca_cert: tls.caCert, cert: tls.cert, key: tls.key, sans: tls.sans } }),
        admin_key_id: r.adminKeyId,
        admin_token_file: r.adminTokenFile,
        keymanager_token_file: r.keymanagerTokenFile,
        ...(fingerprint === undefined ? {} : { signing_key_fingerprint: fingerprint }),
        keyring,
        backups: (r.backups ?? []).map((b) => ({ file: b.file, backup: b.backup })),
        ...(r.droppedSchemas === undefined ? {} : { dropped_schemas: r.droppedSchemas }),
      });
      return 0;
    }

    if (r.shares !== undefined) {
      const n = r.shares.length;
      const t = r.threshold ?? n;
      ctx.streams.stderr.write(
        box([
          'UNSEAL SHARES: shown this once and never stored anywhere.',
          `Any ${t} of these ${n} shares unseal the vault; with fewer than ${t} it stays`,
          'sealed for good. Give each share to a different person, keep each one',
          'offline, and never keep the threshold of shares in one place.',
        ]),
      );
      await ctx.out(r.shares.map((x) => `${x}\n`).join(''));
    }
    if (!v.json && r.droppedSchemas !== undefined) ctx.warn(`dropped the vault in ${clean(r.database)} (audit schemas: ${r.droppedSchemas.map(clean).join(', ') || 'none'})`);
    ctx.info(r.backend === 'postgres' ? `vault created in ${clean(r.database)} (files in ${r.dataDir})` : `vault created in ${r.dataDir}`);
    ctx.info(`admin key: ${r.adminTokenFile} (id ${clean(r.adminKeyId)}, mode 0600)`);
    ctx.info(`keymanager API token (/eth/v1/*): ${r.keymanagerTokenFile} (mode 0600)`);
    if (fingerprint !== undefined) ctx.info(`signing key fingerprint: ${fingerprint} (keep it apart from snapshots: 'vault snapshot restore --expect-key')`);
    if (r.keyFile !== undefined) {
      ctx.info(`unseal key: ${r.keyFile} (mode 0600)`);
      if (config?.written === true) ctx.info(`config: ${config.file} ([seal] unseal_key_file set)`);
      ctx.warn(`the daemon unseals itself from ${r.keyFile}: a single-operator setup; keep that file away from copies of vault.db`);
    }
    if (tls !== undefined) for (const line of (await import('../tls/apply.js')).tlsReport(tls)) ctx.info(line);
    ctx.info(`next: 'vault server', then ${r.mode === 'shamir' ? "'vault unseal' (once per share holder), then " : r.mode === 'passphrase' ? "'vault unseal', then " : ''}'vault login --admin'`);
    return 0;
  },
});

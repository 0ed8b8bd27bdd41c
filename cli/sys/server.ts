/**
 * `vault server`: runs the daemon (src/daemon.ts) in the foreground until SIGTERM or
 * SIGINT, then shuts it down gracefully (requests in flight finish, an audit checkpoint is
 * signed, the root key is wiped) and exits 0. Logs are JSON lines on stdout; this command
 * adds one human line on stderr once it listens. A bad configuration is reported with
 * every problem at once, as `vault config validate` does, and so is a file it names that
 * cannot be used (each under the key that named it). A data dir another daemon holds is
 * refused with that daemon's pid.
 * @module
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isVaultError } from '../../src/errors.js';
import { defineCommand } from '../command.js';
import { CliError, EXIT_LOCAL, dataDirLocked, withHints } from '../errors.js';
import { envRecord } from '../connect/env.js';
import { clean } from '../connect/format.js';

export const command = defineCommand({
  name: 'server',
  usage: 'vault server [--config FILE]',
  options: {
    config: { type: 'string', arg: 'FILE', help: 'config file (default ONTOREF_CONFIG, else <data dir>/config.toml)' },
  },
  details: [
    'Listens on `listen` from the config (default 127.0.0.1:8420; ONTOREF_ADDR supplies it when',
    'the file does not), with the embedded SQLite store in the data dir. With [seal]',
    'unseal_key_file set it unseals itself at start; otherwise run `vault unseal`.',
    'SIGTERM or SIGINT (Ctrl-C) stop it gracefully.',
    '',
    'It holds <data dir>/vault.lock while it runs: a second daemon on the same data dir, or',
    '`vault setup`, is refused with its pid.',
    '',
    'Exit codes: 0 after a graceful shutdown; 1 when it cannot start (bad config, unreadable',
    'database or unseal key file, data dir in use, address in use).',
  ].join('\n'),
  async run(ctx) {
    const { checkConfig, checkConfigFiles, formatProblems } = await import('../../src/config.js');
    const file = ctx.values.config;
    const checked = checkConfig({ env: envRecord(ctx), ...(file === undefined ? {} : { path: file }) });
    const config = checked.config;
    const problems = config === undefined ? checked.problems : checkConfigFiles(config);
    if (config === undefined || problems.length > 0) {
      const n = problems.length;
      const lines = [`vault: error: configuration is invalid: ${n} problem${n === 1 ? '' : 's'} in ${clean(checked.file)}`];
      for (const p of formatProblems(problems)) lines.push(`vault: error: ${clean(p)}`);
      lines.push("vault: hint: run 'vault config validate' after fixing it");
      ctx.streams.stderr.write(`${lines.join('\n')}\n`);
      return EXIT_LOCAL;
    }
    if (config.storage.backend === 'sqlite' && !existsSync(join(config.dataDir, 'vault.db'))) {
      ctx.warn(`no vault in ${config.dataDir} yet: run 'vault setup --gen-keys' first (the daemon answers 501 until then)`);
    }
    const { selectProvider } = await import('../../src/crypto/provider.js');
    const provider = selectProvider(config.crypto.provider);
    const { startDaemon } = await import('../../src/daemon.js');
    let daemon;
    try {
      daemon = await startDaemon({ config, provider });
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
        throw new CliError('OV_IO', {
          reason: `cannot listen on ${config.listen.host}:${config.listen.port}: ${code === 'EADDRINUSE' ? 'address in use' : code === 'EACCES' ? 'permission denied' : 'address not available'}`,
          hints: ['is another vault server running? set `listen` in the config or ONTOREF_ADDR'],
        });
      }
      const keyFile = config.seal.unsealKeyFile;
      if (isVaultError(e, 'OV_UNSEAL_FAILED') && keyFile !== null) {
        throw withHints(e, [`${keyFile} does not unseal the vault in ${config.dataDir}`]);
      }
      if (isVaultError(e, 'OV_DATADIR_LOCKED')) throw dataDirLocked(e, config.dataDir);
      // What is left of the key file's errors (it changed after the check above): name it and its key.
      const fromKeyFile =
        keyFile !== null &&
        (isVaultError(e, 'OV_UNSAFE_PERMISSIONS') ||
          (isVaultError(e, 'OV_KEY_INVALID') && e.detail?.['field'] === 'keyFile') ||
          (isVaultError(e, 'OV_IO') && (e.detail?.['op'] === 'open' || e.detail?.['op'] === 'read')));
      if (fromKeyFile) {
        throw withHints(e, [`reading ${keyFile}, named by seal.unseal_key_file in ${config.file ?? checked.file}`]);
      }
      throw e;
    }
    ctx.info(`vault server: listening on ${daemon.url} (data dir ${config.dataDir}, provider ${provider.name})`);
    await daemon.closed;
    return 0;
  },
});

/**
 * `vault unseal`: submits an unseal share or the unseal passphrase to the daemon, read
 * from a no-echo prompt, stdin or a file, never from argv. On a terminal it asks for one
 * share per run (each key holder runs it in turn, as with Vault); from stdin or a file it
 * submits one share per line until the vault is unsealed, so a script can pipe in the
 * threshold at once. `--reset` drops the shares submitted so far.
 * @module
 */
import type { SealStatusResponse } from '../../src/client/index.js';
import { defineCommand } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { clientLib, connect } from '../connect/connect.js';
import { printJson } from '../connect/format.js';
import { readSecretInput, withoutNewline } from '../connect/secret-input.js';

function progressLine(s: SealStatusResponse): string {
  if (!s.sealed) return 'vault unsealed';
  if (s.mode === 'shamir') return `vault sealed: unseal progress ${s.progress}/${s.t ?? '?'}`;
  return 'vault sealed';
}

export const command = defineCommand({
  name: 'unseal',
  usage: 'vault unseal [-i FILE] [--json]\n       vault unseal --reset [--json]',
  options: {
    input: { type: 'string', short: 'i', arg: 'FILE', help: 'read the share(s) or passphrase from FILE (mode 0600; - for stdin)' },
    reset: { type: 'boolean', help: 'drop the shares submitted so far in this unseal attempt' },
    json: { type: 'boolean', help: 'print the seal status after the last submission as JSON' },
  },
  details: [
    'The daemon tells which secret it needs (its seal mode):',
    '  shamir      one share (ovs1-...) per run at the prompt; from stdin or -i FILE, one share',
    '              per line, submitted in order until the vault is unsealed',
    '  passphrase  the unseal passphrase (from a file or stdin: the whole input, minus one',
    '              trailing newline)',
    '  keyfile     nothing to type: the daemon unseals itself from [seal] unseal_key_file',
    '',
    'No token is needed. Examples:',
    '  vault unseal                          # prompts, without echo',
    '  vault unseal < shares.txt             # the threshold of shares, one per line',
    '  vault unseal -i passphrase.txt',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    if (v.reset && v.input !== undefined) throw usageError('--reset takes no input', ctx.commandPath);
    const client = await connect(ctx, { auth: false });
    let status: SealStatusResponse;
    if (v.reset) {
      status = await client.unseal({ reset: true });
    } else {
      status = await client.sealStatus();
      if (!status.initialized) {
        const { DaemonError } = await clientLib();
        throw new DaemonError('OV_NOT_INITIALIZED', 501);
      }
      if (!status.sealed) {
        if (v.json) await printJson(ctx, status);
        else await ctx.out('vault is already unsealed\n');
        return 0;
      }
      if (status.mode === 'keyfile') {
        throw new CliError('OV_UNSEAL_MODE', {
          reason: 'this vault unseals from its key file',
          hints: ["set [seal] unseal_key_file in the daemon's config.toml and restart 'vault server'"],
        });
      }
      const what = status.mode === 'passphrase' ? 'unseal passphrase' : 'unseal share';
      const src = await readSecretInput(ctx, { file: v.input, prompt: `${what}: `, what });
      if (status.mode === 'passphrase') {
        const passphrase = src.from === 'prompt' ? src.text : withoutNewline(src.text);
        status = await client.unseal({ passphrase });
      } else {
        const shares = src.text
          .split(/\r?\n/)
          .map((l) => l.trim())
          .filter((l) => l !== '' && !l.startsWith('#'));
        for (const share of shares) {
          status = await client.unseal({ share });
          if (!status.sealed) break;
          if (shares.length > 1 && !v.json) ctx.info(progressLine(status));
        }
      }
    }
    if (v.json) await printJson(ctx, status);
    else await ctx.out(`${progressLine(status)}\n`);
    return 0;
  },
});

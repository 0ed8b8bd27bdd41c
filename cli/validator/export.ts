/**
 * `vault validator export NAME`: a key in the format its validator client reads
 * (`POST /v1/validators/{name}/export`, admin): a fresh EIP-2335 keystore under a
 * password the operator supplies, Cosmos `priv_validator_key.json` +
 * `priv_validator_state.json`, or a Solana keypair file. The key is never printed: files
 * are written 0600, atomically (a temporary file, fsynced, then linked into place), and
 * an existing file is kept unless `--force`.
 * @module
 */
import { join } from 'node:path';
import type { ValidatorExportFormat } from '../../src/client/index.js';
import { defineCommand } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { checkOutputDir, checkOutputFile, writeFiles } from '../io.js';
import { printJson } from '../connect/format.js';
import { adminHint, checkName, readPassword, validators } from './shared.js';

const FORMATS = ['eip2335', 'cosmos', 'solana'] as const;
const DEFAULT_FORMAT = { ethereum: 'eip2335', cosmos: 'cosmos', solana: 'solana' } as const;
/** The files a cosmos export writes into --out-dir. */
const COSMOS_FILES = ['priv_validator_key.json', 'priv_validator_state.json'] as const;
/** EIP-2335 export password floor, as the daemon enforces it. */
const MIN_PASSWORD = 8;

export const command = defineCommand({
  name: 'export',
  usage: [
    'vault validator export NAME [--format eip2335] --password-file FILE -o FILE [--key-id ID] [--force] [--json]',
    '       vault validator export NAME [--format cosmos] --out-dir DIR [--key-id ID] [--force] [--json]',
    '       vault validator export NAME [--format solana] -o FILE [--key-id ID] [--force] [--json]',
  ].join('\n'),
  positionals: { min: 1, max: 1, name: 'NAME' },
  options: {
    format: { type: 'string', arg: 'FORMAT', help: "eip2335, cosmos or solana (default: the slot's chain format)" },
    'key-id': { type: 'string', arg: 'ID', help: 'export this key (default: the active key)' },
    'password-file': { type: 'string', arg: 'FILE', help: "eip2335: the new keystore's password (>= 8 characters; 0600 file or '-' for stdin)" },
    output: { type: 'string', short: 'o', arg: 'FILE', help: 'write the single exported file here (mode 0600)' },
    'out-dir': { type: 'string', arg: 'DIR', help: 'write the exported files into DIR under their standard names (mode 0600)' },
    force: { type: 'boolean', help: 'replace existing files' },
    json: { type: 'boolean', help: 'print {name, format, files: [path]} (never the key)' },
  },
  details: [
    'The exported files hold the key: keep them 0600 and delete them once the validator',
    'client has loaded the key. Cosmos writes priv_validator_key.json and',
    'priv_validator_state.json (the slot signing state), so it needs --out-dir.',
    '',
    'Examples:',
    '  vault validator export eth-a1b2c3d4 --password-file pw.txt -o keystore-eth-a1b2c3d4.json',
    '  vault validator export val-1 --out-dir ~/.gaia/config',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const name = checkName(ctx.positionals[0]);
    if (v.format !== undefined && !(FORMATS as readonly string[]).includes(v.format)) throw new CliError('OV_INVALID_ARGUMENT', { reason: '--format must be eip2335, cosmos or solana' });
    if ((v.output === undefined) === (v['out-dir'] === undefined)) throw usageError('give -o FILE or --out-dir DIR (the key is never printed)', ctx.commandPath);
    if (v.output === '-') throw usageError('the key is never printed: -o needs a file', ctx.commandPath);
    // Before the daemon is asked (an export is audited, and the password may come from stdin).
    if (v.output !== undefined) await checkOutputFile(v.output, { force: v.force });
    else if (v['out-dir'] !== undefined) await checkOutputDir(v['out-dir']);
    const client = await validators(ctx);
    const format: ValidatorExportFormat = (v.format as ValidatorExportFormat | undefined) ?? DEFAULT_FORMAT[(await client.get(name)).chain];
    if (format === 'cosmos' && v.output !== undefined) throw usageError('a cosmos export is two files: use --out-dir DIR', ctx.commandPath);
    if (format === 'cosmos' && v['out-dir'] !== undefined) {
      for (const f of COSMOS_FILES) await checkOutputFile(join(v['out-dir'], f), { force: v.force });
    }
    if (format !== 'eip2335' && v['password-file'] !== undefined) throw usageError('--password-file goes with --format eip2335', ctx.commandPath);
    let password: string | undefined;
    if (format === 'eip2335') {
      password = await readPassword(ctx, v['password-file'], 'new keystore password: ');
      if ([...password].length < MIN_PASSWORD) throw new CliError('OV_INVALID_ARGUMENT', { reason: `the keystore password must have at least ${MIN_PASSWORD} characters` });
    }
    const files = await client
      .export(name, {
        format,
        ...(v['key-id'] === undefined ? {} : { key_id: v['key-id'] }),
        ...(password === undefined ? {} : { password }),
      })
      .catch((e: unknown) => {
        throw adminHint(e, name);
      });
    const entries = Object.entries(files);
    if (v.output !== undefined && entries.length !== 1) throw new CliError('OV_DAEMON_RESPONSE', { reason: 'expected one exported file' });
    const out = entries.map(([file, data]) => ({ path: v.output ?? join(v['out-dir'] ?? '.', file), data, secret: true, exclusive: !v.force }));
    await writeFiles(out);
    if (v.json) await printJson(ctx, { name, format, files: out.map((f) => f.path) });
    else for (const f of out) ctx.info(`wrote ${f.path}`);
    return 0;
  },
});

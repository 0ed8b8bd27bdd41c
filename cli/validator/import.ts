/**
 * `vault validator import`: brings validator keys into the vault in the formats validator
 * clients use (docs/validators.md): one EIP-2335 keystore, a directory of them (bulk: an
 * import job, `POST /v1/validators/import`, whose progress the command reads until it is
 * done, with a progress bar on a terminal), a Cosmos `priv_validator_key.json` (+ state
 * file) or a Solana keypair. The daemon verifies everything (checksum, password, public
 * key) before it stores anything. Ethereum keys are bound to their chain (`--network` or
 * `--genesis-validators-root`), which their slashing protection export carries.
 *
 * Passwords come from files or stdin only, never from argv (a process listing would show
 * them), and are never printed.
 * @module
 */
import { readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { MAX_BULK_ITEMS, type BulkImportItem, type BulkImportResult, type ValidatorChain, type ValidatorKeyMaterial } from '../../src/client/index.js';
import { ERRORS, VaultError } from '../../src/errors.js';
import { defineCommand, type CommandContext } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { ioError, quotePath } from '../io.js';
import { clean, formatTable, printJson } from '../connect/format.js';
import {
  MATERIAL_OPTIONS,
  activeKey,
  checkChain,
  checkName,
  defaultName,
  emitSlot,
  pairsOf,
  readKeystoreFile,
  readMaterial,
  readPassword,
  validators,
} from './shared.js';
import { NETWORK_OPTIONS, rootOf } from './network.js';

/** Items per import job: the daemon's cap on one request. */
export const BULK_CHUNK = MAX_BULK_ITEMS;

interface FileResult {
  readonly file: string;
  readonly status: 'imported' | 'duplicate' | 'error';
  readonly name?: string;
  readonly public_key?: string;
  readonly code?: string;
  readonly message?: string;
}

/** The registry message for a known code (the daemon's own text is not echoed to a terminal). */
function reasonFor(code: string | undefined, message: string | undefined): string | undefined {
  if (code !== undefined && Object.hasOwn(ERRORS, code)) return ERRORS[code as keyof typeof ERRORS].message;
  return message === undefined ? undefined : clean(message);
}

function localError(file: string, e: unknown): FileResult {
  const err = e instanceof VaultError ? e : ioError(e, 'read', file);
  const reason = err instanceof CliError ? err.reason : undefined;
  return { file, status: 'error', code: err.code, message: `${err.message}${reason === undefined ? '' : `: ${reason}`}` };
}

/** A progress bar on a terminal's stderr, nothing otherwise. */
function progress(ctx: CommandContext<unknown>, total: number): { update(done: number): void; end(): void } {
  const tty = ctx.streams.stderr.isTTY === true;
  const draw = (done: number): void => {
    const width = 30;
    const fill = total === 0 ? width : Math.round((done / total) * width);
    ctx.streams.stderr.write(`\rimporting [${'#'.repeat(fill)}${' '.repeat(width - fill)}] ${done}/${total}`);
  };
  if (tty) draw(0);
  return {
    update: (done) => {
      if (tty) draw(done);
    },
    end: () => {
      if (tty) ctx.streams.stderr.write('\r\u001b[2K');
    },
  };
}

async function bulkImport(
  ctx: CommandContext<unknown>,
  v: { dir: string; 'password-file': string | undefined; 'passwords-dir': string | undefined; json: boolean; root: string },
): Promise<number> {
  if (v['password-file'] !== undefined && v['passwords-dir'] !== undefined) throw usageError('give --password-file or --passwords-dir, not both', ctx.commandPath);
  let names: string[];
  try {
    names = (await readdir(v.dir, { withFileTypes: true }))
      .filter((d) => (d.isFile() || d.isSymbolicLink()) && d.name.endsWith('.json'))
      .map((d) => d.name)
      .sort();
  } catch (e) {
    throw ioError(e, 'read', v.dir);
  }
  // staking-deposit-cli writes deposit_data-*.json next to the keystores: not a key.
  const skipped = names.filter((n) => n.startsWith('deposit_data-'));
  names = names.filter((n) => !n.startsWith('deposit_data-'));
  if (names.length === 0) {
    throw new CliError('OV_USAGE', { reason: `no keystore (*.json) in ${quotePath(v.dir)}`, hints: ['staking-deposit-cli writes them to validator_keys/'] });
  }
  if (skipped.length > 0 && !v.json) ctx.info(`skipping ${skipped.length} deposit_data file(s)`);

  const shared = v['passwords-dir'] === undefined ? await readPassword(ctx, v['password-file'], 'password for every keystore: ') : undefined;
  const results: (FileResult | undefined)[] = new Array<FileResult | undefined>(names.length);
  const pending: { idx: number; item: BulkImportItem }[] = [];
  for (const [idx, file] of names.entries()) {
    try {
      const keystore = await readKeystoreFile(join(v.dir, file));
      const password =
        shared ?? (await readPassword(ctx, join(v['passwords-dir'] ?? '', `${basename(file, '.json')}.txt`)));
      pending.push({ idx, item: { keystore, password } });
    } catch (e) {
      results[idx] = localError(file, e);
    }
  }

  const client = await validators(ctx);
  const bar = progress(ctx, names.length);
  let done = names.length - pending.length;
  bar.update(done);
  try {
    for (let at = 0; at < pending.length; at += BULK_CHUNK) {
      const chunk = pending.slice(at, at + BULK_CHUNK);
      const before = done;
      const answer: BulkImportResult[] = await client.importBulk(
        { chain: 'ethereum', items: chunk.map((c) => c.item), state: 'active', genesis_validators_root: v.root },
        { onProgress: (n) => bar.update(before + n) },
      );
      for (const r of answer) {
        const c = chunk[r.index];
        if (c === undefined) continue;
        const file = names[c.idx] ?? '';
        results[c.idx] = {
          file,
          status: r.status,
          ...(r.name === undefined ? {} : { name: r.name }),
          ...(r.public_key === undefined ? {} : { public_key: r.public_key }),
          ...(r.code === undefined ? {} : { code: r.code }),
          ...(r.status === 'error' ? { message: reasonFor(r.code, r.message) ?? 'failed' } : {}),
        };
      }
      done += chunk.length;
      bar.update(done);
    }
  } finally {
    bar.end();
  }

  const all = results.map((r, i) => r ?? { file: names[i] ?? '', status: 'error' as const, code: 'OV_DAEMON_RESPONSE', message: 'no result for this item' });
  const count = (s: FileResult['status']): number => all.filter((r) => r.status === s).length;
  if (v.json) {
    await printJson(ctx, { results: all, imported: count('imported'), duplicate: count('duplicate'), error: count('error') });
  } else {
    await ctx.out(
      formatTable(
        ['FILE', 'STATUS', 'NAME', 'PUBLIC KEY', 'REASON'],
        all.map((r) => [r.file, r.status, r.name, r.public_key, r.status === 'error' ? `${r.message ?? ''}${r.code === undefined ? '' : ` (${r.code})`}` : undefined]),
      ),
    );
    ctx.info(`${count('imported')} imported, ${count('duplicate')} duplicate, ${count('error')} failed`);
  }
  return count('error') > 0 ? 2 : 0;
}

export const command = defineCommand({
  name: 'import',
  usage: [
    'vault validator import --chain ethereum (--network NAME | --genesis-validators-root 0x..) --keystore FILE [--password-file FILE] [--name NAME] [--json]',
    '       vault validator import --chain ethereum (--network NAME | --genesis-validators-root 0x..) --dir DIR (--password-file FILE | --passwords-dir DIR) [--json]',
    '       vault validator import --chain cosmos --key-file priv_validator_key.json [--state-file priv_validator_state.json] [--name NAME]',
    '       vault validator import --chain solana --keypair FILE [--name NAME]',
    '       vault validator import --chain CHAIN --generate --name NAME',
  ].join('\n'),
  options: {
    chain: { type: 'string', arg: 'CHAIN', help: 'ethereum, cosmos or solana', required: true },
    name: { type: 'string', arg: 'NAME', help: 'slot name (default: eth-/cosmos-/sol- and 8 hex digits of the public key)' },
    ...MATERIAL_OPTIONS,
    ...NETWORK_OPTIONS,
    dir: { type: 'string', arg: 'DIR', help: 'ethereum bulk import: every *.json keystore in DIR' },
    'passwords-dir': { type: 'string', arg: 'DIR', help: 'with --dir: the password of KEYSTORE.json in DIR/KEYSTORE.txt' },
    generate: { type: 'boolean', help: 'generate the key inside the vault instead of importing one' },
    label: { type: 'string', multiple: true, arg: 'KEY=VALUE', help: 'a label on the slot' },
    meta: { type: 'string', multiple: true, arg: 'KEY=VALUE', help: 'operator metadata, e.g. fee_recipient=0x...' },
    json: { type: 'boolean', help: 'print the slot; bulk: {results: [{file, status, name, public_key, code, message}], imported, duplicate, error}' },
  },
  details: [
    'The new key is active at once. The daemon checks the keystore checksum (the password),',
    'that the decrypted key matches the keystore pubkey, and refuses a public key the vault',
    'already holds (duplicate); a refused import stores nothing.',
    '',
    'Ethereum keys need their chain: --network (mainnet, hoodi, sepolia, holesky, gnosis) or',
    '--genesis-validators-root; their slashing protection is exported for that chain only.',
    '',
    'Bulk (--dir): the daemon runs the import as a job; the command follows it to the end',
    '(a progress bar on a terminal, nothing when piped) and prints one result per file',
    '(imported, duplicate, error with a reason); exit 2 when any file failed.',
    'deposit_data-*.json files are skipped.',
    '',
    'Examples:',
    '  vault validator import --chain ethereum --network mainnet --keystore keystore-m_12381_3600_0_0_0.json --password-file pw.txt',
    '  vault validator import --chain ethereum --network hoodi --dir validator_keys --password-file pw.txt',
    '  vault validator import --chain cosmos --key-file priv_validator_key.json --state-file priv_validator_state.json --name val-1',
    '  vault validator import --chain solana --keypair validator-keypair.json --name sol-main',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const chain: ValidatorChain = checkChain(v.chain, ctx.commandPath);
    const root = rootOf(v, ctx.commandPath);
    if (chain !== 'ethereum' && root !== undefined) throw usageError('--network and --genesis-validators-root are for ethereum keys', ctx.commandPath);
    if (chain === 'ethereum' && root === undefined) {
      throw new CliError('OV_USAGE', { reason: 'an ethereum key needs its chain', hints: ['add --network mainnet (or hoodi, sepolia, holesky, gnosis), or --genesis-validators-root 0x..'] });
    }
    if (v.dir !== undefined) {
      if (chain !== 'ethereum') throw usageError('--dir imports ethereum keystores only', ctx.commandPath);
      if (v.keystore !== undefined || v['key-file'] !== undefined || v.keypair !== undefined || v.generate) {
        throw usageError('--dir imports every keystore in DIR: drop --keystore, --key-file, --keypair and --generate', ctx.commandPath);
      }
      if (v.name !== undefined || v.label.length > 0 || v.meta.length > 0) throw usageError('--name, --label and --meta apply to a single import', ctx.commandPath);
      return bulkImport(ctx, { dir: v.dir, 'password-file': v['password-file'], 'passwords-dir': v['passwords-dir'], json: v.json, root: root as string });
    }
    if (v['passwords-dir'] !== undefined) throw usageError('--passwords-dir goes with --dir', ctx.commandPath);
    const labels = pairsOf(v.label, 'label');
    const given = pairsOf(v.meta, 'meta');
    const metadata = root === undefined ? given : { ...given, genesis_validators_root: root };

    let body: ValidatorKeyMaterial;
    let name: string;
    if (v.generate) {
      if (v.keystore !== undefined || v['key-file'] !== undefined || v.keypair !== undefined || v['password-file'] !== undefined) {
        throw usageError('--generate takes no key file', ctx.commandPath);
      }
      if (v.name === undefined) throw usageError('--generate needs --name NAME', ctx.commandPath);
      name = checkName(v.name, '--name');
      body = { format: 'generate' };
    } else {
      const material = await readMaterial(ctx, v, chain);
      if (material === undefined) {
        const opt = { ethereum: '--keystore FILE (or --dir DIR)', cosmos: '--key-file FILE', solana: '--keypair FILE' }[chain];
        throw usageError(`missing ${opt}`, ctx.commandPath);
      }
      const derived = v.name === undefined ? defaultName(chain, material.text) : undefined;
      if (v.name === undefined && derived === undefined) {
        // Cannot name the slot from the file: either it is malformed (the daemon would say
        // so, but a name is needed to ask) or it omits its public part.
        throw new CliError(chain === 'ethereum' ? 'OV_KEYSTORE_INVALID' : 'OV_VALIDATOR_KEY_INVALID', {
          reason: 'no public key to name the slot after',
          hints: ['check the file, or pass --name NAME'],
        });
      }
      name = checkName(v.name ?? derived, '--name');
      body = material.body;
    }
    const client = await validators(ctx);
    const slot = await client.create({ name, chain, ...body, ...(labels === undefined ? {} : { labels }), ...(metadata === undefined ? {} : { metadata }) });
    const k = activeKey(slot);
    await emitSlot(ctx, slot, v.json, `imported ${clean(slot.name)}: ${clean(slot.chain)} key ${clean(k?.public_key)} (active)`);
    return 0;
  },
});

/**
 * What the `vault validator` commands share: the key-material options (`--keystore`,
 * `--key-file`, `--keypair`, `--generate` ...) and how they become an import request,
 * reading passwords from files or stdin only (never argv, which `ps` shows), the default
 * slot name derived from a key file's public part, slot output for people and `--json`,
 * and name checks. Formats and checks are the daemon's (docs/validators.md, "Formats"):
 * the CLI only reads files and forwards their text.
 * @module
 */
import type { ValidatorsClient, ValidatorChain, ValidatorKeyInfo, ValidatorKeyMaterial, ValidatorSlot } from '../../src/client/index.js';
import type { CommandContext } from '../command.js';
import { VaultError } from '../../src/errors.js';
import { CliError, usageError, withHints } from '../errors.js';
import { MAX_KEY_FILE_BYTES, readFileCapped, readSecretFile } from '../io.js';
import { connect } from '../connect/connect.js';
import { clean, formatPairs, formatTable, printJson } from '../connect/format.js';
import { readSecretInput, withoutNewline } from '../connect/secret-input.js';

export const CHAINS = ['ethereum', 'cosmos', 'solana'] as const;

/** `export` and `destroy` are admin-only: say so when the daemon refuses a lesser session. */
export function adminHint(e: unknown, name: string): unknown {
  return e instanceof VaultError && e.code === 'OV_FORBIDDEN'
    ? withHints(e, [`this needs an admin session whose scope covers validators/${name}`, "run 'vault login' with such a key"])
    : e;
}
/** For routes addressing keys across slots (interchange import/export, keymanager token). */
export function wholeTreeAdminHint(e: unknown): unknown {
  return e instanceof VaultError && e.code === 'OV_FORBIDDEN'
    ? withHints(e, ['this needs an admin session whose scope covers all of validators', "run 'vault login' with such a key"])
    : e;
}
const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export async function validators(ctx: CommandContext<unknown>): Promise<ValidatorsClient> {
  const client = await connect(ctx);
  const { ValidatorsClient } = await import('../../src/client/index.js');
  return new ValidatorsClient(client);
}

export function checkChain(chain: string | undefined, commandPath: string): ValidatorChain {
  if (chain === undefined) throw usageError('missing --chain (ethereum, cosmos or solana)', commandPath);
  if (!(CHAINS as readonly string[]).includes(chain)) throw new CliError('OV_INVALID_ARGUMENT', { reason: '--chain must be ethereum, cosmos or solana' });
  return chain as ValidatorChain;
}

/** The slot name positional (or --name), checked before any request is made. */
export function checkName(name: string | undefined, what = 'NAME'): string {
  if (name === undefined || !NAME_RE.test(name)) {
    throw new CliError('OV_INVALID_ARGUMENT', { reason: `${what} must match ${NAME_RE.source} (lowercase letters, digits, '.', '_', '-')` });
  }
  return name;
}

/** `k=v` pairs of a repeatable option into a map (labels, metadata). */
export function pairsOf(list: readonly string[], opt: string): Record<string, string> | undefined {
  if (list.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new CliError('OV_INVALID_ARGUMENT', { reason: `--${opt} takes KEY=VALUE` });
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/**
 * A password from a file (0600, like any secret file) or `-` for stdin; a prompt without
 * echo on a terminal when no file is named. One trailing newline is dropped; EIP-2335
 * strips control codes anyway, and other whitespace is part of the password.
 */
export async function readPassword(ctx: CommandContext<unknown>, file: string | undefined, prompt = 'keystore password: '): Promise<string> {
  const src = await readSecretInput(ctx, { file, prompt, what: 'password' });
  return src.from === 'prompt' ? src.text : withoutNewline(src.text);
}

/** An encrypted keystore: not secret without its password, but capped like a key file. */
export async function readKeystoreFile(path: string): Promise<string> {
  return Buffer.from(await readFileCapped(path, MAX_KEY_FILE_BYTES)).toString('utf8');
}

/** A plaintext key file (cosmos priv_validator_key.json, solana keypair): refused if others may read it. */
export async function readKeyFile(ctx: CommandContext<unknown>, path: string): Promise<string> {
  const data = await readSecretFile(ctx, path);
  try {
    return Buffer.from(data).toString('utf8');
  } finally {
    data.fill(0);
  }
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The default slot name, from the public part of the key file, as the daemon names bulk
 * imports (`eth-<first 8 hex of the public key>`): `cosmos-<first 8 hex of the address>`,
 * `sol-<first 8 hex of the public key>`. Undefined when the file does not say.
 */
export function defaultName(chain: ValidatorChain, text: string): string | undefined {
  const doc = parseJsonOrUndefined(text);
  if (chain === 'ethereum') {
    const pk = (doc as { pubkey?: unknown } | undefined)?.pubkey;
    if (typeof pk !== 'string') return undefined;
    const hex = pk.replace(/^0x/i, '').toLowerCase();
    return /^[0-9a-f]{96}$/.test(hex) ? `eth-${hex.slice(0, 8)}` : undefined;
  }
  if (chain === 'cosmos') {
    const addr = (doc as { address?: unknown } | undefined)?.address;
    return typeof addr === 'string' && /^[0-9A-Fa-f]{40}$/.test(addr) ? `cosmos-${addr.slice(0, 8).toLowerCase()}` : undefined;
  }
  // Solana: 64 numbers, seed(32) || public key(32); only the public half is read here.
  if (!Array.isArray(doc) || doc.length !== 64 || !doc.every((b) => Number.isInteger(b) && (b as number) >= 0 && (b as number) <= 255)) return undefined;
  return `sol-${Buffer.from((doc as number[]).slice(32, 36)).toString('hex')}`;
}

/** Key-material options shared by `import` and `rotate`. */
export const MATERIAL_OPTIONS = {
  keystore: { type: 'string', arg: 'FILE', help: 'ethereum: an EIP-2335 keystore (scrypt or pbkdf2)' },
  'password-file': { type: 'string', arg: 'FILE', help: "the keystore password (0600 file, or '-' for stdin; prompted on a terminal)" },
  'key-file': { type: 'string', arg: 'FILE', help: 'cosmos: priv_validator_key.json (0600)' },
  'state-file': { type: 'string', arg: 'FILE', help: 'cosmos: priv_validator_state.json, carried with the key' },
  keypair: { type: 'string', arg: 'FILE', help: 'solana: a keypair JSON file (64 numbers, 0600)' },
} as const;

export interface MaterialValues {
  readonly keystore: string | undefined;
  readonly 'password-file': string | undefined;
  readonly 'key-file': string | undefined;
  readonly 'state-file': string | undefined;
  readonly keypair: string | undefined;
}

/** Which file option was given, checked against the chain when known. */
function materialKind(v: MaterialValues, chain: ValidatorChain | undefined, commandPath: string): 'eip2335' | 'cosmos' | 'solana' | undefined {
  const given = [v.keystore === undefined ? undefined : 'eip2335', v['key-file'] === undefined ? undefined : 'cosmos', v.keypair === undefined ? undefined : 'solana'].filter(
    (x): x is 'eip2335' | 'cosmos' | 'solana' => x !== undefined,
  );
  if (given.length > 1) throw usageError('give only one of --keystore, --key-file and --keypair', commandPath);
  const kind = given[0];
  const expect = chain === undefined ? undefined : ({ ethereum: 'eip2335', cosmos: 'cosmos', solana: 'solana' } as const)[chain];
  if (kind !== undefined && expect !== undefined && kind !== expect) {
    const opt = { eip2335: '--keystore', cosmos: '--key-file', solana: '--keypair' }[expect];
    throw usageError(`--chain ${chain ?? ''} takes ${opt}`, commandPath);
  }
  if (v['state-file'] !== undefined && kind !== 'cosmos') throw usageError('--state-file goes with --key-file (cosmos)', commandPath);
  if (v['password-file'] !== undefined && kind !== 'eip2335') throw usageError('--password-file goes with --keystore', commandPath);
  return kind;
}

export interface Material {
  readonly body: ValidatorKeyMaterial;
  /** The key file's text (for the default name). */
  readonly text: string;
  readonly kind: 'eip2335' | 'cosmos' | 'solana';
}

/** Reads the files one key import names and builds its request fields; undefined if none was given. */
export async function readMaterial(ctx: CommandContext<unknown>, v: MaterialValues, chain: ValidatorChain | undefined): Promise<Material | undefined> {
  const kind = materialKind(v, chain, ctx.commandPath);
  if (kind === 'eip2335') {
    const keystore = await readKeystoreFile(v.keystore ?? '');
    const password = await readPassword(ctx, v['password-file']);
    return { kind, text: keystore, body: { format: 'eip2335', keystore, password } };
  }
  if (kind === 'cosmos') {
    const keyFile = await readKeyFile(ctx, v['key-file'] ?? '');
    const stateFile = v['state-file'] === undefined ? undefined : Buffer.from(await readFileCapped(v['state-file'], MAX_KEY_FILE_BYTES)).toString('utf8');
    return { kind, text: keyFile, body: { format: 'cosmos', key_file: keyFile, ...(stateFile === undefined ? {} : { state_file: stateFile }) } };
  }
  if (kind === 'solana') {
    const keyFile = await readKeyFile(ctx, v.keypair ?? '');
    return { kind, text: keyFile, body: { format: 'solana', key_file: keyFile } };
  }
  return undefined;
}

// --- output ------------------------------------------------------------------------------

export function activeKey(slot: ValidatorSlot): ValidatorKeyInfo | undefined {
  return slot.keys.find((k) => k.state === 'active');
}

export function pendingKey(slot: ValidatorSlot): ValidatorKeyInfo | undefined {
  return slot.keys.find((k) => k.state === 'pending');
}

function stateText(s: ValidatorSlot['signing_state']): string {
  const entries = Object.entries(s);
  return entries.length === 0 ? '-' : entries.map(([k, v]) => `${k}=${v === null ? '-' : String(v)}`).join(' ');
}

/** `vault validator show` and the answer of the commands that change a slot. */
export function formatSlot(slot: ValidatorSlot): string {
  const pairs: [string, unknown][] = [
    ['name', slot.name],
    ['chain', slot.chain],
    ['created', slot.created_at],
    ['signing state', stateText(slot.signing_state)],
  ];
  for (const [k, v] of Object.entries(slot.labels)) pairs.push([`label ${k}`, v]);
  for (const [k, v] of Object.entries(slot.metadata)) pairs.push([`metadata ${k}`, v]);
  const keys = formatTable(
    ['KEY ID', 'STATE', 'TYPE', 'PUBLIC KEY', 'ADDRESS', 'SOURCE', 'CREATED', 'ACTIVATED', 'RETIRED'],
    slot.keys.map((k) => [k.id, k.state, k.key_type, k.public_key, k.address, k.source, k.created_at, k.activated_at, k.retired_at]),
  );
  return `${formatPairs(pairs)}\n${slot.keys.length === 0 ? 'no keys\n' : keys}`;
}

/** Prints the slot (`--json`: the slot document) after a change, with a one-line summary on stderr. */
export async function emitSlot(ctx: CommandContext<unknown>, slot: ValidatorSlot, json: boolean, summary?: string): Promise<void> {
  if (json) {
    await printJson(ctx, slot);
    return;
  }
  if (summary !== undefined) ctx.info(summary);
  await ctx.out(formatSlot(slot));
}

export function keyLine(k: ValidatorKeyInfo | undefined): string {
  return k === undefined ? 'none' : `${clean(k.id)} (${clean(k.public_key)})`;
}

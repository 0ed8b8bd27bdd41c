/**
 * What the `vault transit` commands share: the key-name argument, the typed transit
 * client, the `--batch FILE` reader and how a key is shown.
 * @module
 */
import type { CommandContext } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { connect } from '../connect/connect.js';
import { formatPairs, formatTable, printJson } from '../connect/format.js';
import { readFileCapped, MAX_INPUT_BYTES } from '../io.js';
import type { TransitClient } from '../../src/client/index.js';
import type { TransitKey } from '../../src/api/transit.js';

/** The transit client over a connected VaultClient. */
export async function transit(ctx: CommandContext<unknown>): Promise<TransitClient> {
  const client = await connect(ctx);
  const { TransitClient } = await import('../../src/client/transit.js');
  return new TransitClient(client);
}

/** The NAME positional (the daemon checks its form). */
export function nameArg(ctx: CommandContext<unknown>): string {
  const name = ctx.positionals[0];
  if (name === undefined || name === '') throw usageError('a transit key NAME is needed', ctx.commandPath);
  return name;
}

/** `--batch FILE`: a JSON array of items with the route's fields (Vault's `batch_input`). */
export async function readBatch(path: string): Promise<object[]> {
  const bytes = await readFileCapped(path, MAX_INPUT_BYTES);
  let items: unknown;
  try {
    items = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new CliError('OV_INVALID_ARGUMENT', { reason: `${path} is not JSON` });
  }
  if (!Array.isArray(items) || items.length === 0 || items.some((i) => typeof i !== 'object' || i === null || Array.isArray(i))) {
    throw new CliError('OV_INVALID_ARGUMENT', { reason: `${path} must be a JSON array of objects` });
  }
  return items as object[];
}

/** Base64 of UTF-8 text or bytes. */
export function b64(v: Uint8Array | string): string {
  return (typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v.buffer, v.byteOffset, v.byteLength)).toString('base64');
}

/** One ciphertext, signature or HMAC read from `-i FILE` or stdin: its text, trimmed. */
export function valueText(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('utf8').trim();
}

export async function showKey(ctx: CommandContext<unknown>, key: TransitKey, json: boolean): Promise<void> {
  if (json) {
    await printJson(ctx, key);
    return;
  }
  const head = formatPairs([
    ['Name', key.name],
    ['Type', key.type],
    ['Latest version', key.latest_version],
    ['Min decryption version', key.min_decryption_version],
    ['Min encryption version', key.min_encryption_version],
    ['Exportable', key.exportable],
    ['Deletion allowed', key.deletion_allowed],
    ['Plaintext backup', key.allow_plaintext_backup],
  ]);
  const rows = Object.entries(key.keys).map(([v, k]) => [v, new Date(k.creation_time).toISOString()]);
  await ctx.out(`${head}\n${formatTable(['VERSION', 'CREATED'], rows)}`);
}

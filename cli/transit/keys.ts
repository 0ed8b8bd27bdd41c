/**
 * `vault transit create|read|list|rotate|config|delete|trim|export|backup|restore`: the
 * transit key management commands (`/v1/transit/keys`, export, backup, restore). Key
 * files (export) are written only to `-o FILE` (mode 0600) or a pipe.
 * @module
 */
import { defineCommand } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { printJson } from '../connect/format.js';
import { outputIsTerminal, readFileCapped, readInput, writeOutput, MAX_KEY_FILE_BYTES } from '../io.js';
import { boolOption, intOption } from '../secrets/shared.js';
import { nameArg, showKey, transit } from './shared.js';

const NAME = { min: 1, max: 1, name: 'NAME' } as const;
const json = { type: 'boolean', help: 'print the JSON answer' } as const;

export const create = defineCommand({
  name: 'create',
  usage: 'vault transit create NAME [--type TYPE] [--exportable] [--allow-plaintext-backup] [--deletion-allowed] [--json]',
  positionals: NAME,
  options: {
    type: { type: 'string', arg: 'TYPE', help: 'xwing (default), ml-kem-1024, ml-dsa-65, ml-dsa-87, falcon-512, hmac-sha256, hmac-sha3-256' },
    exportable: { type: 'boolean', help: 'allow export of the key (cannot be undone)' },
    'allow-plaintext-backup': { type: 'boolean', help: 'allow sealed backups to another vault (cannot be undone)' },
    'deletion-allowed': { type: 'boolean', help: 'allow the key to be deleted' },
    json,
  },
  details: 'Example:\n  vault transit create orders\n  vault transit create release --type ml-dsa-65',
  async run(ctx) {
    const v = ctx.values;
    const key = await (await transit(ctx)).create(nameArg(ctx), {
      ...(v.type === undefined ? {} : { type: v.type }),
      ...(v.exportable ? { exportable: true } : {}),
      ...(v['allow-plaintext-backup'] ? { allow_plaintext_backup: true } : {}),
      ...(v['deletion-allowed'] ? { deletion_allowed: true } : {}),
    });
    await showKey(ctx, key, v.json);
    return 0;
  },
});

export const read = defineCommand({
  name: 'read',
  usage: 'vault transit read NAME [--json]',
  positionals: NAME,
  options: { json },
  async run(ctx) {
    await showKey(ctx, await (await transit(ctx)).read(nameArg(ctx)), ctx.values.json);
    return 0;
  },
});

export const list = defineCommand({
  name: 'list',
  usage: 'vault transit list [--json]',
  options: { json },
  async run(ctx) {
    const keys = await (await transit(ctx)).list();
    if (ctx.values.json) await printJson(ctx, { keys });
    else await ctx.out(keys.map((k) => `${k}\n`).join(''));
    return 0;
  },
});

export const rotate = defineCommand({
  name: 'rotate',
  usage: 'vault transit rotate NAME [--json]',
  positionals: NAME,
  options: { json },
  async run(ctx) {
    await showKey(ctx, await (await transit(ctx)).rotate(nameArg(ctx)), ctx.values.json);
    return 0;
  },
});

export const config = defineCommand({
  name: 'config',
  usage: 'vault transit config NAME [--min-decryption-version N] [--min-encryption-version N] [--deletion-allowed true|false] [--exportable] [--allow-plaintext-backup] [--json]',
  positionals: NAME,
  options: {
    'min-decryption-version': { type: 'string', arg: 'N', help: 'refuse outputs of versions below N' },
    'min-encryption-version': { type: 'string', arg: 'N', help: 'make new output with version N or later (0: the latest)' },
    'deletion-allowed': { type: 'string', arg: 'BOOL', help: 'allow deletion (true or false)' },
    exportable: { type: 'boolean', help: 'allow export (cannot be undone)' },
    'allow-plaintext-backup': { type: 'boolean', help: 'allow sealed backups (cannot be undone)' },
    json,
  },
  async run(ctx) {
    const v = ctx.values;
    const minDec = intOption(v['min-decryption-version'], '--min-decryption-version', 1, Number.MAX_SAFE_INTEGER);
    const minEnc = intOption(v['min-encryption-version'], '--min-encryption-version', 0, Number.MAX_SAFE_INTEGER);
    const del = boolOption(v['deletion-allowed'], '--deletion-allowed');
    const req = {
      ...(minDec === undefined ? {} : { min_decryption_version: minDec }),
      ...(minEnc === undefined ? {} : { min_encryption_version: minEnc }),
      ...(del === undefined ? {} : { deletion_allowed: del }),
      ...(v.exportable ? { exportable: true } : {}),
      ...(v['allow-plaintext-backup'] ? { allow_plaintext_backup: true } : {}),
    };
    if (Object.keys(req).length === 0) throw usageError('nothing to change', ctx.commandPath);
    await showKey(ctx, await (await transit(ctx)).config(nameArg(ctx), req), v.json);
    return 0;
  },
});

export const remove = defineCommand({
  name: 'delete',
  usage: 'vault transit delete NAME',
  positionals: NAME,
  options: {},
  details: 'Deletes every version of the key, for good; only a key with deletion allowed.',
  async run(ctx) {
    const name = nameArg(ctx);
    await (await transit(ctx)).delete(name);
    ctx.info(`deleted transit key ${name}`);
    return 0;
  },
});

export const trim = defineCommand({
  name: 'trim',
  usage: 'vault transit trim NAME --min-available-version N [--json]',
  positionals: NAME,
  options: { 'min-available-version': { type: 'string', arg: 'N', required: true, help: 'delete the versions below N for good' }, json },
  async run(ctx) {
    const min = intOption(ctx.values['min-available-version'], '--min-available-version', 1, Number.MAX_SAFE_INTEGER) as number;
    const trimmed = await (await transit(ctx)).trim(nameArg(ctx), min);
    if (ctx.values.json) await printJson(ctx, { trimmed });
    else await ctx.out(`trimmed ${trimmed} version(s)\n`);
    return 0;
  },
});

const EXPORT_KINDS = ['encryption-key', 'signing-key', 'hmac-key'] as const;

export const exportKey = defineCommand({
  name: 'export',
  usage: 'vault transit export NAME --kind encryption-key|signing-key|hmac-key [--version N] [-o FILE] [--json]',
  positionals: NAME,
  options: {
    kind: { type: 'string', arg: 'KIND', required: true, help: 'encryption-key, signing-key or hmac-key' },
    version: { type: 'string', arg: 'N', help: 'only version N (default: every version)' },
    output: { type: 'string', short: 'o', arg: 'FILE', help: 'write to FILE (mode 0600) instead of stdout' },
    json,
  },
  details: [
    'Without --json, one version is written as its key file (armored ONTOREF SECRET KEY, or',
    'base64 for HMAC keys); several versions need --json. Never to a terminal.',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const kind = EXPORT_KINDS.find((k) => k === v.kind);
    if (kind === undefined) throw usageError('--kind must be encryption-key, signing-key or hmac-key', ctx.commandPath);
    if (outputIsTerminal(ctx, v.output)) throw usageError('key material is not written to a terminal: use -o FILE or a pipe', ctx.commandPath);
    const version = intOption(v.version, '--version', 1, Number.MAX_SAFE_INTEGER);
    const r = await (await transit(ctx)).export(kind, nameArg(ctx), version);
    const files = Object.values(r.keys);
    let text: string;
    if (v.json) text = `${JSON.stringify(r, null, 2)}\n`;
    else if (files.length === 1) text = (files[0] as string).endsWith('\n') ? (files[0] as string) : `${files[0] as string}\n`;
    else throw usageError('the key has several versions: pass --version N, or --json', ctx.commandPath);
    await writeOutput(ctx, v.output, text, { secret: true });
    return 0;
  },
});

export const backup = defineCommand({
  name: 'backup',
  usage: 'vault transit backup NAME --recipient FILE [-o FILE]',
  positionals: NAME,
  options: {
    recipient: { type: 'string', arg: 'FILE', required: true, help: "the receiving vault's armored kem public key (from its `vault keys list --json`)" },
    output: { type: 'string', short: 'o', arg: 'FILE', help: 'write to FILE instead of stdout' },
  },
  async run(ctx) {
    const recipient = Buffer.from(await readFileCapped(ctx.values.recipient, MAX_KEY_FILE_BYTES)).toString('utf8');
    const blob = await (await transit(ctx)).backup(nameArg(ctx), recipient);
    await writeOutput(ctx, ctx.values.output, `${blob}\n`);
    return 0;
  },
});

export const restore = defineCommand({
  name: 'restore',
  usage: 'vault transit restore [NAME] [-i FILE] [--force] [--trusted FILE ...] [--json]',
  positionals: { min: 0, max: 1, name: 'NAME' },
  options: {
    input: { type: 'string', short: 'i', arg: 'FILE', help: 'the backup (default: stdin)' },
    force: { type: 'boolean', help: 'replace an existing key of that name' },
    trusted: { type: 'string', multiple: true, arg: 'FILE', help: "the sending vault's armored signature public key (repeatable; default: this vault's own)" },
    json,
  },
  details: 'Without NAME the key keeps the name inside the backup (needs a session of scope *).',
  async run(ctx) {
    const v = ctx.values;
    const backupText = Buffer.from(await readInput(ctx, v.input)).toString('utf8').trim();
    if (backupText === '') throw new CliError('OV_INVALID_ARGUMENT', { reason: 'the backup is empty' });
    const trusted = await Promise.all(v.trusted.map(async (f) => Buffer.from(await readFileCapped(f, MAX_KEY_FILE_BYTES)).toString('utf8')));
    const key = await (await transit(ctx)).restore({ backup: backupText, ...(v.force ? { force: true } : {}), ...(trusted.length === 0 ? {} : { trusted }) }, ctx.positionals[0]);
    await showKey(ctx, key, v.json);
    return 0;
  },
});

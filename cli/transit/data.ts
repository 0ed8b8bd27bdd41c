/**
 * `vault transit encrypt|decrypt|rewrap|datakey|sign|verify|hmac`: the transit
 * operations. Plaintext and input come from stdin or `-i FILE`, never from argv;
 * output goes to stdout or `-o FILE`. `--batch FILE` sends a JSON array of items with
 * the route's own fields (base64 values, as in Vault) and prints the JSON answer, one
 * result per item in order.
 * @module
 */
import { createHash } from 'node:crypto';
import { defineCommand, type CommandContext } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { outputIsTerminal, readInput, writeOutput } from '../io.js';
import { intOption } from '../secrets/shared.js';
import { b64, nameArg, readBatch, transit, valueText } from './shared.js';

const NAME = { min: 1, max: 1, name: 'NAME' } as const;
const io = {
  input: { type: 'string', short: 'i', arg: 'FILE', help: 'read from FILE (default: stdin)' },
  output: { type: 'string', short: 'o', arg: 'FILE', help: 'write to FILE (default: stdout)' },
  batch: { type: 'string', arg: 'FILE', help: 'a JSON array of items (batch_input); prints the JSON answer' },
  json: { type: 'boolean', help: 'print the JSON answer' },
} as const;
const ad = { 'associated-data': { type: 'string', arg: 'TEXT', help: 'associated data the ciphertext is bound to (UTF-8, not secret)' } } as const;
const keyVersion = { 'key-version': { type: 'string', arg: 'N', help: 'use key version N (default: the latest)' } } as const;

function version(ctx: CommandContext<{ readonly 'key-version': string | undefined }>): { key_version?: number } {
  const n = intOption(ctx.values['key-version'], '--key-version', 1, Number.MAX_SAFE_INTEGER);
  return n === undefined ? {} : { key_version: n };
}
function adField(ctx: CommandContext<{ readonly 'associated-data': string | undefined }>): { associated_data?: string } {
  const a = ctx.values['associated-data'];
  return a === undefined ? {} : { associated_data: b64(a) };
}

/** Runs `--batch` when given: prints the JSON answer. */
async function batchOr(ctx: CommandContext<{ readonly batch: string | undefined; readonly output: string | undefined }>, run: (items: object[]) => Promise<unknown>): Promise<boolean> {
  if (ctx.values.batch === undefined) return false;
  const results = await run(await readBatch(ctx.values.batch));
  await writeOutput(ctx, ctx.values.output, `${JSON.stringify({ batch_results: results }, null, 2)}\n`, { secret: true });
  return true;
}

async function line(ctx: CommandContext<{ readonly json: boolean; readonly output: string | undefined }>, value: string, body: object): Promise<void> {
  await writeOutput(ctx, ctx.values.output, ctx.values.json ? `${JSON.stringify(body, null, 2)}\n` : `${value}\n`);
}

export const encrypt = defineCommand({
  name: 'encrypt',
  usage: 'vault transit encrypt NAME [-i FILE] [-o FILE] [--associated-data TEXT] [--key-version N] [--batch FILE] [--json]',
  positionals: NAME,
  options: { ...io, ...ad, ...keyVersion },
  details: 'Prints the ciphertext (ontoref:v<N>:...).\n\nExample:\n  vault transit encrypt orders -i card.txt > card.ct',
  async run(ctx) {
    const t = await transit(ctx);
    const name = nameArg(ctx);
    if (await batchOr(ctx, (items) => t.encryptBatch(name, items as never))) return 0;
    const plaintext = b64(await readInput(ctx, ctx.values.input));
    const r = await t.encrypt(name, { plaintext, ...adField(ctx), ...version(ctx) });
    await line(ctx, r.ciphertext, r);
    return 0;
  },
});

export const decrypt = defineCommand({
  name: 'decrypt',
  usage: 'vault transit decrypt NAME [-i FILE] [-o FILE] [--associated-data TEXT] [--batch FILE] [--json]',
  positionals: NAME,
  options: { ...io, ...ad },
  details: 'Reads a ciphertext and writes the plaintext bytes exactly (--json: base64 in "plaintext").',
  async run(ctx) {
    const t = await transit(ctx);
    const name = nameArg(ctx);
    if (await batchOr(ctx, (items) => t.decryptBatch(name, items as never))) return 0;
    const ciphertext = valueText(await readInput(ctx, ctx.values.input));
    const r = await t.decrypt(name, { ciphertext, ...adField(ctx) });
    if (ctx.values.json) await writeOutput(ctx, ctx.values.output, `${JSON.stringify(r, null, 2)}\n`, { secret: true });
    else await writeOutput(ctx, ctx.values.output, Buffer.from(r.plaintext, 'base64'), { secret: true });
    return 0;
  },
});

export const rewrap = defineCommand({
  name: 'rewrap',
  usage: 'vault transit rewrap NAME [-i FILE] [-o FILE] [--associated-data TEXT] [--key-version N] [--batch FILE] [--json]',
  positionals: NAME,
  options: { ...io, ...ad, ...keyVersion },
  details: 'Re-encrypts a ciphertext under the latest (or the given) key version; the plaintext stays in the vault.',
  async run(ctx) {
    const t = await transit(ctx);
    const name = nameArg(ctx);
    if (await batchOr(ctx, (items) => t.rewrapBatch(name, items as never))) return 0;
    const ciphertext = valueText(await readInput(ctx, ctx.values.input));
    const r = await t.rewrap(name, { ciphertext, ...adField(ctx), ...version(ctx) });
    await line(ctx, r.ciphertext, r);
    return 0;
  },
});

export const datakey = defineCommand({
  name: 'datakey',
  usage: 'vault transit datakey NAME [--plaintext] [--bits 128|256|512] [--associated-data TEXT] [--key-version N] [-o FILE]',
  positionals: NAME,
  options: {
    plaintext: { type: 'boolean', help: 'also return the key itself (never to a terminal)' },
    bits: { type: 'string', arg: 'N', help: '128, 256 (default) or 512' },
    output: io.output,
    ...ad,
    ...keyVersion,
  },
  details: 'Prints the JSON answer: {ciphertext, key_version, plaintext?}.',
  async run(ctx) {
    const v = ctx.values;
    if (v.plaintext && outputIsTerminal(ctx, v.output)) throw usageError('a plaintext data key is not written to a terminal: use -o FILE or a pipe', ctx.commandPath);
    const bits = intOption(v.bits, '--bits', 128, 512);
    if (bits !== undefined && bits !== 128 && bits !== 256 && bits !== 512) throw new CliError('OV_INVALID_ARGUMENT', { reason: '--bits must be 128, 256 or 512' });
    const r = await (await transit(ctx)).datakey(nameArg(ctx), { plaintext: v.plaintext, ...(bits === undefined ? {} : { bits }), ...adField(ctx), ...version(ctx) });
    await writeOutput(ctx, v.output, `${JSON.stringify(r, null, 2)}\n`, { secret: v.plaintext });
    return 0;
  },
});

const prehash = { prehash: { type: 'boolean', help: 'send the SHA-512 digest of the input (HashML-DSA) instead of the input' } } as const;

/** The input field: the bytes, or their SHA-512 digest with --prehash. */
function inputFields(bytes: Uint8Array, prehashed: boolean): { input: string; prehashed?: true; hash_algorithm?: 'sha2-512' } {
  if (!prehashed) return { input: b64(bytes) };
  return { input: createHash('sha512').update(bytes).digest('base64'), prehashed: true, hash_algorithm: 'sha2-512' };
}

export const sign = defineCommand({
  name: 'sign',
  usage: 'vault transit sign NAME [-i FILE] [-o FILE] [--prehash] [--key-version N] [--batch FILE] [--json]',
  positionals: NAME,
  options: { ...io, ...prehash, ...keyVersion },
  details: 'Prints the signature (ontoref:v<N>:...).\n\nExample:\n  vault transit sign release -i app.tar.gz --prehash > app.sig',
  async run(ctx) {
    const t = await transit(ctx);
    const name = nameArg(ctx);
    if (await batchOr(ctx, (items) => t.signBatch(name, items as never))) return 0;
    const r = await t.sign(name, { ...inputFields(await readInput(ctx, ctx.values.input), ctx.values.prehash), ...version(ctx) });
    await line(ctx, r.signature, r);
    return 0;
  },
});

export const verify = defineCommand({
  name: 'verify',
  usage: 'vault transit verify NAME (--signature S | --hmac H) [-i FILE] [--prehash] [--batch FILE] [--json]',
  positionals: NAME,
  options: {
    signature: { type: 'string', arg: 'S', help: 'the signature (ontoref:v<N>:...) or @FILE' },
    hmac: { type: 'string', arg: 'H', help: 'the HMAC (ontoref:v<N>:...) or @FILE' },
    ...io,
    ...prehash,
  },
  details: "Prints 'valid' and exits 0, or 'invalid' and exits 1.",
  async run(ctx) {
    const v = ctx.values;
    const t = await transit(ctx);
    const name = nameArg(ctx);
    if (await batchOr(ctx, (items) => t.verifyBatch(name, items as never))) return 0;
    if ((v.signature === undefined) === (v.hmac === undefined)) throw usageError('give --signature or --hmac', ctx.commandPath);
    const given = (v.signature ?? v.hmac) as string;
    const value = given.startsWith('@') ? valueText(await readInput(ctx, given.slice(1))) : given;
    const fields = inputFields(await readInput(ctx, v.input), v.prehash);
    const r = await t.verify(name, { ...fields, ...(v.signature !== undefined ? { signature: value } : { hmac: value }) });
    await line(ctx, r.valid ? 'valid' : 'invalid', r);
    return r.valid ? 0 : 1;
  },
});

export const hmac = defineCommand({
  name: 'hmac',
  usage: 'vault transit hmac NAME [-i FILE] [-o FILE] [--key-version N] [--batch FILE] [--json]',
  positionals: NAME,
  options: { ...io, ...keyVersion },
  details: 'Prints the HMAC (ontoref:v<N>:...).',
  async run(ctx) {
    const t = await transit(ctx);
    const name = nameArg(ctx);
    if (await batchOr(ctx, (items) => t.hmacBatch(name, items as never))) return 0;
    const r = await t.hmac(name, { input: b64(await readInput(ctx, ctx.values.input)), ...version(ctx) });
    await line(ctx, r.hmac, r);
    return 0;
  },
});


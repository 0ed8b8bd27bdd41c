/**
 * `vault secrets get PATH`: reads a secret (`GET /v1/secrets/{path}`, reader). One field
 * (`--field NAME`, or Vault's `-field=NAME`) is written exactly, with no newline added, so
 * `$(vault secrets get app/db -field=password)` and `> file` keep the stored bytes. Without
 * a field: a table of fields on a terminal (the user asked to see them), else the JSON
 * document. `--recipient` asks the daemon to seal the answer to a public key instead and
 * writes the armored envelope (`vault envelope open` reads it); `--age-recipient` (repeatable)
 * asks for an armored age v1 file instead, which `age -d` or `vault envelope open` decrypts.
 * @module
 */
import { defineCommand } from '../command.js';
import { usageError } from '../errors.js';
import { connect } from '../connect/connect.js';
import { formatPairs, formatTable, printJson } from '../connect/format.js';
import { intOption, secretPathArg } from './shared.js';

function fieldOption(raw: string | undefined, commandPath: string): string | undefined {
  if (raw === '') throw usageError('--field needs a name', commandPath);
  return raw;
}

/** `--recipient`: an `age1pq1...` string as is, else a public key file sent as base64 of its ORVK encoding. */
async function recipientHeader(ctx: Parameters<typeof connect>[0], to: string): Promise<string> {
  const { looksLikeAgeRecipient } = await import('../../src/envelope/age.js');
  if (looksLikeAgeRecipient(to)) return to;
  const { loadPublicKey, envelopeLib } = await import('../envelope/keys.js');
  const key = await loadPublicKey(ctx, to, 'kem-public');
  const env = await envelopeLib();
  return Buffer.from(env.encodeKey(key)).toString('base64');
}

export const command = defineCommand({
  name: 'get',
  usage: 'vault secrets get PATH [--version N] [--field NAME | -field=NAME] [--recipient FILE|age1pq1... | --age-recipient age1pq1...|age1... ...] [--json]',
  positionals: { min: 1, max: 1, name: 'PATH' },
  options: {
    version: { type: 'string', arg: 'N', help: 'read version N (default: the latest)' },
    field: { type: 'string', short: 'f', arg: 'NAME', help: 'print only this field, exactly, without a newline (also -field=NAME)' },
    recipient: { type: 'string', arg: 'KEY', help: 'have the daemon seal the answer to this public key file or age1pq1... recipient' },
    'age-recipient': { type: 'string', multiple: true, arg: 'RECIPIENT', help: 'have the daemon encrypt the answer as an age file to this age1pq1... or age1... recipient (repeatable)' },
    json: { type: 'boolean', help: 'print the document {path, version, created_at, data | binary} even on a terminal' },
  },
  details: [
    'Without --field, a terminal gets a table of the fields and a pipe gets the JSON document',
    '(a binary secret is base64 in "binary"). With --recipient the output is an armored',
    'ONTOREF ENVELOPE holding what would have been printed (the JSON document, or the field).',
    '',
    'Examples:',
    '  vault secrets get apps/web/db',
    '  PGPASSWORD=$(vault secrets get apps/web/db -field=password) psql ...',
    '  vault secrets get apps/web/db --version 2 --json',
    '  vault secrets get apps/web/db --recipient alice.key.pub > db.env && vault envelope open --key alice.key -i db.env',
    '  vault secrets get apps/web/db -field=password --age-recipient "$(cat bob.age.pub)" | age -d -i bob.age',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const path = await secretPathArg(ctx);
    const version = intOption(v.version, '--version', 1, Number.MAX_SAFE_INTEGER);
    const field = fieldOption(v.field, ctx.commandPath);
    const opts = version === undefined ? {} : { version };

    if (v['age-recipient'].length > 0) {
      if (v.recipient !== undefined) throw usageError('give --recipient or --age-recipient, not both', ctx.commandPath);
      const client = await connect(ctx);
      const text = await client.getSecretAge(path, v['age-recipient'], { ...opts, ...(field === undefined ? {} : { field }) });
      await ctx.out(text);
      return 0;
    }

    if (v.recipient !== undefined) {
      const recipient = await recipientHeader(ctx, v.recipient);
      const client = await connect(ctx);
      const text = await client.getSecretSealed(path, recipient, { ...opts, ...(field === undefined ? {} : { field }) });
      await ctx.out(text);
      return 0;
    }

    const client = await connect(ctx);
    if (field !== undefined) {
      const f = await client.getSecretField(path, field, opts);
      await ctx.out(f.value);
      return 0;
    }
    const doc = await client.getSecret(path, opts);
    if (v.json || ctx.streams.stdout.isTTY !== true) {
      await printJson(ctx, doc);
      return 0;
    }
    const head = formatPairs([
      ['Path', doc.path],
      ['Version', doc.version],
      ['Created', doc.created_at],
    ]);
    const body =
      doc.binary !== undefined
        ? formatPairs([['Binary', `${Buffer.from(doc.binary, 'base64').length} bytes (base64 with --json)`]])
        : formatTable(['FIELD', 'VALUE'], Object.entries(doc.data ?? {}));
    await ctx.out(`${head}\n${body}`);
    return 0;
  },
});

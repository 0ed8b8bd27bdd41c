/**
 * `vault envelope seal`: seals stdin (or -i FILE) to a public key as an HPKE envelope
 * (docs/format.md), optionally signed; or, with --age, writes an age v1 file for one or
 * more age recipients (docs/age.md). Output is binary, or armored with -a and whenever it
 * would land on a terminal, as age does.
 * @module
 */
import { defineCommand, type CommandContext } from '../command.js';
import { usageError } from '../errors.js';
import { readInput, outputIsTerminal, writeOutput } from '../io.js';
import { ageLibrary, envelopeLib, loadAgeRecipients, loadRecipient, loadSecretKey } from './keys.js';
import { checkStdin } from './stdin.js';

export const command = defineCommand({
  name: 'seal',
  usage: [
    'vault envelope seal --to PUB_FILE|age1pq1... [--sign SECRET_FILE] [--context STR] [-i IN] [-o OUT] [-a]',
    '       vault envelope seal --age -r RECIPIENT [-r RECIPIENT ...] [--allow-mixed] [-i IN] [-o OUT] [-a]',
  ].join('\n'),
  options: {
    to: { type: 'string', arg: 'PUB_FILE', help: 'recipient public key file (x-wing or ml-kem-1024), or an age1pq1... recipient' },
    sign: { type: 'string', arg: 'SECRET_FILE', help: 'sign the envelope with this signing key' },
    context: { type: 'string', arg: 'STR', help: 'context bound into the envelope; open needs the same (not secret, <= 1024 bytes)' },
    age: { type: 'boolean', help: 'write an age v1 file instead of an envelope (recipients with -r)' },
    recipient: {
      type: 'string',
      short: 'r',
      multiple: true,
      arg: 'RECIPIENT',
      help: 'with --age: age1pq1... or age1... string, a file of such lines, or an x-wing public key file',
    },
    'allow-mixed': { type: 'boolean', help: 'with --age: allow post-quantum and X25519 recipients in one file' },
    input: { type: 'string', short: 'i', arg: 'IN', help: 'read the plaintext from IN (default stdin)' },
    output: { type: 'string', short: 'o', arg: 'OUT', help: 'write the envelope to OUT (default stdout)' },
    armor: { type: 'boolean', short: 'a', help: 'armored text output (automatic on a terminal)' },
  },
  details: [
    'Examples:',
    '  echo -n secret | vault envelope seal --to alice.key.pub > secret.env',
    '  vault envelope seal --to alice.key.pub --sign signer.key --context db/password -i pw.txt -o pw.env -a',
    '  vault envelope seal --to age1pq1... -i notes.txt -o notes.env',
    '  vault envelope seal --age -r age1pq1... -r bob.key.pub -i notes.txt -o notes.txt.age',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    if (v.age) return sealAge(ctx, v);
    if (v.recipient.length > 0 || v['allow-mixed']) throw usageError('-r and --allow-mixed need --age', ctx.commandPath);
    if (v.to === undefined) throw usageError('missing required option --to', ctx.commandPath);
    checkStdin(ctx, [['-i', v.input]], [['--to', v.to], ['--sign', v.sign]]);
    const to = await loadRecipient(ctx, v.to);
    const signer = v.sign === undefined ? undefined : await loadSecretKey(ctx, v.sign, 'sig-secret');
    let plaintext: Uint8Array | undefined;
    try {
      const env = await envelopeLib();
      const provider = await ctx.provider();
      plaintext = await readInput(ctx, v.input);
      const envelope = env.seal(provider, {
        to,
        plaintext,
        ...(v.context === undefined ? {} : { context: v.context }),
        ...(signer === undefined ? {} : { sign: signer }),
      });
      const armored = v.armor || outputIsTerminal(ctx, v.output);
      await writeOutput(ctx, v.output, armored ? env.armor('ENVELOPE', envelope) : envelope);
      return 0;
    } finally {
      plaintext?.fill(0);
      signer?.secretKey.fill(0);
    }
  },
});

interface AgeValues {
  readonly to: string | undefined;
  readonly sign: string | undefined;
  readonly context: string | undefined;
  readonly recipient: readonly string[];
  readonly 'allow-mixed': boolean;
  readonly input: string | undefined;
  readonly output: string | undefined;
  readonly armor: boolean;
}

async function sealAge(ctx: CommandContext<unknown>, v: AgeValues): Promise<number> {
  // An age file has no context and no signature; refusing is better than silently dropping them.
  if (v.to !== undefined || v.sign !== undefined || v.context !== undefined) {
    throw usageError('--to, --sign and --context do not apply to --age (use -r)', ctx.commandPath);
  }
  if (v.recipient.length === 0) throw usageError('--age needs at least one -r RECIPIENT', ctx.commandPath);
  checkStdin(ctx, [['-i', v.input]], v.recipient.map((r) => ['-r', r] as const));
  const recipients = await loadAgeRecipients(ctx, v.recipient);
  const age = await ageLibrary();
  const provider = await ctx.provider();
  let plaintext: Uint8Array | undefined;
  try {
    plaintext = await readInput(ctx, v.input);
    const armor = v.armor || outputIsTerminal(ctx, v.output);
    const file = age.sealAgeFile(recipients, plaintext, { provider, armor, allowMixedRecipients: v['allow-mixed'] });
    await writeOutput(ctx, v.output, file);
    return 0;
  } finally {
    plaintext?.fill(0);
  }
}

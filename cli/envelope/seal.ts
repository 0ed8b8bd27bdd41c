/**
 * `vault envelope seal`: seals stdin (or -i FILE) to a public key as an HPKE envelope
 * (docs/format.md), optionally signed. Output is binary, or armored with -a and
 * whenever it would land on a terminal, as age does.
 * @module
 */
import { defineCommand } from '../command.js';
import { readInput, outputIsTerminal, writeOutput } from '../io.js';
import { envelopeLib, loadRecipient, loadSecretKey } from './keys.js';
import { checkStdin } from './stdin.js';

export const command = defineCommand({
  name: 'seal',
  usage: 'vault envelope seal --to PUB_FILE|age1pq1... [--sign SECRET_FILE] [--context STR] [-i IN] [-o OUT] [-a]',
  options: {
    to: { type: 'string', arg: 'PUB_FILE', help: 'recipient public key file (x-wing or ml-kem-1024), or an age1pq1... recipient', required: true },
    sign: { type: 'string', arg: 'SECRET_FILE', help: 'sign the envelope with this signing key' },
    context: { type: 'string', arg: 'STR', help: 'context bound into the envelope; open needs the same (not secret, <= 1024 bytes)' },
    input: { type: 'string', short: 'i', arg: 'IN', help: 'read the plaintext from IN (default stdin)' },
    output: { type: 'string', short: 'o', arg: 'OUT', help: 'write the envelope to OUT (default stdout)' },
    armor: { type: 'boolean', short: 'a', help: 'armored text output (automatic on a terminal)' },
  },
  details: [
    'Examples:',
    '  echo -n secret | vault envelope seal --to alice.key.pub > secret.env',
    '  vault envelope seal --to alice.key.pub --sign signer.key --context db/password -i pw.txt -o pw.env -a',
    '  vault envelope seal --to age1pq1... -i notes.txt -o notes.env',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
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

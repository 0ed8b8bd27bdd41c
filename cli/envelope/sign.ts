/**
 * `vault envelope sign`: a detached signature over stdin (or -i FILE) with an ML-DSA or
 * Falcon key. Output is binary, or armored with -a and whenever it would land on a
 * terminal.
 * @module
 */
import { defineCommand } from '../command.js';
import { outputIsTerminal, readInput, writeOutput } from '../io.js';
import { envelopeLib, loadSecretKey } from './keys.js';
import { checkStdin } from './stdin.js';

export const command = defineCommand({
  name: 'sign',
  usage: 'vault envelope sign --key SECRET_FILE [--context STR] [-i IN] [-o SIG] [-a]',
  options: {
    key: { type: 'string', arg: 'SECRET_FILE', help: 'the signing secret key (ml-dsa or falcon)', required: true },
    context: { type: 'string', arg: 'STR', help: 'context bound into the signature; verify needs the same' },
    input: { type: 'string', short: 'i', arg: 'IN', help: 'read the message from IN (default stdin)' },
    output: { type: 'string', short: 'o', arg: 'SIG', help: 'write the signature to SIG (default stdout)' },
    armor: { type: 'boolean', short: 'a', help: 'armored text output (automatic on a terminal)' },
  },
  details: ['Example:', '  vault envelope sign --key signer.key -i release.tar -o release.tar.sig'].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    checkStdin(ctx, [['-i', v.input]], [['--key', v.key]]);
    const key = await loadSecretKey(ctx, v.key, 'sig-secret');
    try {
      const env = await envelopeLib();
      const provider = await ctx.provider();
      const message = await readInput(ctx, v.input);
      const signature = env.signDetached(provider, { key, message, ...(v.context === undefined ? {} : { context: v.context }) });
      const armored = v.armor || outputIsTerminal(ctx, v.output);
      await writeOutput(ctx, v.output, armored ? env.armor('SIGNATURE', signature) : signature);
      return 0;
    } finally {
      key.secretKey.fill(0);
    }
  },
});

/**
 * `vault envelope open`: opens an envelope (armored or binary, detected) with a secret
 * key. Every failure, whatever its cause, is the one error `envelope cannot be opened`
 * (STYLE habit 4); with -o, nothing is written unless opening succeeded.
 * @module
 */
import { defineCommand } from '../command.js';
import { MAX_ENVELOPE_INPUT_BYTES, readInput, writeOutput } from '../io.js';
import { envelopeLib, loadPublicKey, loadSecretKey } from './keys.js';
import { checkStdin } from './stdin.js';

export const command = defineCommand({
  name: 'open',
  usage: 'vault envelope open --key SECRET_FILE [--verify PUB_FILE ...] [--context STR] [-i IN] [-o OUT]',
  options: {
    key: { type: 'string', arg: 'SECRET_FILE', help: 'the recipient secret key', required: true },
    verify: { type: 'string', multiple: true, arg: 'PUB_FILE', help: 'require a valid signature by this signature public key' },
    context: { type: 'string', arg: 'STR', help: 'the context the envelope was sealed with (default empty)' },
    input: { type: 'string', short: 'i', arg: 'IN', help: 'read the envelope from IN (default stdin)' },
    output: { type: 'string', short: 'o', arg: 'OUT', help: 'write the plaintext to OUT (default stdout)' },
  },
  details: [
    'With several --verify keys, a valid signature by any one of them is accepted.',
    '',
    'Examples:',
    '  vault envelope open --key alice.key < secret.env',
    '  vault envelope open --key alice.key --verify signer.key.pub --context db/password -i pw.env -o pw.txt',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    checkStdin(ctx, [['-i', v.input]], [['--key', v.key], ...v.verify.map((p) => ['--verify', p] as const)]);
    const key = await loadSecretKey(ctx, v.key, 'kem-secret');
    let plaintext: Uint8Array | undefined;
    try {
      const verify = await Promise.all(v.verify.map((p) => loadPublicKey(ctx, p, 'sig-public')));
      const env = await envelopeLib();
      const provider = await ctx.provider();
      const data = await readInput(ctx, v.input, { max: MAX_ENVELOPE_INPUT_BYTES, code: 'OV_ENVELOPE_TOO_LARGE' });
      const envelope = env.readMaybeArmored(data, 'ENVELOPE');
      const opened = env.open(provider, {
        envelope,
        key,
        ...(v.context === undefined ? {} : { context: v.context }),
        ...(verify.length === 0 ? {} : { verify }),
      });
      plaintext = opened;
      await writeOutput(ctx, v.output, opened);
      return 0;
    } finally {
      plaintext?.fill(0);
      key.secretKey.fill(0);
    }
  },
});

/**
 * `vault envelope pubkey`: the public key of a secret key file, like `age-keygen -y`.
 * With --age (X-Wing keys) prints the `age1pq1...` recipient instead of the armored key.
 * @module
 */
import { defineCommand } from '../command.js';
import { CliError } from '../errors.js';
import { writeOutput } from '../io.js';
import { envelopeLib, loadSecretKey } from './keys.js';

export const command = defineCommand({
  name: 'pubkey',
  usage: 'vault envelope pubkey [-i SECRET_FILE] [-o PUB_FILE] [--age]',
  options: {
    input: { type: 'string', short: 'i', arg: 'SECRET_FILE', help: 'secret key file (default stdin)' },
    output: { type: 'string', short: 'o', arg: 'PUB_FILE', help: 'write the public key here (default stdout)' },
    age: { type: 'boolean', help: 'print the age1pq1 recipient (x-wing keys only)' },
  },
  details: ['Examples:', '  vault envelope pubkey -i alice.key > alice.pub', '  vault envelope pubkey -i alice.key --age'].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const sk = await loadSecretKey(ctx, v.input);
    try {
      const env = await envelopeLib();
      const pk = env.publicKeyOf(sk);
      let text: string;
      if (v.age) {
        if (sk.alg !== 'X-Wing') throw new CliError('OV_KEY_INVALID', { reason: '--age needs an x-wing key' });
        const { encodeAgeRecipient } = await import('../../src/envelope/age.js');
        text = `${encodeAgeRecipient(pk.publicKey)}\n`;
      } else {
        text = env.armor('PUBLIC KEY', env.encodeKey(pk));
      }
      await writeOutput(ctx, v.output, text);
      return 0;
    } finally {
      sk.secretKey.fill(0);
    }
  },
});

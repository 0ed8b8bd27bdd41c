/**
 * `vault envelope verify`: checks a detached signature. Silent with exit 0 when it is
 * valid; `vault: error: signature verification failed` and exit 1 otherwise.
 * @module
 */
import { defineCommand } from '../command.js';
import { MAX_KEY_FILE_BYTES, readInput } from '../io.js';
import { envelopeLib, loadPublicKey } from './keys.js';
import { checkStdin } from './stdin.js';

export const command = defineCommand({
  name: 'verify',
  usage: 'vault envelope verify --key PUB_FILE --signature SIG [--context STR] [-i IN]',
  options: {
    key: { type: 'string', arg: 'PUB_FILE', help: 'the signer public key', required: true },
    signature: { type: 'string', arg: 'SIG', help: 'the signature file (armored or binary)', required: true },
    context: { type: 'string', arg: 'STR', help: 'the context the signature was made with (default empty)' },
    input: { type: 'string', short: 'i', arg: 'IN', help: 'read the message from IN (default stdin)' },
  },
  details: ['Example:', '  vault envelope verify --key signer.key.pub --signature release.tar.sig -i release.tar && echo ok'].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    checkStdin(ctx, [['-i', v.input]], [['--key', v.key], ['--signature', v.signature]]);
    const key = await loadPublicKey(ctx, v.key, 'sig-public');
    const env = await envelopeLib();
    const sigData = await readInput(ctx, v.signature, { max: MAX_KEY_FILE_BYTES });
    const signature = env.readMaybeArmored(sigData, 'SIGNATURE');
    const provider = await ctx.provider();
    const message = await readInput(ctx, v.input);
    env.verifyDetached(provider, { signature, message, key, ...(v.context === undefined ? {} : { context: v.context }) });
    return 0;
  },
});

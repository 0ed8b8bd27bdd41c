/**
 * `vault envelope open`: opens an envelope or an age v1 file (armored or binary, detected)
 * with a secret key: a vault key file, or for age files an age identity file too. Every
 * failure to open an envelope, whatever its cause, is the one error `envelope cannot be
 * opened`; an age file that cannot be decrypted is one error too, naming only the layer
 * that refused it, as age does. With -o, nothing is written unless opening succeeded.
 * @module
 */
import { VaultError } from '../../src/errors.js';
import { defineCommand } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { MAX_ENVELOPE_INPUT_BYTES, readInput, writeOutput } from '../io.js';
import { ageIdentitiesOf, ageLibrary, envelopeLib, loadOpenKey, loadPublicKey, type OpenKey } from './keys.js';
import { checkStdin } from './stdin.js';

/** The failure classes of OV_AGE_OPEN, as the CLI says them. */
const AGE_REASONS: Readonly<Record<string, string>> = {
  armor: 'malformed armor',
  header: 'malformed header',
  'no match': 'no identity matched any of the recipients',
  hmac: 'header authentication failed',
  payload: 'damaged or truncated payload',
};

function wipeKey(key: OpenKey | undefined): void {
  if (key?.kind === 'vault') key.key.secretKey.fill(0);
  if (key?.kind === 'age') for (const id of key.identities) (id.type === 'X25519' ? id.secretKey : id.seed).fill(0);
}

/** `--context STR` or `--context-hex HEX` (even-length hex; a transit context holds 0x00 bytes). */
function contextOption(text: string | undefined, hex: string | undefined, commandPath: string): string | Uint8Array | undefined {
  if (hex === undefined) return text;
  if (text !== undefined) throw usageError('give --context or --context-hex, not both', commandPath);
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(hex)) throw usageError('--context-hex must be an even number of hex digits', commandPath);
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

export const command = defineCommand({
  name: 'open',
  usage: 'vault envelope open --key SECRET_FILE|IDENTITY_FILE [--verify PUB_FILE ...] [--context STR | --context-hex HEX] [-i IN] [-o OUT]',
  options: {
    key: {
      type: 'string',
      arg: 'SECRET_FILE',
      help: 'the recipient secret key; for age files also an age identity file (AGE-SECRET-KEY-...)',
      required: true,
    },
    verify: { type: 'string', multiple: true, arg: 'PUB_FILE', help: 'require a valid signature by this signature public key' },
    context: { type: 'string', arg: 'STR', help: 'the context the envelope was sealed with (default empty)' },
    'context-hex': { type: 'string', arg: 'HEX', help: 'the context as hex bytes, for binary contexts such as a transit ciphertext\'s' },
    input: { type: 'string', short: 'i', arg: 'IN', help: 'read the envelope or age file from IN (default stdin)' },
    output: { type: 'string', short: 'o', arg: 'OUT', help: 'write the plaintext to OUT (default stdout)' },
  },
  details: [
    'With several --verify keys, a valid signature by any one of them is accepted.',
    'An age file (age-encryption.org/v1, binary or armored) is recognised and opened with an',
    'age identity file or an x-wing secret key; --verify and --context do not apply to it.',
    '',
    'Examples:',
    '  vault envelope open --key alice.key < secret.env',
    '  vault envelope open --key alice.key --verify signer.key.pub --context db/password -i pw.env -o pw.txt',
    '  vault envelope open --key bob.key.age -i notes.txt.age -o notes.txt',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    checkStdin(ctx, [['-i', v.input]], [['--key', v.key], ...v.verify.map((p) => ['--verify', p] as const)]);
    const context = contextOption(v.context, v['context-hex'], ctx.commandPath);
    let key: OpenKey | undefined;
    let plaintext: Uint8Array | undefined;
    try {
      key = await loadOpenKey(ctx, v.key);
      const verify = await Promise.all(v.verify.map((p) => loadPublicKey(ctx, p, 'sig-public')));
      const provider = await ctx.provider();
      const data = await readInput(ctx, v.input, { max: MAX_ENVELOPE_INPUT_BYTES, code: 'OV_ENVELOPE_TOO_LARGE' });
      const age = await ageLibrary();
      if (age.isAgeFile(data)) {
        if (verify.length > 0 || context !== undefined) throw usageError('--verify and --context do not apply to an age file', ctx.commandPath);
        try {
          plaintext = age.openAgeFile(ageIdentitiesOf(key, v.key), data, { provider });
        } catch (e) {
          if (!(e instanceof VaultError) || e.code !== 'OV_AGE_OPEN') throw e;
          throw new CliError('OV_AGE_OPEN', { reason: AGE_REASONS[String(e.detail?.['reason'])] ?? 'invalid file' });
        }
      } else {
        if (key.kind !== 'vault') throw new CliError('OV_KEY_INVALID', { reason: 'an age identity file opens age files only' });
        const env = await envelopeLib();
        const envelope = env.readMaybeArmored(data, 'ENVELOPE');
        plaintext = env.open(provider, {
          envelope,
          key: key.key,
          ...(context === undefined ? {} : { context }),
          ...(verify.length === 0 ? {} : { verify }),
        });
      }
      await writeOutput(ctx, v.output, plaintext);
      return 0;
    } finally {
      plaintext?.fill(0);
      wipeKey(key);
    }
  },
});

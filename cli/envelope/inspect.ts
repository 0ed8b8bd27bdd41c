/**
 * `vault envelope inspect`: what an envelope's header says (suite, recipient key id and
 * version, context, signer), parsed without any key. Nothing here is authenticated until
 * the envelope is opened.
 * @module
 */
import { defineCommand } from '../command.js';
import { MAX_ENVELOPE_INPUT_BYTES, readInput } from '../io.js';
import { cliAlgName, envelopeLib } from './keys.js';
import { toHex as hex } from '../../src/util/bytes.js';

/** The context as text when it is valid UTF-8, else null (contextHex always has it). */
function contextText(b: Uint8Array): string | null {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(b);
  } catch {
    return null;
  }
}

export const command = defineCommand({
  name: 'inspect',
  usage: 'vault envelope inspect [-i IN] [--json]',
  options: {
    input: { type: 'string', short: 'i', arg: 'IN', help: 'read the envelope from IN (default stdin)' },
    json: { type: 'boolean', help: 'print JSON' },
  },
  details: [
    'The header is not authenticated until the envelope is opened.',
    '',
    'JSON fields: suite, keyId, keyVersion, context (text or null), contextHex, signed,',
    'signer ({alg, keyId, keyVersion} or null), size.',
    '',
    'Example:',
    '  vault envelope inspect -i secret.env --json',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const env = await envelopeLib();
    const data = await readInput(ctx, v.input, { max: MAX_ENVELOPE_INPUT_BYTES, code: 'OV_ENVELOPE_TOO_LARGE' });
    const info = env.inspect(env.readMaybeArmored(data, 'ENVELOPE'));
    const out = {
      suite: info.suite,
      keyId: hex(info.keyId),
      keyVersion: info.keyVersion,
      context: contextText(info.context),
      contextHex: hex(info.context),
      signed: info.signed,
      signer: info.signer === undefined ? null : { alg: cliAlgName(info.signer.alg), keyId: hex(info.signer.keyId), keyVersion: info.signer.keyVersion },
      size: info.size,
    };
    if (v.json) {
      await ctx.out(`${JSON.stringify(out, null, 2)}\n`);
      return 0;
    }
    const lines = [
      `suite: ${out.suite}`,
      `key id: ${out.keyId}`,
      `key version: ${out.keyVersion}`,
      // JSON quoting keeps control characters in a hostile context off the terminal.
      `context: ${info.context.length === 0 ? '(none)' : out.context === null ? `hex ${out.contextHex}` : JSON.stringify(out.context)}`,
      `signed: ${out.signer === null ? 'no' : `yes, ${out.signer.alg} key ${out.signer.keyId} version ${out.signer.keyVersion}`}`,
      `size: ${out.size} bytes`,
    ];
    await ctx.out(`${lines.join('\n')}\n`);
    return 0;
  },
});

/**
 * `vault envelope keygen`: a new key pair for envelopes (X-Wing, ML-KEM-1024) or
 * signatures (ML-DSA-65/87, round-3 Falcon-512/1024). The secret key is written armored
 * (`SECRET KEY`) to a 0600 file that is never overwritten without --force; the public key
 * goes next to it (`FILE.pub`). Like age-keygen, without -o the key goes to stdout, but
 * never to a terminal: a secret on screen ends up in scrollback and screenshots.
 *
 * With --age (X-Wing only) the same key is also written as an age identity file
 * (`FILE.age`, 0600) and its `age1pq1...` recipient is printed, so the standard `age`
 * tool can encrypt to and decrypt with the key.
 * @module
 */
import { defineCommand } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { isStdio, outputIsTerminal, writeFiles } from '../io.js';
import { CLI_ALGS, cliAlgName, envelopeLib, parseAlg } from './keys.js';

export const command = defineCommand({
  name: 'keygen',
  usage: 'vault envelope keygen [--alg ALG] [-o SECRET_FILE] [--public-out PUB_FILE] [--age] [--force] [--json]',
  options: {
    alg: { type: 'string', arg: 'ALG', help: `${Object.keys(CLI_ALGS).join(' | ')} (default x-wing)` },
    output: { type: 'string', short: 'o', arg: 'SECRET_FILE', help: 'write the secret key here (mode 0600)' },
    'public-out': { type: 'string', arg: 'PUB_FILE', help: 'write the public key here (default SECRET_FILE.pub)' },
    age: { type: 'boolean', help: 'x-wing only: also write SECRET_FILE.age (an age identity) and print the age1pq1 recipient' },
    force: { type: 'boolean', help: 'overwrite existing files' },
    json: { type: 'boolean', help: 'print the result as JSON (needs -o)' },
  },
  details: [
    'Key files are armored text ("-----BEGIN ONTOREF SECRET KEY-----"). Existing files are',
    'never overwritten unless --force is given. Without -o, the secret key and then the public',
    'key are written to stdout, which must not be a terminal; the key id goes to stderr.',
    '',
    'Examples:',
    '  vault envelope keygen -o alice.key                 # alice.key (0600) and alice.key.pub',
    '  vault envelope keygen --alg ml-dsa-65 -o signer.key',
    '  vault envelope keygen --age -o bob.key             # also bob.key.age for `age -d -i`',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const alg = parseAlg(v.alg ?? 'x-wing', ctx.commandPath);
    const toFile = !isStdio(v.output);
    if (v.age && alg !== 'X-Wing') {
      throw new CliError('OV_INVALID_ARGUMENT', { reason: '--age needs --alg x-wing', hints: ['age post-quantum keys are X-Wing keys'] });
    }
    if (v.age && !toFile) throw usageError('--age needs -o FILE: the age identity is only written to a file', ctx.commandPath);
    if (v.json && !toFile) throw usageError('--json needs -o FILE: without it stdout carries the key', ctx.commandPath);
    if (!toFile && outputIsTerminal(ctx, v.output)) {
      throw new CliError('OV_USAGE', {
        reason: 'refusing to print a secret key to a terminal',
        hints: ['use -o FILE, or redirect stdout to a file'],
      });
    }

    const env = await envelopeLib();
    const provider = await ctx.provider();
    const sk = env.generateKey(provider, alg);
    const encoded = env.encodeKey(sk);
    try {
      const pk = env.publicKeyOf(sk);
      const keyId = env.keyIdHex(sk);
      const secretText = env.armor('SECRET KEY', encoded);
      const publicText = env.armor('PUBLIC KEY', env.encodeKey(pk));
      const force = v.force;

      if (!toFile) {
        if (v['public-out'] !== undefined) {
          await writeFiles([{ path: v['public-out'], data: publicText, exclusive: !force }]);
          await ctx.out(secretText);
        } else {
          await ctx.out(secretText + publicText);
        }
        ctx.info(`key id: ${keyId}`);
        return 0;
      }

      const secretPath = v.output;
      const publicPath = v['public-out'] ?? `${secretPath}.pub`;
      const files = [
        { path: secretPath, data: secretText, secret: true, exclusive: !force },
        { path: publicPath, data: publicText, exclusive: !force },
      ];
      let recipient: string | undefined;
      const agePath = `${secretPath}.age`;
      if (v.age) {
        const age = await import('../../src/envelope/age.js');
        recipient = age.encodeAgeRecipient(pk.publicKey);
        const identity = age.encodeAgeIdentity(sk.secretKey);
        // The format `age-keygen` writes: comments, then the identity line.
        const text = `# created: ${new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')}\n# key id: ${keyId}\n# public key: ${recipient}\n${identity}\n`;
        files.push({ path: agePath, data: text, secret: true, exclusive: !force });
      }
      await writeFiles(files);

      if (v.json) {
        const out = {
          alg: cliAlgName(alg),
          keyId,
          keyVersion: sk.keyVersion,
          secretKeyFile: secretPath,
          publicKeyFile: publicPath,
          ...(recipient === undefined ? {} : { ageIdentityFile: agePath, ageRecipient: recipient }),
        };
        await ctx.out(`${JSON.stringify(out, null, 2)}\n`);
      } else {
        await ctx.out(`key id: ${keyId}\n${recipient === undefined ? '' : `age recipient: ${recipient}\n`}`);
      }
      return 0;
    } finally {
      // Best effort: the armored strings cannot be wiped in JS, the bytes can.
      sk.secretKey.fill(0);
      encoded.fill(0);
    }
  },
});

/**
 * `vault validator destroy NAME KEY_ID`: destroys a retired key's material for good
 * (`DELETE /v1/validators/{name}/keys/{id}?confirm=PUBKEY`, admin). The operator confirms
 * by typing the key's public key on a terminal, or passes it with `--confirm` in scripts;
 * the daemon checks it against the stored key, so a slip of the id destroys nothing.
 * Only retired keys can be destroyed; the rotation record stays.
 * @module
 */
import { createInterface } from 'node:readline/promises';
import { defineCommand, type CommandContext } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { clean, printJson } from '../connect/format.js';
import { adminHint, checkName, validators } from './shared.js';

async function ask(ctx: CommandContext<unknown>, question: string): Promise<string> {
  const rl = createInterface({ input: ctx.streams.stdin, output: ctx.streams.stderr, terminal: true });
  try {
    return (await rl.question(question)).trim();
  } finally {
    rl.close();
  }
}

export const command = defineCommand({
  name: 'destroy',
  usage: 'vault validator destroy NAME KEY_ID [--confirm PUBLIC_KEY] [--json]',
  positionals: { min: 2, max: 2, name: 'NAME KEY_ID' },
  options: {
    confirm: { type: 'string', arg: 'PUBLIC_KEY', help: "the key's public key as 'vault validator show' prints it (required without a terminal)" },
    json: { type: 'boolean', help: 'print {"destroyed": KEY_ID}' },
  },
  details: [
    'There is no undo: export the key first if it may be needed again. Only a retired key can',
    "be destroyed ('vault validator retire' or 'promote' retire keys).",
  ].join('\n'),
  async run(ctx) {
    const name = checkName(ctx.positionals[0]);
    const keyId = ctx.positionals[1] ?? '';
    const client = await validators(ctx);
    let confirm = ctx.values.confirm;
    if (confirm === undefined) {
      if (ctx.streams.stdin.isTTY !== true || ctx.streams.stderr.isTTY !== true) {
        throw usageError("no terminal to confirm on: pass --confirm PUBLIC_KEY (see 'vault validator show')", ctx.commandPath);
      }
      const key = (await client.get(name)).keys.find((k) => k.id === keyId);
      if (key === undefined) throw new CliError('OV_VALIDATOR_NOT_FOUND', { reason: `no key ${clean(keyId)} in ${name}` });
      ctx.info(`about to destroy key ${clean(key.id)} of ${name} (${clean(key.state)}): this cannot be undone`);
      confirm = await ask(ctx, `type its public key to confirm (${clean(key.public_key)}): `);
      if (confirm === '') throw new CliError('OV_CONFIRMATION_REQUIRED', { reason: 'nothing typed; nothing was destroyed' });
    }
    const r = await client.destroyKey(name, keyId, confirm).catch((e: unknown) => {
      throw adminHint(e, name);
    });
    if (ctx.values.json) await printJson(ctx, r);
    else ctx.info(`destroyed key ${clean(r.destroyed)} of ${name}`);
    return 0;
  },
});

/**
 * `vault validator rotate NAME`: the slot's next key, generated inside the vault or
 * imported from a file, stored as `pending` (`POST /v1/validators/{name}/rotate`). It
 * signs nothing until `vault validator promote NAME` makes it active. A signed rotation
 * record is written.
 * @module
 */
import type { RotateValidatorRequest } from '../../src/client/index.js';
import { defineCommand } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { MATERIAL_OPTIONS, checkName, emitSlot, keyLine, pendingKey, readMaterial, validators } from './shared.js';

export const command = defineCommand({
  name: 'rotate',
  usage: [
    'vault validator rotate NAME --generate [--json]',
    '       vault validator rotate NAME --derive-index N [--json]',
    '       vault validator rotate NAME (--keystore FILE [--password-file FILE] | --key-file FILE | --keypair FILE) [--json]',
  ].join('\n'),
  positionals: { min: 1, max: 1, name: 'NAME' },
  options: {
    generate: { type: 'boolean', help: 'generate the new key inside the vault' },
    'derive-index': { type: 'string', arg: 'N', help: "ethereum: derive m/12381/3600/N/0/0 from the slot's stored mnemonic" },
    ...MATERIAL_OPTIONS,
    json: { type: 'boolean', help: 'print the slot after the change' },
  },
  details: [
    'Then: vault validator promote NAME (the pending key becomes active, the old one retired).',
    '',
    'Examples:',
    '  vault validator rotate val-1 --generate',
    '  vault validator rotate eth-a1b2c3d4 --keystore new-keystore.json --password-file pw.txt',
  ].join('\n'),
  async run(ctx) {
    const v = ctx.values;
    const name = checkName(ctx.positionals[0]);
    const material = await readMaterial(ctx, v, undefined);
    const modes = [v.generate, v['derive-index'] !== undefined, material !== undefined].filter(Boolean).length;
    if (modes !== 1) throw usageError('give exactly one of --generate, --derive-index and a key file', ctx.commandPath);
    let req: RotateValidatorRequest;
    if (material !== undefined) {
      req = material.body;
    } else if (v['derive-index'] !== undefined) {
      const idx = Number(v['derive-index']);
      if (!/^\d{1,10}$/.test(v['derive-index']) || !Number.isSafeInteger(idx) || idx > 0xffffffff) {
        throw new CliError('OV_INVALID_ARGUMENT', { reason: '--derive-index must be an integer from 0 to 4294967295' });
      }
      req = { format: 'generate', derive_index: idx };
    } else {
      req = { format: 'generate' };
    }
    const slot = await (await validators(ctx)).rotate(name, req);
    await emitSlot(ctx, slot, v.json, `pending key on ${slot.name}: ${keyLine(pendingKey(slot))}; run 'vault validator promote ${slot.name}' to activate it`);
    return 0;
  },
});

/**
 * Output shared by `vault apikeys create` and `rotate`: the new key is shown exactly once,
 * on stdout (or written to a 0600 file with -o), and its id on stderr, so
 * `vault apikeys create ... > ci.key` captures the key alone.
 * @module
 */
import type { ApiKeyWithSecret } from '../../src/client/index.js';
import type { CommandContext } from '../command.js';
import { checkOutputFile, writeFiles } from '../io.js';
import { clean, printJson } from '../connect/format.js';

export const OUTPUT_OPTIONS = {
  output: { type: 'string', short: 'o', arg: 'FILE', help: 'write the key to FILE (mode 0600) instead of stdout' },
  force: { type: 'boolean', help: 'with -o: replace an existing FILE' },
  json: { type: 'boolean', help: 'print {id, key, role, scope, label, created_at, rotated_at} (key omitted with -o)' },
} as const;

/**
 * Checks `-o FILE` before the daemon is asked for anything: the key exists only in the
 * daemon's answer (for rotate, the old key and its sessions are gone by then), so a file
 * that cannot be written must stop the command before the request, not after.
 */
export async function checkKeyOutput(v: { readonly output: string | undefined; readonly force: boolean }): Promise<void> {
  if (v.output !== undefined && v.output !== '-') await checkOutputFile(v.output, { force: v.force });
}

export async function emitKey(
  ctx: CommandContext<unknown>,
  k: ApiKeyWithSecret,
  v: { readonly output: string | undefined; readonly force: boolean; readonly json: boolean },
): Promise<void> {
  const { key, ...info } = k;
  if (v.output !== undefined && v.output !== '-') {
    await writeFiles([{ path: v.output, data: `${key}\n`, secret: true, exclusive: !v.force }]);
    if (v.json) await printJson(ctx, { ...info, key_file: v.output });
    else ctx.info(`key id: ${clean(k.id)} (key written to ${v.output})`);
    return;
  }
  if (v.json) {
    await printJson(ctx, { ...info, key });
  } else {
    await ctx.out(`${key}\n`);
    ctx.info(`key id: ${clean(k.id)}`);
    ctx.info('this key is shown only once: store it now');
  }
}

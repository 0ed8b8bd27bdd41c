/**
 * Guards against two inputs of one command both reading stdin (`-`), which would
 * silently feed one of them an empty stream.
 * @module
 */
import type { CommandContext } from '../command.js';
import { usageError } from '../errors.js';

/**
 * `defaultsToStdin`: options that read stdin when absent or `-` (like -i);
 * `explicit`: options that read stdin only when given as `-`.
 */
export function checkStdin(
  ctx: CommandContext<unknown>,
  defaultsToStdin: readonly (readonly [string, string | undefined])[],
  explicit: readonly (readonly [string, string | undefined])[],
): void {
  const users = [
    ...defaultsToStdin.filter(([, p]) => p === undefined || p === '-').map(([n]) => n),
    ...explicit.filter(([, p]) => p === '-').map(([n]) => n),
  ];
  if (users.length > 1) throw usageError(`only one input can come from stdin (${users.join(', ')})`, ctx.commandPath);
}

/**
 * Output helpers shared by the daemon commands: `--json` output (one pretty-printed JSON
 * document on stdout) and aligned text tables and key/value blocks for people. Values the
 * daemon sent are stripped of control characters before they reach a terminal, so a label
 * cannot move the cursor or rewrite earlier lines.
 * @module
 */
import type { CommandContext } from '../command.js';

export async function printJson(ctx: CommandContext<unknown>, value: unknown): Promise<void> {
  await ctx.out(`${JSON.stringify(value, null, 2)}\n`);
}

/** Printable form of a daemon-supplied value. */
export function clean(v: unknown): string {
  if (v === null || v === undefined) return '-';
  const text = typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? v.toString() : JSON.stringify(v);
  return text.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '?');
}

/** Columns separated by two spaces, header first. */
export function formatTable(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = [header.map(clean), ...rows.map((r) => r.map(clean))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ').trimEnd()).join('\n') + '\n';
}

/** `Key   value` lines. */
export function formatPairs(pairs: readonly (readonly [string, unknown])[]): string {
  const w = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(w)}  ${clean(v)}`).join('\n') + '\n';
}

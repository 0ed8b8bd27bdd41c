/**
 * Help text for `vault --help`, `vault help <group>` and `vault <group> <command> --help`.
 * Built from the registry (names and summaries) and the command descriptors (usage and
 * options), so help cannot drift from what the parser accepts. Top-level and group help
 * read only the registry (no command module is loaded).
 * @module
 */
import type { Command, OptionSpec } from './command.js';
import { REGISTRY, type GroupEntry } from './registry.js';

const EXIT_CODES = 'Exit codes: 0 ok, 1 usage or local error, 2 error from the daemon.';

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.min(Math.max(...rows.map(([l]) => l.length)), 34);
  return rows.map(([l, r]) => (l.length > width ? `  ${l}\n  ${' '.repeat(width)}  ${r}` : `  ${l.padEnd(width)}  ${r}`));
}

export function topHelp(version: string): string {
  const rows = REGISTRY.map((e) => [e.name, e.summary] as const);
  const lines = [
    'Usage: vault <group> <command> [options]',
    '       vault help [<group> [<command>]]',
    '',
    `ontoref-vault ${version}: post-quantum key vault. Envelopes use HPKE with X-Wing`,
    '(ML-KEM-768 + X25519) or ML-KEM-1024; signatures use ML-DSA or round-3 Falcon.',
    '',
    'Commands:',
    ...table(rows),
  ];
  for (const e of REGISTRY) {
    if (e.kind === 'group') lines.push('', `${e.name}: ${Object.keys(e.commands).join(', ')}`);
  }
  lines.push(
    '',
    'Options:',
    ...table([
      ['-h, --help', 'show help'],
      ['--version', 'print the version'],
    ]),
    '',
    'Environment:',
    ...table([
      ['ONTOREF_CRYPTO_PROVIDER', 'auto (default), noble or native'],
      ['ONTOREF_DEBUG=1', 'show error codes and stack traces'],
    ]),
    '',
    "Run 'vault help <group>' or 'vault <group> <command> --help' for details.",
    EXIT_CODES,
  );
  return lines.join('\n') + '\n';
}

export function groupHelp(group: GroupEntry): string {
  return [
    `Usage: vault ${group.name} <command> [options]`,
    '',
    `${group.summary[0]?.toUpperCase() ?? ''}${group.summary.slice(1)}.`,
    '',
    'Commands:',
    ...table(Object.entries(group.commands).map(([name, c]) => [name, c.summary] as const)),
    '',
    `Run 'vault ${group.name} <command> --help' for the options of a command.`,
    EXIT_CODES,
  ].join('\n') + '\n';
}

function optionLabel(name: string, o: OptionSpec): string {
  const flag = o.short === undefined ? `--${name}` : `-${o.short}, --${name}`;
  return o.type === 'string' ? `${flag} ${o.arg ?? 'VALUE'}` : flag;
}

/** `summary` comes from the registry, the single place it is written. */
export function commandHelp(commandPath: string, summary: string, c: Command): string {
  const rows = Object.entries(c.options).map(
    ([name, o]) => [optionLabel(name, o), `${o.help}${o.required === true ? ' (required)' : ''}${o.multiple === true ? ' (repeatable)' : ''}`] as const,
  );
  rows.push(['-h, --help', 'show this help']);
  const lines = [`Usage: ${c.usage}`, '', `${summary[0]?.toUpperCase() ?? ''}${summary.slice(1)}.`, '', 'Options:', ...table(rows)];
  if (c.details !== undefined) lines.push('', c.details.trimEnd());
  lines.push('', `See also: vault help ${commandPath.split(' ').slice(1, -1).join(' ')}`.trimEnd(), EXIT_CODES);
  return lines.join('\n') + '\n';
}

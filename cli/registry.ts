/**
 * The table of `vault` commands. Entries are either a group (`vault envelope seal`) or a
 * top-level command (`vault status`). Command modules are loaded with dynamic
 * `import()` only when dispatched or when their group's help is shown, so `vault --help`
 * imports nothing but this table.
 *
 * Adding a command: write `cli/<group>/<name>.ts` exporting `command = defineCommand(...)`
 * and add one line here.
 * @module
 */
import type { Command } from './command.js';

export type Loader = () => Promise<Command>;

export interface GroupEntry {
  readonly kind: 'group';
  readonly name: string;
  readonly summary: string;
  /** In help order. */
  readonly commands: Readonly<Record<string, Loader>>;
}

export interface CommandEntry {
  readonly kind: 'command';
  readonly name: string;
  readonly summary: string;
  readonly load: Loader;
}

export type RegistryEntry = GroupEntry | CommandEntry;

export const REGISTRY: readonly RegistryEntry[] = [
  {
    kind: 'group',
    name: 'envelope',
    summary: 'offline post-quantum envelopes and signatures (files or stdin/stdout)',
    commands: {
      keygen: async () => (await import('./envelope/keygen.js')).command,
      pubkey: async () => (await import('./envelope/pubkey.js')).command,
      seal: async () => (await import('./envelope/seal.js')).command,
      open: async () => (await import('./envelope/open.js')).command,
      sign: async () => (await import('./envelope/sign.js')).command,
      verify: async () => (await import('./envelope/verify.js')).command,
      inspect: async () => (await import('./envelope/inspect.js')).command,
    },
  },
];

export function findEntry(name: string): RegistryEntry | undefined {
  return REGISTRY.find((e) => e.name === name);
}

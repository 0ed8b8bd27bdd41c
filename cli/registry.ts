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
    kind: 'command',
    name: 'setup',
    summary: 'initialise a vault: root key, keyring, admin key (--gen-keys)',
    load: async () => (await import('./sys/setup.js')).command,
  },
  {
    kind: 'command',
    name: 'server',
    summary: 'run the vault daemon in the foreground',
    load: async () => (await import('./sys/server.js')).command,
  },
  {
    kind: 'command',
    name: 'status',
    summary: 'show whether the daemon is initialised and sealed (exit 2 when sealed)',
    load: async () => (await import('./sys/status.js')).command,
  },
  {
    kind: 'command',
    name: 'unseal',
    summary: 'submit an unseal share or the unseal passphrase',
    load: async () => (await import('./sys/unseal.js')).command,
  },
  {
    kind: 'command',
    name: 'seal',
    summary: 'seal the daemon: wipe its root key from memory (admin)',
    load: async () => (await import('./sys/seal.js')).command,
  },
  {
    kind: 'command',
    name: 'login',
    summary: 'exchange an API key for a session token',
    load: async () => (await import('./auth/login.js')).command,
  },
  {
    kind: 'command',
    name: 'logout',
    summary: 'end the current session and remove the token file',
    load: async () => (await import('./auth/logout.js')).command,
  },
  {
    kind: 'group',
    name: 'token',
    summary: 'the current session token',
    commands: {
      lookup: async () => (await import('./token/lookup.js')).command,
    },
  },
  {
    kind: 'group',
    name: 'sessions',
    summary: 'list and revoke sessions (admin)',
    commands: {
      list: async () => (await import('./sessions/list.js')).command,
      revoke: async () => (await import('./sessions/revoke.js')).command,
    },
  },
  {
    kind: 'group',
    name: 'apikeys',
    summary: 'create, list, rotate and delete API keys (admin)',
    commands: {
      create: async () => (await import('./apikeys/create.js')).command,
      list: async () => (await import('./apikeys/list.js')).command,
      rotate: async () => (await import('./apikeys/rotate.js')).command,
      delete: async () => (await import('./apikeys/delete.js')).command,
    },
  },
  {
    kind: 'group',
    name: 'keys',
    summary: "the vault's keyring: list keys, rotate a key (admin)",
    commands: {
      list: async () => (await import('./keys/list.js')).command,
      rotate: async () => (await import('./keys/rotate.js')).command,
    },
  },
  {
    kind: 'group',
    name: 'config',
    summary: 'check the daemon configuration',
    commands: {
      validate: async () => (await import('./config/validate.js')).command,
    },
  },
  {
    kind: 'group',
    name: 'audit',
    summary: 'verify the audit log offline',
    commands: {
      verify: async () => (await import('./audit/verify.js')).command,
    },
  },
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

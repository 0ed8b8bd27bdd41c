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
    name: 'secrets',
    summary: 'versioned secrets: put, get, list, delete, undelete, destroy, history, metadata',
    commands: {
      put: async () => (await import('./secrets/put.js')).command,
      get: async () => (await import('./secrets/get.js')).command,
      list: async () => (await import('./secrets/list.js')).command,
      history: async () => (await import('./secrets/history.js')).command,
      metadata: async () => (await import('./secrets/metadata.js')).command,
      delete: async () => (await import('./secrets/delete.js')).command,
      undelete: async () => (await import('./secrets/undelete.js')).command,
      destroy: async () => (await import('./secrets/destroy.js')).command,
    },
  },
  {
    kind: 'command',
    name: 'run',
    summary: 'run a command with secrets in its environment (--secret ENV=path#field -- CMD)',
    load: async () => (await import('./run/run.js')).command,
  },
  {
    kind: 'group',
    name: 'keys',
    summary: "the vault's keyring: list keys, rotate a key, rewrap secrets (admin)",
    commands: {
      list: async () => (await import('./keys/list.js')).command,
      rotate: async () => (await import('./keys/rotate.js')).command,
      rewrap: async () => (await import('./keys/rewrap.js')).command,
    },
  },
  {
    kind: 'group',
    name: 'validator',
    summary: 'validator keys: import, rotate, promote, retire, export, history',
    commands: {
      import: async () => (await import('./validator/import.js')).command,
      list: async () => (await import('./validator/list.js')).command,
      show: async () => (await import('./validator/show.js')).command,
      rotate: async () => (await import('./validator/rotate.js')).command,
      promote: async () => (await import('./validator/promote.js')).command,
      retire: async () => (await import('./validator/retire.js')).command,
      export: async () => (await import('./validator/export.js')).command,
      history: async () => (await import('./validator/history.js')).command,
      destroy: async () => (await import('./validator/destroy.js')).command,
      'signing-state': async () => (await import('./validator/signing-state.js')).command,
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

/**
 * The table of `vault` commands. Entries are either a group (`vault envelope seal`) or a
 * top-level command (`vault status`). Command modules are loaded with dynamic
 * `import()` only when dispatched or when their group's help is shown, so `vault --help`
 * imports nothing but this table.
 *
 * This table is the one place a command's summary is written: top-level help, group help
 * and the command's own `--help` all read it from here, so they cannot disagree, and
 * group help needs no command module at all.
 *
 * Adding a command: write `cli/<group>/<name>.ts` exporting `command = defineCommand(...)`
 * and add one line here.
 * @module
 */
import type { Command } from './command.js';

export type Loader = () => Promise<Command>;

/** One command of a group: its one-line summary (shown in every help) and its module. */
export interface CommandRef {
  readonly summary: string;
  readonly load: Loader;
}

export interface GroupEntry {
  readonly kind: 'group';
  readonly name: string;
  readonly summary: string;
  /** In help order. */
  readonly commands: Readonly<Record<string, CommandRef>>;
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
    kind: 'group',
    name: 'tls',
    summary: 'https for the daemon: a local CA and server certificate',
    commands: {
      gen: { summary: 'create a local CA and a server certificate and set [tls] in the config', load: async () => (await import('./tls/gen.js')).command },
    },
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
      lookup: { summary: 'show the current session (id, role, scope, expiry)', load: async () => (await import('./token/lookup.js')).command },
    },
  },
  {
    kind: 'group',
    name: 'sessions',
    summary: 'list and revoke sessions (admin)',
    commands: {
      list: { summary: 'list live sessions (admin)', load: async () => (await import('./sessions/list.js')).command },
      revoke: { summary: 'revoke a session by its id (admin)', load: async () => (await import('./sessions/revoke.js')).command },
    },
  },
  {
    kind: 'group',
    name: 'apikeys',
    summary: 'create, list, rotate and delete API keys (admin)',
    commands: {
      create: { summary: 'create an API key (admin); the key is printed once', load: async () => (await import('./apikeys/create.js')).command },
      list: { summary: 'list API keys (admin)', load: async () => (await import('./apikeys/list.js')).command },
      rotate: { summary: 'replace an API key\'s secret and revoke its sessions (admin)', load: async () => (await import('./apikeys/rotate.js')).command },
      delete: { summary: 'delete an API key and revoke its sessions (admin)', load: async () => (await import('./apikeys/delete.js')).command },
    },
  },
  {
    kind: 'group',
    name: 'secrets',
    summary: 'versioned secrets: put, get, list, delete, undelete, destroy, history, metadata',
    commands: {
      put: { summary: 'write a new version of a secret (values from files or stdin, never argv)', load: async () => (await import('./secrets/put.js')).command },
      get: { summary: 'read a secret, one field exactly (-field=NAME), or sealed to a public key', load: async () => (await import('./secrets/get.js')).command },
      list: { summary: 'list secret paths under a prefix', load: async () => (await import('./secrets/list.js')).command },
      history: { summary: 'list the versions of a secret and their state', load: async () => (await import('./secrets/history.js')).command },
      metadata: { summary: "show or change a secret's settings (max versions, CAS required)", load: async () => (await import('./secrets/metadata.js')).command },
      delete: { summary: 'soft-delete the latest version of a secret, or some versions (undoable)', load: async () => (await import('./secrets/delete.js')).command },
      undelete: { summary: 'restore soft-deleted versions of a secret', load: async () => (await import('./secrets/undelete.js')).command },
      destroy: { summary: 'wipe versions of a secret for good, or the whole secret (--all) (admin)', load: async () => (await import('./secrets/destroy.js')).command },
    },
  },
  {
    kind: 'group',
    name: 'transit',
    summary: 'encryption as a service: named keys that encrypt, sign and HMAC data you keep',
    commands: {
      create: { summary: 'create a transit key (admin)', load: async () => (await import('./transit/keys.js')).create },
      list: { summary: 'list transit key names in scope', load: async () => (await import('./transit/keys.js')).list },
      read: { summary: "show a transit key's versions and settings", load: async () => (await import('./transit/keys.js')).read },
      rotate: { summary: 'add a version to a transit key (admin)', load: async () => (await import('./transit/keys.js')).rotate },
      config: { summary: 'change minimum versions and flags of a transit key (admin)', load: async () => (await import('./transit/keys.js')).config },
      delete: { summary: 'delete a transit key and every version (admin)', load: async () => (await import('./transit/keys.js')).remove },
      trim: { summary: 'delete old versions of a transit key for good (admin)', load: async () => (await import('./transit/keys.js')).trim },
      export: { summary: 'export an exportable transit key (admin)', load: async () => (await import('./transit/keys.js')).exportKey },
      backup: { summary: 'back up a transit key, sealed to another vault (admin)', load: async () => (await import('./transit/keys.js')).backup },
      restore: { summary: 'restore a transit key backup (admin)', load: async () => (await import('./transit/keys.js')).restore },
      encrypt: { summary: 'encrypt stdin or a file under a transit key', load: async () => (await import('./transit/data.js')).encrypt },
      decrypt: { summary: 'decrypt a transit ciphertext', load: async () => (await import('./transit/data.js')).decrypt },
      rewrap: { summary: 're-encrypt a transit ciphertext under the latest key version', load: async () => (await import('./transit/data.js')).rewrap },
      datakey: { summary: 'make a data key encrypted under a transit key', load: async () => (await import('./transit/data.js')).datakey },
      sign: { summary: 'sign stdin or a file with a transit key', load: async () => (await import('./transit/data.js')).sign },
      verify: { summary: 'verify a transit signature or HMAC (exit 1 when invalid)', load: async () => (await import('./transit/data.js')).verify },
      hmac: { summary: 'compute the HMAC of stdin or a file with a transit key', load: async () => (await import('./transit/data.js')).hmac },
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
      list: { summary: 'list the keyring: algorithms, versions, key ids', load: async () => (await import('./keys/list.js')).command },
      rotate: { summary: 'add a new version of a keyring key (admin)', load: async () => (await import('./keys/rotate.js')).command },
      rewrap: { summary: 'reseal every secret version under the newest KEM key version (admin, resumable)', load: async () => (await import('./keys/rewrap.js')).command },
    },
  },
  {
    kind: 'group',
    name: 'signer-identity',
    summary: 'remote-signer client certificates (also spelled vault signer identity ...)',
    commands: {
      create: { summary: 'issue a client keystore (PKCS #12) allowed to sign for named validator slots', load: async () => (await import('./signer/identity-create.js')).command },
      list: { summary: 'list signer identities, revoked ones included', load: async () => (await import('./signer/identity-list.js')).command },
      revoke: { summary: 'revoke a signer identity: its certificate is refused at once', load: async () => (await import('./signer/identity-revoke.js')).command },
    },
  },
  {
    kind: 'group',
    name: 'validator',
    summary: 'validator keys: import, rotate, promote, retire, export, history',
    commands: {
      import: { summary: 'import validator keys: EIP-2335 keystores (one or a directory), cosmos or solana key files', load: async () => (await import('./validator/import.js')).command },
      list: { summary: 'list validator slots and their active keys', load: async () => (await import('./validator/list.js')).command },
      show: { summary: 'show a validator slot: keys, states, signing state, metadata', load: async () => (await import('./validator/show.js')).command },
      rotate: { summary: 'add the next key of a slot as pending (generated or imported)', load: async () => (await import('./validator/rotate.js')).command },
      promote: { summary: 'make the pending key active; the active key is retired (kept)', load: async () => (await import('./validator/promote.js')).command },
      retire: { summary: 'retire the active key (kept until destroyed); the slot has no active key', load: async () => (await import('./validator/retire.js')).command },
      export: { summary: 'write a key to files in its chain format (admin): EIP-2335, cosmos, solana', load: async () => (await import('./validator/export.js')).command },
      history: { summary: 'show the signed rotation records of a slot; --verify checks them offline', load: async () => (await import('./validator/history.js')).command },
      destroy: { summary: 'destroy a retired key for good (admin; confirm with its public key)', load: async () => (await import('./validator/destroy.js')).command },
      'signing-state': { summary: "show or raise a slot's signing state (cosmos height/round/step, ethereum watermarks)", load: async () => (await import('./validator/signing-state.js')).command },
      'slashing-protection': { summary: 'slashing protection (EIP-3076): import, export per chain, bind a key to its chain, confirm', load: async () => (await import('./validator/slashing-protection.js')).command },
      'keymanager-token': { summary: 'replace the keymanager API (/eth/v1) token and write it to a file (admin)', load: async () => (await import('./validator/keymanager-token.js')).command },
    },
  },
  {
    kind: 'group',
    name: 'config',
    summary: 'check the daemon configuration',
    commands: {
      validate: { summary: 'check a config file and the ONTOREF_* environment; list every problem', load: async () => (await import('./config/validate.js')).command },
    },
  },
  {
    kind: 'group',
    name: 'audit',
    summary: 'read the audit log, hash a value as it records it, archive it, verify it offline',
    commands: {
      verify: { summary: 'verify the audit hash chain and signed checkpoints, across archives (offline)', load: async () => (await import('./audit/verify.js')).command },
      list: { summary: 'list audit entries, oldest first, by path prefix and time (daemon admin)', load: async () => (await import('./audit/list.js')).command },
      tail: { summary: 'the last audit entries, and new ones with --follow (daemon admin)', load: async () => (await import('./audit/tail.js')).command },
      hash: { summary: 'the HMAC the audit log records for a value read from stdin (daemon admin)', load: async () => (await import('./audit/hash.js')).command },
      archive: { summary: 'move audit entries older than a time into an archive file (daemon admin)', load: async () => (await import('./audit/archive.js')).command },
    },
  },
  {
    kind: 'group',
    name: 'snapshot',
    summary: 'signed snapshots of the whole vault: save online, inspect, restore offline',
    commands: {
      save: { summary: 'take a signed, consistent snapshot from the running daemon (daemon admin)', load: async () => (await import('./snapshot/save.js')).command },
      inspect: { summary: "print a snapshot's manifest and whether it verifies (offline)", load: async () => (await import('./snapshot/inspect.js')).command },
      restore: { summary: 'check a snapshot and install it, the daemon stopped (offline)', load: async () => (await import('./snapshot/restore.js')).command },
    },
  },
  {
    kind: 'group',
    name: 'operator',
    summary: 'offline operations on a stopped vault',
    commands: {
      migrate: { summary: 'copy a SQLite vault into PostgreSQL and verify every row (offline)', load: async () => (await import('./operator/migrate.js')).command },
    },
  },
  {
    kind: 'group',
    name: 'envelope',
    summary: 'offline post-quantum envelopes and signatures (files or stdin/stdout)',
    commands: {
      keygen: { summary: 'generate a key pair for envelopes or signatures', load: async () => (await import('./envelope/keygen.js')).command },
      pubkey: { summary: 'print the public key of a secret key', load: async () => (await import('./envelope/pubkey.js')).command },
      seal: { summary: 'encrypt data to a public key', load: async () => (await import('./envelope/seal.js')).command },
      open: { summary: 'decrypt an envelope or an age file with a secret key', load: async () => (await import('./envelope/open.js')).command },
      sign: { summary: 'make a detached signature', load: async () => (await import('./envelope/sign.js')).command },
      verify: { summary: 'check a detached signature', load: async () => (await import('./envelope/verify.js')).command },
      inspect: { summary: 'show the header of an envelope without opening it', load: async () => (await import('./envelope/inspect.js')).command },
    },
  },
];

export function findEntry(name: string): RegistryEntry | undefined {
  return REGISTRY.find((e) => e.name === name);
}

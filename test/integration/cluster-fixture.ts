/**
 * A vault on PostgreSQL for the cluster suites, made through the library (the same steps as
 * `vault setup`: seal with an unseal key file, keyring, admin API key, the first audit
 * entry and checkpoint), and the config file each node of the cluster starts from.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditLog } from '../../src/audit/index.js';
import { generateApiKey } from '../../src/auth/apikeys.js';
import { SCOPE_ALL } from '../../src/auth/scope.js';
import { wipe } from '../../src/crypto/bytes.js';
import { selectProvider } from '../../src/crypto/provider.js';
import { Keyring } from '../../src/keyring/index.js';
import { SealManager } from '../../src/seal/index.js';
import { openPostgresStorage } from '../../src/storage/postgres/index.js';
import type { Sandbox } from '../helpers/cli.js';
import { api, sleep, startDaemon, type Daemon } from '../helpers/daemon.js';

export interface PgVault {
  readonly keyFile: string;
  readonly adminKey: string;
  readonly adminKeyId: string;
}

/** Initialises the vault in the database at `url`; the unseal key file goes to `dir`. */
export async function setupPgVault(url: string, dir: string, node: string): Promise<PgVault> {
  mkdirSync(dir, { recursive: true });
  const keyFile = join(dir, 'unseal.key');
  const provider = selectProvider();
  const storage = openPostgresStorage({ url, node });
  const seal = new SealManager(storage.meta);
  try {
    await seal.initialise({ mode: 'keyfile', keyFilePath: keyFile });
    const root = seal.rootKey();
    let keyring: Keyring;
    try {
      keyring = Keyring.create(storage, provider, root, { falcon: false, now: Date.now() });
    } finally {
      wipe(root);
    }
    try {
      const { key, record } = await generateApiKey('admin', SCOPE_ALL, 'daemon admin', { now: Date.now() });
      storage.apiKeys.insert(record);
      const audit = new AuditLog(storage, { hmacKey: () => keyring.secret('audit').key, signer: () => keyring.current('sign'), provider, now: Date.now });
      audit.append({ type: 'sys', detail: { action: 'setup', mode: 'keyfile', falcon: false, admin_key: record.id } });
      audit.checkpoint();
      return { keyFile, adminKey: key, adminKeyId: record.id };
    } finally {
      keyring.wipe();
    }
  } finally {
    seal.seal();
    storage.close();
  }
}

/** Writes `<dataDir>/config.toml` for node `node` of the cluster on `url`. */
export function clusterConfig(dataDir: string, opts: { url: string; node: string; keyFile: string; lease?: string; renew?: string }): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(
    join(dataDir, 'config.toml'),
    [
      'log_level = "info"',
      '[seal]',
      `unseal_key_file = ${JSON.stringify(opts.keyFile)}`,
      '[storage]',
      'backend = "postgres"',
      `url = ${JSON.stringify(opts.url)}`,
      `node = ${JSON.stringify(opts.node)}`,
      'timeout = "3s"',
      '[cluster]',
      // Longer than the default, so a node starved of CPU on a loaded machine keeps its lease.
      `lease = ${JSON.stringify(opts.lease ?? '4s')}`,
      `renew = ${JSON.stringify(opts.renew ?? '250ms')}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
}

/**
 * Starts one `vault server` per name on the vault at `url` (each its own data dir under the
 * sandbox) and waits until every one is unsealed, active and sees every member live.
 */
export async function startClusterNodes(sb: Sandbox, url: string, vault: PgVault, names: readonly string[]): Promise<Map<string, Daemon>> {
  const nodes = new Map<string, Daemon>();
  await Promise.all(
    names.map(async (name) => {
      const dataDir = sb.path(`node-${name}`);
      clusterConfig(dataDir, { url, node: name, keyFile: vault.keyFile });
      nodes.set(name, await startDaemon({ home: sb.home, logDir: join(sb.dir, 'logs'), name, env: { ONTOREF_DATA_DIR: dataDir } }));
    }),
  );
  // The deadline is generous: nothing here measures time.
  const deadline = Date.now() + 60_000;
  for (const name of names) {
    for (;;) {
      const h = await api((nodes.get(name) as Daemon).addr, 'GET', '/v1/sys/health');
      const c = (h.json as { cluster?: { role: string; members: { live: boolean }[] } }).cluster;
      if (h.status === 200 && c?.role === 'active' && c.members.filter((m) => m.live).length === names.length) break;
      if (Date.now() > deadline) throw new Error(`node ${name} did not serve`);
      await sleep(100);
    }
  }
  return nodes;
}

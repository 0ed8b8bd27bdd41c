/**
 * Shared pieces of the `vault validator` end-to-end suite: the shapes the CLI prints as
 * JSON, assertions on CLI results, fast test keystores and a vault (setup, daemon, unseal,
 * admin session) started for the suite.
 */
import { expect } from 'vitest';
import { ERRORS } from '../../src/errors.js';
import { encryptKeystore } from '../../src/validators/formats/eip2335.js';
import { formatPublicKey } from '../../src/validators/formats/pubkey.js';
import { generateKey } from '../../src/validators/keygen.js';
import type { ValidatorKey } from '../../src/validators/types.js';
import type { CliResult, Sandbox } from '../helpers/cli.js';
import { api, setupVault, startDaemon, type Daemon, type SecretSet, type SetupResult } from '../helpers/daemon.js';

/** Fast keystores for tests (the real default is 2^18). */
const FAST = { kdf: 'scrypt', scryptN: 2 ** 10 } as const;

export interface Key {
  id: string;
  key_type: string;
  public_key: string;
  address: string | null;
  state: 'pending' | 'active' | 'retired';
  source: string;
}
export interface Slot {
  name: string;
  chain: string;
  labels: Record<string, string>;
  metadata: Record<string, string>;
  signing_state: Record<string, string | number | null>;
  keys: Key[];
}
export interface Vector {
  password: string;
  secret_hex: string;
  keystore: { pubkey: string; crypto: { checksum: { message: string } } } & Record<string, unknown>;
}
export interface Vault {
  setup: SetupResult;
  daemon: Daemon;
  token: string;
}

export function expectOk(r: CliResult): void {
  expect(r.code, `vault ${r.args.join(' ')}\n${r.stderr}`).toBe(0);
}

/** A daemon error: exit 2 and the registry message of `code` on stderr. */
export function expectDaemonError(r: CliResult, code: keyof typeof ERRORS): void {
  expect(r.code, `vault ${r.args.join(' ')}\n${r.stderr}`).toBe(2);
  expect(r.stderr).toContain(`vault: error: ${ERRORS[code].message}`);
}

export function states(s: Slot): string[] {
  return s.keys.map((k) => k.state).sort();
}

export function activeOf(s: Slot): Key | undefined {
  return s.keys.find((k) => k.state === 'active');
}

export async function fastKeystore(secrets: SecretSet, password: string): Promise<{ key: ValidatorKey; text: string; pubkey: string }> {
  const key = generateKey('ethereum');
  secrets.add(`bls secret ${secrets.size}`, Buffer.from(key.secret).toString('hex'));
  const text = await encryptKeystore(key, password, FAST);
  return { key, text, pubkey: formatPublicKey('ethereum', key.publicKey) };
}

export async function startVault(sb: Sandbox, logDir: string, secrets: SecretSet, name: string): Promise<Vault> {
  const setup = await setupVault(sb, sb.path(`vault-${name}`));
  setup.shares.forEach((s, i) => secrets.add(`vault ${name} share ${i + 1}`, s));
  secrets.add(`vault ${name} admin key`, setup.adminKey);
  const daemon = await startDaemon({ home: sb.home, logDir, name: `daemon-${name}`, env: { ONTOREF_DATA_DIR: setup.dataDir } });
  for (const share of setup.shares.slice(0, 3)) {
    const r = await api(daemon.addr, 'POST', '/v1/sys/unseal', { json: { share } });
    expect(r.status, r.text).toBe(200);
  }
  const s = await api(daemon.addr, 'POST', '/v1/sessions', { json: { key: setup.adminKey } });
  expect(s.status, s.text).toBe(200);
  const token = (s.json as { token: string }).token;
  secrets.add(`vault ${name} admin session`, token);
  return { setup, daemon, token };
}


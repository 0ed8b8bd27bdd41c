/**
 * Fixtures for the HTTP tests: a real vault in a temporary data dir (setupVault), the
 * vault built over its SQLite storage by createVault and a server built with
 * buildServer, driven with inject(). The clock is injected so expiry can be tested
 * without waiting.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { SessionStore } from '../../../src/auth/session-store.js';
import { resolveConfig, type Config } from '../../../src/config.js';
import { selectProvider } from '../../../src/crypto/provider.js';
import type { ErrorCode } from '../../../src/errors.js';
import type { VaultApp } from '../../../src/http/context.js';
import { buildServer } from '../../../src/http/server.js';
import { setupVault, type SetupMode, type SetupResult } from '../../../src/setup.js';
import { openStorage } from '../../../src/storage/index.js';
import type { Storage } from '../../../src/storage/types.js';
import { createVault, type Vault } from '../../../src/vault.js';


export interface Clock {
  t: number;
}

export interface TestVault {
  readonly dir: string;
  readonly setup: SetupResult | undefined;
  readonly adminKey: string | undefined;
  /** The vault's storage, for assertions on what was stored (the server never sees it). */
  readonly storage: Storage;
  readonly vault: Vault;
  readonly app: VaultApp;
  readonly clock: Clock;
  readonly config: Config;
  /** Set `on` to make every audit append fail (its clock turns invalid), as a full disk would. */
  readonly auditFault: { on: boolean };
  cleanup(): Promise<void>;
}

export function testConfig(dataDir: string, file: Record<string, unknown> = {}): Config {
  const r = resolveConfig(file, {}, { baseDir: dataDir });
  expect(r.problems).toEqual([]);
  return r.config as Config;
}

/**
 * A vault in a fresh temp dir: set up (unless `mode` is null: an uninitialised data dir),
 * opened, sealed, with its server built.
 */
export async function makeVault(opts: { mode?: SetupMode | null; config?: Record<string, unknown>; checkpointEvery?: number } = {}): Promise<TestVault> {
  const dir = mkdtempSync(join(tmpdir(), 'ov-http-'));
  const provider = selectProvider('noble');
  const clock: Clock = { t: Date.UTC(2030, 0, 1) };
  let setup: SetupResult | undefined;
  let adminKey: string | undefined;
  if (opts.mode !== null) {
    setup = await setupVault({ dataDir: dir, provider, mode: opts.mode ?? { shamir: { n: 5, t: 3 } }, now: clock.t });
    adminKey = readFileSync(setup.adminTokenFile, 'utf8').trim();
  }
  const config = testConfig(dir, opts.config);
  const storage = openStorage(join(dir, 'vault.db'));
  const auditFault = { on: false };
  const vault = createVault({
    config,
    storage,
    provider,
    now: () => clock.t,
    sessions: SessionStore.load(storage.sessions, clock.t),
    audit: {
      now: () => (auditFault.on ? Number.NaN : clock.t),
      ...(opts.checkpointEvery === undefined ? {} : { checkpointEvery: opts.checkpointEvery }),
    },
  });
  const app = await buildServer(vault);
  return {
    dir,
    setup,
    adminKey,
    storage,
    vault,
    app,
    clock,
    config,
    auditFault,
    async cleanup() {
      await app.close();
      vault.close();
      storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A second server over the same vault whose pino output is captured: `lines` holds
 * every JSON line it writes at `level`. The caller closes `app`.
 */
export async function loggedServer(v: TestVault, level: 'trace' | 'debug' | 'info'): Promise<{ app: VaultApp; lines: string[] }> {
  const lines: string[] = [];
  const app = await buildServer(v.vault, { logger: { level, stream: { write: (m: string) => lines.push(m) } } });
  return { app, lines };
}

/** Unseals with the first three shares. */
export async function unseal(v: TestVault): Promise<void> {
  for (const share of (v.setup?.shares ?? []).slice(0, 3)) {
    const r = await v.app.inject({ method: 'POST', url: '/v1/sys/unseal', payload: { share } });
    expect(r.statusCode).toBe(200);
  }
  expect(v.vault.keyring()).toBeDefined();
}

export async function login(v: TestVault, key: string, remoteAddress = '127.0.0.1'): Promise<{ token: string; id: string }> {
  const r = await v.app.inject({ method: 'POST', url: '/v1/sessions', payload: { key }, remoteAddress });
  expect(r.statusCode, r.body).toBe(200);
  return r.json<{ token: string; id: string }>();
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

/** Asserts an error answer: status and code from the registry, and the body shape. */
export function expectError(r: LightMyRequestResponse, status: number, code: ErrorCode): void {
  expect(r.statusCode, r.body).toBe(status);
  const body = r.json<{ error: { code: string; message: string } }>();
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
}

/** The audit entries (parsed), oldest first. */
export function auditEntries(v: TestVault): Record<string, unknown>[] {
  return [...v.storage.audit.entries()].map((e) => JSON.parse(e.entry) as Record<string, unknown>);
}

/**
 * setupVault: what it creates (data dir 0700, vault.db, admin.token 0600 holding a working
 * daemon admin key, the keyring, a signed first audit entry), what it refuses (an
 * initialised vault or leftover files, unless force; unknown options), and what force
 * destroys.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authenticateApiKey } from '../../../src/auth/apikeys.js';
import { verifyAudit } from '../../../src/audit/index.js';
import { selectProvider } from '../../../src/crypto/provider.js';
import { keyringPublicKeys } from '../../../src/keyring/index.js';
import { setupVault, type SetupOptions } from '../../../src/setup.js';
import { openStorage } from '../../../src/storage/index.js';
import { vaultError } from '../seal/helpers.js';

describe('setupVault', () => {
  let root: string;
  let dataDir: string;
  const provider = selectProvider('noble');
  const now = Date.UTC(2030, 0, 1);

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ov-setup-'));
    dataDir = join(root, 'data');
  });
  afterEach(() => {
    rmSync(root, { recursive: true, force: true });
  });

  const fingerprint = (): string => {
    const s = openStorage(join(dataDir, 'vault.db'), { readonly: true });
    try {
      return JSON.stringify({
        seal: Buffer.from(s.meta.get('seal') ?? new Uint8Array()).toString('hex'),
        keys: s.apiKeys.list().map((k) => k.id + k.hash),
        ring: s.keyring.listKeys().map((k) => `${k.name}:${k.version}`),
        audit: s.audit.count(),
      });
    } finally {
      s.close();
    }
  };

  it('creates the data dir, database, keyring and a working admin key file', async () => {
    const r = await setupVault({ dataDir, provider, mode: { shamir: { n: 5, t: 3 } }, now });
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(r.adminTokenFile).mode & 0o777).toBe(0o600);
    expect(r.adminTokenFile).toBe(join(dataDir, 'admin.token'));
    expect(r.shares).toHaveLength(5);
    expect(r.threshold).toBe(3);
    expect(r.mode).toBe('shamir');
    expect(r.backups).toBeUndefined();
    expect(r.keyring.map((k) => k.name)).toEqual(['kem', 'sign', 'token', 'audit']);

    const key = readFileSync(r.adminTokenFile, 'utf8');
    expect(key).toMatch(/^ovk_[0-9a-f]{16}_[A-Za-z0-9_-]{43}\n$/);
    const s = openStorage(join(dataDir, 'vault.db'));
    try {
      const rec = await authenticateApiKey(s.apiKeys, key.trim());
      expect(rec).toMatchObject({ id: r.adminKeyId, role: 'admin', scope: '*', label: 'daemon admin', createdAt: now });
      // The shares are not stored anywhere in the database.
      const blob = Buffer.from(s.meta.get('seal') ?? new Uint8Array()).toString('utf8');
      for (const share of r.shares ?? []) expect(blob).not.toContain(share);
      const audit = verifyAudit(s, keyringPublicKeys(s), provider);
      expect(audit).toMatchObject({ ok: true, entries: 1, checkpoints: 1 });
    } finally {
      s.close();
    }
  });

  it('refuses an initialised vault and leftover files without force, changing nothing', async () => {
    await setupVault({ dataDir, provider, mode: { shamir: {} }, now });
    const before = fingerprint();
    const token = readFileSync(join(dataDir, 'admin.token'), 'utf8');
    await vaultError(setupVault({ dataDir, provider, mode: { shamir: {} }, now }), 'OV_ALREADY_INITIALIZED');
    expect(fingerprint()).toBe(before);
    expect(readFileSync(join(dataDir, 'admin.token'), 'utf8')).toBe(token);

    // A leftover admin token file in a fresh data dir is refused too.
    const other = join(root, 'other');
    const leftover = join(root, 'leftover.token');
    writeFileSync(leftover, 'old\n', { mode: 0o600 });
    const e = await vaultError(setupVault({ dataDir: other, provider, mode: { shamir: {} }, now, adminTokenFile: leftover }), 'OV_ALREADY_INITIALIZED');
    expect(e.detail?.reason).toBe('admin token file exists');
    expect(readFileSync(leftover, 'utf8')).toBe('old\n');
    expect(existsSync(join(other, 'vault.db'))).toBe(false);
  });

  it('with force, moves the old vault aside (never deletes it) and says where', async () => {
    const first = await setupVault({ dataDir, provider, mode: { keyFile: join(dataDir, 'unseal.key') }, now });
    const oldKey = readFileSync(first.adminTokenFile, 'utf8');
    const oldUnseal = readFileSync(join(dataDir, 'unseal.key'));
    const second = await setupVault({ dataDir, provider, mode: { keyFile: join(dataDir, 'unseal.key') }, now, force: true });
    const moved = new Map((second.backups ?? []).map((b) => [b.file, b.backup]));
    expect([...moved.keys()]).toEqual(expect.arrayContaining([join(dataDir, 'vault.db'), join(dataDir, 'admin.token'), join(dataDir, 'unseal.key')]));
    const stamp = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z').replaceAll('-', '').replaceAll(':', '');
    expect(moved.get(join(dataDir, 'admin.token'))).toBe(join(dataDir, `admin.token.${stamp}.bak`));
    // The old files are intact under their new names: the old admin key, the old unseal key
    // and a database that still opens with the old admin key in it.
    expect(readFileSync(join(dataDir, `admin.token.${stamp}.bak`), 'utf8')).toBe(oldKey);
    expect(readFileSync(join(dataDir, `unseal.key.${stamp}.bak`))).toEqual(oldUnseal);
    const old = openStorage(join(dataDir, `vault.db.${stamp}.bak`));
    try {
      expect(old.apiKeys.list().map((k) => k.id)).toEqual([first.adminKeyId]);
    } finally {
      old.close();
    }
    expect(second.adminKeyId).not.toBe(first.adminKeyId);
    expect(readFileSync(second.adminTokenFile, 'utf8')).not.toBe(oldKey);
    expect(statSync(join(dataDir, 'unseal.key')).mode & 0o777).toBe(0o600);
    const s = openStorage(join(dataDir, 'vault.db'));
    try {
      expect(s.apiKeys.list().map((k) => k.id)).toEqual([second.adminKeyId]);
    } finally {
      s.close();
    }
  });

  it('rejects unknown options and malformed modes before touching the disk', async () => {
    const base: SetupOptions = { dataDir, provider, mode: { shamir: {} }, now };
    await vaultError(setupVault({ ...base, shards: 3 } as unknown as SetupOptions), 'OV_INVALID_ARGUMENT');
    await vaultError(setupVault({ ...base, mode: { shamir: { n: 5, threshold: 3 } } } as unknown as SetupOptions), 'OV_INVALID_ARGUMENT');
    await vaultError(setupVault({ ...base, mode: { shamir: {}, passphrase: 'x' } }), 'OV_INVALID_ARGUMENT');
    await vaultError(setupVault({ ...base, mode: { shamir: { n: 3, t: 1 } } }), 'OV_INVALID_ARGUMENT');
    // A passphrase too short is refused by the seal layer, and the run's writes are undone.
    await vaultError(setupVault({ ...base, mode: { passphrase: 'short' } }), 'OV_INVALID_ARGUMENT');
    expect(existsSync(join(dataDir, 'admin.token'))).toBe(false);
    const r = await setupVault(base);
    expect(r.mode).toBe('shamir');
  });
});

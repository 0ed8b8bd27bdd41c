/**
 * Snapshots over real vaults in temp dirs: the service signs a copy that verifies against
 * the fingerprint setup reports; every malformed, tampered or untrusted file is refused
 * with its exact code and leaves the data dir as it was; a restore marks the validator
 * keys; and the first unseal of a restored vault opens its keyring, while a keyring of
 * another vault keeps it sealed.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { selectProvider } from '../../../src/crypto/provider.js';
import { setupVault, type SetupResult } from '../../../src/setup.js';
import {
  WATERMARKS_UNCONFIRMED_META,
  parseSnapshot,
  restoreSnapshot,
  snapshotKeyFingerprint,
  verifySnapshot,
} from '../../../src/snapshot/index.js';
import { openMemoryStorage, openStorage } from '../../../src/storage/index.js';
import type { Storage } from '../../../src/storage/types.js';
import { createVault, type Vault } from '../../../src/vault.js';
import { testConfig } from '../http/helpers.js';

const T0 = Date.UTC(2030, 0, 1);
const provider = selectProvider('noble');

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return (e as { code?: string }).code;
  }
  return undefined;
}

/** File names and contents of a dir, SQLite's -shm and an empty -wal aside (any reader creates them). */
function state(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) {
    const bytes = readFileSync(join(dir, f));
    if (f.endsWith('-shm') || (f.endsWith('-wal') && bytes.length === 0)) continue;
    out[f] = createHash('sha256').update(bytes).digest('hex');
  }
  return out;
}

describe('snapshots', () => {
  let root = '';
  let dir = '';
  let setup: SetupResult;
  let storage: Storage;
  let vault: Vault;

  const unseal = async (v: Vault, s: SetupResult): Promise<void> => {
    for (const share of (s.shares ?? []).slice(0, 2)) await v.seal.submitShare(share);
  };

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'ov-snapshot-'));
    dir = join(root, 'a');
    setup = await setupVault({ dataDir: dir, provider, mode: { shamir: { n: 3, t: 2 } }, now: T0 });
    storage = openStorage(join(dir, 'vault.db'));
    vault = createVault({ config: testConfig(dir, { data_dir: dir }), storage, provider, now: () => T0 });
  });
  afterEach(() => {
    vault.close();
    storage.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses while sealed, and on a storage held in memory', () => {
    expect(codeOf(() => vault.snapshots.take())).toBe('OV_SEALED');
    const mem = openMemoryStorage();
    expect(codeOf(() => mem.snapshot(join(root, 'x')))).toBe('OV_SNAPSHOT_UNSUPPORTED');
    mem.close();
    expect(readdirSync(root)).toEqual(['a']);
  });

  it('takes a copy signed by the key whose fingerprint setup reports, leaving no file behind', async () => {
    await unseal(vault, setup);
    const files = readdirSync(dir).sort();
    const { bytes, manifest } = vault.snapshots.take();
    expect(readdirSync(dir).sort()).toEqual(files);
    const fp = snapshotKeyFingerprint(storage);
    expect(fp).toMatch(/^[0-9a-f]{64}$/);
    const snap = parseSnapshot(bytes);
    expect(snap.manifest).toEqual(manifest);
    expect(manifest.auditSeq).toBe(storage.audit.last()?.seq ?? 0);
    expect(manifest.schemaVersion).toBe(storage.schemaVersion);
    expect(() => verifySnapshot(provider, snap, { fingerprint: fp ?? '' })).not.toThrow();
  });

  it('refuses malformed and tampered files with their exact codes', async () => {
    await unseal(vault, setup);
    const { bytes } = vault.snapshots.take();
    const fp = snapshotKeyFingerprint(storage) ?? '';
    const flip = (at: number): Uint8Array => {
      const b = bytes.slice();
      b[at]! ^= 1;
      return b;
    };
    expect(codeOf(() => parseSnapshot(bytes.subarray(0, 10)))).toBe('OV_SNAPSHOT_INVALID');
    expect(codeOf(() => parseSnapshot(flip(0)))).toBe('OV_SNAPSHOT_INVALID');
    expect(codeOf(() => parseSnapshot(bytes.subarray(0, 40)))).toBe('OV_SNAPSHOT_INVALID');
    // The manifest starts at byte 12: `{"format"` with one byte changed is no longer canonical JSON.
    expect(codeOf(() => parseSnapshot(flip(12)))).toBe('OV_SNAPSHOT_INVALID');
    const m = parseSnapshot(bytes);
    const sigAt = 12 + m.manifestBytes.length + 4;
    expect(codeOf(() => verifySnapshot(provider, parseSnapshot(flip(sigAt + 5)), { fingerprint: fp }))).toBe('OV_SNAPSHOT_UNTRUSTED');
    expect(codeOf(() => verifySnapshot(provider, parseSnapshot(flip(bytes.length - 1)), { fingerprint: fp }))).toBe('OV_SNAPSHOT_INVALID');
    expect(codeOf(() => verifySnapshot(provider, m, { fingerprint: '0'.repeat(64) }))).toBe('OV_SNAPSHOT_UNTRUSTED');
    expect(codeOf(() => verifySnapshot(provider, m, { keys: [] }))).toBe('OV_SNAPSHOT_UNTRUSTED');
  });

  it('restore refuses a malformed fingerprint and a tampered file, changing nothing', async () => {
    await unseal(vault, setup);
    const { bytes } = vault.snapshots.take();
    vault.close();
    storage.close();
    const before = state(dir);
    expect(codeOf(() => restoreSnapshot({ dataDir: dir, bytes, provider, now: T0, expectKey: 'abc' }))).toBe('OV_INVALID_ARGUMENT');
    const bad = bytes.slice();
    bad[bad.length - 7]! ^= 0x80;
    expect(codeOf(() => restoreSnapshot({ dataDir: dir, bytes: bad, provider, now: T0 }))).toBe('OV_SNAPSHOT_INVALID');
    expect(state(dir)).toEqual(before);
    storage = openStorage(join(dir, 'vault.db'));
    vault = createVault({ config: testConfig(dir, { data_dir: dir }), storage, provider, now: () => T0 });
  });

  it('restores into a fresh dir: every validator slot is marked and the first unseal opens the keyring', async () => {
    await unseal(vault, setup);
    await vault.validators.create({ name: 'sol', chain: 'solana', format: 'generate' });
    expect(vault.validators.get('sol').watermarks_unconfirmed).toBeUndefined();
    const { bytes, manifest } = vault.snapshots.take();
    const fresh = join(root, 'fresh');
    mkdirSync(fresh, { mode: 0o700 });
    const r = restoreSnapshot({ dataDir: fresh, bytes, provider, now: T0 + 5, expectKey: snapshotKeyFingerprint(storage) ?? '' });
    expect(r).toMatchObject({ backups: [], foreign: false, validatorKeysMarked: 1 });
    const s2 = openStorage(join(fresh, 'vault.db'));
    const v2 = createVault({ config: testConfig(fresh, { data_dir: fresh }), storage: s2, provider, now: () => T0 });
    try {
      const mark = JSON.parse(new TextDecoder().decode(s2.meta.get(WATERMARKS_UNCONFIRMED_META))) as unknown;
      expect(mark).toEqual({ restored_at: new Date(T0 + 5).toISOString(), audit_seq: manifest.auditSeq });
      await unseal(v2, setup);
      expect(v2.keyring()?.list().map((k) => k.name)).toContain('kem');
      expect(v2.validators.list().map((s) => [s.name, s.watermarks_unconfirmed])).toEqual([['sol', true]]);
    } finally {
      v2.close();
      s2.close();
    }
  });

  it("keeps a restored vault sealed when its keyring is another vault's", async () => {
    await unseal(vault, setup);
    const { bytes } = vault.snapshots.take();
    await setupVault({ dataDir: join(root, 'b'), provider, mode: { shamir: { n: 3, t: 2 } }, now: T0 });
    const fresh = join(root, 'fresh');
    restoreSnapshot({ dataDir: fresh, bytes, provider, now: T0, expectKey: snapshotKeyFingerprint(storage) ?? '' });
    // Swap in vault b's keyring rows: wrapped under a root key the restored seal does not have.
    const sb = openStorage(join(root, 'b', 'vault.db'));
    const s2 = openStorage(join(fresh, 'vault.db'));
    s2.transaction(() => {
      s2.keyring.clear();
      for (const p of sb.keyring.listPolicies()) s2.keyring.putPolicy(p);
      for (const k of sb.keyring.listKeys()) s2.keyring.insertKey(k);
    });
    sb.close();
    const v2 = createVault({ config: testConfig(fresh, { data_dir: fresh }), storage: s2, provider, now: () => T0 });
    try {
      let failed: unknown;
      try {
        await unseal(v2, setup);
      } catch (e) {
        failed = e;
      }
      expect((failed as { code?: string } | undefined)?.code).toBe('OV_KEYRING_CORRUPT');
      expect(v2.keyring()).toBeUndefined();
      expect(v2.seal.status().sealed).toBe(true);
    } finally {
      v2.close();
      s2.close();
    }
  });
});

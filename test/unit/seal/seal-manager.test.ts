/**
 * The seal state machine over a MetaStore: initialise, seal and unseal in each mode; the
 * Shamir attempt with progress, duplicates, typos and foreign shares; wrong passphrases
 * and key files; tampered storage; listeners; and bad input changing nothing.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SEAL_META_NAME, SealManager, type InitOptions } from '../../../src/seal/index.js';
import { MemoryMeta, TEST_KDF, editJson, subsets, vaultError, type StoredJson } from './helpers.js';

const PASS = 'correct horse battery staple';

async function shamirVault(n = 5, t = 3): Promise<{ meta: MemoryMeta; m: SealManager; shares: string[]; rootKey: Uint8Array }> {
  const meta = new MemoryMeta();
  const m = new SealManager(meta);
  const r = await m.initialise({ mode: 'shamir', shares: n, threshold: t });
  if (r.mode !== 'shamir') throw new Error('unexpected mode');
  return { meta, m, shares: [...r.shares], rootKey: m.rootKey() };
}

/** Flips one character of the share's data part to another alphabet character. */
function typo(share: string): string {
  const i = share.indexOf('-', 5) + 10;
  return share.slice(0, i) + (share[i] === 'a' ? 'b' : 'a') + share.slice(i + 1);
}

function editConfig(meta: MemoryMeta, edit: (o: StoredJson) => unknown): void {
  meta.put(SEAL_META_NAME, editJson(meta.get(SEAL_META_NAME)!, edit));
}

describe('uninitialised vault', () => {
  it('reports not initialised and refuses everything but initialise', async () => {
    const meta = new MemoryMeta();
    const m = new SealManager(meta);
    expect(m.status()).toEqual({ initialized: false, sealed: true, mode: null, t: null, n: null, progress: 0, nonce: '' });
    await vaultError(() => m.rootKey(), 'OV_NOT_INITIALIZED');
    await vaultError(m.submitShare('ovs1-1-x-y'), 'OV_NOT_INITIALIZED');
    await vaultError(m.unsealWithPassphrase(PASS), 'OV_NOT_INITIALIZED');
    await vaultError(m.unsealWithKeyFile(new Uint8Array(32)), 'OV_NOT_INITIALIZED');
    m.seal();
    expect(m.reset().initialized).toBe(false);
    expect(meta.snapshot()).toEqual({});
  });

  it('refuses bad initialisation options and writes nothing', async () => {
    const meta = new MemoryMeta();
    const m = new SealManager(meta);
    const bad: [unknown, string][] = [
      [{ mode: 'shamir', shares: 5, threshold: 1 }, 'threshold'],
      [{ mode: 'shamir', shares: 3, threshold: 4 }, 'threshold'],
      [{ mode: 'shamir', shares: 256, threshold: 3 }, 'shares'],
      [{ mode: 'shamir', shares: 2.5, threshold: 2 }, 'shares'],
      [{ mode: 'shamir', treshold: 2 }, 'treshold'],
      [{ mode: 'passphrase', passphrase: 'too short', kdf: TEST_KDF }, 'passphrase'],
      [{ mode: 'passphrase', passphrase: 'x'.repeat(1025), kdf: TEST_KDF }, 'passphrase'],
      [{ mode: 'passphrase', passphrase: PASS, kdf: { ...TEST_KDF, memoryKiB: 1024 } }, 'kdf.memoryKiB'],
      [{ mode: 'passphrase', passphrase: PASS, kdf: { ...TEST_KDF, memoryKiB: 4 * 1024 * 1024 } }, 'kdf.memoryKiB'],
      [{ mode: 'passphrase', passphrase: PASS, kdf: { ...TEST_KDF, salt: 'x' } }, 'kdf.salt'],
      [{ mode: 'keyfile', keyFilePath: '' }, 'keyFilePath'],
      [{ mode: 'hsm' }, 'mode'],
      [{ mode: 'constructor' }, 'mode'],
      [null, 'options'],
    ];
    for (const [opts, field] of bad) {
      const e = await vaultError(m.initialise(opts as InitOptions), 'OV_INVALID_ARGUMENT');
      expect(e.detail?.field, JSON.stringify(opts).slice(0, 60)).toBe(field);
    }
    expect(meta.snapshot()).toEqual({});
    expect(m.status().initialized).toBe(false);
  });
});

describe('shamir mode', () => {
  it('initialises 5 shares, threshold 3, by default, unsealed, with distinct printable shares', async () => {
    const meta = new MemoryMeta();
    const m = new SealManager(meta);
    const r = await m.initialise({ mode: 'shamir' });
    expect(r.mode).toBe('shamir');
    if (r.mode !== 'shamir') return;
    expect(r.threshold).toBe(3);
    expect(r.shares).toHaveLength(5);
    expect(new Set(r.shares).size).toBe(5);
    r.shares.forEach((s, i) => expect(s.startsWith(`ovs1-${i + 1}-`)).toBe(true));
    expect(m.status()).toEqual({ initialized: true, sealed: false, mode: 'shamir', t: 3, n: 5, progress: 0, nonce: '' });
    // Nothing of the shares or the root key is stored.
    const stored = Buffer.from(meta.get(SEAL_META_NAME)!).toString('utf8');
    const rk = m.rootKey();
    for (const s of r.shares) expect(stored).not.toContain(s.split('-')[2]!.slice(0, 12));
    expect(stored).not.toContain(Buffer.from(rk).toString('hex').slice(0, 16));
    expect(stored).not.toContain(Buffer.from(rk).toString('base64url').slice(0, 16));
    expect([...meta.blobs.keys()]).toEqual([SEAL_META_NAME]);
  });

  it('unseals with every subset of 3 of the 5 shares, to the original root key', async () => {
    const { m, shares, rootKey } = await shamirVault();
    const all = subsets(shares, 3);
    expect(all).toHaveLength(10);
    for (const subset of all) {
      m.seal();
      await vaultError(() => m.rootKey(), 'OV_SEALED');
      let status = m.status();
      expect(status.sealed).toBe(true);
      for (const [i, s] of subset.entries()) {
        status = await m.submitShare(s);
        expect(status.progress).toBe(i + 1 < 3 ? i + 1 : 0);
      }
      expect(status.sealed).toBe(false);
      expect(m.rootKey()).toEqual(rootKey);
    }
  });

  it('stays sealed with t - 1 shares and shows progress and a stable attempt nonce', async () => {
    const { m, shares } = await shamirVault();
    m.seal();
    const s1 = await m.submitShare(shares[4]!);
    expect(s1).toMatchObject({ sealed: true, progress: 1, t: 3, n: 5 });
    expect(s1.nonce).toMatch(/^[0-9a-f]{32}$/);
    const s2 = await m.submitShare(shares[0]!);
    expect(s2).toMatchObject({ sealed: true, progress: 2, nonce: s1.nonce });
    await vaultError(() => m.rootKey(), 'OV_SEALED');
    expect(m.reset()).toMatchObject({ sealed: true, progress: 0, nonce: '' });
    // After a reset the same shares count again, in a new attempt.
    const s3 = await m.submitShare(shares[4]!);
    expect(s3.progress).toBe(1);
    expect(s3.nonce).not.toBe(s1.nonce);
  });

  it('refuses a repeated share without changing progress', async () => {
    const { m, shares, rootKey } = await shamirVault();
    m.seal();
    const first = await m.submitShare(shares[1]!);
    const e = await vaultError(m.submitShare(shares[1]!), 'OV_UNSEAL_DUPLICATE_SHARE');
    expect(e.message).not.toContain(shares[1]!.slice(7, 20));
    // The same share typed differently (case, whitespace) is still the same share.
    await vaultError(m.submitShare(`  ${shares[1]!.toUpperCase()}\n`), 'OV_UNSEAL_DUPLICATE_SHARE');
    expect(m.status()).toMatchObject({ progress: 1, nonce: first.nonce, sealed: true });
    await m.submitShare(shares[2]!);
    expect((await m.submitShare(shares[3]!)).sealed).toBe(false);
    expect(m.rootKey()).toEqual(rootKey);
  });

  it('refuses a mistyped or malformed share with progress unchanged', async () => {
    const { m, shares } = await shamirVault();
    m.seal();
    const before = await m.submitShare(shares[0]!);
    for (const bad of [typo(shares[1]!), shares[1]!.slice(0, -1), 'hello', '', shares[1]!.replace('ovs1', 'ovs9')]) {
      await vaultError(m.submitShare(bad), 'OV_UNSEAL_INVALID_SHARE');
      expect(m.status()).toEqual(before);
    }
  });

  it('drops all progress when t shares include one from another vault', async () => {
    const a = await shamirVault();
    const b = await shamirVault();
    a.m.seal();
    await a.m.submitShare(a.shares[0]!);
    await a.m.submitShare(a.shares[1]!);
    // A share from vault b is well-formed, so it is counted; the root-key check catches it.
    await vaultError(a.m.submitShare(b.shares[2]!), 'OV_UNSEAL_FAILED');
    expect(a.m.status()).toMatchObject({ sealed: true, progress: 0, nonce: '' });
    await vaultError(() => a.m.rootKey(), 'OV_SEALED');
    // Nothing of the failed attempt lingers: three genuine shares unseal afterwards.
    for (const s of a.shares.slice(2)) await a.m.submitShare(s);
    expect(a.m.rootKey()).toEqual(a.rootKey);
  });

  it('drops all progress when a foreign share arrives before the last genuine ones', async () => {
    const a = await shamirVault(5, 2);
    const b = await shamirVault(5, 2);
    a.m.seal();
    await a.m.submitShare(b.shares[0]!);
    await vaultError(a.m.submitShare(a.shares[0]!), 'OV_UNSEAL_FAILED');
    expect(a.m.status()).toMatchObject({ sealed: true, progress: 0 });
  });

  it('refuses a passphrase or key file for a shamir vault', async () => {
    const { m, meta } = await shamirVault();
    m.seal();
    const before = meta.snapshot();
    expect((await vaultError(m.unsealWithPassphrase(PASS), 'OV_UNSEAL_MODE')).detail).toEqual({ mode: 'shamir' });
    await vaultError(m.unsealWithKeyFile(new Uint8Array(32)), 'OV_UNSEAL_MODE');
    expect(meta.snapshot()).toEqual(before);
    expect(m.status().sealed).toBe(true);
  });

  it('treats a share submitted to an unsealed vault as a no-op', async () => {
    const { m, shares } = await shamirVault();
    expect(await m.submitShare('not even a share')).toMatchObject({ sealed: false, progress: 0 });
    expect(await m.submitShare(shares[0]!)).toMatchObject({ sealed: false, progress: 0 });
  });

  it('seal() drops pending shares', async () => {
    const { m, shares } = await shamirVault();
    m.seal();
    await m.submitShare(shares[0]!);
    await m.submitShare(shares[1]!);
    m.seal();
    expect(m.status()).toMatchObject({ progress: 0, nonce: '' });
    // shares[1] is not a duplicate any more: the earlier attempt is gone.
    expect((await m.submitShare(shares[1]!)).progress).toBe(1);
  });

  it('supports 2-of-2 and 255-share splits', async () => {
    const small = await shamirVault(2, 2);
    small.m.seal();
    await small.m.submitShare(small.shares[1]!);
    await small.m.submitShare(small.shares[0]!);
    expect(small.m.rootKey()).toEqual(small.rootKey);
    const big = await shamirVault(255, 4);
    expect(new Set(big.shares).size).toBe(255);
    expect(big.shares[254]!.startsWith('ovs1-255-')).toBe(true);
    big.m.seal();
    for (const s of [big.shares[254]!, big.shares[100]!, big.shares[7]!, big.shares[0]!]) await big.m.submitShare(s);
    expect(big.m.rootKey()).toEqual(big.rootKey);
  });
});

describe('passphrase mode', () => {
  async function passphraseVault(): Promise<{ meta: MemoryMeta; m: SealManager; rootKey: Uint8Array }> {
    const meta = new MemoryMeta();
    const m = new SealManager(meta);
    expect(await m.initialise({ mode: 'passphrase', passphrase: PASS, kdf: TEST_KDF })).toEqual({ mode: 'passphrase' });
    return { meta, m, rootKey: m.rootKey() };
  }

  it('initialises, seals and unseals to the original root key', async () => {
    const { m, rootKey } = await passphraseVault();
    expect(m.status()).toEqual({ initialized: true, sealed: false, mode: 'passphrase', t: null, n: null, progress: 0, nonce: '' });
    m.seal();
    expect(m.status().sealed).toBe(true);
    await vaultError(() => m.rootKey(), 'OV_SEALED');
    expect((await m.unsealWithPassphrase(PASS)).sealed).toBe(false);
    expect(m.rootKey()).toEqual(rootKey);
  });

  it('normalises the passphrase to NFC', async () => {
    const meta = new MemoryMeta();
    const m = new SealManager(meta);
    const composed = 'caf\u00e9 cr\u00e8me br\u00fbl\u00e9e';
    await m.initialise({ mode: 'passphrase', passphrase: composed, kdf: TEST_KDF });
    m.seal();
    await m.unsealWithPassphrase(composed.normalize('NFD'));
    expect(m.sealed).toBe(false);
  });

  it('stores the argon2id parameters it was given, and uses stronger defaults', async () => {
    const { meta } = await passphraseVault();
    const o = JSON.parse(Buffer.from(meta.get(SEAL_META_NAME)!).toString()) as { kdf: Record<string, unknown> };
    expect(o.kdf).toMatchObject({ alg: 'argon2id', m: TEST_KDF.memoryKiB, t: TEST_KDF.passes, p: TEST_KDF.parallelism });
    const { DEFAULT_PASSPHRASE_KDF } = await import('../../../src/seal/index.js');
    expect(DEFAULT_PASSPHRASE_KDF.memoryKiB).toBeGreaterThan(TEST_KDF.memoryKiB);
    expect(DEFAULT_PASSPHRASE_KDF.memoryKiB * DEFAULT_PASSPHRASE_KDF.passes).toBeGreaterThanOrEqual(4 * TEST_KDF.memoryKiB * TEST_KDF.passes);
  });

  it('refuses a wrong passphrase and stays sealed', async () => {
    const { m, meta } = await passphraseVault();
    m.seal();
    const before = meta.snapshot();
    for (const wrong of ['correct horse battery stapler', PASS.toUpperCase(), 'x']) {
      await vaultError(m.unsealWithPassphrase(wrong), 'OV_UNSEAL_FAILED');
    }
    await vaultError(m.unsealWithPassphrase(''), 'OV_INVALID_ARGUMENT');
    await vaultError(m.unsealWithPassphrase('x'.repeat(2000)), 'OV_INVALID_ARGUMENT');
    expect(m.status().sealed).toBe(true);
    expect(meta.snapshot()).toEqual(before);
  });

  it('refuses stored argon2 parameters above the caps before deriving anything', async () => {
    const { m, meta } = await passphraseVault();
    m.seal();
    // 4 GiB: deriving would take seconds and gigabytes; the refusal is immediate.
    editConfig(meta, (o) => (o.kdf.m = 4 * 1024 * 1024));
    const e = await vaultError(m.unsealWithPassphrase(PASS), 'OV_ARGON2_PARAMS');
    expect(e.detail).toMatchObject({ field: 'memoryKiB' });
    await vaultError(() => m.status(), 'OV_ARGON2_PARAMS');
    editConfig(meta, (o) => ((o.kdf.m = TEST_KDF.memoryKiB), (o.kdf.t = 1000)));
    await vaultError(m.unsealWithPassphrase(PASS), 'OV_ARGON2_PARAMS');
    expect(m.sealed).toBe(true);
  });

  it('refuses a tampered wrapped key, salt or check value', async () => {
    const { m, meta } = await passphraseVault();
    m.seal();
    const original = meta.get(SEAL_META_NAME)!;
    const flip = (s: string, i: number): string => {
      const b = Buffer.from(s, 'base64url');
      b[i]! ^= 0x01;
      return b.toString('base64url');
    };
    for (const edit of [
      (o: StoredJson) => (o.wrapped = flip(o.wrapped, 20)),
      (o: StoredJson) => (o.wrapped = flip(o.wrapped, 0)),
      (o: StoredJson) => (o.kdf.salt = flip(o.kdf.salt as string, 3)),
      (o: StoredJson) => (o.check = flip(o.check, 40)),
      (o: StoredJson) => (o.vaultId = `${o.vaultId.slice(0, -1)}${o.vaultId.endsWith('0') ? '1' : '0'}`),
      (o: StoredJson) => (o.kdf.t = TEST_KDF.passes + 1),
    ]) {
      meta.put(SEAL_META_NAME, original);
      editConfig(meta, edit);
      await vaultError(m.unsealWithPassphrase(PASS), 'OV_UNSEAL_FAILED');
      expect(m.sealed).toBe(true);
    }
    meta.put(SEAL_META_NAME, original);
    await m.unsealWithPassphrase(PASS);
    expect(m.sealed).toBe(false);
  });

  it('refuses shares and key files for a passphrase vault', async () => {
    const { m } = await passphraseVault();
    m.seal();
    await vaultError(m.submitShare('ovs1-1-x-y'), 'OV_UNSEAL_MODE');
    await vaultError(m.unsealWithKeyFile(new Uint8Array(32)), 'OV_UNSEAL_MODE');
  });

  it('discards an unseal overtaken by seal()', async () => {
    const { m } = await passphraseVault();
    m.seal();
    const pending = m.unsealWithPassphrase(PASS);
    m.seal();
    const e = await vaultError(pending, 'OV_SEALED');
    expect(e.detail).toMatchObject({ reason: expect.stringContaining('sealed') as unknown });
    expect(m.sealed).toBe(true);
    await m.unsealWithPassphrase(PASS);
    expect(m.sealed).toBe(false);
  });
});

describe('initialisation is once only', () => {
  it('refuses a second initialise in any mode and leaves meta unchanged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ov-seal-'));
    try {
      const { meta, m, rootKey } = await shamirVault();
      const before = meta.snapshot();
      for (const opts of [
        { mode: 'shamir' },
        { mode: 'passphrase', passphrase: PASS, kdf: TEST_KDF },
        { mode: 'keyfile', keyFilePath: join(dir, 'k') },
        { mode: 'shamir', threshold: 1 },
      ] as InitOptions[]) {
        await vaultError(m.initialise(opts), 'OV_ALREADY_INITIALIZED');
      }
      expect(meta.snapshot()).toEqual(before);
      expect(() => statSync(join(dir, 'k'))).toThrow();
      expect(m.rootKey()).toEqual(rootKey);
      // A second manager over the same store agrees.
      await vaultError(new SealManager(meta).initialise({ mode: 'shamir' }), 'OV_ALREADY_INITIALIZED');
      expect(meta.snapshot()).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serialises concurrent initialisations: exactly one wins', async () => {
    const meta = new MemoryMeta();
    const m = new SealManager(meta);
    const results = await Promise.allSettled([m.initialise({ mode: 'shamir' }), m.initialise({ mode: 'shamir' })]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((r) => r.status === 'rejected');
    expect((rejected!.reason as { code: string }).code).toBe('OV_ALREADY_INITIALIZED');
  });
});

describe('storage trust', () => {
  it('refuses a corrupt or unknown-version configuration in every operation', async () => {
    const { meta, m, shares } = await shamirVault();
    m.seal();
    editConfig(meta, (o) => (o.v = 2));
    await vaultError(() => m.status(), 'OV_SEAL_CONFIG_INVALID');
    await vaultError(m.submitShare(shares[0]!), 'OV_SEAL_CONFIG_INVALID');
    await vaultError(m.initialise({ mode: 'shamir' }), 'OV_ALREADY_INITIALIZED');
  });

  it('detects a threshold lowered in storage: too few shares never unseal', async () => {
    const { meta, m, shares } = await shamirVault();
    m.seal();
    editConfig(meta, (o) => (o.threshold = 2));
    await m.submitShare(shares[0]!);
    await vaultError(m.submitShare(shares[1]!), 'OV_UNSEAL_FAILED');
    expect(m.sealed).toBe(true);
  });
});

describe('listeners', () => {
  it('calls onUnseal after unseal (with the root key available) and onSeal after the wipe', async () => {
    const { m, shares, rootKey } = await shamirVault();
    const events: string[] = [];
    const offUnseal = m.onUnseal(() => {
      expect(m.rootKey()).toEqual(rootKey);
      events.push('unseal');
    });
    m.onSeal(() => {
      expect(m.sealed).toBe(true);
      events.push('seal');
    });
    m.seal();
    m.seal(); // already sealed: no second event
    for (const s of shares.slice(0, 3)) await m.submitShare(s);
    offUnseal();
    m.seal();
    for (const s of shares.slice(2)) await m.submitShare(s);
    expect(events).toEqual(['seal', 'unseal', 'seal']);
  });

  it('seals again when an onUnseal listener fails, and reports its error', async () => {
    const { m, shares } = await shamirVault();
    const sealed: number[] = [];
    m.onSeal(() => sealed.push(1));
    m.onUnseal(() => {
      throw new Error('keyring unavailable');
    });
    m.seal();
    await m.submitShare(shares[0]!);
    await m.submitShare(shares[1]!);
    await expect(m.submitShare(shares[2]!)).rejects.toThrow('keyring unavailable');
    expect(m.sealed).toBe(true);
    expect(sealed).toEqual([1, 1]);
    await vaultError(() => m.rootKey(), 'OV_SEALED');
  });

  it('hands out copies of the root key: a caller wiping its copy harms nothing', async () => {
    const { m, rootKey } = await shamirVault();
    const copy = m.rootKey();
    copy.fill(0);
    expect(m.rootKey()).toEqual(rootKey);
    m.seal();
    // A copy taken before sealing is the caller's to wipe; the manager's own is gone.
    expect(rootKey.some((b) => b !== 0)).toBe(true);
    await vaultError(() => m.rootKey(), 'OV_SEALED');
  });
});

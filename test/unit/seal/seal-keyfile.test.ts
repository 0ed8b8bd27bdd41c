/**
 * The seal state machine in unseal-key-file mode: initialise with a key file, unseal from
 * it, and refuse wrong, foreign, loose-permission or malformed files, changing nothing.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SEAL_META_NAME, SealManager, readUnsealKeyFile } from '../../../src/seal/index.js';
import { MemoryMeta, vaultError } from './helpers.js';

const PASS = 'correct horse battery staple';

describe('keyfile mode', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ov-seal-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates a 0600 key file of 32 bytes and unseals with it to the original root key', async () => {
    const meta = new MemoryMeta();
    const m = new SealManager(meta);
    const path = join(dir, 'unseal.key');
    expect(await m.initialise({ mode: 'keyfile', keyFilePath: path })).toEqual({ mode: 'keyfile', keyFilePath: path });
    const rootKey = m.rootKey();
    const st = statSync(path);
    expect(st.mode & 0o777).toBe(0o600);
    expect(st.size).toBe(32);
    expect(m.status()).toEqual({ initialized: true, sealed: false, mode: 'keyfile', t: null, n: null, progress: 0, nonce: '' });
    // The key file's bytes are not in storage.
    expect(Buffer.from(meta.get(SEAL_META_NAME)!).includes(readFileSync(path).toString('hex'))).toBe(false);
    m.seal();
    const key = readUnsealKeyFile(path);
    await m.unsealWithKeyFile(key);
    expect(m.rootKey()).toEqual(rootKey);
    // The caller keeps ownership of its buffer.
    expect(key).toEqual(new Uint8Array(readFileSync(path)));
  });

  it('refuses a wrong key file and one of the wrong size', async () => {
    const m = new SealManager(new MemoryMeta());
    await m.initialise({ mode: 'keyfile', keyFilePath: join(dir, 'k') });
    m.seal();
    const other = new SealManager(new MemoryMeta());
    await other.initialise({ mode: 'keyfile', keyFilePath: join(dir, 'other') });
    await vaultError(m.unsealWithKeyFile(readUnsealKeyFile(join(dir, 'other'))), 'OV_UNSEAL_FAILED');
    await vaultError(m.unsealWithKeyFile(new Uint8Array(31)), 'OV_KEY_INVALID');
    expect(m.sealed).toBe(true);
    await vaultError(m.submitShare('ovs1-1-x-y'), 'OV_UNSEAL_MODE');
    await vaultError(m.unsealWithPassphrase(PASS), 'OV_UNSEAL_MODE');
  });

  it('never overwrites an existing file, and stays uninitialised', async () => {
    const meta = new MemoryMeta();
    const m = new SealManager(meta);
    const path = join(dir, 'exists');
    writeFileSync(path, 'precious', { mode: 0o600 });
    await vaultError(m.initialise({ mode: 'keyfile', keyFilePath: path }), 'OV_IO');
    expect(readFileSync(path, 'utf8')).toBe('precious');
    expect(meta.snapshot()).toEqual({});
    await vaultError(m.initialise({ mode: 'keyfile', keyFilePath: join(dir, 'missing-dir', 'k') }), 'OV_IO');
    expect(m.status().initialized).toBe(false);
  });

  it('removes the new key file when the configuration cannot be stored', async () => {
    const meta = new MemoryMeta();
    meta.put = () => {
      throw new Error('disk full');
    };
    const m = new SealManager(meta);
    const path = join(dir, 'k');
    await expect(m.initialise({ mode: 'keyfile', keyFilePath: path })).rejects.toThrow('disk full');
    expect(() => statSync(path)).toThrow();
    expect(m.status().initialized).toBe(false);
  });

  it('reads key files strictly: permissions, size, kind', async () => {
    const path = join(dir, 'k');
    writeFileSync(path, new Uint8Array(32), { mode: 0o600 });
    expect(readUnsealKeyFile(path)).toEqual(new Uint8Array(32));
    chmodSync(path, 0o640);
    await vaultError(() => readUnsealKeyFile(path), 'OV_UNSAFE_PERMISSIONS');
    chmodSync(path, 0o600);
    writeFileSync(path, new Uint8Array(33));
    await vaultError(() => readUnsealKeyFile(path), 'OV_KEY_INVALID');
    writeFileSync(path, new Uint8Array(0));
    await vaultError(() => readUnsealKeyFile(path), 'OV_KEY_INVALID');
    await vaultError(() => readUnsealKeyFile(join(dir, 'nope')), 'OV_IO');
    await vaultError(() => readUnsealKeyFile(dir), 'OV_UNSAFE_PERMISSIONS');
  });
});

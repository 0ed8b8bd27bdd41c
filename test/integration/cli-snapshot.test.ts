/**
 * Snapshots end to end, with the built CLI and real daemons: 1,000 secrets written while
 * `vault snapshot save` runs; the snapshot restored into a fresh data dir and unsealed with
 * the same key file; every write whose audit entry is at or below the manifest's sequence
 * number reads back to its exact value; `vault audit verify` passes on the restored vault.
 * Refusals leave the data dir byte for byte as it was: a restore while the daemon runs (its
 * pid named), a flipped byte, a manifest signed by another key, a snapshot of another vault.
 *
 * Tests run in order and share the sandbox.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectProvider } from '../../src/crypto/provider.js';
import { generateKey } from '../../src/envelope/keys.js';
import { encodeSnapshot, keyFingerprint, parseSnapshot } from '../../src/snapshot/index.js';
import { assertBuilt, makeSandbox, type CliResult, type Sandbox } from '../helpers/cli.js';
import { api, daemonBuilt, readAudit, startDaemon, type Daemon, type SetupResult, setupVault } from '../helpers/daemon.js';

const RUN = daemonBuilt;
const WRITES = 1000;
const BATCH = 25;

let sb: Sandbox;
let logDir: string;
let vault: SetupResult;
let fingerprint = '';
let daemon: Daemon | undefined;
let token = '';
let snapFile = '';
const values = new Map<number, string>();

async function login(addr: string, key: string): Promise<string> {
  const r = await api(addr, 'POST', '/v1/sessions', { json: { key } });
  expect(r.status, r.text).toBe(200);
  return (r.json as { token: string }).token;
}

function expectFail(r: CliResult, firstLine: string): void {
  expect({ code: r.code, first: r.stderr.split('\n')[0] }, r.stderr).toEqual({ code: 1, first: firstLine });
}

/**
 * Every file of a data dir with the SHA-256 of its bytes: what "nothing changed" means.
 * SQLite's -shm index and an empty -wal are left out: any reader of the database (the
 * restore reads the current vault's keys) creates them, and they hold no data.
 */
function state(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) {
    const bytes = readFileSync(join(dir, f));
    if (f.endsWith('-shm') || (f.endsWith('-wal') && bytes.length === 0)) continue;
    out[f] = createHash('sha256').update(bytes).digest('hex');
  }
  return out;
}

beforeAll(async () => {
  assertBuilt();
  sb = makeSandbox('vault-snapshot-');
  if (!RUN) return;
  logDir = join(sb.dir, 'logs');
  vault = await setupVault(sb, sb.path('data'), ['--unseal-key-file', sb.path('unseal.key')]);
  fingerprint = (JSON.parse(vault.result.out) as { signing_key_fingerprint: string }).signing_key_fingerprint;
  daemon = await startDaemon({ home: sb.home, logDir, env: { ONTOREF_DATA_DIR: vault.dataDir } });
  token = await login(daemon.addr, vault.adminKey);
}, 120_000);

afterAll(async () => {
  await daemon?.stop();
  sb.cleanup();
});

describe.runIf(RUN)('vault snapshot', () => {
  it('setup prints the signing key fingerprint', () => {
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('saves a consistent snapshot while 1,000 writes continue', async () => {
    const d = daemon!;
    snapFile = sb.path('vault.snap');
    let save: Promise<CliResult> | undefined;
    for (let start = 0; start < WRITES; start += BATCH) {
      // Start the snapshot a third of the way in, and keep writing while it runs.
      if (save === undefined && start >= WRITES / 3) {
        save = sb.run(['snapshot', 'save', snapFile, '--json'], { env: { ONTOREF_ADDR: d.addr, ONTOREF_TOKEN: token } });
      }
      await Promise.all(
        Array.from({ length: Math.min(BATCH, WRITES - start) }, async (_, j) => {
          const i = start + j;
          const value = `value-${i}-${createHash('sha256').update(String(i)).digest('hex').slice(0, 12)}`;
          const r = await api(d.addr, 'PUT', `/v1/secrets/snap/s${i}`, { token, json: { data: { v: value } } });
          expect(r.status, r.text).toBe(200);
          values.set(i, value);
        }),
      );
    }
    const r = await save!;
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.out) as { key_fingerprint: string; manifest: { audit_seq: number } };
    expect(doc.key_fingerprint).toBe(fingerprint);
    expect(doc.manifest.audit_seq).toBeGreaterThan(0);
    expect(readFileSync(snapFile).subarray(0, 6).toString('latin1')).toBe('OVSNAP');
    expect(values.size).toBe(WRITES);

    const inspect = await sb.run(['snapshot', 'inspect', snapFile, '--expect-key', fingerprint, '--json']);
    expect(inspect.code, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.out)).toMatchObject({ verified: true, key_fingerprint: fingerprint, manifest: { audit_seq: doc.manifest.audit_seq } });
  }, 180_000);

  it('refuses a restore while the daemon runs, naming its pid, and changes nothing', async () => {
    const files = readdirSync(vault.dataDir).sort();
    const r = await sb.run(['snapshot', 'restore', snapFile, '--data-dir', vault.dataDir]);
    expectFail(r, `vault: error: data dir is in use by another process: ${vault.dataDir} is held by pid ${daemon!.pid}`);
    expect(r.stderr).toContain('vault: hint: nothing was changed');
    // No database moved aside, no restore file written (the daemon's own files change as it runs).
    expect(readdirSync(vault.dataDir).sort()).toEqual(files);
    await daemon!.stop();
    daemon = undefined;
  }, 60_000);

  it('refuses a flipped byte, another signer and another vault before replacing anything', async () => {
    const good = readFileSync(snapFile);
    const provider = selectProvider();
    const snap = parseSnapshot(new Uint8Array(good));
    const before = state(vault.dataDir);

    const flipped = Buffer.from(good);
    flipped[flipped.length - 100]! ^= 0x01;
    writeFileSync(sb.path('flipped.snap'), flipped);
    let r = await sb.run(['snapshot', 'restore', sb.path('flipped.snap'), '--data-dir', vault.dataDir]);
    expectFail(r, 'vault: error: snapshot file is malformed or its data does not match its manifest');
    expect(state(vault.dataDir)).toEqual(before);

    // The same data and manifest fields, signed by a key of no vault here.
    const other = generateKey(provider, 'ML-DSA-65');
    const m = snap.manifest;
    const fields = { vaultId: new Uint8Array(Buffer.from(m.vaultId, 'hex')), schemaVersion: m.schemaVersion, auditSeq: m.auditSeq, createdAt: Date.parse(m.createdAt) };
    writeFileSync(sb.path('resigned.snap'), encodeSnapshot(provider, other, fields, snap.data).bytes);
    r = await sb.run(['snapshot', 'restore', sb.path('resigned.snap'), '--data-dir', vault.dataDir]);
    expectFail(r, 'vault: error: snapshot manifest is not signed by the expected vault signing key');
    r = await sb.run(['snapshot', 'restore', sb.path('resigned.snap'), '--data-dir', vault.dataDir, '--expect-key', fingerprint]);
    expectFail(r, 'vault: error: snapshot manifest is not signed by the expected vault signing key');
    expect(state(vault.dataDir)).toEqual(before);

    // Another vault's snapshot, checked against its own key: refused unless --force.
    writeFileSync(sb.path('foreign.snap'), encodeSnapshot(provider, other, { ...fields, vaultId: new Uint8Array(16).fill(7) }, snap.data).bytes);
    r = await sb.run(['snapshot', 'restore', sb.path('foreign.snap'), '--data-dir', vault.dataDir, '--expect-key', keyFingerprint(other.publicKey)]);
    expectFail(r, `vault: error: snapshot belongs to another vault: the snapshot is not of the vault in ${vault.dataDir}`);
    expect(state(vault.dataDir)).toEqual(before);

    // A fresh data dir has no key to check against: --expect-key is required.
    r = await sb.run(['snapshot', 'restore', snapFile, '--data-dir', sb.path('empty')]);
    expectFail(r, 'vault: error: snapshot manifest is not signed by the expected vault signing key');
    expect(readdirSync(sb.path('empty'))).toEqual([]);
  }, 60_000);

  it('restores into a fresh data dir; every write audited at or below the manifest reads back exactly', async () => {
    const fresh = sb.path('restored');
    const r = await sb.run(['snapshot', 'restore', snapFile, '--data-dir', fresh, '--expect-key', fingerprint, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.out) as { manifest: { audit_seq: number }; backups: unknown[]; foreign: boolean };
    expect(doc).toMatchObject({ backups: [], foreign: false });
    const seqLimit = doc.manifest.audit_seq;

    // Which writes the snapshot must hold: those whose audit entry it holds.
    const seqOf = new Map<number, number>();
    for (const row of readAudit(vault.dataDir)) {
      const m = /^\/v1\/secrets\/snap\/s(\d+)$/.exec(row.path ?? '');
      if (m !== null && row.method === 'PUT' && row.status === 200) seqOf.set(Number(m[1]), row.seq);
    }
    expect(seqOf.size).toBe(WRITES);
    const covered = [...seqOf].filter(([, seq]) => seq <= seqLimit).map(([i]) => i);
    expect(covered.length).toBeGreaterThan(0);
    expect(covered.length).toBeLessThan(WRITES); // the snapshot ran while writes continued

    // Same key file: the config names it, as setup wrote it for the first data dir.
    copyFileSync(join(vault.dataDir, 'config.toml'), join(fresh, 'config.toml'));
    const d2 = await startDaemon({ home: sb.home, logDir, name: 'restored', env: { ONTOREF_DATA_DIR: fresh } });
    try {
      const t2 = await login(d2.addr, vault.adminKey);
      for (let k = 0; k < covered.length; k += BATCH) {
        await Promise.all(
          covered.slice(k, k + BATCH).map(async (i) => {
            const g = await api(d2.addr, 'GET', `/v1/secrets/snap/s${i}`, { token: t2 });
            expect(g.status, `s${i}: ${g.text}`).toBe(200);
            expect((g.json as { data: { v: string } }).data.v).toBe(values.get(i));
          }),
        );
      }
    } finally {
      await d2.stop();
    }
    const verify = await sb.run(['audit', 'verify', '--data-dir', fresh]);
    expect(verify.code, verify.stderr).toBe(0);
  }, 180_000);

  it('restores over the current vault, checked against its keys, keeping the old database', async () => {
    const r = await sb.run(['snapshot', 'restore', snapFile, '--data-dir', vault.dataDir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.out) as { backups: { file: string; backup: string }[] };
    expect(doc.backups.map((b) => b.file)).toContain(join(vault.dataDir, 'vault.db'));
    for (const b of doc.backups) expect(readdirSync(vault.dataDir)).toContain(b.backup.slice(vault.dataDir.length + 1));
  }, 60_000);
});

/**
 * The validator service on a real SQLite file and keyring: imports that verify before
 * storing (and leave nothing behind when refused), the rotation workflow (one active key
 * at every step, signing state carried and recorded, every record verifying), signing
 * state that only rises, confirmed destruction, exports that round-trip into a fresh
 * vault (EIP-2335 also through @chainsafe/bls-keystore), bulk import statuses, and
 * envelopes bound to their slot and key id.
 */
import { decrypt as chainsafeDecrypt } from '@chainsafe/bls-keystore';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openRawDb } from '../../helpers/raw-sqlite.js';
import { join } from 'node:path';
import { parseCosmosState, decryptKeystore, formatPublicKey } from '../../../src/validators/index.js';
import { verifyValidatorHistory } from '../../../src/validators/records.js';
import { loadJson } from '../../helpers/vectors.js';
import { expectRejects, expectThrows, hex, keyFile, makeService, type ServiceFixture } from './service-fixtures.js';

const vectors = loadJson('eip2335/test-vectors.json') as {
  cases: { password: string; secret_hex: string; keystore: Record<string, unknown> }[];
};

describe('validator service', () => {
  let f: ServiceFixture;
  beforeEach(() => {
    f = makeService();
  });
  afterEach(() => {
    f.cleanup();
  });

  const history = (name: string) => {
    const h = f.service.history(name);
    return { ...h, verdict: verifyValidatorHistory(h.records, h.public_keys) };
  };

  it('imports both ERC-2335 vectors; the stored key exports to the expected secret', async () => {
    expect(vectors.cases.length).toBe(2);
    for (const [i, c] of vectors.cases.entries()) {
      // Both vectors hold the same key (scrypt and PBKDF2): one vault each.
      const g = i === 0 ? f : makeService();
      try {
        const slot = await g.service.create({ name: `erc-${i}`, chain: 'ethereum', format: 'eip2335', keystore: JSON.stringify(c.keystore), password: c.password });
        expect(slot.keys).toHaveLength(1);
        expect(slot.keys[0]?.public_key).toBe(`0x${c.keystore.pubkey as string}`);
        expect(slot.keys[0]?.state).toBe('active');
        expect(slot.keys[0]?.derivation_path).toBe(c.keystore.path);
        const out = await g.service.export(`erc-${i}`, { format: 'eip2335', password: 'export-password' });
        const back = await decryptKeystore(out.files['keystore.json'] as string, 'export-password');
        expect(hex(back.secret)).toBe(c.secret_hex);
      } finally {
        if (g !== f) g.cleanup();
      }
    }
    // The same key again (the other KDF) is a duplicate.
    const second = vectors.cases[1] as (typeof vectors.cases)[number];
    await expectRejects(
      f.service.create({ name: 'erc-again', chain: 'ethereum', format: 'eip2335', keystore: JSON.stringify(second.keystore), password: second.password }),
      'OV_VALIDATOR_DUPLICATE',
    );
  });

  it('refuses a wrong password, a bad checksum, a truncated file and a pubkey mismatch, leaving nothing behind', async () => {
    const { file } = await keyFile('ethereum', 'right-password');
    const ks = JSON.parse(file) as { crypto: { checksum: { message: string } }; pubkey: string };
    const flipped = structuredClone(ks);
    flipped.crypto.checksum.message = (flipped.crypto.checksum.message.startsWith('0') ? '1' : '0') + flipped.crypto.checksum.message.slice(1);
    const otherPub = JSON.parse((await keyFile('ethereum')).file) as { pubkey: string };
    const mismatch = { ...ks, pubkey: otherPub.pubkey };
    const cases: [string, string, Parameters<typeof expectRejects>[1]][] = [
      [file, 'wrong-password', 'OV_KEYSTORE_PASSWORD'],
      [JSON.stringify(flipped), 'right-password', 'OV_KEYSTORE_PASSWORD'],
      [file.slice(0, file.length - 20), 'right-password', 'OV_KEYSTORE_INVALID'],
      [JSON.stringify(mismatch), 'right-password', 'OV_KEYSTORE_PUBKEY_MISMATCH'],
    ];
    const before = f.storage.validators.counts();
    for (const [keystore, password, code] of cases) {
      await expectRejects(f.service.create({ name: 'v1', chain: 'ethereum', format: 'eip2335', keystore, password }), code);
      expect(f.storage.validators.counts()).toEqual(before);
    }
    // Wrong chain for the format, and a field the format does not use.
    await expectRejects(f.service.create({ name: 'v1', chain: 'cosmos', format: 'eip2335', keystore: file, password: 'right-password' }), 'OV_INVALID_ARGUMENT');
    await expectRejects(f.service.create({ name: 'v1', chain: 'ethereum', format: 'generate', password: 'x' }), 'OV_INVALID_ARGUMENT');
    expect(f.storage.validators.counts()).toEqual({ slots: 0, keys: 0, records: 0 });
  });

  it('refuses a duplicate public key and an existing name without writing', async () => {
    const { file } = await keyFile('solana');
    await f.service.create({ name: 'sol', chain: 'solana', format: 'solana', key_file: file });
    const before = f.storage.validators.counts();
    await expectRejects(f.service.create({ name: 'sol-2', chain: 'solana', format: 'solana', key_file: file }), 'OV_VALIDATOR_DUPLICATE');
    await expectRejects(f.service.create({ name: 'sol', chain: 'solana', format: 'generate' }), 'OV_VALIDATOR_EXISTS');
    await expectRejects(f.service.rotate('sol', { format: 'solana', key_file: file }), 'OV_VALIDATOR_DUPLICATE');
    expect(f.storage.validators.counts()).toEqual(before);
  });

  it('runs a full rotation: one active key at every step, state carried, records verify', async () => {
    const { file } = await keyFile('cosmos');
    const state = JSON.stringify({ height: '1200', round: 0, step: 3 });
    const s0 = await f.service.create({ name: 'cosmos-1', chain: 'cosmos', format: 'cosmos', key_file: file, state_file: state, labels: { env: 'prod' }, metadata: { node_key_ref: 'nodes/a' } });
    const oldId = s0.keys[0]?.id as string;
    expect(s0.signing_state).toEqual({ height: '1200', round: 0, step: 3 });
    expect(s0.labels).toEqual({ env: 'prod' });
    const activeCount = () => f.storage.validators.keysOf('cosmos-1').filter((k) => k.state === 'active').length;
    expect(activeCount()).toBe(1);

    f.clock.t += 1000;
    const s1 = await f.service.rotate('cosmos-1', { format: 'generate' });
    const pending = s1.keys.find((k) => k.state === 'pending');
    expect(pending?.source).toBe('generated');
    expect(activeCount()).toBe(1);
    await expectRejects(f.service.rotate('cosmos-1', { format: 'generate' }), 'OV_VALIDATOR_STATE');

    // The signing state moves on while the old key signs; the new key inherits it.
    f.service.setSigningState('cosmos-1', { height: '1500', round: 1, step: 2 });
    f.clock.t += 1000;
    const s2 = f.service.promote('cosmos-1');
    expect(activeCount()).toBe(1);
    expect(s2.keys.find((k) => k.state === 'active')?.id).toBe(pending?.id);
    const old = s2.keys.find((k) => k.id === oldId);
    expect(old?.state).toBe('retired');
    expect(old?.retired_at).toBe(new Date(f.clock.t).toISOString());
    expect(s2.signing_state).toEqual({ height: '1500', round: 1, step: 2 });

    const h = history('cosmos-1');
    expect(h.verdict).toEqual({ ok: true });
    expect(h.records.map((r) => r.action)).toEqual(['import', 'rotate', 'signing-state', 'promote']);
    const promote = h.records[3];
    expect(promote?.key_id).toBe(pending?.id);
    expect(promote?.prev_key_id).toBe(oldId);
    expect(promote?.signing_state).toEqual({ height: '1500', round: 1, step: 2 });
    expect(promote?.alg).toBe('ML-DSA-65');

    // One changed byte in a stored record and the history no longer verifies.
    const tampered = h.records.map((r) => ({ ...r }));
    tampered[1] = { ...(tampered[1] as (typeof tampered)[number]), time: (tampered[1]?.time as string).replace(/.$/, 'Y') };
    expect(verifyValidatorHistory(tampered, h.public_keys)).toMatchObject({ ok: false, seq: 2 });

    // Nothing pending any more.
    expectThrows(() => f.service.promote('cosmos-1'), 'OV_VALIDATOR_STATE');
    const retired = f.service.retire('cosmos-1');
    expect(retired.keys.filter((k) => k.state === 'active')).toHaveLength(0);
    expectThrows(() => f.service.retire('cosmos-1'), 'OV_VALIDATOR_STATE');
    expect(history('cosmos-1').verdict).toEqual({ ok: true });
  });

  it('signs records with Falcon-512 when the vault is configured for it', async () => {
    const g = makeService({ falcon: true, signature: 'Falcon-512-r3' });
    try {
      await g.service.create({ name: 'f', chain: 'solana', format: 'generate' });
      const h = g.service.history('f');
      expect(h.records[0]?.alg).toBe('Falcon-512-r3');
      expect(verifyValidatorHistory(h.records, h.public_keys)).toEqual({ ok: true });
    } finally {
      g.cleanup();
    }
  });

  it('only ever raises the signing state', async () => {
    await f.service.create({ name: 'c', chain: 'cosmos', format: 'generate' });
    f.service.setSigningState('c', { height: '10', round: 2, step: 1 });
    const records = f.storage.validators.counts().records;
    for (const lower of [{ height: '9', round: 9, step: 3 }, { height: '10', round: 1, step: 3 }, { height: '10', round: 2, step: 0 }]) {
      expectThrows(() => f.service.setSigningState('c', lower), 'OV_SIGNING_STATE_REGRESSION');
    }
    expect(f.service.get('c').signing_state).toEqual({ height: '10', round: 2, step: 1 });
    // The same state again changes nothing and records nothing.
    f.service.setSigningState('c', { height: '10', round: 2, step: 1 });
    expect(f.storage.validators.counts().records).toBe(records);
    expectThrows(() => f.service.setSigningState('c', { height: '11' }), 'OV_INVALID_ARGUMENT');

    await f.service.create({ name: 'e', chain: 'ethereum', format: 'generate' });
    f.service.setSigningState('e', { max_source_epoch: '5', max_target_epoch: '6' });
    f.service.setSigningState('e', { max_block_slot: '100' });
    expect(f.service.get('e').signing_state).toEqual({ max_block_slot: '100', max_source_epoch: '5', max_target_epoch: '6' });
    expectThrows(() => f.service.setSigningState('e', { max_target_epoch: '5' }), 'OV_SIGNING_STATE_REGRESSION');
    expectThrows(() => f.service.setSigningState('e', { max_block_slot: null }), 'OV_SIGNING_STATE_REGRESSION');
    expectThrows(() => f.service.setSigningState('e', { height: '1', round: 0, step: 0 }), 'OV_INVALID_ARGUMENT');
    expect(f.service.get('e').signing_state).toEqual({ max_block_slot: '100', max_source_epoch: '5', max_target_epoch: '6' });
  });

  it('destroys only a retired key, only with the exact public key as confirmation', async () => {
    const s = await f.service.create({ name: 's', chain: 'solana', format: 'generate' });
    const key = s.keys[0] as (typeof s.keys)[number];
    expectThrows(() => f.service.destroy('s', key.id, key.public_key), 'OV_VALIDATOR_STATE');
    f.service.retire('s');
    const before = f.storage.validators.counts();
    expectThrows(() => f.service.destroy('s', key.id, undefined), 'OV_CONFIRMATION_REQUIRED');
    expectThrows(() => f.service.destroy('s', key.id, key.public_key.slice(1)), 'OV_CONFIRMATION_REQUIRED');
    expectThrows(() => f.service.destroy('s', '00000000-0000-4000-8000-000000000000', key.public_key), 'OV_VALIDATOR_NOT_FOUND');
    expect(f.storage.validators.counts()).toEqual(before);
    expect(f.service.destroy('s', key.id, key.public_key)).toEqual({ destroyed: key.id });
    const row = f.storage.validators.getKey(key.id);
    expect(row?.state).toBe('destroyed');
    expect(row?.envelope).toBeNull();
    expect(f.service.get('s').keys).toHaveLength(0);
    await expectRejects(f.service.export('s', { key_id: key.id, format: 'solana' }), 'OV_VALIDATOR_STATE');
    const h = history('s');
    expect(h.records.map((r) => r.action)).toEqual(['import', 'retire', 'destroy']);
    expect(h.verdict).toEqual({ ok: true });
    // The tombstone keeps the public key: the same key cannot quietly come back.
    expect(f.storage.validators.counts().keys).toBe(1);
  });

  it('round-trips every chain: import, export, import into a fresh vault gives the same public key', async () => {
    const g = makeService();
    try {
      const eth = await keyFile('ethereum');
      const cosmos = await keyFile('cosmos');
      const sol = await keyFile('solana');
      await f.service.create({ name: 'eth', chain: 'ethereum', format: 'eip2335', keystore: eth.file, password: 'correct horse battery' });
      await f.service.create({ name: 'cos', chain: 'cosmos', format: 'cosmos', key_file: cosmos.file, state_file: JSON.stringify({ height: '77', round: 0, step: 1 }) });
      await f.service.create({ name: 'sol', chain: 'solana', format: 'solana', key_file: sol.file });

      const ethOut = await f.service.export('eth', { format: 'eip2335', password: 'new password 1' });
      const ks = ethOut.files['keystore.json'] as string;
      // An independent implementation opens our export.
      const secret = await chainsafeDecrypt(JSON.parse(ks) as never, 'new password 1');
      expect(hex(secret)).toBe(hex(eth.key.secret));
      const cosOut = await f.service.export('cos', { format: 'cosmos' });
      expect(parseCosmosState(cosOut.files['priv_validator_state.json'] as string)).toMatchObject({ height: '77', round: 0, step: 1 });
      const solOut = await f.service.export('sol', { format: 'solana' });

      const a = await g.service.create({ name: 'eth', chain: 'ethereum', format: 'eip2335', keystore: ks, password: 'new password 1' });
      const b = await g.service.create({
        name: 'cos',
        chain: 'cosmos',
        format: 'cosmos',
        key_file: cosOut.files['priv_validator_key.json'] as string,
        state_file: cosOut.files['priv_validator_state.json'] as string,
      });
      const c = await g.service.create({ name: 'sol', chain: 'solana', format: 'solana', key_file: solOut.files['keypair.json'] as string });
      expect(a.keys[0]?.public_key).toBe(formatPublicKey('ethereum', eth.key.publicKey));
      expect(b.keys[0]?.public_key).toBe(formatPublicKey('cosmos', cosmos.key.publicKey));
      expect(b.signing_state).toEqual({ height: '77', round: 0, step: 1 });
      expect(c.keys[0]?.public_key).toBe(formatPublicKey('solana', sol.key.publicKey));
      expect(b.keys[0]?.address).toMatch(/^[0-9A-F]{40}$/);

      // Export rules: the chain's own format, a password of at least 8 characters.
      await expectRejects(f.service.export('eth', { format: 'eip2335', password: 'short' }), 'OV_INVALID_ARGUMENT');
      await expectRejects(f.service.export('eth', { format: 'solana' }), 'OV_INVALID_ARGUMENT');
    } finally {
      g.cleanup();
    }
  });

  it('bulk-imports with per-item statuses in input order', async () => {
    const k1 = await keyFile('ethereum', 'pw-1-pw-1');
    const k2 = await keyFile('ethereum', 'pw-2-pw-2');
    const k3 = await keyFile('ethereum', 'pw-3-pw-3');
    await f.service.create({ name: 'already', chain: 'ethereum', format: 'eip2335', keystore: k3.file, password: 'pw-3-pw-3' });
    const progress: number[] = [];
    const results = await f.service.importBulk(
      [
        { keystore: k1.file, password: 'pw-1-pw-1' },
        { name: 'second', keystore: k2.file, password: 'pw-2-pw-2' },
        { keystore: k2.file, password: 'wrong' },
        { keystore: k3.file, password: 'pw-3-pw-3' },
        { keystore: '{"version": 4}', password: 'x' },
        { name: 'already', keystore: (await keyFile('ethereum', 'pw-4-pw-4')).file, password: 'pw-4-pw-4' },
      ],
      { onProgress: (done) => progress.push(done) },
    );
    const pub1 = formatPublicKey('ethereum', k1.key.publicKey);
    expect(results).toEqual([
      { index: 0, status: 'imported', name: `eth-${pub1.slice(2, 10)}`, public_key: pub1 },
      { index: 1, status: 'imported', name: 'second', public_key: formatPublicKey('ethereum', k2.key.publicKey) },
      { index: 2, status: 'error', code: 'OV_KEYSTORE_PASSWORD', message: 'wrong keystore password' },
      { index: 3, status: 'duplicate', name: `eth-${formatPublicKey('ethereum', k3.key.publicKey).slice(2, 10)}`, public_key: formatPublicKey('ethereum', k3.key.publicKey) },
      expect.objectContaining({ index: 4, status: 'error', code: 'OV_KEYSTORE_INVALID' }),
      expect.objectContaining({ index: 5, status: 'error', code: 'OV_VALIDATOR_EXISTS' }),
    ]);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    expect(f.service.list({ chain: 'ethereum' }).map((s) => s.name).sort()).toEqual(['already', `eth-${pub1.slice(2, 10)}`, 'second']);
  });

  it('binds each envelope to its slot and key id, and refuses a forged one', async () => {
    const a = await f.service.create({ name: 'a', chain: 'solana', format: 'generate' });
    const b = await f.service.create({ name: 'b', chain: 'solana', format: 'generate' });
    await f.service.export('a', { format: 'solana' });
    const db = openRawDb(join(f.dir, 'vault.db'));
    try {
      // Move b's envelope into a's row: same vault, same keys, other context.
      db.prepare('UPDATE validator_keys SET envelope = (SELECT envelope FROM validator_keys WHERE id = ?) WHERE id = ?').run(b.keys[0]?.id, a.keys[0]?.id);
    } finally {
      db.close();
    }
    await expectRejects(f.service.export('a', { format: 'solana' }), 'OV_VALIDATOR_UNREADABLE');
    await f.service.export('b', { format: 'solana' });
  });

  it('refuses a key whose recorded KEM version was edited, or whose KEM version is below the minimum', async () => {
    const a = await f.service.create({ name: 'm1', chain: 'solana', format: 'generate' });
    await f.service.create({ name: 'm2', chain: 'solana', format: 'generate' });
    f.keyring.rotate('kem', f.clock.t);
    const db = openRawDb(join(f.dir, 'vault.db'));
    try {
      // m1's row claims the new KEM version: it would dodge the rewrap scan and the retire guard.
      db.prepare('UPDATE validator_keys SET kem_version = 2 WHERE id = ?').run(a.keys[0]?.id);
    } finally {
      db.close();
    }
    await expectRejects(f.service.export('m1', { format: 'solana' }), 'OV_VALIDATOR_UNREADABLE');
    expect(f.service.countStale(2)).toBe(1);
    await f.service.export('m2', { format: 'solana' });
    // Retired under the service's feet (the HTTP guard would refuse): m2 is below the minimum.
    f.keyring.setMinDecryptVersion('kem', 2);
    await expectRejects(f.service.export('m2', { format: 'solana' }), 'OV_VALIDATOR_UNREADABLE');
  });

  it('rewraps envelopes to the current kem version so the old one can be retired', async () => {
    await f.service.create({ name: 'r1', chain: 'solana', format: 'generate' });
    await f.service.create({ name: 'r2', chain: 'ethereum', format: 'generate' });
    const before = await f.service.export('r1', { format: 'solana' });
    f.keyring.rotate('kem', f.clock.t);
    expect(f.service.countStale(2)).toBe(2);
    const r = f.service.rewrap({ batchSize: 1 });
    expect(r).toEqual({ rewrapped: 2, failed: 0, remaining: 0, keyVersion: 2 });
    expect(f.storage.validators.keysOf('r1')[0]?.kemVersion).toBe(2);
    f.keyring.setMinDecryptVersion('kem', 2);
    // Still opens after the old KEM version is retired; nothing left to do.
    expect(await f.service.export('r1', { format: 'solana' })).toEqual(before);
    expect(f.service.rewrap()).toMatchObject({ rewrapped: 0, remaining: 0 });
  });

  it('lists by chain and key state', async () => {
    await f.service.create({ name: 'x', chain: 'cosmos', format: 'generate' });
    await f.service.create({ name: 'y', chain: 'solana', format: 'generate' });
    await f.service.rotate('y', { format: 'generate' });
    expect(f.service.list().map((s) => s.name)).toEqual(['x', 'y']);
    expect(f.service.list({ chain: 'cosmos' }).map((s) => s.name)).toEqual(['x']);
    expect(f.service.list({ state: 'pending' }).map((s) => s.name)).toEqual(['y']);
    expect(f.service.list({ visible: (n) => n === 'x' }).map((s) => s.name)).toEqual(['x']);
    expectThrows(() => f.service.get('zzz'), 'OV_VALIDATOR_NOT_FOUND');
  });
});

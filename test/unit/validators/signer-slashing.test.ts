/**
 * Slashing protection of the remote signer over a real vault: every refusal is 412 with
 * a reason and leaves the slot's watermarks, its protection row and the audit decision
 * as they were; the same root may be signed again; of concurrent conflicting requests at
 * most one is signed. Also: which keys sign (active only), the genesis validators root
 * binding, the snapshot-restore mark, bad input, and the listener's address allow-list.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blsSigner as nativeOrNoble } from '../../../src/crypto/bls-sign.js';
import { buildServer } from '../../../src/http/server.js';
import { WATERMARKS_UNCONFIRMED_META } from '../../../src/storage/validators-types.js';
import { SIGNER_PROTECTION_META } from '../../../src/validators/signer.js';
import { openRawDb } from '../../helpers/raw-sqlite.js';
import { auditEntries, unseal } from '../http/helpers.js';
import { OTHER_GVR, R1, R2, attestation, block, expectRefused, sign, signerFixture, type SignerFixture } from './signer-fixture.js';

describe('signer: slashing protection', () => {
  let f: SignerFixture;
  let pk: string;
  beforeEach(async () => {
    f = await signerFixture(['v1', 'v2']);
    pk = f.keys.get('v1')!;
  });
  afterEach(async () => {
    await f.cleanup();
  });

  /** Everything a refusal must leave alone. */
  const snapshot = (): unknown => ({
    slot: f.v.storage.validators.getSlot('v1'),
    protection: f.v.storage.meta.get(SIGNER_PROTECTION_META + 'v1'),
  });

  async function refused(body: unknown, reason: RegExp): Promise<void> {
    const before = snapshot();
    expectRefused(await sign(f, pk, body), 412, 'OV_SLASHING_REFUSED', reason);
    expect(snapshot()).toEqual(before);
    const last = auditEntries(f.v).at(-1)!;
    expect(last.status).toBe(412);
    const detail = last.detail as Record<string, string>;
    expect(detail.decision).toBe('refused');
    expect(detail.reason).toMatch(reason);
    expect(detail.slot).toMatch(/^[0-9]+$/);
  }

  it('blocks: raises the watermark; refuses a double proposal and lower slots; re-signs the same root', async () => {
    const first = await sign(f, pk, block(100, R1));
    expect(first.statusCode, first.body).toBe(200);
    expect(f.v.vault.validators.get('v1').signing_state.max_block_slot).toBe('100');
    const again = await sign(f, pk, block(100, R1));
    expect(again.statusCode).toBe(200);
    expect(again.body).toBe(first.body);
    await refused(block(100, R2), /double proposal/);
    await refused(block(99, R1), /at or below the highest signed slot 100/);
    expect((await sign(f, pk, block(101, R2))).statusCode).toBe(200);
    expect(f.v.vault.validators.get('v1').signing_state.max_block_slot).toBe('101');
    // An older root at the old slot is no longer a re-sign.
    await refused(block(100, R1), /at or below/);
  });

  it('attestations: double vote, surround, surrounded, older source, older target; same attestation re-signs', async () => {
    expect((await sign(f, pk, attestation(10, 20))).statusCode).toBe(200);
    expect((await sign(f, pk, attestation(10, 20))).statusCode).toBe(200);
    await refused(attestation(10, 20, R2), /double vote/);
    await refused(attestation(9, 21), /surround vote/);
    await refused(attestation(11, 19), /surrounded vote/);
    await refused(attestation(9, 20), /double vote/);
    await refused(attestation(5, 15), /target epoch 15 is below/);
    expect((await sign(f, pk, attestation(12, 22))).statusCode).toBe(200);
    await refused(attestation(11, 23), /source epoch 11 is below the highest signed source 12/);
    const st = f.v.vault.validators.get('v1').signing_state;
    expect([st.max_source_epoch, st.max_target_epoch]).toEqual(['12', '22']);
    // Malformed: source after target is a bad request, not a slashing decision.
    expectRefused(await sign(f, pk, attestation(30, 29)), 400, 'OV_BAD_REQUEST');
  });

  it('of concurrent conflicting requests exactly one is signed', async () => {
    const blocks = await Promise.all([R1, R2, `0x${'cc'.repeat(32)}`, `0x${'dd'.repeat(32)}`].map((r) => sign(f, pk, block(500, r))));
    expect(blocks.filter((r) => r.statusCode === 200)).toHaveLength(1);
    expect(blocks.filter((r) => r.statusCode === 412)).toHaveLength(3);
    const votes = await Promise.all([R1, R2].map((r) => sign(f, pk, attestation(40, 41, r))));
    expect(votes.map((r) => r.statusCode).sort()).toEqual([200, 412]);
  });

  it('a refusal inside a batch of decisions undoes only its own writes', async () => {
    const v2 = f.keys.get('v2')!;
    // Called together, these are decided in one transaction, in this order.
    const results = await Promise.allSettled([
      f.v.vault.signer.sign(pk, block(700, R1)),
      f.v.vault.signer.sign(pk, block(700, R2)),
      f.v.vault.signer.sign(v2, attestation(5, 6)),
      f.v.vault.signer.sign(pk, block(650, R1)),
      f.v.vault.signer.sign(pk, attestation(7, 8)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
    const a = f.v.vault.validators.get('v1').signing_state;
    expect([a.max_block_slot, a.max_source_epoch, a.max_target_epoch]).toEqual(['700', '7', '8']);
    const b = f.v.vault.validators.get('v2').signing_state;
    expect([b.max_block_slot, b.max_source_epoch, b.max_target_epoch]).toEqual([null, '5', '6']);
    // The stored root is the first block's: it re-signs, the other does not.
    expect((await sign(f, pk, block(700, R1))).statusCode).toBe(200);
    expectRefused(await sign(f, pk, block(700, R2)), 412, 'OV_SLASHING_REFUSED', /double proposal/);
  });

  it('binds a key to one genesis validators root', async () => {
    expect((await sign(f, pk, block(10))).statusCode).toBe(200);
    await refused(block(11, R1, OTHER_GVR), /genesis validators root differs/);
    // Another key is bound on its own.
    expect((await sign(f, f.keys.get('v2')!, block(11, R1, OTHER_GVR))).statusCode).toBe(200);
  });

  it('refuses every signature while restored watermarks are unconfirmed', async () => {
    f.v.storage.meta.put(WATERMARKS_UNCONFIRMED_META, new TextEncoder().encode(JSON.stringify({ restored_at: 1, audit_seq: 1 })));
    await refused(block(10), /snapshot are not confirmed/);
    await refused(attestation(1, 2), /snapshot are not confirmed/);
  });

  it('a slot bound to its chain signs under that root only, from its first signature on', async () => {
    f.v.vault.validators.bindChain('v1', OTHER_GVR);
    await refused(block(10), /genesis validators root differs/);
    expect((await sign(f, pk, block(10, R1, OTHER_GVR))).statusCode).toBe(200);
  });

  it('after a restore, a confirmed slot signs while the others still refuse', async () => {
    const mark = { restored_at: '9999-01-01T00:00:00.000Z', audit_seq: 1 };
    f.v.storage.meta.put(WATERMARKS_UNCONFIRMED_META, new TextEncoder().encode(JSON.stringify(mark)));
    f.v.vault.validators.confirmWatermarks('v1', { max_block_slot: '5' });
    await refused(block(5), /below|double/);
    expect((await sign(f, pk, block(6))).statusCode).toBe(200);
    expectRefused(await sign(f, f.keys.get('v2')!, block(6)), 412, 'OV_SLASHING_REFUSED', /snapshot are not confirmed/);
  });

  it('signs only with active keys: unknown, pending and retired keys are 404', async () => {
    expectRefused(await sign(f, `0x${'a1'.repeat(48)}`, block(1)), 404, 'OV_SIGNER_KEY_NOT_FOUND');
    const rotated = await f.v.vault.validators.rotate('v2', { format: 'generate' });
    const pending = rotated.keys.find((k) => k.state === 'pending')!.public_key;
    expectRefused(await sign(f, pending, block(1)), 404, 'OV_SIGNER_KEY_NOT_FOUND');
    const keys = (await f.app.inject({ method: 'GET', url: '/api/v1/eth2/publicKeys' })).json<string[]>();
    expect(keys.sort()).toEqual([pk, f.keys.get('v2')!].sort());
    f.v.vault.validators.promote('v2');
    expectRefused(await sign(f, f.keys.get('v2')!, block(1)), 404, 'OV_SIGNER_KEY_NOT_FOUND');
    expect((await sign(f, pending, block(1))).statusCode).toBe(200);
  });

  it('rotation carries the watermarks: the promoted key signs only above them', async () => {
    const v2 = f.keys.get('v2')!;
    expect((await sign(f, v2, block(300))).statusCode).toBe(200);
    const rotated = await f.v.vault.validators.rotate('v2', { format: 'generate' });
    const next = rotated.keys.find((k) => k.state === 'pending')!.public_key;
    f.v.vault.validators.promote('v2');
    expectRefused(await sign(f, next, block(300, R2)), 412, 'OV_SLASHING_REFUSED');
    expect((await sign(f, next, block(301))).statusCode).toBe(200);
  });

  it('bad input: 400 with nothing written', async () => {
    const before = snapshot();
    const bad = [
      f.app.inject({ method: 'POST', url: `/api/v1/eth2/sign/${pk}`, payload: '{"type": "ATTESTATION",', headers: { 'content-type': 'application/json' } }),
      sign(f, pk, { type: 'NOPE' }),
      sign(f, pk, { ...block(1), extra: 1 }),
      sign(f, pk, { type: 'ATTESTATION', fork_info: { fork: {}, genesis_validators_root: R1 }, attestation: {} }),
      sign(f, pk, { ...attestation(1, 2), fork_info: undefined }),
      sign(f, 'not-a-key', block(1)),
    ];
    for (const r of await Promise.all(bad)) expectRefused(r, 400, 'OV_BAD_REQUEST');
    expect(snapshot()).toEqual(before);
  });

  it('audits each signature with type, key, slot and decision, never the signature', async () => {
    const r = await sign(f, pk, attestation(3, 4));
    const e = auditEntries(f.v).at(-1)!;
    expect(e.detail).toMatchObject({ type: 'ATTESTATION', pubkey: pk, source_epoch: '3', target_epoch: '4', decision: 'signed' });
    expect(JSON.stringify(e)).not.toContain(r.json<{ signature: string }>().signature.slice(2));
  });

  it('sealed: signing is 503 and the health check says DOWN; the opened keys are wiped', async () => {
    expect((await sign(f, pk, block(1))).statusCode).toBe(200);
    expect(f.v.vault.signer.cache.size).toBe(1);
    expect((await f.app.inject({ method: 'GET', url: '/healthcheck' })).json<{ status: string }>().status).toBe('UP');
    f.v.vault.seal.seal();
    expect(f.v.vault.signer.cache.size).toBe(0);
    expectRefused(await sign(f, pk, block(2)), 503, 'OV_SEALED');
    const h = await f.app.inject({ method: 'GET', url: '/healthcheck' });
    expect([h.statusCode, h.json<{ status: string }>().status]).toEqual([503, 'DOWN']);
    expect(f.v.vault.validators.get('v1').signing_state.max_block_slot).toBe('1');
  });

  it('a key rewrapped under a new KEM key is opened again from its new row, and signs alike', async () => {
    const first = await sign(f, pk, block(1));
    expect(first.statusCode).toBe(200);
    const id = f.v.storage.validators.signingKey('ethereum', Buffer.from(pk.slice(2), 'hex'))!.id;
    const kemBefore = f.v.storage.validators.getKey(id)!.kemVersion;
    f.v.vault.keys.rotate('kem');
    expect(f.v.vault.keys.rewrap('kem').remaining).toBe(0);
    const kemAfter = f.v.storage.validators.getKey(id)!.kemVersion;
    expect(kemAfter).toBeGreaterThan(kemBefore);
    // The same block again: a re-sign of the same root, with the key opened from its new envelope.
    const again = await sign(f, pk, block(1));
    expect(again.json<{ signature: string }>().signature).toBe(first.json<{ signature: string }>().signature);
    expect(f.v.vault.signer.cache.get(pk, { id, kemVersion: kemAfter })).toBeDefined();
    // An entry is tied to its row: the old version's row no longer matches (and drops it).
    expect(f.v.vault.signer.cache.get(pk, { id, kemVersion: kemBefore })).toBeUndefined();
    expect(f.v.vault.signer.cache.size).toBe(0);
  });

  it('an opened key serves only its own public key: its row edited to another key signs nothing', async () => {
    expect((await sign(f, pk, block(1))).statusCode).toBe(200);
    expect(f.v.vault.signer.cache.size).toBe(1);
    // Someone with write access to vault.db gives v1's row the public key of a key the vault never held.
    const stranger = `0x${Buffer.from(nativeOrNoble().publicKey(Uint8Array.from({ length: 32 }, (_, i) => i + 1))).toString('hex')}`;
    const raw = openRawDb(join(f.v.dir, 'vault.db'));
    try {
      raw.prepare('UPDATE validator_keys SET public_key = ? WHERE public_key = ?').run(Buffer.from(stranger.slice(2), 'hex'), Buffer.from(pk.slice(2), 'hex'));
    } finally {
      raw.close();
    }
    expectRefused(await sign(f, pk, block(2)), 404, 'OV_SIGNER_KEY_NOT_FOUND');
    // The row is the cached one (same id), but not under this public key: the key is opened again, and refused.
    expectRefused(await sign(f, stranger, block(3)), 500, 'OV_VALIDATOR_UNREADABLE');
    expect(f.v.storage.validators.getSlot('v1')?.signingState).not.toContain('"3"');
  });

  it('with [signer] configured, an unseal opens every active key in the background', async () => {
    const g = await signerFixture(['w1', 'w2', 'w3'], { signer: {} });
    try {
      await g.v.vault.validators.rotate('w3', { format: 'generate' });
      g.v.vault.seal.seal();
      expect(g.v.vault.signer.cache.size).toBe(0);
      await unseal(g.v);
      for (let i = 0; i < 10_000 && g.v.vault.signer.cache.size < 3; i++) await new Promise((r) => setImmediate(r));
      // The three active keys, not the pending one.
      expect(g.v.vault.signer.cache.size).toBe(3);
      expect(await g.v.vault.signer.warm()).toBe(0);
    } finally {
      await g.cleanup();
    }
    // Without [signer]: nothing is opened ahead of a signature.
    f.v.vault.seal.seal();
    await unseal(f.v);
    for (let i = 0; i < 100; i++) await new Promise((r) => setImmediate(r));
    expect(f.v.vault.signer.cache.size).toBe(0);
  });

  it('the main listener does not serve the signer routes', async () => {
    const main = await buildServer(f.v.vault);
    try {
      expect((await main.inject({ method: 'GET', url: '/api/v1/eth2/publicKeys' })).statusCode).toBe(404);
      expect((await main.inject({ method: 'POST', url: `/api/v1/eth2/sign/${pk}`, payload: block(1) })).statusCode).toBe(404);
    } finally {
      await main.close();
    }
  });

  it('refuses a client address outside [signer] allow (127.0.0.2), and audits it', async () => {
    await f.app.listen({ host: '127.0.0.1', port: 0 });
    const a = f.app.server.address();
    const port = typeof a === 'object' && a !== null ? a.port : 0;
    const get = (localAddress: string): Promise<{ status: number; body: string }> =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, path: '/api/v1/eth2/publicKeys', localAddress }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    const ok = await get('127.0.0.1');
    expect(ok.status).toBe(200);
    const no = await get('127.0.0.2');
    expect(no.status).toBe(403);
    expect((JSON.parse(no.body) as { error: { code: string } }).error.code).toBe('OV_SIGNER_FORBIDDEN');
    expect(no.body).not.toContain(pk);
    const e = auditEntries(f.v).at(-1)!;
    expect([e.status, e.remote, e.code]).toEqual([403, '127.0.0.2', 'OV_SIGNER_FORBIDDEN']);
  });
});

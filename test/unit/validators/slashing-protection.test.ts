/**
 * EIP-3076 slashing protection bound to chains, over a real SQLite vault: an interchange
 * of another chain than a listed key's is refused whole and changes nothing; an unbound
 * key is bound by its first interchange; an export carries one root and refuses unbound
 * keys and mixed chains; binding, network presets and the zero root; and after a
 * snapshot restore each slot is confirmed on its own (interchange import or an explicit
 * minimum), the mark leaving with the last one.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WATERMARKS_UNCONFIRMED_META } from '../../../src/storage/validators-types.js';
import { formatPublicKey, NETWORK_ROOTS, networkRoot, parseInterchange } from '../../../src/validators/index.js';
import { expectThrows, keyFile, makeService, T0, type ServiceFixture } from './service-fixtures.js';

const MAINNET = NETWORK_ROOTS.mainnet;
const HOODI = NETWORK_ROOTS.hoodi;
const ic = (root: string, data: unknown[]): string => JSON.stringify({ metadata: { interchange_format_version: '5', genesis_validators_root: root }, data });

describe('slashing protection bound to chains', () => {
  let f: ServiceFixture;
  const pubs: string[] = [];

  const files: string[] = [];

  beforeEach(async () => {
    f = makeService();
    pubs.length = 0;
    files.length = 0;
    for (let i = 0; i < 3; i++) {
      const { key, file } = await keyFile('ethereum', 'pw');
      files.push(file);
      pubs.push(formatPublicKey('ethereum', key.publicKey));
      await f.service.create({ name: `eth-${i}`, chain: 'ethereum', format: 'eip2335', keystore: file, password: 'pw', ...(i < 2 ? { metadata: { genesis_validators_root: MAINNET } } : {}) });
    }
  });
  afterEach(() => f.cleanup());

  it('knows the public networks by name', () => {
    expect(networkRoot('mainnet')).toBe('0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95');
    expect(networkRoot('hoodi')).toBe('0x212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f');
    expect(networkRoot('sepolia')).toBe('0xd8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078');
    expect(networkRoot('holesky')).toBe('0x9143aa7c615a7f7115e2b6aac319c03529df8242ae705fba9df39b79c59fa8b1');
    expect(networkRoot('gnosis')).toBe('0xf5dcb5564e829aab27264b9becd5dfaa017085611224cb3036f573368dbb9d47');
    expectThrows(() => networkRoot('goerli'), 'OV_INVALID_ARGUMENT');
  });

  it('raises the listed keys and binds an unbound one to the file chain', () => {
    const r = f.service.importInterchange(
      ic(MAINNET, [
        { pubkey: pubs[0], signed_blocks: [{ slot: '100' }], signed_attestations: [{ source_epoch: '3', target_epoch: '4' }] },
        { pubkey: pubs[2], signed_blocks: [], signed_attestations: [{ source_epoch: '5', target_epoch: '6' }] },
        { pubkey: `0x${'a'.repeat(96)}`, signed_blocks: [{ slot: '1' }], signed_attestations: [] },
      ]),
    );
    expect(r).toEqual({
      genesis_validators_root: MAINNET,
      results: [
        { pubkey: pubs[0], status: 'raised', name: 'eth-0' },
        { pubkey: pubs[2], status: 'raised', name: 'eth-2' },
        { pubkey: `0x${'a'.repeat(96)}`, status: 'not_found' },
      ],
    });
    expect(f.service.get('eth-0').signing_state).toEqual({ max_block_slot: '100', max_source_epoch: '3', max_target_epoch: '4' });
    expect(f.service.get('eth-2').metadata.genesis_validators_root).toBe(MAINNET);
    // The same file again changes nothing.
    expect(f.service.importInterchange(ic(MAINNET, [{ pubkey: pubs[0], signed_blocks: [{ slot: '99' }], signed_attestations: [] }])).results[0]?.status).toBe('unchanged');
  });

  it('refuses a file of another chain than a listed key, whole, changing nothing', () => {
    const before = f.storage.validators.counts();
    const slots = f.service.list();
    const e = expectThrows(
      () =>
        f.service.importInterchange(
          ic(HOODI, [
            { pubkey: pubs[2], signed_blocks: [{ slot: '100' }], signed_attestations: [] },
            { pubkey: pubs[0], signed_blocks: [{ slot: '100' }], signed_attestations: [] },
          ]),
        ),
      'OV_INTERCHANGE_CHAIN_MISMATCH',
    );
    expect(e.detail?.field).toBe('data[1].pubkey');
    // eth-2 (unbound, listed first) was not bound or raised either: one transaction.
    expect(f.service.list()).toEqual(slots);
    expect(f.storage.validators.counts()).toEqual(before);
    expectThrows(() => f.service.importInterchange(ic(`0x${'00'.repeat(32)}`, [])), 'OV_INTERCHANGE_INVALID');
    expectThrows(() => f.service.importInterchange('{"metadata":{}}'), 'OV_INTERCHANGE_INVALID');
    expect(f.service.list()).toEqual(slots);
  });

  it('exports one chain per file, never an unbound key, never a zero root', () => {
    expectThrows(() => f.service.exportInterchange(), 'OV_VALIDATOR_UNBOUND');
    expectThrows(() => f.service.exportInterchange({ pubkeys: [pubs[2] as string] }), 'OV_VALIDATOR_UNBOUND');
    expectThrows(() => f.service.exportInterchange({ pubkeys: [`0x${'a'.repeat(96)}`] }), 'OV_VALIDATOR_NOT_FOUND');
    expectThrows(() => f.service.exportInterchange({ root: `0x${'00'.repeat(32)}` }), 'OV_INVALID_ARGUMENT');
    const byRoot = f.service.exportInterchange({ root: MAINNET });
    expect(byRoot.metadata.genesis_validators_root).toBe(MAINNET);
    expect(byRoot.data.map((d) => d.pubkey)).toEqual([pubs[0], pubs[1]]);
    f.service.bindChain('eth-2', HOODI);
    expectThrows(() => f.service.exportInterchange(), 'OV_INTERCHANGE_MIXED_CHAINS');
    expectThrows(() => f.service.exportInterchange({ pubkeys: [pubs[0] as string, pubs[2] as string] }), 'OV_INTERCHANGE_MIXED_CHAINS');
    expect(f.service.exportInterchange({ pubkeys: [pubs[2] as string] }).metadata.genesis_validators_root).toBe(HOODI);
    // The round trip parses as an interchange.
    expect(parseInterchange(JSON.stringify(byRoot)).data).toHaveLength(2);
  });

  it('writes a target raised to the source when the stored target is below it', () => {
    f.service.setSigningState('eth-0', { max_source_epoch: '10', max_target_epoch: '7' });
    const out = f.service.exportInterchange({ pubkeys: [pubs[0] as string] });
    expect(out.data[0]?.signed_attestations).toEqual([{ source_epoch: '10', target_epoch: '10' }]);
  });

  it('binds once: the same root again is a no-op, another root and bad input are refused', async () => {
    expectThrows(() => f.service.bindChain('eth-0', HOODI), 'OV_INTERCHANGE_CHAIN_MISMATCH');
    expect(f.service.bindChain('eth-0', MAINNET.toUpperCase().replace('0X', '0x')).metadata.genesis_validators_root).toBe(MAINNET);
    expectThrows(() => f.service.bindChain('eth-2', `0x${'00'.repeat(32)}`), 'OV_INVALID_ARGUMENT');
    expectThrows(() => f.service.bindChain('eth-2', '0x12'), 'OV_INVALID_ARGUMENT');
    expectThrows(() => f.service.bindChain('nope', MAINNET), 'OV_VALIDATOR_NOT_FOUND');
    await f.service.create({ name: 'sol', chain: 'solana', format: 'generate' });
    expectThrows(() => f.service.bindChain('sol', MAINNET), 'OV_VALIDATOR_STATE');
    await expect(f.service.create({ name: 'sol-2', chain: 'solana', format: 'generate', metadata: { genesis_validators_root: MAINNET } })).rejects.toMatchObject({ code: 'OV_INVALID_ARGUMENT' });
    await expect(f.service.create({ name: 'eth-z', chain: 'ethereum', format: 'generate', metadata: { genesis_validators_root: `0x${'00'.repeat(32)}` } })).rejects.toMatchObject({ code: 'OV_INVALID_ARGUMENT' });
    expect(f.storage.validators.getSlot('eth-2')?.metadata).toBe('{}');
    expect(f.storage.validators.getSlot('sol-2')).toBeUndefined();
    expect(f.storage.validators.getSlot('eth-z')).toBeUndefined();
  });

  it('after a restore, confirms slot by slot; the mark leaves with the last one', async () => {
    await f.service.create({ name: 'cos', chain: 'cosmos', format: 'generate' });
    // The mark exactly as a restore writes it.
    f.clock.t = T0 + 1000;
    f.storage.meta.put(WATERMARKS_UNCONFIRMED_META, new TextEncoder().encode(JSON.stringify({ restored_at: new Date(T0 + 500).toISOString(), audit_seq: 7 })));
    f.clock.t = T0 + 2000;
    await f.service.create({ name: 'sol-new', chain: 'solana', format: 'generate' });
    const marked = (): string[] => f.service.list().filter((s) => s.watermarks_unconfirmed === true).map((s) => s.name);
    // A slot created after the restore never had restored watermarks.
    expect(marked()).toEqual(['cos', 'eth-0', 'eth-1', 'eth-2']);
    expect(f.service.watermarksUnconfirmed('eth-0')).toBe(true);
    expect(f.service.watermarksUnconfirmed('sol-new')).toBe(false);

    f.service.importInterchange(ic(MAINNET, [{ pubkey: pubs[0], signed_blocks: [{ slot: '5' }], signed_attestations: [] }]));
    expect(marked()).toEqual(['cos', 'eth-1', 'eth-2']);
    // Minimums never lower: eth-1 keeps nothing lower than asked, only raises.
    f.service.setSigningState('eth-1', { max_block_slot: '50' });
    f.service.confirmWatermarks('eth-1', { max_block_slot: '40', max_source_epoch: '9' });
    expect(f.service.get('eth-1').signing_state).toEqual({ max_block_slot: '50', max_source_epoch: '9', max_target_epoch: null });
    expectThrows(() => f.service.confirmWatermarks('eth-2', { max_block_slot: 'x' }), 'OV_INVALID_ARGUMENT');
    expectThrows(() => f.service.confirmWatermarks('eth-2', { height: '3' }), 'OV_INVALID_ARGUMENT');
    expect(marked()).toEqual(['cos', 'eth-2']);
    f.service.confirmWatermarks('cos', { height: '12', round: 0, step: 1 });
    expect(f.service.get('cos').signing_state).toEqual({ height: '12', round: 0, step: 1 });
    expect(f.storage.meta.get(WATERMARKS_UNCONFIRMED_META)).toBeDefined();
    f.service.confirmWatermarks('eth-2', {});
    expect(marked()).toEqual([]);
    expect(f.service.watermarksUnconfirmed()).toBe(false);
    expect(f.storage.meta.get(WATERMARKS_UNCONFIRMED_META)).toBeUndefined();
  });

  it('a keymanager import whose slashing protection lists an existing key confirms it; one that does not list it does not', async () => {
    f.storage.meta.put(WATERMARKS_UNCONFIRMED_META, new TextEncoder().encode(JSON.stringify({ restored_at: new Date(T0 + 500).toISOString(), audit_seq: 7 })));
    const other = await f.service.keymanagerImport([files[1] as string], ['pw'], ic(MAINNET, [{ pubkey: pubs[0], signed_blocks: [{ slot: '3' }], signed_attestations: [] }]));
    expect(other).toEqual([{ status: 'duplicate' }]);
    expect(f.service.watermarksUnconfirmed('eth-1')).toBe(true);
    const listed = await f.service.keymanagerImport([files[1] as string], ['pw'], ic(MAINNET, [{ pubkey: pubs[1], signed_blocks: [{ slot: '3' }], signed_attestations: [] }]));
    expect(listed).toEqual([{ status: 'duplicate' }]);
    expect(f.service.watermarksUnconfirmed('eth-1')).toBe(false);
    expect(f.service.get('eth-1').signing_state).toEqual({ max_block_slot: '3', max_source_epoch: null, max_target_epoch: null });
  });
});

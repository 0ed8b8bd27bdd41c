/**
 * Every Web3Signer request type is signed over the signing root the consensus specs
 * define: the root is recomputed here with an independent SSZ merkleization
 * (test/helpers/ssz-reference.ts), the signature must verify over it under the key's
 * public key, and a client-sent `signingRoot` equal to it is accepted while any other is
 * refused with 400.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blsVerify } from '../../../src/crypto/bls.js';
import {
  attestationDataRoot,
  bitlistRoot,
  bytesRoot,
  containerRoot,
  domain,
  hex,
  merkleize,
  sha256,
  signingRoot,
  uint64Root,
  type AttestationDataJson,
} from '../../helpers/ssz-reference.js';
import { signingRequest } from '../../../src/validators/signer-roots.js';
import { useSszHasher } from '../../../src/validators/ssz-hasher.js';
import { FORK_INFO, GVR, R1, R2, expectRefused, sign, signerFixture, type SignerFixture } from './signer-fixture.js';

const PREV = hex('0x00000001');
const CUR = hex('0x00000002');
const ZERO = new Uint8Array(32);
const gvr = hex(GVR);
const SIG = `0x${'c0'.padEnd(192, '0')}`;
const forkAt = (epoch: number): Uint8Array => (epoch < 10 ? PREV : CUR);

const attData: AttestationDataJson = { slot: '300', index: '1', beacon_block_root: R1, source: { epoch: '8', root: R2 }, target: { epoch: '9', root: R1 } };

interface Case {
  readonly body: Record<string, unknown>;
  readonly root: Uint8Array;
}

function cases(pubkey: string): Record<string, Case> {
  const phase0Attestation = { aggregation_bits: '0x0f', data: attData, signature: SIG };
  const phase0AttRoot = containerRoot([bitlistRoot(hex('0x0f'), 2048), attestationDataRoot(attData), bytesRoot(hex(SIG))]);
  const electraAttestation = { ...phase0Attestation, aggregation_bits: '0x0301', committee_bits: '0x0100000000000000' };
  const electraAttRoot = containerRoot([bitlistRoot(hex('0x0301'), 131072), attestationDataRoot(attData), bytesRoot(hex(SIG)), bytesRoot(hex('0x0100000000000000'))]);
  const contribution = { slot: '320', beacon_block_root: R1, subcommittee_index: '2', aggregation_bits: `0x${'01'.repeat(16)}`, signature: SIG };
  const contributionRoot = containerRoot([uint64Root(320), hex(R1), uint64Root(2), bytesRoot(hex(`0x${'01'.repeat(16)}`)), bytesRoot(hex(SIG))]);
  const fi = FORK_INFO;
  return {
    BLOCK_V2: {
      body: { type: 'BLOCK_V2', fork_info: fi, beacon_block: { version: 'CAPELLA', block_header: { slot: '400', proposer_index: '7', parent_root: R1, state_root: R2, body_root: R1 } } },
      root: signingRoot(containerRoot([uint64Root(400), uint64Root(7), hex(R1), hex(R2), hex(R1)]), domain(0x00000000, forkAt(12), gvr)),
    },
    ATTESTATION: {
      body: { type: 'ATTESTATION', fork_info: fi, attestation: attData },
      root: signingRoot(attestationDataRoot(attData), domain(0x01000000, forkAt(9), gvr)),
    },
    AGGREGATION_SLOT: {
      body: { type: 'AGGREGATION_SLOT', fork_info: fi, aggregation_slot: { slot: '352' } },
      root: signingRoot(uint64Root(352), domain(0x05000000, forkAt(11), gvr)),
    },
    AGGREGATE_AND_PROOF: {
      body: { type: 'AGGREGATE_AND_PROOF', fork_info: fi, aggregate_and_proof: { aggregator_index: '5', aggregate: phase0Attestation, selection_proof: SIG } },
      root: signingRoot(containerRoot([uint64Root(5), phase0AttRoot, bytesRoot(hex(SIG))]), domain(0x06000000, forkAt(9), gvr)),
    },
    AGGREGATE_AND_PROOF_V2: {
      body: {
        type: 'AGGREGATE_AND_PROOF_V2',
        fork_info: fi,
        aggregate_and_proof: { version: 'ELECTRA', data: { aggregator_index: '5', aggregate: electraAttestation, selection_proof: SIG } },
      },
      root: signingRoot(containerRoot([uint64Root(5), electraAttRoot, bytesRoot(hex(SIG))]), domain(0x06000000, forkAt(9), gvr)),
    },
    RANDAO_REVEAL: {
      body: { type: 'RANDAO_REVEAL', fork_info: fi, randao_reveal: { epoch: '11' } },
      root: signingRoot(uint64Root(11), domain(0x02000000, forkAt(11), gvr)),
    },
    VOLUNTARY_EXIT: {
      body: { type: 'VOLUNTARY_EXIT', fork_info: fi, voluntary_exit: { epoch: '3', validator_index: '99' } },
      root: signingRoot(containerRoot([uint64Root(3), uint64Root(99)]), domain(0x04000000, forkAt(3), gvr)),
    },
    SYNC_COMMITTEE_MESSAGE: {
      body: { type: 'SYNC_COMMITTEE_MESSAGE', fork_info: fi, sync_committee_message: { beacon_block_root: R2, slot: '384' } },
      root: signingRoot(hex(R2), domain(0x07000000, forkAt(12), gvr)),
    },
    SYNC_COMMITTEE_SELECTION_PROOF: {
      body: { type: 'SYNC_COMMITTEE_SELECTION_PROOF', fork_info: fi, sync_aggregator_selection_data: { slot: '288', subcommittee_index: '3' } },
      root: signingRoot(containerRoot([uint64Root(288), uint64Root(3)]), domain(0x08000000, forkAt(9), gvr)),
    },
    SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF: {
      body: {
        type: 'SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF',
        fork_info: fi,
        contribution_and_proof: { aggregator_index: '6', contribution, selection_proof: SIG },
      },
      root: signingRoot(containerRoot([uint64Root(6), contributionRoot, bytesRoot(hex(SIG))]), domain(0x09000000, forkAt(10), gvr)),
    },
    VALIDATOR_REGISTRATION: {
      body: { type: 'VALIDATOR_REGISTRATION', validator_registration: { fee_recipient: `0x${'ab'.repeat(20)}`, gas_limit: '30000000', timestamp: '1700000000', pubkey } },
      root: signingRoot(
        containerRoot([bytesRoot(hex(`0x${'ab'.repeat(20)}`)), uint64Root(30000000), uint64Root(1700000000), bytesRoot(hex(pubkey))]),
        domain(0x00000001, hex('0x00000000'), ZERO),
      ),
    },
    DEPOSIT: {
      body: { type: 'DEPOSIT', deposit: { pubkey, withdrawal_credentials: R2, amount: '32000000000', genesis_fork_version: '0x01017000' } },
      root: signingRoot(containerRoot([bytesRoot(hex(pubkey)), hex(R2), uint64Root(32000000000n)]), domain(0x03000000, hex('0x01017000'), ZERO)),
    },
  };
}

describe('signer: signing roots of every request type', () => {
  let f: SignerFixture;
  let pubkey: string;
  beforeAll(async () => {
    f = await signerFixture(['roots']);
    pubkey = f.keys.get('roots')!;
  });
  afterAll(async () => {
    await f.cleanup();
  });

  const names = Object.keys(cases(`0x${'00'.repeat(48)}`));
  it('covers the twelve types', () => {
    expect(names).toHaveLength(12);
  });

  for (const name of names) {
    it(`${name}: signs the spec's signing root; its own signingRoot is checked`, async () => {
      const c = cases(pubkey)[name]!;
      const r = await sign(f, pubkey, { ...c.body, signingRoot: `0x${Buffer.from(c.root).toString('hex')}` });
      expect(r.statusCode, r.body).toBe(200);
      const sig = hex(r.json<{ signature: string }>().signature);
      expect(sig).toHaveLength(96);
      expect(blsVerify(sig, c.root, hex(pubkey))).toBe(true);
      // Without signingRoot: the same signature (BLS is deterministic).
      const again = await sign(f, pubkey, c.body);
      expect(again.json<{ signature: string }>().signature).toBe(r.json<{ signature: string }>().signature);
      // A signingRoot off by one bit: 400, nothing signed.
      const wrong = Uint8Array.from(c.root);
      wrong[31] = (wrong[31] as number) ^ 1;
      expectRefused(await sign(f, pubkey, { ...c.body, signingRoot: `0x${Buffer.from(wrong).toString('hex')}` }), 400, 'OV_BAD_REQUEST');
    });
  }

  it('answers text/plain unless JSON is asked for', async () => {
    const c = cases(pubkey).RANDAO_REVEAL!;
    const r = await sign(f, pubkey, c.body, 'text/plain');
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain/);
    expect(r.body).toMatch(/^0x[0-9a-f]{192}$/);
    expect(blsVerify(hex(r.body), c.root, hex(pubkey))).toBe(true);
  });

  it('signs a PHASE0 block given whole, as Web3Signer takes it before Bellatrix', async () => {
    const body = {
      type: 'BLOCK_V2',
      fork_info: FORK_INFO,
      beacon_block: {
        version: 'PHASE0',
        block: {
          slot: '1000',
          proposer_index: '7',
          parent_root: R1,
          state_root: R2,
          body: {
            randao_reveal: SIG,
            eth1_data: { deposit_root: R1, deposit_count: '1', block_hash: R2 },
            graffiti: R1,
            proposer_slashings: [],
            attester_slashings: [],
            attestations: [],
            deposits: [],
            voluntary_exits: [],
          },
        },
      },
    };
    // The body root by hand: eight fields, the five empty lists each mix_in_length(zero tree, 0).
    const eth1 = containerRoot([hex(R1), uint64Root(1), hex(R2)]);
    const emptyList = (limit: number): Uint8Array => sha256(merkleize([], limit), uint64Root(0));
    const bodyRoot = containerRoot([bytesRoot(hex(SIG)), eth1, hex(R1), emptyList(16), emptyList(2), emptyList(128), emptyList(16), emptyList(16)]);
    const root = signingRoot(containerRoot([uint64Root(1000), uint64Root(7), hex(R1), hex(R2), bodyRoot]), domain(0, CUR, gvr));
    const r = await sign(f, pubkey, body);
    expect(r.statusCode, r.body).toBe(200);
    expect(blsVerify(hex(r.json<{ signature: string }>().signature), root, hex(pubkey))).toBe(true);
  });
});


// The daemon hashes SSZ with the fastest SHA-256 that loads; each must give the spec's roots.
describe.each(['hashtree', 'as-sha256', 'noble'] as const)('signing roots with the %s hasher', (hasher) => {
  let loaded = false;
  beforeAll(async () => {
    loaded = await useSszHasher(hasher);
  });
  afterAll(async () => {
    expect(await useSszHasher('noble')).toBe(true);
  });

  it('loads on this machine (both ship with the SSZ library for linux-x64)', () => {
    expect(loaded).toBe(true);
  });

  it('computes the spec root of every request type', () => {
    const pubkey = `0x${'8f'.repeat(48)}`;
    for (const [name, c] of Object.entries(cases(pubkey))) {
      const r = signingRequest(c.body, { genesisForkVersion: new Uint8Array(4) });
      expect(Buffer.from(r.signingRoot).toString('hex'), name).toBe(Buffer.from(c.root).toString('hex'));
    }
  });
});
